//! `send-command-to-instance` (seed 002): sends the shell command of the
//! function's environment to the one instance the state machine chose, with
//! Run Command's own SNS notification of a failed, timed-out or cancelled
//! invocation.
//!
//! Input: `{"InstanceId": "i-0123456789abcdef0"}` (the state machine picks the
//! first online instance of the fleet). Environment: `COMMAND` (the command;
//! it is never read from the event), `NOTIFICATION_TOPIC_ARN` and
//! `NOTIFICATION_ROLE_ARN` (the service role Run Command publishes with; the
//! function may pass that role only). Output: the `SendCommand` result,
//! `{"Command": {"CommandId", ...}}`, which `wait-for-command` takes. IAM:
//! `ssm:SendCommand` on the document `AWS-RunShellScript` and the instances,
//! `iam:PassRole` of the notification role to `ssm.amazonaws.com`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::HandlerError;
use crate::input::{parse, Env};
use crate::services::ssm::{NotificationConfig, SendCommandRequest, SendCommandResult, SsmApi};

/// The environment variable holding the command.
pub const COMMAND_ENV: &str = "COMMAND";
/// The environment variable holding the topic Run Command notifies.
pub const NOTIFICATION_TOPIC_ARN_ENV: &str = "NOTIFICATION_TOPIC_ARN";
/// The environment variable holding the role Run Command publishes with.
pub const NOTIFICATION_ROLE_ARN_ENV: &str = "NOTIFICATION_ROLE_ARN";
/// The command's `executionTimeout` and the request's `TimeoutSeconds` (the seeds' hour).
pub const EXECUTION_TIMEOUT_SECONDS: i32 = 3600;

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

impl Config {
    /// Reads the configuration; a missing or blank variable is a `ConfigurationError`.
    pub fn from_env(env: &impl Env) -> Result<Config, HandlerError> {
        Ok(Config {
            command: env.required(COMMAND_ENV)?,
            notification_topic_arn: env.required(NOTIFICATION_TOPIC_ARN_ENV)?,
            notification_role_arn: env.required(NOTIFICATION_ROLE_ARN_ENV)?,
        })
    }
}

/// True for `i-` followed by 8 or 17 lower-case hexadecimal digits.
fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// The request for `request`: the configured command on that one instance,
/// with Run Command's notification.
pub fn send_command_request(config: &Config, request: &Request) -> Result<SendCommandRequest, HandlerError> {
    if !is_instance_id(&request.instance_id) {
        return Err(HandlerError::invalid_input(format!(
            "input field InstanceId: '{}' is not an instance id (i- and 8 or 17 hexadecimal digits)",
            request.instance_id
        )));
    }
    Ok(SendCommandRequest {
        document_name: "AWS-RunShellScript".to_owned(),
        instance_ids: Some(vec![request.instance_id.clone()]),
        parameters: BTreeMap::from([
            ("commands".to_owned(), vec![config.command.clone()]),
            (
                "executionTimeout".to_owned(),
                vec![EXECUTION_TIMEOUT_SECONDS.to_string()],
            ),
        ]),
        timeout_seconds: Some(EXECUTION_TIMEOUT_SECONDS),
        service_role_arn: Some(config.notification_role_arn.clone()),
        notification_config: Some(NotificationConfig {
            notification_arn: config.notification_topic_arn.clone(),
            notification_events: ["TimedOut", "Cancelled", "Failed"].map(String::from).to_vec(),
            notification_type: "Command".to_owned(),
        }),
        ..Default::default()
    })
}

/// Sends the configured command to the instance of the event.
pub async fn handle(ssm: &impl SsmApi, env: &impl Env, event: Value) -> Result<SendCommandResult, HandlerError> {
    let request: Request = parse(event)?;
    let config = Config::from_env(env)?;
    let input = send_command_request(&config, &request)?;
    Ok(ssm.send_command(input).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ssm::operation::send_command::SendCommandOutput;
    use aws_sdk_ssm::types::Command;
    use serde_json::json;

    const COMMAND: &str = r#"sudo -u app bash -c 'echo "{\"a\": 1}"'"#;

    fn configured() -> impl Fn(&str) -> Option<String> {
        env(&[
            ("COMMAND", COMMAND),
            (
                "NOTIFICATION_TOPIC_ARN",
                "arn:aws:sns:ap-northeast-1:123456789012:notify",
            ),
            (
                "NOTIFICATION_ROLE_ARN",
                "arn:aws:iam::123456789012:role/RunCommandNotify",
            ),
        ])
    }

    #[tokio::test]
    async fn the_request_is_the_send_command_input_with_the_notification() {
        let fake = Fake::answering([Answer::SendCommand(
            SendCommandOutput::builder()
                .command(Command::builder().command_id("c-1").build())
                .build(),
        )]);
        let result = handle(&fake, &configured(), json!({ "InstanceId": "i-0123456789abcdef0" }))
            .await
            .expect("sent");
        let calls = fake.calls();
        let [Call::SendCommand(input)] = calls.as_slice() else {
            panic!("one SendCommand call: {:?}", calls);
        };
        assert_eq!(
            serde_json::to_value(input).expect("json"),
            json!({
                "DocumentName": "AWS-RunShellScript",
                "InstanceIds": ["i-0123456789abcdef0"],
                "Parameters": {
                    "commands": [COMMAND],
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
        assert_eq!(
            serde_json::to_value(result).expect("json")["Command"]["CommandId"],
            "c-1"
        );
    }

    #[test]
    fn the_command_comes_from_the_environment_only() {
        // An event that tries to carry a command is read for its instance only.
        let request: Request =
            parse(json!({ "InstanceId": "i-01234567", "Command": "rm -rf /" })).expect("extra fields are ignored");
        let config = Config::from_env(&configured()).expect("complete");
        let input = send_command_request(&config, &request).expect("valid");
        assert_eq!(input.parameters["commands"], [COMMAND]);
    }

    #[tokio::test]
    async fn bad_input_and_configuration_name_the_field() {
        let fake = Fake::default();
        let err = handle(&fake, &configured(), json!({"InstanceId": "web-1"}))
            .await
            .expect_err("not an instance id");
        assert_eq!(err.error_type(), "InvalidInputError");
        assert!(err.to_string().starts_with("input field InstanceId: 'web-1'"), "{err}");
        let err = handle(&fake, &configured(), json!({}))
            .await
            .expect_err("no InstanceId");
        assert_eq!(err.to_string(), "input: missing field `InstanceId`");
        let incomplete = env(&[("COMMAND", "uptime"), ("NOTIFICATION_TOPIC_ARN", " ")]);
        let err = handle(&fake, &incomplete, json!({"InstanceId": "i-01234567"}))
            .await
            .expect_err("incomplete");
        assert_eq!(err.error_type(), "ConfigurationError");
        assert!(
            err.to_string()
                .starts_with("environment variable NOTIFICATION_TOPIC_ARN is empty"),
            "{err}"
        );
        assert!(fake.calls().is_empty());
    }
}
