//! `ScheduledCommandStack`: one scheduled task of seed 000 — every five
//! minutes, the seed's periodic-tasks command on the instances tagged
//! `Name=test`, with success and failure topics.
//!
//! One stack per task: a second task is a second stack with its own command,
//! state machine and functions (`ScheduledCommandStack::new(app, "NightlyReportStack", ..)`).

use constructs::aws::events::{RateUnit, Schedule};
use constructs::aws::lambda::Code;
use constructs::core::{App, CfnOutput, CfnOutputProps, Scope, Stack, StackProps};
use constructs::patterns::{ScheduledCommand, ScheduledCommandProps};

use crate::lambda_functions_stack::handler_code;

/// Properties of [`ScheduledCommandStack`].
#[derive(Clone, Debug)]
pub struct ScheduledCommandStackProps {
    /// The stack's props. Default: the defaults.
    pub stack: StackProps,
    /// The handler binary. Default: [`handler_code`], the `lambdas` package's `bootstrap`.
    pub code: Code,
}

impl Default for ScheduledCommandStackProps {
    fn default() -> Self {
        ScheduledCommandStackProps {
            stack: StackProps::default(),
            code: handler_code(),
        }
    }
}

/// The stack of one scheduled command.
#[derive(Clone, Debug)]
pub struct ScheduledCommandStack {
    stack: Stack,
    task: ScheduledCommand,
}

impl Scope for ScheduledCommandStack {
    fn node(&self) -> &constructs::core::Construct {
        self.stack.node()
    }
}

impl ScheduledCommandStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: ScheduledCommandStackProps) -> ScheduledCommandStack {
        let stack = Stack::new(app, id, props.stack);
        let task = ScheduledCommand::new(
            &stack,
            "RunPeriodicTasks",
            ScheduledCommandProps {
                schedule: Schedule::rate(5, RateUnit::Minutes),
                description: Some("run-periodic-tasks".into()),
                command: "sudo -u apache bash -c 'cd /var/www/cgi-bin/app && /usr/bin/perl ./tools/run-periodic-tasks'"
                    .into(),
                target_tag_key: "Name".into(),
                target_tag_values: vec!["test".into()],
                code: props.code,
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "CommandExecutionSucceededTopicArn",
            CfnOutputProps {
                value: task.success_topic().topic_arn().value(),
                description: Some("Subscribe to hear of successful runs".into()),
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "CommandExecutionFailedTopicArn",
            CfnOutputProps {
                value: task.failure_topic().topic_arn().value(),
                description: Some("Subscribe to hear of failed runs".into()),
                ..Default::default()
            },
        );
        ScheduledCommandStack { stack, task }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The scheduled command.
    pub fn task(&self) -> &ScheduledCommand {
        &self.task
    }
}
