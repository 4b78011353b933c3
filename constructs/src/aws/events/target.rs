//! What a rule target is ([`IRuleTarget`]), the entry it renders
//! ([`RuleTargetConfig`]), its input and its retry policy.

use std::time::Duration;

use crate::aws::iam::RoleArn;
use crate::cfn::events::rule;
use crate::core::Value;

use super::rule::Rule;

/// The most retries EventBridge allows a target.
const MAX_RETRY_ATTEMPTS: u32 = 185;
/// The shortest and longest event age EventBridge allows, in seconds.
const EVENT_AGE_SECONDS: std::ops::RangeInclusive<u64> = 60..=86_400;

/// Something a rule can send events to (the CDK's `IRuleTarget`): bound once
/// when added with [`Rule::add_target`], it creates what the target needs
/// (permissions, a role) and returns its `Targets` entry.
///
/// ```
/// use constructs::aws::events::{IRuleTarget, Rule, RuleProps, RuleTargetConfig, Schedule};
/// use constructs::core::{App, Stack, StackProps, Value};
/// struct Queue(&'static str);
/// impl IRuleTarget for Queue {
///     fn bind(&self, _rule: &Rule, _id: &str) -> RuleTargetConfig {
///         RuleTargetConfig::new(Value::from(self.0))
///     }
/// }
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let rule = Rule::new(&stack, "R", RuleProps { schedule: Some(Schedule::cron("0 1 * * ? *")), ..Default::default() });
/// rule.add_target(&Queue("arn:aws:sqs:us-east-1:123456789012:jobs"));
/// assert!(app.synth().is_ok());
/// ```
pub trait IRuleTarget {
    /// Creates what the target needs for `rule` (the entry's id is `id`) and
    /// returns the entry.
    fn bind(&self, rule: &Rule, id: &str) -> RuleTargetConfig;
}

/// What a rule passes to a target (the CDK's `RuleTargetInput`). Default: the matched event.
///
/// ```
/// use constructs::aws::events::{RuleTargetConfig, RuleTargetInput};
/// let fixed = RuleTargetConfig {
///     input: Some(RuleTargetInput::from_object(serde_json::json!({"mode": "full"}))),
///     ..RuleTargetConfig::new("arn:aws:sqs:us-east-1:123456789012:jobs".into())
/// };
/// assert!(fixed.input.is_some());
/// ```
#[derive(Clone, Debug)]
pub enum RuleTargetInput {
    /// A JSON document, rendered as `Input` text (`from_object(json!({}))` is `"{}"`).
    Object(serde_json::Value),
    /// A text, rendered as a JSON string in `Input` (`"text"`, quotes included).
    Text(String),
    /// A JSONPath into the event (`InputPath`), e.g. `$.detail`.
    EventPath(String),
    /// An `Input` value as given (it must be JSON text; may be a reference).
    Raw(Value),
}

impl RuleTargetInput {
    /// A JSON document.
    pub fn from_object(object: serde_json::Value) -> RuleTargetInput {
        RuleTargetInput::Object(object)
    }

    /// A text.
    pub fn from_text(text: impl Into<String>) -> RuleTargetInput {
        RuleTargetInput::Text(text.into())
    }

    /// A part of the event.
    pub fn from_event_path(path: impl Into<String>) -> RuleTargetInput {
        RuleTargetInput::EventPath(path.into())
    }

    /// The target's `Input` and `InputPath`, one of them set.
    fn entry(&self) -> (Option<Value>, Option<Value>) {
        match self {
            RuleTargetInput::Object(o) => (Some(o.to_string().into()), None),
            RuleTargetInput::Text(t) => (Some(serde_json::Value::from(t.as_str()).to_string().into()), None),
            RuleTargetInput::EventPath(p) => (None, Some(p.as_str().into())),
            RuleTargetInput::Raw(v) => (Some(v.clone()), None),
        }
    }
}

/// How EventBridge retries a target it could not reach (`RetryPolicy`).
/// Unset fields keep EventBridge's defaults (185 attempts, 24 hours); values
/// out of range are errors at synthesis naming the rule.
///
/// ```
/// use std::time::Duration;
/// use constructs::aws::events::{RetryPolicy, RuleTargetConfig};
/// let patient = RuleTargetConfig {
///     retry_policy: Some(RetryPolicy {
///         maximum_retry_attempts: Some(3),
///         maximum_event_age: Some(Duration::from_secs(600)),
///     }),
///     ..RuleTargetConfig::new("arn:aws:sqs:us-east-1:123456789012:jobs".into())
/// };
/// assert!(patient.retry_policy.is_some());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// At most this many retries, 0 to 185. Default: EventBridge's (185).
    pub maximum_retry_attempts: Option<u32>,
    /// Give up on events older than this, 60 s to 24 h in whole seconds.
    /// Default: EventBridge's (24 hours).
    pub maximum_event_age: Option<Duration>,
}

impl RetryPolicy {
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(n) = self.maximum_retry_attempts {
            if n > MAX_RETRY_ATTEMPTS {
                out.push(format!(
                    "maximum_retry_attempts {n} is out of range: EventBridge allows 0 to {MAX_RETRY_ATTEMPTS}"
                ));
            }
        }
        if let Some(age) = self.maximum_event_age {
            if age.subsec_nanos() != 0 || !EVENT_AGE_SECONDS.contains(&age.as_secs()) {
                out.push(format!(
                    "maximum_event_age {age:?} is out of range: EventBridge allows 60 s to 24 h, in whole seconds"
                ));
            }
        }
        out
    }

    fn to_value(self) -> Value {
        rule::RetryPolicy {
            maximum_event_age_in_seconds: self.maximum_event_age.map(|age| age.as_secs().into()),
            maximum_retry_attempts: self.maximum_retry_attempts.map(Value::from),
        }
        .into()
    }
}

/// The order in which the CDK renders a target's fields (its `Rule` builds the
/// entry by hand, not alphabetically); the templates keep it. A field not listed
/// (none is set today) would come last.
const CDK_TARGET_ORDER: [&str; 8] = [
    "Arn",
    "Id",
    "RoleArn",
    "Input",
    "InputPath",
    "RetryPolicy",
    "DeadLetterConfig",
    "SqsParameters",
];

/// A rule's `Targets` entry, as a target's [`IRuleTarget::bind`] returns it.
/// It is itself a target (bound as it is), an escape hatch for any target type.
#[derive(Clone, Debug, Default)]
pub struct RuleTargetConfig {
    /// The target's ARN. Required.
    pub arn: Value,
    /// The role EventBridge assumes to reach the target. Default: none (the
    /// target's resource policy allows EventBridge).
    pub role: Option<RoleArn>,
    /// What is sent. Default: the matched event.
    pub input: Option<RuleTargetInput>,
    /// Retries. Default: none (EventBridge's defaults).
    pub retry_policy: Option<RetryPolicy>,
    /// The ARN of an SQS queue that takes events that could not be delivered
    /// (`DeadLetterConfig`). Default: none. The targets of
    /// `aws::events_targets` take a typed queue (`dead_letter_queue`) and
    /// allow EventBridge to send to it.
    pub dead_letter_arn: Option<Value>,
    /// The message group of a FIFO queue target (`SqsParameters.MessageGroupId`). Default: none.
    pub sqs_message_group_id: Option<Value>,
}

impl RuleTargetConfig {
    /// An entry sending the matched event to `arn`.
    pub fn new(arn: Value) -> RuleTargetConfig {
        RuleTargetConfig {
            arn,
            ..Default::default()
        }
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        self.retry_policy.map(|r| r.problems()).unwrap_or_default()
    }

    /// The entry as the template has it, its fields in the CDK's order (see [`CDK_TARGET_ORDER`]).
    pub(crate) fn render(&self, id: &str) -> Value {
        let (input, input_path) = self.input.as_ref().map(RuleTargetInput::entry).unwrap_or_default();
        let target = rule::Target {
            arn: Some(self.arn.clone()),
            id: Some(id.into()),
            role_arn: self.role.as_ref().map(RoleArn::value),
            input,
            input_path,
            retry_policy: self.retry_policy.map(RetryPolicy::to_value),
            dead_letter_config: self
                .dead_letter_arn
                .clone()
                .map(|arn| rule::DeadLetterConfig { arn: Some(arn) }.into()),
            sqs_parameters: self.sqs_message_group_id.clone().map(|g| {
                rule::SqsParameters {
                    message_group_id: Some(g),
                }
                .into()
            }),
            ..Default::default()
        };
        match Value::from(target) {
            Value::Map(mut fields) => {
                let rank = |key: &str| CDK_TARGET_ORDER.iter().position(|k| *k == key).unwrap_or(usize::MAX);
                fields.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
                Value::Map(fields)
            }
            other => other,
        }
    }
}

impl IRuleTarget for RuleTargetConfig {
    fn bind(&self, _rule: &Rule, _id: &str) -> RuleTargetConfig {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_render_as_eventbridge_reads_them() {
        let entry = |i: RuleTargetInput| {
            RuleTargetConfig {
                input: Some(i),
                ..RuleTargetConfig::new("arn".into())
            }
            .render("Target0")
        };
        let json = |v: Value| format!("{v:?}");
        assert!(json(entry(RuleTargetInput::from_object(serde_json::json!({"a": 1})))).contains(r#"Str("{\"a\":1}")"#));
        assert!(json(entry(RuleTargetInput::from_text("hi"))).contains(r#"Str("\"hi\"")"#));
        assert!(json(entry(RuleTargetInput::from_event_path("$.detail"))).contains("InputPath"));
    }

    #[test]
    fn retry_policy_limits_are_checked() {
        let ok = RetryPolicy {
            maximum_retry_attempts: Some(0),
            maximum_event_age: Some(Duration::from_secs(60)),
        };
        assert!(ok.problems().is_empty());
        let bad = RetryPolicy {
            maximum_retry_attempts: Some(186),
            maximum_event_age: Some(Duration::from_secs(59)),
        };
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
    }
}
