//! Operating deployed state machines: `run` starts an execution and follows
//! it state by state; `executions` lists the recent ones.
//!
//! A machine is named by its construct path, as `synth` and `simulate` name
//! it; its ARN is its stack's resource (`DescribeStackResource`). Without an
//! input file, `run` takes the machine's run input (see
//! [`StateMachine::set_run_input`](crate::aws::stepfunctions::StateMachine::set_run_input)):
//! the stack output its resource's metadata names, as CloudFormation resolved
//! it. The Step Functions calls (`StartExecution`, `DescribeExecution`,
//! `GetExecutionHistory`, `ListExecutions`) are single signed JSON calls, as
//! the context lookups make theirs: aws-sdk-sfn would add a service crate to
//! the build for four calls.

use std::fmt;
use std::time::Duration;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use serde_json::{json, Value as Json};

use super::aws::Clients;
use super::error::DeployError;
use super::lookup::{service_endpoint, signed_post, SignedCall};
use crate::aws::stepfunctions::RUN_INPUT_METADATA_KEY;
use crate::core::CloudAssembly;

/// A state machine of the assembly: where it is and what `run` starts it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineRef {
    /// The construct path, e.g. `WebAppStopStateMachineStack/SystemStopStateMachine`.
    pub path: String,
    /// The deployed name of its stack.
    pub stack_name: String,
    /// The machine's logical id in its stack.
    pub logical_id: String,
    /// The output holding its run input, if it has one.
    pub run_input_output: Option<OutputRef>,
}

/// A stack output: the stack's deployed name and the output's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputRef {
    /// The deployed name of the stack holding the output.
    pub stack_name: String,
    /// The output's key (its logical id).
    pub output_key: String,
}

/// Finds the state machine at construct path `path` in the assembly; the
/// error lists the machines there are.
pub fn find_state_machine(assembly: &CloudAssembly, path: &str) -> Result<MachineRef, DeployError> {
    let path = path.trim_end_matches('/');
    let resource_path = format!("{path}/Resource");
    let mut known = Vec::new();
    for stack in &assembly.synthesis.stacks {
        let resources = stack.template["Resources"].as_object().into_iter().flatten();
        for (logical_id, resource) in resources {
            if resource["Type"] != "AWS::StepFunctions::StateMachine" {
                continue;
            }
            let at = resource["Metadata"]["aws:cdk:path"].as_str().unwrap_or_default();
            if at == resource_path {
                return Ok(MachineRef {
                    path: path.to_owned(),
                    stack_name: stack.stack_name.clone(),
                    logical_id: logical_id.clone(),
                    run_input_output: output_ref(&resource["Metadata"][RUN_INPUT_METADATA_KEY]),
                });
            }
            known.push(at.trim_end_matches("/Resource").to_owned());
        }
    }
    Err(DeployError::UnknownStateMachine {
        path: path.to_owned(),
        known: if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        },
    })
}

/// The output a machine's run-input metadata names (`{"StackName", "OutputKey"}`).
fn output_ref(metadata: &Json) -> Option<OutputRef> {
    Some(OutputRef {
        stack_name: metadata["StackName"].as_str()?.to_owned(),
        output_key: metadata["OutputKey"].as_str()?.to_owned(),
    })
}

/// How an execution ended, and what `run` printed on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// The machine's construct path.
    pub path: String,
    /// The execution's ARN.
    pub execution_arn: String,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// The execution's output (JSON text), when it succeeded.
    pub output: Option<String>,
    /// The error, when it failed.
    pub error: Option<String>,
    /// The cause, when it failed.
    pub cause: Option<String>,
    /// The state the execution was in when it failed.
    pub failed_state: Option<String>,
    /// One line per state entered and exited, and per failure, in order.
    pub progress: Vec<String>,
    /// The execution in the Step Functions console.
    pub console_url: String,
}

impl RunReport {
    /// True when the execution succeeded.
    pub fn is_success(&self) -> bool {
        self.status == "SUCCEEDED"
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.path, self.status)?;
        if let Some(state) = &self.failed_state {
            writeln!(f, "  failed in: {state}")?;
        }
        if let Some(error) = &self.error {
            writeln!(f, "  error: {error}")?;
        }
        if let Some(cause) = &self.cause {
            writeln!(f, "  cause: {cause}")?;
        }
        writeln!(f, "  execution: {}", self.execution_arn)?;
        writeln!(f, "  console: {}", self.console_url)
    }
}

/// The Step Functions console page of an execution.
pub fn console_url(region: &str, execution_arn: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"
    )
}

/// What an execution's history says so far: a line per state entered and
/// exited and per failure, and the state a failure happened in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The lines, in order.
    pub lines: Vec<String>,
    /// The last state entered, and not exited.
    pub current_state: Option<String>,
}

/// Seconds since the epoch of an event's `timestamp` (the JSON API gives a number).
fn seconds(event: &Json) -> f64 {
    event["timestamp"].as_f64().unwrap_or_default()
}

/// Turns history events (as `GetExecutionHistory` answers them, oldest
/// first) into progress lines; `start` is the execution's start, for the
/// elapsed time each line shows.
pub fn progress_lines(events: &[Json], start: f64, progress: &mut Progress) {
    for event in events {
        let kind = event["type"].as_str().unwrap_or_default();
        let at = (seconds(event) - start).max(0.0);
        let stamp = format!("[{:>6.1}s]", at);
        if let Some(state) = kind.strip_suffix("StateEntered") {
            let name = event["stateEnteredEventDetails"]["name"].as_str().unwrap_or_default();
            progress.lines.push(format!("{stamp} → {name} ({state})"));
            progress.current_state = Some(name.to_owned());
        } else if kind.ends_with("StateExited") {
            let name = event["stateExitedEventDetails"]["name"].as_str().unwrap_or_default();
            progress.lines.push(format!("{stamp} ✓ {name}"));
            if progress.current_state.as_deref() == Some(name) {
                progress.current_state = None;
            }
        } else if kind.ends_with("Failed") || kind.ends_with("TimedOut") || kind == "ExecutionAborted" {
            let details = event
                .as_object()
                .into_iter()
                .flatten()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let error = details["error"].as_str().unwrap_or(kind);
            let cause = details["cause"].as_str().unwrap_or_default();
            let within = progress
                .current_state
                .as_deref()
                .map(|s| format!(" in {s}"))
                .unwrap_or_default();
            progress.lines.push(if cause.is_empty() {
                format!("{stamp} ✗ {kind}{within}: {error}")
            } else {
                format!("{stamp} ✗ {kind}{within}: {error}: {cause}")
            });
        }
    }
}

/// One call of the Step Functions JSON API; the answer's JSON, or the
/// service's error classified.
async fn states_call(c: &Clients, operation: &'static str, resource: &str, body: Json) -> Result<Json, DeployError> {
    let action = operation.trim_start_matches("StepFunctions.");
    let target = format!("AWSStepFunctions.{action}");
    let (status, text) = signed_post(
        c,
        &SignedCall {
            call: operation,
            service: "states",
            region: &c.region,
            endpoint: service_endpoint(c, "states", &c.region),
            content_type: "application/x-amz-json-1.0",
            target: Some(&target),
            body: body.to_string(),
        },
    )
    .await
    .map_err(|message| DeployError::Aws {
        stack: None,
        operation,
        message,
    })?;
    if !(200..300).contains(&status) {
        return Err(DeployError::from_json_answer(operation, Some(resource), status, &text));
    }
    serde_json::from_str(&text).map_err(|e| DeployError::Aws {
        stack: None,
        operation,
        message: format!("the answer is not JSON ({e})"),
    })
}

/// The outputs of `stack_name`, which `machine` needs deployed.
async fn stack_outputs(
    c: &Clients,
    machine: &MachineRef,
    stack_name: &str,
) -> Result<Vec<(String, String)>, DeployError> {
    let not_deployed = |detail: String| DeployError::StateMachineNotDeployed {
        path: machine.path.clone(),
        stack: stack_name.to_owned(),
        detail,
    };
    let stacks = match c.cfn.describe_stacks().stack_name(stack_name).send().await {
        Ok(s) => s,
        Err(e) => {
            let text = format!("{} {}", e.message().unwrap_or_default(), super::error::causes(&e));
            if text.contains("does not exist") {
                return Err(not_deployed(format!("the stack {stack_name} does not exist")));
            }
            return Err(DeployError::aws("CloudFormation.DescribeStacks", Some(stack_name), &e));
        }
    };
    let stack = stacks
        .stacks()
        .first()
        .cloned()
        .ok_or_else(|| not_deployed(format!("the stack {stack_name} does not exist")))?;
    let status = stack.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
    if status.starts_with("REVIEW_IN_PROGRESS") || status == "ROLLBACK_COMPLETE" || status.starts_with("DELETE_") {
        return Err(not_deployed(format!("the stack {stack_name} is {status}")));
    }
    Ok(stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect())
}

/// The deployed ARN of the machine, and its stack's outputs.
async fn deployed(c: &Clients, machine: &MachineRef) -> Result<(String, Vec<(String, String)>), DeployError> {
    let not_deployed = |detail: String| DeployError::StateMachineNotDeployed {
        path: machine.path.clone(),
        stack: machine.stack_name.clone(),
        detail,
    };
    let outputs = stack_outputs(c, machine, &machine.stack_name).await?;
    let resource = c
        .cfn
        .describe_stack_resource()
        .stack_name(&machine.stack_name)
        .logical_resource_id(&machine.logical_id)
        .send()
        .await
        .map_err(|e| {
            let text = format!("{} {}", e.message().unwrap_or_default(), super::error::causes(&e));
            if text.contains("does not exist") || text.contains("not found") {
                not_deployed(format!(
                    "the stack {} has no resource {} (the deployed template is older than the app)",
                    machine.stack_name, machine.logical_id
                ))
            } else {
                DeployError::aws("CloudFormation.DescribeStackResource", Some(&machine.stack_name), &e)
            }
        })?;
    let arn = resource
        .stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .filter(|id| id.starts_with("arn:"))
        .map(str::to_owned)
        .ok_or_else(|| {
            not_deployed(format!(
                "the stack {} has not created the state machine {}",
                machine.stack_name, machine.logical_id
            ))
        })?;
    Ok((arn, outputs))
}

/// The execution input: `input` when given, else the machine's run input
/// from its stack's outputs, else `{}`.
fn execution_input(
    machine: &MachineRef,
    input: Option<&Json>,
    outputs: &[(String, String)],
) -> Result<Json, DeployError> {
    if let Some(input) = input {
        return Ok(input.clone());
    }
    let Some(OutputRef {
        stack_name,
        output_key: key,
    }) = &machine.run_input_output
    else {
        return Ok(json!({}));
    };
    let failed = |message: String| DeployError::ExecutionInput {
        path: machine.path.clone(),
        message,
    };
    let (_, text) = outputs.iter().find(|(k, _)| k == key).ok_or_else(|| {
        failed(format!(
            "the stack {stack_name} has no output {key} (its run input): deploy it again (`deploy {stack_name}`), \
             or give the input with --input FILE"
        ))
    })?;
    serde_json::from_str(text).map_err(|e| {
        failed(format!(
            "the run input in output {key} of {stack_name} is not JSON ({e}): a reference in it resolves to text \
             that needs escaping; give the input with --input FILE"
        ))
    })
}

/// The history events of an execution after event id `after`, oldest
/// first. Read newest first (`reverseOrder`), page by page, until a page
/// reaches an event seen before, so a long execution is not read again from
/// its start at every poll; an answer in the other order (the local harness
/// ignores `reverseOrder`) is sorted by id all the same.
async fn events_after(c: &Clients, execution_arn: &str, after: i64) -> Result<Vec<Json>, DeployError> {
    let mut new = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"executionArn": execution_arn, "maxResults": 200, "reverseOrder": true});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = states_call(c, "StepFunctions.GetExecutionHistory", execution_arn, body).await?;
        let mut reached_seen = false;
        for event in page["events"].as_array().into_iter().flatten() {
            if event["id"].as_i64().unwrap_or_default() > after {
                new.push(event.clone());
            } else {
                reached_seen = true;
            }
        }
        match page["nextToken"].as_str() {
            Some(t) if !t.is_empty() && !reached_seen => token = Some(t.to_owned()),
            _ => {
                new.sort_by_key(|e| e["id"].as_i64().unwrap_or_default());
                return Ok(new);
            }
        }
    }
}

/// Starts an execution of `machine` and follows it until it ends, calling
/// `on_line` with each progress line as it happens.
pub(crate) async fn run(
    c: &Clients,
    machine: &MachineRef,
    input: Option<&Json>,
    on_line: &mut (dyn FnMut(&str) + Send),
) -> Result<RunReport, DeployError> {
    let (arn, mut outputs) = deployed(c, machine).await?;
    if let (None, Some(o)) = (input, &machine.run_input_output) {
        if o.stack_name != machine.stack_name {
            outputs = stack_outputs(c, machine, &o.stack_name).await?;
        }
    }
    let input = execution_input(machine, input, &outputs)?;
    let started = states_call(
        c,
        "StepFunctions.StartExecution",
        &arn,
        json!({"stateMachineArn": arn, "input": input.to_string()}),
    )
    .await?;
    let execution_arn = started["executionArn"].as_str().unwrap_or_default().to_owned();
    let console = console_url(&c.region, &execution_arn);
    on_line(&format!("Started {execution_arn}"));
    on_line(&format!("  console: {console}"));
    let start = started["startDate"].as_f64().unwrap_or_default();
    let mut progress = Progress::default();
    let mut seen = 0;
    let poll = c.poll.max(Duration::from_millis(50));
    loop {
        let description = states_call(
            c,
            "StepFunctions.DescribeExecution",
            &execution_arn,
            json!({"executionArn": execution_arn}),
        )
        .await?;
        let events = events_after(c, &execution_arn, seen).await?;
        if let Some(last) = events.last() {
            let before = progress.lines.len();
            progress_lines(&events, start, &mut progress);
            for line in &progress.lines[before..] {
                on_line(line);
            }
            seen = last["id"].as_i64().unwrap_or(seen);
        }
        let status = description["status"].as_str().unwrap_or("RUNNING").to_owned();
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            let text = |k: &str| description[k].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
            let failed = status != "SUCCEEDED";
            return Ok(RunReport {
                path: machine.path.clone(),
                execution_arn,
                status,
                output: text("output"),
                error: text("error"),
                cause: text("cause"),
                failed_state: if failed { progress.current_state.clone() } else { None },
                progress: progress.lines,
                console_url: console,
            });
        }
        tokio::time::sleep(poll).await;
    }
}

/// One execution, as `executions` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionSummary {
    /// The execution's name.
    pub name: String,
    /// Its status.
    pub status: String,
    /// When it started, RFC 3339.
    pub start: String,
    /// When it stopped, RFC 3339 (none while running).
    pub stop: Option<String>,
    /// Its ARN.
    pub arn: String,
}

fn rfc3339(seconds: Option<f64>) -> Option<String> {
    use aws_smithy_types::date_time::Format;
    let s = seconds?;
    aws_smithy_types::DateTime::from_secs_f64(s).fmt(Format::DateTime).ok()
}

/// The summaries of a `ListExecutions` answer.
pub fn execution_summaries(answer: &Json) -> Vec<ExecutionSummary> {
    answer["executions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| ExecutionSummary {
            name: e["name"].as_str().unwrap_or_default().to_owned(),
            status: e["status"].as_str().unwrap_or_default().to_owned(),
            start: rfc3339(e["startDate"].as_f64()).unwrap_or_default(),
            stop: rfc3339(e["stopDate"].as_f64()),
            arn: e["executionArn"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// The most recent executions of `machine` (at most `limit`), newest first.
pub(crate) async fn executions(
    c: &Clients,
    machine: &MachineRef,
    limit: u32,
) -> Result<Vec<ExecutionSummary>, DeployError> {
    let (arn, _) = deployed(c, machine).await?;
    let answer = states_call(
        c,
        "StepFunctions.ListExecutions",
        &arn,
        json!({"stateMachineArn": arn, "maxResults": limit.clamp(1, 1000)}),
    )
    .await?;
    Ok(execution_summaries(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assembly_with(template: Json) -> CloudAssembly {
        let app = crate::core::App::new();
        crate::core::Stack::new(&app, "Jobs", crate::core::StackProps::default());
        let synthesis = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let mut assembly = CloudAssembly {
            directory: std::path::PathBuf::from("unused"),
            synthesis,
        };
        assembly.synthesis.stacks[0].template = template;
        assembly
    }

    #[test]
    fn a_machine_is_found_by_its_path_with_its_run_input_output() {
        let assembly = assembly_with(json!({"Resources": {
            "Nightly1234": {"Type": "AWS::StepFunctions::StateMachine", "Metadata": {
                "aws:cdk:path": "Jobs/Nightly/Resource",
                RUN_INPUT_METADATA_KEY: {"StackName": "Web", "OutputKey": "NightlyRunInputABCD"}}},
            "Other5678": {"Type": "AWS::StepFunctions::StateMachine", "Metadata": {"aws:cdk:path": "Jobs/Other/Resource"}}
        }}));
        let m = find_state_machine(&assembly, "Jobs/Nightly").expect("found");
        assert_eq!(m.stack_name, "Jobs");
        assert_eq!(m.logical_id, "Nightly1234");
        assert_eq!(
            m.run_input_output,
            Some(OutputRef {
                stack_name: "Web".into(),
                output_key: "NightlyRunInputABCD".into()
            })
        );
        let other = find_state_machine(&assembly, "Jobs/Other/").expect("a trailing slash is fine");
        assert_eq!(other.run_input_output, None);
        let err = find_state_machine(&assembly, "Jobs/Nighty")
            .expect_err("unknown")
            .to_string();
        assert!(
            err.contains("no state machine at 'Jobs/Nighty'") && err.contains("Jobs/Nightly, Jobs/Other"),
            "{err}"
        );
    }

    #[test]
    fn history_becomes_one_line_per_state_and_the_failure_names_its_state() {
        let events = [
            json!({"type": "ExecutionStarted", "timestamp": 100.0}),
            json!({"type": "TaskStateEntered", "timestamp": 100.5, "stateEnteredEventDetails": {"name": "CreateAlbRuleState"}}),
            json!({"type": "TaskStateExited", "timestamp": 101.0, "stateExitedEventDetails": {"name": "CreateAlbRuleState"}}),
            json!({"type": "WaitStateEntered", "timestamp": 101.0, "stateEnteredEventDetails": {"name": "Wait10"}}),
            json!({"type": "WaitStateExited", "timestamp": 111.0, "stateExitedEventDetails": {"name": "Wait10"}}),
            json!({"type": "FailStateEntered", "timestamp": 111.2, "stateEnteredEventDetails": {"name": "FailedStopHttpd"}}),
            json!({"type": "ExecutionFailed", "timestamp": 111.3,
                   "executionFailedEventDetails": {"error": "FailedStopHttpd", "cause": "httpd still running"}}),
        ];
        let mut p = Progress::default();
        progress_lines(&events[..3], 100.0, &mut p);
        progress_lines(&events[3..], 100.0, &mut p);
        assert_eq!(
            p.lines,
            [
                "[   0.5s] → CreateAlbRuleState (Task)",
                "[   1.0s] ✓ CreateAlbRuleState",
                "[   1.0s] → Wait10 (Wait)",
                "[  11.0s] ✓ Wait10",
                "[  11.2s] → FailedStopHttpd (Fail)",
                "[  11.3s] ✗ ExecutionFailed in FailedStopHttpd: FailedStopHttpd: httpd still running",
            ]
        );
        assert_eq!(p.current_state.as_deref(), Some("FailedStopHttpd"));
    }

    #[test]
    fn a_failed_task_is_a_line_with_its_error_and_cause() {
        let mut p = Progress::default();
        progress_lines(
            &[
                json!({"type": "TaskStateEntered", "timestamp": 5.0, "stateEnteredEventDetails": {"name": "GetAlbRuleState"}}),
                json!({"type": "TaskFailed", "timestamp": 6.0,
                       "taskFailedEventDetails": {"error": "SSM.ParameterNotFoundException", "cause": "not found"}}),
            ],
            5.0,
            &mut p,
        );
        assert_eq!(
            p.lines[1],
            "[   1.0s] ✗ TaskFailed in GetAlbRuleState: SSM.ParameterNotFoundException: not found"
        );
    }

    #[test]
    fn the_run_input_comes_from_the_named_output_or_the_file() {
        let machine = MachineRef {
            path: "Jobs/Nightly".into(),
            stack_name: "Jobs".into(),
            logical_id: "Nightly1234".into(),
            run_input_output: Some(OutputRef {
                stack_name: "Web".into(),
                output_key: "NightlyRunInput".into(),
            }),
        };
        let outputs = vec![("NightlyRunInput".to_owned(), r#"{"Input": {"Id": "i-1"}}"#.to_owned())];
        assert_eq!(
            execution_input(&machine, None, &outputs).expect("from the output"),
            json!({"Input": {"Id": "i-1"}})
        );
        let given = json!({"Given": true});
        assert_eq!(execution_input(&machine, Some(&given), &[]).expect("given"), given);
        let err = execution_input(&machine, None, &[]).expect_err("no output").to_string();
        assert!(
            err.contains("Jobs/Nightly")
                && err.contains("Web has no output NightlyRunInput")
                && err.contains("deploy Web"),
            "{err}"
        );
        let bad = vec![("NightlyRunInput".to_owned(), "{not json".to_owned())];
        let err = execution_input(&machine, None, &bad).expect_err("not JSON").to_string();
        assert!(err.contains("not JSON") && err.contains("--input FILE"), "{err}");
        let plain = MachineRef {
            run_input_output: None,
            ..machine
        };
        assert_eq!(execution_input(&plain, None, &[]).expect("empty"), json!({}));
    }

    #[test]
    fn executions_are_listed_with_rfc3339_times_and_the_console_url_names_the_region() {
        let answer = json!({"executions": [
            {"name": "a", "status": "RUNNING", "startDate": 1767225600.0, "executionArn": "arn:aws:states:eu-west-1:1:execution:m:a"},
            {"name": "b", "status": "FAILED", "startDate": 1767225600.5, "stopDate": 1767225660.0, "executionArn": "arn:b"}
        ]});
        let list = execution_summaries(&answer);
        assert_eq!(list[0].start, "2026-01-01T00:00:00Z");
        assert_eq!(list[0].stop, None);
        assert_eq!(list[1].stop.as_deref(), Some("2026-01-01T00:01:00Z"));
        assert_eq!(
            console_url("eu-west-1", "arn:aws:states:eu-west-1:1:execution:m:a"),
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:1:execution:m:a"
        );
    }

    #[test]
    fn a_service_error_is_classified_and_names_the_call() {
        let e = DeployError::from_json_answer(
            "StepFunctions.StartExecution",
            Some("arn:m"),
            400,
            r#"{"__type": "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist", "message": "gone"}"#,
        );
        assert_eq!(
            e.to_string(),
            "StepFunctions.StartExecution failed: StateMachineDoesNotExist: gone"
        );
        let denied = DeployError::from_json_answer(
            "StepFunctions.StartExecution",
            Some("arn:m"),
            400,
            r#"{"__type": "AccessDeniedException", "message": "no"}"#,
        );
        assert!(
            denied
                .to_string()
                .starts_with("access denied: StepFunctions.StartExecution on arn:m"),
            "{denied}"
        );
    }
}
