//! AWS Lambda: functions whose Rust code is built at synthesis, and permissions.
//!
//! A [`Function`] runs on an OS-only runtime (`provided.al2023`). Its code is a
//! [`RustBinary`] of the workspace, built with cargo-lambda (no Docker) into a
//! deterministic zip cached by source fingerprint, or a ready zip file. See
//! [`bundling`] for how the build and the cache work. A function made outside
//! this app is imported with [`Function::from_function_arn`]; both are an [`IFunction`].

pub mod bundling;
mod code;
mod function;
mod function_base;
pub mod glibc;
pub mod progress;

pub use bundling::{BuildTool, BundleProfile, BundledAsset, BundlingError, Lto, OptLevel, RustBinary};
pub use code::{bundling_required, Code, BUNDLING_STACKS_CONTEXT};
pub use function::{Architecture, Function, FunctionArn, FunctionName, FunctionProps, PermissionProps, Runtime};
pub use function_base::{FunctionAttributes, IFunction, ImportedFunction};
