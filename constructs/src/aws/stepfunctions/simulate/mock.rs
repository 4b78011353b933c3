//! Mock configurations in the format of Step Functions Local's `MockConfigFile`.
//!
//! ```json
//! {
//!   "StateMachines": { "Machine": { "TestCases": { "HappyPath": { "TaskState": "MockedOk" } } } },
//!   "MockedResponses": {
//!     "MockedOk": { "0": { "Throw": { "Error": "Lambda.ServiceException", "Cause": "busy" } },
//!                   "1-2": { "Return": { "StatusCode": 200, "Payload": {} } } }
//!   },
//!   "Simulations": { "Machine": { "HappyPath": { "Input": {}, "Expect": { "Status": "SUCCEEDED" } } } }
//! }
//! ```
//!
//! A state's n-th invocation in an execution (counted from 0, across retries,
//! loops and Map iterations) takes the response whose key is `"n"` or a range
//! `"a-b"` holding n. `Simulations` is this tool's own key (Step Functions
//! Local reads only the other two): per test case, the execution input and the
//! expectations the run is checked against ([`Expectations`]).

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::SimulateError;

/// One answer of a mocked task.
#[derive(Clone, Debug, PartialEq)]
pub enum MockedResponse {
    /// The task succeeds with this result.
    Return(Json),
    /// The task fails with this error and cause.
    Throw {
        /// The error name (`Error`).
        error: String,
        /// The cause (`Cause`).
        cause: String,
    },
}

/// What a test case expects of the execution (every field optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expectations {
    /// `Status`: `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    pub status: Option<String>,
    /// `FinalState`: the name of the last state entered.
    pub final_state: Option<String>,
    /// `Error`: the execution's error.
    pub error: Option<String>,
    /// `Cause`: the execution's cause.
    pub cause: Option<String>,
    /// `Output`: a JSON value the output must contain (objects match when
    /// every expected key matches; other values must be equal).
    pub output: Option<Json>,
}

impl Expectations {
    /// Whether any expectation is set.
    pub fn is_empty(&self) -> bool {
        *self == Expectations::default()
    }
}

/// A test case of one state machine, resolved from a mock configuration.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// The state machine's key in the file.
    pub state_machine: String,
    /// The test case's name.
    pub name: String,
    /// The execution input given with the case (`Simulations` → `Input`), if any.
    pub input: Option<Json>,
    /// What the execution must do (`Simulations` → `Expect`).
    pub expectations: Expectations,
    states: IndexMap<String, MockedState>,
}

/// A mocked state: its response's name, and the answers by invocation range.
type MockedState = (String, Vec<(usize, usize, MockedResponse)>);

impl TestCase {
    /// The response of state `state`'s `invocation`-th call (from 0).
    pub fn response(&self, state: &str, invocation: usize) -> Result<&MockedResponse, SimulateError> {
        let (name, responses) = self.states.get(state).ok_or_else(|| SimulateError::Unmocked {
            state: state.to_owned(),
            test_case: self.name.clone(),
        })?;
        responses
            .iter()
            .find(|(a, b, _)| (*a..=*b).contains(&invocation))
            .map(|(_, _, r)| r)
            .ok_or_else(|| SimulateError::MockExhausted {
                state: state.to_owned(),
                test_case: self.name.clone(),
                response: name.clone(),
                invocation,
            })
    }
}

/// A parsed mock configuration file.
#[derive(Clone, Debug)]
pub struct MockConfig {
    json: Json,
    source: String,
}

impl MockConfig {
    /// Parses the text of a mock configuration; `source` (a file name) appears in errors.
    pub fn parse(text: &str, source: &str) -> Result<MockConfig, SimulateError> {
        let json: Json = serde_json::from_str(text).map_err(|e| SimulateError::MockConfig {
            file: source.to_owned(),
            message: format!("not valid JSON: {e}"),
        })?;
        Self::from_json(json, source)
    }

    /// A mock configuration from its JSON.
    pub fn from_json(json: Json, source: &str) -> Result<MockConfig, SimulateError> {
        let config = MockConfig {
            json,
            source: source.to_owned(),
        };
        if !config.json.get("StateMachines").is_some_and(Json::is_object) {
            return Err(config.error("it has no \"StateMachines\" object"));
        }
        Ok(config)
    }

    fn error(&self, message: impl Into<String>) -> SimulateError {
        SimulateError::MockConfig {
            file: self.source.clone(),
            message: message.into(),
        }
    }

    /// The state machines the file configures.
    pub fn state_machines(&self) -> Vec<&str> {
        self.json["StateMachines"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The key of the state machine at construct path `path`: the path
    /// itself, else its last segment that the file names (so
    /// `Stack/Nightly/StateMachine` finds `Nightly`), else the only machine of the file.
    pub fn state_machine_key(&self, path: &str) -> Result<String, SimulateError> {
        let machines = self.state_machines();
        std::iter::once(path)
            .chain(path.rsplit('/'))
            .find_map(|name| machines.iter().find(|m| **m == name))
            .or_else(|| if machines.len() == 1 { machines.first() } else { None })
            .map(|m| (*m).to_owned())
            .ok_or_else(|| {
                self.error(format!(
                    "it configures no state machine named '{path}' or one of its segments (it has: {})",
                    machines.join(", ")
                ))
            })
    }

    /// The test cases of a state machine.
    pub fn test_cases(&self, state_machine: &str) -> Vec<&str> {
        self.json["StateMachines"][state_machine]["TestCases"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Resolves test case `name` of `state_machine`: its mocked states, input and expectations.
    pub fn test_case(&self, state_machine: &str, name: &str) -> Result<TestCase, SimulateError> {
        let Some(case) = self.json["StateMachines"][state_machine]["TestCases"][name].as_object() else {
            return Err(self.error(format!(
                "state machine '{state_machine}' has no test case '{name}' (it has: {})",
                self.test_cases(state_machine).join(", ")
            )));
        };
        let mut states = IndexMap::new();
        for (state, response) in case {
            let Some(response) = response.as_str() else {
                return Err(self.error(format!(
                    "test case '{name}': state '{state}' must name a mocked response, not {response}"
                )));
            };
            let entries = self.json["MockedResponses"][response].as_object().ok_or_else(|| {
                self.error(format!(
                    "test case '{name}': state '{state}' names '{response}', which \"MockedResponses\" does not define"
                ))
            })?;
            let mut parsed = Vec::new();
            for (key, entry) in entries {
                let (a, b) = range(key).ok_or_else(|| {
                    self.error(format!(
                        "mocked response '{response}': '{key}' is not an invocation number or range like \"1-2\""
                    ))
                })?;
                parsed.push((a, b, self.response(response, key, entry)?));
            }
            states.insert(state.clone(), (response.to_owned(), parsed));
        }
        let simulation = &self.json["Simulations"][state_machine][name];
        let expect = &simulation["Expect"];
        let text = |key: &str| expect.get(key).and_then(Json::as_str).map(str::to_owned);
        Ok(TestCase {
            state_machine: state_machine.to_owned(),
            name: name.to_owned(),
            input: simulation.get("Input").cloned(),
            expectations: Expectations {
                status: text("Status"),
                final_state: text("FinalState"),
                error: text("Error"),
                cause: text("Cause"),
                output: expect.get("Output").cloned(),
            },
            states,
        })
    }

    fn response(&self, name: &str, key: &str, entry: &Json) -> Result<MockedResponse, SimulateError> {
        match (entry.get("Return"), entry.get("Throw")) {
            (Some(r), None) => Ok(MockedResponse::Return(r.clone())),
            (None, Some(t)) => {
                let field = |f: &str| t.get(f).and_then(Json::as_str).unwrap_or_default().to_owned();
                Ok(MockedResponse::Throw {
                    error: field("Error"),
                    cause: field("Cause"),
                })
            }
            _ => Err(self.error(format!(
                "mocked response '{name}', invocation '{key}': give exactly one of \"Return\" and \"Throw\""
            ))),
        }
    }
}

fn range(key: &str) -> Option<(usize, usize)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> MockConfig {
        MockConfig::from_json(
            json!({
                "StateMachines": {"M": {"TestCases": {"Happy": {"A": "Ok", "B": "Flaky"}, "Bad": {"A": "Nope"}}}},
                "MockedResponses": {
                    "Ok": {"0": {"Return": {"x": 1}}},
                    "Flaky": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1-2": {"Return": 2}}
                },
                "Simulations": {"M": {"Happy": {"Input": {"i": 1}, "Expect": {"Status": "SUCCEEDED", "Output": {"x": 1}}}}}
            }),
            "mocks.json",
        )
        .expect("ok")
    }

    #[test]
    fn responses_are_chosen_by_invocation() {
        let case = config().test_case("M", "Happy").expect("ok");
        assert_eq!(
            case.response("A", 0).expect("ok"),
            &MockedResponse::Return(json!({"x": 1}))
        );
        assert!(matches!(case.response("B", 0).expect("ok"), MockedResponse::Throw { error, .. } if error == "E"));
        assert_eq!(case.response("B", 2).expect("ok"), &MockedResponse::Return(json!(2)));
        let e = case.response("B", 3).expect_err("an error").to_string();
        assert!(
            e.contains("'B'") && e.contains("'Happy'") && e.contains("no entry \"3\""),
            "{e}"
        );
        let e = case.response("C", 0).expect_err("an error").to_string();
        assert!(e.contains("state 'C'") && e.contains("test case 'Happy'"), "{e}");
        assert_eq!(case.input, Some(json!({"i": 1})));
        assert_eq!(case.expectations.status.as_deref(), Some("SUCCEEDED"));
    }

    #[test]
    fn errors_name_the_file_and_what_is_wrong() {
        let e = config().test_case("M", "Bad").expect_err("an error").to_string();
        assert!(e.contains("mocks.json") && e.contains("'Nope'"), "{e}");
        let e = config().test_case("M", "Other").expect_err("an error").to_string();
        assert!(e.contains("no test case 'Other'") && e.contains("Happy, Bad"), "{e}");
        assert!(MockConfig::parse("{", "f.json")
            .expect_err("an error")
            .to_string()
            .contains("f.json"));
        assert!(MockConfig::from_json(json!({}), "f.json").is_err());
    }

    #[test]
    fn the_state_machine_is_found_by_path_or_name() {
        let c = config();
        assert_eq!(c.state_machine_key("Stack/M").expect("ok"), "M");
        assert_eq!(c.state_machine_key("Stack/M/StateMachine").expect("ok"), "M");
        assert_eq!(c.state_machine_key("Stack/Other").expect("ok"), "M", "the only machine");
    }
}
