use std::time::Duration;

use serde_json::json;

use super::*;
use crate::assertions::{Annotations, Match, Template};
use crate::aws::events::{EventPattern, RateUnit, Rule, RuleProps, RuleTargetInput, Schedule};
use crate::aws::lambda::{Function, FunctionAttributes, IFunction};
use crate::aws::sns::{ITopic, Topic, TopicEncryption, TopicProps};
use crate::aws::stepfunctions::{StateGraph, StateMachine, StateMachineLogging, StateMachineProps};
use crate::core::{App, Stack, StackProps, Value};

fn hourly(stack: &Stack, id: &str) -> Rule {
    Rule::new(
        stack,
        id,
        RuleProps {
            schedule: Some(Schedule::rate(1, RateUnit::Hours)),
            ..Default::default()
        },
    )
}

fn machine(stack: &Stack) -> StateMachine {
    let g = StateGraph::new();
    g.succeed("Done");
    StateMachine::new(
        stack,
        "Machine",
        StateMachineProps {
            definition: g,
            logging: StateMachineLogging::Disabled,
            ..Default::default()
        },
    )
}

#[test]
fn lambda_target_across_stacks_has_the_cdk_permission_id() {
    let app = App::new();
    let functions = Stack::new(&app, "LambdaFunctionsStack", StackProps::default());
    // An import by token: the permission is created because the attributes say so.
    let f = Function::from_function_attributes(
        &functions,
        "NoticeSlackFunction",
        FunctionAttributes {
            function_arn: Value::import_value("Shared:NoticeArn"),
            same_environment: Some(true),
            ..Default::default()
        },
    );
    let stack = Stack::new(&app, "WebAppStopStateMachineStack", StackProps::default());
    let rule = Rule::new(
        &stack,
        "put event rule",
        RuleProps {
            event_pattern: Some(EventPattern {
                source: vec!["aws.states".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    rule.add_target(&LambdaFunction::new(&f, LambdaFunctionProps::default()));
    // A second target on the same function adds no second permission.
    rule.add_target(&LambdaFunction::new(&f, LambdaFunctionProps::default()));
    let t = Template::from_stack(&stack);
    t.resource_count_is("AWS::Lambda::Permission", 1);
    let permissions = t.find_resources("AWS::Lambda::Permission", json!({}));
    assert_eq!(
        permissions.keys().collect::<Vec<_>>(),
        ["puteventruleAllowEventRuleLambdaFunctionsStackNoticeSlackFunction632CEA815A5A3E2D"]
    );
    t.has_resource_properties(
        "AWS::Lambda::Permission",
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::ImportValue": "Shared:NoticeArn"},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": ["puteventrule212B4170", "Arn"]}
        }),
    );
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"State": "ENABLED", "Targets": [
            {"Arn": {"Fn::ImportValue": "Shared:NoticeArn"}, "Id": "Target0"},
            {"Arn": {"Fn::ImportValue": "Shared:NoticeArn"}, "Id": "Target1"}
        ]}),
    );
}

#[test]
fn state_machine_target_gets_a_role_for_that_machine_only_and_a_retry_policy() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let m = machine(&stack);
    let rule = Rule::new(
        &stack,
        "Nightly",
        RuleProps {
            schedule: Some(Schedule::cron("0 12 * * ? *")),
            ..Default::default()
        },
    );
    rule.add_target(&SfnStateMachine::new(
        &m,
        SfnStateMachineProps {
            input: Some(RuleTargetInput::from_object(json!({"mode": "full"}))),
            retry_attempts: Some(2),
            max_event_age: Some(Duration::from_secs(3600)),
            ..Default::default()
        },
    ));
    let t = Template::from_stack(&stack);
    let sm = m.resource().logical_id();
    let role = rule.events_role().resource().logical_id();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "PolicyDocument": Match::object_equals(json!({"Statement": [
                {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": sm}}
            ], "Version": "2012-10-17"})),
            "Roles": [{"Ref": role}]
        }),
    );
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"ScheduleExpression": "cron(0 12 * * ? *)", "Targets": [Match::object_equals(json!({
            "Arn": {"Ref": sm},
            "Id": "Target0",
            "RoleArn": {"Fn::GetAtt": [role, "Arn"]},
            "Input": "{\"mode\":\"full\"}",
            "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
        }))]}),
    );

    let bad = Rule::new(
        &stack,
        "Bad",
        RuleProps {
            schedule: Some(Schedule::cron("0 12 * * ? *")),
            ..Default::default()
        },
    );
    bad.add_target(&SfnStateMachine::new(
        &m,
        SfnStateMachineProps {
            retry_attempts: Some(200),
            max_event_age: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    ));
    let e = app.synth().expect_err("out of range").to_string();
    assert!(e.contains("S/Bad: maximum_retry_attempts 200 is out of range"), "{e}");
    assert!(e.contains("S/Bad: maximum_event_age 30s is out of range"), "{e}");
}

#[test]
fn topic_target_adds_a_scoped_topic_policy_and_refuses_the_aws_managed_key() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let good = Topic::new(
        &stack,
        "Good",
        TopicProps {
            encryption: TopicEncryption::Kms(Value::from("alias/jobs")),
            ..Default::default()
        },
    );
    let rule = hourly(&stack, "Hourly");
    rule.add_target(&SnsTopic::new(&good, SnsTopicProps::default()));
    let t = Template::from_stack(&stack);
    t.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        json!({"PolicyDocument": {"Statement": [{
            "Action": "sns:Publish",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule.resource().logical_id(), "Arn"]}}},
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Ref": good.resource().logical_id()}
        }]}}),
    );

    let bad = Topic::new(&stack, "Bad", TopicProps::default());
    rule.add_target(&SnsTopic::new(&bad, SnsTopicProps::default()));
    let e = app.synth().expect_err("aws managed key").to_string();
    assert!(e.contains("S/Hourly") && e.contains("alias/aws/sns"), "{e}");
}

#[test]
fn imported_topic_targets_leave_its_policy_alone() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let topic = Topic::from_topic_arn(&stack, "Shared", "arn:aws:sns:us-east-1:123456789012:shared");
    let rule = hourly(&stack, "Hourly");
    rule.add_target(&SnsTopic::new(
        &topic,
        SnsTopicProps {
            message: Some(RuleTargetInput::from_text("tick")),
            ..Default::default()
        },
    ));
    let t = Template::from_stack(&stack);
    t.resource_count_is("AWS::SNS::TopicPolicy", 0);
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"Targets": [{"Arn": "arn:aws:sns:us-east-1:123456789012:shared", "Id": "Target0", "Input": "\"tick\""}]}),
    );
    assert_eq!(topic.topic_name().value().as_str(), Some("shared"));
}

#[test]
fn an_imported_function_of_an_unknown_account_is_a_target_with_a_warning() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let f = Function::from_function_arn(
        &stack,
        "Remote",
        "arn:aws:lambda:us-east-1:999999999999:function:remote",
    );
    assert!(!f.can_create_permissions());
    hourly(&stack, "Hourly").add_target(&LambdaFunction::new(&f, LambdaFunctionProps::default()));
    Annotations::from_stack(&stack).has_warning(
        "S/Remote",
        Match::string_like_regexp("permission 'AllowEventRuleSRemote[0-9A-F]+' was not added.*same_environment"),
    );
    Template::from_stack(&stack).resource_count_is("AWS::Lambda::Permission", 0);

    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let f = Function::from_function_attributes(
        &stack,
        "Remote",
        FunctionAttributes {
            function_arn: "arn:aws:lambda:us-east-1:999999999999:function:remote".into(),
            skip_permissions: true,
            ..Default::default()
        },
    );
    hourly(&stack, "Hourly").add_target(&LambdaFunction::new(&f, LambdaFunctionProps::default()));
    Template::from_stack(&stack).resource_count_is("AWS::Lambda::Permission", 0);
}

#[test]
fn status_change_notifications_work_on_imported_machines() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let m = StateMachine::from_state_machine_arn(&stack, "M", "arn:aws:states:us-east-1:123456789012:stateMachine:m");
    let notice = Function::from_function_name(&stack, "Notice", "notice");
    m.notify_on_status_change(
        &stack,
        "Notify",
        &notice,
        &[crate::aws::stepfunctions::ExecutionStatus::Failed],
    );
    Template::from_stack(&stack).has_resource_properties(
        "AWS::Events::Rule",
        json!({
            "Description": "Execution status changes of state machine S/M",
            "EventPattern": {"detail": {
                "status": ["FAILED"],
                "stateMachineArn": ["arn:aws:states:us-east-1:123456789012:stateMachine:m"]
            }}
        }),
    );
}

#[test]
fn queue_target_adds_a_scoped_queue_policy_and_checks_fifo_and_the_managed_key() {
    use crate::aws::sqs::{Queue, QueueEncryption, QueueProps};
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    let queue = Queue::new(&stack, "Work", QueueProps::default());
    let rule = hourly(&stack, "Hourly");
    rule.add_target(&SqsQueue::new(
        &queue,
        SqsQueueProps {
            message: Some(RuleTargetInput::from_object(json!({"job": "export"}))),
            ..Default::default()
        },
    ));
    let t = Template::from_stack(&stack);
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({ "Targets": [{ "Arn": { "Fn::GetAtt": [Match::any_value(), "Arn"] }, "Id": "Target0", "Input": "{\"job\":\"export\"}" }] }),
    );
    t.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        json!({ "PolicyDocument": { "Statement": [{
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Principal": { "Service": "events.amazonaws.com" },
            "Condition": { "ArnEquals": { "aws:SourceArn": { "Fn::GetAtt": [Match::any_value(), "Arn"] } } }
        }] } }),
    );

    let fifo = Queue::new(
        &stack,
        "Ordered",
        QueueProps {
            fifo: true,
            ..Default::default()
        },
    );
    let managed = Queue::new(
        &stack,
        "Managed",
        QueueProps {
            encryption: QueueEncryption::KmsManaged,
            ..Default::default()
        },
    );
    let bad = hourly(&stack, "Bad");
    bad.add_target(&SqsQueue::new(&fifo, SqsQueueProps::default()));
    bad.add_target(&SqsQueue::new(
        &managed,
        SqsQueueProps {
            message_group_id: Some("g".into()),
            ..Default::default()
        },
    ));
    let a = Annotations::from_stack(&stack);
    a.has_error(
        "Jobs/Bad",
        Match::string_like_regexp("FIFO queue 'Jobs/Ordered' without a message group"),
    );
    a.has_error(
        "Jobs/Bad",
        Match::string_like_regexp("'Jobs/Managed', which is not FIFO"),
    );
    a.has_error(
        "Jobs/Bad",
        Match::string_like_regexp("'Jobs/Managed', which is encrypted with the AWS managed key"),
    );
}

#[test]
fn a_fifo_queue_target_renders_its_message_group() {
    use crate::aws::sqs::{Queue, QueueProps};
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    let fifo = Queue::new(
        &stack,
        "Ordered",
        QueueProps {
            fifo: true,
            ..Default::default()
        },
    );
    hourly(&stack, "Hourly").add_target(&SqsQueue::new(
        &fifo,
        SqsQueueProps {
            message_group_id: Some("nightly".into()),
            ..Default::default()
        },
    ));
    Template::from_stack(&stack).has_resource_properties(
        "AWS::Events::Rule",
        json!({ "Targets": [{ "SqsParameters": { "MessageGroupId": "nightly" } }] }),
    );
}

#[test]
fn a_state_machine_target_with_a_dead_letter_queue_lets_eventbridge_send_to_it() {
    use crate::aws::sqs::{Queue, QueueProps};
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    let m = machine(&stack);
    let undelivered = Queue::new(&stack, "Undelivered", QueueProps::default());
    hourly(&stack, "Hourly").add_target(&SfnStateMachine::new(
        &m,
        SfnStateMachineProps {
            dead_letter_queue: Some(undelivered.clone()),
            retry_attempts: Some(2),
            ..Default::default()
        },
    ));
    let t = Template::from_stack(&stack);
    let dlq_id = crate::core::CfnResource::of(&undelivered).expect("queue").logical_id();
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({ "Targets": [{
            "DeadLetterConfig": { "Arn": { "Fn::GetAtt": [dlq_id.clone(), "Arn"] } },
            "RetryPolicy": { "MaximumRetryAttempts": 2 }
        }] }),
    );
    t.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        json!({
            "Queues": [{ "Ref": dlq_id }],
            "PolicyDocument": { "Statement": [{ "Action": "sqs:SendMessage", "Principal": { "Service": "events.amazonaws.com" } }] }
        }),
    );

    let fifo = Queue::new(
        &stack,
        "OrderedDlq",
        QueueProps {
            fifo: true,
            ..Default::default()
        },
    );
    hourly(&stack, "Other").add_target(&SfnStateMachine::new(
        &m,
        SfnStateMachineProps {
            dead_letter_queue: Some(fifo),
            ..Default::default()
        },
    ));
    Annotations::from_stack(&stack).has_error(
        "Jobs/Other",
        Match::string_like_regexp("dead-letter queues must be standard"),
    );
}
