//! `WebAppStartStateMachineStack`: the job net that starts the web system.
//!
//! Describe the DB cluster; if it is `stopped`, start it and poll until it is
//! `available` (if it is already `available` or `backing-up`, go on). Then for
//! each EC2 instance (two at a time): start it, poll until it runs with both
//! status checks `ok`, start httpd by Run Command and check it runs. Finally
//! poll the target group until the target is `healthy` and delete the ALB's
//! maintenance rule. EventBridge notifies Slack when an execution succeeds or
//! fails.
//!
//! Changes from the seed's graph, in both machines: a Run Command task keeps
//! its result in `$.Command` (the seed: `$.Output`), and the task that checks
//! the command reads `$.Command.Payload`. In the seed the check wrote its own
//! result over `$.Output`, so when the command was still `Pending` or
//! `InProgress` the loop back asked about a command with no id (the
//! `ListCommandInvocations` result has no `Command`), and then looked at
//! whichever invocation came first. State names, waits and conditions are the
//! seed's.

use constructs::aws::lambda::Function;
use constructs::aws::logs::{LogGroup, LogGroupProps, RetentionDays};
use constructs::aws::stepfunctions::{
    vended_log_group_name, Chainable, Condition, ExecutionStatus, FailProps, LogOptions, MapProps, PassProps,
    StateGraph, StateMachine, StateMachineLogging, StateMachineProps, Task, TaskProps, WaitTime,
};
use constructs::core::{App, Stack, StackProps, Value};

/// The description of the Slack notice rules, as in the seed.
pub(crate) const NOTICE_DESCRIPTION: &str = "Rules for notifying Slack of the execution results of Step Functions";

/// The status of the first invocation of a Run Command, as the check task returns it.
pub(crate) const COMMAND_STATUS: &str = "$.Output.Payload.CommandInvocations[0].Status";

/// The command has not finished yet: `Pending` or `InProgress`.
pub(crate) fn command_pending() -> Condition {
    Condition::or([
        Condition::string_equals(COMMAND_STATUS, "Pending"),
        Condition::string_equals(COMMAND_STATUS, "InProgress"),
    ])
}

/// A Lambda task reading `input_path` and writing its result to `result_path`.
pub(crate) fn lambda(graph: &StateGraph, name: &str, function: &Function, input_path: &str, result_path: &str) -> Task {
    graph.lambda_invoke(
        name,
        &function.arn(),
        TaskProps {
            input_path: Some(input_path.into()),
            result_path: Some(result_path.into()),
            ..Default::default()
        },
    )
}

/// The Lambda functions the start job net calls (all from `LambdaFunctionsStack`).
pub struct WebAppStartStateMachineProps<'a> {
    /// Starts an EC2 instance.
    pub start_ec2_instance_function: &'a Function,
    /// Describes an EC2 instance's status (`DescribeInstanceStatus`).
    pub describe_status_ec2_instance_function: &'a Function,
    /// Sends a Run Command.
    pub run_command_ec2_instance_function: &'a Function,
    /// Lists a Run Command's invocations.
    pub describe_result_run_command_function: &'a Function,
    /// Starts the DB cluster.
    pub start_db_cluster_function: &'a Function,
    /// Describes the DB cluster.
    pub describe_db_cluster_function: &'a Function,
    /// Describes the target group's target health.
    pub describe_health_target_function: &'a Function,
    /// Deletes the ALB's maintenance rule.
    pub delete_alb_rule_function: &'a Function,
    /// Posts execution results to Slack.
    pub notice_slack_function: &'a Function,
}

/// The stack holding the start state machine, its log group and the Slack notice rule.
pub struct WebAppStartStateMachineStack {
    stack: Stack,
    state_machine: StateMachine,
}

/// The start job net.
pub fn definition(p: &WebAppStartStateMachineProps<'_>) -> StateGraph {
    // For each instance: start it, wait until it runs, start httpd and check it.
    let items = StateGraph::new();
    let start_ec2 = lambda(
        &items,
        "StartEc2InstanceState",
        p.start_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let wait_ec2 = items.wait("WaitEc2Instance30Sec", WaitTime::Seconds(30));
    let describe_ec2 = lambda(
        &items,
        "DescribeStatusEc2InstanceState",
        p.describe_status_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let is_running_ec2 = items.choice("IsRunningEc2InstanceState");
    let start_httpd = lambda(
        &items,
        "StartHttpdState",
        p.run_command_ec2_instance_function,
        "$.StartHttpd",
        "$.Command",
    );
    let wait_start_httpd = items.wait("WaitStartHttpd10Sec", WaitTime::Seconds(10));
    let start_httpd_result = lambda(
        &items,
        "StartHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let is_completed_start_httpd = items.choice("IsCompletedStartHttpdState");
    let describe_httpd = lambda(
        &items,
        "DescribeHttpdState",
        p.run_command_ec2_instance_function,
        "$.CheckHttpdStatus",
        "$.Command",
    );
    let wait_describe_httpd = items.wait("WaitDescribeHttpd10Sec", WaitTime::Seconds(10));
    let describe_httpd_result = lambda(
        &items,
        "DescribeHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let is_running_httpd = items.choice("IsRunningHttpdState");

    start_ec2.next(&wait_ec2).next(&describe_ec2).next(&is_running_ec2);
    is_running_ec2
        .when(
            Condition::and([
                Condition::numeric_equals("$.Output.Payload.InstanceStatuses[0].InstanceState.Code", 16),
                Condition::string_equals("$.Output.Payload.InstanceStatuses[0].InstanceStatus.Status", "ok"),
                Condition::string_equals("$.Output.Payload.InstanceStatuses[0].SystemStatus.Status", "ok"),
            ]),
            &start_httpd,
        )
        .otherwise(&wait_ec2);
    start_httpd
        .next(&wait_start_httpd)
        .next(&start_httpd_result)
        .next(&is_completed_start_httpd);
    is_completed_start_httpd
        .when(Condition::string_equals(COMMAND_STATUS, "Success"), &describe_httpd)
        .when(command_pending(), &wait_start_httpd)
        .otherwise(&items.fail("FailedStartHttpd", FailProps::default()));
    describe_httpd
        .next(&wait_describe_httpd)
        .next(&describe_httpd_result)
        .next(&is_running_httpd);
    let passed = items.pass("Passed", PassProps::default());
    passed.end();
    is_running_httpd
        .when(Condition::string_equals(COMMAND_STATUS, "Success"), &passed)
        .when(command_pending(), &wait_describe_httpd)
        .otherwise(&items.fail("FailedDescribeHttpd", FailProps::default()));

    // The machine: the DB cluster, the instances, then the target group and the maintenance rule.
    let g = StateGraph::new();
    const DB: &str = "$.Input.TargetDbCluster";
    const DB_STATUS: &str = "$.Output.Payload.DBClusters[0].Status";
    let describe_db = lambda(
        &g,
        "DescribeDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let is_stopped_db = g.choice("ChoiceIsStoppedDbClusterState");
    let start_db = lambda(&g, "StartDbClusterState", p.start_db_cluster_function, DB, "$.Output");
    let wait_start_db = g.wait("WaitStartDbCluster30Sec", WaitTime::Seconds(30));
    let describe_status_db = lambda(
        &g,
        "DescribeStatusDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let is_available_db = g.choice("IsAvailableDbClusterState");
    let start_instances = g.map(
        "StartEc2InstancesMapState",
        &items,
        MapProps {
            max_concurrency: Some(2),
            items_path: Some("$.Input.TargetEc2Instances".into()),
            ..Default::default()
        },
    );
    let reflesh_input = g.pass(
        "RefleshInput",
        PassProps {
            input_path: Some("$".into()),
            parameters: Some(Value::map().with("Output.$", "$")),
            output_path: Some("$".into()),
            ..Default::default()
        },
    );
    let wait_health = g.wait("WaitDescribeHealthTarget10Sec", WaitTime::Seconds(10));
    let describe_health = lambda(
        &g,
        "DescribeHealthTargetState",
        p.describe_health_target_function,
        "$$.Execution.Input.Input.TargetAlb.TargetGroup",
        "$.Output",
    );
    let is_healthy = g.choice("ChoiceLoopDescibeHealthTargetState");
    let delete_alb_rule = lambda(
        &g,
        "DeleteAlbRuleState",
        p.delete_alb_rule_function,
        "$$.Execution.Input.Input.TargetAlb.TargetRule",
        "$.Output",
    );

    g.start_at(&describe_db);
    describe_db.next(&is_stopped_db);
    is_stopped_db
        .when(Condition::string_equals(DB_STATUS, "stopped"), &start_db)
        .when(
            Condition::or([
                Condition::string_equals(DB_STATUS, "available"),
                Condition::string_equals(DB_STATUS, "backing-up"),
            ]),
            &start_instances,
        )
        .otherwise(&g.fail("CannotStartDbCluster", FailProps::default()));
    start_db
        .next(&wait_start_db)
        .next(&describe_status_db)
        .next(&is_available_db);
    is_available_db
        .when(Condition::string_equals(DB_STATUS, "available"), &start_instances)
        .otherwise(&wait_start_db);
    start_instances
        .next(&reflesh_input)
        .next(&wait_health)
        .next(&describe_health)
        .next(&is_healthy);
    is_healthy
        .when(
            Condition::string_equals(
                "$.Output.Payload.TargetHealthDescriptions[0].TargetHealth.State",
                "healthy",
            ),
            &delete_alb_rule,
        )
        .otherwise(&wait_health);
    delete_alb_rule.next(&g.succeed("Succeed"));
    g
}

impl WebAppStartStateMachineStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: &WebAppStartStateMachineProps<'_>) -> Self {
        let stack = Stack::new(app, id, StackProps::default());
        let log_group = LogGroup::new(
            &stack,
            "WebAppStartStateMachineLogGroup",
            LogGroupProps {
                log_group_name: Some(vended_log_group_name("webAppStartStateMachineLogGroup")),
                retention: RetentionDays::OneWeek,
                ..Default::default()
            },
        );
        let state_machine = StateMachine::new(
            &stack,
            "SystemStartStateMachine",
            StateMachineProps {
                definition: definition(props),
                logging: StateMachineLogging::To(LogOptions::new(&log_group)),
                ..Default::default()
            },
        );
        state_machine
            .notify_on_status_change(
                &stack,
                "put event rule",
                props.notice_slack_function,
                &[ExecutionStatus::Succeeded, ExecutionStatus::Failed],
            )
            .set_description(NOTICE_DESCRIPTION);
        WebAppStartStateMachineStack { stack, state_machine }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The start state machine.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }
}
