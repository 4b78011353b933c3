//! The seed's state machine stacks: snapshots, golden logical IDs, stack order,
//! cfn-lint, asl-validator, and the diagrams in the assembly.

use std::fs;

use serde_json::Value as Json;

use crate::support::{self, definitions};

const STACKS: [&str; 2] = ["WebAppStartStateMachineStack", "WebAppStopStateMachineStack"];

fn synth() -> (tempfile::TempDir, constructs::core::CloudAssembly) {
    support::synth(app::build)
}

fn template<'a>(assembly: &'a constructs::core::CloudAssembly, stack: &str) -> &'a Json {
    &assembly
        .stack(stack)
        .unwrap_or_else(|| panic!("the app has no stack {stack}"))
        .template
}

#[test]
fn templates_match_the_snapshots() {
    let (_dir, assembly) = synth();
    for stack in STACKS {
        insta::assert_json_snapshot!(stack, template(&assembly, stack));
    }
}

#[test]
fn logical_ids_match_the_cdk_seed_app() {
    let (_dir, assembly) = synth();
    let tsv = include_str!("fixtures/cdk-logical-ids-seed001.tsv");
    let mut checked = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, id, ty] = cols[..] else { continue };
        let Some(stack) = STACKS.iter().find(|s| path.starts_with(&format!("{s}/"))) else {
            continue;
        };
        let t = template(&assembly, stack);
        let resource = &t["Resources"][id];
        assert_eq!(resource["Type"], ty, "{path}: no {ty} with logical id {id}");
        assert_eq!(resource["Metadata"]["aws:cdk:path"], path, "{id}");
        checked += 1;
    }
    assert_eq!(checked, 12, "the TSV has 6 rows per state machine stack");
}

#[test]
fn state_machine_stacks_come_after_the_functions_they_import() {
    let (_dir, assembly) = synth();
    // `app list` prints the stacks in this order.
    let order: Vec<&str> = assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect();
    let pos = |name: &str| {
        order
            .iter()
            .position(|s| *s == name)
            .unwrap_or_else(|| panic!("{name} missing from {order:?}"))
    };
    for stack in STACKS {
        assert!(pos("LambdaFunctionsStack") < pos(stack), "{order:?}");
        let s = assembly.stack(stack).expect("stack");
        assert!(s.dependencies.iter().any(|d| d == "LambdaFunctionsStack"), "{stack}");
    }
}

#[test]
fn functions_are_imported_from_the_lambda_stack() {
    let (_dir, assembly) = synth();
    for stack in STACKS {
        let text = serde_json::to_string(template(&assembly, stack)).expect("json");
        assert!(
            text.contains(r#"{"Fn::ImportValue":"LambdaFunctionsStack:ExportsOutputFnGetAtt"#),
            "{stack}"
        );
        let rule = &template(&assembly, stack)["Resources"]["puteventrule212B4170"];
        assert_eq!(
            rule["Properties"]["EventPattern"]["detail"]["status"],
            serde_json::json!(["SUCCEEDED", "FAILED"])
        );
    }
}

#[test]
fn cfn_lint_finds_no_errors_or_warnings() {
    let (dir, assembly) = synth();
    let templates: Vec<_> = STACKS
        .iter()
        .map(|s| assembly.directory.join(format!("{s}.template.json")))
        .collect();
    let Some(lint) = support::cfn_lint(&templates) else {
        return;
    };
    lint.assert_clean();
    drop(dir);
}

#[test]
fn every_definition_is_valid_json_and_passes_our_validator() {
    let (_dir, assembly) = synth();
    let defs = definitions(&assembly);
    assert!(defs.len() >= 2, "{defs:?}");
    for (name, text) in defs {
        let json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        let errors = constructs::aws::stepfunctions::validate_definition(&json);
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn asl_validator_accepts_every_definition() {
    let (dir, assembly) = synth();
    let Some(rejected) = support::asl_validator_rejections(dir.path(), &definitions(&assembly)) else {
        return;
    };
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

#[test]
fn each_state_machine_is_drawn_into_the_assembly() {
    let (_dir, assembly) = synth();
    for (stack, machine) in [
        ("WebAppStartStateMachineStack", "SystemStartStateMachine"),
        ("WebAppStopStateMachineStack", "SystemStopStateMachine"),
    ] {
        let file = assembly.directory.join(format!("{stack}.{machine}.mmd"));
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(text.contains("flowchart TD"), "{text}");
        let def: Json = serde_json::from_str(
            &definitions(&assembly)
                .into_iter()
                .find(|(n, _)| n.starts_with(stack))
                .map(|(_, t)| t)
                .unwrap_or_default(),
        )
        .expect("definition");
        for name in def["States"].as_object().into_iter().flatten().map(|(k, _)| k) {
            assert!(text.contains(name.as_str()), "{name} missing from {}", file.display());
        }
    }
}

#[test]
fn the_seed_bugs_stay_fixed() {
    let (_dir, assembly) = synth();
    let defs = definitions(&assembly);
    let def = |stack: &str| -> Json {
        let text = defs
            .iter()
            .find(|(n, _)| n.starts_with(stack))
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        serde_json::from_str(&text).expect("definition")
    };
    // The "60Sec" waits wait 60 seconds (the seed: 30).
    let stop = def("WebAppStopStateMachineStack");
    assert_eq!(stop["States"]["WaitBackupJobDbCluster60Sec"]["Seconds"], 60);
    assert_eq!(stop["States"]["waitStopDbCluster60Sec"]["Seconds"], 60);
    // A Run Command check loops back to the command it checks: the command's
    // result stays in $.Command, the check writes $.Output.
    let start = def("WebAppStartStateMachineStack");
    for (machine, map, pairs) in [
        (
            &stop,
            "StopEc2InstancesMapState",
            [
                ("StopHttpdState", "StopHttpdResultState"),
                ("DescribeHttpdState", "DescribeHttpdResultState"),
            ],
        ),
        (
            &start,
            "StartEc2InstancesMapState",
            [
                ("StartHttpdState", "StartHttpdResultState"),
                ("DescribeHttpdState", "DescribeHttpdResultState"),
            ],
        ),
    ] {
        let states = &machine["States"][map]["ItemProcessor"]["States"];
        for (command, check) in pairs {
            assert_eq!(states[command]["ResultPath"], "$.Command", "{command}");
            assert_eq!(states[check]["InputPath"], "$.Command.Payload", "{check}");
            assert_eq!(states[check]["ResultPath"], "$.Output", "{check}");
        }
    }
}
