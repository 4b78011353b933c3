//! Example stacks, one per job-net pattern of `constructs::patterns`, for
//! teams writing their own: selected with the context flag `-c examples=true`
//! (`cargo run -p app -- -c examples=true synth`), which builds these stacks
//! instead of the seed's, so the default `synth` stays the seed app.
//!
//! Each stack is one task, as the seeds recommend (a task's logs, functions
//! and state machine apart from every other's); copy one, change its props.

pub mod maintenance_window_command_stack;
pub mod ordered_service_startup_stack;
pub mod run_on_one_instance_stack;
pub mod scheduled_command_stack;

use constructs::core::App;

use maintenance_window_command_stack::{MaintenanceWindowCommandStack, MaintenanceWindowCommandStackProps};
use ordered_service_startup_stack::{OrderedServiceStartupStack, OrderedServiceStartupStackProps};
use run_on_one_instance_stack::{RunOnOneInstanceStack, RunOnOneInstanceStackProps};
use scheduled_command_stack::{ScheduledCommandStack, ScheduledCommandStackProps};

/// The context key that selects the example stacks (`-c examples=true`).
pub const EXAMPLES_CONTEXT: &str = "examples";

/// True when the context asks for the example stacks (`examples` is `true`).
pub fn selected(app: &App) -> bool {
    use constructs::core::Scope;
    app.node().context_str(EXAMPLES_CONTEXT).as_deref() == Some("true")
}

/// Adds the four example stacks.
pub fn build(app: &App) {
    ScheduledCommandStack::new(app, "ScheduledCommandStack", ScheduledCommandStackProps::default());
    RunOnOneInstanceStack::new(app, "RunOnOneInstanceStack", RunOnOneInstanceStackProps::default());
    OrderedServiceStartupStack::new(
        app,
        "OrderedServiceStartupStack",
        OrderedServiceStartupStackProps::default(),
    );
    MaintenanceWindowCommandStack::new(
        app,
        "MaintenanceWindowCommandStack",
        MaintenanceWindowCommandStackProps::default(),
    );
}
