//! The simulator on the seed's job nets: every shipped scenario
//! (`app/simulations/`) holds, the polls and retries take the virtual time
//! they should, and the `simulate` command's exit status.

use std::process::ExitCode;

use clap::Parser;
use constructs::aws::stepfunctions::loop_warnings;
use constructs::aws::stepfunctions::simulate::{run_test_case, state_machine_definition, Execution, MockConfig};
use constructs::cli::{run_with, Cli};
use serde_json::{json, Value as Json};

use app::simulations::{Scenarios, SCENARIOS};

use crate::support;

fn definition(s: &Scenarios) -> Json {
    let (_dir, assembly) = if s.examples {
        support::synth_with(&[("examples", json!("true"))], app::build)
    } else {
        support::synth(app::build)
    };
    state_machine_definition(&assembly, s.state_machine).unwrap_or_else(|e| panic!("{e}"))
}

fn config(s: &Scenarios) -> MockConfig {
    let text = std::fs::read_to_string(s.path()).unwrap_or_else(|e| panic!("{}: {e}", s.file));
    MockConfig::parse(&text, s.file).unwrap_or_else(|e| panic!("{e}"))
}

fn scenarios(file: &str) -> &'static Scenarios {
    SCENARIOS
        .iter()
        .find(|s| s.file == file)
        .expect("a shipped scenario file")
}

fn run(file: &str, case: &str) -> Execution {
    let s = scenarios(file);
    let (_, run) = run_test_case(&definition(s), &config(s), s.state_machine, case, None)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    run
}

fn count(run: &Execution, state: &str) -> usize {
    run.path.iter().filter(|p| *p == state).count()
}

#[test]
fn every_shipped_scenario_meets_its_expectations() {
    let mut ran = Vec::new();
    for s in &SCENARIOS {
        let definition = definition(s);
        let config = config(s);
        let key = config
            .state_machine_key(s.state_machine)
            .expect("the file names the machine");
        let cases = config.test_cases(&key);
        assert!(cases.len() >= 2, "{}: a success and a failure case at least", s.file);
        let mut statuses = Vec::new();
        for name in cases {
            let (case, run) = run_test_case(&definition, &config, s.state_machine, name, None)
                .unwrap_or_else(|e| panic!("{} {name}: {e}", s.file));
            assert!(
                !case.expectations.is_empty(),
                "{} {name}: every shipped case states what it expects",
                s.file
            );
            let unmet = run.unmet(&case.expectations);
            assert!(unmet.is_empty(), "{} {name}:\n  {}", s.file, unmet.join("\n  "));
            statuses.push(run.status);
            ran.push(format!("{key}/{name}"));
        }
        assert!(statuses.iter().any(|s| s == "SUCCEEDED"), "{}: a success case", s.file);
        assert!(statuses.iter().any(|s| s == "FAILED"), "{}: a failure case", s.file);
    }
    assert_eq!(ran.len(), 28, "{ran:?}");
}

#[test]
fn the_stop_machine_stops_both_instances_two_at_a_time() {
    let r = run("SystemStopStateMachine.json", "AllHealthy");
    let started = r.history.iter().filter(|e| e.kind == "MapIterationStarted").count();
    assert_eq!(started, 2);
    // One instance: httpd 10 + 10 s, stop 30 s; both at once (MaxConcurrency 2),
    // then the DB backup (2 polls of 60 s, then available: 3 waits) and the stop (2 waits).
    assert_eq!(r.elapsed_seconds, 50.0 + 3.0 * 60.0 + 2.0 * 60.0);
    assert_eq!(r.path.first().map(String::as_str), Some("CreateAlbRuleState"));
}

#[test]
fn run_command_in_progress_is_polled_until_it_succeeds() {
    let r = run("SystemStopStateMachine.json", "RunCommandInProgressThreePolls");
    assert_eq!(r.status, "SUCCEEDED");
    assert_eq!(
        count(&r, "StopHttpdResultState"),
        4,
        "three polls in progress, then success"
    );
    assert_eq!(count(&r, "WaitStopHttpd10Sec"), 4);
}

#[test]
fn a_db_cluster_that_never_reaches_stopped_takes_the_failure_path() {
    let r = run("SystemStopStateMachine.json", "DbClusterNeverStopped");
    assert_eq!(count(&r, "DescribeStatusDbClusterState"), 4);
    assert_eq!(r.final_state.as_deref(), Some("FailedStopDbCluster"));
    assert_eq!(r.error.as_deref(), Some("FailedStopDbCluster"));
    let cause = r.cause.as_deref().unwrap_or_default();
    assert!(
        cause.contains("webappstack-dbcluster15af587f-abcdefghijkl") && cause.contains(r#""Status":"available""#),
        "the cause names the cluster and its last status: {cause}"
    );
}

#[test]
fn the_start_machine_waits_for_a_healthy_target() {
    let r = run("SystemStartStateMachine.json", "TargetUnhealthyThenHealthy");
    assert_eq!(count(&r, "DescribeHealthTargetState"), 4);
    assert_eq!(count(&r, "DeleteAlbRuleState"), 1);
    let healthy = run("SystemStartStateMachine.json", "AllHealthy");
    assert_eq!(
        r.elapsed_seconds - healthy.elapsed_seconds,
        30.0,
        "three more checks, 10 s apart"
    );
}

#[test]
fn command_not_yet_complete_is_retried_on_the_virtual_clock() {
    let r = run("RunPeriodicTasks.json", "CommandSucceeds");
    let failed = r.history.iter().filter(|e| e.kind == "TaskFailed").count();
    assert_eq!(failed, 2);
    assert_eq!(
        r.elapsed_seconds, 20.0,
        "two retries, IntervalSeconds 10, BackoffRate 1.0"
    );
}

#[test]
fn the_parallel_wave_waits_for_its_slowest_service() {
    let r = run("MorningStartup.json", "AllServicesStart");
    assert_eq!(count(&r, "Wait for shop-dev-serviceD"), 1);
    assert_eq!(
        r.elapsed_seconds, 20.0,
        "serviceA's wait, then serviceD's within the wave"
    );
    assert!(r.history.iter().any(|e| e.kind == "ParallelStateSucceeded"));
}

#[test]
fn the_simulate_command_exits_non_zero_when_an_expectation_fails() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("cdk.out").to_string_lossy().into_owned();
    let s = scenarios("DailyAggregation.json");
    let file = s.path().to_string_lossy().into_owned();
    let simulate = |mock: &str, case: &str| {
        let args = [
            "app",
            "-o",
            &out,
            "-c",
            "examples=true",
            "simulate",
            s.state_machine,
            "--mock-config",
            mock,
            "--test-case",
            case,
            "--quiet",
        ];
        run_with(Cli::try_parse_from(args).expect("valid arguments"), &app::build)
    };
    assert_eq!(simulate(&file, "NoInstanceOnline"), ExitCode::SUCCESS);

    let mut broken: Json = serde_json::from_str(&std::fs::read_to_string(s.path()).expect("read")).expect("json");
    broken["Simulations"]["DailyAggregation"]["NoInstanceOnline"]["Expect"]["FinalState"] = json!("CommandSucceeded");
    // A case without expectations must succeed: NoInstanceOnline fails.
    broken["Simulations"]["DailyAggregation"]["RunsOnOneInstance"] = json!({});
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.to_string()).expect("write");
    let bad = bad.to_string_lossy().into_owned();
    assert_eq!(simulate(&bad, "NoInstanceOnline"), ExitCode::FAILURE);
    broken["Simulations"]["DailyAggregation"]["NoInstanceOnline"] = json!({});
    std::fs::write(&bad, broken.to_string()).expect("write");
    assert_eq!(
        simulate(&bad, "NoInstanceOnline"),
        ExitCode::FAILURE,
        "no expectations, and it fails"
    );
    assert_eq!(
        simulate(&bad, "RunsOnOneInstance"),
        ExitCode::SUCCESS,
        "no expectations, and it succeeds"
    );
}

#[test]
fn the_diagram_outlines_the_path_taken() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("cdk.out").to_string_lossy().into_owned();
    let diagram = dir.path().join("stop.mmd");
    let s = scenarios("SystemStopStateMachine.json");
    let file = s.path().to_string_lossy().into_owned();
    let args = [
        "app",
        "-o",
        &out,
        "-c",
        "slack-user-id=U0123456789",
        "simulate",
        s.state_machine,
        "--mock-config",
        &file,
        "--test-case",
        "HttpdWillNotStop",
        "--quiet",
        "--diagram",
        &diagram.to_string_lossy(),
    ];
    assert_eq!(
        run_with(Cli::try_parse_from(args).expect("valid arguments"), &app::build),
        ExitCode::SUCCESS
    );
    let text = std::fs::read_to_string(&diagram).expect("the diagram is written");
    let taken = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("class "))
        .expect("a class line");
    let ids: Vec<&str> = taken.trim_end_matches(" taken").split(',').collect();
    // CreateAlbRuleState, SaveAlbRuleState, the Map, and in it StopHttpd, the
    // count's start, the wait, the result, the count, the choice, FailedStopHttpd.
    assert_eq!(ids.len(), 10, "{taken}");
    let failed = text
        .lines()
        .find(|l| l.contains("([\"FailedStopHttpd<br/>FailedStopHttpd\"])"))
        .expect("the Fail node");
    assert!(
        ids.contains(&failed.trim().split('(').next().unwrap_or_default()),
        "{failed} in {taken}"
    );
}

/// The keys of a JSON document, recursively (an array by its first item).
fn shape(v: &Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(o.iter().map(|(k, x)| (k.clone(), shape(x))).collect()),
        Json::Array(a) => Json::Array(a.first().map(shape).into_iter().collect()),
        Json::String(_) => json!("string"),
        Json::Number(_) => json!("number"),
        other => other.clone(),
    }
}

#[test]
fn the_seed_scenarios_take_the_run_inputs_shape() {
    let (stop, start) = crate::state_machines::run_inputs();
    for (file, wanted) in [
        ("SystemStopStateMachine.json", stop),
        ("SystemStartStateMachine.json", start),
    ] {
        let s = scenarios(file);
        let config = config(s);
        let key = config.state_machine_key(s.state_machine).expect("machine");
        for name in config.test_cases(&key) {
            let case = config.test_case(&key, name).expect("case");
            let input = case.input.unwrap_or_else(|| panic!("{file} {name} has an Input"));
            assert_eq!(shape(&input), shape(&wanted), "{file} {name}: the run input's shape");
        }
    }
}

/// The status and the states entered of a shipped scenario, to compare with a
/// run of the same machine on the local AWS harness.
pub(crate) fn simulated(file: &str, case: &str) -> (String, Vec<String>) {
    let r = run(file, case);
    (r.status, r.path)
}

#[test]
fn every_poll_of_the_seed_is_bounded_and_fails_by_name() {
    // (file, case, the check polled, its limit in polls)
    for (file, case, check, polls) in [
        (
            "SystemStopStateMachine.json",
            "InstanceStuckStopping",
            "DescribeStatusEc2InstanceState",
            30,
        ),
        (
            "SystemStopStateMachine.json",
            "DbClusterStuckBackingUp",
            "IsCompletedBackupDbClusterState",
            60,
        ),
        (
            "SystemStartStateMachine.json",
            "DbClusterNeverAvailable",
            "DescribeStatusDbClusterState",
            60,
        ),
        (
            "SystemStartStateMachine.json",
            "TargetNeverHealthy",
            "DescribeHealthTargetState",
            60,
        ),
    ] {
        let r = run(file, case);
        assert_eq!(r.status, "FAILED", "{case}");
        assert!(
            count(&r, check) >= polls,
            "{case}: {} polls of {check}",
            count(&r, check)
        );
        let error = r.error.as_deref().unwrap_or_default();
        assert!(error.ends_with("TimedOut"), "{case}: {error}");
        let cause = r.cause.as_deref().unwrap_or_default();
        assert!(cause.contains(&format!("after {polls} polls")), "{case}: {cause}");
    }
}

#[test]
fn an_empty_invocation_list_is_polled_again() {
    let r = run("SystemStopStateMachine.json", "EmptyInvocationListIsNotYet");
    let all = run("SystemStopStateMachine.json", "AllHealthy");
    assert_eq!(r.status, "SUCCEEDED");
    assert_eq!(
        count(&r, "StopHttpdResultState"),
        count(&all, "StopHttpdResultState") + 1
    );
}

#[test]
fn one_throttled_call_is_retried_not_fatal() {
    let r = run("SystemStopStateMachine.json", "OneThrottledCall");
    assert_eq!(r.status, "SUCCEEDED");
    let all = run("SystemStopStateMachine.json", "AllHealthy");
    assert!(
        r.elapsed_seconds > all.elapsed_seconds,
        "the retry waited (with jitter)"
    );
}

#[test]
fn the_start_machine_needs_every_target_healthy() {
    let r = run("SystemStartStateMachine.json", "OneOfTwoTargetsUnhealthy");
    assert_eq!(count(&r, "DeleteAlbRuleState"), 0, "the maintenance rule stays");
    let cause = r.cause.as_deref().unwrap_or_default();
    assert!(
        cause.contains(
            r#"{"Id":"i-0fedcba9876543210","Port":80},"HealthCheckPort":"80","TargetHealth":{"State":"unhealthy""#
        ),
        "the cause names the unhealthy target: {cause}"
    );
}

#[test]
fn every_poll_of_the_patterns_is_bounded_and_fails_by_name() {
    // (file, case, the state polled, its limit in looks, the cause names)
    for (file, case, polled, looks, names) in [
        (
            "RunPeriodicTasks.json",
            "CommandNeverCompletes",
            "WaitForCommandExecutions",
            361,
            "the instances tagged Name=test was still not final after 360 polls (3600 s); last look: 1 of 1 invocations still InProgress",
        ),
        (
            "DailyAggregation.json",
            "CommandNeverCompletes",
            "WaitForCommandExecutions",
            361,
            "one instance tagged cron=true was still not final after 360 polls",
        ),
        (
            "MorningStartup.json",
            "ServiceNeverStable",
            "Describe shop-dev-serviceA",
            60,
            "ECS service shop-dev-serviceA of cluster shop-dev-cluster (to reach a running count of 1) still not as expected after 60 polls",
        ),
    ] {
        let r = run(file, case);
        assert_eq!(r.status, "FAILED", "{case}");
        let tries = scheduled(&r, polled);
        let entered = count(&r, polled);
        assert!(
            tries == looks || entered == looks,
            "{case}: {polled} looked at {tries} times (entered {entered}), expected {looks}"
        );
        let cause = r.cause.as_deref().unwrap_or_default();
        assert!(cause.contains(names), "{case}: {cause}");
    }
}

/// How many times the tasks of `state` were scheduled (its retries included).
fn scheduled(run: &Execution, state: &str) -> usize {
    let mut current: Option<&str> = None;
    let mut n = 0;
    for e in &run.history {
        if let Some(name) = e
            .details
            .get("stateEnteredEventDetails")
            .and_then(|d| d["name"].as_str())
        {
            current = Some(name);
        }
        if e.kind == "TaskScheduled" && current == Some(state) {
            n += 1;
        }
    }
    n
}

/// Every state machine the app synthesizes, the seed's and the patterns' examples.
fn every_machine() -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for context in [vec![], vec![("examples", json!("true"))]] {
        let (_dir, assembly) = support::synth_with(&context, app::build);
        for (name, text) in support::definitions(&assembly) {
            let json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            out.push((name, json));
        }
    }
    out
}

#[test]
fn every_loop_of_every_machine_is_bounded_by_a_count_of_polls() {
    let machines = every_machine();
    assert_eq!(
        machines.len(),
        5,
        "{:?}",
        machines.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    for (name, mut def) in machines {
        assert!(
            def["TimeoutSeconds"].as_u64().is_some_and(|t| t > 0),
            "{name}: a machine-level TimeoutSeconds, the last resort"
        );
        assert!(loop_warnings(&def).is_empty(), "{name}: {:?}", loop_warnings(&def));
        // Not only thanks to the timeout: each loop has its own bound.
        if let Some(m) = def.as_object_mut() {
            m.remove("TimeoutSeconds");
        }
        assert!(loop_warnings(&def).is_empty(), "{name}: {:?}", loop_warnings(&def));
    }
}

/// Removes every Choice rule on the count of polls, at any depth.
fn without_bounds(v: &mut Json) {
    match v {
        Json::Object(m) => {
            if let Some(Json::Array(rules)) = m.get_mut("Choices") {
                rules.retain(|r| r["Variable"] != "$.Polls.Count");
            }
            m.values_mut().for_each(without_bounds);
        }
        Json::Array(a) => a.iter_mut().for_each(without_bounds),
        _ => {}
    }
}

#[test]
fn a_hand_built_unbounded_loop_is_reported() {
    let mut looping = Vec::new();
    for (name, mut def) in every_machine() {
        if let Some(m) = def.as_object_mut() {
            m.remove("TimeoutSeconds");
        }
        let mut unbounded = def.clone();
        without_bounds(&mut unbounded);
        if unbounded == def {
            continue; // no loop: the Run Command patterns poll with a retrier
        }
        // The seed's loops as it wrote them: no count, no timeout.
        let warnings = loop_warnings(&unbounded);
        assert!(!warnings.is_empty(), "{name}");
        assert!(
            warnings.iter().all(|w| w.message.contains("has no bound")),
            "{name}: {warnings:?}"
        );
        looping.push(name);
    }
    assert_eq!(
        looping.len(),
        3,
        "the start, stop and startup machines loop: {looping:?}"
    );
}
