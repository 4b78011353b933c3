//! Fakes of the service traits for the handlers' unit tests: each records the
//! requests it gets and answers with canned SDK outputs (or a canned error).

use std::collections::VecDeque;
use std::sync::Mutex;

use aws_sdk_backup::operation::start_backup_job::StartBackupJobOutput;
use aws_sdk_ec2::operation::describe_instance_status::DescribeInstanceStatusOutput;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::start_instances::StartInstancesOutput;
use aws_sdk_ec2::operation::stop_instances::StopInstancesOutput;
use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
use aws_sdk_ssm::operation::list_command_invocations::ListCommandInvocationsOutput;
use aws_sdk_ssm::operation::send_command::SendCommandOutput;

use super::backup::{BackupApi, StartBackupJobRequest};
use super::ec2::{
    DescribeInstanceStatusRequest, DescribeInstancesRequest, Ec2Api, StartInstancesRequest, StopInstancesRequest,
};
use super::elbv2::{CreateRuleRequest, DeleteRuleRequest, DescribeTargetHealthRequest, Elbv2Api};
use super::rds::{DbClusterRequest, DescribeDbClustersRequest, RdsApi};
use super::ssm::{ListCommandInvocationsRequest, ParameterStore, SendCommandRequest, SsmApi};
use crate::error::HandlerError;

/// A call a fake received.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    /// `StopInstances`.
    StopInstances(StopInstancesRequest),
    /// `StartInstances`.
    StartInstances(StartInstancesRequest),
    /// `DescribeInstances`.
    DescribeInstances(DescribeInstancesRequest),
    /// `DescribeInstanceStatus`.
    DescribeInstanceStatus(DescribeInstanceStatusRequest),
    /// `StopDBCluster`.
    StopDbCluster(DbClusterRequest),
    /// `StartDBCluster`.
    StartDbCluster(DbClusterRequest),
    /// `DescribeDBClusters`.
    DescribeDbClusters(DescribeDbClustersRequest),
    /// `SendCommand`.
    SendCommand(SendCommandRequest),
    /// `ListCommandInvocations`.
    ListCommandInvocations(ListCommandInvocationsRequest),
    /// `GetParameter`.
    GetParameter(String),
    /// `CreateRule`.
    CreateRule(CreateRuleRequest),
    /// `DeleteRule`.
    DeleteRule(DeleteRuleRequest),
    /// `DescribeTargetHealth`.
    DescribeTargetHealth(DescribeTargetHealthRequest),
    /// `StartBackupJob`.
    StartBackupJob(StartBackupJobRequest),
}

/// A canned answer.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a test queues a few answers; size does not matter"
)]
pub enum Answer {
    /// `StopInstances`' output.
    StopInstances(StopInstancesOutput),
    /// `StartInstances`' output.
    StartInstances(StartInstancesOutput),
    /// `DescribeInstances`' output.
    DescribeInstances(DescribeInstancesOutput),
    /// `DescribeInstanceStatus`' output.
    DescribeInstanceStatus(DescribeInstanceStatusOutput),
    /// `StopDBCluster`'s and `StartDBCluster`'s cluster.
    DbCluster(Option<aws_sdk_rds::types::DbCluster>),
    /// `DescribeDBClusters`' output.
    DescribeDbClusters(DescribeDbClustersOutput),
    /// `SendCommand`'s output.
    SendCommand(SendCommandOutput),
    /// `ListCommandInvocations`' output.
    ListCommandInvocations(ListCommandInvocationsOutput),
    /// A parameter's value.
    Parameter(String),
    /// `CreateRule`'s rules.
    Rules(Vec<aws_sdk_elasticloadbalancingv2::types::Rule>),
    /// `DeleteRule`'s (empty) output.
    Deleted,
    /// `DescribeTargetHealth`'s output.
    DescribeTargetHealth(DescribeTargetHealthOutput),
    /// `StartBackupJob`'s output.
    StartBackupJob(StartBackupJobOutput),
    /// A failed call.
    Error(HandlerError),
}

/// One fake for every service: answers are given out in order.
#[derive(Debug, Default)]
pub struct Fake {
    answers: Mutex<VecDeque<Answer>>,
    calls: Mutex<Vec<Call>>,
}

impl Fake {
    /// A fake that gives `answers`, in order.
    pub fn answering(answers: impl IntoIterator<Item = Answer>) -> Fake {
        Fake {
            answers: Mutex::new(answers.into_iter().collect()),
            calls: Mutex::default(),
        }
    }

    /// The calls made so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn answer(&self, call: Call) -> Answer {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call.clone());
        }
        self.answers
            .lock()
            .ok()
            .and_then(|mut a| a.pop_front())
            .unwrap_or_else(|| {
                Answer::Error(HandlerError::invalid_input(format!(
                    "the fake has no answer to {call:?}"
                )))
            })
    }
}

/// Unwraps the expected answer or passes a canned error on.
macro_rules! expect {
    ($answer:expr, $variant:ident) => {
        match $answer {
            Answer::$variant(value) => Ok(value),
            Answer::Error(error) => Err(error),
            other => Err(HandlerError::invalid_input(format!(
                "the fake answered {other:?} to a {} call",
                stringify!($variant)
            ))),
        }
    };
}

impl Ec2Api for Fake {
    async fn stop_instances(&self, r: StopInstancesRequest) -> Result<StopInstancesOutput, HandlerError> {
        expect!(self.answer(Call::StopInstances(r)), StopInstances)
    }
    async fn start_instances(&self, r: StartInstancesRequest) -> Result<StartInstancesOutput, HandlerError> {
        expect!(self.answer(Call::StartInstances(r)), StartInstances)
    }
    async fn describe_instances(&self, r: DescribeInstancesRequest) -> Result<DescribeInstancesOutput, HandlerError> {
        expect!(self.answer(Call::DescribeInstances(r)), DescribeInstances)
    }
    async fn describe_instance_status(
        &self,
        r: DescribeInstanceStatusRequest,
    ) -> Result<DescribeInstanceStatusOutput, HandlerError> {
        expect!(self.answer(Call::DescribeInstanceStatus(r)), DescribeInstanceStatus)
    }
}

impl RdsApi for Fake {
    async fn stop_db_cluster(
        &self,
        r: DbClusterRequest,
    ) -> Result<Option<aws_sdk_rds::types::DbCluster>, HandlerError> {
        expect!(self.answer(Call::StopDbCluster(r)), DbCluster)
    }
    async fn start_db_cluster(
        &self,
        r: DbClusterRequest,
    ) -> Result<Option<aws_sdk_rds::types::DbCluster>, HandlerError> {
        expect!(self.answer(Call::StartDbCluster(r)), DbCluster)
    }
    async fn describe_db_clusters(
        &self,
        r: DescribeDbClustersRequest,
    ) -> Result<DescribeDbClustersOutput, HandlerError> {
        expect!(self.answer(Call::DescribeDbClusters(r)), DescribeDbClusters)
    }
}

impl SsmApi for Fake {
    async fn send_command(&self, r: SendCommandRequest) -> Result<SendCommandOutput, HandlerError> {
        expect!(self.answer(Call::SendCommand(r)), SendCommand)
    }
    async fn list_command_invocations(
        &self,
        r: ListCommandInvocationsRequest,
    ) -> Result<ListCommandInvocationsOutput, HandlerError> {
        expect!(self.answer(Call::ListCommandInvocations(r)), ListCommandInvocations)
    }
}

impl ParameterStore for Fake {
    async fn secure_string(&self, name: &str) -> Result<String, HandlerError> {
        expect!(self.answer(Call::GetParameter(name.to_owned())), Parameter)
    }
}

impl Elbv2Api for Fake {
    async fn create_rule(
        &self,
        r: CreateRuleRequest,
    ) -> Result<Vec<aws_sdk_elasticloadbalancingv2::types::Rule>, HandlerError> {
        expect!(self.answer(Call::CreateRule(r)), Rules)
    }
    async fn delete_rule(&self, r: DeleteRuleRequest) -> Result<(), HandlerError> {
        match self.answer(Call::DeleteRule(r)) {
            Answer::Deleted => Ok(()),
            Answer::Error(error) => Err(error),
            other => Err(HandlerError::invalid_input(format!(
                "the fake answered {other:?} to DeleteRule"
            ))),
        }
    }
    async fn describe_target_health(
        &self,
        r: DescribeTargetHealthRequest,
    ) -> Result<DescribeTargetHealthOutput, HandlerError> {
        expect!(self.answer(Call::DescribeTargetHealth(r)), DescribeTargetHealth)
    }
}

impl BackupApi for Fake {
    async fn start_backup_job(&self, r: StartBackupJobRequest) -> Result<StartBackupJobOutput, HandlerError> {
        expect!(self.answer(Call::StartBackupJob(r)), StartBackupJob)
    }
}

/// A failed AWS call, as the SDK clients report one.
pub fn aws_error(operation: &'static str, code: &str, message: &str) -> Answer {
    Answer::Error(HandlerError::AwsApi {
        operation,
        code: Some(code.to_owned()),
        detail: format!("{code}: {message}"),
    })
}
