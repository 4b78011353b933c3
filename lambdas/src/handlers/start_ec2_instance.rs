//! `start-ec2-instance`: starts EC2 instances (`StartInstances`).
//!
//! Input: the `StartInstances` request, `{"InstanceIds": ["i-..."]}`. Output:
//! `{"StartingInstances": [{"InstanceId", "CurrentState": {"Code", "Name"},
//! "PreviousState"}]}`. IAM: `ec2:StartInstances` on the instances (and
//! `kms:CreateGrant` on the key of encrypted EBS volumes with a customer key).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ec2::{Ec2Api, StartInstancesRequest, StartInstancesResult};

/// Starts the instances of the request.
pub async fn handle(ec2: &impl Ec2Api, event: Value) -> Result<StartInstancesResult, HandlerError> {
    let request: StartInstancesRequest = parse(event)?;
    Ok(ec2.start_instances(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ec2::operation::start_instances::StartInstancesOutput;
    use aws_sdk_ec2::types::{InstanceState, InstanceStateChange, InstanceStateName};
    use serde_json::json;

    #[tokio::test]
    async fn starts_the_instances() {
        let fake = Fake::answering([Answer::StartInstances(
            StartInstancesOutput::builder()
                .starting_instances(
                    InstanceStateChange::builder()
                        .instance_id("i-1")
                        .current_state(
                            InstanceState::builder()
                                .code(0)
                                .name(InstanceStateName::Pending)
                                .build(),
                        )
                        .previous_state(
                            InstanceState::builder()
                                .code(80)
                                .name(InstanceStateName::Stopped)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )]);
        let result = handle(&fake, json!({"InstanceIds": ["i-1"]})).await.expect("started");
        assert_eq!(
            fake.calls(),
            [Call::StartInstances(StartInstancesRequest {
                instance_ids: vec!["i-1".into()]
            })]
        );
        assert_eq!(
            serde_json::to_value(result).expect("json"),
            json!({"StartingInstances": [{
                "InstanceId": "i-1",
                "CurrentState": {"Code": 0, "Name": "pending"},
                "PreviousState": {"Code": 80, "Name": "stopped"}
            }]})
        );
    }

    #[tokio::test]
    async fn instance_ids_are_required() {
        let err = handle(&Fake::default(), json!({})).await.expect_err("missing");
        assert_eq!(err.to_string(), "input: missing field `InstanceIds`");
    }
}
