//! A construct library for AWS CloudFormation, in Rust.
//!
//! Build a tree of constructs ([`core::App`] -> [`core::Stack`] -> resources),
//! synthesize it into a Cloud Assembly that the AWS CDK CLI can read, and (with
//! the `deploy` feature) deploy it in dependency order.
//!
//! - [`core`]: the synthesis engine.
//! - [`aws`]: constructs for AWS services.
//! - [`aspects`]: ready-made aspects, such as [`aspects::Hardened`].
//! - [`patterns`]: reusable job-net constructs built from the service constructs.
//! - [`assertions`]: testing your constructs: assertions on synthesized templates.
//! - [`prelude`]: the traits construct methods come from (`Scope`, the `I*` interfaces), in one import.
//! - `deploy` (feature `deploy`): bootstrap, asset publishing, deploy, diff and destroy.

pub mod aspects;
pub mod assertions;
pub mod aws;
pub mod cfn;
pub mod core;
pub mod patterns;
pub mod prelude;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "deploy")]
pub mod deploy;
