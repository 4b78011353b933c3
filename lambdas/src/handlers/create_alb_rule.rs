//! `create-alb-rule`: creates a listener rule on the ALB, e.g. the
//! maintenance page the stop job net puts in front of the web servers
//! (`CreateRule`).
//!
//! Input: the `CreateRule` request, `{"ListenerArn", "Priority": 1,
//! "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values":
//! ["/*"]}}], "Actions": [{"Type": "fixed-response", "FixedResponseConfig":
//! {"StatusCode": "503", "ContentType": "text/html", "MessageBody": "..."}}]}`
//! (optional `Tags`; `forward` and `redirect` actions too). Output:
//! `{"Rules": [{"RuleArn", "Priority", "Conditions", "Actions", "IsDefault"}]}`.
//! IAM: `elasticloadbalancing:CreateRule` on the listener (and
//! `elasticloadbalancing:AddTags` on the rule when `Tags` are given).

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::elbv2::{CreateRuleRequest, CreateRuleResult, Elbv2Api};

/// Creates the rule of the request.
pub async fn handle(elbv2: &impl Elbv2Api, event: Value) -> Result<CreateRuleResult, HandlerError> {
    let request: CreateRuleRequest = parse(event)?;
    if request.conditions.is_empty() || request.actions.is_empty() {
        return Err(HandlerError::invalid_input(
            "input fields Conditions and Actions: give at least one condition and one action",
        ));
    }
    Ok(elbv2.create_rule(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::elbv2::{Action, FixedResponseConfig, RuleCondition, ValuesConfig};
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_elasticloadbalancingv2::types as sdk;
    use serde_json::json;

    const LISTENER: &str =
        "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/Alb/50dc6c495c0c9188/f2f7dc8efc522ab2";

    fn maintenance_rule() -> Value {
        json!({
            "ListenerArn": LISTENER,
            "Priority": 1,
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
            "Actions": [{
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "503",
                    "ContentType": "text/html",
                    "MessageBody": "<html><body>メンテナンス中です</body></html>"
                }
            }]
        })
    }

    #[tokio::test]
    async fn creates_the_maintenance_rule_and_reports_it_in_the_apis_shape() {
        let created = sdk::Rule::builder()
            .rule_arn("arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener-rule/app/Alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee")
            .priority("1")
            .conditions(RuleCondition {
                field: Some("path-pattern".into()),
                path_pattern_config: Some(ValuesConfig { values: vec!["/*".into()] }),
                ..Default::default()
            }.into())
            .actions(Action {
                action_type: "fixed-response".into(),
                fixed_response_config: Some(FixedResponseConfig {
                    status_code: "503".into(),
                    content_type: Some("text/html".into()),
                    message_body: Some("<html><body>メンテナンス中です</body></html>".into()),
                }),
                ..Default::default()
            }.into())
            .is_default(false)
            .build();
        let fake = Fake::answering([Answer::Rules(vec![created])]);
        let result = handle(&fake, maintenance_rule()).await.expect("created");
        let calls = fake.calls();
        let [Call::CreateRule(request)] = calls.as_slice() else {
            panic!("one CreateRule call: {:?}", calls);
        };
        assert_eq!(request.listener_arn, LISTENER);
        assert_eq!(request.priority, 1);
        assert_eq!(request.actions[0].action_type, "fixed-response");
        let json = serde_json::to_value(result).expect("json");
        let rule = &json["Rules"][0];
        assert_eq!(rule["Priority"], "1");
        assert_eq!(rule["IsDefault"], false);
        assert_eq!(rule["Conditions"], maintenance_rule()["Conditions"]);
        assert_eq!(rule["Actions"], maintenance_rule()["Actions"]);
        assert!(rule["RuleArn"]
            .as_str()
            .is_some_and(|a| a.contains(":listener-rule/app/")));
    }

    #[test]
    fn conditions_and_actions_reach_the_sdk_whole() {
        let request: CreateRuleRequest = crate::input::parse(json!({
            "ListenerArn": LISTENER,
            "Priority": 10,
            "Conditions": [
                {"Field": "host-header", "Values": ["www.example.com"]},
                {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Maintenance", "Values": ["on"]}},
                {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "debug", "Value": "1"}]}},
                {"Field": "source-ip", "SourceIpConfig": {"Values": ["203.0.113.0/24"]}},
                {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}
            ],
            "Actions": [
                {"Type": "redirect", "Order": 1, "RedirectConfig": {"StatusCode": "HTTP_302", "Host": "sorry.example.com"}},
                {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg", "Weight": 1}]}}
            ]
        }))
        .expect("valid");
        let conditions: Vec<sdk::RuleCondition> = request.conditions.iter().cloned().map(Into::into).collect();
        assert_eq!(conditions[0].values(), ["www.example.com"]);
        assert_eq!(
            conditions[1].http_header_config().and_then(|h| h.http_header_name()),
            Some("X-Maintenance")
        );
        assert_eq!(conditions[2].query_string_config().map(|q| q.values().len()), Some(1));
        let actions: Vec<sdk::Action> = request.actions.iter().cloned().map(Into::into).collect();
        assert_eq!(actions[0].r#type(), Some(&sdk::ActionTypeEnum::Redirect));
        assert_eq!(
            actions[0].redirect_config().and_then(|r| r.status_code()),
            Some(&sdk::RedirectActionStatusCodeEnum::Http302)
        );
        // And back: the round trip is the identity.
        let back: Vec<RuleCondition> = conditions.into_iter().map(Into::into).collect();
        assert_eq!(back, request.conditions);
        let back: Vec<Action> = actions.into_iter().map(Into::into).collect();
        assert_eq!(back, request.actions);
    }

    #[tokio::test]
    async fn unsupported_or_missing_fields_are_invalid_input() {
        let fake = Fake::default();
        let mut event = maintenance_rule();
        event["Actions"][0]["AuthenticateOidcConfig"] = json!({});
        let err = handle(&fake, event).await.expect_err("unsupported");
        assert!(
            err.to_string()
                .starts_with("input field Actions[0].AuthenticateOidcConfig: unknown field `AuthenticateOidcConfig`"),
            "{err}"
        );
        let mut event = maintenance_rule();
        event["Priority"] = json!("1");
        let err = handle(&fake, event).await.expect_err("a string");
        assert!(
            err.to_string()
                .starts_with("input field Priority: invalid type: string"),
            "{err}"
        );
        let mut event = maintenance_rule();
        event["Conditions"] = json!([]);
        let err = handle(&fake, event).await.expect_err("no condition");
        assert_eq!(err.error_type(), "InvalidInputError");
        assert!(fake.calls().is_empty());
    }
}
