//! Bucket policies (`AWS::S3::BucketPolicy`).

use crate::aws::iam::{PolicyDocument, PolicyStatement};
use crate::cfn::s3;
use crate::core::{CfnResource, Construct, Scope, Value};

/// The resource policy of a bucket, with an L1 child `Resource`, as the CDK's
/// `BucketPolicy`. Statements can be added until synthesis.
#[derive(Clone, Debug)]
pub struct BucketPolicy {
    node: Construct,
    resource: CfnResource,
    document: PolicyDocument,
}

impl Scope for BucketPolicy {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl BucketPolicy {
    /// Adds a policy for the bucket named `bucket_name` (a `Ref` of the bucket).
    pub fn new(scope: &impl Scope, id: &str, bucket_name: impl Into<Value>) -> BucketPolicy {
        let node = Construct::new_typed(scope, id, "constructs.aws.s3.BucketPolicy");
        let document = PolicyDocument::default();
        let resource: CfnResource = s3::CfnBucketPolicy::new(
            &node,
            "Resource",
            s3::CfnBucketPolicyProps {
                bucket: Some(bucket_name.into()),
                policy_document: Some(document.to_value()),
            },
        )
        .into();
        let d = document.clone();
        node.add_validation(move || {
            if d.is_empty() {
                vec!["the bucket policy has no statements: add one, or remove the policy".to_owned()]
            } else {
                Vec::new()
            }
        });
        BucketPolicy {
            node,
            resource,
            document,
        }
    }

    /// Adds a statement.
    pub fn add_statement(&self, statement: PolicyStatement) {
        self.document.add_statement(statement);
    }

    /// The policy document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// The L1 bucket policy (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}
