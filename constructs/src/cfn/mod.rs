//! The L1 layer: every CloudFormation resource type, typed, generated from the
//! registry schemas.
//!
//! `AWS::SQS::Queue` is `cfn::sqs::CfnQueue`, with its props struct
//! `CfnQueueProps` (every property, `Option<Value>` so intrinsics and
//! cross-stack references fit anywhere), `ref_()`, typed attribute getters
//! (`attr_arn()` returning `QueueArn`) and the nested property types and
//! closed sets of values in a submodule named after the resource
//! (`dynamodb::table::KeySchema`, `dynamodb::table::TableBillingMode`), each
//! convertible into a [`Value`](crate::core::Value). A required property left
//! unset is a synthesis error naming the construct path.
//!
//! Each service is a cargo feature (`cfn-sqs`, `cfn-dynamodb` …): `cfn-default`
//! (on by default) holds the services the library's own constructs use,
//! `cfn-all` every service. The [`facts`] of every type are there whatever the
//! features.
//!
//! Schema source: the registry schemas shipped in cfn-lint (the version pinned
//! in `tests/harness/requirements-tools.txt`, region us-east-1), because CI
//! installs that exact package, the files are the registry's own JSON
//! (create-only, read-only, write-only properties, primary identifier,
//! tagging) and no network is needed. `generated/` is written by
//! `cargo run -p cfn-codegen` and never edited by hand; a test proves it is a
//! fresh generation.

pub mod facts;
mod generated;
pub(crate) mod macros;

pub use generated::*;
