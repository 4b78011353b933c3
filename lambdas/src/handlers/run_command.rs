//! `run-command`: runs a shell script on EC2 instances with Run Command
//! (`SendCommand` of `AWS-RunShellScript`).
//!
//! Input: `{"InstanceIds": ["i-..."], "Parameters": {"commands": ["..."]}}`
//! (other fields are ignored, as in the seed: the document is always
//! `AWS-RunShellScript`, `MaxConcurrency` `1`, `TimeoutSeconds` 60). Output:
//! the `SendCommand` result, `{"Command": {"CommandId", "Status": "Pending",
//! ...}}`, which `describe-run-command-result` takes as its input. IAM:
//! `ssm:SendCommand` on the document `AWS-RunShellScript` and the instances.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ssm::{SendCommandRequest, SendCommandResult, SsmApi};

/// The document every command runs.
pub const DOCUMENT_NAME: &str = "AWS-RunShellScript";
/// Seconds a command may wait to start on an instance (the seed's).
pub const TIMEOUT_SECONDS: i32 = 60;

/// The event: the instances and the script.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    /// The instances.
    pub instance_ids: Vec<String>,
    /// The parameters of `AWS-RunShellScript`: `commands` (required),
    /// `workingDirectory`, `executionTimeout`.
    pub parameters: BTreeMap<String, Vec<String>>,
}

/// The `SendCommand` request for `request`.
pub fn send_command_request(request: Request) -> Result<SendCommandRequest, HandlerError> {
    if request.instance_ids.is_empty() {
        return Err(HandlerError::invalid_input(
            "input field InstanceIds: give at least one instance",
        ));
    }
    if request.parameters.get("commands").is_none_or(Vec::is_empty) {
        return Err(HandlerError::invalid_input(
            "input field Parameters.commands: give the shell commands to run",
        ));
    }
    Ok(SendCommandRequest {
        document_name: DOCUMENT_NAME.to_owned(),
        instance_ids: Some(request.instance_ids),
        parameters: request.parameters,
        max_concurrency: Some("1".to_owned()),
        timeout_seconds: Some(TIMEOUT_SECONDS),
        ..Default::default()
    })
}

/// Sends the script to the instances.
pub async fn handle(ssm: &impl SsmApi, event: Value) -> Result<SendCommandResult, HandlerError> {
    let request = send_command_request(parse(event)?)?;
    Ok(ssm.send_command(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ssm::operation::send_command::SendCommandOutput;
    use aws_sdk_ssm::primitives::DateTime;
    use aws_sdk_ssm::types::{Command, CommandStatus};
    use serde_json::json;

    #[tokio::test]
    async fn sends_the_script_as_the_seed_does() {
        let fake = Fake::answering([Answer::SendCommand(
            SendCommandOutput::builder()
                .command(
                    Command::builder()
                        .command_id("0b1c2d3e-1111-2222-3333-444455556666")
                        .document_name("AWS-RunShellScript")
                        .instance_ids("i-1")
                        .parameters("commands", vec!["/usr/local/sbin/stopHttpd.sh".to_owned()])
                        .requested_date_time(DateTime::from_secs(1_621_504_800))
                        .status(CommandStatus::Pending)
                        .max_concurrency("1")
                        .max_errors("0")
                        .timeout_seconds(60)
                        .target_count(1)
                        .build(),
                )
                .build(),
        )]);
        let event = json!({
            "InstanceIds": ["i-1"],
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["/usr/local/sbin/stopHttpd.sh"]}
        });
        let result = handle(&fake, event).await.expect("sent");
        assert_eq!(
            fake.calls(),
            [Call::SendCommand(SendCommandRequest {
                document_name: "AWS-RunShellScript".into(),
                instance_ids: Some(vec!["i-1".into()]),
                parameters: [("commands".to_owned(), vec!["/usr/local/sbin/stopHttpd.sh".to_owned()])].into(),
                max_concurrency: Some("1".into()),
                timeout_seconds: Some(60),
                ..Default::default()
            })]
        );
        assert_eq!(
            serde_json::to_value(result).expect("json"),
            json!({"Command": {
                "CommandId": "0b1c2d3e-1111-2222-3333-444455556666",
                "DocumentName": "AWS-RunShellScript",
                "Parameters": {"commands": ["/usr/local/sbin/stopHttpd.sh"]},
                "InstanceIds": ["i-1"],
                "RequestedDateTime": "2021-05-20T10:00:00Z",
                "Status": "Pending",
                "MaxConcurrency": "1",
                "MaxErrors": "0",
                "TimeoutSeconds": 60,
                "TargetCount": 1
            }})
        );
    }

    #[tokio::test]
    async fn a_script_and_an_instance_are_required() {
        let fake = Fake::default();
        let err = handle(&fake, json!({"InstanceIds": ["i-1"], "Parameters": {}}))
            .await
            .expect_err("no commands");
        assert_eq!(
            err.to_string(),
            "input field Parameters.commands: give the shell commands to run"
        );
        let err = handle(
            &fake,
            json!({"InstanceIds": [], "Parameters": {"commands": ["uptime"]}}),
        )
        .await
        .expect_err("no instance");
        assert_eq!(err.error_type(), "InvalidInputError");
        let err = handle(
            &fake,
            json!({"InstanceIds": ["i-1"], "Parameters": {"commands": "uptime"}}),
        )
        .await
        .expect_err("not a list");
        assert!(
            err.to_string()
                .starts_with("input field Parameters.commands: invalid type: string"),
            "{err}"
        );
        assert!(fake.calls().is_empty());
    }
}
