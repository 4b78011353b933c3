//! `WebAppStartStateMachineStack`: the job net that starts the web system.
//!
//! Describe the DB cluster; if it is `stopped`, start it and poll until it is
//! `available` (if it is already `available` or `backing-up`, go on). Then for
//! each EC2 instance (two at a time): start it, poll until it runs with both
//! status checks `ok`, start httpd by Run Command and check it runs. Finally
//! poll the target group until **every** target is `healthy` and delete the
//! ALB's maintenance rule. EventBridge notifies Slack when an execution
//! succeeds or fails.
//!
//! The maintenance rule is the one the stop job net created: its ARN is read
//! from WebAppStack's `MaintenanceRuleParameter` (`GetAlbRuleState`, an
//! `aws-sdk:ssm:getParameter` task allowed on that parameter only), so the
//! start input names no rule. While the parameter holds no ARN (no stop has
//! run since deploy), there is no rule to delete and the machine ends in
//! `NoAlbRuleRecorded`. The run input ([`run_input`]) is built from
//! WebAppStack: `run WebAppStartStateMachineStack/SystemStartStateMachine`
//! needs no JSON.
//!
//! Every poll is a [`PollUntil`] loop: bounded by a count of polls (DB 30 min,
//! instance 15 min, httpd 5 min, targets 10 min), failing in a
//! `<loop>TimedOut` state; the machine's [`START_TIMEOUT`] is the last resort.
//! Fields that may be absent (an empty invocation list right after
//! SendCommand) are guarded with `IsPresent` and count as "not yet".
//!
//! Changes from the seed's graph, in both machines: a Run Command task keeps
//! its result in `$.Command` (the seed: `$.Output`), and the task that checks
//! the command reads `$.Command.Payload`. In the seed the check wrote its own
//! result over `$.Output`, so when the command was still `Pending` or
//! `InProgress` the loop back asked about a command with no id (the
//! `ListCommandInvocations` result has no `Command`), and then looked at
//! whichever invocation came first. State names, waits and conditions are the
//! seed's.

use constructs::aws::events_targets::StateMachineNotifications;
use constructs::aws::lambda::Function;
use constructs::aws::logs::{LogGroup, LogGroupProps, RetentionDays};
use std::time::Duration;

use constructs::aws::stepfunctions::{
    vended_log_group_name, AwsSdkCall, Chainable, Condition, ExecutionStatus, Fail, FailProps, JitterStrategy,
    LogOptions, MapProps, PassProps, PollUntil, PollUntilProps, Recoverable, Retry, StateGraph, StateMachine,
    StateMachineLogging, StateMachineProps, Task, TaskProps,
};
use constructs::core::{App, Stack, StackProps, Value};

use crate::web_app_stack::WebAppStack;

/// The description of the Slack notice rules, as in the seed.
pub(crate) const NOTICE_DESCRIPTION: &str = "Rules for notifying Slack of the execution results of Step Functions";

/// The status of the first invocation of a Run Command, as the check task returns it.
pub(crate) const COMMAND_STATUS: &str = "$.Output.Payload.CommandInvocations[0].Status";

/// The status of the DB cluster, as the describe task returns it.
pub(crate) const DB_STATUS: &str = "$.Output.Payload.DBClusters[0].Status";

/// `condition` on a field that may be absent: false (not a runtime error) when it is.
pub(crate) fn present_and(field: &str, condition: Condition) -> Condition {
    Condition::and([Condition::is_present(field), condition])
}

/// The command's first invocation has `status`.
pub(crate) fn command_status_is(status: &str) -> Condition {
    present_and(COMMAND_STATUS, Condition::string_equals(COMMAND_STATUS, status))
}

/// The command has not finished yet: no invocation registered yet (right after
/// SendCommand the list is empty), or `Pending` or `InProgress`.
pub(crate) fn command_pending() -> Condition {
    Condition::or([
        Condition::is_not_present(COMMAND_STATUS),
        Condition::string_equals(COMMAND_STATUS, "Pending"),
        Condition::string_equals(COMMAND_STATUS, "InProgress"),
    ])
}

/// The DB cluster's status is `status`.
pub(crate) fn db_status_is(status: &str) -> Condition {
    present_and(DB_STATUS, Condition::string_equals(DB_STATUS, status))
}

/// The polls of a Run Command's result: every 10 seconds, at most 5 minutes.
pub(crate) fn command_polls(wait_name: &str, choice_name: &str, what: &str) -> PollUntilProps {
    PollUntilProps {
        interval: Duration::from_secs(10),
        limit: Duration::from_secs(5 * 60),
        wait_name: Some(wait_name.into()),
        choice_name: Some(choice_name.into()),
        subject: format!("Run Command ({what})"),
        subject_path: Some("$.Command.Payload".into()),
        ..Default::default()
    }
}

/// The polls of the DB cluster's status: every `interval`, at most `limit`.
pub(crate) fn db_polls(
    wait_name: &str,
    choice_name: &str,
    what: &str,
    interval: Duration,
    limit: Duration,
) -> PollUntilProps {
    PollUntilProps {
        interval,
        limit,
        wait_name: Some(wait_name.into()),
        choice_name: Some(choice_name.into()),
        subject: what.into(),
        last_result_path: "$.Output.Payload.DBClusters".into(),
        ..Default::default()
    }
}

/// A Fail state for a Run Command that ended otherwise than expected: the
/// cause names the instances and the command's last invocations.
pub(crate) fn command_failed(graph: &StateGraph, name: &str, instances: &str, what: &str) -> Fail {
    graph.fail(
        name,
        FailProps {
            error: Some(name.into()),
            cause_path: Some(format!(
                "States.Format('{name}: {what} on instances {{}}: unexpected result; last invocations: {{}}', States.JsonToString({instances}), States.JsonToString($.Output.Payload.CommandInvocations))"
            )),
            ..Default::default()
        },
    )
}

/// A Fail state for a DB cluster in an unexpected status: the cause names the
/// cluster (read from `cluster`) and its last description.
pub(crate) fn db_failed(graph: &StateGraph, name: &str, cluster: &str, what: &str) -> Fail {
    graph.fail(
        name,
        FailProps {
            error: Some(name.into()),
            cause_path: Some(format!(
                "States.Format('{name}: DB cluster {{}} ({what}) is in an unexpected status; last description: {{}}', States.JsonToString({cluster}), States.JsonToString($.Output.Payload))"
            )),
            ..Default::default()
        },
    )
}

/// The retrier of the maintenance rule parameter's SSM calls, after the
/// throttling retrier every SDK task gets: SSM's own transient errors (as
/// Step Functions names them, `Ssm.<Error>Exception`), 6 times from 2 s,
/// doubling up to 30 s, with full jitter, so a busy parameter store does not
/// lose the handoff between the machines.
pub(crate) fn ssm_retry() -> Retry {
    Retry {
        errors: vec![
            "Ssm.TooManyUpdatesException".into(),
            "Ssm.InternalServerErrorException".into(),
        ],
        interval_seconds: Some(2),
        max_attempts: Some(6),
        backoff_rate: Some(2.0),
        max_delay_seconds: Some(30),
        jitter: JitterStrategy::Full,
    }
}

/// A Lambda task reading `input_path` and writing its result to `result_path`.
pub(crate) fn lambda(graph: &StateGraph, name: &str, function: &Function, input_path: &str, result_path: &str) -> Task {
    graph.lambda_invoke(
        name,
        function,
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
    /// The web system the job net starts: its run input, and the parameter
    /// the maintenance rule's ARN is read from.
    pub web_app: &'a WebAppStack,
}

/// The request of a Run Command of one of the user data's scripts
/// (`/usr/local/sbin/<script>`) on one instance, as the run-command function
/// takes it.
pub(crate) fn run_command(instance_id: &Value, script: &str) -> Value {
    Value::map()
        .with("InstanceIds", Value::list([instance_id.clone()]))
        .with(
            "Parameters",
            Value::map().with("commands", Value::list([format!("/usr/local/sbin/{script}")])),
        )
}

/// A web server's entry in a run input: its id as an EC2 request
/// (`InstanceId`), the httpd Run Command under `httpd_key` (`script` in
/// `/usr/local/sbin`), and the status check (`CheckHttpdStatus`).
pub(crate) fn web_server_input(instance_id: &Value, httpd_key: &str, script: &str) -> Value {
    Value::map()
        .with(
            "InstanceId",
            Value::map().with("InstanceIds", Value::list([instance_id.clone()])),
        )
        .with(httpd_key, run_command(instance_id, script))
        .with("CheckHttpdStatus", run_command(instance_id, "checkHttpd.sh"))
}

/// The start machine's run input, from the deployed WebAppStack: the DB
/// cluster, each web server with its Run Commands, and the target group whose
/// targets must all be healthy. Each value is the request of the function
/// that reads it. The maintenance rule is not in it: the machine reads it from
/// the parameter the stop machine wrote.
pub fn run_input(web_app: &WebAppStack) -> Value {
    let instances = web_app
        .instances()
        .iter()
        .map(|instance| web_server_input(&instance.instance_id().value(), "StartHttpd", "startHttpd.sh"));
    Value::map().with(
        "Input",
        Value::map()
            .with(
                "TargetDbCluster",
                Value::map().with("DBClusterIdentifier", web_app.db_cluster().cluster_identifier()),
            )
            .with("TargetEc2Instances", Value::list(instances))
            .with(
                "TargetAlb",
                Value::map().with(
                    "TargetGroup",
                    Value::map().with("TargetGroupArn", web_app.target_group().arn().value()),
                ),
            ),
    )
}

/// The stack holding the start state machine, its log group and the Slack notice rule.
pub struct WebAppStartStateMachineStack {
    stack: Stack,
    state_machine: StateMachine,
}

/// The start machine's last-resort timeout: longer than the sum of its poll
/// limits (DB 30 min, instance 15 min, httpd 2 × 5 min, targets 10 min).
pub const START_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

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
    let describe_ec2 = lambda(
        &items,
        "DescribeStatusEc2InstanceState",
        p.describe_status_ec2_instance_function,
        "$.InstanceId",
        "$.Output",
    );
    let poll_ec2 = PollUntil::new(
        &items,
        "StartEc2Instance",
        &describe_ec2,
        PollUntilProps {
            interval: Duration::from_secs(30),
            limit: Duration::from_secs(15 * 60),
            wait_name: Some("WaitEc2Instance30Sec".into()),
            choice_name: Some("IsRunningEc2InstanceState".into()),
            subject: "instance (to be running with status checks ok)".into(),
            subject_path: Some("$.InstanceId.InstanceIds".into()),
            ..Default::default()
        },
    );
    let start_httpd = lambda(
        &items,
        "StartHttpdState",
        p.run_command_ec2_instance_function,
        "$.StartHttpd",
        "$.Command",
    );
    let start_httpd_result = lambda(
        &items,
        "StartHttpdResultState",
        p.describe_result_run_command_function,
        "$.Command.Payload",
        "$.Output",
    );
    let poll_start_httpd = PollUntil::new(
        &items,
        "StartHttpd",
        &start_httpd_result,
        command_polls("WaitStartHttpd10Sec", "IsCompletedStartHttpdState", "httpd start"),
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
        command_polls("WaitDescribeHttpd10Sec", "IsRunningHttpdState", "httpd status check"),
    );
    let passed = items.pass("Passed", PassProps::default());
    passed.end();

    const STATUS: &str = "$.Output.Payload.InstanceStatuses[0]";
    items.start_at(&start_ec2);
    start_ec2.next(poll_ec2.start());
    poll_ec2
        .done_when(
            Condition::and([
                Condition::is_present(STATUS),
                Condition::numeric_equals(format!("{STATUS}.InstanceState.Code"), 16),
                Condition::string_equals(format!("{STATUS}.InstanceStatus.Status"), "ok"),
                Condition::string_equals(format!("{STATUS}.SystemStatus.Status"), "ok"),
            ]),
            &start_httpd,
        )
        .otherwise_keep_polling();
    start_httpd.next(poll_start_httpd.start());
    poll_start_httpd
        .done_when(command_status_is("Success"), &describe_httpd)
        .keep_polling_when(command_pending())
        .otherwise(&command_failed(
            &items,
            "FailedStartHttpd",
            "$.StartHttpd.InstanceIds",
            "httpd start",
        ));
    describe_httpd.next(poll_describe_httpd.start());
    poll_describe_httpd
        .done_when(command_status_is("Success"), &passed)
        .keep_polling_when(command_pending())
        .otherwise(&command_failed(
            &items,
            "FailedDescribeHttpd",
            "$.CheckHttpdStatus.InstanceIds",
            "httpd not running",
        ));

    // The machine: the DB cluster, the instances, then the target group and the maintenance rule.
    let g = StateGraph::new();
    const DB: &str = "$.Input.TargetDbCluster";
    const DB_NAME: &str = "$$.Execution.Input.Input.TargetDbCluster";
    let describe_db = lambda(
        &g,
        "DescribeDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let is_stopped_db = g.choice("ChoiceIsStoppedDbClusterState");
    let start_db = lambda(&g, "StartDbClusterState", p.start_db_cluster_function, DB, "$.Output");
    let describe_status_db = lambda(
        &g,
        "DescribeStatusDbClusterState",
        p.describe_db_cluster_function,
        DB,
        "$.Output",
    );
    let poll_db = PollUntil::new(
        &g,
        "StartDbCluster",
        &describe_status_db,
        db_polls(
            "WaitStartDbCluster30Sec",
            "IsAvailableDbClusterState",
            "DB cluster (to be available)",
            Duration::from_secs(30),
            Duration::from_secs(30 * 60),
        ),
    );
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
    // Every target must be healthy: the task keeps the distinct states of the
    // targets, which must be exactly ["healthy"].
    let describe_health = g.lambda_invoke(
        "DescribeHealthTargetState",
        p.describe_health_target_function,
        TaskProps {
            input_path: Some("$$.Execution.Input.Input.TargetAlb.TargetGroup".into()),
            result_selector: Some(Value::map().with("Payload.$", "$.Payload").with(
                "TargetStates.$",
                "States.ArrayUnique($.Payload.TargetHealthDescriptions[*].TargetHealth.State)",
            )),
            result_path: Some("$.Output".into()),
            ..Default::default()
        },
    );
    let poll_health = PollUntil::new(
        &g,
        "DescribeHealthTarget",
        &describe_health,
        PollUntilProps {
            interval: Duration::from_secs(10),
            limit: Duration::from_secs(10 * 60),
            wait_name: Some("WaitDescribeHealthTarget10Sec".into()),
            choice_name: Some("ChoiceLoopDescibeHealthTargetState".into()),
            subject: "targets not all healthy (each target's state is in the last result)".into(),
            last_result_path: "$.Output.Payload.TargetHealthDescriptions".into(),
            ..Default::default()
        },
    );
    let parameter = p.web_app.maintenance_rule_parameter();
    let get_alb_rule = g
        .task(
            "GetAlbRuleState",
            AwsSdkCall {
                parameters: Some(Value::map().with("Name", parameter.parameter_name().value())),
                ..AwsSdkCall::new("ssm", "getParameter", [parameter.parameter_arn()])
            },
            TaskProps {
                result_selector: Some(Value::map().with("RuleArn.$", "$.Parameter.Value")),
                result_path: Some("$.TargetRule".into()),
                ..Default::default()
            },
        )
        .add_retry(ssm_retry());
    let is_recorded_alb_rule = g.choice("IsRecordedAlbRuleState");
    let delete_alb_rule = lambda(
        &g,
        "DeleteAlbRuleState",
        p.delete_alb_rule_function,
        "$.TargetRule",
        "$.Output",
    );

    g.start_at(&describe_db);
    describe_db.next(&is_stopped_db);
    is_stopped_db
        .when(db_status_is("stopped"), &start_db)
        .when(
            Condition::or([db_status_is("available"), db_status_is("backing-up")]),
            &start_instances,
        )
        .otherwise(&db_failed(&g, "CannotStartDbCluster", DB_NAME, "start"));
    start_db.next(poll_db.start());
    poll_db
        .done_when(db_status_is("available"), &start_instances)
        .otherwise_keep_polling();
    start_instances.next(&reflesh_input).next(poll_health.start());
    poll_health
        .done_when(
            Condition::and([
                Condition::is_present("$.Output.TargetStates[0]"),
                Condition::string_equals("$.Output.TargetStates[0]", "healthy"),
                Condition::is_not_present("$.Output.TargetStates[1]"),
            ]),
            &get_alb_rule,
        )
        .otherwise_keep_polling();
    get_alb_rule.next(&is_recorded_alb_rule);
    is_recorded_alb_rule
        .when(
            Condition::string_matches("$.TargetRule.RuleArn", "arn:*"),
            &delete_alb_rule,
        )
        .otherwise(&g.succeed("NoAlbRuleRecorded"));
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
                timeout: Some(START_TIMEOUT),
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
        state_machine.set_run_input(run_input(props.web_app));
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
