//! Maintenance window command (seed 004): run a shell command or a script from
//! S3 on the instances with a tag, on a schedule, with concurrency and error
//! thresholds, and notify SNS when an invocation fails, times out or is cancelled.
//!
//! Everything the seed's author had to do by hand with the AWS CLI (the
//! notification config of the task) is here, and the traps they fell into are
//! synth errors that explain themselves:
//! - an `s3://bucket/key` path for `AWS-RunRemoteScript` (it needs an object URL;
//!   with an s3:// path step 1 fails with AccessDenied and the run goes on);
//! - a `commandLine` given as several elements ("The specified parameters are
//!   incomplete or invalid");
//! - a SecureString parameter referenced in the command (Run Command documents
//!   cannot resolve them: the invocation fails without a word).

use crate::aws::iam::{ManagedPolicy, PolicyStatement, Principal, Role, RoleProps};
use crate::aws::ssm::{
    MaintenanceWindow, MaintenanceWindowProps, MaintenanceWindowRunCommandTask, MaintenanceWindowRunCommandTaskProps,
    MaintenanceWindowTarget, MaintenanceWindowTargetProps, NotificationEvent, RunCommandNotification, Threshold,
};
use crate::core::{Construct, Scope, Value};

/// What the task runs.
#[derive(Clone, Debug)]
pub enum MaintenanceScript {
    /// Shell commands run with `AWS-RunShellScript`.
    Shell {
        /// The commands, one per line of the script.
        commands: Vec<String>,
    },
    /// A script stored in S3, downloaded and run with `AWS-RunRemoteScript`.
    RemoteS3 {
        /// The object URL, `https://BUCKET.s3.REGION.amazonaws.com/KEY` (not `s3://`).
        object_url: String,
        /// The command line, as ONE string: `script.sh arg1 arg2`.
        command_line: Vec<String>,
        /// Seconds before the script is stopped (1-28800). `AWS-RunRemoteScript`'s default is 3600.
        execution_timeout_seconds: u32,
    },
}

impl Default for MaintenanceScript {
    fn default() -> Self {
        MaintenanceScript::Shell { commands: Vec::new() }
    }
}

/// The type of a Parameter Store parameter the command references with `{{ssm:NAME}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterKind {
    /// `String`.
    String,
    /// `StringList`.
    StringList,
    /// `SecureString`: cannot be referenced by a Run Command document.
    SecureString,
}

/// A Parameter Store parameter the command references.
#[derive(Clone, Debug)]
pub struct ReferencedParameter {
    /// The parameter name, e.g. `/datadog/api_key`.
    pub name: String,
    /// Its type.
    pub kind: ParameterKind,
}

/// Properties of a [`MaintenanceWindowCommand`].
#[derive(Clone, Debug)]
pub struct MaintenanceWindowCommandProps {
    /// When the window opens, e.g. `cron(0 */5 * * ? *)`. Required.
    pub schedule: String,
    /// The schedule's IANA time zone. Default: UTC.
    pub schedule_timezone: Option<String>,
    /// Window length in hours. Default: 2.
    pub duration_hours: u32,
    /// Hours before the end when no new task starts. Default: 1.
    pub cutoff_hours: u32,
    /// The tag key that selects the instances. Required.
    pub target_tag_key: String,
    /// The tag values that select the instances. Required.
    pub target_tag_values: Vec<String>,
    /// What to run. Required.
    pub script: MaintenanceScript,
    /// Instances at a time. Default: 1.
    pub max_concurrency: Threshold,
    /// Errors tolerated before the window stops the task. Default: 0 (stop at the first).
    pub max_errors: Threshold,
    /// The SNS topic notified of invocations. Default: no notification.
    pub notification_topic_arn: Option<Value>,
    /// The statuses notified. Default: Failed, TimedOut, Cancelled.
    pub notification_events: Vec<NotificationEvent>,
    /// Parameters the command references with `{{ssm:NAME}}`, declared so their types are checked.
    pub parameters: Vec<ReferencedParameter>,
}

impl Default for MaintenanceWindowCommandProps {
    fn default() -> Self {
        MaintenanceWindowCommandProps {
            schedule: String::new(),
            schedule_timezone: None,
            duration_hours: 2,
            cutoff_hours: 1,
            target_tag_key: String::new(),
            target_tag_values: Vec::new(),
            script: MaintenanceScript::default(),
            max_concurrency: Threshold::Count(1),
            max_errors: Threshold::Count(0),
            notification_topic_arn: None,
            notification_events: vec![
                NotificationEvent::Failed,
                NotificationEvent::TimedOut,
                NotificationEvent::Cancelled,
            ],
            parameters: Vec::new(),
        }
    }
}

/// A maintenance window that runs a command on tagged instances (seed 004).
///
/// ```
/// use constructs::core::{App, Stack, StackProps};
/// use constructs::patterns::{MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Maintenance", StackProps::default());
/// MaintenanceWindowCommand::new(&stack, "Nightly", MaintenanceWindowCommandProps {
///     schedule: "cron(0 2 * * ? *)".into(),
///     target_tag_key: "MaintenanceTarget".into(),
///     target_tag_values: vec!["true".into()],
///     script: MaintenanceScript::Shell { commands: vec!["yum -y update".into()] },
///     ..Default::default()
/// });
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct MaintenanceWindowCommand {
    node: Construct,
    window: MaintenanceWindow,
    task: MaintenanceWindowRunCommandTask,
}

impl Scope for MaintenanceWindowCommand {
    fn node(&self) -> &Construct {
        &self.node
    }
}

/// Problems with a script, in the seed author's words where they apply.
pub fn script_problems(script: &MaintenanceScript, parameters: &[ReferencedParameter]) -> Vec<String> {
    let mut problems = Vec::new();
    let texts: Vec<&String> = match script {
        MaintenanceScript::Shell { commands } => {
            if commands.is_empty() {
                problems.push("the shell script has no commands: give at least one".to_owned());
            }
            commands.iter().collect()
        }
        MaintenanceScript::RemoteS3 {
            object_url,
            command_line,
            execution_timeout_seconds,
        } => {
            if let Some(rest) = object_url.strip_prefix("s3://") {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, "KEY"));
                problems.push(format!(
                    "object_url '{object_url}' is an s3:// path, but AWS-RunRemoteScript's aws:downloadContent needs the object URL, e.g. https://{bucket}.s3.REGION.amazonaws.com/{key} (with an s3:// path the download fails with AccessDenied and the run fails later in runShellScript)"
                ));
            } else if !object_url.starts_with("https://") || !object_url.contains(".amazonaws.com/") {
                problems.push(format!(
                    "object_url '{object_url}' is not an S3 object URL: use https://BUCKET.s3.REGION.amazonaws.com/KEY"
                ));
            }
            if command_line.len() != 1 {
                problems.push(format!(
                    "command_line has {} elements, but AWS-RunRemoteScript takes the whole command line as ONE string (\"script.sh arg1 arg2\"); several elements fail with \"The specified parameters are incomplete or invalid\"",
                    command_line.len()
                ));
            }
            if !(1..=28_800).contains(execution_timeout_seconds) {
                problems.push(format!(
                    "execution_timeout_seconds is {execution_timeout_seconds}: AWS-RunRemoteScript accepts 1 to 28800"
                ));
            }
            command_line.iter().collect()
        }
    };
    for text in texts {
        if text.contains("{{ssm-secure:") {
            problems.push(format!(
                "the command '{text}' references a SecureString ({{{{ssm-secure:...}}}}): Run Command documents cannot resolve SecureString parameters; read it on the instance with `aws ssm get-parameter --with-decryption` instead"
            ));
        }
        for p in parameters.iter().filter(|p| p.kind == ParameterKind::SecureString) {
            if text.contains(&format!("{{{{ssm:{}}}}}", p.name)) {
                problems.push(format!(
                    "the command references '{}', a SecureString parameter: Run Command cannot resolve SecureString parameters in a document (the invocation fails without a message); read it on the instance with `aws ssm get-parameter --with-decryption --name {}` instead",
                    p.name, p.name
                ));
            }
        }
    }
    problems
}

impl MaintenanceWindowCommand {
    /// Adds the window, its target, the task, and (with a topic) the
    /// notification role and the window's service role allowed to pass it.
    pub fn new(scope: &impl Scope, id: &str, props: MaintenanceWindowCommandProps) -> MaintenanceWindowCommand {
        let node = Construct::new_typed(scope, id, "constructs.patterns.MaintenanceWindowCommand");
        for p in script_problems(&props.script, &props.parameters) {
            node.add_error(p);
        }
        let window = MaintenanceWindow::new(
            &node,
            "Window",
            MaintenanceWindowProps {
                schedule: props.schedule,
                schedule_timezone: props.schedule_timezone,
                duration_hours: props.duration_hours,
                cutoff_hours: props.cutoff_hours,
                ..Default::default()
            },
        );
        let target = MaintenanceWindowTarget::new(
            &node,
            "Target",
            &window.window_id(),
            MaintenanceWindowTargetProps {
                tag_key: props.target_tag_key,
                tag_values: props.target_tag_values,
            },
        );
        let (document, parameters) = match props.script {
            MaintenanceScript::Shell { commands } => (
                "AWS-RunShellScript",
                vec![("commands".to_owned(), commands.into_iter().map(Value::from).collect())],
            ),
            MaintenanceScript::RemoteS3 {
                object_url,
                command_line,
                execution_timeout_seconds,
            } => (
                "AWS-RunRemoteScript",
                vec![
                    (
                        "commandLine".to_owned(),
                        command_line.into_iter().map(Value::from).collect(),
                    ),
                    (
                        "executionTimeout".to_owned(),
                        vec![Value::from(execution_timeout_seconds.to_string())],
                    ),
                    (
                        "sourceInfo".to_owned(),
                        vec![Value::from(serde_json::json!({ "path": object_url }).to_string())],
                    ),
                    ("sourceType".to_owned(), vec![Value::from("S3")]),
                ],
            ),
        };
        let (service_role_arn, notification) = match props.notification_topic_arn {
            Some(topic_arn) => {
                let notify_role = Role::new(
                    &node,
                    "NotificationRole",
                    RoleProps {
                        assumed_by: Principal::service("ssm.amazonaws.com"),
                        description: Some("Lets Run Command publish invocation notifications".into()),
                        ..Default::default()
                    },
                );
                notify_role.add_to_policy(PolicyStatement::allow(["sns:Publish"], [topic_arn.clone()]));
                let window_role = Role::new(
                    &node,
                    "WindowRole",
                    RoleProps {
                        assumed_by: Principal::service("ssm.amazonaws.com"),
                        managed_policies: vec![ManagedPolicy::aws_managed(
                            "service-role/AmazonSSMMaintenanceWindowRole",
                        )],
                        description: Some("Runs the maintenance window's tasks".into()),
                        ..Default::default()
                    },
                );
                window_role.add_to_policy(PolicyStatement::allow(["iam:PassRole"], [notify_role.arn().value()]));
                (
                    Some(window_role.arn()),
                    Some(RunCommandNotification {
                        topic_arn,
                        role_arn: notify_role.arn(),
                        events: props.notification_events,
                    }),
                )
            }
            None => (None, None),
        };
        let task = MaintenanceWindowRunCommandTask::new(
            &node,
            "Task",
            &window.window_id(),
            MaintenanceWindowRunCommandTaskProps {
                document: document.to_owned(),
                parameters,
                targets: vec![target.target_id()],
                max_concurrency: props.max_concurrency,
                max_errors: props.max_errors,
                service_role_arn,
                notification,
                ..Default::default()
            },
        );
        MaintenanceWindowCommand { node, window, task }
    }

    /// The maintenance window.
    pub fn window(&self) -> &MaintenanceWindow {
        &self.window
    }

    /// The Run Command task.
    pub fn task(&self) -> &MaintenanceWindowRunCommandTask {
        &self.task
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, Stack, StackProps};

    fn remote(url: &str, command_line: &[&str]) -> MaintenanceScript {
        MaintenanceScript::RemoteS3 {
            object_url: url.into(),
            command_line: command_line.iter().map(|s| (*s).to_owned()).collect(),
            execution_timeout_seconds: 3600,
        }
    }

    fn synth_errors(script: MaintenanceScript, parameters: Vec<ReferencedParameter>) -> String {
        let app = App::new();
        let stack = Stack::new(&app, "Mw", StackProps::default());
        MaintenanceWindowCommand::new(
            &stack,
            "Job",
            MaintenanceWindowCommandProps {
                schedule: "cron(0 */5 * * ? *)".into(),
                target_tag_key: "MaintenanceTarget".into(),
                target_tag_values: vec!["true".into()],
                script,
                parameters,
                ..Default::default()
            },
        );
        app.synth().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn an_s3_path_is_refused_with_the_object_url_to_use() {
        let err = synth_errors(
            remote("s3://my-bucket/scripts/maintenance.sh", &["maintenance.sh"]),
            vec![],
        );
        assert!(
            err.contains("Mw/Job: object_url 's3://my-bucket/scripts/maintenance.sh' is an s3:// path"),
            "{err}"
        );
        assert!(
            err.contains("https://my-bucket.s3.REGION.amazonaws.com/scripts/maintenance.sh"),
            "{err}"
        );
    }

    #[test]
    fn a_command_line_of_several_elements_is_refused() {
        let url = "https://my-bucket.s3.ap-northeast-1.amazonaws.com/maintenance.sh";
        let err = synth_errors(remote(url, &["maintenance.sh", "{{ssm:/datadog/api_key}}"]), vec![]);
        assert!(err.contains("Mw/Job: command_line has 2 elements"), "{err}");
        assert!(synth_errors(remote(url, &["maintenance.sh a b"]), vec![]).is_empty());
    }

    #[test]
    fn a_secure_string_reference_is_refused() {
        let url = "https://my-bucket.s3.ap-northeast-1.amazonaws.com/maintenance.sh";
        let secret = ReferencedParameter {
            name: "/datadog/api_key".into(),
            kind: ParameterKind::SecureString,
        };
        let err = synth_errors(remote(url, &["maintenance.sh {{ssm:/datadog/api_key}}"]), vec![secret]);
        assert!(err.contains("'/datadog/api_key', a SecureString parameter"), "{err}");
        let err = synth_errors(
            MaintenanceScript::Shell {
                commands: vec!["echo {{ssm-secure:/x}}".into()],
            },
            vec![],
        );
        assert!(err.contains("SecureString"), "{err}");
    }

    #[test]
    fn notification_roles_are_scoped() {
        let app = App::new();
        let stack = Stack::new(&app, "Mw", StackProps::default());
        MaintenanceWindowCommand::new(
            &stack,
            "Job",
            MaintenanceWindowCommandProps {
                schedule: "rate(5 minutes)".into(),
                target_tag_key: "MaintenanceTarget".into(),
                target_tag_values: vec!["true".into()],
                script: MaintenanceScript::Shell {
                    commands: vec!["uptime".into()],
                },
                max_errors: Threshold::Percent(100),
                notification_topic_arn: Some("arn:aws:sns:us-east-1:123456789012:notify".into()),
                ..Default::default()
            },
        );
        let s = app.synth().expect("synth");
        let text = s.stacks[0].template.to_string();
        assert!(text.contains(r#""MaxErrors":"100%""#), "{text}");
        assert!(
            text.contains(r#""NotificationEvents":["Failed","TimedOut","Cancelled"]"#),
            "{text}"
        );
        assert!(text.contains(r#""Action":"iam:PassRole""#), "{text}");
        assert!(
            text.contains(
                r#""Action":"sns:Publish","Effect":"Allow","Resource":"arn:aws:sns:us-east-1:123456789012:notify""#
            ),
            "{text}"
        );
    }
}
