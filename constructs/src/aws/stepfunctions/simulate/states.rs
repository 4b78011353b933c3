//! The interpreter: each state type, input and output processing, Retry and
//! Catch, on the virtual clock.

use std::collections::HashMap;

use serde_json::{json, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::history::History;
use super::jsonata::{self, Bindings, QUERY_EVALUATION_ERROR};
use super::rng::Rng;
use super::{choice, intrinsics, paths, retry};
use super::{Execution, Failure, MockedResponse, SimulateError, SimulateOptions, TestCase};

/// What stops an execution short of a result a state machine can handle.
enum Abort {
    /// The simulation cannot go on (unmocked task ...).
    Sim(SimulateError),
    /// The machine's `TimeoutSeconds` passed.
    TimedOut,
    /// The history reached its limit.
    HistoryLimit,
}

impl From<SimulateError> for Abort {
    fn from(e: SimulateError) -> Abort {
        Abort::Sim(e)
    }
}

/// A state's result: its output and, when the state chose it (Choice, Catch),
/// the next state; or the error it failed with.
type Outcome = Result<(Json, Option<String>), Failure>;

/// Where an execution goes after a state.
enum Transition {
    Next(String, Json),
    End(Json),
    Fail(Failure),
}

/// What a Map state runs with besides its items.
struct MapSettings {
    /// `MaxConcurrency` (0: no limit).
    concurrency: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    /// `ItemBatcher` (in JSONata, evaluated).
    batcher: Option<Json>,
    /// `ResultWriter` (in JSONata, evaluated).
    writer: Option<Json>,
}

struct Sim<'a> {
    case: &'a TestCase,
    invocations: HashMap<String, usize>,
    history: History,
    rng: Rng,
    clock: f64,
    /// When the current state was entered (for `$$.State.EnteredTime`).
    entered: f64,
    path: Vec<String>,
    deadline: Option<f64>,
    max_events: usize,
    start: OffsetDateTime,
    /// `$$` without its per-state parts.
    context: Json,
    /// The variables of each scope, outermost first (the machine, then each
    /// Map iteration or Parallel branch being run).
    scopes: Vec<serde_json::Map<String, Json>>,
    /// The first scope the current one can read (a distributed Map's child
    /// workflow cannot read its parent's).
    visible_from: usize,
    /// Whether the machine's `QueryLanguage` is JSONata (every state's
    /// default, nested ones included).
    jsonata_default: bool,
    /// Evaluates the `{% %}` expressions of JSONata states.
    jsonata: jsonata::Engine,
}

/// Runs a whole execution.
pub(super) fn run(
    definition: &Json,
    input: &Json,
    case: &TestCase,
    options: &SimulateOptions,
) -> Result<Execution, SimulateError> {
    let start = OffsetDateTime::parse(&options.start_time, &Rfc3339).map_err(|e| {
        SimulateError::Definition(format!("the start time '{}' is not RFC 3339: {e}", options.start_time))
    })?;
    let jsonata_default = match definition.get("QueryLanguage") {
        None => false,
        Some(l) if l == "JSONata" => true,
        Some(l) if l == "JSONPath" => false,
        Some(other) => {
            return Err(SimulateError::Definition(format!(
                "the state machine's QueryLanguage must be JSONPath or JSONata, not {other}"
            )))
        }
    };
    check_graph(definition, jsonata_default)?;
    let machine = format!(
        "arn:aws:states:us-east-1:123456789012:stateMachine:{}",
        options.state_machine_name
    );
    let execution = format!(
        "arn:aws:states:us-east-1:123456789012:execution:{}:{}",
        options.state_machine_name, options.execution_name
    );
    let role = "arn:aws:iam::123456789012:role/simulated-state-machine-role";
    let mut sim = Sim {
        case,
        invocations: HashMap::new(),
        history: History::default(),
        rng: Rng::new(&options.execution_name),
        clock: 0.0,
        entered: 0.0,
        path: Vec::new(),
        deadline: definition.get("TimeoutSeconds").and_then(Json::as_f64),
        max_events: options.max_events,
        start,
        context: json!({
            "Execution": {
                "Id": execution, "Input": input, "Name": options.execution_name,
                "RoleArn": role, "StartTime": options.start_time, "RedriveCount": 0
            },
            "StateMachine": { "Id": machine, "Name": options.state_machine_name }
        }),
        scopes: vec![serde_json::Map::new()],
        visible_from: 0,
        jsonata_default,
        jsonata: jsonata::Engine::default(),
    };
    sim.history.push(
        0.0,
        "ExecutionStarted",
        Some((
            "executionStartedEventDetails",
            json!({"input": input.to_string(), "roleArn": role}),
        )),
    );
    let result = sim.run_graph(definition, input.clone());
    let clock = sim.clock;
    let (status, output, failure) = match result {
        Ok(Ok(output)) => {
            let details = json!({"output": output.to_string()});
            sim.history.push(
                clock,
                "ExecutionSucceeded",
                Some(("executionSucceededEventDetails", details)),
            );
            ("SUCCEEDED", Some(output), None)
        }
        Ok(Err(f)) => {
            let details = failure_details(&f);
            sim.history
                .push(clock, "ExecutionFailed", Some(("executionFailedEventDetails", details)));
            ("FAILED", None, Some(f))
        }
        Err(Abort::TimedOut) => {
            let f = Failure::new(
                "States.Timeout",
                format!("The execution ran longer than the state machine's TimeoutSeconds ({clock} s)"),
            );
            let details = failure_details(&f);
            sim.history.push(
                clock,
                "ExecutionTimedOut",
                Some(("executionTimedOutEventDetails", details)),
            );
            ("TIMED_OUT", None, Some(f))
        }
        Err(Abort::HistoryLimit) => {
            let f = Failure::runtime(format!(
                "The execution history reached {} events, the service's limit: a loop that never ends?",
                options.max_events
            ));
            let details = failure_details(&f);
            sim.history
                .push(clock, "ExecutionFailed", Some(("executionFailedEventDetails", details)));
            ("FAILED", None, Some(f))
        }
        Err(Abort::Sim(e)) => return Err(e),
    };
    Ok(Execution {
        status: status.into(),
        output,
        // A Fail state without Error or Cause leaves them unset, as the service does.
        error: failure.as_ref().map(|f| f.error.clone()).filter(|e| !e.is_empty()),
        cause: failure.map(|f| f.cause).filter(|c| !c.is_empty()),
        final_state: sim.path.last().cloned(),
        path: sim.path,
        elapsed_seconds: clock,
        history: sim.history.finish(start),
    })
}

/// [`check_state`] on every state of a state list, nested ones included,
/// so nothing runs before a refusal.
fn check_graph(graph: &Json, jsonata_default: bool) -> Result<(), SimulateError> {
    for (name, state) in graph.get("States").and_then(Json::as_object).into_iter().flatten() {
        check_state(name, state, jsonata_default)?;
        let nested = ["ItemProcessor", "Iterator"].iter().filter_map(|k| state.get(*k));
        let branches = state.get("Branches").and_then(Json::as_array).into_iter().flatten();
        for inner in nested.chain(branches) {
            check_graph(inner, jsonata_default)?;
        }
    }
    Ok(())
}

/// Whether a state is JSONata: its own `QueryLanguage`, else the machine's.
fn is_jsonata(state: &Json, jsonata_default: bool) -> bool {
    match state.get("QueryLanguage").and_then(Json::as_str) {
        Some(language) => language == "JSONata",
        None => jsonata_default,
    }
}

/// Refuses a state whose fields are of the other query language (the
/// service rejects such a definition), and checks that each `{% %}`
/// expression of a JSONata state parses.
fn check_state(name: &str, state: &Json, jsonata_default: bool) -> Result<(), SimulateError> {
    let definition = |message: String| Err(SimulateError::Definition(format!("state '{name}': {message}")));
    match state.get("QueryLanguage") {
        None => {}
        Some(l) if l == "JSONata" => {}
        Some(l) if l == "JSONPath" && jsonata_default => {
            return definition(
                "QueryLanguage JSONPath is not allowed in a state machine whose QueryLanguage is JSONata".into(),
            )
        }
        Some(l) if l == "JSONPath" => {}
        Some(other) => return definition(format!("QueryLanguage must be JSONPath or JSONata, not {other}")),
    }
    let Some(fields) = state.as_object() else {
        return definition("a state must be a JSON object".into());
    };
    let rules = state.get("Choices").and_then(Json::as_array).into_iter().flatten();
    if is_jsonata(state, jsonata_default) {
        let jsonpath = super::super::validate::JSONPATH_ONLY.iter().chain(&["Result"]);
        if let Some(field) = jsonpath.into_iter().find(|f| fields.contains_key(**f)) {
            return definition(format!(
                "{field} is a JSONPath field, but the state is JSONata: use Arguments, Output and Assign with {{% %}} expressions"
            ));
        }
        if rules.clone().any(|r| r.get("Condition").is_none()) {
            return definition("a rule of a JSONata Choice needs a Condition (a {% %} expression)".into());
        }
        for (field, value) in fields {
            if !matches!(field.as_str(), "ItemProcessor" | "Iterator" | "Branches") {
                jsonata::check(name, field, value)?;
            }
        }
    } else {
        if let Some(field) = ["Arguments", "Output"].into_iter().find(|f| fields.contains_key(*f)) {
            return definition(format!(
                "{field} is a JSONata field, but the state is JSONPath: set its QueryLanguage to JSONata, or use the JSONPath fields"
            ));
        }
        if rules.clone().any(|r| r.get("Condition").is_some()) {
            return definition("a Condition rule is JSONata, but the state is JSONPath".into());
        }
    }
    Ok(())
}

/// `{"error", "cause"}`, without the empty ones (a Fail state may give neither).
fn failure_details(f: &Failure) -> Json {
    let mut details = serde_json::Map::new();
    for (key, value) in [("error", &f.error), ("cause", &f.cause)] {
        if !value.is_empty() {
            details.insert(key.to_owned(), Json::String(value.clone()));
        }
    }
    Json::Object(details)
}

fn text(v: &Json) -> String {
    v.to_string()
}

/// The service and API of a Task's `Resource` (`lambda`, `invoke`), for the history.
fn resource_names(resource: &str) -> (String, String) {
    if let Some((_, rest)) = resource.split_once(":states:::") {
        if let Some((service, api)) = rest.split_once(':') {
            return (service.to_owned(), api.to_owned());
        }
    }
    if resource.contains(":lambda:") {
        return ("lambda".into(), "function".into());
    }
    ("unknown".into(), resource.to_owned())
}

/// Applies a payload template (`Parameters`, `ResultSelector`, `ItemSelector`):
/// a `key.$` field takes the value of its path or intrinsic function.
fn template(value: &Json, input: &Json, context: &Json, rng: &mut Rng) -> Result<Json, Failure> {
    match value {
        Json::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, v) in o {
                match (k.strip_suffix(".$"), v.as_str()) {
                    (Some(key), Some(expr)) if expr.starts_with('$') => {
                        out.insert(key.to_owned(), paths::read(expr, input, context)?);
                    }
                    (Some(key), Some(expr)) => {
                        out.insert(key.to_owned(), intrinsics::evaluate(expr, input, context, rng)?);
                    }
                    (Some(_), None) => {
                        return Err(Failure::runtime(format!(
                            "The field '{k}' ends with '.$' but its value {v} is not a path or an intrinsic function"
                        )))
                    }
                    _ => {
                        out.insert(k.clone(), template(v, input, context, rng)?);
                    }
                }
            }
            Ok(Json::Object(out))
        }
        Json::Array(a) => a
            .iter()
            .map(|v| template(v, input, context, rng))
            .collect::<Result<_, _>>()
            .map(Json::Array),
        other => Ok(other.clone()),
    }
}

/// `InputPath` or `OutputPath`: absent keeps the value, `null` gives `{}`.
fn select(state: &Json, key: &str, value: Json, context: &Json) -> Result<Json, Failure> {
    match state.get(key) {
        None => Ok(value),
        Some(Json::Null) => Ok(json!({})),
        Some(Json::String(p)) => paths::read(p, &value, context),
        Some(other) => Err(Failure::runtime(format!("{key} must be a path or null, not {other}"))),
    }
}

/// `ResultPath` (of a state or a catcher): absent puts the result in place of
/// the input, `null` discards it.
fn place(holder: &Json, raw_input: &Json, result: Json) -> Result<Json, Failure> {
    match holder.get("ResultPath") {
        None => Ok(result),
        Some(Json::Null) => Ok(raw_input.clone()),
        Some(Json::String(p)) => paths::write(p, raw_input.clone(), result),
        Some(other) => Err(Failure::runtime(format!(
            "ResultPath must be a path or null, not {other}"
        ))),
    }
}

impl Sim<'_> {
    fn event(&mut self, kind: &str, details: Option<(&str, Json)>) -> Result<u64, Abort> {
        if self.history.len() >= self.max_events {
            return Err(Abort::HistoryLimit);
        }
        Ok(self.history.push(self.clock, kind, details))
    }

    fn advance(&mut self, seconds: f64) -> Result<(), Abort> {
        self.clock += seconds.max(0.0);
        match self.deadline {
            Some(d) if self.clock > d => {
                self.clock = d;
                Err(Abort::TimedOut)
            }
            _ => Ok(()),
        }
    }

    fn now(&self, at: f64) -> String {
        (self.start + time::Duration::seconds_f64(at))
            .format(&Rfc3339)
            .unwrap_or_default()
    }

    /// `$$` for a state (and a Map item, in an `ItemSelector`).
    fn context(&self, name: &str, retry_count: u64, item: Option<(usize, &Json)>) -> Json {
        let mut c = self.context.clone();
        c["State"] = json!({"Name": name, "EnteredTime": self.now(self.entered), "RetryCount": retry_count});
        c["Task"] = json!({"Token": format!("simulated-task-token-{name}")});
        if let Some((index, value)) = item {
            c["Map"] = json!({"Item": {"Index": index, "Value": value}});
        }
        let mut variables = serde_json::Map::new();
        for scope in &self.scopes[self.visible_from.min(self.scopes.len())..] {
            variables.extend(scope.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        c[paths::VARIABLES] = Json::Object(variables);
        c
    }

    /// Sets the variables of an `Assign` (if any), evaluated on `value` (`$`)
    /// with the values from the state's entry (`context`), in the innermost scope.
    fn assign(&mut self, assign: Option<&Json>, value: &Json, context: &Json) -> Result<(), Failure> {
        let Some(assign) = assign else {
            return Ok(());
        };
        let Json::Object(values) = template(assign, value, context, &mut self.rng)? else {
            return Err(Failure::runtime(format!("Assign must be an object, not {assign}")));
        };
        if let Some(scope) = self.scopes.last_mut() {
            scope.extend(values);
        }
        Ok(())
    }

    /// Runs `graph` in a scope of its own (a Map iteration or a Parallel
    /// branch); `isolated`: it cannot read the enclosing scopes' variables.
    fn run_scoped(&mut self, graph: &Json, input: Json, isolated: bool) -> Result<Result<Json, Failure>, Abort> {
        let visible_from = self.visible_from;
        self.scopes.push(serde_json::Map::new());
        if isolated {
            self.visible_from = self.scopes.len() - 1;
        }
        let result = self.run_graph(graph, input);
        self.scopes.pop();
        self.visible_from = visible_from;
        result
    }

    fn run_graph(&mut self, graph: &Json, mut input: Json) -> Result<Result<Json, Failure>, Abort> {
        let mut name = graph
            .get("StartAt")
            .and_then(Json::as_str)
            .ok_or_else(|| SimulateError::Definition("a state list has no StartAt".into()))?
            .to_owned();
        loop {
            let state = graph.pointer("/States").and_then(|s| s.get(&name)).ok_or_else(|| {
                SimulateError::Definition(format!("a transition names '{name}', which is not a state of its list"))
            })?;
            match self.run_state(&name, state, input)? {
                Transition::Next(next, output) => {
                    name = next;
                    input = output;
                }
                Transition::End(output) => return Ok(Ok(output)),
                Transition::Fail(f) => return Ok(Err(f)),
            }
        }
    }

    fn run_state(&mut self, name: &str, state: &Json, input: Json) -> Result<Transition, Abort> {
        let kind = state.get("Type").and_then(Json::as_str).unwrap_or_default().to_owned();
        self.path.push(name.to_owned());
        self.entered = self.clock;
        let details = json!({"name": name, "input": text(&input)});
        self.event(
            &format!("{kind}StateEntered"),
            Some(("stateEnteredEventDetails", details)),
        )?;
        let context = self.context(name, 0, None);
        let jsonata = is_jsonata(state, self.jsonata_default);
        let outcome = match (kind.as_str(), jsonata) {
            ("Pass" | "Succeed", true) => self.pass_jsonata(name, state, &input, &context),
            ("Pass", false) => self.pass(state, &input, &context),
            ("Task", _) => self.recover(name, state, &input, jsonata, |sim, c| {
                sim.task(name, state, &input, c, jsonata)
            })?,
            ("Map", _) => self.recover(name, state, &input, jsonata, |sim, c| {
                sim.map(name, state, &input, c, jsonata)
            })?,
            ("Parallel", _) => self.recover(name, state, &input, jsonata, |sim, c| {
                sim.parallel(name, state, &input, c, jsonata)
            })?,
            ("Choice", false) => self.choice(state, &input, &context),
            ("Choice", true) => self.choice_jsonata(name, state, &input, &context),
            ("Wait", _) => self.wait(name, state, &input, &context, jsonata)?,
            ("Succeed", false) => select(state, "InputPath", input.clone(), &context)
                .and_then(|v| select(state, "OutputPath", v, &context))
                .map(|v| (v, None)),
            ("Fail", _) => Err(self.fail(name, state, &input, &context, jsonata)),
            (other, _) => {
                return Err(Abort::Sim(SimulateError::Definition(format!(
                    "state '{name}' has Type '{other}', which is not a state type"
                ))))
            }
        };
        if let Some(e) = self.jsonata.aborted.take() {
            return Err(Abort::Sim(e));
        }
        let (output, chosen) = match outcome {
            Ok(o) => o,
            Err(f) => return Ok(Transition::Fail(f)),
        };
        let details = json!({"name": name, "output": text(&output)});
        self.event(
            &format!("{kind}StateExited"),
            Some(("stateExitedEventDetails", details)),
        )?;
        if let Some(next) = chosen.or_else(|| state.get("Next").and_then(Json::as_str).map(str::to_owned)) {
            return Ok(Transition::Next(next, output));
        }
        if kind == "Succeed" || state.get("End") == Some(&Json::Bool(true)) {
            return Ok(Transition::End(output));
        }
        Err(Abort::Sim(SimulateError::Definition(format!(
            "state '{name}' has neither Next nor End"
        ))))
    }

    /// The virtual clock, in milliseconds since the epoch.
    fn now_millis(&self) -> i64 {
        let now = self.start + time::Duration::seconds_f64(self.clock);
        i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// A JSONata field of state `name` evaluated; a failure is recorded as
    /// the service's `EvaluationFailed` event.
    fn eval(&mut self, name: &str, field: &str, value: &Json, b: &Bindings) -> Result<Json, Failure> {
        let now = self.now_millis();
        self.jsonata
            .evaluate(name, field, value, b, &mut self.rng, now)
            .map_err(|f| match f.error.as_str() {
                QUERY_EVALUATION_ERROR => self.evaluation_failed(name, field, f.cause),
                _ => f,
            })
    }

    /// `States.QueryEvaluationError` in field `field` of state `name`,
    /// recorded as the service's `EvaluationFailed` event.
    fn evaluation_failed(&mut self, name: &str, field: &str, cause: String) -> Failure {
        let f = Failure::new(QUERY_EVALUATION_ERROR, cause);
        let details = json!({"state": name, "error": f.error, "cause": f.cause, "location": field});
        self.history.push(
            self.clock,
            "EvaluationFailed",
            Some(("evaluationFailedEventDetails", details)),
        );
        f
    }

    /// A JSONata field that must be a whole number of at least `min`
    /// (`TimeoutSeconds`, `MaxConcurrency` ...).
    fn eval_integer(&mut self, name: &str, field: &str, value: &Json, b: &Bindings, min: i64) -> Result<i64, Failure> {
        let v = self.eval(name, field, value, b)?;
        match v.as_i64().filter(|n| *n >= min) {
            Some(n) => Ok(n),
            None => Err(self.evaluation_failed(
                name,
                field,
                format!(
                    "The field '{field}' of state '{name}' must be an integer of at least {min}, not {}",
                    paths::compact(&v)
                ),
            )),
        }
    }

    /// A JSONata `Output` (or the value `default` without one).
    fn output_jsonata(
        &mut self,
        name: &str,
        field: &str,
        output: Option<&Json>,
        b: &Bindings,
        default: &Json,
    ) -> Result<Json, Failure> {
        match output {
            Some(o) => self.eval(name, field, o, b),
            None => Ok(default.clone()),
        }
    }

    /// A JSONata `Assign` (of a state, a rule or a catcher): evaluated with
    /// the variables from the state's entry (`b.context`), set in the
    /// innermost scope.
    fn assign_jsonata(&mut self, name: &str, field: &str, assign: Option<&Json>, b: &Bindings) -> Result<(), Failure> {
        let Some(assign) = assign else {
            return Ok(());
        };
        let Json::Object(values) = self.eval(name, field, assign, b)? else {
            return Err(Failure::runtime(format!(
                "The {field} of state '{name}' must be an object, not {}",
                paths::compact(assign)
            )));
        };
        if let Some(scope) = self.scopes.last_mut() {
            scope.extend(values);
        }
        Ok(())
    }

    /// A JSONata Pass (or Succeed): `Output`, else the input; `Assign`.
    fn pass_jsonata(&mut self, name: &str, state: &Json, input: &Json, context: &Json) -> Outcome {
        let b = Bindings::new(input, context);
        let output = self.output_jsonata(name, "Output", state.get("Output"), &b, input)?;
        self.assign_jsonata(name, "Assign", state.get("Assign"), &b)?;
        Ok((output, None))
    }

    /// A JSONata Choice: the first rule whose `Condition` is true gives the
    /// next state, its `Assign` and its `Output` (else the state's `Output`,
    /// else the input); with none, `Default` and the state's `Assign`.
    fn choice_jsonata(&mut self, name: &str, state: &Json, input: &Json, context: &Json) -> Outcome {
        let b = Bindings::new(input, context);
        let rules = state
            .get("Choices")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            let field = format!("Choices[{i}].Condition");
            let condition = rule.get("Condition").unwrap_or(&Json::Null);
            let holds = match self.eval(name, &field, condition, &b)? {
                Json::Bool(holds) => holds,
                other => {
                    return Err(self.evaluation_failed(
                        name,
                        &field,
                        format!(
                            "The Condition of rule {i} of Choice '{name}' returned {}, not a boolean",
                            paths::compact(&other)
                        ),
                    ))
                }
            };
            if !holds {
                continue;
            }
            if state.get("Assign").is_some() {
                // The service's documentation says both that the state's Assign is
                // the Default's and that it applies whichever rule matches.
                self.jsonata.aborted = Some(SimulateError::Unsupported {
                    state: name.to_owned(),
                    feature: "an Assign on the Choice itself when a rule matches (whether it applies then is not documented consistently: move it to the rules and the Default's path)".into(),
                });
                return Err(Failure::runtime("not simulated"));
            }
            self.assign_jsonata(name, &format!("Choices[{i}].Assign"), rule.get("Assign"), &b)?;
            let output = match rule.get("Output") {
                Some(o) => self.eval(name, &format!("Choices[{i}].Output"), o, &b)?,
                None => self.output_jsonata(name, "Output", state.get("Output"), &b, input)?,
            };
            let next = rule.get("Next").and_then(Json::as_str).unwrap_or_default().to_owned();
            return Ok((output, Some(next)));
        }
        let default = state
            .get("Default")
            .and_then(Json::as_str)
            .ok_or_else(|| Failure::new("States.NoChoiceMatched", "No Matches!"))?
            .to_owned();
        self.assign_jsonata(name, "Assign", state.get("Assign"), &b)?;
        let output = self.output_jsonata(name, "Output", state.get("Output"), &b, input)?;
        Ok((output, Some(default)))
    }

    /// `Parameters` applied to the state's effective input (after `InputPath`).
    fn effective_input(&mut self, state: &Json, input: &Json, context: &Json) -> Result<Json, Failure> {
        let selected = select(state, "InputPath", input.clone(), context)?;
        match state.get("Parameters") {
            Some(p) => template(p, &selected, context, &mut self.rng),
            None => Ok(selected),
        }
    }

    /// `ResultSelector`, `ResultPath` and `OutputPath` applied to a result.
    fn finish(&mut self, state: &Json, input: &Json, result: Json, context: &Json) -> Result<Json, Failure> {
        let result = match state.get("ResultSelector") {
            Some(s) => template(s, &result, context, &mut self.rng)?,
            None => result,
        };
        self.assign(state.get("Assign"), &result, context)?;
        let placed = place(state, input, result)?;
        select(state, "OutputPath", placed, context)
    }

    fn pass(&mut self, state: &Json, input: &Json, context: &Json) -> Outcome {
        let effective = self.effective_input(state, input, context)?;
        let result = state.get("Result").cloned().unwrap_or(effective);
        self.assign(state.get("Assign"), &result, context)?;
        let placed = place(state, input, result)?;
        Ok((select(state, "OutputPath", placed, context)?, None))
    }

    fn choice(&mut self, state: &Json, input: &Json, context: &Json) -> Outcome {
        let effective = select(state, "InputPath", input.clone(), context)?;
        let mut next = None;
        for rule in state.get("Choices").and_then(Json::as_array).into_iter().flatten() {
            if choice::holds(rule, &effective, context)? {
                next = rule.get("Next").and_then(Json::as_str);
                self.assign(rule.get("Assign"), &effective, context)?;
                break;
            }
        }
        let next = match next {
            Some(n) => n,
            None => {
                let default = state
                    .get("Default")
                    .and_then(Json::as_str)
                    .ok_or_else(|| Failure::new("States.NoChoiceMatched", "No Matches!"))?;
                self.assign(state.get("Assign"), &effective, context)?;
                default
            }
        };
        Ok((select(state, "OutputPath", effective, context)?, Some(next.to_owned())))
    }

    fn wait(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<Outcome, Abort> {
        if jsonata {
            return self.wait_jsonata(name, state, input, context);
        }
        let seconds = (|| -> Result<f64, Failure> {
            let effective = select(state, "InputPath", input.clone(), context)?;
            let value = |key: &str| match state.get(format!("{key}Path")).and_then(Json::as_str) {
                Some(p) => paths::read(p, &effective, context).map(Some),
                None => Ok(state.get(key).cloned()),
            };
            if let Some(s) = value("Seconds")? {
                return s
                    .as_f64()
                    .filter(|s| *s >= 0.0)
                    .ok_or_else(|| Failure::runtime(format!("The Wait's seconds {s} is not a non-negative number")));
            }
            if let Some(t) = value("Timestamp")? {
                let at = choice::timestamp(&t)
                    .ok_or_else(|| Failure::runtime(format!("The Wait's timestamp {t} is not RFC 3339")))?;
                return Ok(((at - self.start).as_seconds_f64() - self.clock).max(0.0));
            }
            Err(Failure::runtime(
                "The Wait has none of Seconds, SecondsPath, Timestamp, TimestampPath",
            ))
        })();
        match seconds {
            Ok(s) => self.advance(s)?,
            Err(f) => return Ok(Err(f)),
        }
        let assigned = select(state, "InputPath", input.clone(), context)
            .and_then(|effective| self.assign(state.get("Assign"), &effective, context));
        if let Err(f) = assigned {
            return Ok(Err(f));
        }
        Ok(select(state, "InputPath", input.clone(), context)
            .and_then(|v| select(state, "OutputPath", v, context))
            .map(|v| (v, None)))
    }

    /// A JSONata Wait: `Seconds` or `Timestamp` (values or expressions),
    /// then `Output` and `Assign`.
    fn wait_jsonata(&mut self, name: &str, state: &Json, input: &Json, context: &Json) -> Result<Outcome, Abort> {
        let b = Bindings::new(input, context);
        let seconds = if let Some(s) = state.get("Seconds") {
            self.eval_integer(name, "Seconds", s, &b, 0).map(|s| s as f64)
        } else if let Some(t) = state.get("Timestamp") {
            self.eval(name, "Timestamp", t, &b).and_then(|t| {
                let Some(at) = choice::timestamp(&t) else {
                    return Err(self.evaluation_failed(
                        name,
                        "Timestamp",
                        format!(
                            "The Timestamp of Wait '{name}' is {}, not an RFC 3339 timestamp",
                            paths::compact(&t)
                        ),
                    ));
                };
                Ok(((at - self.start).as_seconds_f64() - self.clock).max(0.0))
            })
        } else {
            Err(Failure::runtime(format!(
                "The Wait '{name}' has neither Seconds nor Timestamp"
            )))
        };
        match seconds {
            Ok(s) => self.advance(s)?,
            Err(f) => return Ok(Err(f)),
        }
        Ok(self.pass_jsonata(name, state, input, context))
    }

    fn fail(&mut self, name: &str, state: &Json, input: &Json, context: &Json, jsonata: bool) -> Failure {
        if jsonata {
            let b = Bindings::new(input, context);
            let mut field = |key: &str| -> Result<String, Failure> {
                match state.get(key) {
                    None => Ok(String::new()),
                    Some(v) => match self.eval(name, key, v, &b)? {
                        Json::String(s) => Ok(s),
                        other => Err(self.evaluation_failed(
                            name,
                            key,
                            format!(
                                "The {key} of Fail '{name}' must be a string, not {}",
                                paths::compact(&other)
                            ),
                        )),
                    },
                }
            };
            return match (field("Error"), field("Cause")) {
                (Ok(error), Ok(cause)) => Failure { error, cause },
                (Err(f), _) | (_, Err(f)) => f,
            };
        }
        let field = |key: &str| -> Result<String, Failure> {
            if let Some(p) = state.get(format!("{key}Path")).and_then(Json::as_str) {
                let v = if p.starts_with('$') {
                    paths::read(p, input, context)?
                } else {
                    intrinsics::evaluate(p, input, context, &mut Rng::new(p))?
                };
                return Ok(v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            }
            Ok(state.get(key).and_then(Json::as_str).unwrap_or_default().to_owned())
        };
        match (field("Error"), field("Cause")) {
            (Ok(error), Ok(cause)) => Failure { error, cause },
            (Err(f), _) | (_, Err(f)) => f,
        }
    }

    /// Runs `attempt` (given `$$` with the retry count) under the state's
    /// `Retry`, then its `Catch`.
    fn recover(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        jsonata: bool,
        mut attempt: impl FnMut(&mut Self, &Json) -> Result<Result<Json, Failure>, Abort>,
    ) -> Result<Outcome, Abort> {
        let retriers: Vec<Json> = state.get("Retry").and_then(Json::as_array).cloned().unwrap_or_default();
        let mut retries = vec![0u64; retriers.len()];
        let mut context = self.context(name, 0, None);
        let failure = loop {
            match attempt(self, &context)? {
                Ok(result) if jsonata => {
                    let b = Bindings {
                        result: Some(&result),
                        ..Bindings::new(input, &context)
                    };
                    let output = self.output_jsonata(name, "Output", state.get("Output"), &b, &result);
                    match output.and_then(|o| self.assign_jsonata(name, "Assign", state.get("Assign"), &b).map(|()| o))
                    {
                        Ok(output) => return Ok(Ok((output, None))),
                        Err(f) => break f,
                    }
                }
                Ok(result) => match self.finish(state, input, result, &context) {
                    Ok(output) => return Ok(Ok((output, None))),
                    Err(f) => break f,
                },
                Err(f) => {
                    let Some(i) = retriers.iter().position(|r| retry::matches(r, &f.error)) else {
                        break f;
                    };
                    if retries[i] >= retry::max_attempts(&retriers[i]) {
                        break f;
                    }
                    let delay = retry::delay(&retriers[i], retries[i], &mut self.rng);
                    retries[i] += 1;
                    self.advance(delay)?;
                    context = self.context(name, retries.iter().sum(), None);
                }
            }
        };
        for (i, catcher) in state
            .get("Catch")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if retry::matches(catcher, &failure.error) {
                let error_output = json!({"Error": failure.error, "Cause": failure.cause});
                let next = catcher
                    .get("Next")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if jsonata {
                    let b = Bindings {
                        error_output: Some(&error_output),
                        ..Bindings::new(input, &context)
                    };
                    let field = format!("Catch[{i}].Output");
                    let output = self.output_jsonata(name, &field, catcher.get("Output"), &b, &error_output);
                    let field = format!("Catch[{i}].Assign");
                    let assigned =
                        output.and_then(|o| self.assign_jsonata(name, &field, catcher.get("Assign"), &b).map(|()| o));
                    return Ok(assigned.map(|o| (o, Some(next))));
                }
                if let Err(f) = self.assign(catcher.get("Assign"), &error_output, &context) {
                    return Ok(Err(f));
                }
                return Ok(place(catcher, input, error_output).map(|out| (out, Some(next))));
            }
        }
        Ok(Err(failure))
    }

    /// A JSONata Task's `Arguments` (none: `{}`), and its `TimeoutSeconds`
    /// and `HeartbeatSeconds` as the `TaskScheduled` event gives them.
    fn task_arguments_jsonata(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
    ) -> Result<(Json, serde_json::Map<String, Json>), Failure> {
        let b = Bindings::new(input, context);
        let arguments = self.output_jsonata(name, "Arguments", state.get("Arguments"), &b, &json!({}))?;
        let mut limits = serde_json::Map::new();
        for (field, key) in [
            ("TimeoutSeconds", "timeoutInSeconds"),
            ("HeartbeatSeconds", "heartbeatInSeconds"),
        ] {
            if let Some(v) = state.get(field) {
                limits.insert(key.to_owned(), json!(self.eval_integer(name, field, v, &b, 1)?));
            }
        }
        Ok((arguments, limits))
    }

    fn task(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<Result<Json, Failure>, Abort> {
        let prepared = if jsonata {
            self.task_arguments_jsonata(name, state, input, context)
        } else {
            self.effective_input(state, input, context)
                .map(|p| (p, serde_json::Map::new()))
        };
        let (parameters, limits) = match prepared {
            Ok(p) => p,
            Err(f) => return Ok(Err(f)),
        };
        let (resource_type, resource) =
            resource_names(state.get("Resource").and_then(Json::as_str).unwrap_or_default());
        let mut scheduled = json!({
            "resourceType": resource_type, "resource": resource, "region": "us-east-1",
            "parameters": text(&parameters)
        });
        if let Some(details) = scheduled.as_object_mut() {
            details.extend(limits);
        }
        self.event("TaskScheduled", Some(("taskScheduledEventDetails", scheduled)))?;
        let ids = json!({"resourceType": resource_type, "resource": resource});
        self.event("TaskStarted", Some(("taskStartedEventDetails", ids.clone())))?;
        let n = self.invocations.entry(name.to_owned()).or_insert(0);
        let invocation = *n;
        *n += 1;
        match self.case.response(name, invocation)?.clone() {
            MockedResponse::Return(result) => {
                let mut details = ids;
                details["output"] = Json::String(text(&result));
                self.event("TaskSucceeded", Some(("taskSucceededEventDetails", details)))?;
                Ok(Ok(result))
            }
            MockedResponse::Throw { error, cause } => {
                let mut details = ids;
                details["error"] = Json::String(error.clone());
                details["cause"] = Json::String(cause.clone());
                if error == "States.Timeout" {
                    self.event("TaskTimedOut", Some(("taskTimedOutEventDetails", details)))?;
                } else {
                    self.event("TaskFailed", Some(("taskFailedEventDetails", details)))?;
                }
                Ok(Err(Failure { error, cause }))
            }
        }
    }

    /// The items of a Map: from its `ItemReader` (a distributed Map reading
    /// S3: the list is the state's mocked response, as for a Task), else from
    /// `ItemsPath`.
    fn map_items(
        &mut self,
        name: &str,
        state: &Json,
        effective: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<Result<Vec<Json>, Failure>, Abort> {
        let b = Bindings::new(effective, context);
        if let Some(reader) = state.get("ItemReader") {
            if jsonata {
                // Its Arguments go to S3, which the mock stands for: evaluated for their errors.
                if let Err(f) = self.eval(name, "ItemReader", reader, &b) {
                    return Ok(Err(f));
                }
            }
            let n = self.invocations.entry(name.to_owned()).or_insert(0);
            let invocation = *n;
            *n += 1;
            return Ok(match self.case.response(name, invocation)?.clone() {
                MockedResponse::Return(Json::Array(items)) => Ok(items),
                MockedResponse::Return(other) => Err(Failure::runtime(format!(
                    "The mocked items of the ItemReader of Map '{name}' must be a JSON array (the objects or rows the reader would read), not {}",
                    paths::compact(&other)
                ))),
                MockedResponse::Throw { error, cause } => Err(Failure { error, cause }),
            });
        }
        if jsonata {
            return Ok(match state.get("Items") {
                Some(items) => match self.eval(name, "Items", items, &b) {
                    Ok(Json::Array(items)) => Ok(items),
                    Ok(other) => Err(self.evaluation_failed(
                        name,
                        "Items",
                        format!(
                            "The Items of Map '{name}' must be an array, not {}",
                            paths::compact(&other)
                        ),
                    )),
                    Err(f) => Err(f),
                },
                None => match effective {
                    Json::Array(items) => Ok(items.clone()),
                    other => Err(Failure::runtime(format!(
                        "The input of Map '{name}' must be an array when the Map has no Items, not {}",
                        paths::compact(other)
                    ))),
                },
            });
        }
        let items_path = state.get("ItemsPath").and_then(Json::as_str).unwrap_or("$");
        Ok(match paths::read(items_path, effective, context) {
            Ok(Json::Array(items)) => Ok(items),
            Ok(other) => Err(Failure::runtime(format!(
                "The Map's ItemsPath '{items_path}' must point to an array, not {}",
                paths::compact(&other)
            ))),
            Err(f) => Err(f),
        })
    }

    /// Groups the item inputs into batches (`ItemBatcher`, its `BatchInput`
    /// already evaluated): `{"BatchInput", "Items"}`.
    fn batches(batcher: &Json, batch_input: Option<Json>, inputs: Vec<Json>) -> Vec<Json> {
        let max_items = batcher.get("MaxItemsPerBatch").and_then(Json::as_u64).unwrap_or(0) as usize;
        let max_bytes = batcher.get("MaxInputBytesPerBatch").and_then(Json::as_u64).unwrap_or(0) as usize;
        let mut out = Vec::new();
        let mut current: Vec<Json> = Vec::new();
        let mut bytes = 0;
        for item in inputs {
            let size = item.to_string().len();
            let full = (max_items > 0 && current.len() >= max_items) || (max_bytes > 0 && bytes + size > max_bytes);
            if full && !current.is_empty() {
                out.push(std::mem::take(&mut current));
                bytes = 0;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            out.push(current);
        }
        out.into_iter()
            .map(|items| {
                let mut b = serde_json::Map::new();
                if let Some(bi) = &batch_input {
                    b.insert("BatchInput".into(), bi.clone());
                }
                b.insert("Items".into(), Json::Array(items));
                Json::Object(b)
            })
            .collect()
    }

    /// A Map's limits, batcher and writer; in JSONata, evaluated.
    fn map_settings(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<MapSettings, Failure> {
        if !jsonata {
            return Ok(MapSettings {
                concurrency: state.get("MaxConcurrency").and_then(Json::as_u64).unwrap_or(0) as usize,
                tolerated_count: state.get("ToleratedFailureCount").and_then(Json::as_u64),
                tolerated_percentage: state.get("ToleratedFailurePercentage").and_then(Json::as_f64),
                batcher: state.get("ItemBatcher").cloned(),
                writer: state.get("ResultWriter").cloned(),
            });
        }
        let b = Bindings::new(input, context);
        let concurrency = match state.get("MaxConcurrency") {
            Some(v) => self.eval_integer(name, "MaxConcurrency", v, &b, 0)? as usize,
            None => 0,
        };
        let tolerated_count = match state.get("ToleratedFailureCount") {
            Some(v) => Some(self.eval_integer(name, "ToleratedFailureCount", v, &b, 0)? as u64),
            None => None,
        };
        let tolerated_percentage = match state.get("ToleratedFailurePercentage") {
            Some(v) => {
                let p = self.eval(name, "ToleratedFailurePercentage", v, &b)?;
                match p.as_f64().filter(|p| (0.0..=100.0).contains(p)) {
                    Some(p) => Some(p),
                    None => {
                        return Err(self.evaluation_failed(
                            name,
                            "ToleratedFailurePercentage",
                            format!(
                                "The ToleratedFailurePercentage of Map '{name}' must be a number from 0 to 100, not {}",
                                paths::compact(&p)
                            ),
                        ))
                    }
                }
            }
            None => None,
        };
        let mut evaluated = |field: &str| state.get(field).map(|v| self.eval(name, field, v, &b)).transpose();
        let batcher = evaluated("ItemBatcher")?;
        let writer = evaluated("ResultWriter")?;
        Ok(MapSettings {
            concurrency,
            tolerated_count,
            tolerated_percentage,
            batcher,
            writer,
        })
    }

    fn map(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<Result<Json, Failure>, Abort> {
        let effective = if jsonata {
            Ok(input.clone())
        } else {
            select(state, "InputPath", input.clone(), context)
        };
        let settings = effective.and_then(|e| Ok((self.map_settings(name, state, input, context, jsonata)?, e)));
        let (settings, effective) = match settings {
            Ok(s) => s,
            Err(f) => return Ok(Err(f)),
        };
        let distributed = state
            .pointer("/ItemProcessor/ProcessorConfig/Mode")
            .and_then(Json::as_str)
            == Some("DISTRIBUTED");
        let items = match self.map_items(name, state, &effective, context, jsonata)? {
            Ok(items) => items,
            Err(f) => return Ok(Err(f)),
        };
        let processor = state
            .get("ItemProcessor")
            .or_else(|| state.get("Iterator"))
            .ok_or_else(|| SimulateError::Definition(format!("Map state '{name}' has no ItemProcessor")))?;
        let selector = if jsonata {
            state.get("ItemSelector")
        } else {
            state.get("ItemSelector").or_else(|| state.get("Parameters"))
        };
        let mut inputs = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_context = self.context(name, 0, Some((index, item)));
            let selected = match selector {
                Some(s) if jsonata => self.eval(name, "ItemSelector", s, &Bindings::new(&effective, &item_context)),
                Some(s) => template(s, &effective, &item_context, &mut self.rng),
                None => Ok(item.clone()),
            };
            match selected {
                Ok(i) => inputs.push(i),
                Err(f) => return Ok(Err(f)),
            }
        }
        if let Some(batcher) = &settings.batcher {
            let batch_input = match batcher.get("BatchInput") {
                Some(b) if jsonata => Ok(Some(b.clone())),
                Some(b) => template(b, &effective, context, &mut self.rng).map(Some),
                None => Ok(None),
            };
            inputs = match batch_input {
                Ok(b) => Self::batches(batcher, b, inputs),
                Err(f) => return Ok(Err(f)),
            };
        }
        let MapSettings {
            concurrency,
            tolerated_count,
            tolerated_percentage,
            ..
        } = settings;
        let started = if distributed {
            self.event(
                "MapRunStarted",
                Some(("mapRunStartedEventDetails", json!({"length": inputs.len()}))),
            )?
        } else {
            self.event(
                "MapStateStarted",
                Some(("mapStateStartedEventDetails", json!({"length": inputs.len()}))),
            )?
        };
        let start = self.clock;
        let mut running: Vec<f64> = Vec::new();
        let mut end = start;
        let mut results = Vec::with_capacity(inputs.len());
        let mut failed: Vec<Failure> = Vec::new();
        let total = inputs.len();
        for (index, item_input) in inputs.into_iter().enumerate() {
            self.clock = if concurrency == 0 || running.len() < concurrency {
                start
            } else {
                let first = (0..running.len())
                    .min_by(|a, b| running[*a].total_cmp(&running[*b]))
                    .unwrap_or(0);
                running.swap_remove(first)
            };
            self.history.previous = started;
            let iteration = json!({"name": name, "index": index});
            if !distributed {
                self.event(
                    "MapIterationStarted",
                    Some(("mapIterationStartedEventDetails", iteration.clone())),
                )?;
            }
            let result = self.run_scoped(processor, item_input, distributed)?;
            end = end.max(self.clock);
            running.push(self.clock);
            match result {
                Ok(output) => {
                    if !distributed {
                        self.event(
                            "MapIterationSucceeded",
                            Some(("mapIterationSucceededEventDetails", iteration)),
                        )?;
                    }
                    results.push(output);
                }
                Err(f) if distributed => {
                    results.push(json!({"Error": f.error, "Cause": f.cause}));
                    failed.push(f);
                    let over_count = tolerated_count.is_none_or(|c| failed.len() as u64 > c);
                    let over_percentage =
                        tolerated_percentage.is_none_or(|p| failed.len() as f64 * 100.0 / total.max(1) as f64 > p);
                    if over_count && over_percentage {
                        self.clock = end;
                        self.event("MapRunFailed", None)?;
                        return Ok(Err(Failure::new(
                            "States.ExceedToleratedFailureThreshold",
                            format!(
                                "The Map Run of '{name}' failed: {} of {total} child executions failed, more than tolerated; the first failed with {}: {}",
                                failed.len(),
                                failed[0].error,
                                failed[0].cause
                            ),
                        )));
                    }
                }
                Err(f) => {
                    self.event(
                        "MapIterationFailed",
                        Some(("mapIterationFailedEventDetails", iteration)),
                    )?;
                    self.clock = end;
                    self.event("MapStateFailed", None)?;
                    return Ok(Err(f));
                }
            }
        }
        self.clock = end;
        if !distributed {
            self.event("MapStateSucceeded", None)?;
            return Ok(Ok(Json::Array(results)));
        }
        self.event("MapRunSucceeded", None)?;
        let map_run = format!(
            "{}/{}",
            self.context["Execution"]["Id"]
                .as_str()
                .unwrap_or_default()
                .replace(":execution:", ":mapRun:"),
            name
        );
        match &settings.writer {
            // The results go to S3: the state's result says where.
            Some(writer) => {
                let target = writer.get("Arguments").or_else(|| writer.get("Parameters"));
                let bucket = target.and_then(|t| t.get("Bucket")).cloned().unwrap_or(Json::Null);
                let prefix = target
                    .and_then(|t| t.get("Prefix"))
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                let key = format!(
                    "{}{}/manifest.json",
                    if prefix.is_empty() {
                        String::new()
                    } else {
                        format!("{prefix}/")
                    },
                    self.rng.uuid()
                );
                Ok(Ok(
                    json!({"MapRunArn": map_run, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}),
                ))
            }
            None => Ok(Ok(Json::Array(results))),
        }
    }

    fn parallel(
        &mut self,
        name: &str,
        state: &Json,
        input: &Json,
        context: &Json,
        jsonata: bool,
    ) -> Result<Result<Json, Failure>, Abort> {
        let effective = if jsonata {
            let b = Bindings::new(input, context);
            self.output_jsonata(name, "Arguments", state.get("Arguments"), &b, input)
        } else {
            self.effective_input(state, input, context)
        };
        let effective = match effective {
            Ok(e) => e,
            Err(f) => return Ok(Err(f)),
        };
        let started = self.event("ParallelStateStarted", None)?;
        let start = self.clock;
        let mut end = start;
        let mut results = Vec::new();
        for branch in state.get("Branches").and_then(Json::as_array).into_iter().flatten() {
            self.clock = start;
            self.history.previous = started;
            let result = self.run_scoped(branch, effective.clone(), false)?;
            end = end.max(self.clock);
            match result {
                Ok(output) => results.push(output),
                Err(f) => {
                    self.clock = end;
                    self.event("ParallelStateFailed", None)?;
                    return Ok(Err(f));
                }
            }
        }
        self.clock = end;
        self.event("ParallelStateSucceeded", None)?;
        Ok(Ok(Json::Array(results)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{simulate, MockConfig};
    use super::*;

    /// Runs `definition` with `responses` (state → list of responses by invocation).
    fn run_with(definition: Json, input: Json, responses: Json) -> Result<Execution, SimulateError> {
        let mut states = serde_json::Map::new();
        let mut mocked = serde_json::Map::new();
        for (state, list) in responses.as_object().into_iter().flatten() {
            states.insert(state.clone(), json!(format!("{state}Mock")));
            let entries: serde_json::Map<String, Json> = list
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, r)| (i.to_string(), r.clone()))
                .collect();
            mocked.insert(format!("{state}Mock"), Json::Object(entries));
        }
        let config = MockConfig::from_json(
            json!({"StateMachines": {"M": {"TestCases": {"T": states}}}, "MockedResponses": mocked}),
            "test",
        )?;
        simulate(
            &definition,
            &input,
            &config.test_case("M", "T")?,
            &SimulateOptions::default(),
        )
    }

    fn run(definition: Json, input: Json, responses: Json) -> Execution {
        run_with(definition, input, responses).unwrap_or_else(|e| panic!("{e}"))
    }

    fn ok(result: Json) -> Json {
        json!({"Return": result})
    }

    fn throw(error: &str) -> Json {
        json!({"Throw": {"Error": error, "Cause": format!("{error} happened")}})
    }

    fn kinds(run: &Execution) -> Vec<&str> {
        run.history.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn input_and_output_processing() {
        let def = json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "InputPath": "$.in", "Parameters": {"x.$": "$.v", "name.$": "$$.Execution.Name", "fixed": [1]},
            "ResultPath": "$.res", "OutputPath": "$.res", "End": true
        }}});
        let r = run(def, json!({"in": {"v": 7}}), json!({}));
        assert_eq!(r.output, Some(json!({"x": 7, "name": "simulation", "fixed": [1]})));

        let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": null, "End": true}}});
        assert_eq!(
            run(def, json!({"a": 1}), json!({})).output,
            Some(json!({"a": 1})),
            "ResultPath null keeps the input"
        );
        let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": null, "End": true}}});
        assert_eq!(
            run(def, json!({"a": 1}), json!({})).output,
            Some(json!({})),
            "InputPath null gives {{}}"
        );
        let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"i.$": "$$.Execution.Input.a"}, "End": true}}});
        assert_eq!(run(def, json!({"a": 3}), json!({})).output, Some(json!({"i": 3})));
    }

    #[test]
    fn a_task_takes_its_mocked_result_through_result_selector_and_path() {
        let def = json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "ResultSelector": {"code.$": "$.Payload.code"}, "ResultPath": "$.Output", "End": true
        }}});
        let r = run(
            def,
            json!({"id": 1}),
            json!({"T": [ok(json!({"StatusCode": 200, "Payload": {"code": 80}}))]}),
        );
        assert_eq!(r.status, "SUCCEEDED");
        assert_eq!(r.output, Some(json!({"id": 1, "Output": {"code": 80}})));
        assert_eq!(
            kinds(&r),
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        assert_eq!(
            r.history[2].details["taskScheduledEventDetails"]["resourceType"],
            "lambda"
        );
        assert_eq!(
            r.history[2].details["taskScheduledEventDetails"]["parameters"],
            r#"{"FunctionName":"f","Payload":{"id":1}}"#
        );
    }

    fn flaky(retry: Json, catch: Json) -> Json {
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Retry": retry, "Catch": catch, "End": true},
            "Handled": {"Type": "Pass", "End": true},
            "Other": {"Type": "Pass", "End": true}
        }})
    }

    #[test]
    fn retries_wait_on_the_virtual_clock() {
        let retry = json!([{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 3}]);
        let r = run(
            flaky(retry.clone(), json!([])),
            json!({}),
            json!({"T": [throw("Busy"), throw("Busy"), throw("Busy"), ok(json!(1))]}),
        );
        assert_eq!(r.status, "SUCCEEDED");
        assert_eq!(r.elapsed_seconds, 2.0 + 6.0 + 18.0);
        assert_eq!(kinds(&r).iter().filter(|k| **k == "TaskFailed").count(), 3);
        assert_eq!(r.history.last().expect("ok").timestamp, "2026-01-01T00:00:26Z");

        let capped = json!([{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxDelaySeconds": 5}]);
        let r = run(
            flaky(capped, json!([])),
            json!({}),
            json!({"T": [throw("Busy"), throw("Busy"), throw("Busy"), ok(json!(1))]}),
        );
        assert_eq!(r.elapsed_seconds, 2.0 + 5.0 + 5.0);

        let jitter =
            json!([{"ErrorEquals": ["Busy"], "IntervalSeconds": 10, "JitterStrategy": "FULL", "MaxAttempts": 1}]);
        let r = run(
            flaky(jitter, json!([])),
            json!({}),
            json!({"T": [throw("Busy"), ok(json!(1))]}),
        );
        assert!(
            r.elapsed_seconds > 0.0 && r.elapsed_seconds < 10.0,
            "{}",
            r.elapsed_seconds
        );

        let r = run(
            flaky(retry, json!([])),
            json!({}),
            json!({"T": [throw("Busy"), throw("Busy"), throw("Busy"), throw("Busy")]}),
        );
        assert_eq!(
            (r.status.as_str(), r.error.as_deref()),
            ("FAILED", Some("Busy")),
            "3 retries, then it fails"
        );
    }

    #[test]
    fn a_retry_sees_its_count_in_the_context() {
        let def = json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"retry.$": "$$.State.RetryCount"}, "ResultSelector": {"retry.$": "$$.State.RetryCount"},
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1}], "End": true
        }}});
        let r = run(
            def,
            json!({}),
            json!({"T": [throw("Busy"), throw("Busy"), ok(json!({}))]}),
        );
        assert_eq!(r.output, Some(json!({"retry": 2})));
        let scheduled: Vec<&str> = r
            .history
            .iter()
            .filter(|e| e.kind == "TaskScheduled")
            .filter_map(|e| e.details["taskScheduledEventDetails"]["parameters"].as_str())
            .collect();
        assert_eq!(scheduled, [r#"{"retry":0}"#, r#"{"retry":1}"#, r#"{"retry":2}"#]);
    }

    #[test]
    fn the_first_matching_catcher_takes_the_error_into_its_result_path() {
        let catch = json!([
            {"ErrorEquals": ["Nope"], "Next": "Other"},
            {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"},
            {"ErrorEquals": ["States.ALL"], "Next": "Other"}
        ]);
        let r = run(
            flaky(json!([]), catch.clone()),
            json!({"a": 1}),
            json!({"T": [throw("Boom")]}),
        );
        assert_eq!(r.path, ["T", "Handled"]);
        assert_eq!(
            r.output,
            Some(json!({"a": 1, "error": {"Error": "Boom", "Cause": "Boom happened"}}))
        );
        let r = run(
            flaky(json!([]), catch),
            json!({}),
            json!({"T": [throw("States.Timeout")]}),
        );
        assert_eq!(
            r.path,
            ["T", "Other"],
            "States.TaskFailed does not match States.Timeout"
        );
        assert!(kinds(&r).contains(&"TaskTimedOut"));
        let r = run(
            flaky(json!([]), json!([{"ErrorEquals": ["States.ALL"], "Next": "Other"}])),
            json!({}),
            json!({"T": [throw("States.Runtime")]}),
        );
        assert_eq!(
            r.error.as_deref(),
            Some("States.Runtime"),
            "States.ALL does not catch States.Runtime"
        );
    }

    #[test]
    fn waits_cost_virtual_time_and_the_machine_times_out() {
        let def = json!({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 60, "Next": "W2"},
            "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"},
            "W3": {"Type": "Wait", "Timestamp": "2026-01-01T00:05:00Z", "End": true}
        }});
        let r = run(def.clone(), json!({"s": 30}), json!({}));
        assert_eq!((r.status.as_str(), r.elapsed_seconds), ("SUCCEEDED", 300.0));
        let mut timed = def;
        timed["TimeoutSeconds"] = json!(100);
        let r = run(timed, json!({"s": 30}), json!({}));
        assert_eq!((r.status.as_str(), r.elapsed_seconds), ("TIMED_OUT", 100.0));
        assert_eq!(r.error.as_deref(), Some("States.Timeout"));
        assert_eq!(kinds(&r).last(), Some(&"ExecutionTimedOut"));
    }

    fn map(concurrency: u64) -> Json {
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
            "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "tag.$": "$.tag"},
            "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": true}}},
            "ResultPath": "$.results", "End": true
        }}})
    }

    #[test]
    fn map_iterations_run_max_concurrency_at_a_time() {
        let input = json!({"items": ["a", "b", "c", "d"], "tag": "t"});
        let r = run(map(2), input.clone(), json!({}));
        assert_eq!(r.elapsed_seconds, 20.0);
        assert_eq!(
            r.output.expect("ok")["results"][3],
            json!({"value": "d", "index": 3, "tag": "t"})
        );
        assert_eq!(
            run(map(0), input.clone(), json!({})).elapsed_seconds,
            10.0,
            "0: all at once"
        );
        assert_eq!(run(map(1), input.clone(), json!({})).elapsed_seconds, 40.0);
        let r = run(map(3), input, json!({}));
        assert_eq!(r.elapsed_seconds, 20.0);
        let k = kinds(&r);
        assert_eq!(k.iter().filter(|k| **k == "MapIterationStarted").count(), 4);
        assert_eq!(k[1..4], ["MapStateEntered", "MapStateStarted", "MapIterationStarted"]);
        let ids: Vec<u64> = r.history.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            (1..=ids.len() as u64).collect::<Vec<_>>(),
            "events renumbered in time order"
        );
        assert!(r
            .history
            .windows(2)
            .all(|w| w[0].elapsed_seconds <= w[1].elapsed_seconds));
    }

    #[test]
    fn a_failed_iteration_fails_the_map_and_its_catch_handles_it() {
        let def = json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "T", "States": {
                    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handled"}], "End": true},
            "Handled": {"Type": "Pass", "End": true}
        }});
        let r = run(
            def,
            json!({"items": [1, 2, 3]}),
            json!({"T": [ok(json!(1)), throw("Bad")]}),
        );
        assert_eq!(r.path, ["M", "T", "T", "Handled"], "the third iteration never runs");
        assert!(kinds(&r).contains(&"MapIterationFailed") && kinds(&r).contains(&"MapStateFailed"));
        assert_eq!(r.output.expect("ok")["err"]["Error"], "Bad");
    }

    #[test]
    fn parallel_branches_share_the_input_and_the_clock() {
        let branch = |secs: u64| {
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": secs, "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"s": secs, "in.$": "$.x"}, "End": true}}})
        };
        let def = json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [branch(5), branch(30)], "End": true}}});
        let r = run(def, json!({"x": 1}), json!({}));
        assert_eq!(r.output, Some(json!([{"s": 5, "in": 1}, {"s": 30, "in": 1}])));
        assert_eq!(r.elapsed_seconds, 30.0);
        assert!(kinds(&r).contains(&"ParallelStateSucceeded"));
    }

    #[test]
    fn choice_fail_and_no_match() {
        let def = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}]},
            "Big": {"Type": "Fail", "Error": "TooBig", "CausePath": "States.Format('n was {}', $.n)"}
        }});
        let r = run(def.clone(), json!({"n": 5}), json!({}));
        assert_eq!(
            (r.error.as_deref(), r.cause.as_deref()),
            (Some("TooBig"), Some("n was 5"))
        );
        assert_eq!(r.final_state.as_deref(), Some("Big"));
        assert_eq!(kinds(&r)[3..], ["FailStateEntered", "ExecutionFailed"]);
        let r = run(def, json!({"n": 0}), json!({}));
        assert_eq!(r.error.as_deref(), Some("States.NoChoiceMatched"));
    }

    #[test]
    fn unmocked_and_unsupported_are_errors_not_results() {
        let def = flaky(json!([]), json!([]));
        let e = run_with(def, json!({}), json!({})).expect_err("an error").to_string();
        assert!(e.contains("state 'T'") && e.contains("test case 'T'"), "{e}");
        let clock = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": "{% $toMillis('10:00', '[H]:[m]') %}", "End": true}}});
        let e = run_with(clock, json!({}), json!({})).expect_err("an error");
        assert!(
            matches!(&e, SimulateError::Unsupported { state, feature } if state == "P" && feature.contains("wall clock")),
            "{e}"
        );
    }

    #[test]
    fn unsupported_features_are_refused_before_anything_runs() {
        // An unmocked task comes first, an expression the simulator will not
        // guess inside a Map later: the refusal names the JSONata state.
        let nested = json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {
                "P": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": " {% $states.input %}", "End": true}}}, "End": true}
        }});
        let e = run_with(nested.clone(), json!({}), json!({})).expect_err("an error");
        assert!(
            matches!(&e, SimulateError::Unsupported { state, .. } if state == "P"),
            "{e}"
        );
        assert!(e.to_string().contains("white space"), "{e}");
        // So is an expression that does not parse: a definition error naming state and field.
        let mut broken = nested;
        broken["States"]["M"]["ItemProcessor"]["States"]["P"]["Output"] = json!({"x": "{% $states.input. %}"});
        let e = run_with(broken, json!({}), json!({})).expect_err("an error");
        assert!(
            matches!(&e, SimulateError::Definition(m) if m.contains("state 'P'") && m.contains("Output.x")),
            "{e}"
        );
    }

    #[test]
    fn variables_are_set_when_a_state_ends_and_read_in_any_path() {
        let def = json!({"StartAt": "Look", "States": {
            "Look": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "ResultSelector": {"id.$": "$.Payload.Id"},
                     "Assign": {"cluster.$": "$.id", "tries": 0, "old.$": "$tries"}, "ResultPath": null, "Next": "Count"},
            "Count": {"Type": "Pass", "Assign": {"tries.$": "States.MathAdd($tries, 1)"}, "Next": "Enough"},
            "Enough": {"Type": "Choice", "Choices": [
                {"Variable": "$tries", "NumericGreaterThanEquals": 2, "Assign": {"verdict": "done"}, "Next": "Each"}],
                "Default": "Count", "Assign": {"verdict": "again"}},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Use", "States": {
                "Use": {"Type": "Pass", "Assign": {"inner": 1},
                        "Parameters": {"c.$": "States.Format('{}-{}', $cluster, $)", "v.$": "$verdict"}, "End": true}}},
                "ResultPath": "$.out", "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"tries.$": "$tries", "out.$": "$.out"}, "End": true}
        }});
        // `$tries` is read in the Assign that sets it first: the values are those from before.
        let r = run(
            def.clone(),
            json!({"items": ["a", "b"]}),
            json!({"Look": [ok(json!({"Payload": {"Id": "db-1"}}))]}),
        );
        assert_eq!(
            r.cause.as_deref(),
            Some("The variable '$tries' is not assigned in this scope")
        );
        let mut def = def;
        def["States"]["Look"]["Assign"] = json!({"cluster.$": "$.id", "tries": 0});
        let run = run(
            def,
            json!({"items": ["a", "b"]}),
            json!({"Look": [ok(json!({"Payload": {"Id": "db-1"}}))]}),
        );
        assert_eq!(run.status, "SUCCEEDED", "{:?}", run.cause);
        assert_eq!(
            run.output,
            Some(json!({"tries": 2, "out": [{"c": "db-1-a", "v": "done"}, {"c": "db-1-b", "v": "done"}]}))
        );
        assert_eq!(run.path.iter().filter(|p| *p == "Count").count(), 2);
    }

    #[test]
    fn a_variable_of_an_iteration_is_not_seen_outside_and_a_distributed_child_sees_none() {
        let leak = json!({"StartAt": "Each", "States": {
            "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Set", "States": {
                "Set": {"Type": "Pass", "Assign": {"inner": 1}, "End": true}}}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"x.$": "$inner"}, "End": true}}});
        let r = run(leak, json!([1]), json!({}));
        assert_eq!(r.error.as_deref(), Some("States.Runtime"));
        assert!(
            r.cause
                .as_deref()
                .unwrap_or_default()
                .contains("'$inner' is not assigned"),
            "{:?}",
            r.cause
        );
        let isolated = json!({"StartAt": "Set", "States": {
            "Set": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Read", "States": {"Read": {"Type": "Pass", "Parameters": {"x.$": "$outer"}, "End": true}}},
             "End": true}}});
        let r = run(isolated, json!({"items": [1]}), json!({}));
        assert_eq!(
            r.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold"),
            "{:?}",
            r.cause
        );
        assert!(
            r.cause
                .as_deref()
                .unwrap_or_default()
                .contains("'$outer' is not assigned"),
            "{:?}",
            r.cause
        );
    }

    fn distributed(tolerated: Json, writer: bool) -> Json {
        let mut m = json!({"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                           "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "in", "Key": "items.json"}},
            "ItemSelector": {"id.$": "$$.Map.Item.Value.id"},
            "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run"}},
            "MaxConcurrency": 2,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
            "End": true});
        if let (Json::Object(m), Json::Object(t)) = (&mut m, tolerated) {
            m.extend(t);
        }
        if writer {
            m["ResultWriter"] =
                json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "runs"}});
        }
        json!({"StartAt": "Each", "States": {"Each": m}})
    }

    #[test]
    fn a_distributed_map_reads_its_mocked_items_in_batches() {
        let items = json!([{"id": 1}, {"id": 2}, {"id": 3}]);
        let r = run(
            distributed(json!({}), false),
            json!({"run": "r1"}),
            json!({"Each": [ok(items.clone())], "Work": [ok(json!("a")), ok(json!("b"))]}),
        );
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        assert_eq!(r.output, Some(json!(["a", "b"])), "two batches of at most two");
        let work: Vec<&super::super::Event> = r.history.iter().filter(|e| e.kind == "TaskScheduled").collect();
        let first = work[0].details["taskScheduledEventDetails"]["parameters"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(first, r#"{"BatchInput":{"run":"r1"},"Items":[{"id":1},{"id":2}]}"#);
        assert!(kinds(&r).contains(&"MapRunStarted") && kinds(&r).contains(&"MapRunSucceeded"));
        // With a ResultWriter the result says where the results went.
        let r = run(
            distributed(json!({}), true),
            json!({"run": "r1"}),
            json!({"Each": [ok(items)], "Work": [ok(json!("a")), ok(json!("b"))]}),
        );
        let out = r.output.unwrap_or_default();
        assert_eq!(out["ResultWriterDetails"]["Bucket"], "out");
        assert!(
            out["ResultWriterDetails"]["Key"]
                .as_str()
                .is_some_and(|k| k.starts_with("runs/") && k.ends_with("/manifest.json")),
            "{out}"
        );
    }

    #[test]
    fn a_distributed_map_tolerates_the_failures_it_is_told_to() {
        let items = json!([{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]);
        let mocks = json!({"Each": [ok(items)], "Work": [ok(json!("a")), throw("Boom")]});
        let r = run(
            distributed(json!({"ToleratedFailureCount": 1}), false),
            json!({"run": "r"}),
            mocks.clone(),
        );
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        assert_eq!(r.output.as_ref().map(|o| o[1]["Error"].clone()), Some(json!("Boom")));
        let r = run(
            distributed(json!({"ToleratedFailurePercentage": 25}), false),
            json!({"run": "r"}),
            mocks,
        );
        assert_eq!(
            r.error.as_deref(),
            Some("States.ExceedToleratedFailureThreshold"),
            "1 of 2 batches is 50 %"
        );
        assert!(
            r.cause
                .as_deref()
                .unwrap_or_default()
                .contains("1 of 2 child executions failed"),
            "{:?}",
            r.cause
        );
    }

    #[test]
    fn an_endless_loop_ends_at_the_history_limit() {
        let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "W"}}});
        let r = run(def, json!({}), json!({}));
        assert_eq!(r.status, "FAILED");
        assert!(r.cause.expect("ok").contains("25000 events"));
        assert_eq!(r.history.len(), 25_001);
    }

    /// A JSONata machine (`QueryLanguage` at the top).
    fn jsonata(states: Json) -> Json {
        let start = states
            .as_object()
            .and_then(|s| s.keys().next().cloned())
            .unwrap_or_default();
        json!({"QueryLanguage": "JSONata", "StartAt": start, "States": states})
    }

    const INVOKE: &str = "arn:aws:states:::lambda:invoke";

    #[test]
    fn jsonata_task_arguments_output_and_assign_read_states_and_variables() {
        let def = jsonata(json!({
            "Count": {"Type": "Pass", "Assign": {"total": "{% $count($states.input.items) %}", "first": "{% $states.input.items[0] %}"},
                      "Next": "Check"},
            "Check": {"Type": "Task", "Resource": INVOKE,
                      "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $total %}", "id": "{% $first %}", "literal": "$total"}},
                      "Output": {"up": "{% $states.result.Payload.up %}", "n": "{% $total %}", "was": "{% $states.input.items %}"},
                      "Assign": {"total": "{% $total + 1 %}", "seen": "{% $total %}"},
                      "Next": "Done"},
            "Done": {"Type": "Pass", "Output": {"total": "{% $total %}", "seen": "{% $seen %}", "in": "{% $states.input %}"}, "End": true}
        }));
        let r = run(
            def,
            json!({"items": ["a", "b"]}),
            json!({"Check": [ok(json!({"StatusCode": 200, "Payload": {"up": true}}))]}),
        );
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        let scheduled = r.history.iter().find(|e| e.kind == "TaskScheduled").expect("scheduled");
        assert_eq!(
            scheduled.details["taskScheduledEventDetails"]["parameters"],
            r#"{"FunctionName":"f","Payload":{"n":2,"id":"a","literal":"$total"}}"#,
            "Arguments evaluated, a plain string a literal"
        );
        assert_eq!(
            r.output,
            Some(json!({"total": 3, "seen": 2, "in": {"up": true, "n": 2, "was": ["a", "b"]}})),
            "Output and Assign both read the values from the state's entry"
        );
    }

    #[test]
    fn jsonata_outputs_default_to_the_result_and_to_the_input() {
        let def = jsonata(json!({
            "T": {"Type": "Task", "Resource": INVOKE, "Arguments": {"FunctionName": "f"}, "Next": "P"},
            "P": {"Type": "Pass", "Next": "S"},
            "S": {"Type": "Succeed"}
        }));
        let r = run(def.clone(), json!({"in": 1}), json!({"T": [ok(json!({"Payload": 7}))]}));
        assert_eq!(r.output, Some(json!({"Payload": 7})), "a Task's output is its result");
        let mut with_output = def;
        with_output["States"]["S"]["Output"] = json!("{% $states.input.Payload * 6 %}");
        let r = run(with_output, json!({}), json!({"T": [ok(json!({"Payload": 7}))]}));
        assert_eq!(
            r.output,
            Some(json!(42)),
            "a Pass passes its input on; a Succeed may have an Output"
        );
    }

    #[test]
    fn jsonata_catch_reads_the_error_output() {
        let def = jsonata(json!({
            "T": {"Type": "Task", "Resource": INVOKE, "Arguments": {},
                  "Catch": [
                      {"ErrorEquals": ["Other"], "Next": "Unused"},
                      {"ErrorEquals": ["States.ALL"], "Next": "Handled",
                       "Output": {"why": "{% $states.errorOutput.Cause %}", "in": "{% $states.input.id %}"},
                       "Assign": {"failedWith": "{% $states.errorOutput.Error %}"}}],
                  "End": true},
            "Unused": {"Type": "Succeed"},
            "Handled": {"Type": "Pass", "Output": {"error": "{% $failedWith %}", "caught": "{% $states.input %}"}, "End": true}
        }));
        let r = run(def.clone(), json!({"id": 5}), json!({"T": [throw("Boom")]}));
        assert_eq!(r.path, ["T", "Handled"]);
        assert_eq!(
            r.output,
            Some(json!({"error": "Boom", "caught": {"why": "Boom happened", "in": 5}}))
        );
        let mut plain = def;
        plain["States"]["T"]["Catch"][1] = json!({"ErrorEquals": ["States.ALL"], "Next": "Unused"});
        let r = run(plain, json!({"id": 5}), json!({"T": [throw("Boom")]}));
        assert_eq!(
            r.output,
            Some(json!({"Error": "Boom", "Cause": "Boom happened"})),
            "without Output a catcher's output is the error output"
        );
    }

    #[test]
    fn a_query_evaluation_error_fails_the_state_and_can_be_caught() {
        let def = jsonata(json!({
            "T": {"Type": "Task", "Resource": INVOKE, "Output": "{% $states.result.Payload.missing %}",
                  "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Handled"}], "End": true},
            "Handled": {"Type": "Pass", "End": true}
        }));
        let r = run(def.clone(), json!({}), json!({"T": [ok(json!({"Payload": {}}))]}));
        assert_eq!(r.path, ["T", "Handled"]);
        let out = r.output.clone().unwrap_or_default();
        assert_eq!(out["Error"], QUERY_EVALUATION_ERROR);
        assert!(
            out["Cause"]
                .as_str()
                .is_some_and(|c| c.contains("'$states.result.Payload.missing'") && c.contains("'Output'")),
            "{out}"
        );
        let failed = r
            .history
            .iter()
            .find(|e| e.kind == "EvaluationFailed")
            .expect("the event");
        assert_eq!(failed.details["evaluationFailedEventDetails"]["location"], "Output");
        assert_eq!(failed.details["evaluationFailedEventDetails"]["state"], "T");
        let mut uncaught = def;
        uncaught["States"]["T"]["Catch"] = json!([]);
        let r = run(uncaught, json!({}), json!({"T": [ok(json!({"Payload": {}}))]}));
        assert_eq!(
            (r.status.as_str(), r.error.as_deref()),
            ("FAILED", Some(QUERY_EVALUATION_ERROR))
        );
        let type_error = jsonata(json!({"P": {"Type": "Pass", "Output": "{% $states.input.a + 1 %}", "End": true}}));
        let r = run(type_error, json!({"a": "text"}), json!({}));
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR));
    }

    #[test]
    fn jsonata_choice_conditions_rules_and_default() {
        let def = jsonata(json!({
            "C": {"Type": "Choice", "Choices": [
                    {"Condition": "{% $states.input.n > 10 %}", "Next": "Big",
                     "Assign": {"size": "big"}, "Output": {"n": "{% $states.input.n %}"}},
                    {"Condition": "{% $states.input.n > 5 %}", "Next": "Big", "Assign": {"size": "medium"}}],
                  "Default": "Small", "Assign": {"size": "small"}, "Output": {"default": true}},
            "Big": {"Type": "Pass", "Output": {"size": "{% $size %}", "in": "{% $states.input %}"}, "End": true},
            "Small": {"Type": "Pass", "Output": {"size": "{% $size %}", "in": "{% $states.input %}"}, "End": true}
        }));
        let small = run(def.clone(), json!({"n": 1}), json!({}));
        assert_eq!(
            small.output,
            Some(json!({"size": "small", "in": {"default": true}})),
            "no rule holds: the Default, the state's Assign and Output"
        );
        let mut no_state_assign = def.clone();
        if let Some(c) = no_state_assign["States"]["C"].as_object_mut() {
            c.remove("Assign");
        }
        let big = run(no_state_assign.clone(), json!({"n": 11}), json!({}));
        assert_eq!(
            big.output,
            Some(json!({"size": "big", "in": {"n": 11}})),
            "the first rule that holds"
        );
        let medium = run(no_state_assign, json!({"n": 7}), json!({}));
        assert_eq!(
            medium.output,
            Some(json!({"size": "medium", "in": {"default": true}})),
            "a rule without Output: the state's Output"
        );
        // The state's own Assign when a rule matches: documented both ways, so refused.
        let e = run_with(def.clone(), json!({"n": 7}), json!({})).expect_err("refused");
        assert!(
            matches!(&e, SimulateError::Unsupported { state, .. } if state == "C"),
            "{e}"
        );
        let mut not_boolean = def;
        not_boolean["States"]["C"]["Choices"][0]["Condition"] = json!("{% $states.input.n %}");
        let r = run(not_boolean, json!({"n": 11}), json!({}));
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR));
        assert!(
            r.cause.as_deref().unwrap_or_default().contains("not a boolean"),
            "{:?}",
            r.cause
        );
        assert!(
            r.history.iter().any(|e| e.kind == "EvaluationFailed"
                && e.details["evaluationFailedEventDetails"]["location"] == "Choices[0].Condition"),
            "the event names the field"
        );
    }

    #[test]
    fn jsonata_map_items_item_selector_and_limits() {
        let def = jsonata(json!({
            "M": {"Type": "Map", "Items": "{% $states.input.list[$ > 1] %}",
                  "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}",
                                   "tag": "{% $states.input.tag %}"},
                  "MaxConcurrency": "{% $states.input.width %}",
                  "ItemProcessor": {"StartAt": "W", "States": {
                      "W": {"Type": "Wait", "Seconds": "{% $states.input.v * 10 %}", "Next": "Echo"},
                      "Echo": {"Type": "Pass", "Output": "{% $states.input.v & $states.input.tag %}", "End": true}}},
                  "Output": {"all": "{% $states.result %}", "n": "{% $count($states.result) %}"},
                  "End": true}
        }));
        let r = run(
            def.clone(),
            json!({"list": [1, 2, 3], "tag": "x", "width": 1}),
            json!({}),
        );
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        assert_eq!(r.output, Some(json!({"all": ["2x", "3x"], "n": 2})));
        assert_eq!(r.elapsed_seconds, 50.0, "one at a time: 20 s, then 30 s");
        let r = run(
            def.clone(),
            json!({"list": [1, 2, 3], "tag": "x", "width": 0}),
            json!({}),
        );
        assert_eq!(r.elapsed_seconds, 30.0, "0: all at once");
        let r = run(def, json!({"list": [1, 2, 3], "tag": "x", "width": "two"}), json!({}));
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR));
        assert!(
            r.cause.as_deref().unwrap_or_default().contains("MaxConcurrency"),
            "{:?}",
            r.cause
        );
        let without_items = jsonata(
            json!({"M": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "End": true}}}, "End": true}}),
        );
        assert_eq!(run(without_items, json!([4, 5]), json!({})).output, Some(json!([4, 5])));
    }

    #[test]
    fn a_jsonata_distributed_map_evaluates_its_batcher_writer_and_tolerance() {
        let mut def = distributed(json!({}), true);
        let each = &mut def["States"]["Each"];
        if let Some(m) = each.as_object_mut() {
            m.insert("QueryLanguage".into(), json!("JSONata"));
            m.insert(
                "ItemSelector".into(),
                json!({"id": "{% $states.context.Map.Item.Value.id %}"}),
            );
            m.insert("MaxConcurrency".into(), json!("{% 1 + 1 %}"));
            m.insert("ToleratedFailureCount".into(), json!("{% $states.input.tolerate %}"));
            m.insert("ItemBatcher".into(), json!({"MaxItemsPerBatch": "{% $states.input.batch %}", "BatchInput": {"run": "{% $states.input.run %}"}}));
            m.insert("ItemReader".into(), json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                                                 "Arguments": {"Bucket": "in", "Key": "{% $states.input.run & '.json' %}"}}));
            m.insert("ResultWriter".into(), json!({"Resource": "arn:aws:states:::s3:putObject",
                                                   "Arguments": {"Bucket": "{% 'out-' & $states.input.run %}", "Prefix": "runs"}}));
        }
        let items = json!([{"id": 1}, {"id": 2}, {"id": 3}]);
        let mocks = json!({"Each": [ok(items)], "Work": [ok(json!("a")), throw("Boom")]});
        let r = run(
            def.clone(),
            json!({"run": "r1", "batch": 2, "tolerate": 1}),
            mocks.clone(),
        );
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        let first = r.history.iter().find(|e| e.kind == "TaskScheduled").expect("a batch");
        assert_eq!(
            first.details["taskScheduledEventDetails"]["parameters"],
            r#"{"BatchInput":{"run":"r1"},"Items":[{"id":1},{"id":2}]}"#
        );
        assert_eq!(r.output.unwrap_or_default()["ResultWriterDetails"]["Bucket"], "out-r1");
        let r = run(
            def.clone(),
            json!({"run": "r1", "batch": 2, "tolerate": 0}),
            mocks.clone(),
        );
        assert_eq!(r.error.as_deref(), Some("States.ExceedToleratedFailureThreshold"));
        let mut by_percentage = def;
        if let Some(m) = by_percentage["States"]["Each"].as_object_mut() {
            m.remove("ToleratedFailureCount");
            m.insert(
                "ToleratedFailurePercentage".into(),
                json!("{% $states.input.percent %}"),
            );
        }
        let input = |percent: Json| json!({"run": "r1", "batch": 2, "percent": percent});
        let r = run(by_percentage.clone(), input(json!(50)), mocks.clone());
        assert_eq!(r.status, "SUCCEEDED", "1 of 2 batches is 50 %: {:?}", r.cause);
        let r = run(by_percentage.clone(), input(json!(49.5)), mocks.clone());
        assert_eq!(r.error.as_deref(), Some("States.ExceedToleratedFailureThreshold"));
        let r = run(by_percentage, input(json!(101)), mocks);
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR), "{:?}", r.cause);
    }

    #[test]
    fn a_query_evaluation_error_in_arguments_is_retried_and_one_in_output_only_caught() {
        let def = jsonata(json!({
            "T": {"Type": "Task", "Resource": INVOKE, "Arguments": {"n": "{% $states.input.n + 1 %}"},
                  "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": true},
            "Caught": {"Type": "Pass", "End": true}
        }));
        let r = run(def.clone(), json!({"n": "x"}), json!({"T": [ok(json!(1))]}));
        assert_eq!(r.path, ["T", "Caught"]);
        assert_eq!(r.elapsed_seconds, 3.0, "two retries, 1 s then 2 s");
        assert_eq!(r.history.iter().filter(|e| e.kind == "EvaluationFailed").count(), 3);
        assert!(!kinds(&r).contains(&"TaskScheduled"), "the task never starts");
        let mut in_output = def;
        in_output["States"]["T"]["Arguments"] = json!({});
        in_output["States"]["T"]["Output"] = json!("{% $states.result.missing %}");
        let r = run(in_output, json!({}), json!({"T": [ok(json!({}))]}));
        assert_eq!(r.path, ["T", "Caught"]);
        assert_eq!(r.elapsed_seconds, 0.0, "not retried: the task succeeded");
    }

    #[test]
    fn jsonata_wait_fail_and_the_virtual_clock() {
        let def = jsonata(json!({
            "W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "Assign": {"waited": "{% $states.input.s %}"}, "Next": "Until"},
            "Until": {"Type": "Wait", "Timestamp": "{% $states.input.until %}", "Output": {"at": "{% $now() %}", "ms": "{% $millis() %}",
                      "entered": "{% $states.context.State.EnteredTime %}", "name": "{% $states.context.State.Name %}"}, "Next": "F"},
            "F": {"Type": "Fail", "Error": "{% 'Waited' & $string($waited) %}", "Cause": "{% $states.input.at %}"}
        }));
        let r = run(
            def.clone(),
            json!({"s": 30, "until": "2026-01-01T00:02:00Z"}),
            json!({}),
        );
        assert_eq!(r.elapsed_seconds, 120.0);
        assert_eq!(r.error.as_deref(), Some("Waited30"));
        assert_eq!(
            r.cause.as_deref(),
            Some("2026-01-01T00:02:00.000Z"),
            "$now() is the virtual clock"
        );
        let exited = r
            .history
            .iter()
            .filter(|e| e.kind == "WaitStateExited")
            .nth(1)
            .expect("the second wait");
        let output: Json = serde_json::from_str(
            exited.details["stateExitedEventDetails"]["output"]
                .as_str()
                .unwrap_or_default(),
        )
        .expect("json");
        assert_eq!(output["ms"], json!(1_767_225_720_000_i64));
        assert_eq!(output["entered"], "2026-01-01T00:00:30Z");
        assert_eq!(output["name"], "Until");
        let r = run(
            def.clone(),
            json!({"s": -1, "until": "2026-01-01T00:02:00Z"}),
            json!({}),
        );
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR));
        let mut not_text = def;
        not_text["States"]["F"]["Error"] = json!("{% 42 %}");
        let r = run(not_text, json!({"s": 1, "until": "2026-01-01T00:02:00Z"}), json!({}));
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR));
    }

    #[test]
    fn jsonata_task_timeouts_and_parallel_arguments() {
        let def = jsonata(json!({
            "Par": {"Type": "Parallel", "Arguments": {"x": "{% $states.input.x * 2 %}"},
                    "Branches": [{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": INVOKE,
                        "Arguments": {"in": "{% $states.input.x %}"},
                        "TimeoutSeconds": "{% $states.input.x * 30 %}", "HeartbeatSeconds": 10, "End": true}}}],
                    "Output": "{% $states.result[0] %}", "End": true}
        }));
        let r = run(def.clone(), json!({"x": 1}), json!({"T": [ok(json!("done"))]}));
        assert_eq!(r.output, Some(json!("done")));
        let scheduled = &r
            .history
            .iter()
            .find(|e| e.kind == "TaskScheduled")
            .expect("task")
            .details["taskScheduledEventDetails"];
        assert_eq!(
            scheduled["parameters"], r#"{"in":2}"#,
            "the branch's input is the Arguments"
        );
        assert_eq!(
            (
                scheduled["timeoutInSeconds"].as_i64(),
                scheduled["heartbeatInSeconds"].as_i64()
            ),
            (Some(60), Some(10))
        );
        let r = run(def, json!({"x": 0}), json!({"T": [ok(json!("done"))]}));
        assert_eq!(r.error.as_deref(), Some(QUERY_EVALUATION_ERROR), "a timeout of 0 s");
    }

    #[test]
    fn jsonpath_and_jsonata_states_share_variables() {
        // A JSONPath machine with JSONata states, each reading what the other assigned.
        let def = json!({"StartAt": "Path", "States": {
            "Path": {"Type": "Pass", "Assign": {"fromPath.$": "$.n"}, "Next": "Ata"},
            "Ata": {"Type": "Pass", "QueryLanguage": "JSONata", "Assign": {"fromAta": "{% $fromPath * 10 %}"},
                    "Output": {"n": "{% $fromPath + 1 %}"}, "Next": "Back"},
            "Back": {"Type": "Pass", "Parameters": {"both.$": "States.Array($fromPath, $fromAta)", "n.$": "$.n"}, "Next": "Each"},
            "Each": {"Type": "Map", "QueryLanguage": "JSONata", "Items": "{% [1, 2] %}",
                     "ItemProcessor": {"StartAt": "In", "States": {
                         "In": {"Type": "Pass", "Parameters": {"v.$": "$", "outer.$": "$fromAta"}, "End": true}}},
                     "Output": {"both": "{% $states.input.both %}", "inner": "{% $states.result %}"}, "End": true}
        }});
        let r = run(def, json!({"n": 4}), json!({}));
        assert_eq!(r.status, "SUCCEEDED", "{:?}", r.cause);
        assert_eq!(
            r.output,
            Some(json!({"both": [4, 40], "inner": [{"v": 1, "outer": 40}, {"v": 2, "outer": 40}]})),
            "a Map's states keep the machine's language"
        );
    }

    #[test]
    fn fields_of_the_other_language_are_definition_errors() {
        for (state, needle) in [
            (
                json!({"Type": "Pass", "Parameters": {"a": 1}, "End": true}),
                "Parameters is a JSONPath field",
            ),
            (
                json!({"Type": "Pass", "Result": 1, "End": true}),
                "Result is a JSONPath field",
            ),
            (
                json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "P"}]}),
                "needs a Condition",
            ),
            (
                json!({"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}),
                "not allowed",
            ),
        ] {
            let e = run_with(jsonata(json!({"P": state})), json!({}), json!({})).expect_err(needle);
            assert!(
                matches!(&e, SimulateError::Definition(m) if m.contains("state 'P'") && m.contains(needle)),
                "{e}"
            );
        }
        let path = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": 1, "End": true}}});
        let e = run_with(path, json!({}), json!({})).expect_err("Output in JSONPath");
        assert!(e.to_string().contains("Output is a JSONata field"), "{e}");
    }

    #[test]
    fn jsonata_randomness_is_seeded_by_the_execution() {
        let def = jsonata(
            json!({"P": {"Type": "Pass", "Output": {"id": "{% $uuid() %}", "r": "{% $random() %}"}, "End": true}}),
        );
        let a = run(def.clone(), json!({}), json!({})).output;
        assert_eq!(a, run(def.clone(), json!({}), json!({})).output, "reproducible");
        let config = MockConfig::from_json(
            json!({"StateMachines": {"M": {"TestCases": {"T": {}}}}, "MockedResponses": {}}),
            "test",
        )
        .expect("config");
        let other = simulate(
            &def,
            &json!({}),
            &config.test_case("M", "T").expect("case"),
            &SimulateOptions {
                execution_name: "another".into(),
                ..Default::default()
            },
        )
        .expect("runs");
        assert_ne!(a, other.output, "another execution, other values");
    }
}
