//! Amazon S3: buckets and bucket policies.

mod bucket;
mod bucket_policy;

pub use bucket::{BlockPublicAccess, Bucket, BucketArn, BucketEncryption, BucketName, BucketProps};
pub use bucket_policy::BucketPolicy;
