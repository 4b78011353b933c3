//! Reusable job-net patterns built only from the service constructs.
//!
//! Each pattern replaces one kind of job a job-management product used to run:
//! - [`MaintenanceWindowCommand`]: a command on tagged instances in an SSM
//!   maintenance window, with concurrency/error thresholds and failure notices (seed 004).
//! - [`ScheduledCommand`]: cron without crontab: a shell command sent by Run
//!   Command to tagged instances on a schedule, polled until it is final, with
//!   success and failure notices (seed 000).
//! - [`RunOnOneInstance`]: the same on exactly one healthy instance of a
//!   tagged fleet, chosen at run time, with Run Command's own failure
//!   notification (seed 002).
//! - [`OrderedServiceStartup`]: ECS services started in a declared dependency
//!   order, each waited for until it runs its desired count, with a notice after
//!   each (seed 003).

mod job_net;
mod maintenance_window_command;
mod ordered_service_startup;
mod run_command;
mod run_on_one_instance;
mod scheduled_command;

pub use maintenance_window_command::{
    script_problems, MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps, ParameterKind,
    ReferencedParameter,
};
pub use ordered_service_startup::{
    start_waves, state_names as startup_state_names, EcsServiceStart, OrderedServiceStartup,
    OrderedServiceStartupProps, SERVICE_START_TIMED_OUT,
};
pub use run_command::{
    CommandPolling, COMMAND_ENV, COMMAND_NOT_YET_COMPLETE_ERROR, COMMAND_TIMED_OUT_ERROR, NOTIFICATION_ROLE_ARN_ENV,
    NOTIFICATION_TOPIC_ARN_ENV, SEND_COMMAND_BY_TAG_HANDLER, SEND_COMMAND_TO_INSTANCE_HANDLER, TAG_KEY_ENV,
    TAG_VALUES_ENV, WAIT_FOR_COMMAND_HANDLER,
};
pub use run_on_one_instance::{
    state_names as run_on_one_instance_state_names, RunOnOneInstance, RunOnOneInstanceProps,
};
pub use scheduled_command::{state_names as scheduled_command_state_names, ScheduledCommand, ScheduledCommandProps};

/// The README's guide "Building a job net for your own system":
/// compiled here so its examples stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct JobNetGuide;
