//! `stop-db-cluster`: stops an Aurora DB cluster (`StopDBCluster`).
//!
//! Input: `{"DBClusterIdentifier": "webapp-db"}`. Output: `{"DBCluster":
//! {"DBClusterIdentifier", "Status": "stopping", ...}}`. IAM:
//! `rds:StopDBCluster` on the cluster.

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::rds::{DbClusterRequest, DbClusterResult, RdsApi};

/// Stops the cluster of the request.
pub async fn handle(rds: &impl RdsApi, event: Value) -> Result<DbClusterResult, HandlerError> {
    let request: DbClusterRequest = parse(event)?;
    Ok(rds.stop_db_cluster(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{aws_error, Answer, Call, Fake};
    use aws_sdk_rds::types::DbCluster;
    use serde_json::json;

    #[tokio::test]
    async fn stops_the_cluster() {
        let fake = Fake::answering([Answer::DbCluster(Some(
            DbCluster::builder()
                .db_cluster_identifier("webapp-db")
                .status("stopping")
                .build(),
        ))]);
        let result = handle(&fake, json!({"DBClusterIdentifier": "webapp-db"}))
            .await
            .expect("stopped");
        assert_eq!(
            fake.calls(),
            [Call::StopDbCluster(DbClusterRequest {
                db_cluster_identifier: "webapp-db".into()
            })]
        );
        assert_eq!(
            serde_json::to_value(result).expect("json"),
            json!({"DBCluster": {"DBClusterIdentifier": "webapp-db", "Status": "stopping", "DBClusterMembers": []}})
        );
    }

    #[tokio::test]
    async fn a_cluster_in_the_wrong_state_is_an_aws_api_error() {
        let fake = Fake::answering([aws_error(
            "StopDBCluster",
            "InvalidDBClusterStateFault",
            "DbCluster webapp-db is in stopped state but expected it to be one of available.",
        )]);
        let err = handle(&fake, json!({"DBClusterIdentifier": "webapp-db"}))
            .await
            .expect_err("refused");
        assert_eq!(err.error_type(), "AwsApiError");
        assert!(
            err.to_string()
                .starts_with("StopDBCluster failed: InvalidDBClusterStateFault: "),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_identifier_must_be_a_string() {
        let err = handle(
            &Fake::default(),
            json!({"DBClusterIdentifier": {"DBClusterIdentifier": "webapp-db"}}),
        )
        .await
        .expect_err("nested");
        assert!(
            err.to_string()
                .starts_with("input field DBClusterIdentifier: invalid type: map"),
            "{err}"
        );
    }
}
