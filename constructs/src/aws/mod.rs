//! Constructs for AWS services, one module per service.

pub mod iam;
pub mod logs;
pub mod stepfunctions;
