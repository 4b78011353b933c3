//! Amazon RDS: start, stop and describe DB clusters.

use std::future::Future;

use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_rds::types as sdk;
use serde::{Deserialize, Serialize};

use super::{timestamp, Filter};
use crate::error::HandlerError;

/// The RDS calls the handlers make.
pub trait RdsApi {
    /// `StopDBCluster`; the cluster as the call left it.
    fn stop_db_cluster(
        &self,
        request: DbClusterRequest,
    ) -> impl Future<Output = Result<Option<sdk::DbCluster>, HandlerError>> + Send;
    /// `StartDBCluster`; the cluster as the call left it.
    fn start_db_cluster(
        &self,
        request: DbClusterRequest,
    ) -> impl Future<Output = Result<Option<sdk::DbCluster>, HandlerError>> + Send;
    /// `DescribeDBClusters` (one page).
    fn describe_db_clusters(
        &self,
        request: DescribeDbClustersRequest,
    ) -> impl Future<Output = Result<DescribeDbClustersOutput, HandlerError>> + Send;
}

/// The `StopDBCluster` and `StartDBCluster` request: `{"DBClusterIdentifier": "webapp-db"}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DbClusterRequest {
    /// The cluster's identifier (or ARN).
    #[serde(rename = "DBClusterIdentifier")]
    pub db_cluster_identifier: String,
}

/// The `DescribeDBClusters` request: `{"DBClusterIdentifier": "webapp-db"}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DescribeDbClustersRequest {
    /// The cluster's identifier (or ARN); every cluster when absent.
    #[serde(rename = "DBClusterIdentifier", default)]
    pub db_cluster_identifier: Option<String>,
    /// Filters.
    #[serde(rename = "Filters", default)]
    pub filters: Option<Vec<Filter>>,
    /// Results per page.
    #[serde(rename = "MaxRecords", default)]
    pub max_records: Option<i32>,
    /// The page to read, from a previous result's `Marker`.
    #[serde(rename = "Marker", default)]
    pub marker: Option<String>,
}

/// A member instance of a cluster.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DbClusterMember {
    /// The instance's identifier.
    #[serde(rename = "DBInstanceIdentifier", skip_serializing_if = "Option::is_none")]
    pub db_instance_identifier: Option<String>,
    /// Whether it is the writer.
    #[serde(rename = "IsClusterWriter", skip_serializing_if = "Option::is_none")]
    pub is_cluster_writer: Option<bool>,
}

/// A DB cluster (the fields job nets read): `{"DBClusterIdentifier": ..., "Status": "available"}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DbCluster {
    /// The cluster's identifier.
    #[serde(rename = "DBClusterIdentifier", skip_serializing_if = "Option::is_none")]
    pub db_cluster_identifier: Option<String>,
    /// The cluster's ARN.
    #[serde(rename = "DBClusterArn", skip_serializing_if = "Option::is_none")]
    pub db_cluster_arn: Option<String>,
    /// `available`, `stopped`, `stopping`, `starting`, `backing-up` ...
    #[serde(rename = "Status", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The engine, e.g. `aurora-mysql`.
    #[serde(rename = "Engine", skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The engine's version.
    #[serde(rename = "EngineVersion", skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// The writer endpoint.
    #[serde(rename = "Endpoint", skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The reader endpoint.
    #[serde(rename = "ReaderEndpoint", skip_serializing_if = "Option::is_none")]
    pub reader_endpoint: Option<String>,
    /// The port.
    #[serde(rename = "Port", skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Whether it spans Availability Zones.
    #[serde(rename = "MultiAZ", skip_serializing_if = "Option::is_none")]
    pub multi_az: Option<bool>,
    /// Whether its storage is encrypted.
    #[serde(rename = "StorageEncrypted", skip_serializing_if = "Option::is_none")]
    pub storage_encrypted: Option<bool>,
    /// When it was created.
    #[serde(rename = "ClusterCreateTime", skip_serializing_if = "Option::is_none")]
    pub cluster_create_time: Option<String>,
    /// Its member instances.
    #[serde(rename = "DBClusterMembers")]
    pub db_cluster_members: Vec<DbClusterMember>,
}

impl From<sdk::DbCluster> for DbCluster {
    fn from(c: sdk::DbCluster) -> Self {
        DbCluster {
            db_cluster_identifier: c.db_cluster_identifier,
            db_cluster_arn: c.db_cluster_arn,
            status: c.status,
            engine: c.engine,
            engine_version: c.engine_version,
            endpoint: c.endpoint,
            reader_endpoint: c.reader_endpoint,
            port: c.port,
            multi_az: c.multi_az,
            storage_encrypted: c.storage_encrypted,
            cluster_create_time: timestamp(c.cluster_create_time),
            db_cluster_members: c
                .db_cluster_members
                .unwrap_or_default()
                .into_iter()
                .map(|m| DbClusterMember {
                    db_instance_identifier: m.db_instance_identifier,
                    is_cluster_writer: m.is_cluster_writer,
                })
                .collect(),
        }
    }
}

/// The result of `StopDBCluster` and `StartDBCluster`: `{"DBCluster": {...}}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DbClusterResult {
    /// The cluster.
    #[serde(rename = "DBCluster", skip_serializing_if = "Option::is_none")]
    pub db_cluster: Option<DbCluster>,
}

impl From<Option<sdk::DbCluster>> for DbClusterResult {
    fn from(c: Option<sdk::DbCluster>) -> Self {
        DbClusterResult {
            db_cluster: c.map(Into::into),
        }
    }
}

/// The result of `DescribeDBClusters`: `{"DBClusters": [{"Status": "available", ...}]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DescribeDbClustersResult {
    /// The clusters.
    #[serde(rename = "DBClusters")]
    pub db_clusters: Vec<DbCluster>,
    /// The next page's marker, if there is one.
    #[serde(rename = "Marker", skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

impl From<DescribeDbClustersOutput> for DescribeDbClustersResult {
    fn from(o: DescribeDbClustersOutput) -> Self {
        DescribeDbClustersResult {
            db_clusters: o.db_clusters.unwrap_or_default().into_iter().map(Into::into).collect(),
            marker: o.marker,
        }
    }
}

impl RdsApi for aws_sdk_rds::Client {
    async fn stop_db_cluster(&self, r: DbClusterRequest) -> Result<Option<sdk::DbCluster>, HandlerError> {
        aws_sdk_rds::Client::stop_db_cluster(self)
            .db_cluster_identifier(r.db_cluster_identifier)
            .send()
            .await
            .map(|o| o.db_cluster)
            .map_err(|e| HandlerError::aws("StopDBCluster", e))
    }

    async fn start_db_cluster(&self, r: DbClusterRequest) -> Result<Option<sdk::DbCluster>, HandlerError> {
        aws_sdk_rds::Client::start_db_cluster(self)
            .db_cluster_identifier(r.db_cluster_identifier)
            .send()
            .await
            .map(|o| o.db_cluster)
            .map_err(|e| HandlerError::aws("StartDBCluster", e))
    }

    async fn describe_db_clusters(
        &self,
        r: DescribeDbClustersRequest,
    ) -> Result<DescribeDbClustersOutput, HandlerError> {
        let filters = r.filters.map(|fs| {
            fs.into_iter()
                .map(|f| sdk::Filter::builder().name(f.name).set_values(Some(f.values)).build())
                .collect()
        });
        aws_sdk_rds::Client::describe_db_clusters(self)
            .set_db_cluster_identifier(r.db_cluster_identifier)
            .set_filters(filters)
            .set_max_records(r.max_records)
            .set_marker(r.marker)
            .send()
            .await
            .map_err(|e| HandlerError::aws("DescribeDBClusters", e))
    }
}
