//! `delete-alb-rule`: deletes a listener rule, e.g. the maintenance page the
//! start job net removes at the end (`DeleteRule`).
//!
//! Input: `{"RuleArn": "arn:aws:elasticloadbalancing:...:listener-rule/app/..."}`.
//! Output: `{}` (the API's empty result). IAM:
//! `elasticloadbalancing:DeleteRule` on the listener rule.

use serde_json::{Map, Value};

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::elbv2::{DeleteRuleRequest, Elbv2Api};

/// Deletes the rule of the request.
pub async fn handle(elbv2: &impl Elbv2Api, event: Value) -> Result<Map<String, Value>, HandlerError> {
    let request: DeleteRuleRequest = parse(event)?;
    elbv2.delete_rule(request).await?;
    Ok(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{aws_error, Answer, Call, Fake};
    use serde_json::json;

    #[tokio::test]
    async fn deletes_the_rule() {
        let fake = Fake::answering([Answer::Deleted]);
        let result = handle(&fake, json!({"RuleArn": "arn:rule"})).await.expect("deleted");
        assert_eq!(Value::Object(result), json!({}));
        assert_eq!(
            fake.calls(),
            [Call::DeleteRule(DeleteRuleRequest {
                rule_arn: "arn:rule".into()
            })]
        );
    }

    #[tokio::test]
    async fn a_missing_rule_is_an_aws_api_error() {
        let fake = Fake::answering([aws_error("DeleteRule", "RuleNotFound", "One or more rules not found")]);
        let err = handle(&fake, json!({"RuleArn": "arn:rule"}))
            .await
            .expect_err("not found");
        assert_eq!(err.error_type(), "AwsApiError");
        assert_eq!(
            err.to_string(),
            "DeleteRule failed: RuleNotFound: One or more rules not found"
        );
    }
}
