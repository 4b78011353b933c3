//! What the Run Command patterns share: the handler contract of the `lambdas`
//! binary, the polling of a command, the send permissions scoped by tag, and
//! the checks of a command.

use std::time::Duration;

use indexmap::IndexMap;

use super::maintenance_window_command::{script_problems, MaintenanceScript};
use crate::aws::iam::PolicyStatement;
use crate::aws::lambda::{Code, Function, FunctionProps};
use crate::aws::sns::ITopic;
use crate::aws::stepfunctions::{format_literal, Chainable, Errors, FailProps, JsonPath, LambdaInvoke, SnsPublish};
use crate::aws::stepfunctions::{Recoverable, Retry, StateGraph, Task, TaskInput, TaskProps};
use crate::core::{Scope, Stack, Value};

/// The handler of the `lambdas` binary that sends the command in `COMMAND` to
/// the instances tagged `TAG_KEY` = one of `TAG_VALUES` (seed 000).
pub const SEND_COMMAND_BY_TAG_HANDLER: &str = "send-command-by-tag";
/// The handler that sends the command in `COMMAND` to the one instance named
/// by its input (`{"InstanceId": "i-..."}`), with Run Command's own SNS
/// notification (`NOTIFICATION_TOPIC_ARN`, `NOTIFICATION_ROLE_ARN`) (seed 002).
pub const SEND_COMMAND_TO_INSTANCE_HANDLER: &str = "send-command-to-instance";
/// The handler that looks at a sent command: it returns when every
/// invocation succeeded, fails with [`COMMAND_NOT_YET_COMPLETE_ERROR`] while
/// one is pending or running, and with another error when one ended otherwise.
pub const WAIT_FOR_COMMAND_HANDLER: &str = "wait-for-command";
/// The error `wait-for-command` fails with while the command is not final;
/// the poll is a retrier on it.
pub const COMMAND_NOT_YET_COMPLETE_ERROR: &str = "CommandNotYetCompleteError";
/// The environment variable holding the shell command: the command lives in
/// the function's configuration, never in an event.
pub const COMMAND_ENV: &str = "COMMAND";
/// The environment variable holding the tag key that selects the instances.
pub const TAG_KEY_ENV: &str = "TAG_KEY";
/// The environment variable holding the tag values, as a JSON array of strings.
pub const TAG_VALUES_ENV: &str = "TAG_VALUES";
/// The environment variable holding the topic Run Command notifies.
pub const NOTIFICATION_TOPIC_ARN_ENV: &str = "NOTIFICATION_TOPIC_ARN";
/// The environment variable holding the role Run Command publishes with.
pub const NOTIFICATION_ROLE_ARN_ENV: &str = "NOTIFICATION_ROLE_ARN";

/// Step Functions' longest standard execution: a year, in seconds.
const MAX_EXECUTION_SECONDS: f64 = 31_536_000.0;

/// The error of a command still not final when its polls are used up.
pub const COMMAND_TIMED_OUT_ERROR: &str = "CommandTimedOut";

/// Lambda's limit on the size of a function's environment variables, in bytes.
const ENVIRONMENT_LIMIT: usize = 4096;

/// How a sent command is polled until it is final: a retrier on
/// [`COMMAND_NOT_YET_COMPLETE_ERROR`]. The default is the seed's: every 10 s,
/// at most 360 times (an hour, the command's own execution timeout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommandPolling {
    /// Seconds before the first look again. Default: 10.
    pub interval_seconds: u32,
    /// Looks at most. Default: 360.
    pub max_attempts: u32,
    /// The interval's multiplier per look (1.0: a fixed interval). Default: 1.0.
    pub backoff_rate: f64,
}

impl Default for CommandPolling {
    fn default() -> Self {
        CommandPolling {
            interval_seconds: 10,
            max_attempts: 360,
            backoff_rate: 1.0,
        }
    }
}

impl CommandPolling {
    /// Polls every `interval` for at most `limit` (turned into a count of
    /// looks, `ceil(limit / interval)`, at least one), at a fixed interval.
    ///
    /// ```
    /// use std::time::Duration;
    /// use constructs::patterns::CommandPolling;
    /// let p = CommandPolling::every(Duration::from_secs(30), Duration::from_secs(2 * 3600));
    /// assert_eq!(p.max_attempts, 240);
    /// assert_eq!(p.duration(), Duration::from_secs(2 * 3600));
    /// ```
    pub fn every(interval: Duration, limit: Duration) -> CommandPolling {
        let interval = interval.as_secs().clamp(1, u64::from(u32::MAX));
        let attempts = limit.as_secs().div_ceil(interval).max(1);
        CommandPolling {
            interval_seconds: u32::try_from(interval).unwrap_or(u32::MAX),
            max_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            backoff_rate: 1.0,
        }
    }

    /// The longest the polling waits in all: the sum of the intervals
    /// between looks (at most a year, Step Functions' longest execution).
    pub fn duration(&self) -> Duration {
        let mut total = 0.0_f64;
        let mut interval = f64::from(self.interval_seconds);
        for _ in 0..self.max_attempts {
            total += interval;
            interval *= self.backoff_rate.max(1.0);
            if total >= MAX_EXECUTION_SECONDS {
                break;
            }
        }
        Duration::from_secs_f64(total.clamp(0.0, MAX_EXECUTION_SECONDS))
    }

    /// The state machine's `TimeoutSeconds`, the last resort: the polling's
    /// duration and 30 minutes for sending, the looks themselves and the
    /// notices (at most a year).
    pub(crate) fn machine_timeout(&self) -> Duration {
        let limit = Duration::from_secs_f64(MAX_EXECUTION_SECONDS);
        (self.duration() + Duration::from_secs(30 * 60)).min(limit)
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.interval_seconds == 0 || self.max_attempts == 0 {
            problems.push(format!(
                "polling every {} s at most {} times never looks at the command: give at least 1 for both",
                self.interval_seconds, self.max_attempts
            ));
        }
        if !(self.backoff_rate >= 1.0 && self.backoff_rate.is_finite()) {
            problems.push(format!(
                "polling backoff_rate {} is invalid: Step Functions needs at least 1.0",
                self.backoff_rate
            ));
        }
        problems
    }

    /// The retrier of the wait task.
    pub fn retry(&self) -> Retry {
        Retry {
            errors: vec![COMMAND_NOT_YET_COMPLETE_ERROR.to_owned()],
            interval_seconds: Some(self.interval_seconds),
            max_attempts: Some(self.max_attempts),
            backoff_rate: Some(self.backoff_rate),
            ..Default::default()
        }
    }
}

/// The seed's retrier of a task that failed or timed out: 10 s apart, 6 times.
pub(crate) fn seed_retry(errors: &[&str]) -> Retry {
    Retry {
        errors: errors.iter().map(|e| (*e).to_owned()).collect(),
        interval_seconds: Some(10),
        max_attempts: Some(6),
        backoff_rate: Some(1.0),
        ..Default::default()
    }
}

/// Problems of a command and the tag that selects the instances.
pub(crate) fn command_problems(
    command: &str,
    tag_key: &str,
    tag_values: &[String],
    polling: &CommandPolling,
) -> Vec<String> {
    let mut problems: Vec<String> = script_problems(
        &MaintenanceScript::Shell {
            commands: if command.trim().is_empty() {
                Vec::new()
            } else {
                vec![command.to_owned()]
            },
        },
        &[],
    )
    .into_iter()
    .map(|p| {
        p.replace(
            "the shell script has no commands: give at least one",
            "command is empty: give the shell command to run",
        )
    })
    .collect();
    let size = COMMAND_ENV.len() + command.len();
    if size > ENVIRONMENT_LIMIT - 512 {
        problems.push(format!(
            "command is {} bytes: it is kept in the function's environment, which Lambda limits to 4 KB in all; put the script on the instances (or in S3 with MaintenanceWindowCommand's RemoteS3) and run that",
            command.len()
        ));
    }
    if tag_key.is_empty() {
        problems.push("target_tag_key is empty: give the tag key that selects the instances, e.g. \"Name\"".to_owned());
    }
    if tag_values.is_empty() || tag_values.iter().any(String::is_empty) {
        problems.push(
            "target_tag_values is empty or has an empty value: give the tag values that select the instances"
                .to_owned(),
        );
    }
    problems.extend(polling.problems());
    problems
}

/// `ssm:SendCommand` of `AWS-RunShellScript` to EC2 instances tagged
/// `tag_key` = one of `tag_values` only (`ssm:resourceTag/<key>`).
pub(crate) fn send_command_statements(
    stack: Option<&Stack>,
    tag_key: &str,
    tag_values: &[String],
) -> Vec<PolicyStatement> {
    let (document, instances) = match stack {
        Some(s) => (
            // AWS-owned documents have no account in their ARN.
            s.format_arn("ssm", true, false, "document/AWS-RunShellScript"),
            s.format_arn("ec2", true, true, "instance/*"),
        ),
        None => (Value::from("document/AWS-RunShellScript"), Value::from("instance/*")),
    };
    vec![
        PolicyStatement::allow(["ssm:SendCommand"], [document]),
        PolicyStatement {
            conditions: Some(Value::map().with(
                "StringEquals",
                Value::map().with(
                    format!("ssm:resourceTag/{tag_key}"),
                    Value::list(tag_values.iter().map(String::as_str)),
                ),
            )),
            ..PolicyStatement::allow(["ssm:SendCommand"], [instances])
        },
    ]
}

/// A function of the handler binary with a 60 s timeout (the seed's).
pub(crate) fn handler_function(
    scope: &impl Scope,
    id: &str,
    code: &Code,
    handler: &str,
    description: String,
    environment: IndexMap<String, Value>,
) -> Function {
    Function::new(
        scope,
        id,
        FunctionProps {
            code: code.clone(),
            handler: handler.to_owned(),
            description: Some(description),
            timeout: Duration::from_secs(60),
            environment,
            ..Default::default()
        },
    )
}

/// The `wait-for-command` function, allowed to read command invocations
/// (those actions have no resource-level permissions).
pub(crate) fn wait_function(scope: &impl Scope, code: &Code) -> Function {
    let f = handler_function(
        scope,
        "WaitForCommandFunction",
        code,
        WAIT_FOR_COMMAND_HANDLER,
        "Looks at a Run Command; fails with CommandNotYetCompleteError until it is final".to_owned(),
        IndexMap::new(),
    );
    f.role().grant(
        ["ssm:ListCommandInvocations", "ssm:GetCommandInvocation"],
        [Value::from("*")],
    );
    f
}

/// A Lambda task whose output is the function's result (`OutputPath: $.Payload`).
pub(crate) fn invoke(g: &StateGraph, name: &str, function: &Function, payload: TaskInput) -> Task {
    g.task(
        name,
        LambdaInvoke {
            payload,
            ..LambdaInvoke::new(function)
        },
        TaskProps {
            output_path: Some("$.Payload".into()),
            ..Default::default()
        },
    )
}

/// The wait task: polls with `polling`, and retries a timed-out invocation as the seed does.
pub(crate) fn wait_task(g: &StateGraph, function: &Function, polling: &CommandPolling) -> Task {
    invoke(g, "WaitForCommandExecutions", function, TaskInput::whole_input())
        .add_retry(polling.retry())
        .add_retry(seed_retry(&[Errors::TIMEOUT]))
}

/// The path of a command whose polls are used up: a catcher of
/// [`COMMAND_NOT_YET_COMPLETE_ERROR`] on the wait task goes to
/// `NotifyTimedOut` (publishes the state, with the error under `Error`, to
/// `topic`), then to the Fail state `CommandTimedOut`, whose cause names the
/// job, the instances' tag, the polls and the last look. Returns the notice.
pub(crate) fn timed_out_path(
    g: &StateGraph,
    id: &str,
    topic: &dyn ITopic,
    polling: &CommandPolling,
    targets: &str,
) -> Task {
    let notify = g.task(
        NOTIFY_TIMED_OUT,
        SnsPublish {
            subject: Some(TaskInput::Value(subject(&format!("{id} timed out")).into())),
            ..SnsPublish::new(topic, TaskInput::whole_input())
        },
        TaskProps {
            result_path: Some(JsonPath::Null),
            ..Default::default()
        },
    );
    let cause = format!(
        "{}: the command sent to {} was still not final after {} polls ({} s); last look: {{}}",
        format_literal(id),
        format_literal(targets),
        polling.max_attempts,
        polling.duration().as_secs()
    );
    notify.next(&g.fail(
        COMMAND_TIMED_OUT,
        FailProps {
            error: Some(COMMAND_TIMED_OUT_ERROR.into()),
            cause_path: Some(format!("States.Format('{cause}', $.Error.Cause)")),
            ..Default::default()
        },
    ));
    notify
}

/// The name of the notice of a command whose polls are used up.
pub(crate) const NOTIFY_TIMED_OUT: &str = "NotifyTimedOut";
/// The name of the Fail state of a command whose polls are used up.
pub(crate) const COMMAND_TIMED_OUT: &str = "CommandTimedOut";

/// A subject for SNS e-mail: printable ASCII, at most 100 characters.
pub(crate) fn subject(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '-' })
        .collect();
    clean.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_polling_is_the_seeds() {
        let r = CommandPolling::default().retry().to_json();
        assert_eq!(
            r,
            serde_json::json!({
                "ErrorEquals": ["CommandNotYetCompleteError"],
                "IntervalSeconds": 10,
                "MaxAttempts": 360,
                "BackoffRate": 1.0
            })
        );
    }

    #[test]
    fn command_problems_explain_themselves() {
        let p = command_problems("", "", &[], &CommandPolling::default());
        assert!(p.iter().any(|e| e.contains("command is empty")), "{p:?}");
        assert!(p.iter().any(|e| e.contains("target_tag_key is empty")), "{p:?}");
        assert!(p.iter().any(|e| e.contains("target_tag_values is empty")), "{p:?}");
        let p = command_problems(
            "echo {{ssm-secure:/db/password}}",
            "Name",
            &["web".into()],
            &CommandPolling {
                backoff_rate: 0.5,
                ..Default::default()
            },
        );
        assert!(p.iter().any(|e| e.contains("SecureString")), "{p:?}");
        assert!(p.iter().any(|e| e.contains("backoff_rate 0.5")), "{p:?}");
        let p = command_problems(&"x".repeat(4000), "Name", &["web".into()], &CommandPolling::default());
        assert!(p.iter().any(|e| e.contains("4 KB")), "{p:?}");
        assert!(command_problems("uptime", "Name", &["web".into()], &CommandPolling::default()).is_empty());
    }

    #[test]
    fn subjects_are_printable_ascii_within_100_characters() {
        assert_eq!(subject("夜間バッチ succeeded"), "----- succeeded");
        assert_eq!(subject(&"a".repeat(150)).len(), 100);
    }
}
