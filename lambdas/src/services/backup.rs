//! AWS Backup: start an on-demand backup job.

use std::future::Future;

use aws_sdk_backup::operation::start_backup_job::StartBackupJobOutput;
use serde::Serialize;

use super::timestamp;
use crate::error::HandlerError;

/// The AWS Backup calls the handlers make.
pub trait BackupApi {
    /// `StartBackupJob`.
    fn start_backup_job(
        &self,
        request: StartBackupJobRequest,
    ) -> impl Future<Output = Result<StartBackupJobOutput, HandlerError>> + Send;
}

/// The `StartBackupJob` request, in the API's JSON shape.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StartBackupJobRequest {
    /// The vault the recovery point goes to.
    pub backup_vault_name: String,
    /// The role AWS Backup works with.
    pub iam_role_arn: String,
    /// The resource to back up (an EC2 instance, a DB cluster ...).
    pub resource_arn: String,
    /// When the recovery point is deleted.
    pub lifecycle: Lifecycle,
}

/// When a recovery point is deleted.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    /// Days after its creation.
    pub delete_after_days: i64,
}

/// The result of `StartBackupJob`: `{"BackupJobId": ..., "RecoveryPointArn": ..., "CreationDate": ...}`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StartBackupJobResult {
    /// The job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_job_id: Option<String>,
    /// The recovery point the job creates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_point_arn: Option<String>,
    /// When the job was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// Whether it is a parent (composite) job.
    pub is_parent: bool,
}

impl From<StartBackupJobOutput> for StartBackupJobResult {
    fn from(o: StartBackupJobOutput) -> Self {
        StartBackupJobResult {
            backup_job_id: o.backup_job_id,
            recovery_point_arn: o.recovery_point_arn,
            creation_date: timestamp(o.creation_date),
            is_parent: o.is_parent,
        }
    }
}

impl BackupApi for aws_sdk_backup::Client {
    async fn start_backup_job(&self, r: StartBackupJobRequest) -> Result<StartBackupJobOutput, HandlerError> {
        aws_sdk_backup::Client::start_backup_job(self)
            .backup_vault_name(r.backup_vault_name)
            .iam_role_arn(r.iam_role_arn)
            .resource_arn(r.resource_arn)
            .lifecycle(
                aws_sdk_backup::types::Lifecycle::builder()
                    .delete_after_days(r.lifecycle.delete_after_days)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| HandlerError::aws("StartBackupJob", e))
    }
}
