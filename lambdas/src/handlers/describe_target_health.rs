//! `describe-target-health`: the health of a target group's targets
//! (`DescribeTargetHealth`).
//!
//! Input: `{"TargetGroupArn": "...", "Targets": [{"Id": "i-...", "Port": 80}]}`
//! (`Targets` optional). Output: `{"TargetHealthDescriptions": [{"Target":
//! {"Id", "Port"}, "HealthCheckPort", "TargetHealth": {"State", "Reason",
//! "Description"}}]}`; the start job net waits until every
//! `TargetHealthDescriptions[*].TargetHealth.State` is `healthy`. IAM:
//! `elasticloadbalancing:DescribeTargetHealth` on `*` (no resource-level
//! permissions).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::elbv2::{DescribeTargetHealthRequest, DescribeTargetHealthResult, Elbv2Api};

/// Describes the health of the request's targets.
pub async fn handle(elbv2: &impl Elbv2Api, event: Value) -> Result<DescribeTargetHealthResult, HandlerError> {
    let request: DescribeTargetHealthRequest = parse(event)?;
    Ok(elbv2.describe_target_health(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::elbv2::TargetDescription;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
    use aws_sdk_elasticloadbalancingv2::types as sdk;
    use serde_json::json;

    #[tokio::test]
    async fn the_state_is_where_the_start_job_net_reads_it() {
        let fake = Fake::answering([Answer::DescribeTargetHealth(
            DescribeTargetHealthOutput::builder()
                .target_health_descriptions(
                    sdk::TargetHealthDescription::builder()
                        .target(sdk::TargetDescription::builder().id("i-1").port(80).build())
                        .health_check_port("80")
                        .target_health(
                            sdk::TargetHealth::builder()
                                .state(sdk::TargetHealthStateEnum::Healthy)
                                .build(),
                        )
                        .build(),
                )
                .target_health_descriptions(
                    sdk::TargetHealthDescription::builder()
                        .target(sdk::TargetDescription::builder().id("i-2").port(80).build())
                        .target_health(
                            sdk::TargetHealth::builder()
                                .state(sdk::TargetHealthStateEnum::Unhealthy)
                                .reason(sdk::TargetHealthReasonEnum::FailedHealthChecks)
                                .description("Health checks failed")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )]);
        let event = json!({"TargetGroupArn": "arn:tg", "Targets": [{"Id": "i-1", "Port": 80}]});
        let json = serde_json::to_value(handle(&fake, event).await.expect("described")).expect("json");
        assert_eq!(
            fake.calls(),
            [Call::DescribeTargetHealth(DescribeTargetHealthRequest {
                target_group_arn: "arn:tg".into(),
                targets: Some(vec![TargetDescription {
                    id: "i-1".into(),
                    port: Some(80),
                    availability_zone: None
                }]),
            })]
        );
        assert_eq!(at(&json, "$.TargetHealthDescriptions[0].TargetHealth.State"), "healthy");
        assert_eq!(
            at(&json, "$.TargetHealthDescriptions[1]"),
            &json!({
                "Target": {"Id": "i-2", "Port": 80},
                "TargetHealth": {
                    "State": "unhealthy",
                    "Reason": "Target.FailedHealthChecks",
                    "Description": "Health checks failed"
                }
            })
        );
    }

    #[tokio::test]
    async fn the_target_group_is_required() {
        let err = handle(&Fake::default(), json!({"Targets": []}))
            .await
            .expect_err("missing");
        assert_eq!(err.to_string(), "input: missing field `TargetGroupArn`");
    }
}
