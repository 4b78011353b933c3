//! `WebAppStopStateMachineStack`: the job net that stops the web system.
//!
//! Create the maintenance rule on the ALB, then for each EC2 instance (two at
//! a time): stop httpd by Run Command, wait for the command, check httpd is
//! stopped (the status script exits 3), stop the instance, poll until it is
//! `stopped` (state code 80) and start an AMI backup. Then back up the DB
//! cluster, wait until it is `available` again, stop it and poll until it is
//! `stopped`. Any unexpected status ends in one of the seed's Fail states.
//! EventBridge notifies Slack when an execution succeeds or fails.
//!
//! Changes from the seed's graph (see the module docs of
//! [`crate::start_state_machine_stack`] for the ones both machines share):
//! `WaitBackupJobDbCluster60Sec` and `waitStopDbCluster60Sec` wait 60 seconds
//! as their names and comments say (the seed waited 30).

use constructs::aws::lambda::Function;
use constructs::aws::logs::{LogGroup, LogGroupProps, RetentionDays};
use constructs::aws::stepfunctions::{
    vended_log_group_name, Chainable, Condition, ExecutionStatus, FailProps, LogOptions, MapProps, PassProps,
    StateGraph, StateMachine, StateMachineLogging, StateMachineProps, WaitTime,
};
use constructs::core::{App, Stack, StackProps, Value};

use crate::start_state_machine_stack::{command_pending, lambda, COMMAND_STATUS, NOTICE_DESCRIPTION};

/// The Lambda functions the stop job net calls (all from `LambdaFunctionsStack`).
pub struct WebAppStopStateMachineProps<'a> {
    /// Stops an EC2 instance.
    pub stop_ec2_instance_function: &'a Function,
    /// Describes an EC2 instance (`DescribeInstances`).
    pub describe_ec2_instance_function: &'a Function,
    /// Sends a Run Command.
    pub run_command_ec2_instance_function: &'a Function,
    /// Lists a Run Command's invocations.
    pub describe_result_run_command_function: &'a Function,
    /// Stops the DB cluster.
    pub stop_db_cluster_function: &'a Function,
    /// Describes the DB cluster.
    pub describe_db_cluster_function: &'a Function,
    /// Creates the ALB's maintenance rule.
    pub create_alb_rule_function: &'a Function,
    /// Starts an AWS Backup job.
    pub start_backup_job_function: &'a Function,
    /// Posts execution results to Slack.
    pub notice_slack_function: &'a Function,
}

/// The stack holding the stop state machine, its log group and the Slack notice rule.
pub struct WebAppStopStateMachineStack {
    stack: Stack,
    state_machine: StateMachine,
}

/// The stop job net.
pub fn definition(p: &WebAppStopStateMachineProps<'_>) -> StateGraph {
    // For each instance: stop httpd, check it is stopped, stop the instance, back it up.
    let items = StateGraph::new();
    let stop_httpd = lambda(
        &items,
        "StopHttpdState",
        p.run_command_ec2_instance_function,
        "$.StopHttpd",
        "$.Command",
    );
    let wait_stop_httpd = items.wait("WaitStopHttpd10Sec", WaitTime::Seconds(10));
    let stop_httpd_result = lambda(
        &items,
        "StopHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let is_completed_stop_httpd = items.choice("IsCompletedStopHttpdState");
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
    let is_stopped_httpd = items.choice("IsStoppedHttpdState");
    let stop_ec2 = lambda(
        &items,
        "StopEc2InstanceState",
        p.stop_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let wait_stop_ec2 = items.wait("WaitStopEc2Instance30Sec", WaitTime::Seconds(30));
    let describe_ec2 = lambda(
        &items,
        "DescribeStatusEc2InstanceState",
        p.describe_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let is_stopped_ec2 = items.choice("IsStoppedEc2InstanceState");
    let backup_ec2 = lambda(
        &items,
        "StartBackupJobEC2instanceState",
        p.start_backup_job_function,
        "$.ResourceArn",
        "$.Output",
    );
    let passed = items.pass("Passed", PassProps::default());

    stop_httpd
        .next(&wait_stop_httpd)
        .next(&stop_httpd_result)
        .next(&is_completed_stop_httpd);
    is_completed_stop_httpd
        .when(Condition::string_equals(COMMAND_STATUS, "Success"), &describe_httpd)
        .when(command_pending(), &wait_stop_httpd)
        .otherwise(&items.fail("FailedStopHttpd", FailProps::default()));
    describe_httpd
        .next(&wait_describe_httpd)
        .next(&describe_httpd_result)
        .next(&is_stopped_httpd);
    is_stopped_httpd
        .when(
            Condition::numeric_equals(
                "$.Output.Payload.CommandInvocations[0].CommandPlugins[0].ResponseCode",
                3,
            ),
            &stop_ec2,
        )
        .when(command_pending(), &wait_describe_httpd)
        .otherwise(&items.fail("FailedDescribeHttpd", FailProps::default()));
    stop_ec2.next(&wait_stop_ec2).next(&describe_ec2).next(&is_stopped_ec2);
    is_stopped_ec2
        .when(
            Condition::numeric_equals("$.Output.Payload.Reservations[0].Instances[0].State.Code", 80),
            &backup_ec2,
        )
        .otherwise(&wait_stop_ec2);
    backup_ec2.next(&passed).end();

    // The machine: maintenance page, the instances, then the DB cluster.
    let g = StateGraph::new();
    let create_alb_rule = lambda(
        &g,
        "CreateAlbRuleState",
        p.create_alb_rule_function,
        "$.Input.TargetRule",
        "$.Output",
    );
    let stop_instances = g.map(
        "StopEc2InstancesMapState",
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
    const DB: &str = "$$.Execution.Input.Input.TargetDbCluster.DBClusterIdentifier";
    const DB_STATUS: &str = "$.Output.Payload.DBClusters[0].Status";
    let backup_db = lambda(
        &g,
        "StartBackupJobDbClusterState",
        p.start_backup_job_function,
        "$$.Execution.Input.Input.TargetDbCluster.ResourceArn",
        "$.Output",
    );
    let wait_backup_db = g.wait("WaitBackupJobDbCluster60Sec", WaitTime::Seconds(60));
    let is_completed_backup_db = lambda(
        &g,
        "IsCompletedBackupDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let is_available_db = g.choice("IsAvailableDbClusterState");
    let stop_db = lambda(&g, "StopDbClusterState", p.stop_db_cluster_function, DB, "$.Output");
    let wait_stop_db = g.wait("waitStopDbCluster60Sec", WaitTime::Seconds(60));
    let describe_db = lambda(
        &g,
        "DescribeStatusDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let is_stopped_db = g.choice("DescribeStatusDbClusterAfterStartBackupJobState");

    g.start_at(&create_alb_rule);
    create_alb_rule
        .next(&stop_instances)
        .next(&reflesh_input)
        .next(&backup_db)
        .next(&wait_backup_db)
        .next(&is_completed_backup_db)
        .next(&is_available_db);
    is_available_db
        .when(Condition::string_equals(DB_STATUS, "available"), &stop_db)
        .when(
            Condition::or([
                Condition::string_equals(DB_STATUS, "backing-up"),
                Condition::string_equals(DB_STATUS, "backtracking"),
                Condition::string_equals(DB_STATUS, "maintenance"),
            ]),
            &wait_backup_db,
        )
        .otherwise(&g.fail("FailedStartBackupJobDbCluster", FailProps::default()));
    stop_db.next(&wait_stop_db).next(&describe_db).next(&is_stopped_db);
    is_stopped_db
        .when(Condition::string_equals(DB_STATUS, "stopped"), &g.succeed("Succeed"))
        .when(Condition::string_equals(DB_STATUS, "stopping"), &wait_stop_db)
        .otherwise(&g.fail("FailedStopDbCluster", FailProps::default()));
    g
}

impl WebAppStopStateMachineStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: &WebAppStopStateMachineProps<'_>) -> Self {
        let stack = Stack::new(app, id, StackProps::default());
        let log_group = LogGroup::new(
            &stack,
            "WebAppStopStateMachineLogGroup",
            LogGroupProps {
                log_group_name: Some(vended_log_group_name("webAppStopStateMachineLogGroup")),
                retention: RetentionDays::OneWeek,
                ..Default::default()
            },
        );
        let state_machine = StateMachine::new(
            &stack,
            "SystemStopStateMachine",
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
        WebAppStopStateMachineStack { stack, state_machine }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The stop state machine.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }
}
