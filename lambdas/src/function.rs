//! The function one `bootstrap` process serves: the handler `_HANDLER`
//! names, with the one AWS client it needs, built once at init and reused by
//! every invocation.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::HandlerError;
use crate::handler::Handler;
use crate::handlers::{self, notice_slack::NoticeSlack};
use crate::input::Env;
use crate::services::{backup, ec2, elbv2, rds, slack::HttpsWebhook, ssm};

/// A handler and its client.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a process builds one Function, once, and keeps it: boxing would save nothing"
)]
pub enum Function {
    /// `stop-ec2-instance`.
    StopEc2Instance(aws_sdk_ec2::Client),
    /// `start-ec2-instance`.
    StartEc2Instance(aws_sdk_ec2::Client),
    /// `describe-ec2-instance`.
    DescribeEc2Instance(aws_sdk_ec2::Client),
    /// `describe-status-ec2-instance`.
    DescribeStatusEc2Instance(aws_sdk_ec2::Client),
    /// `stop-db-cluster`.
    StopDbCluster(aws_sdk_rds::Client),
    /// `start-db-cluster`.
    StartDbCluster(aws_sdk_rds::Client),
    /// `describe-db-cluster`.
    DescribeDbCluster(aws_sdk_rds::Client),
    /// `run-command`.
    RunCommand(aws_sdk_ssm::Client),
    /// `describe-run-command-result`.
    DescribeRunCommandResult(aws_sdk_ssm::Client),
    /// `create-alb-rule`.
    CreateAlbRule(aws_sdk_elasticloadbalancingv2::Client),
    /// `delete-alb-rule`.
    DeleteAlbRule(aws_sdk_elasticloadbalancingv2::Client),
    /// `describe-target-health`.
    DescribeTargetHealth(aws_sdk_elasticloadbalancingv2::Client),
    /// `start-backup-job`.
    StartBackupJob(aws_sdk_backup::Client),
    /// `notice-slack`.
    NoticeSlack(NoticeSlack<aws_sdk_ssm::Client, HttpsWebhook>),
    /// `send-command-by-tag`.
    SendCommandByTag(aws_sdk_ssm::Client),
    /// `send-command-to-instance`.
    SendCommandToInstance(aws_sdk_ssm::Client),
    /// `wait-for-command`.
    WaitForCommand(aws_sdk_ssm::Client),
}

/// What a function returns: one of the results, serialized as itself.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Output {
    /// `StopInstances`.
    StopInstances(ec2::StopInstancesResult),
    /// `StartInstances`.
    StartInstances(ec2::StartInstancesResult),
    /// `DescribeInstances`.
    DescribeInstances(ec2::DescribeInstancesResult),
    /// `DescribeInstanceStatus`.
    DescribeInstanceStatus(ec2::DescribeInstanceStatusResult),
    /// `StopDBCluster`, `StartDBCluster`.
    DbCluster(rds::DbClusterResult),
    /// `DescribeDBClusters`.
    DescribeDbClusters(rds::DescribeDbClustersResult),
    /// `SendCommand`.
    SendCommand(ssm::SendCommandResult),
    /// `ListCommandInvocations`.
    ListCommandInvocations(ssm::ListCommandInvocationsResult),
    /// `CreateRule`.
    CreateRule(elbv2::CreateRuleResult),
    /// `DescribeTargetHealth`.
    DescribeTargetHealth(elbv2::DescribeTargetHealthResult),
    /// `StartBackupJob`.
    StartBackupJob(backup::StartBackupJobResult),
    /// `wait-for-command`'s success.
    CommandSucceeded(handlers::wait_for_command::CommandSucceeded),
    /// `notice-slack`'s post.
    Posted(handlers::notice_slack::Posted),
    /// An empty result (`DeleteRule`).
    Empty(Map<String, Value>),
}

impl Function {
    /// The function of `handler`, with a client built from `config`.
    pub fn new(handler: Handler, config: &aws_config::SdkConfig) -> Function {
        let ec2 = || aws_sdk_ec2::Client::new(config);
        let rds = || aws_sdk_rds::Client::new(config);
        let ssm = || aws_sdk_ssm::Client::new(config);
        let elbv2 = || aws_sdk_elasticloadbalancingv2::Client::new(config);
        match handler {
            Handler::StopEc2Instance => Function::StopEc2Instance(ec2()),
            Handler::StartEc2Instance => Function::StartEc2Instance(ec2()),
            Handler::DescribeEc2Instance => Function::DescribeEc2Instance(ec2()),
            Handler::DescribeStatusEc2Instance => Function::DescribeStatusEc2Instance(ec2()),
            Handler::StopDbCluster => Function::StopDbCluster(rds()),
            Handler::StartDbCluster => Function::StartDbCluster(rds()),
            Handler::DescribeDbCluster => Function::DescribeDbCluster(rds()),
            Handler::RunCommand => Function::RunCommand(ssm()),
            Handler::DescribeRunCommandResult => Function::DescribeRunCommandResult(ssm()),
            Handler::CreateAlbRule => Function::CreateAlbRule(elbv2()),
            Handler::DeleteAlbRule => Function::DeleteAlbRule(elbv2()),
            Handler::DescribeTargetHealth => Function::DescribeTargetHealth(elbv2()),
            Handler::StartBackupJob => Function::StartBackupJob(aws_sdk_backup::Client::new(config)),
            Handler::NoticeSlack => Function::NoticeSlack(NoticeSlack::new(ssm(), HttpsWebhook::default())),
            Handler::SendCommandByTag => Function::SendCommandByTag(ssm()),
            Handler::SendCommandToInstance => Function::SendCommandToInstance(ssm()),
            Handler::WaitForCommand => Function::WaitForCommand(ssm()),
        }
    }

    /// The handler this function serves.
    pub fn handler(&self) -> Handler {
        match self {
            Function::StopEc2Instance(_) => Handler::StopEc2Instance,
            Function::StartEc2Instance(_) => Handler::StartEc2Instance,
            Function::DescribeEc2Instance(_) => Handler::DescribeEc2Instance,
            Function::DescribeStatusEc2Instance(_) => Handler::DescribeStatusEc2Instance,
            Function::StopDbCluster(_) => Handler::StopDbCluster,
            Function::StartDbCluster(_) => Handler::StartDbCluster,
            Function::DescribeDbCluster(_) => Handler::DescribeDbCluster,
            Function::RunCommand(_) => Handler::RunCommand,
            Function::DescribeRunCommandResult(_) => Handler::DescribeRunCommandResult,
            Function::CreateAlbRule(_) => Handler::CreateAlbRule,
            Function::DeleteAlbRule(_) => Handler::DeleteAlbRule,
            Function::DescribeTargetHealth(_) => Handler::DescribeTargetHealth,
            Function::StartBackupJob(_) => Handler::StartBackupJob,
            Function::NoticeSlack(_) => Handler::NoticeSlack,
            Function::SendCommandByTag(_) => Handler::SendCommandByTag,
            Function::SendCommandToInstance(_) => Handler::SendCommandToInstance,
            Function::WaitForCommand(_) => Handler::WaitForCommand,
        }
    }

    /// Handles one event.
    pub async fn invoke(&self, env: &impl Env, event: Value) -> Result<Output, HandlerError> {
        use handlers::*;
        Ok(match self {
            Function::StopEc2Instance(c) => Output::StopInstances(stop_ec2_instance::handle(c, event).await?),
            Function::StartEc2Instance(c) => Output::StartInstances(start_ec2_instance::handle(c, event).await?),
            Function::DescribeEc2Instance(c) => {
                Output::DescribeInstances(describe_ec2_instance::handle(c, event).await?)
            }
            Function::DescribeStatusEc2Instance(c) => {
                Output::DescribeInstanceStatus(describe_status_ec2_instance::handle(c, event).await?)
            }
            Function::StopDbCluster(c) => Output::DbCluster(stop_db_cluster::handle(c, event).await?),
            Function::StartDbCluster(c) => Output::DbCluster(start_db_cluster::handle(c, event).await?),
            Function::DescribeDbCluster(c) => Output::DescribeDbClusters(describe_db_cluster::handle(c, event).await?),
            Function::RunCommand(c) => Output::SendCommand(run_command::handle(c, event).await?),
            Function::DescribeRunCommandResult(c) => {
                Output::ListCommandInvocations(describe_run_command_result::handle(c, event).await?)
            }
            Function::CreateAlbRule(c) => Output::CreateRule(create_alb_rule::handle(c, event).await?),
            Function::DeleteAlbRule(c) => Output::Empty(delete_alb_rule::handle(c, event).await?),
            Function::DescribeTargetHealth(c) => {
                Output::DescribeTargetHealth(describe_target_health::handle(c, event).await?)
            }
            Function::StartBackupJob(c) => Output::StartBackupJob(start_backup_job::handle(c, env, event).await?),
            Function::NoticeSlack(n) => Output::Posted(n.handle(env, event).await?),
            Function::SendCommandByTag(c) => Output::SendCommand(send_command_by_tag::handle(c, env, event).await?),
            Function::SendCommandToInstance(c) => {
                Output::SendCommand(send_command_to_instance::handle(c, env, event).await?)
            }
            Function::WaitForCommand(c) => Output::CommandSucceeded(wait_for_command::handle(c, event).await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;
    use aws_config::{BehaviorVersion, Region};
    use serde_json::json;

    /// A configuration without credentials: any AWS call fails at once, offline.
    fn offline() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("ap-northeast-1"))
            .build()
    }

    #[tokio::test]
    async fn every_handler_dispatches_and_checks_its_input_before_calling_aws() {
        let config = offline();
        for handler in Handler::ALL {
            let function = Function::new(handler, &config);
            assert_eq!(function.handler(), handler);
            let err = function
                .invoke(&env(&[]), json!(42))
                .await
                .expect_err("a number is no request");
            let expected = match handler {
                // The event is not read: the configuration is checked first.
                Handler::SendCommandByTag => "ConfigurationError",
                _ => "InvalidInputError",
            };
            assert_eq!(err.error_type(), expected, "{handler}: {err}");
        }
    }

    #[tokio::test]
    async fn an_aws_call_without_credentials_is_an_aws_api_error() {
        let function = Function::new(Handler::DescribeEc2Instance, &offline());
        let err = function.invoke(&env(&[]), json!({})).await.expect_err("no credentials");
        assert_eq!(err.error_type(), "AwsApiError");
        assert!(err.to_string().starts_with("DescribeInstances failed: "), "{err}");
    }

    #[test]
    fn outputs_serialize_as_the_result_itself() {
        let output = Output::Empty(Map::new());
        assert_eq!(serde_json::to_value(output).expect("json"), json!({}));
        let output = Output::Posted(handlers::notice_slack::Posted { posted: true });
        assert_eq!(serde_json::to_value(output).expect("json"), json!({"Posted": true}));
    }
}
