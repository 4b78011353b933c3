//! Constructs for AWS services, one module per service.

pub mod dynamodb;
pub mod ec2;
pub mod elbv2;
pub mod events;
pub mod events_targets;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod stepfunctions;

mod default_child;
