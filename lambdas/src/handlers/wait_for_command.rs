//! `wait-for-command` (seed 000): looks at a sent command and fails with
//! `CommandNotYetCompleteError` until every invocation is final, so the job
//! net polls it with a retrier on that error.
//!
//! Input: the sending function's result, `{"Command": {"CommandId": "..."}}`
//! (also the seed's `{"sendCommandResult": {"Command": {...}}}`, or
//! `{"CommandId": "..."}`). It lists the invocations (`ListCommandInvocations`,
//! every page) and:
//! - returns `{"CommandId", "Status": "Success", "CommandInvocations": [...]}`
//!   when every invocation ended `Success`;
//! - fails with `CommandNotYetCompleteError` while there is no invocation yet
//!   or one is `Pending`, `InProgress`, `Delayed` or `Cancelling`;
//! - fails with `CommandFailedError` when all are final and one ended
//!   `Failed`, `TimedOut` or `Cancelled` (the message lists each instance's
//!   status).
//!
//! IAM: `ssm:ListCommandInvocations` on `*` (no resource-level permissions).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::describe_run_command_result::{all_invocations, CommandRef};
use crate::error::HandlerError;
use crate::input::parse;
use crate::services::ssm::{CommandInvocation, SsmApi};

/// The event: a `SendCommand` result, in one of the shapes the senders return.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct Request {
    /// `{"Command": {"CommandId": ...}}` (`send-command-by-tag`, `send-command-to-instance`).
    #[serde(rename = "Command", default)]
    pub command: Option<CommandRef>,
    /// The seed's `{"sendCommandResult": {"Command": {"CommandId": ...}}}`.
    #[serde(rename = "sendCommandResult", default)]
    pub send_command_result: Option<SendCommandResultRef>,
    /// `{"CommandId": ...}`.
    #[serde(rename = "CommandId", default)]
    pub command_id: Option<String>,
}

/// The seed's `sendCommandResult`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SendCommandResultRef {
    /// The command.
    #[serde(rename = "Command")]
    pub command: CommandRef,
}

impl Request {
    /// The command's id, from whichever shape the event has.
    pub fn command_id(self) -> Result<String, HandlerError> {
        self.command
            .map(|c| c.command_id)
            .or(self.send_command_result.map(|r| r.command.command_id))
            .or(self.command_id)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                HandlerError::invalid_input(
                    "input: no command id: give the sending function's result, {\"Command\": {\"CommandId\": \"...\"}}",
                )
            })
    }
}

/// The result once every invocation succeeded.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CommandSucceeded {
    /// The command.
    pub command_id: String,
    /// `Success`.
    pub status: String,
    /// Each instance's invocation.
    pub command_invocations: Vec<CommandInvocation>,
}

/// Whether an invocation status is final (unknown statuses are not: keep polling).
pub fn is_final(status: &str) -> bool {
    matches!(status, "Success" | "Failed" | "TimedOut" | "Cancelled")
}

fn statuses(invocations: &[CommandInvocation]) -> String {
    invocations
        .iter()
        .map(|i| {
            let status = i.status.as_deref().unwrap_or("unknown");
            let mut text = format!("{} {status}", i.instance_id.as_deref().unwrap_or("?"));
            if let Some(details) = i.status_details.as_deref().filter(|d| *d != status) {
                text.push_str(&format!(" ({details})"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Looks at the command once.
pub async fn handle(ssm: &impl SsmApi, event: Value) -> Result<CommandSucceeded, HandlerError> {
    let command_id = parse::<Request>(event)?.command_id()?;
    let invocations = all_invocations(ssm, &command_id, false).await?.command_invocations;
    if invocations.is_empty() {
        return Err(HandlerError::CommandNotYetComplete {
            command_id,
            statuses: "no invocation yet".to_owned(),
        });
    }
    if !invocations.iter().all(|i| i.status.as_deref().is_some_and(is_final)) {
        return Err(HandlerError::CommandNotYetComplete {
            statuses: statuses(&invocations),
            command_id,
        });
    }
    if invocations.iter().any(|i| i.status.as_deref() != Some("Success")) {
        return Err(HandlerError::CommandFailed {
            statuses: statuses(&invocations),
            command_id,
        });
    }
    Ok(CommandSucceeded {
        command_id,
        status: "Success".to_owned(),
        command_invocations: invocations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::fakes::{Answer, Call, Fake};
    use crate::services::ssm::ListCommandInvocationsRequest;
    use aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput;
    use aws_sdk_ssm::types::{CommandInvocation as SdkInvocation, CommandInvocationStatus as S};
    use lambda_runtime::Diagnostic;
    use serde_json::json;

    fn listing(invocations: &[(&str, S, &str)]) -> Answer {
        Answer::ListCommandInvocations(
            ListCommandInvocationsOutput::builder()
                .set_command_invocations(Some(
                    invocations
                        .iter()
                        .map(|(instance, status, details)| {
                            SdkInvocation::builder()
                                .command_id("c-1")
                                .instance_id(*instance)
                                .status(status.clone())
                                .status_details(*details)
                                .build()
                        })
                        .collect(),
                ))
                .build(),
        )
    }

    #[tokio::test]
    async fn the_outcome_of_each_set_of_statuses() {
        // (name, invocations, Ok(status) or Err((error type, statuses in the message)))
        type Case<'a> = (&'a str, Vec<(&'a str, S, &'a str)>, Result<&'a str, (&'a str, &'a str)>);
        let cases: Vec<Case<'_>> = vec![
            (
                "no invocation yet",
                vec![],
                Err(("CommandNotYetCompleteError", "no invocation yet")),
            ),
            (
                "pending",
                vec![("i-1", S::Pending, "Pending")],
                Err(("CommandNotYetCompleteError", "i-1 Pending")),
            ),
            (
                "one done, one running",
                vec![("i-1", S::Success, "Success"), ("i-2", S::InProgress, "InProgress")],
                Err(("CommandNotYetCompleteError", "i-1 Success, i-2 InProgress")),
            ),
            (
                "delayed",
                vec![("i-1", S::Delayed, "Delayed")],
                Err(("CommandNotYetCompleteError", "i-1 Delayed")),
            ),
            (
                "cancelling",
                vec![("i-1", S::Cancelling, "Cancelling")],
                Err(("CommandNotYetCompleteError", "i-1 Cancelling")),
            ),
            (
                "failed",
                vec![("i-1", S::Failed, "Failed")],
                Err(("CommandFailedError", "i-1 Failed")),
            ),
            (
                "timed out, the next cancelled",
                vec![
                    ("i-1", S::TimedOut, "ExecutionTimedOut"),
                    ("i-2", S::Cancelled, "Cancelled"),
                ],
                Err(("CommandFailedError", "i-1 TimedOut (ExecutionTimedOut), i-2 Cancelled")),
            ),
            (
                "all succeeded",
                vec![("i-1", S::Success, "Success"), ("i-2", S::Success, "Success")],
                Ok("Success"),
            ),
        ];
        for (name, invocations, expected) in cases {
            let fake = Fake::answering([listing(&invocations)]);
            let outcome = handle(&fake, json!({"Command": {"CommandId": "c-1", "Status": "Pending"}})).await;
            assert_eq!(
                fake.calls(),
                [Call::ListCommandInvocations(ListCommandInvocationsRequest {
                    command_id: "c-1".into(),
                    details: false,
                    next_token: None,
                })],
                "{name}"
            );
            match (outcome, expected) {
                (Ok(done), Ok(status)) => {
                    assert_eq!(done.status, status, "{name}");
                    let json = serde_json::to_value(done).expect("json");
                    assert_eq!(json["CommandId"], "c-1", "{name}");
                    assert_eq!(json["CommandInvocations"][1]["InstanceId"], "i-2", "{name}");
                }
                (Err(error), Err((error_type, statuses))) => {
                    let diagnostic = Diagnostic::from(error);
                    assert_eq!(diagnostic.error_type, error_type, "{name}");
                    assert!(
                        diagnostic.error_message.contains(statuses),
                        "{name}: {}",
                        diagnostic.error_message
                    );
                    assert!(diagnostic.error_message.contains("c-1"), "{name}");
                }
                (outcome, expected) => panic!("{name}: {outcome:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn every_senders_shape_gives_the_command_id() {
        for event in [
            json!({"Command": {"CommandId": "c-1"}}),
            json!({"sendCommandParams": {}, "sendCommandResult": {"Command": {"CommandId": "c-1"}}}),
            json!({"CommandId": "c-1"}),
        ] {
            let request: Request = parse(event.clone()).expect("valid");
            assert_eq!(request.command_id(), Ok("c-1".to_owned()), "{event}");
        }
        let err = parse::<Request>(json!({}))
            .and_then(Request::command_id)
            .expect_err("no id");
        assert_eq!(err.error_type(), "InvalidInputError");
        let err = parse::<Request>(json!({"Command": {"Id": "c-1"}})).expect_err("no CommandId");
        assert_eq!(err.to_string(), "input field Command: missing field `CommandId`");
    }
}
