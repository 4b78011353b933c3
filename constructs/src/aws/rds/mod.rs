//! Amazon RDS: Aurora database clusters and DB subnet groups.

mod cluster;
mod engine;
mod subnet_group;

pub use cluster::{Credentials, DatabaseCluster, DatabaseClusterProps, PASSWORD_EXCLUDED_CHARACTERS};
pub use engine::{AuroraMysqlEngineVersion, ClusterEngine, LogExport};
pub use subnet_group::{SubnetGroup, SubnetGroupProps};
