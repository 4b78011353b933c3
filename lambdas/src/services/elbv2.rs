//! Elastic Load Balancing v2: create and delete listener rules (the
//! maintenance page), and read the health of a target group's targets.
//!
//! Conditions and actions mirror the API's JSON both ways: the request's
//! `Conditions` and `Actions` are read into them, and the created rule is
//! reported with them. The authentication actions (`authenticate-oidc`,
//! `authenticate-cognito`) and JWT validation are not supported: a rule for
//! a maintenance page does not need them, and an unknown field is an
//! `InvalidInputError` rather than silently dropped.

use std::future::Future;

use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
use aws_sdk_elasticloadbalancingv2::types as sdk;
use serde::{Deserialize, Serialize};

use super::text;
use crate::error::HandlerError;

/// The Elastic Load Balancing calls the handlers make.
pub trait Elbv2Api {
    /// `CreateRule`; the rules created.
    fn create_rule(
        &self,
        request: CreateRuleRequest,
    ) -> impl Future<Output = Result<Vec<sdk::Rule>, HandlerError>> + Send;
    /// `DeleteRule`.
    fn delete_rule(&self, request: DeleteRuleRequest) -> impl Future<Output = Result<(), HandlerError>> + Send;
    /// `DescribeTargetHealth`.
    fn describe_target_health(
        &self,
        request: DescribeTargetHealthRequest,
    ) -> impl Future<Output = Result<DescribeTargetHealthOutput, HandlerError>> + Send;
}

/// Values of a condition: `{"Values": ["/maintenance/*"]}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ValuesConfig {
    /// The values, any of which matches.
    #[serde(default)]
    pub values: Vec<String>,
}

/// An HTTP header condition: `{"HttpHeaderName": "User-Agent", "Values": ["*Mobile*"]}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HttpHeaderConfig {
    /// The header.
    pub http_header_name: String,
    /// The values, any of which matches.
    #[serde(default)]
    pub values: Vec<String>,
}

/// A query string key/value pair; an absent key matches any key.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct QueryStringKeyValue {
    /// The key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value.
    pub value: String,
}

/// A query string condition.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct QueryStringConfig {
    /// The pairs, any of which matches.
    #[serde(default)]
    pub values: Vec<QueryStringKeyValue>,
}

/// A rule condition: `{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}`
/// (or the older `{"Field": "path-pattern", "Values": ["/*"]}`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RuleCondition {
    /// `host-header`, `path-pattern`, `http-header`, `query-string`, `http-request-method` or `source-ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values of a `host-header` or `path-pattern` condition (the older form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Host names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_header_config: Option<ValuesConfig>,
    /// Path patterns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_pattern_config: Option<ValuesConfig>,
    /// An HTTP header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_header_config: Option<HttpHeaderConfig>,
    /// Query string pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_config: Option<QueryStringConfig>,
    /// HTTP methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_request_method_config: Option<ValuesConfig>,
    /// Source CIDR blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip_config: Option<ValuesConfig>,
}

/// A fixed response: the maintenance page.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FixedResponseConfig {
    /// The HTTP status code, e.g. `503`.
    pub status_code: String,
    /// `text/plain`, `text/css`, `text/html`, `application/javascript` or `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body, at most 1,024 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_body: Option<String>,
}

/// A redirect.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RedirectConfig {
    /// `HTTP_301` or `HTTP_302`.
    pub status_code: String,
    /// `HTTP`, `HTTPS` or `#{protocol}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The port, or `#{port}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The host, or `#{host}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The path, or `/#{path}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The query, or `#{query}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// A weighted target group of a forward action.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetGroupTuple {
    /// The target group.
    pub target_group_arn: String,
    /// Its weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// Stickiness across the target groups of a forward action.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetGroupStickinessConfig {
    /// Whether it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// How long, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i32>,
}

/// A forward to one or more target groups.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ForwardConfig {
    /// The target groups.
    #[serde(default)]
    pub target_groups: Vec<TargetGroupTuple>,
    /// Stickiness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_stickiness_config: Option<TargetGroupStickinessConfig>,
}

/// A rule action: `{"Type": "fixed-response", "FixedResponseConfig": {...}}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Action {
    /// `forward`, `redirect` or `fixed-response`.
    #[serde(rename = "Type")]
    pub action_type: String,
    /// The order among the rule's actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<i32>,
    /// The target group of a simple `forward`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// The response of `fixed-response`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_response_config: Option<FixedResponseConfig>,
    /// The redirect of `redirect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_config: Option<RedirectConfig>,
    /// The target groups of a weighted `forward`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_config: Option<ForwardConfig>,
}

/// A tag of the rule.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The `CreateRule` request: the listener, a free priority, conditions and actions.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreateRuleRequest {
    /// The listener.
    pub listener_arn: String,
    /// The priority, 1 to 50,000, unique on the listener (lower wins).
    pub priority: i32,
    /// The conditions, all of which must match.
    pub conditions: Vec<RuleCondition>,
    /// The actions.
    pub actions: Vec<Action>,
    /// Tags of the rule.
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
}

/// The `DeleteRule` request: `{"RuleArn": "arn:aws:elasticloadbalancing:...:listener-rule/app/..."}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteRuleRequest {
    /// The rule.
    pub rule_arn: String,
}

/// A target: `{"Id": "i-...", "Port": 80}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetDescription {
    /// The instance id, IP address, Lambda ARN or ALB ARN.
    pub id: String,
    /// The port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// The Availability Zone (`all` for targets outside the VPC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// The `DescribeTargetHealth` request: `{"TargetGroupArn": ..., "Targets": [...]}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DescribeTargetHealthRequest {
    /// The target group.
    pub target_group_arn: String,
    /// The targets; all of them when absent.
    #[serde(default)]
    pub targets: Option<Vec<TargetDescription>>,
}

/// A listener rule, as `CreateRule` reports it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    /// The rule's ARN, which `DeleteRule` takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
    /// The priority, as text (`default` for the default rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// The conditions.
    pub conditions: Vec<RuleCondition>,
    /// The actions.
    pub actions: Vec<Action>,
    /// Whether it is the listener's default rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
}

/// The result of `CreateRule`: `{"Rules": [{"RuleArn": ...}]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRuleResult {
    /// The rule created.
    pub rules: Vec<Rule>,
}

impl From<Vec<sdk::Rule>> for CreateRuleResult {
    fn from(rules: Vec<sdk::Rule>) -> Self {
        CreateRuleResult {
            rules: rules
                .into_iter()
                .map(|r| Rule {
                    rule_arn: r.rule_arn,
                    priority: r.priority,
                    conditions: r.conditions.unwrap_or_default().into_iter().map(Into::into).collect(),
                    actions: r.actions.unwrap_or_default().into_iter().map(Into::into).collect(),
                    is_default: r.is_default,
                })
                .collect(),
        }
    }
}

/// A target's health: `{"State": "healthy"}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealth {
    /// `initial`, `healthy`, `unhealthy`, `unhealthy.draining`, `unused`, `draining` or `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why it is not healthy, e.g. `Target.FailedHealthChecks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One target and its health.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealthDescription {
    /// The target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetDescription>,
    /// The port the health check uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_port: Option<String>,
    /// Its health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_health: Option<TargetHealth>,
}

/// The result of `DescribeTargetHealth`: `{"TargetHealthDescriptions": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetHealthResult {
    /// Each target's health.
    pub target_health_descriptions: Vec<TargetHealthDescription>,
}

impl From<DescribeTargetHealthOutput> for DescribeTargetHealthResult {
    fn from(o: DescribeTargetHealthOutput) -> Self {
        DescribeTargetHealthResult {
            target_health_descriptions: o
                .target_health_descriptions
                .unwrap_or_default()
                .into_iter()
                .map(|d| TargetHealthDescription {
                    target: d.target.map(|t| TargetDescription {
                        id: t.id.unwrap_or_default(),
                        port: t.port,
                        availability_zone: t.availability_zone,
                    }),
                    health_check_port: d.health_check_port,
                    target_health: d.target_health.map(|h| TargetHealth {
                        state: text(h.state),
                        reason: text(h.reason),
                        description: h.description,
                    }),
                })
                .collect(),
        }
    }
}

impl From<RuleCondition> for sdk::RuleCondition {
    fn from(c: RuleCondition) -> Self {
        sdk::RuleCondition::builder()
            .set_field(c.field)
            .set_values(c.values)
            .set_host_header_config(c.host_header_config.map(|h| {
                sdk::HostHeaderConditionConfig::builder()
                    .set_values(Some(h.values))
                    .build()
            }))
            .set_path_pattern_config(c.path_pattern_config.map(|p| {
                sdk::PathPatternConditionConfig::builder()
                    .set_values(Some(p.values))
                    .build()
            }))
            .set_http_header_config(c.http_header_config.map(|h| {
                sdk::HttpHeaderConditionConfig::builder()
                    .http_header_name(h.http_header_name)
                    .set_values(Some(h.values))
                    .build()
            }))
            .set_query_string_config(c.query_string_config.map(|q| {
                sdk::QueryStringConditionConfig::builder()
                    .set_values(Some(
                        q.values
                            .into_iter()
                            .map(|kv| {
                                sdk::QueryStringKeyValuePair::builder()
                                    .set_key(kv.key)
                                    .value(kv.value)
                                    .build()
                            })
                            .collect(),
                    ))
                    .build()
            }))
            .set_http_request_method_config(c.http_request_method_config.map(|m| {
                sdk::HttpRequestMethodConditionConfig::builder()
                    .set_values(Some(m.values))
                    .build()
            }))
            .set_source_ip_config(c.source_ip_config.map(|s| {
                sdk::SourceIpConditionConfig::builder()
                    .set_values(Some(s.values))
                    .build()
            }))
            .build()
    }
}

impl From<sdk::RuleCondition> for RuleCondition {
    fn from(c: sdk::RuleCondition) -> Self {
        let config = |v: Option<Vec<String>>| ValuesConfig {
            values: v.unwrap_or_default(),
        };
        RuleCondition {
            field: c.field,
            values: c.values,
            host_header_config: c.host_header_config.map(|h| config(h.values)),
            path_pattern_config: c.path_pattern_config.map(|p| config(p.values)),
            http_header_config: c.http_header_config.map(|h| HttpHeaderConfig {
                http_header_name: h.http_header_name.unwrap_or_default(),
                values: h.values.unwrap_or_default(),
            }),
            query_string_config: c.query_string_config.map(|q| QueryStringConfig {
                values: q
                    .values
                    .unwrap_or_default()
                    .into_iter()
                    .map(|kv| QueryStringKeyValue {
                        key: kv.key,
                        value: kv.value.unwrap_or_default(),
                    })
                    .collect(),
            }),
            http_request_method_config: c.http_request_method_config.map(|m| config(m.values)),
            source_ip_config: c.source_ip_config.map(|s| config(s.values)),
        }
    }
}

impl From<Action> for sdk::Action {
    fn from(a: Action) -> Self {
        sdk::Action::builder()
            .r#type(sdk::ActionTypeEnum::from(a.action_type.as_str()))
            .set_order(a.order)
            .set_target_group_arn(a.target_group_arn)
            .set_fixed_response_config(a.fixed_response_config.map(|f| {
                sdk::FixedResponseActionConfig::builder()
                    .status_code(f.status_code)
                    .set_content_type(f.content_type)
                    .set_message_body(f.message_body)
                    .build()
            }))
            .set_redirect_config(a.redirect_config.map(|r| {
                sdk::RedirectActionConfig::builder()
                    .status_code(sdk::RedirectActionStatusCodeEnum::from(r.status_code.as_str()))
                    .set_protocol(r.protocol)
                    .set_port(r.port)
                    .set_host(r.host)
                    .set_path(r.path)
                    .set_query(r.query)
                    .build()
            }))
            .set_forward_config(a.forward_config.map(|f| {
                sdk::ForwardActionConfig::builder()
                    .set_target_groups(Some(
                        f.target_groups
                            .into_iter()
                            .map(|t| {
                                sdk::TargetGroupTuple::builder()
                                    .target_group_arn(t.target_group_arn)
                                    .set_weight(t.weight)
                                    .build()
                            })
                            .collect(),
                    ))
                    .set_target_group_stickiness_config(f.target_group_stickiness_config.map(|s| {
                        sdk::TargetGroupStickinessConfig::builder()
                            .set_enabled(s.enabled)
                            .set_duration_seconds(s.duration_seconds)
                            .build()
                    }))
                    .build()
            }))
            .build()
    }
}

impl From<sdk::Action> for Action {
    fn from(a: sdk::Action) -> Self {
        Action {
            action_type: text(a.r#type).unwrap_or_default(),
            order: a.order,
            target_group_arn: a.target_group_arn,
            fixed_response_config: a.fixed_response_config.map(|f| FixedResponseConfig {
                status_code: f.status_code.unwrap_or_default(),
                content_type: f.content_type,
                message_body: f.message_body,
            }),
            redirect_config: a.redirect_config.map(|r| RedirectConfig {
                status_code: text(r.status_code).unwrap_or_default(),
                protocol: r.protocol,
                port: r.port,
                host: r.host,
                path: r.path,
                query: r.query,
            }),
            forward_config: a.forward_config.map(|f| ForwardConfig {
                target_groups: f
                    .target_groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| TargetGroupTuple {
                        target_group_arn: t.target_group_arn.unwrap_or_default(),
                        weight: t.weight,
                    })
                    .collect(),
                target_group_stickiness_config: f.target_group_stickiness_config.map(|s| TargetGroupStickinessConfig {
                    enabled: s.enabled,
                    duration_seconds: s.duration_seconds,
                }),
            }),
        }
    }
}

impl Elbv2Api for aws_sdk_elasticloadbalancingv2::Client {
    async fn create_rule(&self, r: CreateRuleRequest) -> Result<Vec<sdk::Rule>, HandlerError> {
        let tags = r.tags.map(|ts| {
            ts.into_iter()
                .map(|t| sdk::Tag::builder().key(t.key).set_value(t.value).build())
                .collect()
        });
        aws_sdk_elasticloadbalancingv2::Client::create_rule(self)
            .listener_arn(r.listener_arn)
            .priority(r.priority)
            .set_conditions(Some(r.conditions.into_iter().map(Into::into).collect()))
            .set_actions(Some(r.actions.into_iter().map(Into::into).collect()))
            .set_tags(tags)
            .send()
            .await
            .map(|o| o.rules.unwrap_or_default())
            .map_err(|e| HandlerError::aws("CreateRule", e))
    }

    async fn delete_rule(&self, r: DeleteRuleRequest) -> Result<(), HandlerError> {
        aws_sdk_elasticloadbalancingv2::Client::delete_rule(self)
            .rule_arn(r.rule_arn)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| HandlerError::aws("DeleteRule", e))
    }

    async fn describe_target_health(
        &self,
        r: DescribeTargetHealthRequest,
    ) -> Result<DescribeTargetHealthOutput, HandlerError> {
        let targets = r.targets.map(|ts| {
            ts.into_iter()
                .map(|t| {
                    sdk::TargetDescription::builder()
                        .id(t.id)
                        .set_port(t.port)
                        .set_availability_zone(t.availability_zone)
                        .build()
                })
                .collect()
        });
        aws_sdk_elasticloadbalancingv2::Client::describe_target_health(self)
            .target_group_arn(r.target_group_arn)
            .set_targets(targets)
            .send()
            .await
            .map_err(|e| HandlerError::aws("DescribeTargetHealth", e))
    }
}
