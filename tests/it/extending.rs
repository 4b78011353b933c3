//! Extending the library: overrides on computed properties, reaching the
//! resources below an L2, aspects, annotations and `--strict`, typed context,
//! one error per root cause.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use constructs::assertions::{Annotations, Match, Template};
use constructs::aws::events::{Rule, RuleProps, Schedule};
use constructs::aws::events_targets::{SfnStateMachine, SfnStateMachineProps};
use constructs::aws::lambda::{Code, Function, FunctionProps};
use constructs::aws::stepfunctions::{Chainable, StateGraph, StateMachine, StateMachineProps, WaitTime};
use constructs::cfn::iam::CfnRole;
use constructs::cfn::logs::CfnLogGroup;
use constructs::cli::{run_with, Cli};
use constructs::core::{
    Annotations as CoreAnnotations, App, Aspects, CfnResource, Construct, Scope, Stack, StackProps, Tags, Value,
};
use serde_json::json;

/// A stack with a function, a state machine (with its log group) and a rule
/// starting it every hour.
struct Jobs {
    stack: Stack,
    function: Function,
    machine: StateMachine,
    rule: Rule,
}

fn jobs(app: &App, id: &str) -> Jobs {
    let stack = Stack::new(app, id, StackProps::default());
    let function = Function::new(
        &stack,
        "Export",
        FunctionProps {
            code: Code::from_zip_file(zip()),
            environment: [("LOG_LEVEL".to_owned(), Value::from("warn"))].into_iter().collect(),
            ..Default::default()
        },
    );
    let definition = StateGraph::new();
    let invoke = definition.lambda_invoke("Export", &function, Default::default());
    invoke.end();
    definition.start_at(&invoke);
    let machine = StateMachine::new(
        &stack,
        "Nightly",
        StateMachineProps {
            definition,
            ..Default::default()
        },
    );
    let rule = Rule::new(
        &stack,
        "Schedule",
        RuleProps {
            schedule: Some(Schedule::cron("0 17 * * ? *")),
            ..Default::default()
        },
    );
    rule.add_target(&SfnStateMachine::new(&machine, SfnStateMachineProps::default()));
    Jobs {
        stack,
        function,
        machine,
        rule,
    }
}

/// A (empty) code zip for the functions.
fn zip() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("constructs-extending-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let zip = dir.join("export.zip");
    std::fs::write(&zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").expect("empty zip");
    zip
}

fn app() -> App {
    App::new()
}

#[test]
fn overrides_reach_computed_properties_and_survive_later_changes() {
    let app = app();
    let j = jobs(&app, "Jobs");
    // Rule targets are computed at synthesis; the override names the first.
    let rule = CfnResource::of(&j.rule).expect("the rule's resource");
    rule.add_property_override("Targets.0.RetryPolicy.MaximumRetryAttempts", 2);
    // The function's environment is computed too; a later add_environment does not undo the override.
    let function = CfnResource::of(&j.function).expect("the function's resource");
    function.add_property_override("Environment.Variables.LOG_LEVEL", "debug");
    function.add_property_deletion_override("Description");
    j.function.add_environment("LOG_LEVEL", "info");
    j.function.add_environment("REGION_HINT", "tokyo");
    // The state machine's definition, replaced whole.
    let machine = CfnResource::of(&j.machine).expect("the machine's resource");
    machine.add_property_override(
        "DefinitionString",
        r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#,
    );
    machine.add_override("Metadata.Owner", "shop-team");
    // A second target added after the override: the override still names the first.
    let other = StateMachine::new(
        &j.stack,
        "Other",
        StateMachineProps {
            definition: {
                let g = StateGraph::new();
                let w = g.wait("Pause", WaitTime::Seconds(1));
                w.end();
                g.start_at(&w);
                g
            },
            ..Default::default()
        },
    );
    j.rule
        .add_target(&SfnStateMachine::new(&other, SfnStateMachineProps::default()));

    let t = Template::from_stack(&j.stack);
    t.has_resource_properties(
        "AWS::Events::Rule",
        json!({ "Targets": [
            { "Id": "Target0", "RetryPolicy": { "MaximumRetryAttempts": 2 } },
            { "Id": "Target1" }
        ] }),
    );
    let rules = t.find_resources("AWS::Events::Rule", json!({}));
    let targets = &rules.values().next().expect("one rule")["Properties"]["Targets"];
    assert!(
        targets[1].get("RetryPolicy").is_none(),
        "only the first target is overridden"
    );
    t.has_resource_properties(
        "AWS::Lambda::Function",
        json!({ "Environment": { "Variables": { "LOG_LEVEL": "debug", "REGION_HINT": "tokyo" } } }),
    );
    let machines = t.find_resources(
        "AWS::StepFunctions::StateMachine",
        json!({ "Metadata": { "Owner": "shop-team" } }),
    );
    assert_eq!(machines.len(), 1);
    assert_eq!(
        machines.values().next().expect("one")["Properties"]["DefinitionString"],
        r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#
    );
}

#[test]
fn an_override_into_a_missing_list_item_is_an_error_naming_the_resource() {
    let app = app();
    let j = jobs(&app, "Jobs");
    CfnResource::of(&j.rule)
        .expect("rule")
        .add_property_override("Targets.3.Input", "{}");
    Annotations::from_app(&app).has_error(
        "Jobs/Schedule/Resource",
        Match::string_like_regexp("override 'Properties.Targets.3.Input': '3' is not an index"),
    );
}

#[test]
fn find_child_and_default_child_reach_generated_resources_without_accessors() {
    let app = app();
    let j = jobs(&app, "Jobs");
    let role = j
        .rule
        .node()
        .find_child("EventsRole")
        .and_then(|c| CfnRole::of(&c))
        .expect("the rule's EventsRole, as its L1");
    role.add_property_override("MaxSessionDuration", 7200);
    let group = CfnLogGroup::of(
        &j.machine
            .node()
            .find_child("LogGroup")
            .expect("the machine's log group"),
    )
    .expect("an AWS::Logs::LogGroup");
    group.add_property_override("RetentionInDays", 400);
    assert!(
        CfnRole::of(&j.machine.node().find_child("LogGroup").expect("found")).is_none(),
        "typed: not a role"
    );
    let default = j.function.node().default_child().expect("a default child");
    assert_eq!(default.id(), "Resource");

    let t = Template::from_stack(&j.stack);
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({ "MaxSessionDuration": 7200, "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "events.amazonaws.com" } }] } }),
    );
    t.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 400 }));
}

/// The aspect a team writes: a cost-centre tag everywhere, an override on
/// every log group, a warning on every function without a description.
fn team_rules(node: &Construct) {
    if node.stack().is_some_and(|s| s.node().same(node)) {
        Tags::of(node).add("cost-centre", "shop-42");
    }
    if let Some(group) = node
        .as_resource()
        .filter(|r| r.resource_type() == "AWS::Logs::LogGroup")
    {
        group.add_property_override("RetentionInDays", 731);
    }
    if node.fqn() == "constructs.aws.lambda.Function"
        && CfnResource::of(node).is_some_and(|r| r.get("Description").is_none())
    {
        CoreAnnotations::of(node).add_warning(
            "shop:lambda:noDescription",
            "the function has no description: say what it does",
        );
    }
}

#[test]
fn an_aspect_adds_a_tag_an_override_and_a_warning_across_the_app() {
    let app = app();
    let a = jobs(&app, "JobsA");
    let b = jobs(&app, "JobsB");
    Aspects::of(&app).add(team_rules);
    for stack in [&a.stack, &b.stack] {
        let t = Template::from_stack(stack);
        t.has_resource_properties(
            "AWS::Lambda::Function",
            json!({ "Tags": Match::array_with(json!([{ "Key": "cost-centre", "Value": "shop-42" }])) }),
        );
        t.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 731 }));
    }
    let annotations = Annotations::from_app(&app);
    annotations.has_warning("JobsA/Export", Match::string_like_regexp("no description"));
    annotations.has_warning("JobsB/Export", Match::string_like_regexp("no description"));
    annotations.has_no_error("*", Match::any_value());

    // Acknowledged on one stack: only the other one warns.
    CoreAnnotations::of(&a.stack).acknowledge_warning("shop:lambda:noDescription", "an internal tool");
    let annotations = Annotations::from_app(&app);
    annotations.has_no_warning("JobsA/*", Match::any_value());
    annotations.has_warning("JobsB/Export", Match::any_value());
}

fn warned_app(app: &App) {
    let j = jobs(app, "Jobs");
    CoreAnnotations::of(&j.function).add_warning("shop:test:warn", "a warning that --strict refuses");
}

#[test]
fn strict_synth_fails_on_a_warning_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("out");
    let out_s = out.to_string_lossy().into_owned();
    let run = |args: &[&str]| {
        let cli = Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied())).expect("arguments");
        run_with(cli, &warned_app)
    };
    let no_bundling = ["-c", "aws:cdk:bundling-stacks=[]"];
    assert_eq!(
        run(&[&["synth", "--strict", "-o", &out_s][..], &no_bundling[..]].concat()),
        ExitCode::FAILURE
    );
    assert!(!out.exists(), "nothing written under --strict");
    assert_eq!(
        run(&[&["synth", "--quiet", "-o", &out_s][..], &no_bundling[..]].concat()),
        ExitCode::SUCCESS
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(
        manifest["artifacts"]["Jobs"]["metadata"]["/Jobs/Export"],
        json!([{ "type": "aws:cdk:warning", "data": "a warning that --strict refuses [ack: shop:test:warn]" }]),
        "the warning is in the manifest, where the CDK CLI reads it"
    );
    let read = constructs::core::CloudAssembly::read(&out).expect("read back");
    assert_eq!(read.synthesis.warnings().count(), 1);
}

#[test]
fn a_duplicate_construct_id_is_one_error() {
    let app = app();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    for _ in 0..2 {
        let group = Construct::new(&stack, "Group");
        CfnResource::new(&group, "Topic", "AWS::SNS::Topic");
        CfnResource::new(&group, "Queue", "AWS::SQS::Queue");
    }
    let err = app.synth().expect_err("duplicate id").0;
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].to_string().contains("already a construct with id 'Group'"),
        "{}",
        err[0]
    );
}

#[test]
fn references_into_another_app_are_one_error_naming_the_referenced_construct() {
    let other = App::new();
    let other_stack = Stack::new(&other, "Elsewhere", StackProps::default());
    let topic = CfnResource::new(&other_stack, "Alerts", "AWS::SNS::Topic");
    let app = app();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    for id in ["A", "B", "C"] {
        CfnResource::new(&stack, id, "AWS::SQS::Queue").set("QueueName", topic.get_att("TopicName"));
    }
    let err = app.synth().expect_err("foreign reference").0;
    assert_eq!(err.len(), 1, "{err:?}");
    let message = err[0].to_string();
    assert!(
        message.starts_with("Jobs/A: references 'Elsewhere/Alerts' of another App (and so do 'Jobs/B' and 1 more)"),
        "{message}"
    );
}

#[test]
fn typed_context_accepts_json_and_flag_forms_and_names_the_source_of_a_bad_value() {
    let app = App::with_context(
        [
            ("batch-size".to_owned(), json!("250")),
            ("retries".to_owned(), json!(3)),
            ("dry-run".to_owned(), json!("true")),
            ("hosts".to_owned(), json!("web-1, web-2")),
            ("zones".to_owned(), json!(["a", "c"])),
            ("ratio".to_owned(), json!("lots")),
        ]
        .into_iter()
        .collect(),
    );
    app.set_context_source("ratio", "`-c ratio=lots`");
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    let node = stack.node();
    assert_eq!(node.context_u64("batch-size"), Some(250));
    assert_eq!(node.context_u64("retries"), Some(3));
    assert_eq!(node.context_bool("dry-run"), Some(true));
    assert_eq!(
        node.context_list("hosts"),
        Some(vec!["web-1".to_owned(), "web-2".to_owned()])
    );
    assert_eq!(node.context_list("zones"), Some(vec!["a".to_owned(), "c".to_owned()]));
    assert_eq!(node.context_f64("ratio"), None);
    let err = app.synth().expect_err("a bad value").to_string();
    assert!(
        err.contains("Jobs: context value 'ratio' must be a number, but is \"lots\" (from `-c ratio=lots`)"),
        "{err}"
    );
}
