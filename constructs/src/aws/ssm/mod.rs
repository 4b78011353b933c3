//! AWS Systems Manager: parameters and maintenance windows.

mod maintenance_window;

pub use maintenance_window::{
    validate_window_schedule, MaintenanceWindow, MaintenanceWindowId, MaintenanceWindowProps,
    MaintenanceWindowRunCommandTask, MaintenanceWindowRunCommandTaskProps, MaintenanceWindowTarget,
    MaintenanceWindowTargetId, MaintenanceWindowTargetProps, NotificationEvent, RunCommandNotification, Threshold,
};
