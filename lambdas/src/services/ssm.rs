//! AWS Systems Manager: Run Command (send a command, list its invocations)
//! and Parameter Store (read a SecureString).

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput;
use aws_sdk_ssm::operation::send_command::SendCommandOutput;
use aws_sdk_ssm::types as sdk;
use serde::{Deserialize, Serialize};

use super::{text, timestamp};
use crate::error::HandlerError;

/// The Systems Manager calls the handlers make.
pub trait SsmApi {
    /// `SendCommand`.
    fn send_command(
        &self,
        request: SendCommandRequest,
    ) -> impl Future<Output = Result<SendCommandOutput, HandlerError>> + Send;
    /// `ListCommandInvocations` of one command, one page.
    fn list_command_invocations(
        &self,
        request: ListCommandInvocationsRequest,
    ) -> impl Future<Output = Result<ListCommandInvocationsOutput, HandlerError>> + Send;
}

/// Reading a secret from Parameter Store.
pub trait ParameterStore {
    /// The decrypted value of the parameter `name` (`GetParameter` with `WithDecryption`).
    fn secure_string(&self, name: &str) -> impl Future<Output = Result<String, HandlerError>> + Send;
}

/// A Run Command target: `{"Key": "tag:Name", "Values": ["web"]}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    /// `tag:<key>`, `InstanceIds`, `resource-groups:Name` ...
    pub key: String,
    /// The values, any of which matches.
    pub values: Vec<String>,
}

/// Where and when Run Command publishes the command's status.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationConfig {
    /// The SNS topic.
    pub notification_arn: String,
    /// `All`, `InProgress`, `Success`, `TimedOut`, `Cancelled`, `Failed`.
    pub notification_events: Vec<String>,
    /// `Command` (one notice per command) or `Invocation` (one per instance).
    pub notification_type: String,
}

/// The `SendCommand` request, in the API's JSON shape.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SendCommandRequest {
    /// The document, e.g. `AWS-RunShellScript`.
    pub document_name: String,
    /// The instances, when they are named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_ids: Option<Vec<String>>,
    /// The targets, when instances are chosen by tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<Target>>,
    /// The document's parameters (`commands`, `executionTimeout` ...).
    pub parameters: BTreeMap<String, Vec<String>>,
    /// Instances that run the command at once, e.g. `1` or `50%`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// Errors after which the command is not sent to more instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
    /// Seconds the command may wait to start on an instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// The role Run Command publishes notifications with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_role_arn: Option<String>,
    /// Run Command's own notification of the command's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_config: Option<NotificationConfig>,
}

/// The `ListCommandInvocations` request of one command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListCommandInvocationsRequest {
    /// The command.
    pub command_id: String,
    /// Include each plugin's response code and output.
    pub details: bool,
    /// The page to read, from a previous result's `NextToken`.
    pub next_token: Option<String>,
}

/// A sent command, as `SendCommand` reports it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Command {
    /// The command's id, which `ListCommandInvocations` asks about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// The document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_name: Option<String>,
    /// The document's parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, Vec<String>>>,
    /// The instances, when they were named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_ids: Option<Vec<String>>,
    /// The targets, when instances were chosen by tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<Target>>,
    /// When the command was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_date_time: Option<String>,
    /// `Pending` right after it was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The status in more detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// Instances that run the command at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    /// Errors after which the command is not sent to more instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_errors: Option<String>,
    /// Seconds the command may wait to start on an instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    /// The instances the command targets (so far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_count: Option<i32>,
}

impl From<sdk::Command> for Command {
    fn from(c: sdk::Command) -> Self {
        Command {
            command_id: c.command_id,
            document_name: c.document_name,
            parameters: c.parameters.map(|p| p.into_iter().collect()),
            instance_ids: c.instance_ids,
            targets: c.targets.map(|ts| {
                ts.into_iter()
                    .map(|t| Target {
                        key: t.key.unwrap_or_default(),
                        values: t.values.unwrap_or_default(),
                    })
                    .collect()
            }),
            requested_date_time: timestamp(c.requested_date_time),
            status: text(c.status),
            status_details: c.status_details,
            max_concurrency: c.max_concurrency,
            max_errors: c.max_errors,
            timeout_seconds: c.timeout_seconds,
            target_count: Some(c.target_count),
        }
    }
}

/// The result of `SendCommand`: `{"Command": {"CommandId": ...}}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SendCommandResult {
    /// The command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
}

impl From<SendCommandOutput> for SendCommandResult {
    fn from(o: SendCommandOutput) -> Self {
        SendCommandResult {
            command: o.command.map(Into::into),
        }
    }
}

/// What a plugin of the document did on one instance.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CommandPlugin {
    /// The plugin, e.g. `aws:runShellScript`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Pending`, `InProgress`, `Success`, `TimedOut`, `Cancelled`, `Failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The status in more detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// The script's exit code (-1 while it runs).
    pub response_code: i32,
    /// When the script started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_start_date_time: Option<String>,
    /// When the script ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_finish_date_time: Option<String>,
    /// The first 2,500 characters of the output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// The command on one instance.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CommandInvocation {
    /// The command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// The instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The instance's name (its `Name` tag or host name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// The document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_name: Option<String>,
    /// When the command was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_date_time: Option<String>,
    /// `Pending`, `InProgress`, `Delayed`, `Success`, `Cancelled`, `TimedOut`, `Failed`, `Cancelling`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The status in more detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    /// The plugins' results (listed when details are asked for).
    pub command_plugins: Vec<CommandPlugin>,
}

impl From<sdk::CommandInvocation> for CommandInvocation {
    fn from(i: sdk::CommandInvocation) -> Self {
        CommandInvocation {
            command_id: i.command_id,
            instance_id: i.instance_id,
            instance_name: i.instance_name,
            document_name: i.document_name,
            requested_date_time: timestamp(i.requested_date_time),
            status: text(i.status),
            status_details: i.status_details,
            command_plugins: i
                .command_plugins
                .unwrap_or_default()
                .into_iter()
                .map(|p| CommandPlugin {
                    name: p.name,
                    status: text(p.status),
                    status_details: p.status_details,
                    response_code: p.response_code,
                    response_start_date_time: timestamp(p.response_start_date_time),
                    response_finish_date_time: timestamp(p.response_finish_date_time),
                    output: p.output,
                })
                .collect(),
        }
    }
}

/// The result of `ListCommandInvocations`: `{"CommandInvocations": [...]}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ListCommandInvocationsResult {
    /// The invocations.
    pub command_invocations: Vec<CommandInvocation>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl From<ListCommandInvocationsOutput> for ListCommandInvocationsResult {
    fn from(o: ListCommandInvocationsOutput) -> Self {
        ListCommandInvocationsResult {
            command_invocations: o
                .command_invocations
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            next_token: o.next_token,
        }
    }
}

impl SsmApi for aws_sdk_ssm::Client {
    async fn send_command(&self, r: SendCommandRequest) -> Result<SendCommandOutput, HandlerError> {
        let targets = r.targets.map(|ts| {
            ts.into_iter()
                .map(|t| sdk::Target::builder().key(t.key).set_values(Some(t.values)).build())
                .collect()
        });
        let notification = r.notification_config.map(|n| {
            sdk::NotificationConfig::builder()
                .notification_arn(n.notification_arn)
                .set_notification_events(Some(
                    n.notification_events
                        .iter()
                        .map(|e| sdk::NotificationEvent::from(e.as_str()))
                        .collect(),
                ))
                .notification_type(sdk::NotificationType::from(n.notification_type.as_str()))
                .build()
        });
        aws_sdk_ssm::Client::send_command(self)
            .document_name(r.document_name)
            .set_instance_ids(r.instance_ids)
            .set_targets(targets)
            .set_parameters(Some(r.parameters.into_iter().collect()))
            .set_max_concurrency(r.max_concurrency)
            .set_max_errors(r.max_errors)
            .set_timeout_seconds(r.timeout_seconds)
            .set_service_role_arn(r.service_role_arn)
            .set_notification_config(notification)
            .send()
            .await
            .map_err(|e| HandlerError::aws("SendCommand", e))
    }

    async fn list_command_invocations(
        &self,
        r: ListCommandInvocationsRequest,
    ) -> Result<ListCommandInvocationsOutput, HandlerError> {
        aws_sdk_ssm::Client::list_command_invocations(self)
            .command_id(r.command_id)
            .details(r.details)
            .set_next_token(r.next_token)
            .send()
            .await
            .map_err(|e| HandlerError::aws("ListCommandInvocations", e))
    }
}

impl ParameterStore for aws_sdk_ssm::Client {
    async fn secure_string(&self, name: &str) -> Result<String, HandlerError> {
        let output = self
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| HandlerError::aws("GetParameter", e))?;
        output
            .parameter
            .and_then(|p| p.value)
            .ok_or_else(|| HandlerError::AwsApi {
                operation: "GetParameter",
                code: None,
                detail: format!("parameter {name} has no value"),
            })
    }
}
