//! The deploy engine end to end against the local AWS harness (moto with our
//! CloudFormation patches, `tests/harness`).
//!
//! Every test skips when `AWS_ENDPOINT_URL` is unset (a developer machine
//! without the harness); `.ci/run` starts the harness and sets it. Each test
//! uses its own region (so its own `CDKToolkit` and asset bucket) and stack
//! names with a per-run suffix, so tests run in parallel against one server
//! and again against a server that is still running.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use constructs::core::{
    deterministic_zip, sha256_hex, App, CfnOutput, CfnOutputProps, CfnResource, RemovalPolicy, Stack, StackProps,
    Value, ZipEntry,
};
use constructs::deploy::{
    AllowReplacement, BootstrapOutcome, ChangeKind, ConnectOptions, DeployError, DeployOptions, Deployer,
    DestroyOptions, DestroyOutcome, Destruction, ExportChange, Replacement, RequireApproval, Selection, StackOutcome,
    StackResult,
};

use crate::support;

/// The harness endpoint, or `None` (and a note) when the tests must skip.
fn harness() -> Option<String> {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(e) if !e.is_empty() => Some(e),
        _ => {
            eprintln!("skipping: AWS_ENDPOINT_URL is not set (start the local AWS harness, or run .ci/run)");
            None
        }
    }
}

/// A suffix unique to this run, so a reused harness never sees the same stack twice.
fn run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}", (nanos as u64) ^ u64::from(std::process::id()))
}

async fn deployer(region: &str) -> Deployer {
    Deployer::connect(ConnectOptions {
        region: Some(region.to_owned()),
        poll_interval: Some(Duration::from_millis(50)),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn cloudformation(region: &str) -> aws_sdk_cloudformation::Client {
    let config = constructs::deploy::config_loader()
        .region(aws_config::Region::new(region.to_owned()))
        .load()
        .await;
    aws_sdk_cloudformation::Client::new(&config)
}

async fn s3(region: &str) -> aws_sdk_s3::Client {
    let config = constructs::deploy::config_loader()
        .region(aws_config::Region::new(region.to_owned()))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

/// The role CloudFormation uses for a stack (the change sets' `RoleARN`).
async fn stack_role_arn(cfn: &aws_sdk_cloudformation::Client, name: &str) -> Option<String> {
    let out = cfn
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .expect("DescribeStacks");
    out.stacks().first().and_then(|s| s.role_arn()).map(str::to_owned)
}

/// The status of a stack, `None` when it does not exist.
async fn status(cfn: &aws_sdk_cloudformation::Client, name: &str) -> Option<String> {
    let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
    out.stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_owned())
}

fn all() -> DeployOptions {
    DeployOptions {
        selection: Selection {
            all: true,
            ..Default::default()
        },
        require_approval: RequireApproval::Never,
        ..Default::default()
    }
}

fn only(stack: &str) -> DeployOptions {
    DeployOptions {
        selection: Selection {
            stacks: vec![stack.to_owned()],
            exclusively: true,
            ..Default::default()
        },
        require_approval: RequireApproval::Never,
        ..Default::default()
    }
}

/// Writes a small deterministic zip (a fake `bootstrap` handler) and returns its path and hash.
fn handler_zip(dir: &Path, content: &str) -> (std::path::PathBuf, String) {
    let bytes = deterministic_zip(&mut [ZipEntry {
        name: "bootstrap",
        content: content.as_bytes(),
        mode: 0o755,
    }])
    .expect("zip");
    let hash = sha256_hex(&bytes);
    let path = dir.join(format!("{hash}.zip"));
    std::fs::write(&path, bytes).expect("write zip");
    (path, hash)
}

/// What varies between deploys of the three-stack app.
#[derive(Clone)]
struct Variant {
    /// The value of the network stack's SSM parameter.
    config_value: &'static str,
    /// Whether the app stack still references the network stack's topic.
    app_uses_topic: bool,
}

const V1: Variant = Variant {
    config_value: "v1",
    app_uses_topic: true,
};

/// Three stacks wired by exports: Network (topic, parameter) <- Functions
/// (role, Lambda function from a file asset, topic ARN imported) <- App
/// (parameter with the function ARN and the topic name, both imported).
fn three_stacks(app: &App, prefix: &str, zip: &(std::path::PathBuf, String), v: &Variant) {
    let props = StackProps::default;
    let network = Stack::new(app, &format!("{prefix}Network"), props());
    let topic = CfnResource::new(&network, "Topic", "AWS::SNS::Topic");
    // With properties: moto stores `"Properties": {}` for a resource without, and then
    // takes the unchanged resource for a modified one on update and replaces it.
    topic.set("DisplayName", "deploy test");
    let config = CfnResource::new(&network, "Config", "AWS::SSM::Parameter");
    config.set("Type", "String");
    config.set("Value", v.config_value);

    let functions = Stack::new(app, &format!("{prefix}Functions"), props());
    let role = CfnResource::new(&functions, "Role", "AWS::IAM::Role");
    role.set(
        "AssumeRolePolicyDocument",
        Value::from_json(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        })),
    );
    let code = functions.add_file_asset(zip.0.clone(), &zip.1, "Functions/Handler/Code");
    let handler = CfnResource::new(&functions, "Handler", "AWS::Lambda::Function");
    handler.set("Runtime", "provided.al2023");
    handler.set("Handler", "bootstrap");
    handler.set("Role", role.get_att("Arn"));
    handler.set(
        "Code",
        Value::map()
            .with("S3Bucket", code.bucket_name)
            .with("S3Key", code.object_key),
    );
    handler.set(
        "Environment",
        Value::map().with("Variables", Value::map().with("TOPIC_ARN", topic.ref_())),
    );

    let app_stack = Stack::new(app, &format!("{prefix}App"), props());
    let wiring = CfnResource::new(&app_stack, "Wiring", "AWS::SSM::Parameter");
    wiring.set("Type", "String");
    if v.app_uses_topic {
        wiring.set(
            "Value",
            Value::join(",", [handler.get_att("Arn"), topic.get_att("TopicName")]),
        );
    } else {
        wiring.set("Value", handler.get_att("Arn"));
    }
    CfnOutput::new(
        &app_stack,
        "FunctionArn",
        CfnOutputProps {
            value: handler.get_att("Arn"),
            ..Default::default()
        },
    );
}

struct Fixture {
    region: &'static str,
    prefix: String,
    #[expect(dead_code, reason = "keeps the handler zip's directory alive")]
    zip_dir: tempfile::TempDir,
    zip: (std::path::PathBuf, String),
}

impl Fixture {
    fn new(region: &'static str, name: &str) -> Fixture {
        let zip_dir = tempfile::tempdir().expect("temp dir");
        let prefix = format!("{name}{}", run_id());
        let zip = handler_zip(zip_dir.path(), &format!("handler of {prefix}"));
        Fixture {
            region,
            prefix,
            zip_dir,
            zip,
        }
    }

    fn synth(&self, v: &Variant) -> (tempfile::TempDir, constructs::core::CloudAssembly) {
        support::synth(|app| three_stacks(app, &self.prefix, &self.zip, v))
    }

    fn name(&self, stack: &str) -> String {
        format!("{}{stack}", self.prefix)
    }
}

/// Bootstraps, then deploys the three stacks; returns the deployer.
async fn bootstrap_and_deploy(f: &Fixture) -> Deployer {
    let d = deployer(f.region).await;
    let report = d.bootstrap(false).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(report.outcome, BootstrapOutcome::Deployed(_)), "{report:?}");
    let (_dir, assembly) = f.synth(&V1);
    let report = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_creates_a_cdk_compatible_toolkit_stack_once() {
    if harness().is_none() {
        return;
    }
    let region = "ap-northeast-2";
    let d = deployer(region).await;
    let first = d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let bucket = first
        .outputs
        .iter()
        .find(|o| o.key == "BucketName")
        .map(|o| o.value.clone())
        .expect("BucketName output");
    assert_eq!(bucket, format!("cdk-hnb659fds-assets-123456789012-{region}"));
    let version = first
        .outputs
        .iter()
        .find(|o| o.key == "BootstrapVersion")
        .map(|o| o.value.as_str());
    assert_eq!(version, Some("8"));
    // moto applies the encryption of a CloudFormation bucket, not its versioning, lifecycle
    // rules or public access block: those are checked in the deployed template.
    let s3 = s3(region).await;
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .expect("encryption");
    let algorithm = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().as_str().to_owned());
    assert_eq!(algorithm.as_deref(), Some("aws:kms"));
    let cfn = cloudformation(region).await;
    let template = cfn
        .get_template()
        .stack_name("CDKToolkit")
        .send()
        .await
        .expect("GetTemplate");
    let template: serde_json::Value =
        serde_json::from_str(template.template_body().unwrap_or_default()).expect("JSON template");
    let props = &template["Resources"]["StagingBucket"]["Properties"];
    assert_eq!(props["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
    assert_eq!(
        props["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"],
        30
    );
    let resources = cfn
        .describe_stack_resources()
        .stack_name("CDKToolkit")
        .send()
        .await
        .expect("DescribeStackResources");
    let mut roles: Vec<&str> = resources
        .stack_resources()
        .iter()
        .filter(|r| r.resource_type() == Some("AWS::IAM::Role"))
        .filter_map(|r| r.physical_resource_id())
        .collect();
    roles.sort_unstable();
    assert_eq!(
        roles,
        ["cfn-exec", "deploy", "file-publishing", "lookup"]
            .map(|kind| format!("cdk-hnb659fds-{kind}-role-123456789012-{region}")),
        "the CDK's four roles, by its names"
    );
    let exec = &template["Resources"]["CloudFormationExecutionRole"]["Properties"]["ManagedPolicyArns"];
    assert_eq!(
        exec,
        &serde_json::json!(["arn:aws:iam::aws:policy/AdministratorAccess"])
    );
    let again = d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(again.outcome, BootstrapOutcome::Deployed(StackOutcome::Unchanged)),
        "{again:?}"
    );
    assert_eq!(
        again.api_calls.get("CloudFormation.CreateChangeSet"),
        0,
        "{}",
        again.api_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_all_then_a_second_deploy_changes_and_uploads_nothing() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("us-west-2", "Lifecycle");
    let d = deployer(f.region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = f.synth(&V1);

    let start = Instant::now();
    let first = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    let first_time = start.elapsed();
    assert!(first.is_success(), "{first}");
    for s in ["Network", "Functions", "App"] {
        assert_eq!(first.outcome(&f.name(s)), Some(&StackOutcome::Created), "{first}");
    }
    assert_eq!(first.order, [f.name("Network"), f.name("Functions"), f.name("App")]);
    // Three templates and the handler zip.
    assert_eq!(first.api_calls.get("S3.PutObject"), 4, "{}", first.api_calls);
    assert_eq!(first.assets_uploaded, 4);

    // The resources, exports and the asset exist.
    let cfn = cloudformation(f.region).await;
    // The deploy role was assumed (the harness refuses a role that does not exist), so the change
    // sets carry the bootstrap's execution role, as the CDK CLI's do.
    assert_eq!(
        stack_role_arn(&cfn, &f.name("Network")).await,
        Some(format!(
            "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-{}",
            f.region
        )),
    );
    let exports = cfn.list_exports().send().await.expect("ListExports");
    let ours: Vec<&str> = exports
        .exports()
        .iter()
        .filter_map(|e| e.name())
        .filter(|n| n.starts_with(&f.prefix))
        .collect();
    assert_eq!(
        ours.len(),
        3,
        "Network exports the topic ARN and name, Functions the function ARN: {ours:?}"
    );
    for export in &ours {
        let imports = cfn
            .list_imports()
            .export_name(*export)
            .send()
            .await
            .expect("ListImports");
        assert!(!imports.imports().is_empty(), "{export} is imported");
    }
    let resources = cfn
        .describe_stack_resources()
        .stack_name(f.name("Functions"))
        .send()
        .await
        .expect("DescribeStackResources");
    let handler = resources
        .stack_resources()
        .iter()
        .find(|r| r.logical_resource_id() == Some("Handler"))
        .expect("Handler resource");
    assert_eq!(handler.resource_type(), Some("AWS::Lambda::Function"));
    let bucket = format!("cdk-hnb659fds-assets-123456789012-{}", f.region);
    let object = s3(f.region)
        .await
        .head_object()
        .bucket(&bucket)
        .key(format!("{}.zip", f.zip.1))
        .send()
        .await;
    assert!(object.is_ok(), "the handler zip was published");
    let app = first.stack(&f.name("App")).expect("App report");
    let StackResult::Done(app) = &app.result else {
        panic!("{first}")
    };
    assert!(app
        .outputs
        .iter()
        .any(|o| o.key == "FunctionArn" && o.value.contains(":function:")));

    // The same assembly again: nothing to do, two calls per stack (and the caller's account, once,
    // to name the deploy role of these environment-agnostic stacks).
    let start = Instant::now();
    let second = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    let second_time = start.elapsed();
    assert!(second.is_success(), "{second}");
    for s in ["Network", "Functions", "App"] {
        assert_eq!(second.outcome(&f.name(s)), Some(&StackOutcome::Unchanged), "{second}");
    }
    let calls = &second.api_calls;
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");
    assert_eq!(calls.get("S3.PutObject"), 0, "{calls}");
    assert_eq!(
        calls.total(),
        7,
        "DescribeStacks + GetTemplate per stack, GetCallerIdentity: {calls}"
    );
    assert_eq!(calls.get("STS.GetCallerIdentity"), 1, "{calls}");
    eprintln!(
        "measure: 3-stack deploy --all {:?} with {} API calls ({}); no-op redeploy {:?} with {} API calls ({})",
        first_time,
        first.api_calls.total(),
        first.api_calls,
        second_time,
        second.api_calls.total(),
        second.api_calls
    );

    // --force deploys through change sets anyway; they are empty.
    let forced = d
        .deploy(&assembly, &DeployOptions { force: true, ..all() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(forced.is_success(), "{forced}");
    assert_eq!(
        forced.outcome(&f.name("Network")),
        Some(&StackOutcome::NoChanges),
        "{forced}"
    );
    assert_eq!(
        forced.api_calls.get("CloudFormation.ExecuteChangeSet"),
        0,
        "{}",
        forced.api_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_one_stack_redeploys_only_that_stack() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("eu-west-2", "OneChange");
    let d = bootstrap_and_deploy(&f).await;
    let (_dir, changed) = f.synth(&Variant {
        config_value: "v2",
        ..V1
    });
    let report = d.deploy(&changed, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(
        report.outcome(&f.name("Network")),
        Some(&StackOutcome::Updated),
        "{report}"
    );
    assert_eq!(
        report.outcome(&f.name("Functions")),
        Some(&StackOutcome::Unchanged),
        "{report}"
    );
    assert_eq!(
        report.outcome(&f.name("App")),
        Some(&StackOutcome::Unchanged),
        "{report}"
    );
    let calls = &report.api_calls;
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 1, "{calls}");
    assert_eq!(calls.get("CloudFormation.ExecuteChangeSet"), 1, "{calls}");
    assert_eq!(calls.get("S3.PutObject"), 1, "only the changed template: {calls}");
}

/// Base <- Broken (a parameter with an invalid type) <- After, and Independent.
fn failing_app(app: &App, prefix: &str, broken: bool) {
    let base = Stack::new(app, &format!("{prefix}Base"), StackProps::default());
    let topic = CfnResource::new(&base, "Topic", "AWS::SNS::Topic");
    let middle = Stack::new(app, &format!("{prefix}Broken"), StackProps::default());
    let uses = CfnResource::new(&middle, "UsesBase", "AWS::SSM::Parameter");
    uses.set("Type", "String");
    uses.set("Value", topic.get_att("TopicName"));
    let bad = CfnResource::new(&middle, "BadParameter", "AWS::SSM::Parameter");
    bad.set("Type", if broken { "NotAType" } else { "String" });
    bad.set("Value", "x");
    let after = Stack::new(app, &format!("{prefix}After"), StackProps::default());
    let p = CfnResource::new(&after, "UsesBroken", "AWS::SSM::Parameter");
    p.set("Type", "String");
    p.set("Value", uses.ref_());
    let independent = Stack::new(app, &format!("{prefix}Independent"), StackProps::default());
    CfnResource::new(&independent, "Topic", "AWS::SNS::Topic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_resource_fails_the_deploy_and_dependents_do_not_start() {
    if harness().is_none() {
        return;
    }
    let region = "eu-central-1";
    let prefix = format!("Failing{}", run_id());
    let name = |s: &str| format!("{prefix}{s}");
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = support::synth(|app| failing_app(app, &prefix, true));
    // Two at a time: Independent runs beside the others and finishes whatever fails.
    let two = DeployOptions {
        concurrency: 2,
        ..all()
    };
    let report = d.deploy(&assembly, &two).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.is_success(), "{report}");
    assert_eq!(report.outcome(&name("Base")), Some(&StackOutcome::Created), "{report}");
    assert_eq!(
        report.outcome(&name("Independent")),
        Some(&StackOutcome::Created),
        "{report}"
    );
    let broken = report.stack(&name("Broken")).expect("Broken report");
    let StackResult::Failed(err) = &broken.result else {
        panic!("Broken should fail: {report}")
    };
    let message = err.to_string();
    assert!(message.contains("BadParameter"), "names the resource: {message}");
    assert!(message.contains("NotAType"), "gives the reason: {message}");
    assert!(message.contains("ROLLBACK_COMPLETE"), "{message}");
    assert!(
        matches!(err, DeployError::StackFailed { resources, .. } if resources.iter().any(|r| r.logical_id == "BadParameter" && r.status == "CREATE_FAILED")),
        "{err:?}"
    );
    let after = report.stack(&name("After")).expect("After report");
    assert!(
        matches!(&after.result, StackResult::NotStarted { blocked_by } if *blocked_by == name("Broken")),
        "{report}"
    );
    let cfn = cloudformation(region).await;
    assert_eq!(status(&cfn, &name("After")).await, None, "After was never created");
    assert_eq!(
        status(&cfn, &name("Broken")).await.as_deref(),
        Some("ROLLBACK_COMPLETE")
    );
    let summary = report.to_string();
    assert!(summary.contains("not started"), "{summary}");

    // Fixed: the rolled-back stack is deleted and created again; the rest follows.
    let (_dir, fixed) = support::synth(|app| failing_app(app, &prefix, false));
    let report = d.deploy(&fixed, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(
        report.outcome(&name("Broken")),
        Some(&StackOutcome::Created),
        "{report}"
    );
    assert_eq!(report.outcome(&name("After")), Some(&StackOutcome::Created), "{report}");
    assert_eq!(
        report.api_calls.get("CloudFormation.DeleteStack"),
        1,
        "{}",
        report.api_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_export_that_is_still_imported_is_refused_before_any_change() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("eu-west-1", "Embrace");
    let d = bootstrap_and_deploy(&f).await;
    let cfn = cloudformation(f.region).await;
    let template_of = |name: String| {
        let cfn = cfn.clone();
        async move {
            cfn.get_template()
                .stack_name(name)
                .send()
                .await
                .ok()
                .and_then(|t| t.template_body().map(str::to_owned))
        }
    };
    let network_before = template_of(f.name("Network")).await;

    // The app stops using the topic: Network would drop the topic-name export that App still imports.
    let (_dir, unused) = f.synth(&Variant {
        app_uses_topic: false,
        ..V1
    });
    let before = d.api_calls();
    let err = d.deploy(&unused, &all()).await.expect_err("refused");
    let DeployError::ExportsInUse(conflicts) = &err else {
        panic!("{err}")
    };
    assert_eq!(conflicts.len(), 1, "{err}");
    assert_eq!(conflicts[0].stack, f.name("Network"));
    assert_eq!(conflicts[0].change, ExportChange::Removed);
    assert_eq!(conflicts[0].importers, [f.name("App")]);
    let message = err.to_string();
    assert!(
        message.contains(&format!("deploy {} --exclusively", f.name("App"))),
        "{message}"
    );
    assert!(message.contains("nothing was changed"), "{message}");
    let calls = d.api_calls().since(&before);
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");
    assert_eq!(calls.get("S3.PutObject"), 0, "{calls}");
    assert_eq!(
        template_of(f.name("Network")).await,
        network_before,
        "Network unchanged"
    );

    // The way out: deploy the importer first, then the exporter.
    let report = d
        .deploy(&unused, &only(&f.name("App")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(report.outcome(&f.name("App")), Some(&StackOutcome::Updated), "{report}");
    let report = d.deploy(&unused, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(
        report.outcome(&f.name("Network")),
        Some(&StackOutcome::Updated),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_a_modified_property() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("ap-southeast-1", "Diff");
    let d = bootstrap_and_deploy(&f).await;
    let (_dir, same) = f.synth(&V1);
    let diffs = d
        .diff(&same, &Selection::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(diffs.len(), 3);
    assert!(diffs.iter().all(|d| d.is_empty()), "{diffs:?}");

    let (_dir, changed) = f.synth(&Variant {
        config_value: "v2",
        ..V1
    });
    let diffs = d
        .diff(&changed, &Selection::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let network = diffs
        .iter()
        .find(|d| d.stack == f.name("Network"))
        .expect("Network diff");
    assert_eq!(network.resources.len(), 1, "{network}");
    let config = &network.resources[0];
    assert_eq!(
        (config.logical_id.as_str(), config.kind),
        ("Config", ChangeKind::Modified)
    );
    assert_eq!(config.changes.len(), 1);
    assert_eq!(config.changes[0].path, "Properties.Value");
    assert_eq!(config.changes[0].old, Some(serde_json::json!("v1")));
    assert_eq!(config.changes[0].new, Some(serde_json::json!("v2")));
    assert!(
        network.to_string().contains("Properties.Value: \"v1\" -> \"v2\""),
        "{network}"
    );
    assert_eq!(
        diffs.iter().filter(|d| !d.is_empty()).count(),
        1,
        "only Network differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_all_removes_everything_in_reverse_order() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("ca-central-1", "Destroy");
    let d = bootstrap_and_deploy(&f).await;
    let (_dir, assembly) = f.synth(&V1);
    let options = DestroyOptions {
        selection: Selection {
            all: true,
            ..Default::default()
        },
        force: true,
        ..Default::default()
    };
    let report = d.destroy(&assembly, &options).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(report.order, [f.name("App"), f.name("Functions"), f.name("Network")]);
    let cfn = cloudformation(f.region).await;
    for s in ["App", "Functions", "Network"] {
        assert_eq!(status(&cfn, &f.name(s)).await, None, "{s} is gone");
    }
    let exports = cfn.list_exports().send().await.expect("ListExports");
    assert!(
        !exports
            .exports()
            .iter()
            .any(|e| e.name().is_some_and(|n| n.starts_with(&f.prefix))),
        "no exports left"
    );
    let again = d.destroy(&assembly, &options).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        again
            .stacks
            .iter()
            .all(|s| matches!(s.result, StackResult::Done(DestroyOutcome::NotDeployed))),
        "{again}"
    );

    // Destroying only an exporter whose export is imported fails, naming the importer.
    let d2 = bootstrap_and_deploy(&f).await;
    let exporter_only = DestroyOptions {
        selection: Selection {
            stacks: vec![f.name("Network")],
            exclusively: true,
            ..Default::default()
        },
        force: true,
        ..Default::default()
    };
    let report = d2
        .destroy(&assembly, &exporter_only)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!report.is_success(), "{report}");
    let StackResult::Failed(err) = &report.stacks[0].result else {
        panic!("{report}")
    };
    let message = err.to_string();
    assert!(message.contains("DELETE_FAILED"), "{message}");
    assert!(
        message.contains(&format!("in use by {}", f.name("Functions")))
            || message.contains(&format!("in use by {}", f.name("App"))),
        "names the importer: {message}"
    );

    // Destroying one stack takes the stacks that depend on it along.
    let one = DestroyOptions {
        selection: Selection {
            stacks: vec![f.name("Functions")],
            ..Default::default()
        },
        force: true,
        ..Default::default()
    };
    let report = d2.destroy(&assembly, &one).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.order, [f.name("App"), f.name("Functions")]);
    assert!(status(&cfn, &f.name("Network")).await.is_some(), "Network stays");
}

/// `count` independent stacks of a few resources each.
fn independent_stacks(app: &App, prefix: &str, count: usize) {
    for i in 0..count {
        let stack = Stack::new(app, &format!("{prefix}S{i}"), StackProps::default());
        for r in 0..5 {
            let p = CfnResource::new(&stack, &format!("Param{r}"), "AWS::SSM::Parameter");
            p.set("Type", "String");
            p.set("Value", format!("value {i}.{r}"));
        }
        CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_deploys_independent_stacks_together() {
    if harness().is_none() {
        return;
    }
    let region = "us-west-1";
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let mut times = Vec::new();
    for concurrency in [1, 4] {
        let prefix = format!("Conc{concurrency}x{}", run_id());
        let (_dir, assembly) = support::synth(|app| independent_stacks(app, &prefix, 4));
        let start = Instant::now();
        let report = d
            .deploy(
                &assembly,
                &DeployOptions {
                    concurrency,
                    quiet: true,
                    ..all()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        times.push(start.elapsed());
        assert!(report.is_success(), "{report}");
        assert!(report
            .stacks
            .iter()
            .all(|s| matches!(&s.result, StackResult::Done(d) if d.outcome == StackOutcome::Created)));
    }
    eprintln!(
        "measure: 4 independent stacks: --concurrency 1 {:?}, --concurrency 4 {:?}",
        times[0], times[1]
    );
}

#[test]
fn the_cli_parses_the_deploy_commands() {
    use constructs::cli::{Cli, Command};
    use constructs::deploy::cli::DeployCommand;
    let cli = Cli::try_parse_from([
        "app",
        "deploy",
        "A",
        "B",
        "--concurrency",
        "4",
        "--parameters",
        "A:Size=3",
        "--require-approval",
        "never",
        "--exclusively",
        "--allow-replacement",
        "Db",
        "--allow-replacement",
        "all",
        "--region",
        "eu-west-1",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let Command::Deploy(DeployCommand::Deploy(args)) = cli.command else {
        panic!("not deploy: {:?}", cli.command)
    };
    assert_eq!(args.stacks, ["A", "B"]);
    assert_eq!(args.concurrency, 4);
    assert_eq!(args.parameters[0].stack.as_deref(), Some("A"));
    assert_eq!(args.require_approval, RequireApproval::Never);
    assert!(args.exclusively);
    assert_eq!(args.allow_replacement, ["Db", "all"]);
    assert_eq!(args.aws.region.as_deref(), Some("eu-west-1"));
    for argv in [
        vec!["app", "diff", "--fail"],
        vec!["app", "destroy", "--all", "--force"],
        vec!["app", "bootstrap", "--profile", "p"],
    ] {
        assert!(Cli::try_parse_from(&argv).is_ok(), "{argv:?}");
    }
    assert!(Cli::try_parse_from(["app", "deploy", "--parameters", "nope"]).is_err());
    assert!(Cli::try_parse_from(["app", "deploy", "--require-approval", "sometimes"]).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_passed_compared_and_kept() {
    use constructs::core::{CfnParameter, CfnParameterProps};
    use constructs::deploy::ParameterValue;
    if harness().is_none() {
        return;
    }
    let region = "eu-north-1";
    let stack_name = format!("Params{}", run_id());
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = support::synth(|app| {
        let stack = Stack::new(app, &stack_name, StackProps::default());
        let size = CfnParameter::new(&stack, "Size", CfnParameterProps::default());
        let p = CfnResource::new(&stack, "SizeParameter", "AWS::SSM::Parameter");
        p.set("Type", "String");
        p.set("Value", size.value());
    });
    let with = |value: Option<&str>| DeployOptions {
        parameters: value
            .map(|v| {
                vec![ParameterValue {
                    stack: Some(stack_name.clone()),
                    key: "Size".into(),
                    value: v.into(),
                }]
            })
            .unwrap_or_default(),
        ..only(&stack_name)
    };
    let outcome = |r: &constructs::deploy::DeployReport| r.outcome(&stack_name).cloned();
    let r = d
        .deploy(&assembly, &with(Some("small")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome(&r), Some(StackOutcome::Created), "{r}");
    let r = d
        .deploy(&assembly, &with(Some("small")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome(&r), Some(StackOutcome::Unchanged), "same value: {r}");
    let r = d.deploy(&assembly, &with(None)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome(&r),
        Some(StackOutcome::Unchanged),
        "no value keeps the previous one: {r}"
    );
    let r = d
        .deploy(&assembly, &with(Some("large")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome(&r), Some(StackOutcome::Updated), "{r}");
    let forced = DeployOptions {
        force: true,
        ..with(None)
    };
    let r = d.deploy(&assembly, &forced).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome(&r),
        Some(StackOutcome::NoChanges),
        "the previous value is reused: {r}"
    );
    let cfn = cloudformation(region).await;
    let out = cfn
        .describe_stacks()
        .stack_name(&stack_name)
        .send()
        .await
        .expect("DescribeStacks");
    let value = out.stacks()[0]
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("Size"))
        .and_then(|p| p.parameter_value());
    assert_eq!(value, Some("large"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_over_the_body_limit_deploys_from_its_uploaded_asset() {
    if harness().is_none() {
        return;
    }
    let region = "ap-south-1";
    let stack_name = format!("Large{}", run_id());
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = support::synth(|app| {
        let stack = Stack::new(app, &stack_name, StackProps::default());
        for i in 0..200 {
            let p = CfnResource::new(&stack, &format!("Parameter{i}"), "AWS::SSM::Parameter");
            p.set("Type", "String");
            p.set("Value", format!("{i:04} {}", "x".repeat(300)));
        }
    });
    let size = std::fs::metadata(assembly.directory.join(format!("{stack_name}.template.json")))
        .expect("template file")
        .len();
    assert!(size > 51_200, "{size} bytes");
    let r = d
        .deploy(&assembly, &only(&stack_name))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.outcome(&stack_name), Some(&StackOutcome::Created), "{r}");
    assert_eq!(r.api_calls.get("S3.PutObject"), 1, "the template: {}", r.api_calls);
    let r = d
        .deploy(&assembly, &only(&stack_name))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.outcome(&stack_name), Some(&StackOutcome::Unchanged), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_app_deploys_and_its_functions_state_machines_rules_and_exports_exist() {
    if harness().is_none() {
        return;
    }
    // The seed's stack names are fixed: its own region keeps it apart. Lambda bundling is
    // skipped (support::app_context); moto creates the functions without reading their code.
    let region = "ap-southeast-2";
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = support::synth(app::build);
    let start = Instant::now();
    let first = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    let first_time = start.elapsed();
    assert!(first.is_success(), "{first}");
    let start = Instant::now();
    let second = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    let second_time = start.elapsed();
    // WebAppStack reads its AMI from a public SSM parameter, whose value may change behind the same
    // path: like the CDK, the redeploy asks CloudFormation (a change set) and finds no changes. The
    // other stacks are skipped without a change set.
    for s in &second.stacks {
        let wanted = if s.stack == "WebAppStack" {
            StackOutcome::NoChanges
        } else {
            StackOutcome::Unchanged
        };
        assert!(
            matches!(&s.result, StackResult::Done(d) if d.outcome == wanted),
            "{}: {wanted:?} wanted\n{second}",
            s.stack
        );
    }
    assert_eq!(
        second.api_calls.get("CloudFormation.CreateChangeSet"),
        1,
        "{}",
        second.api_calls
    );
    assert_eq!(
        second.api_calls.get("CloudFormation.ExecuteChangeSet"),
        0,
        "{}",
        second.api_calls
    );
    assert_eq!(second.api_calls.get("S3.PutObject"), 0, "{}", second.api_calls);
    eprintln!(
        "measure: seed app ({} stacks) deploy --all {:?} with {} API calls ({}); no-op redeploy {:?} with {} API calls",
        first.stacks.len(),
        first_time,
        first.api_calls.total(),
        first.api_calls,
        second_time,
        second.api_calls.total()
    );

    let cfn = cloudformation(region).await;
    let mut types: Vec<String> = Vec::new();
    for s in &first.stacks {
        let resources = cfn
            .describe_stack_resources()
            .stack_name(&s.stack_name)
            .send()
            .await
            .expect("DescribeStackResources");
        for r in resources.stack_resources() {
            assert!(
                r.physical_resource_id().is_some_and(|p| !p.is_empty()),
                "{}: {:?} has a physical id",
                s.stack,
                r.logical_resource_id()
            );
            types.push(r.resource_type().unwrap_or_default().to_owned());
        }
    }
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(count("AWS::Lambda::Function"), 14, "{types:?}");
    assert_eq!(count("AWS::StepFunctions::StateMachine"), 2, "{types:?}");
    assert!(count("AWS::Events::Rule") >= 2, "{types:?}");
    let exports = cfn.list_exports().send().await.expect("ListExports");
    let from_functions = exports
        .exports()
        .iter()
        .filter(|e| e.name().is_some_and(|n| n.starts_with("LambdaFunctionsStack:")))
        .count();
    assert!(from_functions >= 14, "{from_functions} exports of LambdaFunctionsStack");

    let destroyed = d
        .destroy(&assembly, &support::destroy_all())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(destroyed.is_success(), "{destroyed}");
    // The state machine stacks import the functions' ARNs: they go before LambdaFunctionsStack.
    let position = |stack: &str| destroyed.order.iter().position(|s| s == stack);
    for importer in ["WebAppStartStateMachineStack", "WebAppStopStateMachineStack"] {
        assert!(
            position(importer) < position("LambdaFunctionsStack") && position(importer).is_some(),
            "{importer} destroyed before LambdaFunctionsStack: {:?}",
            destroyed.order
        );
    }
    assert_eq!(destroyed.order.len(), 4, "{:?}", destroyed.order);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardened_seed_app_deploys_with_https_its_keys_dead_letter_queue_and_log_bucket() {
    // As the seed app test above, in a region of its own, with the Hardened aspect and HTTPS.
    let region = "us-west-2";
    let Some(endpoint) = harness() else {
        return;
    };
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    // The listener's certificate must exist (the harness checks, as ELB does).
    let certificate = support::harness_post(
        &endpoint,
        "/",
        region,
        "acm",
        Some("CertificateManager.RequestCertificate"),
        &serde_json::json!({"DomainName": "shop.example.com", "ValidationMethod": "DNS"}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut context = crate::security::hardened_context();
    context.retain(|(key, _)| *key != app::web_app_stack::CERTIFICATE_ARN_CONTEXT);
    context.push((
        app::web_app_stack::CERTIFICATE_ARN_CONTEXT,
        certificate["CertificateArn"].clone(),
    ));
    let (_dir, assembly) = support::synth_with(&context, app::build);
    let deployed = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(deployed.is_success(), "{deployed}");
    // LambdaFunctionsStack runs its functions in WebAppStack's subnets: it goes after it.
    let position = |stack: &str| deployed.stacks.iter().position(|s| s.stack == stack);
    assert!(
        position("WebAppStack") < position("LambdaFunctionsStack"),
        "{:?}",
        deployed.stacks.iter().map(|s| &s.stack).collect::<Vec<_>>()
    );

    let cfn = cloudformation(region).await;
    let mut types: Vec<String> = Vec::new();
    for s in &deployed.stacks {
        let resources = cfn
            .describe_stack_resources()
            .stack_name(&s.stack_name)
            .send()
            .await
            .expect("DescribeStackResources");
        for r in resources.stack_resources() {
            assert!(
                r.physical_resource_id().is_some_and(|p| !p.is_empty()),
                "{}: {:?} has a physical id",
                s.stack,
                r.logical_resource_id()
            );
            types.push(r.resource_type().unwrap_or_default().to_owned());
        }
    }
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(count("AWS::KMS::Key"), 4, "one key per stack: {types:?}");
    assert_eq!(count("AWS::SQS::Queue"), 1, "{types:?}");
    assert_eq!(count("AWS::Lambda::Function"), 14, "{types:?}");
    assert_eq!(count("AWS::ElasticLoadBalancingV2::Listener"), 2, "{types:?}");
    assert_eq!(count("AWS::S3::Bucket"), 2, "{types:?}");

    let destroyed = d
        .destroy(&assembly, &support::destroy_all())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(destroyed.is_success(), "{destroyed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploying_to_an_environment_without_bootstrap_is_refused_before_any_change() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("eu-west-3", "NoBootstrap");
    let d = deployer(f.region).await;
    let (_dir, assembly) = f.synth(&V1);
    let err = d.deploy(&assembly, &all()).await.expect_err("not bootstrapped");
    assert!(matches!(err, DeployError::NotBootstrapped { .. }), "{err}");
    let text = err.to_string();
    for needed in [
        "the environment aws://123456789012/eu-west-3",
        "no CDKToolkit stack",
        "needs bootstrap version 6 or later",
        "run `bootstrap --region eu-west-3`",
    ] {
        assert!(text.contains(needed), "{needed:?} missing in: {text}");
    }
    let calls = d.api_calls();
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");
    assert_eq!(calls.get("S3.PutObject"), 0, "{calls}");
}

/// A stack requiring a newer bootstrap than its environment has (its manifest's
/// `requiresBootstrapStackVersion`) is refused before any upload, each stack checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_older_than_a_stack_requires_is_refused_before_any_upload() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("eu-south-1", "OldBootstrap");
    let d = deployer(f.region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (dir, assembly) = f.synth(&V1);
    // The last stack in dependency order wants version 99; the others are content with 6.
    let manifest_path = assembly.directory.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("manifest")).expect("JSON");
    let last = assembly.synthesis.stacks.last().expect("a stack").artifact_id.clone();
    manifest["artifacts"][&last]["properties"]["requiresBootstrapStackVersion"] = serde_json::json!(99);
    std::fs::write(&manifest_path, manifest.to_string()).expect("write manifest");
    let read = constructs::core::CloudAssembly::read(&assembly.directory).unwrap_or_else(|e| panic!("{e}"));
    let before = d.api_calls();
    let err = d.deploy(&read, &all()).await.expect_err("too old a bootstrap");
    let text = err.to_string();
    for needed in [
        format!("{last}: the environment aws://123456789012/eu-south-1"),
        "the SSM parameter /cdk-bootstrap/hnb659fds/version says version 8".to_owned(),
        "needs bootstrap version 99 or later".to_owned(),
        "run `bootstrap --region eu-south-1`".to_owned(),
    ] {
        assert!(text.contains(&needed), "{needed:?} missing in: {text}");
    }
    let calls = d.api_calls().since(&before);
    assert_eq!(calls.get("S3.PutObject"), 0, "nothing uploaded: {calls}");
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");
    drop(dir);
}

/// Sets an SSM parameter of the harness (SSM PutParameter; the suite builds no SSM client).
fn put_ssm_parameter(endpoint: &str, region: &str, name: &str, value: &str) {
    let body = serde_json::json!({"Name": name, "Value": value, "Type": "String", "Overwrite": true});
    support::harness_post(endpoint, "/", region, "ssm", Some("AmazonSSM.PutParameter"), &body)
        .unwrap_or_else(|e| panic!("PutParameter {name}={value} in {region}: {e}"));
}

/// The bootstrap version is the SSM parameter's (`/cdk-bootstrap/QUALIFIER/version`),
/// as the CDK CLI reads it, not the bootstrap stack's output: a parameter saying
/// an older version than the stacks need is refused before any upload; a parameter that
/// cannot be read leaves the decision to the stack's output, with a warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_whose_version_parameter_is_older_is_refused_before_any_upload() {
    let Some(endpoint) = harness() else {
        return;
    };
    let f = Fixture::new("me-south-1", "VersionParameter");
    let d = deployer(f.region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let parameter = "/cdk-bootstrap/hnb659fds/version";
    // The stack's output still says 8 (moto keeps it); the parameter says 5.
    put_ssm_parameter(&endpoint, f.region, parameter, "5");
    let (_dir, assembly) = f.synth(&V1);
    let before = d.api_calls();
    let result = d.deploy(&assembly, &all()).await;
    put_ssm_parameter(&endpoint, f.region, parameter, "8");
    let err = result.expect_err("the parameter's version is too old");
    assert!(matches!(err, DeployError::NotBootstrapped { .. }), "{err}");
    let text = err.to_string();
    for needed in [
        "the environment aws://123456789012/me-south-1",
        "the SSM parameter /cdk-bootstrap/hnb659fds/version says version 5",
        "needs bootstrap version 6 or later",
        "run `bootstrap --region me-south-1`",
    ] {
        assert!(text.contains(needed), "{needed:?} missing in: {text}");
    }
    let calls = d.api_calls().since(&before);
    assert!(calls.get("SSM.GetParameter") >= 1, "{calls}");
    assert_eq!(calls.get("S3.PutObject"), 0, "nothing uploaded: {calls}");
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");

    // A parameter that cannot be read (the manifest names another): the bootstrap stack's output
    // (8) decides, with a warning, and the stacks deploy.
    let manifest_path = assembly.directory.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).expect("manifest");
    assert!(text.contains(parameter), "the manifest names the parameter");
    std::fs::write(
        &manifest_path,
        text.replace(parameter, "/cdk-bootstrap/hnb659fds/missing"),
    )
    .expect("write");
    let read = constructs::core::CloudAssembly::read(&assembly.directory).unwrap_or_else(|e| panic!("{e}"));
    let report = d
        .deploy(&read, &all())
        .await
        .unwrap_or_else(|e| panic!("the output's version 8 is used: {e}"));
    assert!(report.is_success(), "{report}");
}

/// One stack with an Aurora cluster (removal policy Snapshot, as the CDK's default) and a topic.
fn database_app(app: &App, stack_name: &str, database_name: &str) {
    let stack = Stack::new(app, stack_name, StackProps::default());
    let db = CfnResource::new(&stack, "Db", "AWS::RDS::DBCluster");
    db.set("Engine", "aurora-mysql");
    db.set("MasterUsername", "admin");
    db.set("MasterUserPassword", "not-a-real-secret");
    db.set("DatabaseName", database_name);
    db.apply_removal_policy(RemovalPolicy::Snapshot);
    let topic = CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    topic.set("DisplayName", database_name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_database_cluster_is_refused_before_any_change_unless_allowed() {
    if harness().is_none() {
        return;
    }
    let region = "eu-south-2";
    let stack = format!("Replace{}Data", run_id());
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let (_dir, v1) = support::synth(|app| database_app(app, &stack, "orders"));
    let first = d.deploy(&v1, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(first.is_success(), "{first}");

    let (_dir, v2) = support::synth(|app| database_app(app, &stack, "orders2"));
    // diff (no change set): the create-only table marks it
    let diffs = d
        .diff(&v2, &Selection::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let db = diffs[0]
        .resources
        .iter()
        .find(|r| r.logical_id == "Db")
        .expect("Db changed");
    assert_eq!(db.replacement(), Replacement::Requires, "{}", diffs[0]);
    assert!(
        diffs[0]
            .to_string()
            .contains("[~] AWS::RDS::DBCluster Db (requires replacement)"),
        "{}",
        diffs[0]
    );

    let before = d.api_calls();
    let err = d.deploy(&v2, &all()).await.expect_err("the replacement is refused");
    let calls = d.api_calls().since(&before);
    let DeployError::ReplacementRefused {
        stack: refused_stack,
        refused,
    } = &err
    else {
        panic!("not a refusal: {err}");
    };
    assert_eq!(refused_stack, &stack);
    assert_eq!(refused.len(), 1, "{err}");
    assert_eq!(refused[0].change.logical_id, "Db");
    assert_eq!(
        refused[0].change.destruction,
        Destruction::Replaced(Replacement::Requires)
    );
    assert_eq!(refused[0].change.properties, ["DatabaseName"]);
    let message = err.to_string();
    for needed in [
        stack.as_str(),
        "Db",
        "DatabaseName",
        "--allow-replacement Db",
        "Snapshot",
    ] {
        assert!(message.contains(needed), "{needed:?} missing in: {message}");
    }
    assert_eq!(calls.get("CloudFormation.ExecuteChangeSet"), 0, "{calls}");
    assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 1, "{calls}");
    assert_eq!(calls.get("CloudFormation.DeleteChangeSet"), 1, "{calls}");
    let cfn = cloudformation(region).await;
    assert_eq!(status(&cfn, &stack).await.as_deref(), Some("CREATE_COMPLETE"));
    let deployed = cfn
        .get_template()
        .stack_name(&stack)
        .send()
        .await
        .expect("GetTemplate")
        .template_body()
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        deployed.contains("\"orders\"") && !deployed.contains("orders2"),
        "the stack still has its first template: {deployed}"
    );

    let allowed = DeployOptions {
        allow_replacement: AllowReplacement(vec!["Db".to_owned()]),
        ..all()
    };
    let report = d.deploy(&v2, &allowed).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.outcome(&stack), Some(&StackOutcome::Updated), "{report}");
}

/// Set in the child process of the no-credentials test.
const NO_CREDENTIALS_CHILD: &str = "CONSTRUCTS_TEST_NO_CREDENTIALS_CHILD";

#[test]
fn without_credentials_deploy_fails_in_one_line_before_anything() {
    use constructs::cli::{run_with, Cli};
    use std::process::ExitCode;
    if std::env::var_os(NO_CREDENTIALS_CHILD).is_some() {
        // The child: the CLI in-process, in an environment without credentials.
        let cli = Cli::try_parse_from(["app", "deploy", "--all", "--region", "eu-west-1"]).expect("arguments");
        let code = run_with(cli, &|app: &App| {
            CfnResource::new(
                &Stack::new(app, "NoCredentials", StackProps::default()),
                "T",
                "AWS::SNS::Topic",
            );
        });
        std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe);
    child
        .args([
            "--exact",
            "deploy::without_credentials_deploy_fails_in_one_line_before_anything",
            "--nocapture",
        ])
        .current_dir(dir.path())
        .env(NO_CREDENTIALS_CHILD, "1")
        .env("AWS_CONFIG_FILE", &missing)
        .env("AWS_SHARED_CREDENTIALS_FILE", &missing)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        child.env_remove(var);
    }
    let out = child.output().expect("run the child");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    for needed in [
        "no AWS credentials found",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "aws sso login",
        "tried:",
    ] {
        assert!(errors[0].contains(needed), "{needed:?} missing in: {}", errors[0]);
    }
    for dump in ["DispatchFailure", "FailedToLoadToken", "ConnectorError", "{ "] {
        assert!(!stderr.contains(dump), "no SDK debug output ({dump:?}): {stderr}");
    }
    assert!(!dir.path().join("cdk.out").exists(), "nothing synthesized or uploaded");
}

/// Set in the child process of the two-process test: the assembly directory, then the region.
const PRESYNTHESIZED_CHILD: &str = "CONSTRUCTS_TEST_PRESYNTHESIZED_CHILD";

/// The second process of [`synth_then_deploy_app_dir_from_a_second_process_builds_nothing`]:
/// does nothing unless that test runs it. The CLI on the assembly directory; building the app panics.
#[test]
fn presynthesized_child() {
    use constructs::cli::{run_with, Cli};
    use std::process::ExitCode;
    let Ok(spec) = std::env::var(PRESYNTHESIZED_CHILD) else {
        return;
    };
    let (dir, region) = spec.split_once('|').expect("DIR|REGION");
    let mut code = 0;
    for command in ["list", "deploy", "diff"] {
        let mut argv = vec!["app", command, "--app", dir];
        if command != "list" {
            argv.extend(["--region", region]);
        }
        match command {
            "deploy" => argv.extend(["--all", "--require-approval", "never"]),
            "diff" => argv.push("--fail"),
            _ => {}
        }
        let cli = Cli::try_parse_from(argv).expect("arguments");
        let result = run_with(cli, &|_: &App| panic!("--app must not build the app"));
        if result != ExitCode::SUCCESS {
            eprintln!("child: {command} failed");
            code = 1;
        }
    }
    std::process::exit(code);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synth_then_deploy_app_dir_from_a_second_process_builds_nothing() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("me-central-1", "Presynth");
    deployer(f.region)
        .await
        .bootstrap(true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_dir, assembly) = f.synth(&V1);
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "deploy::presynthesized_child", "--nocapture"])
        .env(
            PRESYNTHESIZED_CHILD,
            format!("{}|{}", assembly.directory.display(), f.region),
        )
        .env("CONSTRUCTS_POLL_MS", "50")
        .output()
        .expect("run the child");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // list: the stacks in dependency order, from the manifest
    let network = stdout.find(&f.name("Network")).expect("Network listed");
    let app_line = stdout
        .find(&format!("{} (depends on", f.name("App")))
        .expect("App listed with its dependencies");
    assert!(network < app_line, "{stdout}");
    assert!(
        stdout.contains("Number of stacks with differences: 0"),
        "diff after deploy: {stdout}"
    );
    let cfn = cloudformation(f.region).await;
    for stack in ["Network", "Functions", "App"] {
        assert_eq!(
            status(&cfn, &f.name(stack)).await.as_deref(),
            Some("CREATE_COMPLETE"),
            "{stack}: {stderr}"
        );
    }
}

/// The AWS CDK's own assembly of the seed app (`tests/it/fixtures/cdk-seed001`, schema 55).
fn cdk_fixture() -> std::path::PathBuf {
    support::workspace().join("tests/it/fixtures/cdk-seed001")
}

/// A copy of the AWS CDK's assembly of the seed with WebAppStack's environment
/// (manifest, asset destinations) in `region`, and a stand-in for each Lambda
/// bundle: the fixture has no `asset.*` directories (Node.js bundles), and any
/// content will do on the harness.
fn cdk_fixture_copy(region: &str) -> tempfile::TempDir {
    let read = constructs::core::CloudAssembly::read(&cdk_fixture()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(cdk_fixture()).expect("fixture") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        let mut text = std::fs::read_to_string(&path).expect("read");
        if name == "manifest.json" || name.ends_with(".assets.json") {
            text = text.replace("ap-northeast-1", region);
        }
        std::fs::write(dir.path().join(&name), text).expect("copy");
    }
    for s in &read.synthesis.stacks {
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(format!("{}.assets.json", s.artifact_id))).expect("assets"),
        )
        .expect("JSON");
        for file in manifest["files"].as_object().into_iter().flat_map(|f| f.values()) {
            let source = dir.path().join(file["source"]["path"].as_str().expect("path"));
            if file["source"]["packaging"] == "zip" && !source.exists() {
                std::fs::create_dir_all(&source).expect("asset dir");
                std::fs::write(source.join("index.js"), "exports.handler = async () => ({});").expect("handler");
            }
        }
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cdks_assembly_of_the_seed_is_read_and_deploys_with_app_dir() {
    let read = constructs::core::CloudAssembly::read(&cdk_fixture()).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = read.synthesis.stacks.iter().map(|s| s.artifact_id.as_str()).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    let position = |id: &str| ids.iter().position(|i| *i == id).unwrap_or(usize::MAX);
    for machine in ["WebAppStartStateMachineStack", "WebAppStopStateMachineStack"] {
        assert!(position("LambdaFunctionsStack") < position(machine), "{ids:?}");
        let stack = read.stack(machine).expect("machine stack");
        assert!(
            stack.dependencies.iter().all(|d| ids.contains(&d.as_str())),
            "{:?}",
            stack.dependencies
        );
    }
    let web = read.stack("WebAppStack").expect("WebAppStack");
    assert_eq!(web.environment.account.as_deref(), Some("123456789012"));
    assert_eq!(web.environment.region.as_deref(), Some("ap-northeast-1"));
    assert!(web.template["Resources"].as_object().is_some_and(|r| r.len() > 40));

    if harness().is_none() {
        return;
    }
    // WebAppStack's environment (manifest, asset destinations) moves to a region of this test's own.
    let region = "ap-southeast-4";
    let dir = cdk_fixture_copy(region);
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let assembly = constructs::core::CloudAssembly::read(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let report = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    // On a harness that still has them from an earlier run, the stacks are unchanged.
    if report
        .stacks
        .iter()
        .any(|s| report.outcome(&s.stack) == Some(&StackOutcome::Created))
    {
        assert!(
            report.assets_uploaded + report.assets_existing >= 18,
            "the 14 Lambda bundles and 4 templates: {report}"
        );
    }
}

/// Runs the official CDK CLI against the harness; `None` when it is not installed.
fn official_cdk(args: &[&str], dir: &Path, region: &str) -> Option<std::process::Output> {
    let cdk = support::tool("cdk")?;
    Some(
        std::process::Command::new(cdk)
            .args(args)
            .current_dir(dir)
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region)
            // The CLI builds each change set's TemplateURL from this S3 endpoint; the harness's
            // CloudFormation reads only AWS-style S3 URLs (tests/harness/README.md).
            .env(
                "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION",
                format!("https://s3.{region}.amazonaws.com"),
            )
            .env("CDK_DISABLE_VERSION_CHECK", "true")
            .env("CDK_DISABLE_CLI_TELEMETRY", "true")
            .env("CI", "true")
            .output()
            .expect("cdk runs"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_cli_deploys_our_assembly_into_our_bootstrap_assuming_its_roles() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("il-central-1", "OfficialCli");
    deployer(f.region)
        .await
        .bootstrap(true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (dir, assembly) = f.synth(&V1);
    let Some(out) = official_cdk(
        &[
            "deploy",
            "--app",
            &assembly.directory.to_string_lossy(),
            "--all",
            "--require-approval",
            "never",
        ],
        dir.path(),
        f.region,
    ) else {
        assert!(!support::tools_required(), "the aws-cdk CLI is required (npm ci)");
        return;
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // With the harness's strict AssumeRole, a missing role would have been reported and fallen back.
    assert!(!stderr.contains("Could not assume"), "{stderr}");
    let cfn = cloudformation(f.region).await;
    for stack in ["Network", "Functions", "App"] {
        assert_eq!(
            status(&cfn, &f.name(stack)).await.as_deref(),
            Some("CREATE_COMPLETE"),
            "{stack}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdk_bootstrap_upgrades_ours_in_place_and_our_deploy_uses_its_roles() {
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("ca-west-1", "CdkBootstrapped");
    let d = deployer(f.region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(out) = official_cdk(
        &["bootstrap", &format!("aws://123456789012/{}", f.region)],
        dir.path(),
        f.region,
    ) else {
        assert!(!support::tools_required(), "the aws-cdk CLI is required (npm ci)");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let cfn = cloudformation(f.region).await;
    let toolkit = cfn
        .describe_stacks()
        .stack_name("CDKToolkit")
        .send()
        .await
        .expect("DescribeStacks");
    let toolkit = toolkit.stacks().first().expect("CDKToolkit");
    assert_eq!(
        toolkit.stack_status().map(|s| s.as_str()),
        Some("UPDATE_COMPLETE"),
        "updated in place: {stderr}"
    );
    let version: u32 = toolkit
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("BootstrapVersion"))
        .and_then(|o| o.output_value())
        .and_then(|v| v.parse().ok())
        .expect("BootstrapVersion");
    assert!(version > 8, "the CDK's version is newer than ours: {version}");
    // Ours now leaves it alone, and deploys through its roles.
    let again = d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(again.outcome, BootstrapOutcome::LeftAsIs { .. }), "{again:?}");
    let (_dir, assembly) = f.synth(&V1);
    // The CDK's bucket policy denies requests without TLS, and the harness speaks plain HTTP: the
    // asset bucket answers 403, which must come out as one line before anything changed. (A harness
    // still running from an earlier run has the policy removed already.)
    let bucket = format!("cdk-hnb659fds-assets-123456789012-{}", f.region);
    let s3 = s3(f.region).await;
    if s3.get_bucket_policy().bucket(&bucket).send().await.is_ok() {
        let before = d.api_calls();
        let err = d
            .deploy(&assembly, &all())
            .await
            .expect_err("403 from the asset bucket");
        let calls = d.api_calls().since(&before);
        let message = err.to_string();
        assert!(matches!(err, DeployError::AccessDenied { .. }), "{message}");
        assert!(
            !message.contains('\n') && message.contains("access denied: S3.") && message.contains(&bucket),
            "{message}"
        );
        assert!(!message.contains("Error {"), "no SDK debug output: {message}");
        assert_eq!(calls.get("CloudFormation.CreateChangeSet"), 0, "{calls}");
        s3.delete_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .expect("DeleteBucketPolicy");
    }
    let report = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    assert_eq!(
        stack_role_arn(&cfn, &f.name("Network")).await,
        Some(format!(
            "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-{}",
            f.region
        )),
        "the CDK bootstrap's execution role, passed by our deploy"
    );
}

/// The second account of the cross-account test, and the harness's default (the caller's).
const TARGET_ACCOUNT: &str = "210987654321";
const TOOLS_ACCOUNT: &str = "123456789012";

/// Credentials of `TARGET_ACCOUNT` on the harness: a role made there (moto's `x-moto-account-id`
/// header), then assumed. `None` without the harness's venv.
fn target_account_credentials(endpoint: &str, region: &str) -> Option<(String, String, String)> {
    let python = support::workspace().join(".venv-moto/bin/python");
    if !python.exists() {
        return None;
    }
    let script = format!(
        r#"
import boto3, json
def header(request, **kw): request.headers["x-moto-account-id"] = "{TARGET_ACCOUNT}"
iam = boto3.client("iam", endpoint_url="{endpoint}", region_name="{region}",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.meta.events.register("before-sign.iam.*", header)
try:
    iam.create_role(RoleName="harness-admin", AssumeRolePolicyDocument="{{}}")
except iam.exceptions.EntityAlreadyExistsException:
    pass
sts = boto3.client("sts", endpoint_url="{endpoint}", region_name="{region}",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
c = sts.assume_role(RoleArn="arn:aws:iam::{TARGET_ACCOUNT}:role/harness-admin", RoleSessionName="harness")["Credentials"]
print(json.dumps([c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]]))
"#
    );
    let out = std::process::Command::new(python)
        .args(["-c", &script])
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let [key, secret, token]: [String; 3] = serde_json::from_slice(&out.stdout).expect("credentials");
    Some((key, secret, token))
}

/// The bootstrap of `TARGET_ACCOUNT` by [`a_tools_account_deploys_into_a_second_account_through_its_deploy_role`]:
/// does nothing unless that test runs it (with the target account's credentials).
#[test]
fn cross_account_bootstrap_child() {
    use constructs::cli::{run_with, Cli};
    use std::process::ExitCode;
    let Ok(region) = std::env::var("CONSTRUCTS_TEST_CROSS_ACCOUNT_CHILD") else {
        return;
    };
    let cli = Cli::try_parse_from([
        "app",
        "bootstrap",
        "--region",
        &region,
        "--trust",
        TOOLS_ACCOUNT,
        "--cloudformation-execution-policies",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ])
    .expect("arguments");
    let code = run_with(cli, &|_: &App| {});
    std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tools_account_deploys_into_a_second_account_through_its_deploy_role() {
    let Some(endpoint) = harness() else {
        return;
    };
    let region = "ap-south-2";
    let Some((key, secret, token)) = target_account_credentials(&endpoint, region) else {
        return;
    };
    // The target account bootstraps itself, trusting the tools account.
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "deploy::cross_account_bootstrap_child", "--nocapture"])
        .env("CONSTRUCTS_TEST_CROSS_ACCOUNT_CHILD", region)
        .env("AWS_ACCESS_KEY_ID", &key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_SESSION_TOKEN", &token)
        .output()
        .expect("run the child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The tools account (the harness's default credentials) deploys a stack pinned to the target.
    let prefix = format!("CrossAccount{}", run_id());
    let (_dir, assembly) = support::synth(|app| {
        let stack = Stack::new(
            app,
            &format!("{prefix}Target"),
            StackProps {
                env: constructs::core::Environment {
                    account: Some(TARGET_ACCOUNT.to_owned()),
                    region: Some(region.to_owned()),
                },
                ..Default::default()
            },
        );
        let p = CfnResource::new(&stack, "Marker", "AWS::SSM::Parameter");
        p.set("Type", "String");
        p.set("Value", "deployed from the tools account");
    });
    let d = deployer(region).await;
    let report = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}");
    let stack_name = format!("{prefix}Target");
    // The stack is in the target account, not in the tools account.
    let tools = cloudformation(region).await;
    assert_eq!(status(&tools, &stack_name).await, None, "not in the tools account");
    let config = constructs::deploy::config_loader()
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
            key,
            secret,
            Some(token),
            None,
            "target",
        ))
        .load()
        .await;
    let target = aws_sdk_cloudformation::Client::new(&config);
    assert_eq!(status(&target, &stack_name).await.as_deref(), Some("CREATE_COMPLETE"));
}

/// Set in the child process of the migration test: the CLI's arguments, separated by `\u{1f}`.
const MIGRATION_CHILD: &str = "CONSTRUCTS_TEST_MIGRATION_CHILD";

/// The seed app's CLI in the child process of
/// [`a_cdk_deployment_of_the_seed_is_updated_by_ours_without_replacing_anything`]
/// (its working directory holds the context files); does nothing otherwise.
#[test]
fn migration_child() {
    use constructs::cli::{run_with, Cli};
    use std::process::ExitCode;
    let Ok(spec) = std::env::var(MIGRATION_CHILD) else {
        return;
    };
    let argv: Vec<&str> = std::iter::once("app").chain(spec.split('\u{1f}')).collect();
    let cli = Cli::try_parse_from(argv).expect("arguments");
    let code = run_with(cli, &app::build);
    std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
}

/// Runs the seed app's CLI in `dir` (a second process, for its working directory).
fn seed_cli(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "deploy::migration_child", "--nocapture"])
        .current_dir(dir)
        .env(MIGRATION_CHILD, args.join("\u{1f}"))
        .env("CONSTRUCTS_POLL_MS", "50")
        .output()
        .expect("run the child");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Physical id of every resource of the stacks, by `stack/logical id`.
async fn physical_ids(
    cfn: &aws_sdk_cloudformation::Client,
    stacks: &[&str],
) -> std::collections::BTreeMap<String, String> {
    let mut ids = std::collections::BTreeMap::new();
    for stack in stacks {
        let out = cfn
            .describe_stack_resources()
            .stack_name(*stack)
            .send()
            .await
            .expect("DescribeStackResources");
        for r in out.stack_resources() {
            ids.insert(
                format!("{stack}/{}", r.logical_resource_id().unwrap_or_default()),
                r.physical_resource_id().unwrap_or_default().to_owned(),
            );
        }
    }
    ids
}

/// The migration path of a team that deployed the seed with the AWS CDK: the CDK's own
/// templates are deployed first (its fixture assembly, WebAppStack pinned to
/// 123456789012/ap-northeast-1, the harness's account), then our seed app with the same
/// context. Unpinned, our VPC's subnets would move (`Fn::GetAZs` against the CDK's literal
/// AZs) and diff says so, resource by resource; pinned like the CDK app
/// (`-c web-app-env=aws://...`), `diff` looks the AZ names up (EC2 DescribeAvailabilityZones,
/// saved to cdk.context.json as the CDK's key and value), finds no replacement, and `deploy
/// --all` keeps every physical resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cdk_deployment_of_the_seed_is_updated_by_ours_without_replacing_anything() {
    use constructs::core::CloudAssembly;
    if harness().is_none() {
        return;
    }
    let region = "ap-northeast-1";
    let stacks = [
        "LambdaFunctionsStack",
        "WebAppStartStateMachineStack",
        "WebAppStopStateMachineStack",
        "WebAppStack",
    ];
    let d = deployer(region).await;
    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let fixture = cdk_fixture_copy(region);
    let cdk = CloudAssembly::read(fixture.path()).unwrap_or_else(|e| panic!("{e}"));
    let destroy_all = |assembly: CloudAssembly| {
        let d = &d;
        async move {
            let options = support::destroy_all();
            let r = d.destroy(&assembly, &options).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(r.is_success(), "{r}");
        }
    };
    // A harness still running from an earlier run has our stacks: start from the CDK's.
    destroy_all(cdk.clone()).await;
    let first = d.deploy(&cdk, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(first.is_success(), "the CDK's templates deploy: {first}");
    let cfn = cloudformation(region).await;
    let before = physical_ids(&cfn, &stacks).await;

    // Unpinned: every subnet (and what hangs on it) would be replaced; diff names each and why.
    let (_unpinned_dir, unpinned) = support::synth_with(&[("key-pair", serde_json::json!("demo-key"))], app::build);
    let diffs = d
        .diff(&unpinned, &Selection::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let web = diffs
        .iter()
        .find(|x| x.stack == "WebAppStack")
        .expect("WebAppStack diff");
    let text = web.to_string();
    let replaced: Vec<&str> = web
        .resources
        .iter()
        .filter(|r| r.replacement() == Replacement::Requires)
        .map(|r| r.logical_id.as_str())
        .collect();
    for subnet in [
        "VpcPublicSubnet1Subnet5C2D37C4",
        "VpcPrivateSubnet2Subnet3788AAA1",
        "VpcIsolatedSubnet1SubnetE48C5737",
    ] {
        assert!(replaced.contains(&subnet), "{subnet} requires replacement:\n{text}");
    }
    assert!(
        text.contains("AvailabilityZone") && text.contains("requires replacement"),
        "the property and the reason are named:\n{text}"
    );

    // Pinned as the CDK app was, in a project directory with the CDK project's context.
    let project = tempfile::tempdir().expect("project dir");
    let mut context = serde_json::json!({"key-pair": "demo-key", "slack-user-id": "U000000"});
    for (k, v) in support::app_context() {
        context.as_object_mut().expect("object").entry(k).or_insert(v);
    }
    std::fs::write(
        project.path().join("cdk.json"),
        serde_json::json!({ "context": context }).to_string(),
    )
    .expect("cdk.json");
    let pin = "web-app-env=aws://123456789012/ap-northeast-1";
    let key = "availability-zones:account=123456789012:region=ap-northeast-1";
    // --no-lookups: the missing AZ names are an error naming the key, nothing is looked up.
    let (ok, _, stderr) = seed_cli(project.path(), &["--no-lookups", "-c", pin, "diff", "--region", region]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains(key) && stderr.contains("--no-lookups") && stderr.contains("cdk.context.json"),
        "{stderr}"
    );
    assert!(!project.path().join("cdk.context.json").exists());

    let (ok, stdout, stderr) = seed_cli(project.path(), &["-c", pin, "diff", "--region", region]);
    assert!(ok, "{stdout}\n{stderr}");
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("cdk.context.json")).expect("cdk.context.json written"),
    )
    .expect("JSON");
    // The CDK project's cdk.context.json holds the same value for the same key.
    assert_eq!(
        saved[key],
        serde_json::json!(["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]),
        "{saved}"
    );
    assert!(stdout.contains("Stack WebAppStack"), "{stdout}");
    assert!(!stdout.contains("replace"), "no replacement:\n{stdout}");

    // What CloudFormation says (the change sets' Replacement, harness P18) of each of our
    // templates over the CDK's stacks: nothing is replaced.
    use aws_sdk_cloudformation::types::{Capability, ChangeSetType};
    let mut replaced = Vec::new();
    for stack in stacks {
        let body = std::fs::read_to_string(project.path().join(format!("cdk.out/{stack}.template.json")))
            .expect("our template");
        let name = format!("Migration{}", run_id());
        cfn.create_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .change_set_type(ChangeSetType::Update)
            .template_body(body)
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{stack}: CreateChangeSet: {e:?}"));
        let described = cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .send()
            .await
            .expect("DescribeChangeSet");
        let changes = described.changes();
        assert!(
            !changes.is_empty(),
            "{stack}: our template differs from the CDK's somewhere"
        );
        for c in changes {
            let Some(r) = c.resource_change() else { continue };
            let replacement = r.replacement().map(|x| x.as_str().to_owned()).unwrap_or_default();
            if replacement == "True" || replacement == "Conditional" {
                replaced.push(format!(
                    "{stack}/{} ({replacement})",
                    r.logical_resource_id().unwrap_or_default()
                ));
            }
        }
        cfn.delete_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .send()
            .await
            .expect("DeleteChangeSet");
    }
    assert!(replaced.is_empty(), "replaced: {replaced:?}");

    // Our `deploy --all` over the CDK's stacks updates each and keeps every physical resource.
    let (ok, stdout, stderr) = seed_cli(
        project.path(),
        &[
            "-c",
            pin,
            "deploy",
            "--all",
            "--require-approval",
            "never",
            "--region",
            region,
        ],
    );
    assert!(ok, "{stdout}\n{stderr}");
    for stack in stacks {
        assert!(
            stdout.contains(&format!("{stack}: updated")),
            "{stack} updated:\n{stdout}"
        );
    }
    assert!(!stderr.contains("Looked up"), "read from cdk.context.json: {stderr}");
    let after = physical_ids(&cfn, &stacks).await;
    for stack in stacks {
        assert!(
            before.keys().any(|id| id.starts_with(&format!("{stack}/"))),
            "{stack} has resources"
        );
    }
    let moved: Vec<String> = before
        .iter()
        .filter(|(id, physical)| after.get(*id) != Some(*physical))
        .map(|(id, physical)| format!("{id}: {physical} -> {:?}", after.get(id)))
        .collect();
    assert!(moved.is_empty(), "replaced:\n{}\n{stdout}", moved.join("\n"));
    let (_ours_dir, ours) = support::synth_with(&[("key-pair", serde_json::json!("demo-key"))], app::build);
    destroy_all(ours).await;
}

/// `bootstrap --qualifier myapp` names the bucket, roles and version parameter `cdk-myapp-...`;
/// stacks synthesized with the same qualifier (context `@aws-cdk/core:bootstrapQualifier`)
/// publish into that bucket and deploy through its roles; bootstrapping the environment
/// again with another qualifier is refused (it would replace the bucket the stacks use).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qualified_bootstrap_and_the_stacks_synthesized_with_its_qualifier() {
    use constructs::core::{BootstrapNames, QUALIFIER_CONTEXT};
    use constructs::deploy::BootstrapOptions;
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("ap-southeast-3", "Qualified");
    let d = deployer(f.region).await;
    let options = BootstrapOptions {
        qualifier: BootstrapNames::new("myapp").expect("qualifier"),
        ..Default::default()
    };
    let report = d.bootstrap_with(&options, true).await.unwrap_or_else(|e| panic!("{e}"));
    let bucket = format!("cdk-myapp-assets-123456789012-{}", f.region);
    assert!(
        report
            .outputs
            .iter()
            .any(|o| o.key == "BucketName" && o.value == bucket),
        "{:?}",
        report.outputs
    );
    let (_dir, assembly) = support::synth_with(&[(QUALIFIER_CONTEXT, serde_json::json!("myapp"))], |app| {
        three_stacks(app, &f.prefix, &f.zip, &V1)
    });
    let deployed = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(deployed.is_success(), "{deployed}");
    let cfn = cloudformation(f.region).await;
    let role = stack_role_arn(&cfn, &f.name("App")).await;
    assert!(
        role.as_deref()
            .is_some_and(|r| r.ends_with(&format!("role/cdk-myapp-cfn-exec-role-123456789012-{}", f.region))),
        "{role:?}"
    );
    let objects = s3(f.region)
        .await
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("ListObjectsV2");
    assert!(
        objects.contents().len() >= 4,
        "the templates and the handler zip: {objects:?}"
    );

    let err = d.bootstrap(true).await.expect_err("another qualifier");
    let text = err.to_string();
    assert!(
        text.contains("another qualifier") && text.contains("--qualifier myapp"),
        "{text}"
    );

    // The default qualifier beside it, in a bootstrap stack of its own (--toolkit-stack-name),
    // and a stack of the default qualifier deployed through it.
    let beside = Deployer::connect(ConnectOptions {
        region: Some(f.region.to_owned()),
        poll_interval: Some(Duration::from_millis(50)),
        toolkit_stack_name: Some("CDKToolkitDefault".to_owned()),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    beside.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let g = Fixture::new(f.region, "Unqualified");
    let (_dir, plain) = g.synth(&V1);
    let deployed = beside.deploy(&plain, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(deployed.is_success(), "{deployed}");
    let role = stack_role_arn(&cfn, &g.name("App")).await;
    assert!(
        role.as_deref()
            .is_some_and(|r| r.contains("role/cdk-hnb659fds-cfn-exec-role-")),
        "{role:?}"
    );
    assert_eq!(status(&cfn, "CDKToolkit").await.as_deref(), Some("CREATE_COMPLETE"));
}

/// `bootstrap --bootstrap-customer-key`: the asset bucket is encrypted with a new, rotated
/// customer managed key of the bootstrap stack, and assets publish into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_with_a_customer_key_encrypts_the_asset_bucket_with_it() {
    use constructs::deploy::{AssetBucketKey, BootstrapOptions};
    if harness().is_none() {
        return;
    }
    let f = Fixture::new("af-south-1", "CustomerKey");
    let d = deployer(f.region).await;
    let options = BootstrapOptions {
        bucket_key: AssetBucketKey::CustomerManaged,
        ..Default::default()
    };
    let report = d.bootstrap_with(&options, true).await.unwrap_or_else(|e| panic!("{e}"));
    let output = |key: &str| report.outputs.iter().find(|o| o.key == key).map(|o| o.value.clone());
    let key_arn = output("FileAssetKeyArn").expect("the key's ARN is an output");
    assert!(
        key_arn.starts_with("arn:aws:kms:af-south-1:123456789012:key/"),
        "{key_arn}"
    );
    let bucket = output("BucketName").expect("bucket");
    let encryption = s3(f.region)
        .await
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketEncryption");
    let rule = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .expect("a default encryption");
    assert_eq!(rule.kms_master_key_id(), Some(key_arn.as_str()));
    let (_dir, assembly) = f.synth(&V1);
    let deployed = d.deploy(&assembly, &all()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(deployed.is_success(), "{deployed}");
    assert!(deployed.assets_uploaded >= 3, "{deployed}");
}
