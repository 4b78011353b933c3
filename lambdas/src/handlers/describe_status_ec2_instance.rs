//! `describe-status-ec2-instance`: the status checks of EC2 instances
//! (`DescribeInstanceStatus`).
//!
//! Input: the `DescribeInstanceStatus` request, `{"InstanceIds": ["i-..."]}`
//! (optional `Filters`, `IncludeAllInstances`, `MaxResults`, `NextToken`).
//! `IncludeAllInstances` defaults to true here, so an instance that is still
//! `pending` is listed rather than missing. Output: `{"InstanceStatuses":
//! [{"InstanceId", "InstanceState": {"Code", "Name"}, "InstanceStatus":
//! {"Status", "Details"}, "SystemStatus": {...}}]}`; the start job net waits
//! for code 16 (running) and both statuses `ok`. IAM:
//! `ec2:DescribeInstanceStatus` on `*` (no resource-level permissions).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ec2::{DescribeInstanceStatusRequest, DescribeInstanceStatusResult, Ec2Api};

/// Describes the status of the instances of the request (one page).
pub async fn handle(ec2: &impl Ec2Api, event: Value) -> Result<DescribeInstanceStatusResult, HandlerError> {
    let request: DescribeInstanceStatusRequest = parse(event)?;
    Ok(ec2.describe_instance_status(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ec2::operation::describe_instance_status::DescribeInstanceStatusOutput;
    use aws_sdk_ec2::types::{
        InstanceState, InstanceStateName, InstanceStatus, InstanceStatusDetails, InstanceStatusSummary, StatusName,
        StatusType, SummaryStatus,
    };
    use serde_json::json;

    fn summary(status: SummaryStatus, check: StatusType) -> InstanceStatusSummary {
        InstanceStatusSummary::builder()
            .status(status)
            .details(
                InstanceStatusDetails::builder()
                    .name(StatusName::Reachability)
                    .status(check)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn the_paths_the_start_job_net_reads() {
        let fake = Fake::answering([Answer::DescribeInstanceStatus(
            DescribeInstanceStatusOutput::builder()
                .instance_statuses(
                    InstanceStatus::builder()
                        .instance_id("i-1")
                        .availability_zone("ap-northeast-1a")
                        .instance_state(
                            InstanceState::builder()
                                .code(16)
                                .name(InstanceStateName::Running)
                                .build(),
                        )
                        .instance_status(summary(SummaryStatus::Ok, StatusType::Passed))
                        .system_status(summary(SummaryStatus::Ok, StatusType::Passed))
                        .build(),
                )
                .build(),
        )]);
        let json = serde_json::to_value(handle(&fake, json!({"InstanceIds": ["i-1"]})).await.expect("described"))
            .expect("json");
        assert_eq!(at(&json, "$.InstanceStatuses[0].InstanceState.Code"), 16);
        assert_eq!(at(&json, "$.InstanceStatuses[0].InstanceStatus.Status"), "ok");
        assert_eq!(at(&json, "$.InstanceStatuses[0].SystemStatus.Status"), "ok");
        assert_eq!(
            at(&json, "$.InstanceStatuses[0].InstanceStatus.Details[0]"),
            &json!({"Name": "reachability", "Status": "passed"})
        );
    }

    #[tokio::test]
    async fn instances_that_are_not_running_are_included_unless_the_input_says_otherwise() {
        let empty = || Answer::DescribeInstanceStatus(DescribeInstanceStatusOutput::builder().build());
        let fake = Fake::answering([empty(), empty()]);
        handle(&fake, json!({"InstanceIds": ["i-1"]})).await.expect("described");
        handle(&fake, json!({"InstanceIds": ["i-1"], "IncludeAllInstances": false}))
            .await
            .expect("described");
        let request = |all| {
            Call::DescribeInstanceStatus(DescribeInstanceStatusRequest {
                instance_ids: Some(vec!["i-1".into()]),
                filters: None,
                include_all_instances: all,
                max_results: None,
                next_token: None,
            })
        };
        assert_eq!(fake.calls(), [request(true), request(false)]);
    }
}
