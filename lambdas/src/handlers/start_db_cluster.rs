//! `start-db-cluster`: starts an Aurora DB cluster (`StartDBCluster`).
//!
//! Input: `{"DBClusterIdentifier": "webapp-db"}`. Output: `{"DBCluster":
//! {"DBClusterIdentifier", "Status": "starting", ...}}`. IAM:
//! `rds:StartDBCluster` on the cluster.

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::rds::{DbClusterRequest, DbClusterResult, RdsApi};

/// Starts the cluster of the request.
pub async fn handle(rds: &impl RdsApi, event: Value) -> Result<DbClusterResult, HandlerError> {
    let request: DbClusterRequest = parse(event)?;
    Ok(rds.start_db_cluster(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_rds::types::DbCluster;
    use serde_json::json;

    #[tokio::test]
    async fn starts_the_cluster() {
        let fake = Fake::answering([Answer::DbCluster(Some(
            DbCluster::builder()
                .db_cluster_identifier("webapp-db")
                .status("starting")
                .build(),
        ))]);
        let result = handle(&fake, json!({"DBClusterIdentifier": "webapp-db"}))
            .await
            .expect("started");
        assert_eq!(
            fake.calls(),
            [Call::StartDbCluster(DbClusterRequest {
                db_cluster_identifier: "webapp-db".into()
            })]
        );
        assert_eq!(
            serde_json::to_value(result).expect("json")["DBCluster"]["Status"],
            "starting"
        );
    }
}
