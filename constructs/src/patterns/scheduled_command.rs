//! Scheduled command (seed 000): cron for a fleet without crontab. An
//! EventBridge schedule starts a state machine that sends a shell command by
//! Run Command to the EC2 instances with a tag, polls until the command is
//! final, and publishes the result to an SNS topic for success or failure.
//!
//! ```text
//! Schedule (rate/cron, input {}) -> SendCommand (send-command-by-tag)
//!   -> WaitForCommandExecutions (wait-for-command, retried on CommandNotYetCompleteError)
//!   -> NotifySuccess (sns:Publish)
//!   polls used up -> NotifyTimedOut (sns:Publish) -> CommandTimedOut (Fail)
//!   any other error -> NotifyFailure (sns:Publish) -> Fail
//! ```
//!
//! The polls are bounded ([`CommandPolling`], an hour by default), and the
//! state machine's `TimeoutSeconds` (the polling's duration and 30 minutes)
//! is the last resort. Both Fail states name the job, the instances' tag and
//! the last error.
//!
//! As the seed's second version, each task is its own construct (put one per
//! stack) with its own state machine and functions, so logs of different
//! tasks do not mix, and **the command is the sending function's environment
//! variable `COMMAND`**: the schedule's input is the fixed `{}` and the
//! sending task passes the function an empty event, so nothing that starts an
//! execution can choose what runs on the instances, and a command with JSON
//! special characters needs no escaping.
//!
//! Least privilege: the sending function may only `ssm:SendCommand`
//! `AWS-RunShellScript` to instances carrying the tag
//! (`ssm:resourceTag/<key>`); the waiting function may only read command
//! invocations; the state machine may only invoke these two functions and
//! publish to the two topics; the schedule may only start this machine.
//!
//! Changes from the seed: a command that failed (rather than one still
//! running) is not retried by the wait task (it only delayed the failure
//! notice by a minute), and the result decides by the wait function's error
//! rather than by a status field.

use std::rc::Rc;

use indexmap::IndexMap;

use super::run_command::{
    command_problems, handler_function, invoke, seed_retry, send_command_statements, subject, timed_out_path,
    wait_function, wait_task, CommandPolling, COMMAND_ENV, COMMAND_NOT_YET_COMPLETE_ERROR, SEND_COMMAND_BY_TAG_HANDLER,
    TAG_KEY_ENV, TAG_VALUES_ENV,
};
use crate::aws::events::{Rule, Schedule};
use crate::aws::lambda::{Code, Function};
use crate::aws::sns::{ITopic, Topic, TopicProps};
use crate::aws::stepfunctions::{
    format_literal, Catch, Chainable, Errors, FailProps, JsonPath, Recoverable, SnsPublish, StateGraph, StateMachine,
    StateMachineProps, TaskInput, TaskProps,
};
use crate::core::{Construct, Scope, Stack, Value};

/// Properties of a [`ScheduledCommand`].
#[derive(Clone, Debug)]
pub struct ScheduledCommandProps {
    /// When the command runs (`Schedule::rate`, `Schedule::cron`, in UTC). Required.
    pub schedule: Schedule,
    /// Whether the schedule is enabled. Default: true.
    pub enabled: bool,
    /// A description of the task, shown on the rule (the seed's `RuleName`). Default: none.
    pub description: Option<String>,
    /// The shell command run with `AWS-RunShellScript`, e.g.
    /// `sudo -u apache bash -c 'cd /var/www/app && ./tools/run-periodic-tasks'`.
    /// Required. Kept in the sending function's environment (at most about 3.5 KB).
    pub command: String,
    /// The tag key that selects the instances. Required.
    pub target_tag_key: String,
    /// The tag values that select the instances (any of them). Required.
    pub target_tag_values: Vec<String>,
    /// The code of the `lambdas` handler binary (it serves `send-command-by-tag`
    /// and `wait-for-command`). Required.
    pub code: Code,
    /// The topic told of a success. Default: a topic created for it (child `SucceededTopic`).
    pub success_topic: Option<Rc<dyn ITopic>>,
    /// The topic told of a failure. Default: a topic created for it (child `FailedTopic`).
    pub failure_topic: Option<Rc<dyn ITopic>>,
    /// How the command is polled. Default: every 10 s, at most 360 times (the seed's).
    pub polling: CommandPolling,
}

impl Default for ScheduledCommandProps {
    fn default() -> Self {
        ScheduledCommandProps {
            schedule: Schedule::parse(""),
            enabled: true,
            description: None,
            command: String::new(),
            target_tag_key: String::new(),
            target_tag_values: Vec::new(),
            code: Code::default(),
            success_topic: None,
            failure_topic: None,
            polling: CommandPolling::default(),
        }
    }
}

/// The state names of the job net.
pub mod state_names {
    /// Sends the command (`send-command-by-tag`).
    pub const SEND_COMMAND: &str = "SendCommand";
    /// Polls the command (`wait-for-command`).
    pub const WAIT_FOR_COMMAND: &str = "WaitForCommandExecutions";
    /// Publishes the result to the success topic.
    pub const NOTIFY_SUCCESS: &str = "NotifySuccess";
    /// Publishes the error to the failure topic.
    pub const NOTIFY_FAILURE: &str = "NotifyFailure";
    /// Ends a failed execution (error `CommandFailed`).
    pub const FAIL: &str = "Fail";
    /// Publishes that the command was still not final when its polls were used up.
    pub const NOTIFY_TIMED_OUT: &str = super::super::run_command::NOTIFY_TIMED_OUT;
    /// Ends an execution whose command was still not final (error `CommandTimedOut`).
    pub const TIMED_OUT: &str = super::super::run_command::COMMAND_TIMED_OUT;
}

/// A shell command run on tagged instances on a schedule, with success and
/// failure notices (seed 000).
///
/// ```
/// use constructs::aws::events::{RateUnit, Schedule};
/// use constructs::aws::lambda::Code;
/// use constructs::core::{App, Stack, StackProps};
/// use constructs::patterns::{ScheduledCommand, ScheduledCommandProps};
/// # let dir = tempfile::tempdir().unwrap();
/// # let zip = dir.path().join("handlers.zip");
/// # std::fs::write(&zip, b"zip").unwrap();
/// let app = App::new();
/// let stack = Stack::new(&app, "RunPeriodicTasks", StackProps::default());
/// let task = ScheduledCommand::new(&stack, "Task", ScheduledCommandProps {
///     schedule: Schedule::rate(5, RateUnit::Minutes),
///     command: "sudo -u apache bash -c 'cd /var/www/cgi-bin/app && /usr/bin/perl ./tools/run-periodic-tasks'".into(),
///     target_tag_key: "Name".into(),
///     target_tag_values: vec!["test".into()],
///     code: Code::from_zip_file(&zip), // in an app: the `lambdas` binary, Code::rust_binary(..)
///     ..Default::default()
/// });
/// let _subscribe_to = task.failure_topic();
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct ScheduledCommand {
    node: Construct,
    state_machine: StateMachine,
    rule: Rule,
    send_command_function: Function,
    wait_for_command_function: Function,
    success_topic: Rc<dyn ITopic>,
    failure_topic: Rc<dyn ITopic>,
}

impl Scope for ScheduledCommand {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl ScheduledCommand {
    /// Adds the two functions, the state machine, the schedule rule, and the
    /// topics not given. Invalid props are reported at synth.
    pub fn new(scope: &impl Scope, id: &str, props: ScheduledCommandProps) -> ScheduledCommand {
        let node = Construct::new_typed(scope, id, "constructs.patterns.ScheduledCommand");
        for p in command_problems(
            &props.command,
            &props.target_tag_key,
            &props.target_tag_values,
            &props.polling,
        ) {
            node.add_error(p);
        }
        let success_topic: Rc<dyn ITopic> = props
            .success_topic
            .clone()
            .unwrap_or_else(|| Rc::new(Topic::new(&node, "SucceededTopic", TopicProps::default())));
        let failure_topic: Rc<dyn ITopic> = props
            .failure_topic
            .clone()
            .unwrap_or_else(|| Rc::new(Topic::new(&node, "FailedTopic", TopicProps::default())));

        let environment: IndexMap<String, Value> = [
            (COMMAND_ENV, Value::from(props.command.as_str())),
            (TAG_KEY_ENV, Value::from(props.target_tag_key.as_str())),
            (
                TAG_VALUES_ENV,
                Value::from(serde_json::to_string(&props.target_tag_values).unwrap_or_default()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let send = handler_function(
            &node,
            "SendCommandFunction",
            &props.code,
            SEND_COMMAND_BY_TAG_HANDLER,
            format!(
                "Sends the scheduled command to the instances tagged {}",
                props.target_tag_key
            ),
            environment,
        );
        for s in send_command_statements(
            Stack::of(&node).as_ref(),
            &props.target_tag_key,
            &props.target_tag_values,
        ) {
            send.role().add_to_policy(s);
        }
        let wait = wait_function(&node, &props.code);

        let g = StateGraph::new();
        // The function gets an empty event: the command comes from its environment only.
        let send_task = invoke(&g, state_names::SEND_COMMAND, &send, TaskInput::Value(Value::map()))
            .add_retry(seed_retry(&[Errors::TASKS_FAILED, Errors::TIMEOUT]));
        let wait_task = wait_task(&g, &wait, &props.polling);
        let notify_success = g.task(
            state_names::NOTIFY_SUCCESS,
            SnsPublish {
                subject: Some(TaskInput::Value(subject(&format!("{id} succeeded")).into())),
                ..SnsPublish::new(success_topic.as_ref(), TaskInput::whole_input())
            },
            TaskProps::default(),
        );
        let notify_failure = g.task(
            state_names::NOTIFY_FAILURE,
            SnsPublish {
                subject: Some(TaskInput::Value(subject(&format!("{id} failed")).into())),
                ..SnsPublish::new(failure_topic.as_ref(), TaskInput::whole_input())
            },
            TaskProps {
                result_path: Some(JsonPath::Null),
                ..Default::default()
            },
        );
        let targets = format!(
            "the instances tagged {}={}",
            props.target_tag_key,
            props.target_tag_values.join("|")
        );
        let timed_out = timed_out_path(&g, id, failure_topic.as_ref(), &props.polling, &targets);
        let caught = |errors: &str| Catch {
            errors: vec![errors.to_owned()],
            result_path: Some("$.Error".to_owned()),
        };
        send_task.add_catch(&notify_failure, caught(Errors::ALL));
        wait_task.add_catch(&timed_out, caught(COMMAND_NOT_YET_COMPLETE_ERROR));
        wait_task.add_catch(&notify_failure, caught(Errors::ALL));
        send_task.next(&wait_task).next(&notify_success).end();
        let cause = format!(
            "{}: the command for {} failed, timed out on an instance or could not be sent (see the failure notice): {{}}: {{}}",
            format_literal(id),
            format_literal(&targets)
        );
        notify_failure.next(&g.fail(
            state_names::FAIL,
            FailProps {
                error: Some("CommandFailed".into()),
                cause_path: Some(format!("States.Format('{cause}', $.Error.Error, $.Error.Cause)")),
                ..Default::default()
            },
        ));

        let state_machine = StateMachine::new(
            &node,
            "StateMachine",
            StateMachineProps {
                definition: g,
                comment: Some("ExecuteScheduleTask".into()),
                timeout: Some(props.polling.machine_timeout()),
                logging: super::job_net::logging(&node),
                ..Default::default()
            },
        );
        let rule = super::job_net::schedule(
            &node,
            &state_machine,
            props.schedule,
            props.description.clone(),
            props.enabled,
        );

        ScheduledCommand {
            node,
            state_machine,
            rule,
            send_command_function: send,
            wait_for_command_function: wait,
            success_topic,
            failure_topic,
        }
    }

    /// The state machine.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }

    /// The schedule rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The function that sends the command (`send-command-by-tag`).
    pub fn send_command_function(&self) -> &Function {
        &self.send_command_function
    }

    /// The function that polls the command (`wait-for-command`).
    pub fn wait_for_command_function(&self) -> &Function {
        &self.wait_for_command_function
    }

    /// The topic told of a success (subscribe to it).
    pub fn success_topic(&self) -> &dyn ITopic {
        self.success_topic.as_ref()
    }

    /// The topic told of a failure (subscribe to it).
    pub fn failure_topic(&self) -> &dyn ITopic {
        self.failure_topic.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::events::RateUnit;
    use crate::core::{App, StackProps};
    use serde_json::{json, Value as Json};

    /// The state machine's `TimeoutSeconds` in the synthesized template.
    fn machine_timeout(app: &App) -> Option<u64> {
        let s = app.synth().ok()?;
        let text = s.stacks[0].template.to_string();
        let at = text.find(r#"\"TimeoutSeconds\":"#)? + r#"\"TimeoutSeconds\":"#.len();
        text[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    }

    const COMMAND: &str = r#"sudo -u apache bash -c 'cd /var/www/cgi-bin/app && echo "{\"a\": 1}" | ./tools/run'"#;

    fn task(dir: &std::path::Path, props: ScheduledCommandProps) -> (App, ScheduledCommand) {
        let zip = dir.join("handlers.zip");
        std::fs::write(&zip, b"not really a zip").expect("write");
        let app = App::new();
        let stack = Stack::new(&app, "RunPeriodicTasks", StackProps::default());
        let task = ScheduledCommand::new(
            &stack,
            "Task",
            ScheduledCommandProps {
                code: Code::from_zip_file(zip),
                ..props
            },
        );
        (app, task)
    }

    fn valid() -> ScheduledCommandProps {
        ScheduledCommandProps {
            schedule: Schedule::rate(5, RateUnit::Minutes),
            description: Some("run-periodic-tasks".into()),
            command: COMMAND.into(),
            target_tag_key: "Name".into(),
            target_tag_values: vec!["test".into()],
            ..Default::default()
        }
    }

    fn resources(t: &Json, ty: &str) -> Vec<(String, Json)> {
        t["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"] == ty)
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect()
    }

    #[test]
    fn the_job_net_sends_polls_and_notifies() {
        let dir = tempfile::tempdir().expect("dir");
        let (_app, task) = task(dir.path(), valid());
        let def = task.state_machine().definition().render();
        assert!(def.validate().is_empty(), "{:?}", def.validate());
        let s = &def.json["States"];
        assert_eq!(def.json["StartAt"], "SendCommand");
        assert_eq!(s["SendCommand"]["Parameters"]["Payload"], json!({}), "an empty event");
        assert_eq!(s["SendCommand"]["OutputPath"], "$.Payload");
        assert_eq!(
            s["SendCommand"]["Retry"][2],
            json!({ "ErrorEquals": ["States.TaskFailed", "States.Timeout"], "IntervalSeconds": 10, "MaxAttempts": 6, "BackoffRate": 1.0 })
        );
        assert_eq!(s["SendCommand"]["Next"], "WaitForCommandExecutions");
        let wait = &s["WaitForCommandExecutions"];
        assert_eq!(wait["Parameters"]["Payload.$"], "$");
        assert_eq!(
            wait["Retry"][2],
            json!({ "ErrorEquals": ["CommandNotYetCompleteError"], "IntervalSeconds": 10, "MaxAttempts": 360, "BackoffRate": 1.0 })
        );
        assert_eq!(wait["Retry"][3]["ErrorEquals"], json!(["States.Timeout"]));
        assert_eq!(
            s["SendCommand"]["Catch"],
            json!([{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.Error", "Next": "NotifyFailure" }])
        );
        // Polls used up are a failure of their own, with their own notice.
        assert_eq!(
            wait["Catch"],
            json!([
                { "ErrorEquals": ["CommandNotYetCompleteError"], "ResultPath": "$.Error", "Next": "NotifyTimedOut" },
                { "ErrorEquals": ["States.ALL"], "ResultPath": "$.Error", "Next": "NotifyFailure" }
            ])
        );
        assert_eq!(s["NotifyTimedOut"]["Next"], "CommandTimedOut");
        assert_eq!(s["NotifyTimedOut"]["ResultPath"], Json::Null);
        assert_eq!(s["CommandTimedOut"]["Error"], "CommandTimedOut");
        assert_eq!(
            s["CommandTimedOut"]["CausePath"],
            "States.Format('Task: the command sent to the instances tagged Name=test was still not final after 360 polls (3600 s); last look: {}', $.Error.Cause)"
        );
        assert_eq!(
            machine_timeout(&_app),
            Some(3600 + 1800),
            "the polls' hour and 30 minutes"
        );
        assert_eq!(wait["Next"], "NotifySuccess");
        assert_eq!(s["NotifySuccess"]["End"], true);
        assert_eq!(s["NotifySuccess"]["Parameters"]["Subject"], "Task succeeded");
        assert_eq!(s["NotifySuccess"]["Parameters"]["Message.$"], "$");
        assert_eq!(s["NotifyFailure"]["Next"], "Fail");
        assert_eq!(
            s["NotifyFailure"]["ResultPath"],
            Json::Null,
            "the Fail state reads the error"
        );
        assert_eq!(s["Fail"]["Error"], "CommandFailed");
        assert!(
            s["Fail"]["CausePath"].as_str().is_some_and(
                |c| c.contains("instances tagged Name=test") && c.ends_with("$.Error.Error, $.Error.Cause)")
            ),
            "{}",
            s["Fail"]
        );
    }

    #[test]
    fn the_command_is_only_in_the_sending_functions_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let (app, _) = task(dir.path(), valid());
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        let functions = resources(t, "AWS::Lambda::Function");
        let send = functions
            .iter()
            .find(|(_, f)| f["Properties"]["Handler"] == "send-command-by-tag")
            .map(|(_, f)| f["Properties"].clone())
            .expect("send function");
        assert_eq!(send["Environment"]["Variables"]["COMMAND"], COMMAND);
        assert_eq!(send["Environment"]["Variables"]["TAG_KEY"], "Name");
        assert_eq!(send["Environment"]["Variables"]["TAG_VALUES"], r#"["test"]"#);
        assert_eq!(send["Timeout"], 60);
        let text = serde_json::to_string(t).expect("json");
        let escaped = serde_json::to_string(COMMAND).expect("json");
        assert_eq!(
            text.matches(escaped.trim_matches('"')).count(),
            1,
            "the command appears once"
        );
        let (_, rule) = resources(t, "AWS::Events::Rule").remove(0);
        assert_eq!(rule["Properties"]["ScheduleExpression"], "rate(5 minutes)");
        assert_eq!(rule["Properties"]["State"], "ENABLED");
        assert_eq!(rule["Properties"]["Description"], "run-periodic-tasks");
        assert_eq!(rule["Properties"]["Targets"][0]["Input"], "{}");
    }

    #[test]
    fn every_role_is_least_privilege() {
        let dir = tempfile::tempdir().expect("dir");
        let (app, _) = task(dir.path(), valid());
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        let policy = |prefix: &str| -> Json {
            resources(t, "AWS::IAM::Policy")
                .into_iter()
                .find(|(id, _)| id.starts_with(prefix))
                .map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].clone())
                .unwrap_or_else(|| panic!("no policy {prefix}"))
        };
        let send = policy("TaskSendCommandFunctionServiceRoleDefaultPolicy");
        assert_eq!(
            send[0]["Resource"],
            json!({ "Fn::Join": ["", ["arn:", { "Ref": "AWS::Partition" }, ":ssm:", { "Ref": "AWS::Region" }, "::document/AWS-RunShellScript"]] })
        );
        assert_eq!(send[1]["Action"], "ssm:SendCommand");
        assert_eq!(
            send[1]["Condition"],
            json!({ "StringEquals": { "ssm:resourceTag/Name": ["test"] } })
        );
        assert_eq!(send.as_array().map(Vec::len), Some(2));
        let wait = policy("TaskWaitForCommandFunctionServiceRoleDefaultPolicy");
        assert_eq!(
            wait,
            json!([{ "Action": ["ssm:ListCommandInvocations", "ssm:GetCommandInvocation"], "Effect": "Allow", "Resource": "*" }])
        );
        let machine = policy("TaskStateMachineRoleDefaultPolicy");
        assert_eq!(machine[0]["Action"], "lambda:InvokeFunction");
        assert_eq!(
            machine[0]["Resource"].as_array().map(Vec::len),
            Some(4),
            "two functions"
        );
        assert_eq!(machine[1]["Action"], "sns:Publish");
        assert_eq!(machine[1]["Resource"].as_array().map(Vec::len), Some(2), "two topics");
        let events = policy("TaskScheduleEventsRoleDefaultPolicy");
        assert_eq!(events[0]["Action"], "states:StartExecution");
        assert_eq!(resources(t, "AWS::SNS::Topic").len(), 2);
    }

    #[test]
    fn given_topics_are_used_and_none_is_created() {
        let dir = tempfile::tempdir().expect("dir");
        let elsewhere = App::new();
        let shared_stack = Stack::new(&elsewhere, "Shared", StackProps::default());
        let shared: Rc<dyn ITopic> = Rc::new(Topic::from_topic_arn(
            &shared_stack,
            "Failed",
            "arn:aws:sns:ap-northeast-1:123456789012:CommandExecutionFailed",
        ));
        let (app, task) = task(
            dir.path(),
            ScheduledCommandProps {
                success_topic: Some(shared.clone()),
                failure_topic: Some(shared),
                enabled: false,
                ..valid()
            },
        );
        assert_eq!(
            task.failure_topic().topic_arn().value().as_str(),
            Some("arn:aws:sns:ap-northeast-1:123456789012:CommandExecutionFailed")
        );
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        assert!(resources(t, "AWS::SNS::Topic").is_empty());
        assert_eq!(
            resources(t, "AWS::Events::Rule")[0].1["Properties"]["State"],
            "DISABLED"
        );
    }

    #[test]
    fn invalid_props_are_synth_errors_with_the_path() {
        let dir = tempfile::tempdir().expect("dir");
        let (app, _) = task(
            dir.path(),
            ScheduledCommandProps {
                schedule: Schedule::parse("rate(1 minutes)"),
                command: " ".into(),
                ..Default::default()
            },
        );
        let err = app.synth().expect_err("invalid").to_string();
        assert!(err.contains("RunPeriodicTasks/Task: command is empty"), "{err}");
        assert!(err.contains("RunPeriodicTasks/Task: target_tag_key is empty"), "{err}");
        assert!(
            err.contains("RunPeriodicTasks/Task/Schedule: rate 'rate(1 minutes)': use 'minute'"),
            "{err}"
        );
    }
}
