//! `describe-run-command-result`: the invocations of a Run Command, with each
//! plugin's response code and output (`ListCommandInvocations`, `Details`
//! true).
//!
//! Input: the `SendCommand` result that `run-command` returned,
//! `{"Command": {"CommandId": "..."}}` (its other fields are ignored).
//! Output: `{"CommandInvocations": [{"InstanceId", "Status",
//! "CommandPlugins": [{"ResponseCode", "Output", ...}]}]}`, every page; the
//! job nets read `CommandInvocations[0].Status` and
//! `CommandInvocations[0].CommandPlugins[0].ResponseCode`. IAM:
//! `ssm:ListCommandInvocations` on `*` (no resource-level permissions).

use serde::Deserialize;
use serde_json::Value;

use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ssm::{ListCommandInvocationsRequest, ListCommandInvocationsResult, SsmApi};

/// The most pages read (50 invocations each).
const MAX_PAGES: usize = 20;

/// The event: a `SendCommand` result.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    /// The command that was sent.
    pub command: CommandRef,
}

/// The command of a `SendCommand` result.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CommandRef {
    /// The command's id.
    pub command_id: String,
}

/// Every invocation of `command_id`, following `NextToken`.
pub(crate) async fn all_invocations(
    ssm: &impl SsmApi,
    command_id: &str,
    details: bool,
) -> Result<ListCommandInvocationsResult, HandlerError> {
    let mut result = ListCommandInvocationsResult::default();
    let mut next_token = None;
    for _ in 0..MAX_PAGES {
        let page: ListCommandInvocationsResult = ssm
            .list_command_invocations(ListCommandInvocationsRequest {
                command_id: command_id.to_owned(),
                details,
                next_token,
            })
            .await?
            .into();
        result.command_invocations.extend(page.command_invocations);
        next_token = page.next_token;
        if next_token.is_none() {
            break;
        }
    }
    result.next_token = next_token;
    Ok(result)
}

/// Lists the command's invocations with their output.
pub async fn handle(ssm: &impl SsmApi, event: Value) -> Result<ListCommandInvocationsResult, HandlerError> {
    let request: Request = parse(event)?;
    all_invocations(ssm, &request.command.command_id, true).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::at;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput;
    use aws_sdk_ssm::types::{CommandInvocation, CommandInvocationStatus, CommandPlugin, CommandPluginStatus};
    use serde_json::json;

    fn invocation(instance: &str, status: CommandInvocationStatus, code: i32) -> CommandInvocation {
        CommandInvocation::builder()
            .command_id("c-1")
            .instance_id(instance)
            .status(status)
            .command_plugins(
                CommandPlugin::builder()
                    .name("aws:runShellScript")
                    .status(CommandPluginStatus::Failed)
                    .response_code(code)
                    .output("httpd is stopped\n")
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn the_response_code_is_where_the_stop_job_net_reads_it() {
        let fake = Fake::answering([Answer::ListCommandInvocations(
            ListCommandInvocationsOutput::builder()
                .command_invocations(invocation("i-1", CommandInvocationStatus::Failed, 3))
                .build(),
        )]);
        let event = json!({"Command": {"CommandId": "c-1", "Status": "Pending", "TargetCount": 1}});
        let json = serde_json::to_value(handle(&fake, event).await.expect("listed")).expect("json");
        assert_eq!(
            fake.calls(),
            [Call::ListCommandInvocations(ListCommandInvocationsRequest {
                command_id: "c-1".into(),
                details: true,
                next_token: None,
            })]
        );
        assert_eq!(at(&json, "$.CommandInvocations[0].Status"), "Failed");
        assert_eq!(at(&json, "$.CommandInvocations[0].CommandPlugins[0].ResponseCode"), 3);
        assert_eq!(
            json,
            json!({"CommandInvocations": [{
                "CommandId": "c-1",
                "InstanceId": "i-1",
                "Status": "Failed",
                "CommandPlugins": [{
                    "Name": "aws:runShellScript",
                    "Status": "Failed",
                    "ResponseCode": 3,
                    "Output": "httpd is stopped\n"
                }]
            }]})
        );
    }

    #[tokio::test]
    async fn every_page_is_read() {
        let fake = Fake::answering([
            Answer::ListCommandInvocations(
                ListCommandInvocationsOutput::builder()
                    .command_invocations(invocation("i-1", CommandInvocationStatus::Success, 0))
                    .next_token("page-2")
                    .build(),
            ),
            Answer::ListCommandInvocations(
                ListCommandInvocationsOutput::builder()
                    .command_invocations(invocation("i-2", CommandInvocationStatus::InProgress, -1))
                    .build(),
            ),
        ]);
        let result = handle(&fake, json!({"Command": {"CommandId": "c-1"}}))
            .await
            .expect("listed");
        assert_eq!(result.command_invocations.len(), 2);
        assert_eq!(result.next_token, None);
        assert_eq!(
            fake.calls().last(),
            Some(&Call::ListCommandInvocations(ListCommandInvocationsRequest {
                command_id: "c-1".into(),
                details: true,
                next_token: Some("page-2".into()),
            }))
        );
    }

    #[tokio::test]
    async fn the_command_id_is_required() {
        let err = handle(&Fake::default(), json!({"CommandInvocations": []}))
            .await
            .expect_err("not a command");
        assert_eq!(err.to_string(), "input: missing field `Command`");
        let err = handle(&Fake::default(), json!({"Command": {}}))
            .await
            .expect_err("no id");
        assert_eq!(err.to_string(), "input field Command: missing field `CommandId`");
    }
}
