//! Resources made outside the app, imported and used where owned ones are: an
//! imported function, topic and role in a state machine's tasks, a rule's
//! targets and grants, each with exactly the access it needs.

use std::rc::Rc;
use std::time::Duration;

use constructs::assertions::{Annotations, Match, Matcher, Template};
use constructs::aws::events::{Rule, RuleProps, RuleTargetInput, Schedule};
use constructs::aws::events_targets::{
    LambdaFunction, LambdaFunctionProps, SfnStateMachine, SfnStateMachineProps, SnsTopic, SnsTopicProps,
};
use constructs::aws::iam::{FromRoleArnOptions, IRole, Principal, Role, RoleProps};
use constructs::aws::lambda::{Function, IFunction};
use constructs::aws::sns::{ITopic, Topic};
use constructs::aws::stepfunctions::{
    Chainable, SnsPublish, StateGraph, StateMachine, StateMachineLogging, StateMachineProps, TaskInput, TaskProps,
};
use constructs::core::{App, Environment, Stack, StackProps};
use serde_json::json;

use crate::support;

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:nightly-report";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/job-runner";

/// The owned constructs of the stack, for their logical ids.
struct Owned {
    machine: StateMachine,
    rule: Rule,
    auditor: Role,
}

/// A job stack that owns a state machine, a rule and one role, and imports the rest.
fn jobs(app: &App) -> Owned {
    let stack = Stack::new(
        app,
        "Jobs",
        StackProps {
            env: Environment {
                account: Some("123456789012".into()),
                region: Some("us-east-1".into()),
            },
            ..Default::default()
        },
    );
    let report = Function::from_function_arn(&stack, "Report", FUNCTION_ARN);
    let alerts = Topic::from_topic_arn(&stack, "Alerts", TOPIC_ARN);
    let runner = Role::from_role_arn(&stack, "Runner", ROLE_ARN, FromRoleArnOptions::default());

    let g = StateGraph::new();
    g.lambda_invoke(
        "Report",
        &report,
        TaskProps {
            result_path: Some("$.Output".into()),
            ..Default::default()
        },
    )
    .next(&g.task(
        "Notify",
        SnsPublish::new(&alerts, TaskInput::whole_input()),
        TaskProps::default(),
    ))
    .end();
    let runner_role: Rc<dyn IRole> = Rc::new(runner);
    let machine = StateMachine::new(
        &stack,
        "Nightly",
        StateMachineProps {
            definition: g,
            role: Some(runner_role),
            logging: StateMachineLogging::Disabled,
            ..Default::default()
        },
    );

    let rule = Rule::new(
        &stack,
        "Schedule",
        RuleProps {
            schedule: Some(Schedule::cron("0 15 * * ? *")),
            ..Default::default()
        },
    );
    rule.add_target(&LambdaFunction::new(&report, LambdaFunctionProps::default()));
    rule.add_target(&SnsTopic::new(&alerts, SnsTopicProps::default()));
    rule.add_target(&SfnStateMachine::new(
        &machine,
        SfnStateMachineProps {
            input: Some(RuleTargetInput::from_object(json!({}))),
            retry_attempts: Some(2),
            max_event_age: Some(Duration::from_secs(3600)),
            ..Default::default()
        },
    ));

    let auditor = Role::new(
        &stack,
        "Auditor",
        RoleProps {
            assumed_by: Principal::service("lambda.amazonaws.com"),
            ..Default::default()
        },
    );
    alerts.grant_publish(&auditor);
    report.grant_invoke(&auditor);
    machine.grant_start_execution(&auditor);
    // The imported function's role is unknown: a grant to it is dropped.
    assert!(!alerts.grant_publish(&report));
    Owned { machine, rule, auditor }
}

fn statement(action: serde_json::Value, resource: serde_json::Value) -> serde_json::Value {
    json!({"Action": action, "Effect": "Allow", "Resource": resource})
}

fn document(statements: serde_json::Value) -> Matcher {
    Match::object_equals(json!({"Statement": statements, "Version": "2012-10-17"}))
}

#[test]
fn imported_function_topic_and_role_get_exactly_the_access_they_need() {
    let app = App::new();
    let owned = jobs(&app);
    let stack = Stack::of(&owned.machine).expect("stack");
    let t = Template::from_stack(&stack);
    let machine = owned.machine.resource().logical_id();
    let rule = owned.rule.resource().logical_id();
    let invoke = statement(
        json!("lambda:InvokeFunction"),
        json!([FUNCTION_ARN, format!("{FUNCTION_ARN}:*")]),
    );
    let publish = statement(json!("sns:Publish"), json!(TOPIC_ARN));
    let start = statement(json!("states:StartExecution"), json!({"Ref": machine}));

    // Imports create nothing: the only resources are the machine, the rule,
    // two roles, their policies, the policy of the imported role and one permission.
    for (ty, n) in [
        ("AWS::StepFunctions::StateMachine", 1),
        ("AWS::Events::Rule", 1),
        ("AWS::IAM::Role", 2),
        ("AWS::IAM::Policy", 3),
        ("AWS::Lambda::Permission", 1),
        ("AWS::Lambda::Function", 0),
        ("AWS::SNS::Topic", 0),
        ("AWS::SNS::TopicPolicy", 0),
    ] {
        t.resource_count_is(ty, n);
    }

    // The imported role runs the machine: the definition's access goes to a
    // policy attached to it by name, which the machine waits for.
    let runner_policy = t.find_resources("AWS::IAM::Policy", json!({"Properties": {"Roles": ["job-runner"]}}));
    assert_eq!(runner_policy.len(), 1, "{runner_policy:?}");
    let (runner_policy_id, _) = runner_policy.first().expect("policy");
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "PolicyName": "PolicyJobsRunner39C4FDEC",
            "PolicyDocument": document(json!([invoke, publish])),
            "Roles": ["job-runner"]
        }),
    );
    t.has_resource(
        "AWS::StepFunctions::StateMachine",
        json!({
            "Properties": {"RoleArn": ROLE_ARN},
            "DependsOn": [runner_policy_id]
        }),
    );

    // The rule's targets: the function (with a permission for this rule
    // only), the topic (its policy is not ours), the machine through a role
    // that may only start it, with the retry policy and a fixed input.
    let events_role = owned.rule.events_role().resource().logical_id();
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({"Targets": Match::array_equals(json!([
            Match::object_equals(json!({"Arn": FUNCTION_ARN, "Id": "Target0"})),
            Match::object_equals(json!({"Arn": TOPIC_ARN, "Id": "Target1"})),
            Match::object_equals(json!({
                "Arn": {"Ref": machine},
                "Id": "Target2",
                "RoleArn": {"Fn::GetAtt": [events_role, "Arn"]},
                "Input": "{}",
                "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
            }))
        ]))}),
    );
    t.has_resource_properties(
        "AWS::Lambda::Permission",
        json!(Match::object_equals(json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": FUNCTION_ARN,
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule, "Arn"]}
        }))),
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"PolicyDocument": document(json!([start])), "Roles": [{"Ref": events_role}]}),
    );

    // The grants to an owned role name exactly the imported resources.
    let auditor = owned.auditor.resource().logical_id();
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"PolicyDocument": document(json!([publish, invoke, start])), "Roles": [{"Ref": auditor}]}),
    );
    // The grant to the imported function, whose role is unknown, was dropped with a warning.
    Annotations::from_stack(&stack).has_warning(
        "Jobs/Report",
        Match::string_like_regexp(&format!("sns:Publish on {TOPIC_ARN} was not granted")),
    );
}

#[test]
fn a_stack_of_imports_passes_cfn_lint() {
    let (dir, assembly) = support::synth(|app| {
        jobs(app);
    });
    let Some(lint) = support::cfn_lint(&[assembly.directory.join("Jobs.template.json")]) else {
        return;
    };
    lint.assert_clean();
    drop(dir);
}
