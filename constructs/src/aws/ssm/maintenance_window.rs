//! SSM Maintenance Windows: a schedule, targets, and Run Command tasks with
//! concurrency and error thresholds and SNS notification of failed invocations.

use crate::aws::iam::RoleArn;
use crate::cfn::ssm::{self, maintenance_window_target, maintenance_window_task as task};
use crate::core::{CfnResource, Construct, Scope, Value};

crate::typed_value!(
    /// The id of a maintenance window (`mw-...`).
    MaintenanceWindowId
);
crate::typed_value!(
    /// The id of a maintenance window target.
    MaintenanceWindowTargetId
);

/// Properties of a [`MaintenanceWindow`].
#[derive(Clone, Debug)]
pub struct MaintenanceWindowProps {
    /// The window name. Default: generated from the construct path.
    pub name: Option<String>,
    /// When the window opens: `cron(...)` (six fields), `rate(...)` or `at(...)`. Required.
    pub schedule: String,
    /// The IANA time zone of the schedule, e.g. `Asia/Tokyo`. Default: UTC.
    pub schedule_timezone: Option<String>,
    /// How long the window stays open, in hours (1-24). Default: 2.
    pub duration_hours: u32,
    /// Hours before the end of the window when no new task starts (less than the duration). Default: 1.
    pub cutoff_hours: u32,
    /// Allow tasks on instances not registered as targets. Default: false.
    pub allow_unassociated_targets: bool,
    /// A description. Default: none.
    pub description: Option<String>,
}

impl Default for MaintenanceWindowProps {
    fn default() -> Self {
        MaintenanceWindowProps {
            name: None,
            schedule: String::new(),
            schedule_timezone: None,
            duration_hours: 2,
            cutoff_hours: 1,
            allow_unassociated_targets: false,
            description: None,
        }
    }
}

/// An SSM Maintenance Window (`AWS::SSM::MaintenanceWindow`).
#[derive(Clone, Debug)]
pub struct MaintenanceWindow {
    node: Construct,
    resource: CfnResource,
}

impl Scope for MaintenanceWindow {
    fn node(&self) -> &Construct {
        &self.node
    }
}

/// Checks a maintenance window schedule expression; returns what is wrong.
pub fn validate_window_schedule(schedule: &str) -> Option<String> {
    let inner = |prefix: &str| schedule.strip_prefix(prefix).and_then(|s| s.strip_suffix(')'));
    if let Some(fields) = inner("cron(") {
        let n = fields.split_whitespace().count();
        if n != 6 {
            return Some(format!(
                "schedule '{schedule}' has {n} cron fields; maintenance windows need six: minutes hours day-of-month month day-of-week year, e.g. cron(0 */5 * * ? *)"
            ));
        }
        return None;
    }
    if let Some(body) = inner("rate(") {
        let mut parts = body.split_whitespace();
        let ok = matches!(
            (parts.next().map(str::parse::<u32>), parts.next(), parts.next()),
            (Some(Ok(v)), Some(unit), None) if v > 0 && matches!(unit, "minute" | "minutes" | "hour" | "hours" | "day" | "days")
        );
        return (!ok).then(|| {
            format!("schedule '{schedule}' is not a valid rate: use rate(N unit) with unit minutes, hours or days")
        });
    }
    if inner("at(").is_some() {
        return None;
    }
    Some(format!(
        "schedule '{schedule}' must be cron(...), rate(...) or at(...), e.g. cron(0 2 ? * SUN *)"
    ))
}

impl MaintenanceWindow {
    /// Adds a maintenance window; the schedule, duration and cutoff are validated at synth.
    pub fn new(scope: &impl Scope, id: &str, props: MaintenanceWindowProps) -> MaintenanceWindow {
        let node = Construct::new_typed(scope, id, "constructs.aws.ssm.MaintenanceWindow");
        let name = props.name.clone().unwrap_or_else(|| node.path().replace('/', "-"));
        let resource: CfnResource = ssm::CfnMaintenanceWindow::new(
            &node,
            "Resource",
            ssm::CfnMaintenanceWindowProps {
                allow_unassociated_targets: Some(props.allow_unassociated_targets.into()),
                cutoff: Some(props.cutoff_hours.into()),
                description: props.description.as_deref().map(Value::from),
                duration: Some(props.duration_hours.into()),
                name: Some(name.into()),
                schedule: Some(props.schedule.as_str().into()),
                schedule_timezone: props.schedule_timezone.as_deref().map(Value::from),
                ..Default::default()
            },
        )
        .into();
        if let Some(problem) = validate_window_schedule(&props.schedule) {
            node.add_error(problem);
        }
        if !(1..=24).contains(&props.duration_hours) {
            node.add_error(format!(
                "duration_hours is {}: it must be 1 to 24",
                props.duration_hours
            ));
        }
        if props.cutoff_hours >= props.duration_hours {
            node.add_error(format!(
                "cutoff_hours ({}) must be less than duration_hours ({}): otherwise no task can ever start",
                props.cutoff_hours, props.duration_hours
            ));
        }
        MaintenanceWindow { node, resource }
    }

    /// The window id.
    pub fn window_id(&self) -> MaintenanceWindowId {
        MaintenanceWindowId(self.resource.ref_())
    }

    /// The L1 resource (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

/// Properties of a [`MaintenanceWindowTarget`].
#[derive(Clone, Debug, Default)]
pub struct MaintenanceWindowTargetProps {
    /// The tag key instances are selected by. Required.
    pub tag_key: String,
    /// The tag values that select an instance. Required (at least one).
    pub tag_values: Vec<String>,
}

/// Instances selected by tag for a maintenance window (`AWS::SSM::MaintenanceWindowTarget`).
#[derive(Clone, Debug)]
pub struct MaintenanceWindowTarget {
    node: Construct,
    resource: CfnResource,
}

impl Scope for MaintenanceWindowTarget {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl MaintenanceWindowTarget {
    /// Registers instances with a tag as targets of a window.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        window: &MaintenanceWindowId,
        props: MaintenanceWindowTargetProps,
    ) -> Self {
        let node = Construct::new_typed(scope, id, "constructs.aws.ssm.MaintenanceWindowTarget");
        let resource: CfnResource = ssm::CfnMaintenanceWindowTarget::new(
            &node,
            "Resource",
            ssm::CfnMaintenanceWindowTargetProps {
                resource_type: Some(maintenance_window_target::MaintenanceWindowTargetResourceType::Instance.into()),
                targets: Some(Value::list([maintenance_window_target::Targets {
                    key: Some(format!("tag:{}", props.tag_key).into()),
                    values: Some(Value::list(props.tag_values.iter().map(String::as_str))),
                }])),
                window_id: Some(window.into()),
                ..Default::default()
            },
        )
        .into();
        if props.tag_key.is_empty() || props.tag_values.is_empty() {
            node.add_error("a target needs a tag key and at least one tag value: give tag_key and tag_values");
        }
        MaintenanceWindowTarget { node, resource }
    }

    /// The target id.
    pub fn target_id(&self) -> MaintenanceWindowTargetId {
        MaintenanceWindowTargetId(self.resource.ref_())
    }
}

/// How many targets at a time, or how many errors are tolerated: a count or a percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// A number of targets.
    Count(u32),
    /// A percentage of the targets (0-100).
    Percent(u32),
}

impl Threshold {
    fn render(self) -> String {
        match self {
            Threshold::Count(n) => n.to_string(),
            Threshold::Percent(p) => format!("{p}%"),
        }
    }

    fn problem(self, what: &str) -> Option<String> {
        match self {
            Threshold::Percent(p) if p > 100 => Some(format!("{what} is {p}%: a percentage must be 0 to 100")),
            _ => None,
        }
    }
}

/// A Run Command invocation status that triggers a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationEvent {
    /// Every status change.
    All,
    /// The command is in progress.
    InProgress,
    /// The command succeeded.
    Success,
    /// The command timed out.
    TimedOut,
    /// The command was cancelled.
    Cancelled,
    /// The command failed.
    Failed,
}

impl NotificationEvent {
    fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::All => "All",
            NotificationEvent::InProgress => "InProgress",
            NotificationEvent::Success => "Success",
            NotificationEvent::TimedOut => "TimedOut",
            NotificationEvent::Cancelled => "Cancelled",
            NotificationEvent::Failed => "Failed",
        }
    }
}

/// SNS notification of a Run Command task's invocations.
#[derive(Clone, Debug)]
pub struct RunCommandNotification {
    /// The topic ARN. Required.
    pub topic_arn: Value,
    /// The role Run Command assumes to publish (trusts `ssm.amazonaws.com`, may `sns:Publish` to the topic). Required.
    pub role_arn: RoleArn,
    /// The statuses to notify. Default (in the patterns): Failed, TimedOut, Cancelled.
    pub events: Vec<NotificationEvent>,
}

/// Properties of a [`MaintenanceWindowRunCommandTask`].
#[derive(Clone, Debug)]
pub struct MaintenanceWindowRunCommandTaskProps {
    /// The SSM document, e.g. `AWS-RunShellScript` or `AWS-RunRemoteScript`. Required.
    pub document: String,
    /// The document's parameters (name -> list of values). Default: none.
    pub parameters: Vec<(String, Vec<Value>)>,
    /// The window targets to run on. Required.
    pub targets: Vec<MaintenanceWindowTargetId>,
    /// The task's priority in the window (0 is highest). Default: 1.
    pub priority: u32,
    /// Targets run at the same time. Default: one at a time.
    pub max_concurrency: Threshold,
    /// Errors tolerated before the task stops. `Percent(100)` runs on every
    /// target whatever fails, and the task then reports success. Default: 0.
    pub max_errors: Threshold,
    /// The role the window assumes to run the task. Default: the SSM service-linked role.
    pub service_role_arn: Option<RoleArn>,
    /// Notification of invocations. Default: none.
    pub notification: Option<RunCommandNotification>,
    /// Seconds before an invocation that hasn't started times out. Default: 600.
    pub timeout_seconds: u32,
}

impl Default for MaintenanceWindowRunCommandTaskProps {
    fn default() -> Self {
        MaintenanceWindowRunCommandTaskProps {
            document: "AWS-RunShellScript".into(),
            parameters: Vec::new(),
            targets: Vec::new(),
            priority: 1,
            max_concurrency: Threshold::Count(1),
            max_errors: Threshold::Count(0),
            service_role_arn: None,
            notification: None,
            timeout_seconds: 600,
        }
    }
}

/// A Run Command task of a maintenance window (`AWS::SSM::MaintenanceWindowTask`).
#[derive(Clone, Debug)]
pub struct MaintenanceWindowRunCommandTask {
    node: Construct,
    resource: CfnResource,
}

impl Scope for MaintenanceWindowRunCommandTask {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl MaintenanceWindowRunCommandTask {
    /// Adds a Run Command task to a window.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        window: &MaintenanceWindowId,
        props: MaintenanceWindowRunCommandTaskProps,
    ) -> Self {
        let node = Construct::new_typed(scope, id, "constructs.aws.ssm.MaintenanceWindowRunCommandTask");
        let run = task::MaintenanceWindowRunCommandParameters {
            notification_config: props.notification.as_ref().map(|n| {
                task::NotificationConfig {
                    notification_arn: Some(n.topic_arn.clone()),
                    notification_events: Some(Value::list(n.events.iter().map(|e| e.as_str()))),
                    notification_type: Some("Invocation".into()),
                }
                .into()
            }),
            // Parameters are the document's own, by name: a map the schema leaves open.
            parameters: (!props.parameters.is_empty()).then(|| {
                Value::Map(
                    props
                        .parameters
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::List(v.clone())))
                        .collect(),
                )
            }),
            service_role_arn: props.notification.as_ref().map(|n| Value::from(&n.role_arn)),
            timeout_seconds: Some(props.timeout_seconds.into()),
            ..Default::default()
        };
        let resource: CfnResource = ssm::CfnMaintenanceWindowTask::new(
            &node,
            "Resource",
            ssm::CfnMaintenanceWindowTaskProps {
                max_concurrency: Some(props.max_concurrency.render().into()),
                max_errors: Some(props.max_errors.render().into()),
                name: Some(
                    id.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect::<String>()
                        .into(),
                ),
                priority: Some(props.priority.into()),
                service_role_arn: props.service_role_arn.as_ref().map(Value::from),
                targets: Some(Value::list([task::Target {
                    key: Some("WindowTargetIds".into()),
                    values: Some(Value::list(props.targets.iter().map(Value::from))),
                }])),
                task_arn: Some(props.document.as_str().into()),
                task_invocation_parameters: Some(
                    task::TaskInvocationParameters {
                        maintenance_window_run_command_parameters: Some(run.into()),
                        ..Default::default()
                    }
                    .into(),
                ),
                task_type: Some(task::MaintenanceWindowTaskTaskType::RunCommand.into()),
                window_id: Some(window.into()),
                ..Default::default()
            },
        )
        .into();
        for p in [
            props.max_concurrency.problem("max_concurrency"),
            props.max_errors.problem("max_errors"),
        ]
        .into_iter()
        .flatten()
        {
            node.add_error(p);
        }
        if props.targets.is_empty() {
            node.add_error("the task has no targets: pass at least one MaintenanceWindowTarget id in `targets`");
        }
        if props.max_concurrency == Threshold::Count(0) || props.max_concurrency == Threshold::Percent(0) {
            node.add_error("max_concurrency must be at least 1 (or 1%): with 0 the task never runs");
        }
        if !(30..=172_800).contains(&props.timeout_seconds) {
            node.add_error(format!(
                "timeout_seconds is {}: it must be 30 to 172800",
                props.timeout_seconds
            ));
        }
        MaintenanceWindowRunCommandTask { node, resource }
    }

    /// The L1 resource (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_checked() {
        assert_eq!(validate_window_schedule("cron(0 */5 * * ? *)"), None);
        assert_eq!(validate_window_schedule("rate(5 minutes)"), None);
        assert!(validate_window_schedule("cron(0 */5 * * *)").is_some_and(|e| e.contains("six")));
        assert!(validate_window_schedule("rate(0 minutes)").is_some());
        assert!(validate_window_schedule("every day").is_some_and(|e| e.contains("cron(...)")));
    }

    #[test]
    fn thresholds_render_as_ssm_expects() {
        assert_eq!(Threshold::Count(1).render(), "1");
        assert_eq!(Threshold::Percent(100).render(), "100%");
        assert!(Threshold::Percent(101).problem("max_errors").is_some());
    }
}
