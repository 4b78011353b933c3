//! Ready-made aspects: tree-wide rules to add with
//! [`Aspects::of(..).add(..)`](crate::core::Aspects).
//!
//! - [`Hardened`]: turns on the security settings a strict review (checkov)
//!   asks for, wherever the resource has a setting for it.

mod hardened;

pub use hardened::{Hardened, HardenedProps, LambdaVpc, MonitoringInterval, ServerAccessLogs, HARDENED_SCOPE_ID};
