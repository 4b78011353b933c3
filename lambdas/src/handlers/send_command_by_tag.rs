//! `send-command-by-tag` (seed 000): sends the command of the function's
//! environment to the EC2 instances tagged `TAG_KEY` = one of `TAG_VALUES`,
//! one instance at a time.
//!
//! Input: ignored (the job net sends `{}`): **the command is never read from
//! the event**, so whoever can start the state machine cannot choose what
//! runs. Environment: `COMMAND` (the shell command), `TAG_KEY` (e.g. `Name`)
//! and `TAG_VALUES` (a JSON array of strings, e.g. `["batch"]`). The request
//! is the seed's: `AWS-RunShellScript`, `MaxConcurrency` and `MaxErrors` `1`,
//! `TimeoutSeconds` and `executionTimeout` 3,600. Output: the `SendCommand`
//! result, `{"Command": {"CommandId", ...}}`, which `wait-for-command` takes.
//! IAM: `ssm:SendCommand` on the document `AWS-RunShellScript` and on the
//! instances (scoped with the condition `ssm:resourceTag/<TAG_KEY>`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::HandlerError;
use crate::input::Env;
use crate::services::ssm::{SendCommandRequest, SendCommandResult, SsmApi, Target};

/// The environment variable holding the command.
pub const COMMAND_ENV: &str = "COMMAND";
/// The environment variable holding the tag key that selects the instances.
pub const TAG_KEY_ENV: &str = "TAG_KEY";
/// The environment variable holding the tag values, as a JSON array of strings.
pub const TAG_VALUES_ENV: &str = "TAG_VALUES";
/// The command's `executionTimeout` and the request's `TimeoutSeconds` (the seed's hour).
pub const EXECUTION_TIMEOUT_SECONDS: i32 = 3600;

/// The `SendCommand` request of the function's configuration.
pub fn send_command_request(env: &impl Env) -> Result<SendCommandRequest, HandlerError> {
    let command = env.required(COMMAND_ENV)?;
    let key = env.required(TAG_KEY_ENV)?;
    let values_text = env.required(TAG_VALUES_ENV)?;
    let values: Vec<String> = serde_json::from_str(&values_text).map_err(|e| HandlerError::Configuration {
        name: TAG_VALUES_ENV,
        problem: format!("is not a JSON array of strings ({e}), e.g. [\"batch\"]"),
    })?;
    if values.is_empty() || values.iter().any(|v| v.is_empty()) {
        return Err(HandlerError::Configuration {
            name: TAG_VALUES_ENV,
            problem: "has no value or an empty one: give the tag values that select the instances".to_owned(),
        });
    }
    Ok(SendCommandRequest {
        document_name: "AWS-RunShellScript".to_owned(),
        targets: Some(vec![Target {
            key: format!("tag:{key}"),
            values,
        }]),
        parameters: BTreeMap::from([
            ("commands".to_owned(), vec![command]),
            (
                "executionTimeout".to_owned(),
                vec![EXECUTION_TIMEOUT_SECONDS.to_string()],
            ),
        ]),
        max_concurrency: Some("1".to_owned()),
        max_errors: Some("1".to_owned()),
        timeout_seconds: Some(EXECUTION_TIMEOUT_SECONDS),
        ..Default::default()
    })
}

/// Sends the configured command; the event is not read.
pub async fn handle(ssm: &impl SsmApi, env: &impl Env, _event: Value) -> Result<SendCommandResult, HandlerError> {
    let request = send_command_request(env)?;
    Ok(ssm.send_command(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ssm::operation::send_command::SendCommandOutput;
    use aws_sdk_ssm::types::Command;
    use serde_json::json;

    const COMMAND: &str =
        r#"sudo -u apache bash -c 'cd /var/www/cgi-bin/app && /usr/bin/perl ./tools/run-periodic-tasks "$(date +%F)"'"#;

    fn configured() -> impl Fn(&str) -> Option<String> {
        env(&[
            ("COMMAND", COMMAND),
            ("TAG_KEY", "Name"),
            ("TAG_VALUES", r#"["batch", "batch-2"]"#),
        ])
    }

    #[tokio::test]
    async fn sends_the_seeds_request_with_the_command_of_the_environment() {
        let fake = Fake::answering([Answer::SendCommand(
            SendCommandOutput::builder()
                .command(Command::builder().command_id("c-1").build())
                .build(),
        )]);
        // An event that tries to carry a command is not read at all.
        let event = json!({"Command": "rm -rf /", "Parameters": {"commands": ["rm -rf /"]}});
        let result = handle(&fake, &configured(), event).await.expect("sent");
        let calls = fake.calls();
        let [Call::SendCommand(request)] = calls.as_slice() else {
            panic!("one SendCommand call: {:?}", calls);
        };
        assert_eq!(
            serde_json::to_value(request).expect("json"),
            json!({
                "DocumentName": "AWS-RunShellScript",
                "Targets": [{"Key": "tag:Name", "Values": ["batch", "batch-2"]}],
                "Parameters": {"commands": [COMMAND], "executionTimeout": ["3600"]},
                "MaxConcurrency": "1",
                "MaxErrors": "1",
                "TimeoutSeconds": 3600
            })
        );
        assert_eq!(
            serde_json::to_value(result).expect("json")["Command"]["CommandId"],
            "c-1"
        );
    }

    #[tokio::test]
    async fn an_incomplete_configuration_is_a_configuration_error() {
        let fake = Fake::default();
        for (pairs, variable) in [
            (vec![("TAG_KEY", "Name"), ("TAG_VALUES", "[\"a\"]")], "COMMAND"),
            (vec![("COMMAND", "uptime"), ("TAG_VALUES", "[\"a\"]")], "TAG_KEY"),
            (
                vec![("COMMAND", "uptime"), ("TAG_KEY", "Name"), ("TAG_VALUES", "batch")],
                "TAG_VALUES",
            ),
            (
                vec![("COMMAND", "uptime"), ("TAG_KEY", "Name"), ("TAG_VALUES", "[]")],
                "TAG_VALUES",
            ),
            (
                vec![("COMMAND", " "), ("TAG_KEY", "Name"), ("TAG_VALUES", "[\"a\"]")],
                "COMMAND",
            ),
        ] {
            let err = handle(&fake, &env(&pairs), json!({})).await.expect_err("incomplete");
            assert_eq!(err.error_type(), "ConfigurationError", "{pairs:?}");
            assert!(
                err.to_string()
                    .starts_with(&format!("environment variable {variable} ")),
                "{err}"
            );
        }
        assert!(fake.calls().is_empty());
    }
}
