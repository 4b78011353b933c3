//! `describe-ec2-instance`: describes EC2 instances (`DescribeInstances`).
//!
//! Input: the `DescribeInstances` request, `{"InstanceIds": ["i-..."]}`
//! (optional `Filters`, `MaxResults`, `NextToken`). Output:
//! `{"Reservations": [{"Instances": [{"InstanceId", "State": {"Code", "Name"},
//! ...}]}]}`; the stop job net waits for
//! `Reservations[0].Instances[0].State.Code` 80 (stopped). IAM:
//! `ec2:DescribeInstances` on `*` (no resource-level permissions).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ec2::{DescribeInstancesRequest, DescribeInstancesResult, Ec2Api};

/// Describes the instances of the request (one page).
pub async fn handle(ec2: &impl Ec2Api, event: Value) -> Result<DescribeInstancesResult, HandlerError> {
    let request: DescribeInstancesRequest = parse(event)?;
    Ok(ec2.describe_instances(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::fakes::{Answer, Call, Fake};
    use crate::services::Filter;
    use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
    use aws_sdk_ec2::primitives::DateTime;
    use aws_sdk_ec2::types::{
        Instance, InstanceState, InstanceStateName, InstanceType, Placement, Reservation, StateReason, Tag,
    };
    use serde_json::json;

    #[tokio::test]
    async fn the_state_code_is_where_the_stop_job_net_reads_it() {
        let fake = Fake::answering([Answer::DescribeInstances(
            DescribeInstancesOutput::builder()
                .reservations(
                    Reservation::builder()
                        .reservation_id("r-1")
                        .owner_id("123456789012")
                        .instances(
                            Instance::builder()
                                .instance_id("i-1")
                                .instance_type(InstanceType::T3Micro)
                                .state(
                                    InstanceState::builder()
                                        .code(80)
                                        .name(InstanceStateName::Stopped)
                                        .build(),
                                )
                                .state_reason(
                                    StateReason::builder()
                                        .code("Client.UserInitiatedShutdown")
                                        .message("Client.UserInitiatedShutdown: User initiated shutdown")
                                        .build(),
                                )
                                .launch_time(DateTime::from_secs(1_621_504_800))
                                .placement(Placement::builder().availability_zone("ap-northeast-1a").build())
                                .private_ip_address("10.0.1.10")
                                .tags(Tag::builder().key("Name").value("web-1").build())
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )]);
        let result = handle(
            &fake,
            json!({"InstanceIds": ["i-1"], "Filters": [{"Name": "instance-state-name", "Values": ["stopped"]}]}),
        )
        .await
        .expect("described");
        assert_eq!(
            fake.calls(),
            [Call::DescribeInstances(DescribeInstancesRequest {
                instance_ids: Some(vec!["i-1".into()]),
                filters: Some(vec![Filter {
                    name: "instance-state-name".into(),
                    values: vec!["stopped".into()]
                }]),
                ..Default::default()
            })]
        );
        let json = serde_json::to_value(result).expect("json");
        assert_eq!(at(&json, "$.Reservations[0].Instances[0].State.Code"), 80);
        assert_eq!(
            json,
            json!({"Reservations": [{
                "ReservationId": "r-1",
                "OwnerId": "123456789012",
                "Instances": [{
                    "InstanceId": "i-1",
                    "InstanceType": "t3.micro",
                    "State": {"Code": 80, "Name": "stopped"},
                    "StateReason": {
                        "Code": "Client.UserInitiatedShutdown",
                        "Message": "Client.UserInitiatedShutdown: User initiated shutdown"
                    },
                    "LaunchTime": "2021-05-20T10:00:00Z",
                    "Placement": {"AvailabilityZone": "ap-northeast-1a"},
                    "PrivateIpAddress": "10.0.1.10",
                    "Tags": [{"Key": "Name", "Value": "web-1"}]
                }]
            }]})
        );
    }

    #[tokio::test]
    async fn an_empty_request_describes_every_instance() {
        let fake = Fake::answering([Answer::DescribeInstances(DescribeInstancesOutput::builder().build())]);
        let result = handle(&fake, json!({})).await.expect("described");
        assert_eq!(
            fake.calls(),
            [Call::DescribeInstances(DescribeInstancesRequest::default())]
        );
        assert_eq!(serde_json::to_value(result).expect("json"), json!({"Reservations": []}));
    }
}
