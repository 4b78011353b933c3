//! AWS Systems Manager: parameters and maintenance windows.

mod maintenance_window;
mod parameter;

pub use maintenance_window::{
    validate_window_schedule, MaintenanceWindow, MaintenanceWindowId, MaintenanceWindowProps,
    MaintenanceWindowRunCommandTask, MaintenanceWindowRunCommandTaskProps, MaintenanceWindowTarget,
    MaintenanceWindowTargetId, MaintenanceWindowTargetProps, NotificationEvent, RunCommandNotification, Threshold,
};
pub use parameter::{ParameterName, ParameterTier, StringParameter, StringParameterProps, StringValue};
