//! Runs a state machine locally: the Amazon States Language (JSONPath and
//! JSONata) on a virtual clock, with every Task answered from a mock
//! configuration in the format of Step Functions Local ([`MockConfig`]).
//!
//! A 60 s Wait or a retry interval costs nothing; the report gives the
//! simulated elapsed time. Concurrent Map iterations and Parallel branches run
//! one after the other (a legal schedule), each on its own clock from the
//! moment a real execution would start it (`MaxConcurrency` respected), and
//! the history is sorted by virtual time. Randomness (`States.UUID`,
//! `States.MathRandom`, full jitter) is seeded by the execution name, so a run
//! is reproducible.
//!
//! Workflow variables (`Assign`, `$name`) are kept per scope: a Map iteration
//! or a Parallel branch reads its enclosing scopes' variables and its own
//! vanish when it ends; a state's `Assign` is evaluated on its result (after
//! `ResultSelector`; the input for Choice and Wait) with the values from its
//! entry. A distributed Map runs inline: the items its `ItemReader` would
//! read from S3 are the Map state's mocked response (`"Each": "Items"`, a
//! `Return` holding the array), its children cannot read the parent's
//! variables, `ItemBatcher`, `ToleratedFailureCount`/`Percentage` and
//! `MaxConcurrency` apply, and with a `ResultWriter` the result names the S3
//! manifest, as the service's does.
//!
//! JSONata states (the machine's `QueryLanguage: JSONata`, or a state's own)
//! run too: every `{% expr %}` string, at any depth, of `Arguments`,
//! `Output`, `Assign`, a Choice rule's `Condition`, a Map's `Items`,
//! `ItemSelector`, `MaxConcurrency`, `ToleratedFailure*`, `ItemBatcher`,
//! `ItemReader` and `ResultWriter`, a Wait's `Seconds`/`Timestamp`, a
//! Fail's `Error`/`Cause`, a Task's `TimeoutSeconds`/`HeartbeatSeconds` and
//! a catcher's `Output`/`Assign` is evaluated; other strings are literals.
//! An expression reads `$states.input`, `$states.result` (Output and Assign
//! of a Task, Map or Parallel: the mocked response, as in JSONPath),
//! `$states.errorOutput` (a catcher's), `$states.context` (the context
//! object) and the variables, shared with JSONPath states, with the values
//! from the state's entry. Without `Output` a Task, Map or Parallel gives its
//! result, the other states their input. A failed evaluation, or one that
//! gives nothing, is `States.QueryEvaluationError`, which a catcher catches
//! (a retrier retries one raised by a Task's `Arguments`, as the Task's own
//! errors; one raised by its `Output` or `Assign` is only caught); the
//! history has the service's `EvaluationFailed` event.
//!
//! The expressions run on [`jsonata-core`](https://crates.io/crates/jsonata-core)
//! 2.2.13 (pure Rust, following jsonata-js 2.2, whose reference suite it
//! passes; the service implements JSONata 2.0.6), with Step Functions'
//! functions added: `$partition`, `$range` and `$hash` as the intrinsics
//! `States.ArrayPartition`, `States.ArrayRange` and `States.Hash`, `$parse`,
//! `$uuid` and `$random` (with a seed, the same number for the same seed;
//! not the service's number). `$now()` and `$millis()` read the virtual
//! clock; `$random`, `$uuid` and `$shuffle` the execution's seeded stream.
//! What the simulator will not guess is an error naming the state: `$eval`
//! (which Step Functions does not have), `$toMillis` with a picture (its
//! missing date parts would come from the wall clock), a string with white
//! space around `{% %}`, and a JSONata Choice's own `Assign` when a rule
//! holds (the service's documentation says both that it applies and that it
//! is the Default's). JSONPath fields in a JSONata state, and JSONata fields
//! in a JSONPath state, are definition errors, as an expression that does not
//! parse; the nested states of a Map or Parallel take the machine's
//! language, not the Map's or Parallel's.
//!
//! ```
//! use constructs::aws::stepfunctions::simulate::{simulate, MockConfig, SimulateOptions};
//! use serde_json::json;
//!
//! let definition = json!({
//!     "StartAt": "Check",
//!     "States": {
//!         "Check": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.Output", "Next": "IsUp" },
//!         "IsUp": { "Type": "Choice", "Default": "Down",
//!                   "Choices": [{ "Variable": "$.Output.Payload.up", "BooleanEquals": true, "Next": "Up" }] },
//!         "Up": { "Type": "Succeed" },
//!         "Down": { "Type": "Fail", "Error": "Down" }
//!     }
//! });
//! let mocks = MockConfig::from_json(json!({
//!     "StateMachines": { "Probe": { "TestCases": { "Healthy": { "Check": "Up" } } } },
//!     "MockedResponses": { "Up": { "0": { "Return": { "StatusCode": 200, "Payload": { "up": true } } } } }
//! }), "mocks.json").expect("ok");
//! let case = mocks.test_case("Probe", "Healthy").expect("ok");
//! let run = simulate(&definition, &json!({}), &case, &SimulateOptions::default()).expect("ok");
//! assert_eq!(run.status, "SUCCEEDED");
//! assert_eq!(run.path, ["Check", "IsUp", "Up"]);
//!
//! // The same in JSONata.
//! let definition = json!({
//!     "QueryLanguage": "JSONata",
//!     "StartAt": "Check",
//!     "States": {
//!         "Check": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
//!                    "Arguments": { "FunctionName": "probe", "Payload": "{% $states.input %}" },
//!                    "Assign": { "up": "{% $states.result.Payload.up %}" }, "Next": "IsUp" },
//!         "IsUp": { "Type": "Choice", "Default": "Down",
//!                   "Choices": [{ "Condition": "{% $up %}", "Next": "Up" }] },
//!         "Up": { "Type": "Succeed", "Output": { "checkedAt": "{% $now() %}" } },
//!         "Down": { "Type": "Fail", "Error": "Down" }
//!     }
//! });
//! let run = simulate(&definition, &json!({}), &case, &SimulateOptions::default()).expect("ok");
//! assert_eq!(run.output, Some(json!({ "checkedAt": "2026-01-01T00:00:00.000Z" })));
//! ```

mod choice;
mod definition;
mod expect;
mod history;
mod intrinsics;
mod jsonata;
mod mock;
mod paths;
mod retry;
mod rng;
mod states;

use serde::Serialize;
use serde_json::{json, Value as Json};

pub use definition::state_machine_definition;
pub use history::Event;
pub use mock::{Expectations, MockConfig, MockedResponse, TestCase};

/// Why a simulation could not run (as opposed to an execution that fails,
/// which is a result: [`Execution::status`] `FAILED`).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SimulateError {
    /// A Task has no mocked response in the test case.
    #[error("state '{state}' is a Task with no mocked response in test case '{test_case}': add \"{state}\": \"<MockedResponse name>\" to the test case")]
    Unmocked {
        /// The state.
        state: String,
        /// The test case.
        test_case: String,
    },
    /// A Task ran more times than its mocked response has answers for.
    #[error("state '{state}' (test case '{test_case}') is invoked a {nth} time, but mocked response '{response}' has no entry \"{invocation}\": add one, or a range like \"{invocation}-99\"", nth = ordinal(*invocation + 1))]
    MockExhausted {
        /// The state.
        state: String,
        /// The test case.
        test_case: String,
        /// The mocked response's name.
        response: String,
        /// The invocation number (from 0).
        invocation: usize,
    },
    /// The mock configuration is malformed.
    #[error("{file}: {message}")]
    MockConfig {
        /// The file (or other source) name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The definition uses something the simulator does not run.
    #[error("state '{state}' uses {feature}, which the simulator does not support yet")]
    Unsupported {
        /// The state (or `(state machine)`).
        state: String,
        /// The feature.
        feature: String,
    },
    /// The app has no state machine at the path given.
    #[error("the app has no state machine '{path}' (it has: {known})")]
    NoStateMachine {
        /// The construct path asked for.
        path: String,
        /// The state machines the app has.
        known: String,
    },
    /// The definition is not a runnable state machine.
    #[error("the definition is not runnable: {0}")]
    Definition(String),
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// An error raised in an execution: its name and cause.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    pub(crate) error: String,
    pub(crate) cause: String,
}

impl Failure {
    fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// A `States.Runtime` error.
    fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new("States.Runtime", cause)
    }
}

/// How to run a simulation.
#[derive(Clone, Debug)]
pub struct SimulateOptions {
    /// The execution's name (`$$.Execution.Name`), also the seed of its randomness. Default: `simulation`.
    pub execution_name: String,
    /// The state machine's name (`$$.StateMachine.Name`). Default: `StateMachine`.
    pub state_machine_name: String,
    /// When the execution starts on the virtual clock (RFC 3339). Default: `2026-01-01T00:00:00Z`.
    pub start_time: String,
    /// The history length at which the execution fails, as the service's
    /// 25,000-event limit does (an endless loop ends there). Default: 25,000.
    pub max_events: usize,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            execution_name: "simulation".into(),
            state_machine_name: "StateMachine".into(),
            start_time: "2026-01-01T00:00:00Z".into(),
            max_events: 25_000,
        }
    }
}

/// The result of a simulated execution.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    pub status: String,
    /// The output, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Json>,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The cause, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The last state entered (at any depth).
    pub final_state: Option<String>,
    /// Every state entered, in order (Map iterations and branches included).
    pub path: Vec<String>,
    /// The simulated duration of the execution, in seconds.
    pub elapsed_seconds: f64,
    /// The execution history.
    pub history: Vec<Event>,
}

impl Execution {
    /// The report as JSON.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or_else(|e| json!({ "error": e.to_string() }))
    }

    /// What does not hold of `expectations`, one line each; empty when all
    /// hold. A test case without expectations expects the execution to succeed.
    pub fn unmet(&self, expectations: &Expectations) -> Vec<String> {
        expect::unmet(self, expectations)
    }
}

/// Runs `definition` (ASL JSON) on `input`, with every Task answered by `case`.
///
/// Returns the execution (succeeded, failed or timed out), or an error when the
/// simulation itself cannot go on: an unmocked Task, an exhausted mock, an
/// unsupported feature.
pub fn simulate(
    definition: &Json,
    input: &Json,
    case: &TestCase,
    options: &SimulateOptions,
) -> Result<Execution, SimulateError> {
    states::run(definition, input, case, options)
}

/// Runs test case `name` of the state machine at construct path `path`
/// (found in `config` by [`MockConfig::state_machine_key`]) on `input`, or
/// else on the test case's own input, or else on `{}`.
pub fn run_test_case(
    definition: &Json,
    config: &MockConfig,
    path: &str,
    name: &str,
    input: Option<&Json>,
) -> Result<(TestCase, Execution), SimulateError> {
    let key = config.state_machine_key(path)?;
    let case = config.test_case(&key, name)?;
    let input = input.or(case.input.as_ref()).cloned().unwrap_or_else(|| json!({}));
    let options = SimulateOptions {
        execution_name: name.to_owned(),
        state_machine_name: path.rsplit('/').next().unwrap_or(path).to_owned(),
        ..Default::default()
    };
    let run = simulate(definition, &input, &case, &options)?;
    Ok((case, run))
}
