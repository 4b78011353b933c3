//! `OrderedServiceStartupStack`: seed 003's morning start of a development
//! cluster — service A, then B (which needs A), then C, D and E at once —
//! on weekdays at 08:00 JST, with a notice after each service.

use constructs::aws::events::Schedule;
use constructs::core::{App, CfnOutput, CfnOutputProps, Scope, Stack, StackProps};
use constructs::patterns::{EcsServiceStart, OrderedServiceStartup, OrderedServiceStartupProps};

/// Properties of [`OrderedServiceStartupStack`].
#[derive(Clone, Debug)]
pub struct OrderedServiceStartupStackProps {
    /// The stack's props. Default: the defaults.
    pub stack: StackProps,
    /// The cluster's name. Default: `shop-dev-cluster` (the seed's `${service}-${env}-cluster`).
    pub cluster_name: String,
}

impl Default for OrderedServiceStartupStackProps {
    fn default() -> Self {
        OrderedServiceStartupStackProps {
            stack: StackProps::default(),
            cluster_name: "shop-dev-cluster".into(),
        }
    }
}

/// The stack of the ordered start-up of a cluster's services.
#[derive(Clone, Debug)]
pub struct OrderedServiceStartupStack {
    stack: Stack,
    startup: OrderedServiceStartup,
}

impl Scope for OrderedServiceStartupStack {
    fn node(&self) -> &constructs::core::Construct {
        self.stack.node()
    }
}

impl OrderedServiceStartupStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: OrderedServiceStartupStackProps) -> OrderedServiceStartupStack {
        let stack = Stack::new(app, id, props.stack);
        let startup = OrderedServiceStartup::new(
            &stack,
            "MorningStartup",
            OrderedServiceStartupProps {
                cluster_name: props.cluster_name,
                services: vec![
                    EcsServiceStart::new("shop-dev-serviceA", 1),
                    EcsServiceStart::new("shop-dev-serviceB", 3).after(["shop-dev-serviceA"]),
                    EcsServiceStart::new("shop-dev-serviceC", 1).after(["shop-dev-serviceB"]),
                    EcsServiceStart::new("shop-dev-serviceD", 7).after(["shop-dev-serviceB"]),
                    EcsServiceStart::new("shop-dev-serviceE", 1).after(["shop-dev-serviceB"]),
                ],
                // 08:00 JST, Monday to Friday.
                schedule: Some(Schedule::cron("0 23 ? * SUN-THU *")),
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "NoticeTopicArn",
            CfnOutputProps {
                value: startup.notice_topic().topic_arn().value(),
                description: Some("Subscribe to hear of each started service".into()),
                ..Default::default()
            },
        );
        CfnOutput::new(
            &stack,
            "StateMachineArn",
            CfnOutputProps {
                value: startup.state_machine().arn().value(),
                description: Some("Start it by hand: aws stepfunctions start-execution --state-machine-arn ...".into()),
                ..Default::default()
            },
        );
        OrderedServiceStartupStack { stack, startup }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The start-up job net.
    pub fn startup(&self) -> &OrderedServiceStartup {
        &self.startup
    }
}
