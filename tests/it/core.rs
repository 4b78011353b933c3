//! The synthesis core: logical ids, references, exports, cycles, tags,
//! validation, determinism and the cloud assembly.

use std::fs;
use std::process::Command;

use constructs::core::logical_id::make_unique_id;
use constructs::core::{
    App, CfnOutput, CfnOutputProps, CfnResource, Construct, Pseudo, Stack, StackProps, Tags, Value,
};
use serde_json::{json, Value as Json};

use crate::support;

fn read_json(path: &std::path::Path) -> Json {
    serde_json::from_str(&fs::read_to_string(path).expect("file exists")).expect("valid JSON")
}

#[test]
fn logical_ids_match_the_cdk_for_every_seed_resource() {
    let tsv = include_str!("fixtures/cdk-logical-ids-seed001.tsv");
    let mut checked = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, expected) = (cols[0], cols[1]);
        let below_stack: Vec<&str> = path.split('/').skip(1).collect();
        assert_eq!(make_unique_id(&below_stack).as_deref(), Some(expected), "{path}");
        checked += 1;
    }
    assert!(checked >= 90, "only {checked} rows");
}

fn two_stacks(app: &App) -> (Stack, CfnResource, Stack, CfnResource) {
    let producer = Stack::new(app, "Producer", StackProps::default());
    let func = CfnResource::new(&producer, "Fn", "AWS::SNS::Topic");
    let consumer = Stack::new(app, "Consumer", StackProps::default());
    let user = CfnResource::new(&consumer, "User", "AWS::SQS::Queue");
    (producer, func, consumer, user)
}

#[test]
fn cross_stack_reference_becomes_export_and_import_with_cdk_names() {
    let app = App::new();
    let (_, topic, _, user) = two_stacks(&app);
    user.set("QueueName", topic.get_att("TopicName"));
    let s = app.synth().expect("synth");
    let names: Vec<&str> = s.stacks.iter().map(|s| s.artifact_id.as_str()).collect();
    assert_eq!(names, ["Producer", "Consumer"]);
    let consumer = &s.stacks[1];
    assert_eq!(consumer.dependencies, ["Producer"]);
    assert!(consumer.dependency_reasons[0]
        .1
        .contains("Consumer/User -> Producer/Fn.TopicName"));
    let export_id = make_unique_id(&["Exports", r#"Output{"Fn::GetAtt":["Fn","TopicName"]}"#]).expect("id");
    assert_eq!(
        consumer.template["Resources"]["User"]["Properties"]["QueueName"],
        json!({ "Fn::ImportValue": format!("Producer:{export_id}") })
    );
    assert_eq!(
        s.stacks[0].template["Outputs"][&export_id],
        json!({ "Value": { "Fn::GetAtt": ["Fn", "TopicName"] }, "Export": { "Name": format!("Producer:{export_id}") } })
    );
}

#[test]
fn same_stack_reference_stays_plain_and_mixed_strings_join() {
    let app = App::new();
    let stack = Stack::new(&app, "One", StackProps::default());
    let topic = CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    let queue = CfnResource::new(&stack, "Queue", "AWS::SQS::Queue");
    queue.set(
        "QueueName",
        constructs::cfn_concat!("q-", topic.get_att("TopicName"), "-", Pseudo::Region, "-x"),
    );
    queue.set("DelaySeconds", Value::concat(["1", "0"]));
    let s = app.synth().expect("synth");
    let props = &s.stacks[0].template["Resources"]["Queue"]["Properties"];
    assert_eq!(
        props["QueueName"],
        json!({ "Fn::Join": ["", ["q-", { "Fn::GetAtt": ["Topic", "TopicName"] }, "-", { "Ref": "AWS::Region" }, "-x"]] })
    );
    assert_eq!(props["DelaySeconds"], json!("10"));
    assert!(s.stacks[0].template.get("Outputs").is_none());
}

#[test]
fn a_dependency_cycle_names_the_stacks_and_the_references() {
    let app = App::new();
    let (_, topic, _, queue) = two_stacks(&app);
    queue.set("QueueName", topic.get_att("TopicName"));
    topic.set("DisplayName", queue.get_att("QueueName"));
    let err = app.synth().expect_err("cycle").to_string();
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("Consumer/User -> Producer/Fn.TopicName"), "{err}");
    assert!(err.contains("Producer/Fn -> Consumer/User.QueueName"), "{err}");
}

#[test]
fn invalid_ids_are_all_reported_with_their_paths() {
    let app = App::new();
    let stack = Stack::new(&app, "Stack", StackProps::default());
    let group = Construct::new(&stack, "Group");
    CfnResource::new(&group, "Dup", "AWS::SNS::Topic");
    CfnResource::new(&group, "Dup", "AWS::SNS::Topic");
    CfnResource::new(&group, "a/b", "AWS::SNS::Topic");
    CfnResource::new(&group, "", "AWS::SNS::Topic");
    let errors = app.synth().expect_err("invalid ids").0;
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|e| e.starts_with("Stack/Group/Dup: ") && e.contains("already")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.starts_with("Stack/Group/a/b: ") && e.contains("'/'")),
        "{text:?}"
    );
    assert!(text.iter().any(|e| e.contains("must not be empty")), "{text:?}");
}

#[test]
fn validations_run_at_synth_and_are_reported_together() {
    let app = App::new();
    let stack = Stack::new(&app, "Stack", StackProps::default());
    let a = Construct::new(&stack, "A");
    let b = Construct::new(&stack, "B");
    a.add_validation(|| vec!["first problem".into()]);
    b.add_validation(|| vec!["second problem".into()]);
    let err = app.synth().expect_err("invalid").to_string();
    assert!(err.contains("2 errors"), "{err}");
    assert!(
        err.contains("Stack/A: first problem") && err.contains("Stack/B: second problem"),
        "{err}"
    );
}

#[test]
fn tags_apply_to_taggable_resources_nearest_scope_wins_sorted_by_key() {
    let app = App::new();
    let stack = Stack::new(&app, "Stack", StackProps::default());
    let inner = Construct::new(&stack, "Inner");
    let bucket = CfnResource::new(&inner, "Bucket", "AWS::S3::Bucket");
    let policy = CfnResource::new(&inner, "Policy", "AWS::S3::BucketPolicy");
    policy.set("Bucket", bucket.ref_());
    policy.set("PolicyDocument", json!({ "Version": "2012-10-17", "Statement": [] }));
    let param = CfnResource::new(&stack, "Param", "AWS::SSM::Parameter");
    param.set("Type", "String");
    param.set("Value", "v");
    bucket.set("Tags", json!([{ "Key": "own", "Value": "1" }]));
    Tags::of(&app).add("team", "platform");
    Tags::of(&stack).add("stackId", Pseudo::StackId);
    Tags::of(&inner).add("team", "web");
    let s = app.synth().expect("synth");
    let r = &s.stacks[0].template["Resources"];
    assert_eq!(
        r[bucket.logical_id()]["Properties"]["Tags"],
        json!([
            { "Key": "own", "Value": "1" },
            { "Key": "stackId", "Value": { "Ref": "AWS::StackId" } },
            { "Key": "team", "Value": "web" }
        ])
    );
    assert!(
        r[policy.logical_id()]["Properties"].get("Tags").is_none(),
        "BucketPolicy is not taggable"
    );
    assert_eq!(
        r[param.logical_id()]["Properties"]["Tags"],
        json!({ "stackId": { "Ref": "AWS::StackId" }, "team": "platform" })
    );
}

fn sample_app(app: &App) {
    let (_, topic, consumer, queue) = two_stacks(app);
    queue.set("QueueName", topic.get_att("TopicName"));
    CfnOutput::new(
        &consumer,
        "QueueUrl",
        CfnOutputProps {
            value: queue.ref_(),
            ..Default::default()
        },
    );
    Tags::of(app).add("app", "sample");
}

#[test]
fn synthesis_is_byte_identical_across_runs() {
    let (a, _) = support::synth(sample_app);
    let (b, _) = support::synth(sample_app);
    let list = |d: &std::path::Path| {
        let mut names: Vec<String> = fs::read_dir(d.join("cdk.out"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let names = list(a.path());
    assert_eq!(names, list(b.path()));
    assert!(names.contains(&"manifest.json".to_owned()));
    for n in names {
        let fa = fs::read(a.path().join("cdk.out").join(&n)).expect("read");
        let fb = fs::read(b.path().join("cdk.out").join(&n)).expect("read");
        assert!(fa == fb, "{n} differs between runs");
    }
}

#[test]
fn the_manifest_follows_the_cloud_assembly_schema() {
    let (dir, _) = support::synth(sample_app);
    let out = dir.path().join("cdk.out");
    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["version"], json!(constructs::core::MANIFEST_VERSION));
    let consumer = &m["artifacts"]["Consumer"];
    assert_eq!(consumer["type"], "aws:cloudformation:stack");
    assert_eq!(consumer["environment"], "aws://unknown-account/unknown-region");
    assert_eq!(consumer["properties"]["templateFile"], "Consumer.template.json");
    assert_eq!(consumer["dependencies"], json!(["Producer", "Consumer.assets"]));
    assert_eq!(consumer["metadata"]["/Consumer/User"][0]["data"], "User");
    assert_eq!(m["artifacts"]["Consumer.assets"]["type"], "cdk:asset-manifest");
    assert_eq!(m["artifacts"]["Tree"]["type"], "cdk:tree");
    let assets = read_json(&out.join("Consumer.assets.json"));
    let template_bytes = fs::read(out.join("Consumer.template.json")).expect("template");
    let hash = constructs::core::sha256_hex(&template_bytes);
    assert_eq!(assets["files"][&hash]["source"]["path"], "Consumer.template.json");
    let url = consumer["properties"]["stackTemplateAssetObjectUrl"]
        .as_str()
        .unwrap_or_default();
    assert!(url.ends_with(&format!("{hash}.json")), "{url}");
    let tree = read_json(&out.join("tree.json"));
    assert_eq!(
        tree["tree"]["children"]["Consumer"]["children"]["User"]["attributes"]["aws:cdk:cloudformation:logicalId"],
        "User"
    );
}

#[test]
fn a_failed_synth_leaves_the_previous_assembly_intact() {
    let (dir, _) = support::synth(sample_app);
    let out = dir.path().join("cdk.out");
    let before = fs::read(out.join("manifest.json")).expect("manifest");
    let app = App::new();
    sample_app(&app);
    Construct::new(&app, "Broken").add_error("deliberately broken");
    assert!(app.synth_to(&out).is_err());
    assert_eq!(fs::read(out.join("manifest.json")).expect("manifest"), before);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary directories left behind");
}

#[test]
fn templates_pass_cfn_lint() {
    let (dir, assembly) = support::synth(sample_app);
    let files: Vec<_> = assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| {
            dir.path()
                .join("cdk.out")
                .join(format!("{}.template.json", s.artifact_id))
        })
        .collect();
    let Some(lint) = support::cfn_lint(&files) else { return };
    lint.assert_clean();
}

/// `cdk ls --app <assembly>` with the official CDK CLI; `None` when it is not installed.
fn cdk_ls(assembly: &std::path::Path) -> Option<Vec<String>> {
    let cdk = support::tool("cdk")?;
    let out = Command::new(cdk)
        .args(["ls", "--app"])
        .arg(assembly)
        .env("CDK_DISABLE_VERSION_CHECK", "1")
        .env("CI", "true")
        .current_dir(assembly.parent().unwrap_or(assembly))
        .output()
        .expect("cdk runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    Some(stdout.lines().map(|l| l.trim().to_owned()).collect())
}

#[test]
fn the_official_cdk_cli_reads_the_assembly() {
    let (dir, _) = support::synth(sample_app);
    let Some(listed) = cdk_ls(&dir.path().join("cdk.out")) else {
        return;
    };
    assert_eq!(listed, ["Producer", "Consumer"]);
    // The seed app, with its asset manifests: in dependency order, as our `list` (the state
    // machines import the functions and, for their run inputs and the maintenance rule
    // parameter, WebAppStack's resources).
    let (dir, assembly) = support::synth(app::build);
    let Some(listed) = cdk_ls(&dir.path().join("cdk.out")) else {
        return;
    };
    let ours: Vec<&str> = assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect();
    assert_eq!(listed, ours);
    assert_eq!(
        listed,
        [
            "LambdaFunctionsStack",
            "WebAppStack",
            "WebAppStartStateMachineStack",
            "WebAppStopStateMachineStack"
        ]
    );
}
