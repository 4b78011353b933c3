//! The operator commands `run` and `executions` on the seed app, end to end
//! against the local AWS harness: the stop machine, then the start machine,
//! each started with its run input (no hand-written JSON), the start machine
//! deleting the maintenance rule the stop machine wrote into the parameter.
//!
//! Skips when `AWS_ENDPOINT_URL` is unset. Its own region: the Lambda
//! results are queued per region, and the region opts in to the harness's
//! virtual-time waits (P26), so the seed's 10–60 s polls cost nothing.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use constructs::cli::{run_with, Cli};
use constructs::deploy::run::find_state_machine;
use constructs::deploy::{ConnectOptions, Deployer};
use serde_json::{json, Value as Json};

use crate::support;

const REGION: &str = "ap-east-1";
const STOP: &str = "WebAppStopStateMachineStack/SystemStopStateMachine";
const START: &str = "WebAppStartStateMachineStack/SystemStartStateMachine";
const RULE_ARN: &str = "arn:aws:elasticloadbalancing:ap-east-1:123456789012:listener-rule/app/WebAp-Alb16-1A2B3C/0123456789abcdef/fedcba9876543210/0a1b2c3d4e5f6a7b";

fn queue_lambda_results(endpoint: &str, results: &[Json]) {
    let results: Vec<String> = results.iter().map(Json::to_string).collect();
    support::harness_post(
        endpoint,
        "/moto-api/static/lambda-simple/response",
        REGION,
        "lambda",
        None,
        &json!({ "results": results, "region": REGION }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

fn ssm_value(endpoint: &str, name: &str) -> String {
    let got = support::harness_post(
        endpoint,
        "/",
        REGION,
        "ssm",
        Some("AmazonSSM.GetParameter"),
        &json!({ "Name": name }),
    )
    .unwrap_or_else(|e| panic!("GetParameter {name}: {e}"));
    got["Parameter"]["Value"].as_str().unwrap_or_default().to_owned()
}

/// The input of the first entry into `state` in an execution's history.
fn state_input(endpoint: &str, execution: &str, state: &str) -> Json {
    let history = support::harness_post(
        endpoint,
        "/",
        REGION,
        "states",
        Some("AWSStepFunctions.GetExecutionHistory"),
        &json!({ "executionArn": execution, "maxResults": 1000 }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let entered = history["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["stateEnteredEventDetails"]["name"] == state)
        .unwrap_or_else(|| panic!("{state} was entered: {history}"));
    serde_json::from_str(entered["stateEnteredEventDetails"]["input"].as_str().unwrap_or("null"))
        .expect("the input is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_stops_then_starts_from_its_run_inputs_and_the_rule_is_handed_over() {
    let Some(endpoint) = support::harness_endpoint() else {
        return;
    };
    let switched = support::harness_post(
        &endpoint,
        "/moto-api/harness/virtual-waits",
        REGION,
        "moto",
        None,
        &json!({ "region": REGION, "enabled": true }),
    )
    .unwrap_or_else(|e| panic!("the harness has virtual waits (P26): {e}"));
    assert_eq!(switched["enabled"], true, "{switched}");
    // A harness that ran this test before keeps the secret of the fixed name (destroying a stack
    // schedules its deletion): gone for good, so WebAppStack can create it again.
    let _ = support::harness_post(
        &endpoint,
        "/",
        REGION,
        "secretsmanager",
        Some("secretsmanager.DeleteSecret"),
        &json!({ "SecretId": app::web_app_stack::DB_SECRET_NAME, "ForceDeleteWithoutRecovery": true }),
    );

    let d = Deployer::connect(ConnectOptions {
        region: Some(REGION.to_owned()),
        poll_interval: Some(Duration::from_millis(50)),
        ..Default::default()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let (dir, assembly) = support::synth(app::build);
    let stop = find_state_machine(&assembly, STOP).unwrap_or_else(|e| panic!("{e}"));
    let start = find_state_machine(&assembly, START).unwrap_or_else(|e| panic!("{e}"));

    // Before the deploy: the machine is not there, and the error says what to do.
    let err = d
        .run_state_machine(&stop, None, &mut |_| {})
        .await
        .expect_err("not deployed yet")
        .to_string();
    assert!(
        err.contains("not deployed") && err.contains("deploy WebAppStopStateMachineStack"),
        "{err}"
    );

    d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
    let deployed = d
        .deploy(&assembly, &support::deploy_all())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(deployed.is_success(), "{deployed}");

    // Stop: every Lambda answers with what each of its callers needs (the Map's two iterations may
    // interleave), then the DB cluster is available after its backup and stopped after the stop.
    let any = json!({
        "Rules": [{"RuleArn": RULE_ARN}],
        "Command": {"CommandId": "c-1"},
        "CommandInvocations": [{"Status": "Success", "CommandPlugins": [{"ResponseCode": 3}]}],
        "Reservations": [{"Instances": [{"State": {"Code": 80, "Name": "stopped"}}]}],
        "BackupJobId": "b-1"
    });
    let mut stop_results = vec![any.clone(); 1 + 2 * 7];
    stop_results.extend([
        any.clone(),
        json!({"DBClusters": [{"Status": "available"}]}),
        any.clone(),
        json!({"DBClusters": [{"Status": "stopped"}]}),
    ]);
    queue_lambda_results(&endpoint, &stop_results);
    let mut lines = Vec::new();
    let report = d
        .run_state_machine(&stop, None, &mut |l| lines.push(l.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_success(), "{report}\n{}", lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.contains("→ SaveAlbRuleState (Task)")) && lines.iter().any(|l| l.contains("✓ Succeed")),
        "{}",
        lines.join("\n")
    );
    assert!(report.console_url.starts_with(&format!(
        "https://{REGION}.console.aws.amazon.com/states/home?region={REGION}#/v2/executions/details/arn:"
    )));
    // The run input reached the machine: WebAppStack's ids, resolved by CloudFormation.
    let input = state_input(&endpoint, &report.execution_arn, "CreateAlbRuleState");
    let listener = input["Input"]["TargetRule"]["ListenerArn"].as_str().unwrap_or_default();
    assert!(listener.starts_with("arn:aws:elasticloadbalancing:"), "{input}");
    let instances = input["Input"]["TargetEc2Instances"].as_array().map_or(0, Vec::len);
    assert_eq!(instances, 2, "{input}");
    // The rule's ARN is in the parameter.
    let save = state_input(&endpoint, &report.execution_arn, "SaveAlbRuleState");
    assert_eq!(save["Output"]["Payload"]["Rules"][0]["RuleArn"], RULE_ARN, "{save}");
    let cfn = constructs::deploy::config_loader()
        .region(aws_config::Region::new(REGION))
        .load()
        .await;
    let cfn = aws_sdk_cloudformation::Client::new(&cfn);
    let parameter = cfn
        .describe_stack_resources()
        .stack_name("WebAppStack")
        .send()
        .await
        .expect("DescribeStackResources")
        .stack_resources()
        .iter()
        .find(|r| {
            r.logical_resource_id()
                .is_some_and(|id| id.starts_with("MaintenanceRuleParameter"))
        })
        .and_then(|r| r.physical_resource_id().map(str::to_owned))
        .expect("the maintenance rule parameter");
    assert_eq!(ssm_value(&endpoint, &parameter), RULE_ARN);

    // Start, through the CLI: the DB cluster is available, each instance runs with its checks ok and
    // httpd up, every target is healthy; the rule comes from the parameter.
    let any = json!({
        "Command": {"CommandId": "c-2"},
        "CommandInvocations": [{"Status": "Success", "CommandPlugins": [{"ResponseCode": 0}]}],
        "InstanceStatuses": [{"InstanceState": {"Code": 16}, "InstanceStatus": {"Status": "ok"}, "SystemStatus": {"Status": "ok"}}]
    });
    let mut start_results = vec![json!({"DBClusters": [{"Status": "available"}]})];
    start_results.extend(vec![any; 2 * 6]);
    start_results.extend([
        json!({"TargetHealthDescriptions": [
            {"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "i-2", "Port": 80}, "TargetHealth": {"State": "healthy"}}
        ]}),
        json!({}),
    ]);
    queue_lambda_results(&endpoint, &start_results);
    let app_dir = assembly.directory.clone();
    let cli = Cli::try_parse_from([
        "app",
        "run",
        START,
        "--region",
        REGION,
        "--app",
        &app_dir.to_string_lossy(),
    ])
    .expect("valid arguments");
    // The CLI starts its own runtime: off this one's threads.
    let code = tokio::task::spawn_blocking(move || run_with(cli, &app::build))
        .await
        .expect("the CLI ran");
    assert_eq!(code, ExitCode::SUCCESS, "the start execution succeeded");

    let executions = d.executions(&start, 5).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(executions.len(), 1, "{executions:?}");
    assert_eq!(executions[0].status, "SUCCEEDED", "{executions:?}");
    assert!(executions[0].stop.is_some(), "{executions:?}");
    let deleted = state_input(&endpoint, &executions[0].arn, "DeleteAlbRuleState");
    assert_eq!(
        deleted["TargetRule"],
        json!({"RuleArn": RULE_ARN}),
        "the start machine deletes the rule the stop machine wrote: {deleted}"
    );
    let stops = d.executions(&stop, 5).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(stops[0].status, "SUCCEEDED", "{stops:?}");

    // A failing execution: the DB cluster is neither stopped nor available.
    queue_lambda_results(&endpoint, &[json!({"DBClusters": [{"Status": "stopping"}]})]);
    let failed = d
        .run_state_machine(&start, None, &mut |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!failed.is_success(), "{failed}");
    assert_eq!(failed.status, "FAILED", "{failed}");
    assert_eq!(failed.error.as_deref(), Some("CannotStartDbCluster"), "{failed}");
    assert_eq!(failed.failed_state.as_deref(), Some("CannotStartDbCluster"), "{failed}");
    assert!(
        failed.cause.as_deref().is_some_and(|c| c.contains("stopping")),
        "the cause names the status: {failed}"
    );

    // Through the CLI: `executions` lists them; `run --input FILE` takes the file, and a failed
    // execution exits 1 (the input names no DB cluster: the first task's InputPath fails).
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "{}").expect("write the input");
    let app_dir = assembly.directory.to_string_lossy().into_owned();
    let cli = |args: Vec<String>| {
        let cli = Cli::try_parse_from(args).expect("valid arguments");
        tokio::task::spawn_blocking(move || run_with(cli, &app::build))
    };
    let args = |command: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["app", command, START, "--region", REGION, "--app", &app_dir]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let listed = cli(args("executions", &["--limit", "3"])).await.expect("the CLI ran");
    assert_eq!(listed, ExitCode::SUCCESS);
    let failed_run = cli(args("run", &["--input", &empty.to_string_lossy()]))
        .await
        .expect("the CLI ran");
    assert_eq!(failed_run, ExitCode::FAILURE, "a failed execution exits 1");
    let latest = d.executions(&start, 1).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(latest[0].status, "FAILED", "{latest:?}");
    let bad = cli(args("run", &["--input", "/nonexistent/input.json"]))
        .await
        .expect("the CLI ran");
    assert_eq!(bad, ExitCode::FAILURE, "an unreadable input file is an error");

    // An unknown path lists the machines.
    let err = find_state_machine(&assembly, "WebAppStack/Nope")
        .expect_err("unknown")
        .to_string();
    assert!(err.contains(STOP) && err.contains(START), "{err}");

    // Leave the region as found, for a harness that keeps running.
    let destroyed = d
        .destroy(&assembly, &support::destroy_all())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(destroyed.is_success(), "{destroyed}");
    drop(dir);
}

#[test]
fn the_cli_parses_run_and_executions() {
    use constructs::cli::Command;
    use constructs::deploy::cli::DeployCommand;
    let cli = Cli::try_parse_from(["app", "run", STOP, "--input", "stop.json", "--region", "eu-west-1"])
        .expect("valid arguments");
    let Command::Deploy(DeployCommand::Run(run)) = cli.command else {
        panic!("not run: {:?}", cli.command)
    };
    assert_eq!(run.state_machine, STOP);
    assert_eq!(run.input.as_deref(), Some(std::path::Path::new("stop.json")));
    assert_eq!(run.aws.region.as_deref(), Some("eu-west-1"));
    let cli = Cli::try_parse_from(["app", "executions", START]).expect("valid arguments");
    let Command::Deploy(command) = cli.command else {
        panic!("not executions")
    };
    assert!(!command.needs_bundling(), "run and executions read templates only");
    let DeployCommand::Executions(list) = command else {
        panic!("not executions")
    };
    assert_eq!((list.state_machine.as_str(), list.limit), (START, 20));
    assert!(
        Cli::try_parse_from(["app", "run"]).is_err(),
        "run names a state machine"
    );
}
