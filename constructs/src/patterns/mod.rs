//! Reusable job-net patterns built only from the service constructs.
//!
//! Each pattern replaces one kind of job a job-management product used to run:
//! - [`MaintenanceWindowCommand`]: a command on tagged instances in an SSM
//!   maintenance window, with concurrency/error thresholds and failure notices (seed 004).

mod maintenance_window_command;

pub use maintenance_window_command::{
    script_problems, MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps, ParameterKind,
    ReferencedParameter,
};
