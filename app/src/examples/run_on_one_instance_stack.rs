//! `RunOnOneInstanceStack`: seed 002's batch — a command on exactly one
//! healthy instance of the fleet tagged `cron=true`, every day at 03:00 JST,
//! failures notified by Run Command itself.

use constructs::aws::events::Schedule;
use constructs::aws::lambda::Code;
use constructs::core::{App, CfnOutput, CfnOutputProps, Scope, Stack, StackProps};
use constructs::patterns::{RunOnOneInstance, RunOnOneInstanceProps};

use crate::lambda_functions_stack::handler_code;

/// Properties of [`RunOnOneInstanceStack`].
#[derive(Clone, Debug)]
pub struct RunOnOneInstanceStackProps {
    /// The stack's props. Default: the defaults.
    pub stack: StackProps,
    /// The handler binary. Default: [`handler_code`], the `lambdas` package's `bootstrap`.
    pub code: Code,
}

impl Default for RunOnOneInstanceStackProps {
    fn default() -> Self {
        RunOnOneInstanceStackProps {
            stack: StackProps::default(),
            code: handler_code(),
        }
    }
}

/// The stack of one command run on one instance of a fleet.
#[derive(Clone, Debug)]
pub struct RunOnOneInstanceStack {
    stack: Stack,
    task: RunOnOneInstance,
}

impl Scope for RunOnOneInstanceStack {
    fn node(&self) -> &constructs::core::Construct {
        self.stack.node()
    }
}

impl RunOnOneInstanceStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: RunOnOneInstanceStackProps) -> RunOnOneInstanceStack {
        let stack = Stack::new(app, id, props.stack);
        let task = RunOnOneInstance::new(
            &stack,
            "DailyAggregation",
            RunOnOneInstanceProps {
                schedule: Schedule::cron("0 18 * * ? *"),
                description: Some("Daily aggregation on one instance of the web fleet (03:00 JST)".into()),
                command: "cd /srv/app && ./bin/aggregate --date yesterday".into(),
                target_tag_key: "cron".into(),
                target_tag_values: vec!["true".into()],
                code: props.code,
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "NotificationTopicArn",
            CfnOutputProps {
                value: task.notification_topic().topic_arn().value(),
                description: Some("Subscribe to hear of failed, timed-out or cancelled runs".into()),
                ..Default::default()
            },
        );
        RunOnOneInstanceStack { stack, task }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The task.
    pub fn task(&self) -> &RunOnOneInstance {
        &self.task
    }
}
