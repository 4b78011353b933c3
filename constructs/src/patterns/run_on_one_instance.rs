//! Run on one instance of a fleet (seed 002): cron on exactly one healthy
//! instance of an Auto Scaling group (or any set of instances with a tag),
//! chosen when the schedule fires, with failures notified by Run Command's own
//! SNS notification.
//!
//! ```text
//! Schedule (input {}) -> SelectInstance (ssm:DescribeInstanceInformation: tag, PingStatus Online, EC2)
//!   -> IsInstanceOnline?
//!        one found -> SendCommand (send-command-to-instance: the first one, with NotificationConfig)
//!                     -> WaitForCommandExecutions (retried on CommandNotYetCompleteError) -> CommandSucceeded
//!                        a failed command -> CommandFailed (Run Command has notified the topic)
//!                        polls used up -> NotifyTimedOut (sns:Publish) -> CommandTimedOut (Fail)
//!        none      -> NotifyNoInstance (sns:Publish) -> NoHealthyInstance (Fail)
//! ```
//!
//! A healthy instance is one whose SSM agent is `Online` (so it runs and can
//! take the command); the first one Systems Manager lists is chosen, so the
//! command runs once per schedule whatever the fleet's size. The command is
//! the sending function's environment variable `COMMAND`, never in an event
//! (as in [`ScheduledCommand`](super::ScheduledCommand)).
//!
//! Run Command notifies the topic itself when the invocation fails, times out
//! or is cancelled: it publishes with a service role (child
//! `NotificationRole`) that `ssm.amazonaws.com` assumes and that may only
//! `sns:Publish` to that topic, and the sending function may pass exactly that
//! role, to Systems Manager only (`iam:PassRole` with `iam:PassedToService`)
//! — the part the seed's author found hardest to set up by hand.
//!
//! The polls are bounded ([`CommandPolling`], an hour by default), and the
//! state machine's `TimeoutSeconds` (the polling's duration and 30 minutes)
//! is the last resort.

use std::rc::Rc;

use indexmap::IndexMap;

use super::run_command::{
    command_problems, handler_function, invoke, seed_retry, send_command_statements, subject, timed_out_path,
    wait_function, wait_task, CommandPolling, COMMAND_ENV, COMMAND_NOT_YET_COMPLETE_ERROR, NOTIFICATION_ROLE_ARN_ENV,
    NOTIFICATION_TOPIC_ARN_ENV, SEND_COMMAND_TO_INSTANCE_HANDLER,
};
use crate::aws::events::{Rule, Schedule};
use crate::aws::iam::{PolicyStatement, Principal, Role, RoleProps};
use crate::aws::lambda::{Code, Function};
use crate::aws::sns::{ITopic, Topic, TopicProps};
use crate::aws::stepfunctions::{
    format_literal, AwsSdkCall, Catch, Chainable, Condition, Errors, FailProps, Recoverable, SnsPublish, StateGraph,
    StateMachine, StateMachineProps, TaskInput, TaskProps,
};
use crate::core::{Construct, Scope, Stack, Value};

/// Properties of a [`RunOnOneInstance`].
#[derive(Clone, Debug)]
pub struct RunOnOneInstanceProps {
    /// When the command runs (`Schedule::rate`, `Schedule::cron`, in UTC). Required.
    pub schedule: Schedule,
    /// Whether the schedule is enabled. Default: true.
    pub enabled: bool,
    /// A description of the task, shown on the rule. Default: none.
    pub description: Option<String>,
    /// The shell command run with `AWS-RunShellScript` on the chosen instance.
    /// Required. Kept in the sending function's environment.
    pub command: String,
    /// The tag key that selects the fleet. Required.
    pub target_tag_key: String,
    /// The tag values that select the fleet (any of them). Required.
    pub target_tag_values: Vec<String>,
    /// The code of the `lambdas` handler binary (it serves
    /// `send-command-to-instance` and `wait-for-command`). Required.
    pub code: Code,
    /// The topic Run Command notifies of a failed, timed-out or cancelled
    /// command, and the job net of a run without a healthy instance.
    /// Default: a topic created for it (child `NotificationTopic`).
    pub notification_topic: Option<Rc<dyn ITopic>>,
    /// How the command is polled. Default: every 10 s, at most 360 times (seed 000's).
    pub polling: CommandPolling,
}

impl Default for RunOnOneInstanceProps {
    fn default() -> Self {
        RunOnOneInstanceProps {
            schedule: Schedule::parse(""),
            enabled: true,
            description: None,
            command: String::new(),
            target_tag_key: String::new(),
            target_tag_values: Vec::new(),
            code: Code::default(),
            notification_topic: None,
            polling: CommandPolling::default(),
        }
    }
}

/// The state names of the job net.
pub mod state_names {
    /// Lists the fleet's online instances (`ssm:DescribeInstanceInformation`).
    pub const SELECT_INSTANCE: &str = "SelectInstance";
    /// Is there one?
    pub const IS_INSTANCE_ONLINE: &str = "IsInstanceOnline";
    /// Sends the command to the first one (`send-command-to-instance`).
    pub const SEND_COMMAND: &str = "SendCommand";
    /// Polls the command (`wait-for-command`).
    pub const WAIT_FOR_COMMAND: &str = "WaitForCommandExecutions";
    /// The command succeeded.
    pub const SUCCEEDED: &str = "CommandSucceeded";
    /// The command failed (Run Command notified the topic).
    pub const FAILED: &str = "CommandFailed";
    /// Publishes that no instance was online, or that the command could not be sent.
    pub const NOTIFY_NOT_SENT: &str = "NotifyNotSent";
    /// Ends a run that sent nothing.
    pub const NOT_SENT: &str = "CommandNotSent";
    /// Publishes that the command was still not final when its polls were used up.
    pub const NOTIFY_TIMED_OUT: &str = super::super::run_command::NOTIFY_TIMED_OUT;
    /// Ends a run whose command was still not final (error `CommandTimedOut`).
    pub const TIMED_OUT: &str = super::super::run_command::COMMAND_TIMED_OUT;
}

/// Where the candidates are kept in the state data.
const CANDIDATES: &str = "$.Candidates";
const FIRST: &str = "$.Candidates.InstanceInformationList[0].InstanceId";

/// A shell command run on exactly one healthy instance of a tagged fleet on a
/// schedule, with Run Command's own failure notification (seed 002).
///
/// ```
/// use constructs::aws::events::Schedule;
/// use constructs::aws::lambda::Code;
/// use constructs::core::{App, Stack, StackProps};
/// use constructs::patterns::{RunOnOneInstance, RunOnOneInstanceProps};
/// # let dir = tempfile::tempdir().unwrap();
/// # let zip = dir.path().join("handlers.zip");
/// # std::fs::write(&zip, b"zip").unwrap();
/// let app = App::new();
/// let stack = Stack::new(&app, "DailyAggregation", StackProps::default());
/// RunOnOneInstance::new(&stack, "Aggregate", RunOnOneInstanceProps {
///     schedule: Schedule::cron("0 18 * * ? *"), // 03:00 JST
///     command: "cd /srv/app && bin/rails runner Aggregation.run".into(),
///     target_tag_key: "cron".into(),
///     target_tag_values: vec!["true".into()],
///     code: Code::from_zip_file(&zip),
///     ..Default::default()
/// });
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct RunOnOneInstance {
    node: Construct,
    state_machine: StateMachine,
    rule: Rule,
    send_command_function: Function,
    wait_for_command_function: Function,
    notification_role: Role,
    notification_topic: Rc<dyn ITopic>,
}

impl Scope for RunOnOneInstance {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl RunOnOneInstance {
    /// Adds the notification role, the two functions, the state machine, the
    /// schedule rule, and the topic when none is given. Invalid props are
    /// reported at synth.
    pub fn new(scope: &impl Scope, id: &str, props: RunOnOneInstanceProps) -> RunOnOneInstance {
        let node = Construct::new_typed(scope, id, "constructs.patterns.RunOnOneInstance");
        for p in command_problems(
            &props.command,
            &props.target_tag_key,
            &props.target_tag_values,
            &props.polling,
        ) {
            node.add_error(p);
        }
        let topic: Rc<dyn ITopic> = props
            .notification_topic
            .clone()
            .unwrap_or_else(|| Rc::new(Topic::new(&node, "NotificationTopic", TopicProps::default())));

        // The service role Run Command publishes with: this topic only.
        let notification_role = Role::new(
            &node,
            "NotificationRole",
            RoleProps {
                assumed_by: Principal::service("ssm.amazonaws.com"),
                description: Some("Lets Run Command publish the command's notifications to one topic".into()),
                ..Default::default()
            },
        );
        notification_role.add_to_policy(PolicyStatement::allow(["sns:Publish"], [topic.topic_arn().value()]));

        let environment: IndexMap<String, Value> = [
            (COMMAND_ENV, Value::from(props.command.as_str())),
            (NOTIFICATION_TOPIC_ARN_ENV, topic.topic_arn().value()),
            (NOTIFICATION_ROLE_ARN_ENV, notification_role.arn().value()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let send = handler_function(
            &node,
            "SendCommandFunction",
            &props.code,
            SEND_COMMAND_TO_INSTANCE_HANDLER,
            format!(
                "Sends the command to one instance tagged {}, with Run Command's notification",
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
        send.role().add_to_policy(PolicyStatement {
            conditions: Some(Value::map().with(
                "StringEquals",
                Value::map().with("iam:PassedToService", "ssm.amazonaws.com"),
            )),
            ..PolicyStatement::allow(["iam:PassRole"], [notification_role.arn().value()])
        });
        let wait = wait_function(&node, &props.code);

        let g = StateGraph::new();
        let select = g.task(
            state_names::SELECT_INSTANCE,
            AwsSdkCall {
                parameters: Some(
                    Value::map().with(
                        "Filters",
                        Value::list([
                            Value::map().with("Key", format!("tag:{}", props.target_tag_key)).with(
                                "Values",
                                Value::list(props.target_tag_values.iter().map(String::as_str)),
                            ),
                            Value::map()
                                .with("Key", "PingStatus")
                                .with("Values", Value::list(["Online"])),
                            Value::map()
                                .with("Key", "ResourceType")
                                .with("Values", Value::list(["EC2Instance"])),
                        ]),
                    ),
                ),
                // DescribeInstanceInformation has no resource-level permissions.
                ..AwsSdkCall::new("ssm", "describeInstanceInformation", [Value::from("*")])
            },
            TaskProps {
                result_path: Some(CANDIDATES.into()),
                ..Default::default()
            },
        );
        let is_online = g.choice(state_names::IS_INSTANCE_ONLINE);
        let send_task = invoke(
            &g,
            state_names::SEND_COMMAND,
            &send,
            TaskInput::Value(Value::map().with("InstanceId.$", FIRST)),
        )
        .add_retry(seed_retry(&[Errors::TIMEOUT]));
        let wait_task = wait_task(&g, &wait, &props.polling);
        let notify_not_sent = g.task(
            state_names::NOTIFY_NOT_SENT,
            SnsPublish {
                subject: Some(TaskInput::Value(subject(&format!("{id}: command not sent")).into())),
                ..SnsPublish::new(topic.as_ref(), TaskInput::whole_input())
            },
            TaskProps::default(),
        );
        let not_sent = g.fail(
            state_names::NOT_SENT,
            FailProps {
                error: Some("CommandNotSent".into()),
                cause: Some(format!(
                    "No instance tagged {} was online, or the command could not be sent",
                    props.target_tag_key
                )),
                ..Default::default()
            },
        );
        let failed = g.fail(
            state_names::FAILED,
            FailProps {
                error: Some("CommandFailed".into()),
                cause_path: Some(format!(
                    "States.Format('{}: the command failed, timed out or was cancelled on instance {{}} (Run Command notified the topic): {{}}: {{}}', {FIRST}, $.Error.Error, $.Error.Cause)",
                    format_literal(id)
                )),
                ..Default::default()
            },
        );
        let targets = format!(
            "one instance tagged {}={}",
            props.target_tag_key,
            props.target_tag_values.join("|")
        );
        let timed_out = timed_out_path(&g, id, topic.as_ref(), &props.polling, &targets);
        let caught = |errors: &str| Catch {
            errors: vec![errors.to_owned()],
            result_path: Some("$.Error".to_owned()),
        };
        select.add_catch(&notify_not_sent, caught(Errors::ALL));
        send_task.add_catch(&notify_not_sent, caught(Errors::ALL));
        wait_task.add_catch(&timed_out, caught(COMMAND_NOT_YET_COMPLETE_ERROR));
        wait_task.add_catch(&failed, caught(Errors::ALL));
        select.next(&is_online);
        is_online
            .when(Condition::is_present(FIRST), &send_task)
            .otherwise(&notify_not_sent);
        send_task.next(&wait_task).next(&g.succeed(state_names::SUCCEEDED));
        notify_not_sent.next(&not_sent);

        let state_machine = StateMachine::new(
            &node,
            "StateMachine",
            StateMachineProps {
                definition: g,
                comment: Some("Runs a command on one healthy instance of a fleet".into()),
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

        RunOnOneInstance {
            node,
            state_machine,
            rule,
            send_command_function: send,
            wait_for_command_function: wait,
            notification_role,
            notification_topic: topic,
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

    /// The function that sends the command (`send-command-to-instance`).
    pub fn send_command_function(&self) -> &Function {
        &self.send_command_function
    }

    /// The function that polls the command (`wait-for-command`).
    pub fn wait_for_command_function(&self) -> &Function {
        &self.wait_for_command_function
    }

    /// The service role Run Command publishes notifications with.
    pub fn notification_role(&self) -> &Role {
        &self.notification_role
    }

    /// The topic notified of failures (subscribe to it).
    pub fn notification_topic(&self) -> &dyn ITopic {
        self.notification_topic.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, StackProps};
    use serde_json::{json, Value as Json};

    /// The state machine's `TimeoutSeconds` in the synthesized template.
    fn machine_timeout(app: &App) -> Option<u64> {
        let s = app.synth().ok()?;
        let text = s.stacks[0].template.to_string();
        let at = text.find(r#"\"TimeoutSeconds\":"#)? + r#"\"TimeoutSeconds\":"#.len();
        text[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    }

    fn fleet(dir: &std::path::Path) -> (App, RunOnOneInstance) {
        let zip = dir.join("handlers.zip");
        std::fs::write(&zip, b"not really a zip").expect("write");
        let app = App::new();
        let stack = Stack::new(&app, "Batch", StackProps::default());
        let r = RunOnOneInstance::new(
            &stack,
            "Aggregate",
            RunOnOneInstanceProps {
                schedule: Schedule::cron("0 18 * * ? *"),
                command: "touch /tmp/testfile".into(),
                target_tag_key: "cron".into(),
                target_tag_values: vec!["true".into()],
                code: Code::from_zip_file(zip),
                ..Default::default()
            },
        );
        (app, r)
    }

    fn of_type(t: &Json, ty: &str) -> Vec<(String, Json)> {
        t["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"] == ty)
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect()
    }

    #[test]
    fn one_online_instance_is_chosen_at_run_time() {
        let dir = tempfile::tempdir().expect("dir");
        let (_app, r) = fleet(dir.path());
        let def = r.state_machine().definition().render();
        assert!(def.validate().is_empty(), "{:?}", def.validate());
        let s = &def.json["States"];
        assert_eq!(def.json["StartAt"], "SelectInstance");
        assert_eq!(
            s["SelectInstance"]["Parameters"]["Filters"],
            json!([
                { "Key": "tag:cron", "Values": ["true"] },
                { "Key": "PingStatus", "Values": ["Online"] },
                { "Key": "ResourceType", "Values": ["EC2Instance"] }
            ])
        );
        assert_eq!(s["SelectInstance"]["ResultPath"], "$.Candidates");
        let choice = &s["IsInstanceOnline"];
        assert_eq!(
            choice["Choices"][0]["Variable"],
            "$.Candidates.InstanceInformationList[0].InstanceId"
        );
        assert_eq!(choice["Choices"][0]["IsPresent"], true);
        assert_eq!(choice["Choices"][0]["Next"], "SendCommand");
        assert_eq!(choice["Default"], "NotifyNotSent");
        assert_eq!(
            s["SendCommand"]["Parameters"]["Payload"],
            json!({ "InstanceId.$": "$.Candidates.InstanceInformationList[0].InstanceId" })
        );
        assert_eq!(s["SendCommand"]["Catch"][0]["Next"], "NotifyNotSent");
        assert_eq!(
            s["WaitForCommandExecutions"]["Retry"][2]["ErrorEquals"],
            json!(["CommandNotYetCompleteError"])
        );
        assert_eq!(s["WaitForCommandExecutions"]["Catch"][0]["Next"], "NotifyTimedOut");
        assert_eq!(s["WaitForCommandExecutions"]["Catch"][1]["Next"], "CommandFailed");
        assert_eq!(s["NotifyTimedOut"]["Next"], "CommandTimedOut");
        assert_eq!(s["CommandTimedOut"]["Error"], "CommandTimedOut");
        assert!(
            s["CommandFailed"]["CausePath"]
                .as_str()
                .is_some_and(|c| c.contains("on instance {}")
                    && c.contains("$.Candidates.InstanceInformationList[0].InstanceId,")),
            "{}",
            s["CommandFailed"]
        );
        assert_eq!(
            machine_timeout(&_app),
            Some(3600 + 1800),
            "the polls' hour and 30 minutes"
        );
        assert_eq!(s["WaitForCommandExecutions"]["Next"], "CommandSucceeded");
        assert_eq!(s["NotifyNotSent"]["Next"], "CommandNotSent");
    }

    #[test]
    fn run_command_notifies_through_a_role_only_the_sender_may_pass() {
        let dir = tempfile::tempdir().expect("dir");
        let (app, _) = fleet(dir.path());
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        let roles = of_type(t, "AWS::IAM::Role");
        let (role_id, role) = roles
            .iter()
            .find(|(id, _)| id.starts_with("AggregateNotificationRole"))
            .expect("notification role");
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({ "Service": "ssm.amazonaws.com" })
        );
        let policies = of_type(t, "AWS::IAM::Policy");
        let statements = |prefix: &str| {
            policies
                .iter()
                .find(|(id, _)| id.starts_with(prefix))
                .map(|(_, p)| p["Properties"]["PolicyDocument"]["Statement"].clone())
                .unwrap_or_else(|| panic!("no policy {prefix}"))
        };
        let topic = of_type(t, "AWS::SNS::Topic").remove(0).0;
        assert_eq!(
            statements("AggregateNotificationRoleDefaultPolicy"),
            json!([{ "Action": "sns:Publish", "Effect": "Allow", "Resource": { "Ref": topic } }])
        );
        let send = statements("AggregateSendCommandFunctionServiceRoleDefaultPolicy");
        let pass = send
            .as_array()
            .and_then(|a| a.iter().find(|s| s["Action"] == "iam:PassRole"))
            .expect("iam:PassRole");
        assert_eq!(pass["Resource"], json!({ "Fn::GetAtt": [role_id, "Arn"] }));
        assert_eq!(
            pass["Condition"],
            json!({ "StringEquals": { "iam:PassedToService": "ssm.amazonaws.com" } })
        );
        assert_eq!(
            send[1]["Condition"],
            json!({ "StringEquals": { "ssm:resourceTag/cron": ["true"] } })
        );
        let function = of_type(t, "AWS::Lambda::Function")
            .into_iter()
            .find(|(_, f)| f["Properties"]["Handler"] == "send-command-to-instance")
            .expect("send function");
        let env = &function.1["Properties"]["Environment"]["Variables"];
        assert_eq!(env["COMMAND"], "touch /tmp/testfile");
        assert_eq!(env["NOTIFICATION_TOPIC_ARN"], json!({ "Ref": topic }));
        assert_eq!(env["NOTIFICATION_ROLE_ARN"], json!({ "Fn::GetAtt": [role_id, "Arn"] }));
        let machine = statements("AggregateStateMachineRoleDefaultPolicy");
        assert!(
            machine.as_array().is_some_and(|a| a
                .iter()
                .any(|s| s["Action"] == "ssm:DescribeInstanceInformation" && s["Resource"] == "*")),
            "{machine}"
        );
        assert!(
            !machine.to_string().contains("iam:PassRole"),
            "only the sender passes the role"
        );
    }

    #[test]
    fn invalid_props_are_synth_errors() {
        let app = App::new();
        let stack = Stack::new(&app, "Batch", StackProps::default());
        RunOnOneInstance::new(&stack, "Aggregate", RunOnOneInstanceProps::default());
        let err = app.synth().expect_err("invalid").to_string();
        assert!(err.contains("Batch/Aggregate: command is empty"), "{err}");
        assert!(
            err.contains("Batch/Aggregate/Schedule: schedule '' must be rate(VALUE UNIT) or cron("),
            "{err}"
        );
        assert!(
            err.contains("Batch/Aggregate/SendCommandFunction: the function's code could not be staged"),
            "{err}"
        );
        assert!(err.contains("no code: set `code`"), "{err}");
    }
}
