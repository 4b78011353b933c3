//! The job-net patterns through their example stacks (`-c examples=true`):
//! snapshots, cfn-lint, our ASL validation and asl-validator, the diagrams,
//! the synth errors each pattern explains, and deploys to the local AWS harness.

use std::fs;

use constructs::assertions::{Annotations, Match, Template};
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

/// The template of one example stack, to assert on.
fn example(stack: &str) -> Template {
    support::app_template(&[("examples", json!("true"))], stack)
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
fn cfn_lint_finds_no_errors_or_warnings() {
    let (_dir, assembly) = synth();
    let templates: Vec<_> = STACKS
        .iter()
        .map(|s| assembly.directory.join(format!("{s}.template.json")))
        .collect();
    let Some(lint) = support::cfn_lint(&templates) else {
        return;
    };
    lint.assert_clean();
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
        let warnings = constructs::aws::stepfunctions::loop_warnings(&json);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
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
    let t = example("ScheduledCommandStack");
    let command = "sudo -u apache bash -c 'cd /var/www/cgi-bin/app && /usr/bin/perl ./tools/run-periodic-tasks'";
    t.has_resource_properties("AWS::Events::Rule", json!({"Targets": [{"Input": "{}"}]}));
    let in_environment = json!({"Environment": {"Variables": {"COMMAND": command}}});
    t.resource_properties_count_is("AWS::Lambda::Function", &in_environment, 1);
    t.has_resource_properties(
        "AWS::Lambda::Function",
        json!({"Handler": "send-command-by-tag", "Environment": {"Variables": {"COMMAND": command}}}),
    );
    let text = serde_json::to_string(t.to_json()).expect("json");
    assert_eq!(
        text.matches("run-periodic-tasks'").count(),
        1,
        "only in the environment"
    );
}

#[test]
fn the_startup_role_may_touch_the_declared_services_only() {
    let t = example("OrderedServiceStartupStack");
    let text = serde_json::to_string(t.to_json()).expect("json");
    assert!(!text.contains("lambda:"), "no Lambda in the start-up");
    let service = |s: &str| json!({"Fn::Join": ["", Match::array_with(json!([format!(":service/shop-dev-cluster/shop-dev-service{s}")]))]});
    let declared = json!(["A", "B", "C", "D", "E"].map(service));
    for action in ["ecs:DescribeServices", "ecs:UpdateService"] {
        // Granted on the five services, and on nothing else in any statement.
        t.has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": Match::array_with(json!([{"Action": action, "Resource": declared}]))}}),
        );
        t.all_resources_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": Match::not(Match::array_with(json!([
                {"Action": action, "Resource": Match::not(&declared)}
            ])))}}),
        );
    }
}

/// The annotations of an app with one pattern built by `build` (the handlers a stand-in zip).
fn annotations(build: impl Fn(&Stack, &Code)) -> Annotations {
    let dir = tempfile::tempdir().expect("dir");
    let zip = dir.path().join("handlers.zip");
    fs::write(&zip, b"stand-in").expect("zip");
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    build(&stack, &Code::from_zip_file(zip));
    Annotations::from_stack(&stack)
}

#[test]
fn a_dependency_cycle_is_a_synth_error_naming_the_services() {
    let annotations = annotations(|stack, _| {
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
    assert_eq!(annotations.all().len(), 2, "{annotations:?}");
    annotations.has_error(
        "Jobs/Startup",
        Match::string_like_regexp(
            r"^dependency cycle api -> worker -> api \(each service depends on the next\): none of them could ever start",
        ),
    );
    // Reported together with the unknown dependency.
    annotations.has_error(
        "Jobs/Startup",
        Match::string_like_regexp("^service 'web' depends on 'cache', which is not declared"),
    );
}

#[test]
fn command_patterns_explain_their_synth_errors() {
    let annotations = annotations(|stack, code| {
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
    annotations.has_error(
        "Jobs/Nightly",
        Match::string_like_regexp(
            "^the command 'mysqldump.*Run Command documents cannot resolve SecureString parameters",
        ),
    );
    annotations.has_error(
        "Jobs/Nightly/Schedule",
        Match::string_like_regexp(r"^cron 'cron\(0 18 \* \* MON-FRI \*\)': exactly one of day-of-month"),
    );
    annotations.has_error(
        "Jobs/OneOfFleet",
        Match::string_like_regexp("^target_tag_values is empty"),
    );
}

#[test]
fn the_maintenance_window_command_explains_an_s3_path() {
    let annotations = annotations(|stack, _| {
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
    annotations.has_error(
        "Jobs/Maintenance",
        Match::string_like_regexp("^object_url 's3://maintenance-scripts/maintenance.sh' is an s3:// path"),
    );
}

// --- Deploys to the local AWS harness ---------------------------------------------------------
//
// Each example deploys alone into a region of its own (the example stacks have fixed names),
// then its job net runs once where the harness can run it, then it is destroyed. The harness
// runs state machines for real (Choice, Parallel, Wait in real time, Retry, Catch; sns:publish
// and aws-sdk tasks call the harness's own services); Lambda invocations answer with queued
// results (a function error cannot be produced, so the failure paths are checked statically).

mod deploy {
    use std::time::Duration;

    use constructs::core::{CfnResource, Value};
    use constructs::deploy::{
        ConnectOptions, DeployOptions, Deployer, DestroyOptions, RequireApproval, Selection, StackOutcome, StackResult,
    };
    use serde_json::{json, Value as Json};

    use super::STACKS;
    use crate::support;

    async fn deployer(region: &str) -> Deployer {
        let d = Deployer::connect(ConnectOptions {
            region: Some(region.to_owned()),
            poll_interval: Some(Duration::from_millis(50)),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
        d
    }

    fn selection(stacks: &[&str]) -> Selection {
        Selection {
            stacks: stacks.iter().map(|s| (*s).to_owned()).collect(),
            exclusively: true,
            ..Default::default()
        }
    }

    /// Deploys `stacks` of the assembly (a second deploy must change nothing), and returns
    /// each stack's resource types and outputs as the harness's CloudFormation reports them.
    async fn deploy(
        d: &Deployer,
        assembly: &constructs::core::CloudAssembly,
        stacks: &[&str],
        region: &str,
    ) -> Vec<(Vec<String>, Vec<(String, String)>)> {
        let options = DeployOptions {
            selection: selection(stacks),
            require_approval: RequireApproval::Never,
            quiet: true,
            ..Default::default()
        };
        let report = d.deploy(assembly, &options).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_success(), "{report}");
        let again = d.deploy(assembly, &options).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            again
                .stacks
                .iter()
                .all(|s| matches!(&s.result, StackResult::Done(d) if d.outcome == StackOutcome::Unchanged)),
            "{again}"
        );
        let config = constructs::deploy::config_loader()
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        let cfn = aws_sdk_cloudformation::Client::new(&config);
        let mut out = Vec::new();
        for stack in stacks {
            let resources = cfn
                .describe_stack_resources()
                .stack_name(*stack)
                .send()
                .await
                .expect("DescribeStackResources");
            let types = resources
                .stack_resources()
                .iter()
                .map(|r| r.resource_type().unwrap_or_default().to_owned())
                .collect();
            let described = cfn
                .describe_stacks()
                .stack_name(*stack)
                .send()
                .await
                .expect("DescribeStacks");
            let outputs = described
                .stacks()
                .first()
                .map(|s| {
                    s.outputs()
                        .iter()
                        .map(|o| {
                            (
                                o.output_key().unwrap_or_default().to_owned(),
                                o.output_value().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((types, outputs));
        }
        out
    }

    async fn destroy(d: &Deployer, assembly: &constructs::core::CloudAssembly, stacks: &[&str]) {
        let report = d
            .destroy(
                assembly,
                &DestroyOptions {
                    selection: selection(stacks),
                    force: true,
                    quiet: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_success(), "{report}");
    }

    fn count(types: &[String], ty: &str) -> usize {
        types.iter().filter(|t| *t == ty).count()
    }

    /// Starts an execution with input `{}` (what the schedule sends) and waits until it ends;
    /// returns its description and the names of the states it went through, in order.
    fn run(endpoint: &str, region: &str, machine: &str, limit: Duration) -> (Json, Vec<String>) {
        support::execute(endpoint, region, machine, &json!({}), limit)
    }

    /// Queues results for the next Lambda invocations of the region (the harness answers in order).
    fn queue_lambda_results(endpoint: &str, region: &str, results: &[Json]) {
        let results: Vec<String> = results.iter().map(Json::to_string).collect();
        support::harness_post(
            endpoint,
            "/moto-api/static/lambda-simple/response",
            region,
            "lambda",
            None,
            &json!({ "results": results, "region": region }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    fn examples() -> (tempfile::TempDir, constructs::core::CloudAssembly) {
        let (dir, assembly) = super::synth();
        assert_eq!(assembly.synthesis.stacks.len(), STACKS.len());
        (dir, assembly)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_scheduled_command_example_deploys_and_its_job_net_sends_polls_and_notifies() {
        let Some(endpoint) = support::harness_endpoint() else {
            return;
        };
        let (region, stack) = ("us-east-2", "ScheduledCommandStack");
        let d = deployer(region).await;
        let (_dir, assembly) = examples();
        let deployed = deploy(&d, &assembly, &[stack], region).await;
        let (types, outputs) = &deployed[0];
        assert_eq!(count(types, "AWS::Lambda::Function"), 2, "{types:?}");
        assert_eq!(count(types, "AWS::StepFunctions::StateMachine"), 1, "{types:?}");
        assert_eq!(count(types, "AWS::Events::Rule"), 1, "{types:?}");
        assert_eq!(count(types, "AWS::SNS::Topic"), 2, "{types:?}");
        assert!(
            outputs
                .iter()
                .any(|(k, v)| k == "CommandExecutionFailedTopicArn" && v.starts_with("arn:aws:sns:us-east-2:")),
            "{outputs:?}"
        );

        let machine = support::machine_arn(&endpoint, region, "RunPeriodicTasksStateMachine");
        queue_lambda_results(
            &endpoint,
            region,
            &[
                json!({ "Command": { "CommandId": "0b9f1f6c-demo", "Status": "Pending" } }),
                json!({ "CommandId": "0b9f1f6c-demo", "Status": "Success" }),
            ],
        );
        let (execution, states) = run(&endpoint, region, &machine, Duration::from_secs(60));
        assert_eq!(execution["status"], "SUCCEEDED", "{execution}\n{states:?}");
        assert_eq!(states, ["SendCommand", "WaitForCommandExecutions", "NotifySuccess"]);
        // The simulator's scenario (with two CommandNotYetComplete retries the harness cannot
        // produce: retries enter no state) takes the same path to the same end.
        let (status, path) = crate::simulate::simulated("RunPeriodicTasks.json", "CommandSucceeds");
        assert_eq!((execution["status"].as_str(), &states), (Some(status.as_str()), &path));
        destroy(&d, &assembly, &[stack]).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_run_on_one_instance_example_deploys_and_a_fleet_without_an_online_instance_is_notified() {
        let Some(endpoint) = support::harness_endpoint() else {
            return;
        };
        let (region, stack) = ("ap-northeast-1", "RunOnOneInstanceStack");
        let d = deployer(region).await;
        let (_dir, assembly) = examples();
        let deployed = deploy(&d, &assembly, &[stack], region).await;
        let (types, outputs) = &deployed[0];
        assert_eq!(count(types, "AWS::Lambda::Function"), 2, "{types:?}");
        // Three roles for the functions and the notification, one each for the machine and the rule.
        assert_eq!(count(types, "AWS::IAM::Role"), 5, "{types:?}");
        assert!(outputs.iter().any(|(k, _)| k == "NotificationTopicArn"), "{outputs:?}");

        // The harness has no instance online (its SSM lacks DescribeInstanceInformation,
        // which the Catch takes the same way): nothing is sent, the topic hears of it.
        let machine = support::machine_arn(&endpoint, region, "DailyAggregationStateMachine");
        let (execution, states) = run(&endpoint, region, &machine, Duration::from_secs(60));
        assert_eq!(execution["status"], "FAILED", "{execution}");
        assert_eq!(
            states,
            ["SelectInstance", "NotifyNotSent", "CommandNotSent"],
            "{execution}"
        );
        let (status, path) = crate::simulate::simulated("DailyAggregation.json", "SelectInstanceFails");
        assert_eq!((execution["status"].as_str(), &states), (Some(status.as_str()), &path));
        destroy(&d, &assembly, &[stack]).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_ordered_startup_example_deploys_and_starts_the_services_in_order() {
        let Some(endpoint) = support::harness_endpoint() else {
            return;
        };
        let region = "ap-northeast-3";
        let d = deployer(region).await;
        // The cluster and its five services at zero tasks, in a stack of their own.
        let cluster = "shop-dev-cluster";
        let services = ["A", "B", "C", "D", "E"].map(|s| format!("shop-dev-service{s}"));
        let (_dir, assembly) = support::synth(|app| {
            let fixture = constructs::core::Stack::new(app, "ShopDevCluster", Default::default());
            let c = CfnResource::new(&fixture, "Cluster", "AWS::ECS::Cluster");
            c.set("ClusterName", cluster);
            let task = CfnResource::new(&fixture, "TaskDefinition", "AWS::ECS::TaskDefinition");
            task.set("Family", "shop-dev");
            task.set(
                "ContainerDefinitions",
                Value::from_json(
                    json!([{ "Name": "app", "Image": "public.ecr.aws/nginx/nginx:latest", "Memory": 128 }]),
                ),
            );
            for (i, name) in services.iter().enumerate() {
                let s = CfnResource::new(&fixture, &format!("Service{i}"), "AWS::ECS::Service");
                s.set("ServiceName", name.as_str());
                s.set("Cluster", c.ref_());
                s.set("TaskDefinition", task.ref_());
                s.set("DesiredCount", 0);
            }
            app::examples::ordered_service_startup_stack::OrderedServiceStartupStack::new(
                app,
                "OrderedServiceStartupStack",
                app::examples::ordered_service_startup_stack::OrderedServiceStartupStackProps::default(),
            );
        });
        let stacks = ["ShopDevCluster", "OrderedServiceStartupStack"];
        let deployed = deploy(&d, &assembly, &stacks, region).await;
        let (types, _) = &deployed[1];
        assert_eq!(count(types, "AWS::StepFunctions::StateMachine"), 1, "{types:?}");
        assert_eq!(count(types, "AWS::Lambda::Function"), 0, "{types:?}");

        let machine = support::machine_arn(&endpoint, region, "MorningStartupStateMachine");
        // Three waves, each waiting 10 s once (the harness runs a service at once when scaled).
        let (execution, states) = run(&endpoint, region, &machine, Duration::from_secs(120));
        assert_eq!(execution["status"], "SUCCEEDED", "{execution}\n{states:?}");
        // The simulator runs the wave's branches one after another, the harness interleaves
        // them: the same states, in another order.
        let (status, mut path) = crate::simulate::simulated("MorningStartup.json", "AllServicesFromZero");
        let mut sorted = states.clone();
        sorted.sort();
        path.sort();
        assert_eq!((execution["status"].as_str(), &sorted), (Some(status.as_str()), &path));
        let position = |state: &str| {
            states
                .iter()
                .position(|s| s == state)
                .unwrap_or_else(|| panic!("{state} not in {states:?}"))
        };
        assert!(position("Notice shop-dev-serviceA started") < position("Start shop-dev-serviceB"));
        assert!(position("Notice shop-dev-serviceB started") < position("Start wave 3"));
        for s in ["C", "D", "E"] {
            assert!(position("Start wave 3") < position(&format!("Start shop-dev-service{s}")));
        }
        let described = support::harness_post(
            &endpoint,
            "/",
            region,
            "ecs",
            Some("AmazonEC2ContainerServiceV20141113.DescribeServices"),
            &json!({ "cluster": cluster, "services": services }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let desired: Vec<(String, u64)> = described["services"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["serviceName"].as_str().unwrap_or_default().to_owned(),
                    s["desiredCount"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        let expected: Vec<(String, u64)> = services.iter().cloned().zip([1, 3, 1, 7, 1]).collect();
        assert_eq!(desired, expected);
        destroy(&d, &assembly, &stacks).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_maintenance_window_command_example_deploys() {
        if support::harness_endpoint().is_none() {
            return;
        }
        let (region, stack) = ("sa-east-1", "MaintenanceWindowCommandStack");
        let d = deployer(region).await;
        let (_dir, assembly) = examples();
        let deployed = deploy(&d, &assembly, &[stack], region).await;
        let (types, outputs) = &deployed[0];
        for ty in [
            "AWS::SSM::MaintenanceWindow",
            "AWS::SSM::MaintenanceWindowTarget",
            "AWS::SSM::MaintenanceWindowTask",
            "AWS::SNS::Topic",
        ] {
            assert_eq!(count(types, ty), 1, "{ty} in {types:?}");
        }
        assert!(
            outputs.iter().any(|(k, _)| k == "MaintenanceNoticeTopicArn"),
            "{outputs:?}"
        );
        destroy(&d, &assembly, &[stack]).await;
    }
}
