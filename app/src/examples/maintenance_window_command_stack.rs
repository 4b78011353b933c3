//! `MaintenanceWindowCommandStack`: seed 004's job — every five hours, a
//! script from S3 (`AWS-RunRemoteScript`) on the instances tagged
//! `MaintenanceTarget=true`, one at a time, with a notice when an invocation
//! fails, times out or is cancelled.

use constructs::aws::sns::{Topic, TopicProps};
use constructs::aws::ssm::Threshold;
use constructs::core::{App, CfnOutput, CfnOutputProps, Scope, Stack, StackProps};
use constructs::patterns::{MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps};

/// The context key of the script's S3 object URL.
pub const SCRIPT_URL_CONTEXT: &str = "maintenance-script-url";
/// The object URL used when the context does not give one.
pub const DEFAULT_SCRIPT_URL: &str = "https://maintenance-scripts.s3.ap-northeast-1.amazonaws.com/maintenance.sh";

/// Properties of [`MaintenanceWindowCommandStack`].
#[derive(Clone, Debug, Default)]
pub struct MaintenanceWindowCommandStackProps {
    /// The stack's props. Default: the defaults.
    pub stack: StackProps,
}

/// The stack of one maintenance window command.
#[derive(Clone, Debug)]
pub struct MaintenanceWindowCommandStack {
    stack: Stack,
    command: MaintenanceWindowCommand,
}

impl Scope for MaintenanceWindowCommandStack {
    fn node(&self) -> &constructs::core::Construct {
        self.stack.node()
    }
}

impl MaintenanceWindowCommandStack {
    /// Adds the stack to the app. Reads the context `maintenance-script-url`
    /// (default [`DEFAULT_SCRIPT_URL`]).
    pub fn new(app: &App, id: &str, props: MaintenanceWindowCommandStackProps) -> MaintenanceWindowCommandStack {
        let stack = Stack::new(app, id, props.stack);
        let object_url = stack
            .node()
            .context_str(SCRIPT_URL_CONTEXT)
            .unwrap_or_else(|| DEFAULT_SCRIPT_URL.to_owned());
        let topic = Topic::new(&stack, "MaintenanceNotice", TopicProps::default());
        let command = MaintenanceWindowCommand::new(
            &stack,
            "Maintenance",
            MaintenanceWindowCommandProps {
                schedule: "cron(0 */5 * * ? *)".into(),
                schedule_timezone: Some("Etc/UTC".into()),
                target_tag_key: "MaintenanceTarget".into(),
                target_tag_values: vec!["true".into()],
                script: MaintenanceScript::RemoteS3 {
                    object_url,
                    command_line: vec!["maintenance.sh".into()],
                    execution_timeout_seconds: 3600,
                },
                max_concurrency: Threshold::Count(1),
                max_errors: Threshold::Count(1),
                notification_topic_arn: Some(topic.arn().value()),
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "MaintenanceNoticeTopicArn",
            CfnOutputProps {
                value: topic.arn().value(),
                description: Some("Subscribe to hear of failed, timed-out or cancelled invocations".into()),
                ..Default::default()
            },
        );
        MaintenanceWindowCommandStack { stack, command }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The maintenance window command.
    pub fn command(&self) -> &MaintenanceWindowCommand {
        &self.command
    }
}
