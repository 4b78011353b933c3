//! Amazon S3: buckets and bucket policies. A bucket made outside this app is
//! imported with [`Bucket::from_bucket_name`]; both are an [`IBucket`].

mod bucket;
mod bucket_policy;

pub use bucket::{
    BlockPublicAccess, Bucket, BucketArn, BucketEncryption, BucketName, BucketProps, IBucket, ImportedBucket,
};
pub use bucket_policy::BucketPolicy;
