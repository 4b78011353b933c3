//! `start-backup-job`: starts an on-demand AWS Backup job (`StartBackupJob`):
//! an AMI of a stopped instance, a snapshot of the DB cluster.
//!
//! Input: `{"ResourceArn": "arn:aws:ec2:...:instance/i-..."}` (other fields
//! are ignored, as in the seed). The vault is `Default`, the role
//! `arn:<partition>:iam::<ACCOUNT_ID>:role/service-role/AWSBackupDefaultServiceRole`
//! and the recovery point is deleted after 3 days. Environment: `ACCOUNT_ID`
//! (`AWS_REGION`, set by Lambda, gives the partition). Output: `{"BackupJobId",
//! "RecoveryPointArn", "CreationDate", "IsParent"}`. IAM: `backup:StartBackupJob`
//! on the vault, `iam:PassRole` of the role to `backup.amazonaws.com`, and
//! what AWS Backup needs to read the resource is the role's.

use serde::Deserialize;
use serde_json::Value;

use crate::error::HandlerError;
use crate::input::{parse, Env};
use crate::services::backup::{BackupApi, Lifecycle, StartBackupJobRequest, StartBackupJobResult};

/// The environment variable holding the account id.
pub const ACCOUNT_ID_ENV: &str = "ACCOUNT_ID";
/// The vault every recovery point goes to.
pub const BACKUP_VAULT_NAME: &str = "Default";
/// The role AWS Backup works with, under `role/` in the account.
pub const BACKUP_ROLE_NAME: &str = "service-role/AWSBackupDefaultServiceRole";
/// Days after which a recovery point is deleted.
pub const DELETE_AFTER_DAYS: i64 = 3;

/// The event: the resource to back up.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    /// The resource's ARN.
    pub resource_arn: String,
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The `StartBackupJob` request for `request` in the account of `env`.
pub fn start_backup_job_request(env: &impl Env, request: Request) -> Result<StartBackupJobRequest, HandlerError> {
    let account = env.required(ACCOUNT_ID_ENV)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HandlerError::Configuration {
            name: ACCOUNT_ID_ENV,
            problem: format!("is '{account}', not a 12-digit account id"),
        });
    }
    if !request.resource_arn.starts_with("arn:") {
        return Err(HandlerError::invalid_input(format!(
            "input field ResourceArn: '{}' is not an ARN",
            request.resource_arn
        )));
    }
    let partition = partition(&env.var("AWS_REGION").unwrap_or_default());
    Ok(StartBackupJobRequest {
        backup_vault_name: BACKUP_VAULT_NAME.to_owned(),
        iam_role_arn: format!("arn:{partition}:iam::{account}:role/{BACKUP_ROLE_NAME}"),
        resource_arn: request.resource_arn,
        lifecycle: Lifecycle {
            delete_after_days: DELETE_AFTER_DAYS,
        },
    })
}

/// Starts the backup job.
pub async fn handle(
    backup: &impl BackupApi,
    env: &impl Env,
    event: Value,
) -> Result<StartBackupJobResult, HandlerError> {
    let request = start_backup_job_request(env, parse(event)?)?;
    Ok(backup.start_backup_job(request).await?.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_support::env;
    use crate::services::fakes::{Answer, Call, Fake};
    use aws_sdk_backup::operation::start_backup_job::StartBackupJobOutput;
    use aws_sdk_backup::primitives::DateTime;
    use serde_json::json;

    const INSTANCE: &str = "arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0123456789abcdef0";

    #[tokio::test]
    async fn backs_up_to_the_default_vault_for_three_days() {
        let fake = Fake::answering([Answer::StartBackupJob(
            StartBackupJobOutput::builder()
                .backup_job_id("job-1")
                .recovery_point_arn("arn:aws:ec2:ap-northeast-1::image/ami-1")
                .creation_date(DateTime::from_secs(1_621_504_800))
                .build(),
        )]);
        let env = env(&[("ACCOUNT_ID", "123456789012"), ("AWS_REGION", "ap-northeast-1")]);
        let result = handle(&fake, &env, json!({"ResourceArn": INSTANCE}))
            .await
            .expect("started");
        let calls = fake.calls();
        let [Call::StartBackupJob(request)] = calls.as_slice() else {
            panic!("one StartBackupJob call: {:?}", calls);
        };
        assert_eq!(
            serde_json::to_value(request).expect("json"),
            json!({
                "BackupVaultName": "Default",
                "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole",
                "ResourceArn": INSTANCE,
                "Lifecycle": {"DeleteAfterDays": 3}
            })
        );
        assert_eq!(
            serde_json::to_value(result).expect("json"),
            json!({
                "BackupJobId": "job-1",
                "RecoveryPointArn": "arn:aws:ec2:ap-northeast-1::image/ami-1",
                "CreationDate": "2021-05-20T10:00:00Z",
                "IsParent": false
            })
        );
    }

    #[test]
    fn the_role_is_in_the_regions_partition() {
        let env = env(&[("ACCOUNT_ID", "123456789012"), ("AWS_REGION", "cn-north-1")]);
        let request = start_backup_job_request(
            &env,
            Request {
                resource_arn: "arn:aws-cn:rds:cn-north-1:123456789012:cluster:db".into(),
            },
        )
        .expect("valid");
        assert_eq!(
            request.iam_role_arn,
            "arn:aws-cn:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
        );
    }

    #[tokio::test]
    async fn the_account_comes_from_the_environment_and_the_resource_from_the_input() {
        let fake = Fake::default();
        let err = handle(&fake, &env(&[]), json!({"ResourceArn": INSTANCE}))
            .await
            .expect_err("no account");
        assert_eq!(err.error_type(), "ConfigurationError");
        assert!(err.to_string().contains("ACCOUNT_ID"), "{err}");
        let err = handle(&fake, &env(&[("ACCOUNT_ID", "1234")]), json!({"ResourceArn": INSTANCE}))
            .await
            .expect_err("bad account");
        assert!(
            err.to_string()
                .contains("ACCOUNT_ID is '1234', not a 12-digit account id"),
            "{err}"
        );
        let account = env(&[("ACCOUNT_ID", "123456789012")]);
        let err = handle(&fake, &account, json!({"ResourceArn": "i-1"}))
            .await
            .expect_err("not an arn");
        assert_eq!(err.to_string(), "input field ResourceArn: 'i-1' is not an ARN");
        let err = handle(&fake, &account, json!({})).await.expect_err("missing");
        assert_eq!(err.to_string(), "input: missing field `ResourceArn`");
        assert!(fake.calls().is_empty());
    }
}
