//! `describe-db-cluster`: describes DB clusters (`DescribeDBClusters`).
//!
//! Input: `{"DBClusterIdentifier": "webapp-db"}` (optional; also `Filters`,
//! `MaxRecords`, `Marker`). Output: `{"DBClusters": [{"DBClusterIdentifier",
//! "Status", ...}]}`; the job nets branch on `DBClusters[0].Status`
//! (`available`, `stopped`, `stopping`, `backing-up` ...). IAM:
//! `rds:DescribeDBClusters` on the cluster (on `cluster:*` to list all).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::rds::{DescribeDbClustersRequest, DescribeDbClustersResult, RdsApi};

/// Describes the clusters of the request (one page).
pub async fn handle(rds: &impl RdsApi, event: Value) -> Result<DescribeDbClustersResult, HandlerError> {
    let request: DescribeDbClustersRequest = parse(event)?;
    Ok(rds.describe_db_clusters(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::primitives::DateTime;
    use aws_sdk_rds::types::{DbCluster, DbClusterMember};
    use serde_json::json;

    #[tokio::test]
    async fn the_status_is_where_the_job_nets_read_it() {
        let fake = Fake::answering([Answer::DescribeDbClusters(
            DescribeDbClustersOutput::builder()
                .db_clusters(
                    DbCluster::builder()
                        .db_cluster_identifier("webapp-db")
                        .db_cluster_arn("arn:aws:rds:ap-northeast-1:123456789012:cluster:webapp-db")
                        .status("available")
                        .engine("aurora-mysql")
                        .engine_version("5.7.mysql_aurora.2.09.1")
                        .endpoint("webapp-db.cluster-abc.ap-northeast-1.rds.amazonaws.com")
                        .port(3306)
                        .multi_az(false)
                        .storage_encrypted(true)
                        .cluster_create_time(DateTime::from_secs(1_621_504_800))
                        .db_cluster_members(
                            DbClusterMember::builder()
                                .db_instance_identifier("webapp-db-1")
                                .is_cluster_writer(true)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )]);
        let json = serde_json::to_value(
            handle(&fake, json!({"DBClusterIdentifier": "webapp-db"}))
                .await
                .expect("described"),
        )
        .expect("json");
        assert_eq!(
            fake.calls(),
            [Call::DescribeDbClusters(DescribeDbClustersRequest {
                db_cluster_identifier: Some("webapp-db".into()),
                ..Default::default()
            })]
        );
        assert_eq!(at(&json, "$.DBClusters[0].Status"), "available");
        assert_eq!(
            json,
            json!({"DBClusters": [{
                "DBClusterIdentifier": "webapp-db",
                "DBClusterArn": "arn:aws:rds:ap-northeast-1:123456789012:cluster:webapp-db",
                "Status": "available",
                "Engine": "aurora-mysql",
                "EngineVersion": "5.7.mysql_aurora.2.09.1",
                "Endpoint": "webapp-db.cluster-abc.ap-northeast-1.rds.amazonaws.com",
                "Port": 3306,
                "MultiAZ": false,
                "StorageEncrypted": true,
                "ClusterCreateTime": "2021-05-20T10:00:00Z",
                "DBClusterMembers": [{"DBInstanceIdentifier": "webapp-db-1", "IsClusterWriter": true}]
            }]})
        );
    }

    #[tokio::test]
    async fn unknown_fields_are_refused() {
        let err = handle(&Fake::default(), json!({"DbClusterIdentifier": "webapp-db"}))
            .await
            .expect_err("misspelt");
        assert!(
            err.to_string()
                .contains("unknown field `DbClusterIdentifier`, expected one of `DBClusterIdentifier`"),
            "{err}"
        );
    }
}
