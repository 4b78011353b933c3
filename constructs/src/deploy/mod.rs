//! The deploy engine: bootstrap, asset publishing, change sets, ordering and
//! progress. The only code in the crate that talks to AWS (feature `deploy`).
//!
//! [`Deployer`] reads a [`crate::core::CloudAssembly`] and takes it to one
//! account and region:
//!
//! - [`Deployer::bootstrap`]: the `CDKToolkit` stack with the asset bucket and
//!   the version parameter, compatible with the CDK's default bootstrap.
//! - [`Deployer::deploy`]: every stack is looked up first (DescribeStacks,
//!   GetTemplate) and skipped when its template, parameters and tags equal the
//!   deployed ones; exports that other stacks still import are protected
//!   before anything changes; the assets of the changing stacks are published;
//!   the change sets of the stacks that exist are created and reviewed, and
//!   the deploy stops before executing any when one would replace or delete a
//!   stateful resource without consent (see [`replacement`]); then the stacks
//!   deploy through change sets in dependency order, up to `concurrency` at
//!   once, printing their events and a progress bar.
//! - [`Deployer::diff`] and [`Deployer::destroy`].
//! - [`Deployer::run_state_machine`] and [`Deployer::executions`]: start a deployed state
//!   machine and follow it, list its executions (see [`run`]).
//!
//! Credentials, region and endpoint come from aws-config's standard chain
//! (see [`ConnectOptions`]). As the CDK CLI does, each stack is deployed as
//! the deploy role the assembly names (`assumeRoleArn`, resolved for the
//! stack's account and the region) with the bootstrap's execution role as the
//! change sets' `RoleARN` (`--role-arn` forces another); when the deploy role
//! cannot be assumed, the caller's credentials are used, with a warning.
//! Assets are published with the caller's credentials. Every AWS API call is counted
//! ([`Deployer::api_calls`], and in each report).

mod assets;
mod aws;
pub mod bootstrap;
#[cfg(feature = "cli")]
pub mod cli;
mod diff;
mod engine;
mod error;
mod exports;
mod graph;
mod lookup;
mod progress;
pub mod replacement;
pub mod run;
mod stack;

pub use aws::{config_loader, https_client, ApiCallCounts, ConnectOptions};
pub use bootstrap::{AssetBucketKey, BootstrapOptions};
pub use diff::{diff_templates, ChangeKind, PropertyChange, ResourceDiff, SecurityChange, SecurityKind, StackDiff};
pub use engine::{
    BootstrapOutcome, BootstrapReport, DeployOptions, DeployReport, Deployer, DestroyOptions, DestroyOutcome,
    DestroyReport, ParameterValue, RequireApproval, StackDeployment, StackReport,
};
pub use error::{DeployError, ResourceFailure};
pub use exports::{ExportChange, ExportConflict};
pub use graph::{Selection, StackResult};
pub use lookup::ContextLookup;
pub use replacement::{
    create_only_properties, is_stateful, AllowReplacement, Destruction, DestructiveChange, RefusedChange, Replacement,
    STATEFUL_METADATA_KEY, STATEFUL_TYPES,
};
pub use run::{ExecutionSummary, MachineRef, RunReport};
pub use stack::{StackOutcome, StackOutput};
