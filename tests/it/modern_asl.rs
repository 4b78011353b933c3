//! Modern ASL in the builder: workflow variables and the distributed Map, in
//! an example state machine that synthesizes (snapshot), passes our
//! validator, asl-validator and cfn-lint, derives its IAM, and simulates;
//! and a JSONata + variables machine ([`jsonata_machine`]) that simulates its
//! shipped scenarios, through the library and the `simulate` command.

use constructs::aws::s3::{Bucket, BucketProps};
use std::process::ExitCode;

use clap::Parser;
use constructs::aws::stepfunctions::simulate::{
    run_test_case, simulate, state_machine_definition, MockConfig, SimulateOptions,
};
use constructs::aws::stepfunctions::*;
use constructs::cli::{run_with, Cli};
use constructs::core::{App, Stack, StackProps, Value};
use serde_json::{json, Value as Json};

use crate::{jsonata_machine, support};

/// An inventory check: remember the run, check each row of a CSV in S3 in
/// batches (a distributed Map writing its results to S3), then decide.
fn build(app: &App) {
    let stack = Stack::new(app, "InventoryStack", StackProps::default());
    let bucket = Bucket::new(&stack, "Items", BucketProps::default());

    let each = StateGraph::new();
    let check = each.pass(
        "CheckBatch",
        PassProps {
            parameters: Some(
                Value::map()
                    .with("Count.$", "States.ArrayLength($.Items)")
                    .with("Run.$", "$.BatchInput.Run"),
            ),
            ..Default::default()
        },
    );
    check.end();

    let g = StateGraph::new();
    let remember = g
        .pass("RememberRun", PassProps::default())
        .assign(Value::map().with("run.$", "$$.Execution.Name").with("attempt", 1));
    let map = g
        .distributed_map(
            "CheckRows",
            &each,
            DistributedMapProps {
                item_reader: Some(ItemReader {
                    bucket: bucket.name(),
                    source: ItemSource::Csv {
                        key: "rows.csv".into(),
                        headers: CsvHeaders::FirstRow,
                    },
                    max_items: Some(10_000),
                }),
                item_batcher: Some(ItemBatcher {
                    max_items_per_batch: Some(100),
                    batch_input: Some(Value::map().with("Run.$", "$run")),
                    ..Default::default()
                }),
                result_writer: Some(ResultWriter {
                    bucket: bucket.name(),
                    prefix: Some("results".into()),
                }),
                execution_type: ChildExecutionType::Express,
                max_concurrency: Some(10),
                tolerated_failure_percentage: Some(5.0),
                label: Some("rows".into()),
                result_path: Some("$.Written".into()),
                ..Default::default()
            },
        )
        .assign(Value::map().with("manifest.$", "$.ResultWriterDetails.Key"));
    let decide = g.choice("Written");
    let done = g.pass(
        "Report",
        PassProps {
            parameters: Some(Value::map().with("Run.$", "$run").with("Manifest.$", "$manifest")),
            ..Default::default()
        },
    );
    done.end();
    g.start_at(&remember);
    remember.next(&map).next(&decide);
    decide
        .when_assign(
            Condition::is_present("$.Written.ResultWriterDetails"),
            Value::map().with("verdict", "written"),
            &done,
        )
        .otherwise(&g.fail(
            "NothingWritten",
            FailProps {
                error: Some("NothingWritten".into()),
                cause_path: Some("States.Format('run {} wrote no results', $run)".into()),
                ..Default::default()
            },
        ));
    StateMachine::new(
        &stack,
        "Inventory",
        StateMachineProps {
            definition: g,
            timeout: Some(std::time::Duration::from_secs(3600)),
            ..Default::default()
        },
    );
}

fn definition(assembly: &constructs::core::CloudAssembly) -> (String, Json) {
    let defs = support::definitions(assembly);
    assert_eq!(defs.len(), 1, "{defs:?}");
    let (name, text) = defs.into_iter().next().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (name, json)
}

#[test]
fn the_example_matches_its_snapshot_and_passes_every_validator() {
    let (dir, assembly) = support::synth(build);
    let stack = assembly.stack("InventoryStack").expect("the stack");
    insta::assert_json_snapshot!("InventoryStack", &stack.template);
    let (name, def) = definition(&assembly);
    assert!(validate_definition(&def).is_empty(), "{:?}", validate_definition(&def));
    assert!(loop_warnings(&def).is_empty());
    let map = &def["States"]["CheckRows"];
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"],
        json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"})
    );
    assert_eq!(
        map["ItemReader"]["ReaderConfig"],
        json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10000})
    );
    assert_eq!(map["Assign"], json!({"manifest.$": "$.ResultWriterDetails.Key"}));
    assert_eq!(
        def["States"]["Written"]["Choices"][0]["Assign"],
        json!({"verdict": "written"})
    );
    let text = def.to_string();
    if let Some(rejected) = support::asl_validator_rejections(dir.path(), &[(name, text)]) {
        assert!(rejected.is_empty(), "{}", rejected.join("\n"));
    }
    let file = assembly.directory.join("InventoryStack.template.json");
    if let Some(lint) = support::cfn_lint(&[file]) {
        lint.assert_clean();
    }
    let diagram = assembly.directory.join("InventoryStack.Inventory.mmd");
    let mermaid = std::fs::read_to_string(&diagram).unwrap_or_else(|e| panic!("{}: {e}", diagram.display()));
    assert!(mermaid.contains("CheckRows"), "{mermaid}");
}

#[test]
fn the_role_reads_and_writes_exactly_its_objects_and_starts_only_its_own_children() {
    let (_dir, assembly) = support::synth(build);
    let template = &assembly.stack("InventoryStack").expect("the stack").template;
    let resources = template["Resources"].as_object().expect("resources");
    let (machine_id, machine) = resources
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::StepFunctions::StateMachine")
        .expect("the machine");
    let policy = resources
        .values()
        .find(|r| r["Type"] == "AWS::IAM::Policy")
        .expect("the role's policy");
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    let of = |action: &str| {
        statements
            .iter()
            .find(|s| s["Action"] == action || s["Action"].as_array().is_some_and(|a| a.contains(&json!(action))))
            .unwrap_or_else(|| panic!("{action} in {statements:?}"))["Resource"]
            .to_string()
    };
    assert!(of("s3:GetObject").contains("/rows.csv"), "{}", of("s3:GetObject"));
    assert!(of("s3:PutObject").contains("/results/*"), "{}", of("s3:PutObject"));
    let start = of("states:StartExecution");
    assert!(start.contains(&format!(":stateMachine:{machine_id}-*")), "{start}");
    let policy_text = policy.to_string();
    assert!(
        !policy_text.contains(&format!("{{\"Ref\":\"{machine_id}\"}}")) && !policy_text.contains("Fn::GetAtt"),
        "no reference to the machine: {policy_text}"
    );
    assert!(of("states:StopExecution").contains(&format!(":execution:{machine_id}-*/*")));
    // The machine waits for its policy, and the policy does not name the machine: no cycle.
    let depends = machine["DependsOn"].to_string();
    assert!(depends.contains("Policy"), "{depends}");
}

#[test]
fn the_example_simulates_with_its_items_from_the_mock() {
    let (_dir, assembly) = support::synth(build);
    let (_, def) = definition(&assembly);
    let rows: Vec<Json> = (0..250).map(|i| json!({"sku": format!("s{i}")})).collect();
    let config = MockConfig::from_json(
        json!({
            "StateMachines": { "Inventory": { "TestCases": { "Rows": { "CheckRows": "Rows" } } } },
            "MockedResponses": { "Rows": { "0": { "Return": rows } } }
        }),
        "inline",
    )
    .expect("mock");
    let case = config.test_case("Inventory", "Rows").expect("case");
    let run = simulate(&def, &json!({}), &case, &SimulateOptions::default()).expect("runs");
    assert_eq!(run.status, "SUCCEEDED", "{:?} {:?}", run.error, run.cause);
    assert_eq!(
        run.path.iter().filter(|p| *p == "CheckBatch").count(),
        3,
        "250 rows in batches of 100"
    );
    let output = run.output.unwrap_or_default();
    assert_eq!(output["Run"], json!(SimulateOptions::default().execution_name));
    assert!(
        output["Manifest"].as_str().is_some_and(|k| k.starts_with("results/")),
        "{output}"
    );
}

fn jsonata_mocks() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("it/fixtures/simulations")
        .join(jsonata_machine::MOCK_FILE)
}

#[test]
fn a_jsonata_machine_synthesizes_validates_and_simulates() {
    let (dir, assembly) = support::synth(jsonata_machine::build);
    let (name, def) = definition(&assembly);
    assert_eq!(def["QueryLanguage"], "JSONata");
    assert!(validate_definition(&def).is_empty(), "{:?}", validate_definition(&def));
    let notify = &def["States"]["NotifyLong"];
    assert_eq!(notify["Arguments"]["Message"], "{% $states.input %}");
    assert!(notify.get("Parameters").is_none(), "{notify}");
    assert_eq!(def["States"]["IsLong"]["Choices"][0]["Condition"], "{% $total > 10 %}");
    if let Some(rejected) = support::asl_validator_rejections(dir.path(), &[(name, def.to_string())]) {
        assert!(rejected.is_empty(), "{}", rejected.join("\n"));
    }
    let file = assembly.directory.join("JsonataStack.template.json");
    if let Some(lint) = support::cfn_lint(&[file]) {
        lint.assert_clean();
    }
    // The shipped scenarios, through the library: every case meets its expectations.
    let text = std::fs::read_to_string(jsonata_mocks()).expect("the mock file");
    let config = MockConfig::parse(&text, jsonata_machine::MOCK_FILE).expect("mock");
    let machine = state_machine_definition(&assembly, jsonata_machine::STATE_MACHINE).expect("the machine");
    let key = config.state_machine_key(jsonata_machine::STATE_MACHINE).expect("key");
    let mut statuses = Vec::new();
    for case in config.test_cases(&key) {
        let (c, run) = run_test_case(&machine, &config, jsonata_machine::STATE_MACHINE, case, None)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(!c.expectations.is_empty(), "{case} states what it expects");
        let unmet = run.unmet(&c.expectations);
        assert!(unmet.is_empty(), "{case}:\n  {}", unmet.join("\n  "));
        statuses.push((case.to_owned(), run));
    }
    let by_name = |n: &str| &statuses.iter().find(|(c, _)| c == n).unwrap_or_else(|| panic!("{n}")).1;
    let long = by_name("LongListNotified");
    assert_eq!(long.path, ["CountItems", "IsLong", "NotifyLong", "Done"]);
    assert_eq!(
        long.output,
        Some(json!({"Notified": 11})),
        "$total, assigned by CountItems"
    );
    let published = long
        .history
        .iter()
        .find(|e| e.kind == "TaskScheduled")
        .expect("the publish");
    let parameters: Json = serde_json::from_str(
        published.details["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap_or_default(),
    )
    .expect("JSON");
    assert_eq!(
        parameters["Message"],
        json!({"items": (1..=11).collect::<Vec<_>>()}),
        "the message is CountItems' Output"
    );
    assert_eq!(by_name("ShortListNotNotified").path, ["CountItems", "IsLong", "Done"]);
    let missing = by_name("NoItemsField");
    assert_eq!(missing.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(
        missing.cause.as_deref().unwrap_or_default().contains("'Output.items'"),
        "{:?}",
        missing.cause
    );
    assert!(
        statuses.iter().any(|(_, r)| r.status == "FAILED") && statuses.iter().any(|(_, r)| r.status == "SUCCEEDED")
    );
}

#[test]
fn the_jsonata_scenarios_run_through_the_simulate_command() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("cdk.out").to_string_lossy().into_owned();
    let file = jsonata_mocks().to_string_lossy().into_owned();
    let simulate = |mock: &str| {
        let args = [
            "app",
            "-o",
            &out,
            "simulate",
            jsonata_machine::STATE_MACHINE,
            "--mock-config",
            mock,
            "--quiet",
        ];
        run_with(
            Cli::try_parse_from(args).expect("valid arguments"),
            &jsonata_machine::build,
        )
    };
    assert_eq!(simulate(&file), ExitCode::SUCCESS, "every case meets its expectations");
    let mut broken: Json = serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    broken["Simulations"]["Lists"]["LongListNotified"]["Expect"]["Output"] = json!({"Notified": 10});
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.to_string()).expect("write");
    assert_eq!(
        simulate(&bad.to_string_lossy()),
        ExitCode::FAILURE,
        "an output the JSONata does not give"
    );
}
