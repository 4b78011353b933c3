//! Reusable job-net patterns built only from the service constructs.
//!
//! Each pattern replaces one kind of job a job-management product used to run:
//! - [`MaintenanceWindowCommand`]: a command on tagged instances in an SSM
//!   maintenance window, with concurrency/error thresholds and failure notices (seed 004).
//! - [`OrderedServiceStartup`]: ECS services started in a declared dependency
//!   order, each waited for until it runs its desired count, with a notice after
//!   each (seed 003).

mod maintenance_window_command;

pub use maintenance_window_command::{
    script_problems, MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps, ParameterKind,
    ReferencedParameter,
};

mod ordered_service_startup;

pub use ordered_service_startup::{
    start_waves, state_names as startup_state_names, EcsServiceStart, OrderedServiceStartup, OrderedServiceStartupProps,
};
