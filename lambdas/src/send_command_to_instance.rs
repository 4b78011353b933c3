//! `send-command-to-instance` (seed 002): sends the shell command of the
//! function's environment to the one instance the state machine chose, with
//! Run Command's own SNS notification of a failed, timed-out or cancelled
//! invocation.
//!
//! Input: `{"InstanceId": "i-0123456789abcdef0"}` (the state machine picks the
//! first online instance of the fleet). Environment: `COMMAND` (the command;
//! it is never read from the event), `NOTIFICATION_TOPIC_ARN` and
//! `NOTIFICATION_ROLE_ARN` (the service role Run Command publishes with; the
//! function may pass that role only). The request is the `SendCommand` input
//! in the API's JSON shape, so what the function sends is unit-tested here and
//! the SDK call is a mechanical translation.

use serde::{Deserialize, Serialize};

/// The environment variable holding the command.
pub const COMMAND_ENV: &str = "COMMAND";
/// The environment variable holding the topic Run Command notifies.
pub const NOTIFICATION_TOPIC_ARN_ENV: &str = "NOTIFICATION_TOPIC_ARN";
/// The environment variable holding the role Run Command publishes with.
pub const NOTIFICATION_ROLE_ARN_ENV: &str = "NOTIFICATION_ROLE_ARN";
/// The command's `executionTimeout` and the request's `TimeoutSeconds` (the seeds' hour).
pub const EXECUTION_TIMEOUT_SECONDS: u32 = 3600;

/// The event: the instance to run the command on.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Request {
    /// The instance id, `i-` and 8 or 17 hexadecimal digits.
    #[serde(rename = "InstanceId")]
    pub instance_id: String,
}

/// What the function reads from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The shell command.
    pub command: String,
    /// The topic Run Command notifies.
    pub notification_topic_arn: String,
    /// The service role Run Command publishes with.
    pub notification_role_arn: String,
}

/// Why the function refuses to send, with a stable error type for Step Functions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// An environment variable is missing or empty (the stack is wrong, not the event).
    #[error("environment variable {0} is missing or empty: the function's configuration is incomplete")]
    Configuration(&'static str),
    /// The event is not a valid request.
    #[error("input field InstanceId: {0}")]
    InvalidInput(String),
}

impl SendError {
    /// The `errorType` reported to Step Functions, which `Catch` matches on.
    pub fn error_type(&self) -> &'static str {
        match self {
            SendError::Configuration(_) => "ConfigurationError",
            SendError::InvalidInput(_) => "InvalidInputError",
        }
    }
}

impl Config {
    /// Reads the configuration through `var` (e.g. `|k| std::env::var(k).ok()`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Config, SendError> {
        let get = |key: &'static str| {
            var(key)
                .filter(|v| !v.trim().is_empty())
                .ok_or(SendError::Configuration(key))
        };
        Ok(Config {
            command: get(COMMAND_ENV)?,
            notification_topic_arn: get(NOTIFICATION_TOPIC_ARN_ENV)?,
            notification_role_arn: get(NOTIFICATION_ROLE_ARN_ENV)?,
        })
    }
}

/// The `SendCommand` request, in the API's JSON shape.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SendCommandInput {
    /// `AWS-RunShellScript`.
    pub document_name: String,
    /// The one instance.
    pub instance_ids: Vec<String>,
    /// `commands` and `executionTimeout`.
    pub parameters: Parameters,
    /// Seconds the command may wait to start on the instance.
    pub timeout_seconds: u32,
    /// The role Run Command publishes notifications with.
    pub service_role_arn: String,
    /// Where and when Run Command notifies.
    pub notification_config: NotificationConfig,
}

/// The parameters of `AWS-RunShellScript`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Parameters {
    /// The command, as one line of the script.
    pub commands: Vec<String>,
    /// Seconds the script may run.
    #[serde(rename = "executionTimeout")]
    pub execution_timeout: Vec<String>,
}

/// Run Command's notification of the command.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationConfig {
    /// The topic.
    pub notification_arn: String,
    /// `TimedOut`, `Cancelled`, `Failed` (as seed 002).
    pub notification_events: Vec<String>,
    /// `Command`: one notice for the command, not one per invocation.
    pub notification_type: String,
}

/// True for `i-` followed by 8 or 17 lower-case hexadecimal digits.
fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// The request for `request`: the configured command on that one instance,
/// with Run Command's notification.
pub fn send_command_input(config: &Config, request: &Request) -> Result<SendCommandInput, SendError> {
    if !is_instance_id(&request.instance_id) {
        return Err(SendError::InvalidInput(format!(
            "'{}' is not an instance id (i- and 8 or 17 hexadecimal digits)",
            request.instance_id
        )));
    }
    Ok(SendCommandInput {
        document_name: "AWS-RunShellScript".to_owned(),
        instance_ids: vec![request.instance_id.clone()],
        parameters: Parameters {
            commands: vec![config.command.clone()],
            execution_timeout: vec![EXECUTION_TIMEOUT_SECONDS.to_string()],
        },
        timeout_seconds: EXECUTION_TIMEOUT_SECONDS,
        service_role_arn: config.notification_role_arn.clone(),
        notification_config: NotificationConfig {
            notification_arn: config.notification_topic_arn.clone(),
            notification_events: ["TimedOut", "Cancelled", "Failed"].map(String::from).to_vec(),
            notification_type: "Command".to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn config() -> Config {
        Config::from_env(env(&[
            ("COMMAND", r#"sudo -u app bash -c 'echo "{\"a\": 1}"'"#),
            (
                "NOTIFICATION_TOPIC_ARN",
                "arn:aws:sns:ap-northeast-1:123456789012:notify",
            ),
            (
                "NOTIFICATION_ROLE_ARN",
                "arn:aws:iam::123456789012:role/RunCommandNotify",
            ),
        ]))
        .expect("complete")
    }

    #[test]
    fn the_request_is_the_send_command_input_with_the_notification() {
        let request: Request = serde_json::from_value(json!({ "InstanceId": "i-0123456789abcdef0" })).expect("input");
        let input = send_command_input(&config(), &request).expect("valid");
        assert_eq!(
            serde_json::to_value(&input).expect("json"),
            json!({
                "DocumentName": "AWS-RunShellScript",
                "InstanceIds": ["i-0123456789abcdef0"],
                "Parameters": {
                    "commands": [r#"sudo -u app bash -c 'echo "{\"a\": 1}"'"#],
                    "executionTimeout": ["3600"]
                },
                "TimeoutSeconds": 3600,
                "ServiceRoleArn": "arn:aws:iam::123456789012:role/RunCommandNotify",
                "NotificationConfig": {
                    "NotificationArn": "arn:aws:sns:ap-northeast-1:123456789012:notify",
                    "NotificationEvents": ["TimedOut", "Cancelled", "Failed"],
                    "NotificationType": "Command"
                }
            })
        );
    }

    #[test]
    fn the_command_comes_from_the_environment_only() {
        // An event that tries to carry a command is read for its instance only.
        let request: Request = serde_json::from_value(json!({ "InstanceId": "i-01234567", "Command": "rm -rf /" }))
            .expect("extra fields are ignored");
        let input = send_command_input(&config(), &request).expect("valid");
        assert_eq!(input.parameters.commands, [config().command]);
    }

    #[test]
    fn bad_input_and_configuration_name_the_field() {
        let err = send_command_input(
            &config(),
            &Request {
                instance_id: "web-1".into(),
            },
        )
        .expect_err("not an instance id");
        assert_eq!(err.error_type(), "InvalidInputError");
        assert!(err.to_string().starts_with("input field InstanceId: 'web-1'"), "{err}");
        let missing = serde_json::from_value::<Request>(json!({})).expect_err("no InstanceId");
        assert!(missing.to_string().contains("InstanceId"), "{missing}");
        let err =
            Config::from_env(env(&[("COMMAND", "uptime"), ("NOTIFICATION_TOPIC_ARN", " ")])).expect_err("incomplete");
        assert_eq!(err, SendError::Configuration("NOTIFICATION_TOPIC_ARN"));
        assert_eq!(err.error_type(), "ConfigurationError");
    }
}
