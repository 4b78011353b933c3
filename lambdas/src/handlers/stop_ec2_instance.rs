//! `stop-ec2-instance`: stops EC2 instances (`StopInstances`).
//!
//! Input: the `StopInstances` request, `{"InstanceIds": ["i-..."]}` (optional
//! `Force`, `Hibernate`). Output: `{"StoppingInstances": [{"InstanceId",
//! "CurrentState": {"Code", "Name"}, "PreviousState"}]}`. IAM:
//! `ec2:StopInstances` on the instances.

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ec2::{Ec2Api, StopInstancesRequest, StopInstancesResult};

/// Stops the instances of the request.
pub async fn handle(ec2: &impl Ec2Api, event: Value) -> Result<StopInstancesResult, HandlerError> {
    let request: StopInstancesRequest = parse(event)?;
    Ok(ec2.stop_instances(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::fakes::{aws_error, Answer, Call, Fake};
    use aws_sdk_ec2::operation::stop_instances::StopInstancesOutput;
    use aws_sdk_ec2::types::{InstanceState, InstanceStateChange, InstanceStateName};
    use serde_json::json;

    #[tokio::test]
    async fn stops_the_instances_and_reports_their_states_in_the_apis_shape() {
        let fake = Fake::answering([Answer::StopInstances(
            StopInstancesOutput::builder()
                .stopping_instances(
                    InstanceStateChange::builder()
                        .instance_id("i-0123456789abcdef0")
                        .current_state(
                            InstanceState::builder()
                                .code(64)
                                .name(InstanceStateName::Stopping)
                                .build(),
                        )
                        .previous_state(
                            InstanceState::builder()
                                .code(16)
                                .name(InstanceStateName::Running)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )]);
        let result = handle(&fake, json!({"InstanceIds": ["i-0123456789abcdef0"]}))
            .await
            .expect("stopped");
        assert_eq!(
            fake.calls(),
            [Call::StopInstances(StopInstancesRequest {
                instance_ids: vec!["i-0123456789abcdef0".into()],
                ..Default::default()
            })]
        );
        let json = serde_json::to_value(result).expect("json");
        assert_eq!(
            json,
            json!({"StoppingInstances": [{
                "InstanceId": "i-0123456789abcdef0",
                "CurrentState": {"Code": 64, "Name": "stopping"},
                "PreviousState": {"Code": 16, "Name": "running"}
            }]})
        );
        assert_eq!(at(&json, "$.StoppingInstances[0].CurrentState.Code"), 64);
    }

    #[tokio::test]
    async fn bad_input_is_refused_before_any_call() {
        let fake = Fake::default();
        let err = handle(&fake, json!({"InstanceId": "i-1"}))
            .await
            .expect_err("wrong field");
        assert_eq!(err.error_type(), "InvalidInputError");
        assert!(err.to_string().contains("unknown field `InstanceId`"), "{err}");
        let err = handle(&fake, json!({"InstanceIds": "i-1"}))
            .await
            .expect_err("not a list");
        assert_eq!(
            err.to_string(),
            "input field InstanceIds: invalid type: string \"i-1\", expected a sequence"
        );
        assert!(fake.calls().is_empty());
    }

    #[tokio::test]
    async fn api_errors_are_aws_api_errors() {
        let fake = Fake::answering([aws_error(
            "StopInstances",
            "IncorrectInstanceState",
            "not in a state to stop",
        )]);
        let err = handle(&fake, json!({"InstanceIds": ["i-1"], "Force": true}))
            .await
            .expect_err("refused");
        assert_eq!(err.error_type(), "AwsApiError");
        assert_eq!(
            fake.calls(),
            [Call::StopInstances(StopInstancesRequest {
                instance_ids: vec!["i-1".into()],
                force: Some(true),
                hibernate: None,
            })]
        );
    }
}
