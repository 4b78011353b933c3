//! The seed's state machine stacks: snapshots, golden logical IDs, stack order,
//! cfn-lint, asl-validator, and the diagrams in the assembly.

use std::fs;

use constructs::assertions::{Match, Template};
use serde_json::{json, Value as Json};

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

/// The template of one of the seed app's stacks, to assert on.
fn seed_template(stack: &str) -> Template {
    support::app_template(&[], stack)
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
    for (stack, task, function) in [
        ("WebAppStartStateMachineStack", "StartDbClusterState", "StartDbCluster"),
        ("WebAppStopStateMachineStack", "CreateAlbRuleState", "CreateAlbRule"),
    ] {
        let t = seed_template(stack);
        let import = format!("^LambdaFunctionsStack:ExportsOutputFnGetAtt{function}");
        t.state_machine().has_state(
            task,
            json!({"Parameters": {"FunctionName": {"Fn::ImportValue": Match::string_like_regexp(&import)}}}),
        );
        t.has_resource_properties(
            "AWS::Events::Rule",
            json!({"EventPattern": {"detail": {"status": ["SUCCEEDED", "FAILED"]}}}),
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
fn no_loop_is_unbounded_even_without_the_machine_timeout() {
    let (_dir, assembly) = synth();
    for (name, text) in definitions(&assembly) {
        let mut json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            json.get("TimeoutSeconds").is_some(),
            "{name}: a last-resort TimeoutSeconds"
        );
        let warnings = constructs::aws::stepfunctions::loop_warnings(&json);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        // Without the timeout, the counters alone bound every loop.
        json.as_object_mut().map(|m| m.remove("TimeoutSeconds"));
        let warnings = constructs::aws::stepfunctions::loop_warnings(&json);
        assert!(warnings.is_empty(), "{name} without TimeoutSeconds: {warnings:?}");
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
        let states = seed_template(stack).state_machine().states();
        for state in states.iter().filter(|s| s.parent.is_none()) {
            assert!(
                text.contains(state.name.as_str()),
                "{} missing from {}",
                state.name,
                file.display()
            );
        }
    }
}

#[test]
fn the_seed_bugs_stay_fixed() {
    // The "60Sec" waits wait 60 seconds (the seed: 30).
    let stop = seed_template("WebAppStopStateMachineStack").state_machine();
    stop.has_state("WaitBackupJobDbCluster60Sec", json!({"Seconds": 60}));
    stop.has_state("waitStopDbCluster60Sec", json!({"Seconds": 60}));
    // A Run Command check loops back to the command it checks: the command's
    // result stays in $.Command, the check writes $.Output.
    let start = seed_template("WebAppStartStateMachineStack").state_machine();
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
        for (command, check) in pairs {
            let states = json!({
                command: {"ResultPath": "$.Command"},
                check: {"InputPath": "$.Command.Payload", "ResultPath": "$.Output"},
            });
            machine.has_state(map, json!({"ItemProcessor": {"States": states}}));
        }
    }
}

/// The JSON text of a template value, each reference (import, `Ref`,
/// `Fn::GetAtt` ...) replaced by a placeholder string of its own.
fn resolved_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Object(o) => match o.get("Fn::Join") {
            Some(join) => join[1]
                .as_array()
                .into_iter()
                .flatten()
                .map(resolved_text)
                .collect::<Vec<_>>()
                .join(join[0].as_str().unwrap_or_default()),
            None => format!("resolved-{}", v.to_string().replace(['"', '\\', '{', '}'], "")),
        },
        other => other.to_string(),
    }
}

/// The run input of a seed state machine stack's machine (the stack output
/// its metadata names), as CloudFormation would resolve it, with placeholders
/// for the deployed ids and ARNs.
fn run_input(assembly: &constructs::core::CloudAssembly, stack: &str) -> Json {
    let t = template(assembly, stack);
    let machine = t["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, r)| r)
        .find(|r| r["Type"] == "AWS::StepFunctions::StateMachine")
        .unwrap_or_else(|| panic!("{stack} has a state machine"));
    let named = &machine["Metadata"][constructs::aws::stepfunctions::RUN_INPUT_METADATA_KEY];
    let (Some(home), Some(key)) = (named["StackName"].as_str(), named["OutputKey"].as_str()) else {
        panic!("{stack}: the machine names its run input output: {named}")
    };
    assert_eq!(
        home, "WebAppStack",
        "{stack}: the input is an output of the stack it refers to"
    );
    let text = resolved_text(&template(assembly, home)["Outputs"][key]["Value"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{stack}: the run input is not JSON ({e}): {text}"))
}

/// The two machines' run inputs, (stop, start), as CloudFormation resolves
/// them (placeholders for the deployed ids and ARNs).
pub(crate) fn run_inputs() -> (Json, Json) {
    let (_dir, assembly) = synth();
    (
        run_input(&assembly, "WebAppStopStateMachineStack"),
        run_input(&assembly, "WebAppStartStateMachineStack"),
    )
}

/// `$.A.B` (or `$$.Execution.Input.A.B`) in `doc`: dotted member names only.
fn select<'a>(doc: &'a Json, path: &str) -> Option<&'a Json> {
    let rest = path.strip_prefix('$')?;
    rest.split('.').skip(1).try_fold(doc, |v, member| v.get(member))
}

/// The request members a task's function needs, by the state's name.
fn request_members(state: &str) -> &'static [&'static str] {
    match state {
        s if s.contains("Httpd") => &["InstanceIds", "Parameters"],
        s if s.contains("Ec2Instance") => &["InstanceIds"],
        "CreateAlbRuleState" => &["ListenerArn", "Priority", "Conditions", "Actions"],
        "DeleteAlbRuleState" => &["RuleArn"],
        "DescribeHealthTargetState" => &["TargetGroupArn"],
        s if s.starts_with("StartBackupJob") => &["ResourceArn"],
        s if s.contains("DbCluster") => &["DBClusterIdentifier"],
        other => panic!("no request members known for task {other}"),
    }
}

/// Checks every Task of `states` whose input comes from the execution input
/// (`execution`) or the Map item (`item`); returns how many it checked.
fn check_inputs(states: &Json, execution: &Json, item: Option<&Json>, problems: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for (name, state) in states.as_object().into_iter().flatten() {
        match state["Type"].as_str() {
            Some("Task") => {
                let path = state["InputPath"].as_str().unwrap_or("$");
                // Results of earlier tasks exist only at run time (the rule's ARN comes
                // from the parameter the stop machine wrote); SDK calls name their
                // resources in the definition.
                let sdk = state["Resource"].to_string().contains("aws-sdk:");
                if sdk
                    || ["$.Output", "$.Command", "$.TargetRule"]
                        .iter()
                        .any(|p| path.starts_with(p))
                {
                    continue;
                }
                let request = match path.strip_prefix("$$.Execution.Input") {
                    Some(rest) => select(execution, &format!("${rest}")),
                    None => select(item.unwrap_or(execution), path),
                };
                checked += 1;
                let Some(Json::Object(request)) = request else {
                    problems.push(format!("{name}: {path} is not an object in the input: {request:?}"));
                    continue;
                };
                for member in request_members(name) {
                    let ok = match (*member, request.get(*member)) {
                        (_, None | Some(Json::Null)) => false,
                        ("InstanceIds" | "Conditions" | "Actions", Some(v)) => v.is_array(),
                        ("Parameters", Some(v)) => v.is_object(),
                        ("Priority", Some(v)) => v.is_number(),
                        (_, Some(v)) => v.is_string(),
                    };
                    if !ok {
                        problems.push(format!(
                            "{name}: {member} of {path} is missing or of the wrong type: {request:?}"
                        ));
                    }
                }
            }
            Some("Map") => {
                let items = state["ItemsPath"].as_str().and_then(|p| select(execution, p));
                let Some(Json::Array(items)) = items else {
                    problems.push(format!("{name}: its ItemsPath finds no list in the input"));
                    continue;
                };
                let processor = &state["ItemProcessor"]["States"];
                for it in items {
                    checked += check_inputs(processor, execution, Some(it), problems);
                }
            }
            _ => {}
        }
    }
    checked
}

#[test]
fn the_run_inputs_reach_every_task() {
    let (stop, start) = run_inputs();
    for (stack, input, tasks) in [
        // The top-level tasks, and the Map's tasks once per web server (two).
        ("WebAppStopStateMachineStack", &stop, 5 + 2 * 5),
        ("WebAppStartStateMachineStack", &start, 4 + 2 * 4),
    ] {
        let machine = seed_template(stack).state_machine();
        let definition = machine.definition();
        let mut problems = Vec::new();
        let checked = check_inputs(&definition["States"], input, None, &mut problems);
        assert!(problems.is_empty(), "{stack}:\n  {}", problems.join("\n  "));
        assert_eq!(checked, tasks, "{stack}: tasks whose request comes from the input");
    }
}

#[test]
fn each_machine_may_touch_the_maintenance_rule_parameter_only_as_it_must() {
    let (_dir, assembly) = synth();
    for (stack, action) in [
        ("WebAppStopStateMachineStack", "ssm:PutParameter"),
        ("WebAppStartStateMachineStack", "ssm:GetParameter"),
    ] {
        let t = template(&assembly, stack);
        let ssm: Vec<&Json> = t["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"] == "AWS::IAM::Policy")
            .flat_map(|(_, r)| {
                r["Properties"]["PolicyDocument"]["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
            })
            .filter(|s| s["Action"].to_string().contains("ssm:"))
            .collect();
        assert_eq!(ssm.len(), 1, "{stack}: one SSM statement: {ssm:?}");
        assert_eq!(ssm[0]["Action"], action, "{stack}");
        let resource = ssm[0]["Resource"].to_string();
        assert!(
            resource.contains(":parameter/")
                && resource.contains("WebAppStack:ExportsOutputRefMaintenanceRuleParameter")
                && !resource.contains('*'),
            "{stack}: exactly the maintenance rule parameter: {resource}"
        );
    }
}
