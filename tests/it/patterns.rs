//! The job-net patterns through their example stacks (`-c examples=true`):
//! snapshots, cfn-lint, our ASL validation and asl-validator, the diagrams,
//! the synth errors each pattern explains, and deploys to the local AWS harness.

use std::fs;

use constructs::aws::events::{RateUnit, Schedule};
use constructs::aws::lambda::Code;
use constructs::core::{App, Stack, StackProps};
use constructs::patterns::{
    EcsServiceStart, MaintenanceScript, MaintenanceWindowCommand, MaintenanceWindowCommandProps, OrderedServiceStartup,
    OrderedServiceStartupProps, RunOnOneInstance, RunOnOneInstanceProps, ScheduledCommand, ScheduledCommandProps,
};
use serde_json::{json, Value as Json};

use crate::support::{self, definitions};

const STACKS: [&str; 4] = [
    "ScheduledCommandStack",
    "RunOnOneInstanceStack",
    "OrderedServiceStartupStack",
    "MaintenanceWindowCommandStack",
];

/// The app as `cargo run -p app -- -c examples=true synth` builds it (bundling skipped).
fn synth() -> (tempfile::TempDir, constructs::core::CloudAssembly) {
    support::synth_with(&[("examples", json!("true"))], app::build)
}

fn template<'a>(assembly: &'a constructs::core::CloudAssembly, stack: &str) -> &'a Json {
    &assembly
        .stack(stack)
        .unwrap_or_else(|| panic!("the app has no stack {stack}"))
        .template
}

fn resources_of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    t["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

#[test]
fn the_flag_selects_the_examples_and_the_default_stays_the_seed_app() {
    let (_dir, examples) = synth();
    let ids: Vec<&str> = examples
        .synthesis
        .stacks
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect();
    assert_eq!(ids, STACKS);
    let (_dir, seed) = support::synth(app::build);
    for s in &seed.synthesis.stacks {
        assert!(!STACKS.contains(&s.artifact_id.as_str()), "{}", s.artifact_id);
    }
    assert!(seed.stack("LambdaFunctionsStack").is_some());
}

#[test]
fn templates_match_the_snapshots() {
    let (_dir, assembly) = synth();
    for stack in STACKS {
        insta::assert_json_snapshot!(stack, template(&assembly, stack));
    }
}

#[test]
fn cfn_lint_finds_no_errors() {
    let (_dir, assembly) = synth();
    let templates: Vec<_> = STACKS
        .iter()
        .map(|s| assembly.directory.join(format!("{s}.template.json")))
        .collect();
    let Some(lint) = support::cfn_lint(&templates) else {
        return;
    };
    assert!(lint.errors.is_empty(), "cfn-lint errors:\n{}", lint.output);
}

#[test]
fn every_definition_passes_our_validator_and_asl_validator() {
    let (dir, assembly) = synth();
    let defs = definitions(&assembly);
    assert_eq!(defs.len(), 3, "{defs:?}");
    for (name, text) in &defs {
        let json: Json = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        let errors = constructs::aws::stepfunctions::validate_definition(&json);
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let Some(rejected) = support::asl_validator_rejections(dir.path(), &defs) else {
        return;
    };
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

#[test]
fn each_state_machine_is_drawn_into_the_assembly() {
    let (_dir, assembly) = synth();
    for (stack, path) in [
        ("ScheduledCommandStack", "RunPeriodicTasks.StateMachine"),
        ("RunOnOneInstanceStack", "DailyAggregation.StateMachine"),
        ("OrderedServiceStartupStack", "MorningStartup.StateMachine"),
    ] {
        let file = assembly.directory.join(format!("{stack}.{path}.mmd"));
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(text.contains("flowchart TD"), "{text}");
    }
}

#[test]
fn the_scheduled_command_is_never_in_an_event() {
    let (_dir, assembly) = synth();
    let t = template(&assembly, "ScheduledCommandStack");
    let command = "sudo -u apache bash -c 'cd /var/www/cgi-bin/app && /usr/bin/perl ./tools/run-periodic-tasks'";
    let (_, rule) = resources_of_type(t, "AWS::Events::Rule")[0];
    assert_eq!(rule["Properties"]["Targets"][0]["Input"], "{}");
    let senders: Vec<_> = resources_of_type(t, "AWS::Lambda::Function")
        .into_iter()
        .filter(|(_, f)| f["Properties"]["Environment"]["Variables"]["COMMAND"] == command)
        .collect();
    assert_eq!(senders.len(), 1);
    assert_eq!(senders[0].1["Properties"]["Handler"], "send-command-by-tag");
    let text = serde_json::to_string(t).expect("json");
    assert_eq!(
        text.matches("run-periodic-tasks'").count(),
        1,
        "only in the environment"
    );
}

#[test]
fn the_startup_role_may_touch_the_declared_services_only() {
    let (_dir, assembly) = synth();
    let t = template(&assembly, "OrderedServiceStartupStack");
    let text = serde_json::to_string(t).expect("json");
    assert!(!text.contains("lambda:"), "no Lambda in the start-up");
    for (_, policy) in resources_of_type(t, "AWS::IAM::Policy") {
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if s["Action"] == "ecs:DescribeServices" || s["Action"] == "ecs:UpdateService" {
                let resources = s["Resource"].as_array().expect("a list");
                assert_eq!(resources.len(), 5, "{s}");
                assert!(resources
                    .iter()
                    .all(|r| r.to_string().contains(":service/shop-dev-cluster/shop-dev-service")));
            }
        }
    }
}

/// The errors of synthesizing an app with one pattern built by `build`.
fn synth_errors(build: impl Fn(&Stack, &Code)) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let zip = dir.path().join("handlers.zip");
    fs::write(&zip, b"stand-in").expect("zip");
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    build(&stack, &Code::from_zip_file(zip));
    app.synth().err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn a_dependency_cycle_is_a_synth_error_naming_the_services() {
    let err = synth_errors(|stack, _| {
        OrderedServiceStartup::new(
            stack,
            "Startup",
            OrderedServiceStartupProps {
                cluster_name: "shop-dev-cluster".into(),
                services: vec![
                    EcsServiceStart::new("proxy", 1),
                    EcsServiceStart::new("api", 2).after(["proxy", "worker"]),
                    EcsServiceStart::new("worker", 1).after(["api"]),
                    EcsServiceStart::new("web", 2).after(["api", "cache"]),
                ],
                ..Default::default()
            },
        );
    });
    assert!(err.contains("synthesis failed with 2 errors"), "{err}");
    assert!(
        err.contains("Jobs/Startup: dependency cycle api -> worker -> api (each service depends on the next): none of them could ever start"),
        "{err}"
    );
    // Reported together with the unknown dependency.
    assert!(
        err.contains("Jobs/Startup: service 'web' depends on 'cache', which is not declared"),
        "{err}"
    );
}

#[test]
fn command_patterns_explain_their_synth_errors() {
    let err = synth_errors(|stack, code| {
        ScheduledCommand::new(
            stack,
            "Nightly",
            ScheduledCommandProps {
                schedule: Schedule::parse("cron(0 18 * * MON-FRI *)"),
                command: "mysqldump -p{{ssm-secure:/db/password}} app > /backup/app.sql".into(),
                target_tag_key: "Role".into(),
                target_tag_values: vec!["db".into()],
                code: code.clone(),
                ..Default::default()
            },
        );
        RunOnOneInstance::new(
            stack,
            "OneOfFleet",
            RunOnOneInstanceProps {
                schedule: Schedule::rate(1, RateUnit::Hours),
                command: "uptime".into(),
                target_tag_key: "cron".into(),
                code: code.clone(),
                ..Default::default()
            },
        );
    });
    assert!(err.contains("Jobs/Nightly: the command 'mysqldump"), "{err}");
    assert!(
        err.contains("Run Command documents cannot resolve SecureString parameters"),
        "{err}"
    );
    assert!(
        err.contains("Jobs/Nightly/Schedule: cron 'cron(0 18 * * MON-FRI *)': exactly one of day-of-month"),
        "{err}"
    );
    assert!(err.contains("Jobs/OneOfFleet: target_tag_values is empty"), "{err}");
}

#[test]
fn the_maintenance_window_command_explains_an_s3_path() {
    let err = synth_errors(|stack, _| {
        MaintenanceWindowCommand::new(
            stack,
            "Maintenance",
            MaintenanceWindowCommandProps {
                schedule: "cron(0 */5 * * ? *)".into(),
                target_tag_key: "MaintenanceTarget".into(),
                target_tag_values: vec!["true".into()],
                script: MaintenanceScript::RemoteS3 {
                    object_url: "s3://maintenance-scripts/maintenance.sh".into(),
                    command_line: vec!["maintenance.sh".into()],
                    execution_timeout_seconds: 3600,
                },
                ..Default::default()
            },
        );
    });
    assert!(
        err.contains("Jobs/Maintenance: object_url 's3://maintenance-scripts/maintenance.sh' is an s3:// path"),
        "{err}"
    );
}
