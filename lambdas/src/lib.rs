//! The Lambda handlers of the job nets, for the `provided.al2023` runtime.
//!
//! One binary, `bootstrap`, serves every function: the runtime passes the
//! function's `Handler` in `_HANDLER`, and [`Handler`] names the seventeen
//! handlers ([`HANDLER_NAMES`]). Each handler is a module of [`handlers`]; the
//! AWS calls go through the small traits of [`services`], implemented for the
//! SDK clients and, in the tests, for fakes. Errors reach Step Functions with
//! the stable `errorType` names of [`error`] (`InvalidInputError`,
//! `AwsApiError`, `CommandNotYetCompleteError` ...), never a Rust type name.

pub mod error;
pub mod function;
pub mod handler;
pub mod handlers;
pub mod input;
pub mod services;

pub use error::{HandlerError, ERROR_TYPES};
pub use function::{Function, Output};
pub use handler::{Handler, UnknownHandler, HANDLER_ENV, HANDLER_NAMES};
