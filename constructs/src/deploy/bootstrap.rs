//! `bootstrap`: the resources assets and deploys need, as a `CDKToolkit` stack
//! compatible with the CDK's modern bootstrap (qualifier `hnb659fds`).
//!
//! It creates the asset bucket `cdk-hnb659fds-assets-ACCOUNT-REGION` (KMS
//! encryption with the AWS-managed key, public access blocked, versioned,
//! noncurrent versions expired after 30 days, TLS-only bucket policy unless S3
//! is reached over plain HTTP, as a local AWS is), the SSM parameter
//! `/cdk-bootstrap/hnb659fds/version`, and the CDK's four roles with its names
//! (`cdk-hnb659fds-{kind}-role-ACCOUNT-REGION`) and logical ids:
//!
//! - `deploy` (`DeploymentActionRole`): assumed to deploy stacks; trusted by the
//!   account and [`BootstrapOptions::trust`]; may pass the execution role.
//! - `file-publishing` (`FilePublishingRole`): writes the asset bucket.
//! - `cfn-exec` (`CloudFormationExecutionRole`): what CloudFormation runs as,
//!   with [`BootstrapOptions::cloudformation_execution_policies`].
//! - `lookup` (`LookupRole`): read-only, for context lookups; also trusted by
//!   [`BootstrapOptions::trust_for_lookup`].
//!
//! It claims version [`BOOTSTRAP_VERSION`] (8: the four roles, lookup role
//! included). Image assets are not part of the contract (no ECR repository,
//! no image-publishing role; this deploy refuses image assets). `cdk bootstrap`
//! upgrades this stack in place (same logical ids, higher version); an
//! environment the CDK bootstrapped is used as it is.

use serde_json::{json, Value as Json};

use super::aws::Clients;
use super::error::DeployError;
use super::stack::describe;
use crate::core::BootstrapNames;

/// The bootstrap stack's name, as the CDK's.
pub const TOOLKIT_STACK_NAME: &str = "CDKToolkit";

/// The version this bootstrap claims in `/cdk-bootstrap/hnb659fds/version`:
/// 8, the CDK's contract it implements (the asset bucket and the deploy,
/// file-publishing, cfn-exec and lookup roles; apps require 6, lookups 8).
/// Below the CDK's current template, so `cdk bootstrap` upgrades it.
pub const BOOTSTRAP_VERSION: u32 = 8;

/// The AWS-managed policy the CDK gives the execution role when none is named.
pub const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Options of [`crate::deploy::Deployer::bootstrap_with`], as `cdk bootstrap`'s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// Accounts that may deploy into this environment (assume the deploy and
    /// file-publishing roles): `--trust`. Default: none (only this account).
    pub trust: Vec<String>,
    /// Accounts that may only look up context (assume the lookup role):
    /// `--trust-for-lookup`. Default: none.
    pub trust_for_lookup: Vec<String>,
    /// Managed policy ARNs of the execution role CloudFormation runs as:
    /// `--cloudformation-execution-policies`. Default: none, which means
    /// `AdministratorAccess` (said in the bootstrap's output) and is refused
    /// with `trust`, as the CDK does: name the policies another account gets.
    pub cloudformation_execution_policies: Vec<String>,
    /// Protect the bootstrap stack from deletion. Default: false.
    pub termination_protection: bool,
    /// The qualifier of the bucket, role and parameter names (`--qualifier`):
    /// the stacks deploying here must be synthesized with the same one
    /// ([`crate::core::StackProps::bootstrap_qualifier`] or the context
    /// `@aws-cdk/core:bootstrapQualifier`). Default: the CDK's, `hnb659fds`.
    pub qualifier: BootstrapNames,
    /// The KMS key that encrypts the asset bucket. Default:
    /// [`AssetBucketKey::AwsManaged`], as the CDK.
    pub bucket_key: AssetBucketKey,
}

/// The KMS key of the asset bucket (the CDK's `--bootstrap-kms-key-id` and
/// `--bootstrap-customer-key`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AssetBucketKey {
    /// The account's AWS managed key for S3 (`aws/s3`).
    #[default]
    AwsManaged,
    /// A key of the account: its id, ARN or alias (`--bootstrap-kms-key-id`).
    /// Its key policy must let the account's IAM policies grant its use.
    Existing(String),
    /// A new customer managed key in the bootstrap stack, with rotation on and
    /// the alias `alias/cdk-QUALIFIER-assets-key` (`--bootstrap-customer-key`;
    /// a key costs money each month). Its policy lets the account's IAM
    /// policies grant its use, as the file-publishing role's does (through S3).
    CustomerManaged,
}

impl BootstrapOptions {
    /// The execution role's policies, or why they are refused.
    pub fn execution_policies(&self) -> Result<Vec<String>, String> {
        if !self.cloudformation_execution_policies.is_empty() {
            return Ok(self.cloudformation_execution_policies.clone());
        }
        if !self.trust.is_empty() {
            return Err(format!(
                "--trust {} lets other accounts deploy with the execution role: name its policies with \
                 --cloudformation-execution-policies (e.g. {ADMINISTRATOR_ACCESS} if that is really meant)",
                self.trust.join(",")
            ));
        }
        Ok(vec![ADMINISTRATOR_ACCESS.to_owned()])
    }
}

fn trusting(accounts: &[String]) -> Json {
    let mut principals = vec![json!({"Ref": "AWS::AccountId"})];
    principals.extend(
        accounts
            .iter()
            .map(|a| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::{a}:root")})),
    );
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": principals}}]
    })
}

fn role(names: &BootstrapNames, kind: &str, trust: Json, policies: Json, managed: Option<Json>) -> Json {
    let mut props = json!({
        "AssumeRolePolicyDocument": trust,
        "RoleName": {"Fn::Sub": names.role_name(kind)},
        "Tags": [{"Key": "aws-cdk:bootstrap-role", "Value": kind}]
    });
    if !policies.is_null() {
        props["Policies"] =
            json!([{"PolicyName": "default", "PolicyDocument": {"Version": "2012-10-17", "Statement": policies}}]);
    }
    if let Some(m) = managed {
        props["ManagedPolicyArns"] = m;
    }
    json!({"Type": "AWS::IAM::Role", "Properties": props})
}

fn roles(options: &BootstrapOptions, execution_policies: &[String]) -> Vec<(&'static str, Json)> {
    let names = &options.qualifier;
    let q = names.qualifier();
    let bucket = json!([
        {"Fn::GetAtt": ["StagingBucket", "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["StagingBucket", "Arn"]}, "/*"]]}
    ]);
    let version_parameter = json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/cdk-bootstrap/{q}/version")});
    let mut lookup_trust = options.trust.clone();
    lookup_trust.extend(options.trust_for_lookup.iter().cloned());
    vec![
        (
            "FilePublishingRole",
            role(
                names,
                "file-publishing",
                trusting(&options.trust),
                json!([{
                    "Effect": "Allow",
                    "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:List*",
                               "s3:DeleteObject*", "s3:PutObject*", "s3:Abort*"],
                    "Resource": bucket
                }, {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}
                }]),
                None,
            ),
        ),
        (
            "LookupRole",
            role(
                names,
                "lookup",
                trusting(&lookup_trust),
                json!([{"Sid": "DontReadSecrets", "Effect": "Deny", "Action": ["kms:Decrypt"], "Resource": "*"}]),
                Some(json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}])),
            ),
        ),
        (
            "CloudFormationExecutionRole",
            role(
                names,
                "cfn-exec",
                json!({
                    "Version": "2012-10-17",
                    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}}]
                }),
                Json::Null,
                Some(json!(execution_policies)),
            ),
        ),
        (
            "DeploymentActionRole",
            role(
                names,
                "deploy",
                trusting(&options.trust),
                json!([{
                    "Sid": "CloudFormationPermissions",
                    "Effect": "Allow",
                    "Action": ["cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet",
                               "cloudformation:DescribeChangeSet", "cloudformation:DescribeStacks",
                               "cloudformation:ExecuteChangeSet", "cloudformation:CreateStack",
                               "cloudformation:UpdateStack", "cloudformation:RollbackStack",
                               "cloudformation:ContinueUpdateRollback"],
                    "Resource": "*"
                }, {
                    "Sid": "CliPermissions",
                    "Effect": "Allow",
                    "Action": ["cloudformation:DescribeStackEvents", "cloudformation:GetTemplate",
                               "cloudformation:DeleteStack", "cloudformation:UpdateTerminationProtection",
                               "cloudformation:GetTemplateSummary", "cloudformation:ListExports",
                               "cloudformation:ListImports", "cloudformation:DescribeStackResources",
                               "sts:GetCallerIdentity"],
                    "Resource": "*"
                }, {
                    "Sid": "CliStagingBucket",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                    "Resource": bucket
                }, {
                    "Sid": "ReadVersion",
                    "Effect": "Allow",
                    "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                    "Resource": [version_parameter]
                }, {
                    "Sid": "PassExecutionRole",
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}
                }]),
                None,
            ),
        ),
    ]
}

/// The start of the template's description: marks a bootstrap stack as ours.
pub(crate) const DESCRIPTION_MARK: &str = "constructs bootstrap";

/// The bootstrap stack's template; `tls_only` adds the bucket policy that
/// denies requests without TLS.
pub(crate) fn template(tls_only: bool, options: &BootstrapOptions) -> Result<Json, String> {
    let names = &options.qualifier;
    let q = names.qualifier();
    let execution_policies = options.execution_policies()?;
    let mut t = json!({
        "Description": format!("{DESCRIPTION_MARK}: the asset bucket, version parameter and roles of the CDK bootstrap (qualifier {q}, version {BOOTSTRAP_VERSION})."),
        "Resources": {
            "StagingBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": {"Fn::Sub": names.asset_bucket()},
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
                    "Name": names.version_parameter(),
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
    let key_id = match &options.bucket_key {
        AssetBucketKey::AwsManaged => None,
        AssetBucketKey::Existing(id) => Some(json!(id)),
        AssetBucketKey::CustomerManaged => Some(json!({"Fn::GetAtt": ["FileAssetsBucketEncryptionKey", "Arn"]})),
    };
    if let Some(id) = &key_id {
        t["Resources"]["StagingBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] = id.clone();
        t["Resources"]["StagingBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["BucketKeyEnabled"] = json!(true);
        t["Outputs"]["FileAssetKeyArn"] = json!({
            "Description": "The KMS key the asset bucket is encrypted with",
            "Value": id
        });
    }
    if let Some(r) = t.get_mut("Resources").and_then(Json::as_object_mut) {
        if !tls_only {
            r.shift_remove("StagingBucketPolicy");
        }
        if options.bucket_key == AssetBucketKey::CustomerManaged {
            r.insert(
                "FileAssetsBucketEncryptionKey".to_owned(),
                json!({
                    "Type": "AWS::KMS::Key",
                    "Properties": {
                        "Description": format!("The key of the CDK bootstrap's asset bucket (qualifier {q})"),
                        "EnableKeyRotation": true,
                        "KeyPolicy": {
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Sid": "TheAccountsIamPoliciesGrantItsUse",
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                                "Action": "kms:*",
                                "Resource": "*"
                            }]
                        }
                    },
                    "UpdateReplacePolicy": "Retain",
                    "DeletionPolicy": "Retain"
                }),
            );
            r.insert(
                "FileAssetsBucketEncryptionKeyAlias".to_owned(),
                json!({
                    "Type": "AWS::KMS::Alias",
                    "Properties": {
                        "AliasName": format!("alias/cdk-{q}-assets-key"),
                        "TargetKeyId": {"Ref": "FileAssetsBucketEncryptionKey"}
                    }
                }),
            );
        }
        for (id, role) in roles(options, &execution_policies) {
            r.insert(id.to_owned(), role);
        }
    }
    Ok(t)
}

/// What the bootstrap stack of an environment says.
#[derive(Clone, Debug, Default)]
pub(crate) struct ToolkitInfo {
    /// The asset bucket (output `BucketName`).
    pub bucket: Option<String>,
    /// The bootstrap version (output `BootstrapVersion`).
    pub version: Option<u32>,
}

/// Looks up the bootstrap stack; `None` when the environment is not bootstrapped.
pub(crate) async fn lookup(c: &Clients, toolkit: &str) -> Result<Option<ToolkitInfo>, DeployError> {
    let Some(d) = describe(c, toolkit, toolkit).await? else {
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

/// The bootstrap version in the environment's SSM parameter (`name`, e.g.
/// `/cdk-bootstrap/hnb659fds/version`), read as the CDK CLI does: one SSM
/// `GetParameter` call (JSON protocol, signed with SigV4 by hand, as the EC2
/// lookup: aws-sdk-ssm for one call would weigh on every build).
/// An error says why it could not be read.
pub(crate) async fn version_from_ssm(c: &Clients, name: &str) -> Result<u32, String> {
    use super::lookup::{service_endpoint, signed_post, SignedCall};
    let region = c.region.as_str();
    let (status, text) = signed_post(
        c,
        &SignedCall {
            call: "SSM.GetParameter",
            service: "ssm",
            region,
            endpoint: service_endpoint(c, "ssm", region),
            content_type: "application/x-amz-json-1.1",
            target: Some("AmazonSSM.GetParameter"),
            body: json!({ "Name": name }).to_string(),
        },
    )
    .await?;
    parse_get_parameter(status, &text)
}

/// The version in a `GetParameter` answer, or the service's error.
fn parse_get_parameter(status: u16, text: &str) -> Result<u32, String> {
    let answer: Json = serde_json::from_str(text).unwrap_or(Json::Null);
    if !(200..300).contains(&status) {
        let kind = answer["__type"].as_str().unwrap_or("an error");
        let kind = kind.rsplit('#').next().unwrap_or(kind);
        let message = answer["message"]
            .as_str()
            .or_else(|| answer["Message"].as_str())
            .unwrap_or_default();
        return Err(format!("SSM.GetParameter failed (HTTP {status}): {kind} {message}")
            .trim_end()
            .to_owned());
    }
    let value = answer["Parameter"]["Value"]
        .as_str()
        .ok_or_else(|| "SSM.GetParameter answered no Parameter.Value".to_owned())?;
    value
        .trim()
        .parse()
        .map_err(|_| format!("the parameter holds '{value}', not a version number"))
}

/// The account in a bootstrap bucket name, `cdk-QUALIFIER-assets-ACCOUNT-REGION`.
pub(crate) fn account_from_bucket(bucket: &str, region: &str) -> Option<String> {
    let rest = bucket.strip_prefix("cdk-")?.split_once("-assets-")?.1;
    let account = rest.strip_suffix(&format!("-{region}"))?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_execution_policies_are_named_when_other_accounts_are_trusted() {
        let default = BootstrapOptions::default();
        assert_eq!(default.execution_policies(), Ok(vec![ADMINISTRATOR_ACCESS.to_owned()]));
        let trusting = BootstrapOptions {
            trust: vec!["210987654321".into()],
            ..Default::default()
        };
        let err = trusting.execution_policies().expect_err("refused");
        assert!(err.contains("--cloudformation-execution-policies"), "{err}");
        let t = template(
            true,
            &BootstrapOptions {
                cloudformation_execution_policies: vec!["arn:aws:iam::aws:policy/PowerUserAccess".into()],
                ..trusting
            },
        )
        .expect("template");
        let r = &t["Resources"];
        assert_eq!(
            r["CloudFormationExecutionRole"]["Properties"]["ManagedPolicyArns"],
            json!(["arn:aws:iam::aws:policy/PowerUserAccess"])
        );
        let principals =
            &r["DeploymentActionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"];
        assert_eq!(principals.as_array().map(Vec::len), Some(2), "{principals}");
        assert_eq!(
            r["LookupRole"]["Properties"]["RoleName"],
            json!({"Fn::Sub": "cdk-hnb659fds-lookup-role-${AWS::AccountId}-${AWS::Region}"})
        );
    }

    #[test]
    fn the_asset_bucket_key_is_the_aws_managed_one_a_given_one_or_a_new_rotated_one() {
        let sse = |t: &Json| {
            t["Resources"]["StagingBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                ["ServerSideEncryptionByDefault"]
                .clone()
        };
        let managed = template(true, &BootstrapOptions::default()).expect("template");
        assert_eq!(sse(&managed), json!({"SSEAlgorithm": "aws:kms"}));
        assert!(managed["Resources"].get("FileAssetsBucketEncryptionKey").is_none());

        let existing = template(
            true,
            &BootstrapOptions {
                bucket_key: AssetBucketKey::Existing("alias/team-key".into()),
                ..Default::default()
            },
        )
        .expect("template");
        assert_eq!(sse(&existing)["KMSMasterKeyID"], "alias/team-key");
        assert_eq!(existing["Outputs"]["FileAssetKeyArn"]["Value"], "alias/team-key");

        let custom = template(
            true,
            &BootstrapOptions {
                qualifier: BootstrapNames::new("myapp").expect("qualifier"),
                bucket_key: AssetBucketKey::CustomerManaged,
                ..Default::default()
            },
        )
        .expect("template");
        assert_eq!(
            sse(&custom)["KMSMasterKeyID"],
            json!({"Fn::GetAtt": ["FileAssetsBucketEncryptionKey", "Arn"]})
        );
        let key = &custom["Resources"]["FileAssetsBucketEncryptionKey"];
        assert_eq!(key["Properties"]["EnableKeyRotation"], true);
        assert_eq!(key["DeletionPolicy"], "Retain");
        assert_eq!(
            custom["Resources"]["FileAssetsBucketEncryptionKeyAlias"]["Properties"]["AliasName"],
            "alias/cdk-myapp-assets-key"
        );
    }

    #[test]
    fn template_has_the_cdk_names() {
        let t = template(true, &BootstrapOptions::default()).expect("template");
        assert!(t["Resources"]["StagingBucketPolicy"].is_object());
        assert!(
            template(false, &BootstrapOptions::default()).expect("template")["Resources"]
                .get("StagingBucketPolicy")
                .is_none()
        );
        assert_eq!(
            t["Resources"]["CdkBootstrapVersion"]["Properties"]["Name"],
            "/cdk-bootstrap/hnb659fds/version"
        );
        assert_eq!(t["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"], "8");
        for kind in ["deploy", "file-publishing", "cfn-exec", "lookup"] {
            let names: Vec<&Json> = t["Resources"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
                .filter_map(|r| r["Properties"].get("RoleName"))
                .filter(|n| n.to_string().contains(&format!("-{kind}-role-")))
                .collect();
            assert_eq!(names.len(), 1, "{kind}");
        }
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

    #[test]
    fn the_ssm_answer_gives_the_version_or_the_error() {
        use super::parse_get_parameter;
        let ok = r#"{"Parameter":{"Name":"/cdk-bootstrap/hnb659fds/version","Type":"String","Value":"21"}}"#;
        assert_eq!(parse_get_parameter(200, ok), Ok(21));
        let missing = r#"{"__type":"ParameterNotFound","message":"Parameter /x not found."}"#;
        assert_eq!(
            parse_get_parameter(400, missing),
            Err("SSM.GetParameter failed (HTTP 400): ParameterNotFound Parameter /x not found.".to_owned())
        );
        let denied = r#"{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"no"}"#;
        assert!(parse_get_parameter(400, denied).is_err_and(|e| e.contains("AccessDeniedException no")));
        let text = r#"{"Parameter":{"Value":"latest"}}"#;
        assert!(parse_get_parameter(200, text).is_err_and(|e| e.contains("'latest'")));
    }
}
