//! `bootstrap`: the resources assets need, as a `CDKToolkit` stack compatible
//! with the CDK's default bootstrap (qualifier `hnb659fds`).
//!
//! It creates the asset bucket `cdk-hnb659fds-assets-ACCOUNT-REGION` (KMS
//! encryption with the AWS-managed key, public access blocked, versioned,
//! noncurrent versions expired after 30 days, TLS-only bucket policy unless S3
//! is reached over plain HTTP, as a local AWS is) and the
//! SSM parameter `/cdk-bootstrap/hnb659fds/version`, with the CDK's logical ids.
//!
//! Unlike the CDK's, it creates no deploy, file-publishing, cfn-exec or lookup
//! roles: this deploy uses the caller's credentials directly. The official CDK
//! CLI needs those roles for stacks of the default synthesizer on real AWS;
//! running `cdk bootstrap` upgrades this stack in place (same logical ids, and
//! its version is higher). An environment the CDK bootstrapped is left alone.

use serde_json::{json, Value as Json};

use super::aws::Clients;
use super::error::DeployError;
use super::stack::describe;
use crate::core::BOOTSTRAP_QUALIFIER;

/// The bootstrap stack's name, as the CDK's.
pub const TOOLKIT_STACK_NAME: &str = "CDKToolkit";

/// The version this bootstrap claims in `/cdk-bootstrap/hnb659fds/version`: at
/// least what apps require (6, and 8 for lookups), below the CDK's current
/// template (so `cdk bootstrap` upgrades it rather than refusing to downgrade).
pub const BOOTSTRAP_VERSION: u32 = 21;

/// The start of the template's description: marks a bootstrap stack as ours.
pub(crate) const DESCRIPTION_MARK: &str = "constructs bootstrap";

/// The bootstrap stack's template; `tls_only` adds the bucket policy that
/// denies requests without TLS.
pub(crate) fn template(tls_only: bool) -> Json {
    let q = BOOTSTRAP_QUALIFIER;
    let mut t = json!({
        "Description": format!("{DESCRIPTION_MARK}: the asset bucket and version parameter of the CDK bootstrap (qualifier {q}), without its roles."),
        "Resources": {
            "StagingBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": {"Fn::Sub": format!("cdk-{q}-assets-${{AWS::AccountId}}-${{AWS::Region}}")},
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true,
                        "BlockPublicPolicy": true,
                        "IgnorePublicAcls": true,
                        "RestrictPublicBuckets": true
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LifecycleConfiguration": {"Rules": [
                        {"Id": "CleanupOldVersions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
                        {"Id": "AbortIncompleteMultipartUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
                    ]}
                },
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain"
            },
            "StagingBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "StagingBucket"},
                    "PolicyDocument": {
                        "Id": "AccessControl",
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "AllowSSLRequestsOnly",
                            "Action": "s3:*",
                            "Effect": "Deny",
                            "Resource": [
                                {"Fn::GetAtt": ["StagingBucket", "Arn"]},
                                {"Fn::Join": ["", [{"Fn::GetAtt": ["StagingBucket", "Arn"]}, "/*"]]}
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            "Principal": "*"
                        }]
                    }
                }
            },
            "CdkBootstrapVersion": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Type": "String",
                    "Name": format!("/cdk-bootstrap/{q}/version"),
                    "Value": BOOTSTRAP_VERSION.to_string()
                }
            }
        },
        "Outputs": {
            "BucketName": {
                "Description": "The name of the S3 bucket owned by the CDK toolkit stack",
                "Value": {"Ref": "StagingBucket"}
            },
            "BucketDomainName": {
                "Description": "The domain name of the S3 bucket owned by the CDK toolkit stack",
                "Value": {"Fn::GetAtt": ["StagingBucket", "RegionalDomainName"]}
            },
            "BootstrapVersion": {
                "Description": "The version of the bootstrap resources that are currently mastered in this stack",
                "Value": {"Fn::GetAtt": ["CdkBootstrapVersion", "Value"]}
            }
        }
    });
    if !tls_only {
        if let Some(r) = t.get_mut("Resources").and_then(Json::as_object_mut) {
            r.shift_remove("StagingBucketPolicy");
        }
    }
    t
}

/// What the bootstrap stack of an environment says.
#[derive(Clone, Debug)]
pub(crate) struct ToolkitInfo {
    /// The asset bucket (output `BucketName`).
    pub bucket: Option<String>,
    /// The bootstrap version (output `BootstrapVersion`).
    pub version: Option<u32>,
}

/// Looks up the bootstrap stack; `None` when the environment is not bootstrapped.
pub(crate) async fn lookup(c: &Clients) -> Result<Option<ToolkitInfo>, DeployError> {
    let Some(d) = describe(c, TOOLKIT_STACK_NAME, TOOLKIT_STACK_NAME).await? else {
        return Ok(None);
    };
    if !d.is_stable() {
        return Ok(None);
    }
    let output = |key: &str| d.outputs.iter().find(|o| o.key == key).map(|o| o.value.clone());
    Ok(Some(ToolkitInfo {
        bucket: output("BucketName"),
        version: output("BootstrapVersion").and_then(|v| v.parse().ok()),
    }))
}

/// The account in a default bootstrap bucket name, `cdk-hnb659fds-assets-ACCOUNT-REGION`.
pub(crate) fn account_from_bucket(bucket: &str, region: &str) -> Option<String> {
    let rest = bucket.strip_prefix(&format!("cdk-{BOOTSTRAP_QUALIFIER}-assets-"))?;
    let account = rest.strip_suffix(&format!("-{region}"))?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_has_the_cdk_names() {
        let t = template(true);
        assert!(t["Resources"]["StagingBucketPolicy"].is_object());
        assert!(template(false)["Resources"].get("StagingBucketPolicy").is_none());
        assert_eq!(
            t["Resources"]["CdkBootstrapVersion"]["Properties"]["Name"],
            "/cdk-bootstrap/hnb659fds/version"
        );
        assert_eq!(t["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"], "21");
        assert_eq!(
            t["Resources"]["StagingBucket"]["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"],
            true
        );
        assert!(t["Outputs"]["BucketName"].is_object());
    }

    #[test]
    fn account_from_a_bucket_name() {
        assert_eq!(
            account_from_bucket("cdk-hnb659fds-assets-123456789012-eu-west-1", "eu-west-1"),
            Some("123456789012".into())
        );
        assert_eq!(account_from_bucket("my-bucket", "eu-west-1"), None);
        assert_eq!(
            account_from_bucket("cdk-hnb659fds-assets-123456789012-us-east-1", "eu-west-1"),
            None
        );
    }
}
