//! Key attributes, secondary indexes, streams, billing and encryption of a table.

use crate::cfn::dynamodb::table::{
    AttributeDefinitionAttributeType, ProjectionType, StreamSpecificationStreamViewType,
};
use crate::core::Value;

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AttributeType {
    /// A string (`S`, the default).
    #[default]
    String,
    /// A number (`N`).
    Number,
    /// Binary data (`B`).
    Binary,
}

impl AttributeType {
    pub(crate) fn cfn(self) -> AttributeDefinitionAttributeType {
        match self {
            AttributeType::String => AttributeDefinitionAttributeType::S,
            AttributeType::Number => AttributeDefinitionAttributeType::N,
            AttributeType::Binary => AttributeDefinitionAttributeType::B,
        }
    }
}

/// A key attribute: its name and type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name. Required (an empty name is a synth error).
    pub name: String,
    /// The attribute type. Default: string.
    pub attribute_type: AttributeType,
}

impl Attribute {
    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            attribute_type: AttributeType::String,
        }
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            attribute_type: AttributeType::Number,
        }
    }

    /// A binary attribute.
    pub fn binary(name: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            attribute_type: AttributeType::Binary,
        }
    }
}

/// How a table is billed for reads and writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BillingMode {
    /// On demand, per request (the default): no capacity to plan, none to pay for when idle.
    #[default]
    PayPerRequest,
    /// Provisioned capacity units (each at least 1), also given to every global secondary index
    /// that sets none of its own.
    Provisioned {
        /// Read capacity units.
        read_capacity: u32,
        /// Write capacity units.
        write_capacity: u32,
    },
}

/// What a table's stream records hold for each changed item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamViewType {
    /// Only the key attributes.
    KeysOnly,
    /// The item as it is after the change.
    NewImage,
    /// The item as it was before the change.
    OldImage,
    /// Both, before and after.
    NewAndOldImages,
}

impl StreamViewType {
    pub(crate) fn cfn(self) -> StreamSpecificationStreamViewType {
        match self {
            StreamViewType::KeysOnly => StreamSpecificationStreamViewType::KeysOnly,
            StreamViewType::NewImage => StreamSpecificationStreamViewType::NewImage,
            StreamViewType::OldImage => StreamSpecificationStreamViewType::OldImage,
            StreamViewType::NewAndOldImages => StreamSpecificationStreamViewType::NewAndOldImages,
        }
    }
}

/// How a table is encrypted at rest (DynamoDB always encrypts; this picks the key).
///
/// The default is the key AWS owns for DynamoDB, as the AWS CDK's and as the
/// other service-owned keys of this library (SSE-S3 buckets, SSE-SQS queues):
/// no KMS cost or request quota, and no key permission for readers and
/// writers. checkov's `CKV_AWS_119` asks for a customer managed key; give
/// [`TableEncryption::CustomerManaged`] where a key policy must control who
/// can read the data (SECURITY.md records the finding we accept).
#[derive(Clone, Debug, Default)]
pub enum TableEncryption {
    /// The key AWS owns for DynamoDB (the default, free of charge).
    #[default]
    AwsOwned,
    /// The AWS managed KMS key `aws/dynamodb` (KMS charges apply; its use is in CloudTrail).
    AwsManaged,
    /// A customer managed KMS key, by ARN: grants add the KMS actions the CDK
    /// adds (`kms:Decrypt`, `kms:DescribeKey`, and for writers `kms:Encrypt`,
    /// `kms:ReEncrypt*`, `kms:GenerateDataKey*`) on it.
    CustomerManaged(Value),
}

/// Which attributes a secondary index copies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Projection {
    /// Every attribute (the default).
    #[default]
    All,
    /// Only the table's and the index's keys.
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

impl Projection {
    pub(crate) fn to_value(&self) -> Value {
        use crate::cfn::dynamodb::table::Projection as Cfn;
        match self {
            Projection::All => Cfn {
                projection_type: Some(ProjectionType::All.into()),
                ..Default::default()
            },
            Projection::KeysOnly => Cfn {
                projection_type: Some(ProjectionType::KeysOnly.into()),
                ..Default::default()
            },
            Projection::Include(names) => Cfn {
                non_key_attributes: Some(Value::list(names.iter().map(String::as_str))),
                projection_type: Some(ProjectionType::Include.into()),
            },
        }
        .into()
    }
}

/// A global secondary index: the table's items under another key.
#[derive(Clone, Debug, Default)]
pub struct GlobalSecondaryIndex {
    /// The index name (3-255 of `a-z A-Z 0-9 _ - .`). Required.
    pub index_name: String,
    /// The index's partition key. Required.
    pub partition_key: Attribute,
    /// The index's sort key. Default: none.
    pub sort_key: Option<Attribute>,
    /// The attributes copied into the index. Default: all.
    pub projection: Projection,
    /// Read and write capacity units of a provisioned table's index. Default: the table's.
    pub capacity: Option<(u32, u32)>,
}
