//! The CLI: commands, exit codes, context and output.

use std::process::ExitCode;

use clap::Parser;
use constructs::cli::{load_context, run_with, Cli};
use constructs::core::{App, CfnResource, Scope, Stack, StackProps};

fn small_app(app: &App) {
    let a = Stack::new(app, "First", StackProps::default());
    let topic = CfnResource::new(&a, "Topic", "AWS::SNS::Topic");
    let b = Stack::new(app, "Second", StackProps::default());
    let queue = CfnResource::new(&b, "Queue", "AWS::SQS::Queue");
    queue.set("QueueName", topic.get_att("TopicName"));
    if let Some(name) = queue.node().context_str("queue-suffix") {
        queue.set("DelaySeconds", name);
    }
}

fn run(args: &[&str]) -> ExitCode {
    let cli = Cli::try_parse_from(std::iter::once("app").chain(args.iter().copied())).expect("valid arguments");
    run_with(cli, &small_app)
}

#[test]
fn synth_writes_the_assembly_where_asked() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("out");
    let out_s = out.to_string_lossy().into_owned();
    assert_eq!(run(&["synth", "--quiet", "-o", &out_s]), ExitCode::SUCCESS);
    assert!(out.join("manifest.json").is_file());
    assert!(out.join("Second.template.json").is_file());
}

#[test]
fn synth_of_an_unknown_stack_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let out_s = dir.path().join("out").to_string_lossy().into_owned();
    assert_eq!(run(&["synth", "Nope", "-o", &out_s]), ExitCode::FAILURE);
}

#[test]
fn list_and_ls_are_the_same_command() {
    let dir = tempfile::tempdir().expect("dir");
    let out_s = dir.path().join("out").to_string_lossy().into_owned();
    assert_eq!(run(&["ls", "-o", &out_s]), ExitCode::SUCCESS);
    assert_eq!(run(&["list", "--long", "-o", &out_s]), ExitCode::SUCCESS);
}

#[test]
fn bad_arguments_exit_with_code_2() {
    for args in [
        vec!["app", "frobnicate"],
        vec!["app", "synth", "--no-such-flag"],
        vec!["app", "synth", "-c", "novalue"],
    ] {
        let err = Cli::try_parse_from(args.clone()).expect_err("invalid");
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

#[test]
fn context_comes_from_cdk_json_then_flags() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("cdk.json"),
        r#"{"app": "x", "context": {"key-pair": "from-file", "hook-url-parameter": "/p"}}"#,
    )
    .expect("write");
    let ctx = load_context(dir.path(), &[("key-pair".into(), "from-flag".into())]).expect("context");
    assert_eq!(ctx["key-pair"], "from-flag");
    assert_eq!(ctx["hook-url-parameter"], "/p");
    std::fs::write(dir.path().join("cdk.json"), "{not json").expect("write");
    let err = load_context(dir.path(), &[]).expect_err("invalid cdk.json");
    assert!(err.contains("cdk.json"), "{err}");
}

#[test]
fn synth_onto_an_existing_file_is_an_error_that_leaves_the_file_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").expect("write");
    let app = App::new();
    small_app(&app);
    let err = app.synth_to(&file).expect_err("a file is not an output directory");
    let message = err.to_string();
    assert!(
        message.contains("notes.txt") && message.contains("not a directory") && message.contains("-o DIR"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), "keep me");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"], "nothing renamed or left beside it");
    let file_s = file.to_string_lossy().into_owned();
    assert_eq!(run(&["synth", "--quiet", "-o", &file_s]), ExitCode::FAILURE);
}

#[test]
fn an_empty_required_context_value_is_refused_with_its_key() {
    let needs_user = |app: &App| {
        let stack = Stack::new(app, "Notify", StackProps::default());
        let topic = CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
        if let Some(user) = topic.node().require_context_str("slack-user-id") {
            topic.set("DisplayName", user);
        }
    };
    let dir = tempfile::tempdir().expect("dir");
    for (value, needed) in [(None, "is required"), (Some(""), "is empty"), (Some("  "), "is empty")] {
        let mut context = indexmap::IndexMap::new();
        if let Some(v) = value {
            context.insert("slack-user-id".to_owned(), serde_json::json!(v));
        }
        let app = App::with_context(context);
        needs_user(&app);
        let err = app.synth_to(&dir.path().join("out")).expect_err("refused");
        let message = err.to_string();
        assert!(
            message.contains("Notify/Topic") && message.contains("'slack-user-id'") && message.contains(needed),
            "{value:?}: {message}"
        );
    }
    let app = App::with_context(
        [("slack-user-id".to_owned(), serde_json::json!("U012"))]
            .into_iter()
            .collect(),
    );
    needs_user(&app);
    app.synth_to(&dir.path().join("out")).expect("a value synthesizes");
}
