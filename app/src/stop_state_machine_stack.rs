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
//! The maintenance rule's ARN is written to WebAppStack's
//! `MaintenanceRuleParameter` right after the rule is created
//! (`SaveAlbRuleState`, an `aws-sdk:ssm:putParameter` task allowed on that
//! parameter only), for the start job net to delete it. The machine's run
//! input ([`run_input`]) is built from WebAppStack: `run
//! WebAppStopStateMachineStack/SystemStopStateMachine` needs no JSON.
//!
//! Every poll is a [`PollUntil`] loop: bounded by a count of polls (httpd
//! 5 min, instance 15 min, backup 60 min, DB stop 30 min), failing in a
//! `<loop>TimedOut` state; the machine's [`STOP_TIMEOUT`] is the last resort.
//! Every Fail state has an `Error` and a `Cause` naming the instance or cluster
//! and the last result.
//!
//! Changes from the seed's graph (see the module docs of
//! [`crate::start_state_machine_stack`] for the ones both machines share):
//! `WaitBackupJobDbCluster60Sec` and `waitStopDbCluster60Sec` wait 60 seconds
//! as their names and comments say (the seed waited 30).

use constructs::aws::events_targets::StateMachineNotifications;
use constructs::aws::lambda::Function;
use constructs::aws::logs::{LogGroup, LogGroupProps, RetentionDays};
use std::time::Duration;

use constructs::aws::stepfunctions::{
    vended_log_group_name, AwsSdkCall, Chainable, Condition, ExecutionStatus, JsonPath, LogOptions, MapProps,
    PassProps, PollUntil, PollUntilProps, Recoverable, StateGraph, StateMachine, StateMachineLogging,
    StateMachineProps, TaskProps,
};
use constructs::core::{App, Scope, Stack, StackProps, Value};

use crate::web_app_stack::{maintenance_page, WebAppStack};

use crate::start_state_machine_stack::{
    command_failed, command_pending, command_polls, command_status_is, db_failed, db_polls, db_status_is, lambda,
    present_and, ssm_retry, web_server_input, NOTICE_DESCRIPTION,
};

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
    /// The web system the job net stops: its run input, and the parameter
    /// the maintenance rule's ARN is written to.
    pub web_app: &'a WebAppStack,
}

/// The stop machine's run input, from the deployed WebAppStack: the
/// maintenance rule to create on the listener (its page is
/// `app/assets/maintenance.html`), each web server with its Run Commands and
/// ARN (for AWS Backup), and the DB cluster's identifier and ARN. Each value
/// is the request of the function that reads it, in the AWS API's own shape
/// (the seed's stop machine reads `TargetDbCluster.DBClusterIdentifier` as
/// the whole request). An error when the maintenance page cannot be read.
pub fn run_input(web_app: &WebAppStack) -> std::io::Result<Value> {
    let page = maintenance_page()?;
    let stack = web_app.stack();
    let instances = web_app.instances().iter().map(|instance| {
        let id = instance.instance_id().value();
        web_server_input(&id, "StopHttpd", "stopHttpd.sh").with(
            "ResourceArn",
            Value::map().with(
                "ResourceArn",
                stack.format_arn("ec2", true, true, Value::concat([Value::from("instance/"), id.clone()])),
            ),
        )
    });
    let cluster = web_app.db_cluster();
    Ok(Value::map().with(
        "Input",
        Value::map()
            .with(
                "TargetRule",
                Value::map()
                    .with("ListenerArn", web_app.listener().arn().value())
                    .with("Priority", 1)
                    .with(
                        "Conditions",
                        Value::list([Value::map()
                            .with("Field", "path-pattern")
                            .with("PathPatternConfig", Value::map().with("Values", Value::list(["/*"])))]),
                    )
                    .with(
                        "Actions",
                        Value::list([Value::map().with("Type", "fixed-response").with(
                            "FixedResponseConfig",
                            Value::map()
                                .with("StatusCode", "503")
                                .with("ContentType", "text/html")
                                .with("MessageBody", page),
                        )]),
                    ),
            )
            .with("TargetEc2Instances", Value::list(instances))
            .with(
                "TargetDbCluster",
                Value::map()
                    .with(
                        "DBClusterIdentifier",
                        Value::map().with("DBClusterIdentifier", cluster.cluster_identifier()),
                    )
                    .with("ResourceArn", Value::map().with("ResourceArn", cluster.cluster_arn())),
            ),
    ))
}

/// The stack holding the stop state machine, its log group and the Slack notice rule.
pub struct WebAppStopStateMachineStack {
    stack: Stack,
    state_machine: StateMachine,
}

/// The stop machine's last-resort timeout: longer than the sum of its poll
/// limits (httpd 2 × 5 min, instance 15 min, backup 60 min, DB stop 30 min).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(3 * 60 * 60);

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
    let stop_httpd_result = lambda(
        &items,
        "StopHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let poll_stop_httpd = PollUntil::new(
        &items,
        "StopHttpd",
        &stop_httpd_result,
        command_polls("WaitStopHttpd10Sec", "IsCompletedStopHttpdState", "httpd stop"),
    );
    let describe_httpd = lambda(
        &items,
        "DescribeHttpdState",
        p.run_command_ec2_instance_function,
        "$.CheckHttpdStatus",
        "$.Command",
    );
    let describe_httpd_result = lambda(
        &items,
        "DescribeHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let poll_describe_httpd = PollUntil::new(
        &items,
        "DescribeHttpd",
        &describe_httpd_result,
        command_polls("WaitDescribeHttpd10Sec", "IsStoppedHttpdState", "httpd status check"),
    );
    let stop_ec2 = lambda(
        &items,
        "StopEc2InstanceState",
        p.stop_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let describe_ec2 = lambda(
        &items,
        "DescribeStatusEc2InstanceState",
        p.describe_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let poll_stop_ec2 = PollUntil::new(
        &items,
        "StopEc2Instance",
        &describe_ec2,
        PollUntilProps {
            interval: Duration::from_secs(30),
            limit: Duration::from_secs(15 * 60),
            wait_name: Some("WaitStopEc2Instance30Sec".into()),
            choice_name: Some("IsStoppedEc2InstanceState".into()),
            subject: "instance (to be stopped)".into(),
            subject_path: Some("$.InstanceId.InstanceIds".into()),
            ..Default::default()
        },
    );
    let backup_ec2 = lambda(
        &items,
        "StartBackupJobEC2instanceState",
        p.start_backup_job_function,
        "$.ResourceArn",
        "$.Output",
    );
    let passed = items.pass("Passed", PassProps::default());

    const INSTANCE_STATE: &str = "$.Output.Payload.Reservations[0].Instances[0].State.Code";
    const RESPONSE_CODE: &str = "$.Output.Payload.CommandInvocations[0].CommandPlugins[0].ResponseCode";
    items.start_at(&stop_httpd);
    stop_httpd.next(poll_stop_httpd.start());
    poll_stop_httpd
        .done_when(command_status_is("Success"), &describe_httpd)
        .keep_polling_when(command_pending())
        .otherwise(&command_failed(
            &items,
            "FailedStopHttpd",
            "$.StopHttpd.InstanceIds",
            "httpd stop",
        ));
    describe_httpd.next(poll_describe_httpd.start());
    poll_describe_httpd
        .done_when(
            present_and(RESPONSE_CODE, Condition::numeric_equals(RESPONSE_CODE, 3)),
            &stop_ec2,
        )
        .keep_polling_when(command_pending())
        .otherwise(&command_failed(
            &items,
            "FailedDescribeHttpd",
            "$.CheckHttpdStatus.InstanceIds",
            "httpd still running or check failed",
        ));
    stop_ec2.next(poll_stop_ec2.start());
    poll_stop_ec2
        .done_when(
            present_and(INSTANCE_STATE, Condition::numeric_equals(INSTANCE_STATE, 80)),
            &backup_ec2,
        )
        .otherwise_keep_polling();
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
    let backup_db = lambda(
        &g,
        "StartBackupJobDbClusterState",
        p.start_backup_job_function,
        "$$.Execution.Input.Input.TargetDbCluster.ResourceArn",
        "$.Output",
    );
    let is_completed_backup_db = lambda(
        &g,
        "IsCompletedBackupDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let poll_backup_db = PollUntil::new(
        &g,
        "BackupDbCluster",
        &is_completed_backup_db,
        db_polls(
            "WaitBackupJobDbCluster60Sec",
            "IsAvailableDbClusterState",
            "DB cluster (backed up)",
            Duration::from_secs(60),
            Duration::from_secs(60 * 60),
        ),
    );
    let stop_db = lambda(&g, "StopDbClusterState", p.stop_db_cluster_function, DB, "$.Output");
    let describe_db = lambda(
        &g,
        "DescribeStatusDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let poll_stop_db = PollUntil::new(
        &g,
        "StopDbCluster",
        &describe_db,
        db_polls(
            "waitStopDbCluster60Sec",
            "DescribeStatusDbClusterAfterStartBackupJobState",
            "DB cluster (to be stopped)",
            Duration::from_secs(60),
            Duration::from_secs(30 * 60),
        ),
    );

    let parameter = p.web_app.maintenance_rule_parameter();
    let save_alb_rule = g
        .task(
            "SaveAlbRuleState",
            AwsSdkCall {
                parameters: Some(
                    Value::map()
                        .with("Name", parameter.parameter_name().value())
                        .with("Value.$", "$.Output.Payload.Rules[0].RuleArn")
                        .with("Overwrite", true),
                ),
                ..AwsSdkCall::new("ssm", "putParameter", [parameter.parameter_arn()])
            },
            TaskProps {
                result_path: Some(JsonPath::Null),
                ..Default::default()
            },
        )
        .add_retry(ssm_retry());

    g.start_at(&create_alb_rule);
    create_alb_rule
        .next(&save_alb_rule)
        .next(&stop_instances)
        .next(&reflesh_input)
        .next(&backup_db)
        .next(poll_backup_db.start());
    poll_backup_db
        .done_when(db_status_is("available"), &stop_db)
        .keep_polling_when(Condition::or([
            db_status_is("backing-up"),
            db_status_is("backtracking"),
            db_status_is("maintenance"),
        ]))
        .otherwise(&db_failed(&g, "FailedStartBackupJobDbCluster", DB, "backup"));
    stop_db.next(poll_stop_db.start());
    poll_stop_db
        .done_when(db_status_is("stopped"), &g.succeed("Succeed"))
        .keep_polling_when(db_status_is("stopping"))
        .otherwise(&db_failed(&g, "FailedStopDbCluster", DB, "stop"));
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
                timeout: Some(STOP_TIMEOUT),
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
        match run_input(props.web_app) {
            Ok(input) => state_machine.set_run_input(input),
            Err(e) => state_machine.node().add_error(format!(
                "run input: cannot read the maintenance page {}: {e}",
                crate::web_app_stack::assets_dir()
                    .join(crate::web_app_stack::MAINTENANCE_PAGE_FILE)
                    .display()
            )),
        }
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
