//! The state graph: states are values in a graph, transitions are by handle.
//!
//! A [`StateGraph`] owns its states; each `graph.task(..)`, `graph.wait(..)` ...
//! returns a cheap handle. `a.next(&b)` sets `a`'s `Next` to `b` and returns
//! `b`'s handle, so chains read as in the CDK
//! (`stop.next(&wait).next(&describe).next(&is_stopped)`), but a state can be
//! the target of any number of transitions, and a loop back to an earlier
//! state is just another `next`/`when`. There is no "already has a next
//! state" trap: setting the same `Next` again is a no-op, and only a
//! *different* second `Next` is an error (reported at synthesis).
//!
//! A Map's item processor and each Parallel branch is a graph of its own;
//! transitions cannot cross from one graph into another.

use std::cell::{Ref, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map as JsonMap, Value as Json};

use crate::aws::lambda::IFunction;
use crate::core::Value;

use super::condition::Condition;
use super::distributed_map::DistributedMapProps;
use super::retry::{Catch, Retry};
use super::task::{Integration, LambdaInvoke};

static NEXT_GRAPH: AtomicU64 = AtomicU64::new(1);

/// A JSONPath of a state's input/output processing, or `null`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonPath {
    /// A path, e.g. `$.Output`.
    At(String),
    /// JSON `null`: for `InputPath`/`OutputPath` an empty object `{}`, for
    /// `ResultPath` "discard the result and pass the input on".
    Null,
}

impl From<&str> for JsonPath {
    fn from(s: &str) -> Self {
        JsonPath::At(s.to_owned())
    }
}
impl From<String> for JsonPath {
    fn from(s: String) -> Self {
        JsonPath::At(s)
    }
}

impl JsonPath {
    fn to_json(&self) -> Json {
        match self {
            JsonPath::At(s) => Json::String(s.clone()),
            JsonPath::Null => Json::Null,
        }
    }
}

/// The language of a state's expressions (`QueryLanguage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueryLanguage {
    /// JSONPath (the default): `InputPath`, `Parameters`, `ResultSelector`,
    /// `ResultPath`, `OutputPath`, `key.$` fields.
    #[default]
    JsonPath,
    /// JSONata: `Arguments` and `Output`, with `{% %}` expressions that read
    /// `$states.input`, `$states.result` and variables.
    Jsonata,
}

impl QueryLanguage {
    fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// Common properties of a Task state.
#[derive(Clone, Debug, Default)]
pub struct TaskProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// The part of the state input given to the task (`InputPath`). Default: `$`.
    pub input_path: Option<JsonPath>,
    /// Where the result goes in the input (`ResultPath`). Default: `$` (the
    /// result replaces the input).
    pub result_path: Option<JsonPath>,
    /// Reshapes the result before `ResultPath` (`ResultSelector`, `key.$` fields). Default: none.
    pub result_selector: Option<Value>,
    /// The part of the state output passed on (`OutputPath`). Default: `$`.
    pub output_path: Option<JsonPath>,
    /// Fails the task with `States.Timeout` after this many seconds. Default: none
    /// (the execution's timeout applies).
    pub timeout_seconds: Option<u32>,
    /// Fails the task when no heartbeat arrives for this long. Default: none.
    pub heartbeat_seconds: Option<u32>,
}

/// Properties of a Pass state.
#[derive(Clone, Debug, Default)]
pub struct PassProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// `InputPath`. Default: `$`.
    pub input_path: Option<JsonPath>,
    /// Builds the output from the input (`Parameters`, `key.$` fields). Default: none.
    pub parameters: Option<Value>,
    /// A fixed result (`Result`). Default: none (the input passes through).
    pub result: Option<Value>,
    /// `ResultPath`. Default: `$`.
    pub result_path: Option<JsonPath>,
    /// `OutputPath`. Default: `$`.
    pub output_path: Option<JsonPath>,
}

/// How long a Wait state waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitTime {
    /// A fixed number of seconds.
    Seconds(u64),
    /// Until a fixed RFC 3339 timestamp, e.g. `2026-01-01T00:00:00Z`.
    Timestamp(String),
    /// A number of seconds read from the input.
    SecondsPath(String),
    /// A timestamp read from the input.
    TimestampPath(String),
}

/// Properties of a Fail state.
#[derive(Clone, Debug, Default)]
pub struct FailProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// The error name, e.g. `HttpdStopFailed`. Default: none.
    pub error: Option<String>,
    /// A human-readable cause. Default: none.
    pub cause: Option<String>,
    /// The error read from the input (`ErrorPath`: a JSONPath or an intrinsic
    /// function); instead of `error`. Default: none.
    pub error_path: Option<String>,
    /// The cause read from the input (`CausePath`: a JSONPath or an intrinsic
    /// function such as `States.Format('instance {} is {}', $.Id, $.State)`);
    /// instead of `cause`. Default: none.
    pub cause_path: Option<String>,
}

/// Properties of a Map state.
#[derive(Clone, Debug, Default)]
pub struct MapProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// `InputPath`. Default: `$`.
    pub input_path: Option<JsonPath>,
    /// The array to iterate over (`ItemsPath`). Default: `$` (the input must be an array).
    pub items_path: Option<String>,
    /// How many items are processed at once (`MaxConcurrency`). Default: 0, no limit.
    pub max_concurrency: Option<u32>,
    /// Builds each item's input (`ItemSelector`; `$$.Map.Item.Value` is the item). Default: the item.
    pub item_selector: Option<Value>,
    /// `ResultSelector`. Default: none.
    pub result_selector: Option<Value>,
    /// `ResultPath`. Default: `$`.
    pub result_path: Option<JsonPath>,
    /// `OutputPath`. Default: `$`.
    pub output_path: Option<JsonPath>,
}

/// Properties of a Parallel state.
#[derive(Clone, Debug, Default)]
pub struct ParallelProps {
    /// A comment. Default: none.
    pub comment: Option<String>,
    /// `InputPath`. Default: `$`.
    pub input_path: Option<JsonPath>,
    /// Builds the branches' input (`Parameters`). Default: the input.
    pub parameters: Option<Value>,
    /// `ResultSelector`. Default: none.
    pub result_selector: Option<Value>,
    /// `ResultPath`. Default: `$`.
    pub result_path: Option<JsonPath>,
    /// `OutputPath`. Default: `$`.
    pub output_path: Option<JsonPath>,
}

/// A transition target: the graph and index of a state, and its name.
#[derive(Clone, Debug)]
struct Link {
    graph: u64,
    idx: usize,
    name: String,
}

#[derive(Clone, Debug)]
enum Body {
    Task(Box<Integration>, TaskProps),
    Pass(PassProps),
    Wait(WaitTime),
    Choice {
        rules: Vec<(Condition, Link, Option<Value>)>,
        default: Option<Link>,
    },
    Map(StateGraph, MapProps),
    DistributedMap(StateGraph, Box<DistributedMapProps>),
    Parallel(Vec<StateGraph>, ParallelProps),
    Succeed,
    Fail(FailProps),
    Custom(Value),
}

impl Body {
    fn type_name(&self) -> &'static str {
        match self {
            Body::Task(..) => "Task",
            Body::Pass(_) => "Pass",
            Body::Wait(_) => "Wait",
            Body::Choice { .. } => "Choice",
            Body::Map(..) | Body::DistributedMap(..) => "Map",
            Body::Parallel(..) => "Parallel",
            Body::Succeed => "Succeed",
            Body::Fail(_) => "Fail",
            Body::Custom(_) => "Custom",
        }
    }
}

#[derive(Clone, Debug)]
struct StateData {
    name: String,
    comment: Option<String>,
    body: Body,
    next: Option<Link>,
    end: bool,
    retry: Vec<Retry>,
    catch: Vec<(Catch, Link, Option<Value>)>,
    /// Workflow variables set when the state ends (`Assign`).
    assign: Option<Value>,
    /// The state's own `QueryLanguage`.
    query_language: Option<QueryLanguage>,
    /// JSONata `Arguments` (Task, Parallel).
    arguments: Option<Value>,
    /// JSONata `Output`.
    output: Option<Value>,
}

#[derive(Debug)]
struct GraphData {
    id: u64,
    states: Vec<StateData>,
    start: Option<usize>,
    errors: Vec<String>,
    frozen_by: Option<String>,
    /// The machine's `QueryLanguage` (rendered when this graph is the machine's).
    query_language: Option<QueryLanguage>,
}

/// A graph of states: the definition of a state machine, a Map's item
/// processor, or a Parallel branch.
///
/// The graph starts at the state given to [`StateGraph::start_at`], or else
/// at the first state added.
///
/// ```
/// use constructs::aws::stepfunctions::{Condition, FailProps, StateGraph, WaitTime, Chainable};
/// let g = StateGraph::new();
/// let wait = g.wait("Wait10Sec", WaitTime::Seconds(10));
/// let check = g.pass("Check", Default::default());
/// let done = g.choice("IsDone");
/// wait.next(&check).next(&done);
/// done.when(Condition::boolean_equals("$.done", true), &g.succeed("Succeed"))
///     .otherwise(&wait); // a loop back to an earlier state
/// assert!(g.render().validate().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct StateGraph {
    inner: Rc<RefCell<GraphData>>,
}

impl Default for StateGraph {
    fn default() -> Self {
        StateGraph::new()
    }
}

/// A handle on one state of a graph.
#[derive(Clone, Debug)]
pub struct StateRef {
    graph: StateGraph,
    idx: usize,
}

/// Anything that is a state: the target of `next`, `when`, `otherwise` and catches.
pub trait State {
    /// The state's handle.
    fn state_ref(&self) -> &StateRef;

    /// The state's name.
    fn name(&self) -> String {
        let r = self.state_ref();
        r.graph.data().states[r.idx].name.clone()
    }

    /// Sets the state's `Comment`.
    fn set_comment(&self, comment: &str) {
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].comment = Some(comment.to_owned());
    }
}

impl State for StateRef {
    fn state_ref(&self) -> &StateRef {
        self
    }
}

impl StateRef {
    fn link(&self) -> Link {
        let d = self.graph.data();
        Link {
            graph: d.id,
            idx: self.idx,
            name: d.states[self.idx].name.clone(),
        }
    }
}

/// States that continue to a next state or end the graph: Task, Pass, Wait, Map, Parallel.
pub trait Chainable: State {
    /// Sets this state's `Next` and returns the target's handle, to continue a chain.
    ///
    /// Setting the same target again does nothing; a different target is an
    /// error at synthesis (use a Choice to branch).
    fn next<T: State + Clone>(&self, target: &T) -> T {
        let link = target.state_ref().link();
        let r = self.state_ref();
        let mut g = r.graph.inner.borrow_mut();
        let name = g.states[r.idx].name.clone();
        let message = match &g.states[r.idx].next {
            Some(old) if old.graph == link.graph && old.idx == link.idx => None,
            Some(old) => Some(format!(
                "state '{name}': Next is already '{}', it cannot also be '{}': a state has one Next; use a Choice to branch",
                old.name, link.name
            )),
            None => None,
        };
        match message {
            Some(m) => g.errors.push(m),
            None => g.states[r.idx].next = Some(link),
        }
        target.clone()
    }

    /// Marks this state as an end of its graph (`End: true`).
    fn end(&self) {
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].end = true;
    }
}

/// States with error handling: Task, Map, Parallel.
pub trait Recoverable: State + Clone {
    /// Adds a retrier (retriers are tried in order; `States.ALL` must be last).
    fn add_retry(&self, retry: Retry) -> Self {
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].retry.push(retry);
        self.clone()
    }

    /// Adds a catcher that goes to `target` when a matching error is not retried.
    fn add_catch(&self, target: &impl State, catch: Catch) -> Self {
        let link = target.state_ref().link();
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].catch.push((catch, link, None));
        self.clone()
    }

    /// Adds a catcher that also sets workflow variables when it is taken
    /// (the catcher's `Assign`; `$` is the error output `{"Error", "Cause"}`).
    fn add_catch_assign(&self, target: &impl State, catch: Catch, variables: Value) -> Self {
        let link = target.state_ref().link();
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx]
            .catch
            .push((catch, link, Some(variables)));
        self.clone()
    }
}

/// States that can set workflow variables (`Assign`): Task, Pass, Wait,
/// Choice, Map, Parallel.
///
/// In JSONPath states a variable is set from a literal (`"count": 0`) or, in
/// a `name.$` field, from a path or an intrinsic function evaluated on the
/// state's result (after `ResultSelector`; the input for Choice and Wait).
/// A later state reads it as `$name` in any path (`"id.$": "$cluster.Id"`).
/// A variable is visible in the graph that assigns it and in the Map and
/// Parallel graphs nested in it (not in a distributed Map's); reading one no
/// state assigns first is a synthesis error.
///
/// ```
/// use constructs::aws::stepfunctions::*;
/// use constructs::core::Value;
/// let g = StateGraph::new();
/// let remember = g.pass("Remember", PassProps::default())
///     .assign(Value::map().with("cluster.$", "$.ClusterId").with("tries", 0));
/// remember.next(&g.pass("Use", PassProps {
///     parameters: Some(Value::map().with("Id.$", "$cluster")),
///     ..Default::default()
/// })).end();
/// assert!(g.render().validate().is_empty());
/// ```
pub trait Assignable: State + Clone {
    /// Sets the state's `Assign`: a map of variable names (`name` or
    /// `name.$`) to values. A second call replaces the first.
    fn assign(&self, variables: Value) -> Self {
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].assign = Some(variables);
        self.clone()
    }
}

/// States written in JSONata: set the state's `QueryLanguage` and its
/// `Output` (and, on Task and Parallel, its `Arguments`, see
/// [`Task::arguments`]). A graph can make JSONata the machine's default with
/// [`StateGraph::set_query_language`]. In a JSONata state the JSONPath fields
/// (`InputPath`, `Parameters`, `ResultSelector`, `ResultPath`, `OutputPath`)
/// are errors; a string `{% ... %}` is an expression.
///
/// The simulator runs such states (see [`simulate`](super::simulate)).
///
/// ```
/// use constructs::aws::stepfunctions::*;
/// use constructs::core::Value;
/// let g = StateGraph::new();
/// g.set_query_language(QueryLanguage::Jsonata);
/// let count = g.pass("Count", PassProps::default())
///     .output(Value::map().with("n", "{% $count($states.input.items) %}"))
///     .assign(Value::map().with("total", "{% $count($states.input.items) %}"));
/// let big = g.choice("Big");
/// count.next(&big);
/// big.when(Condition::jsonata("$total > 10"), &g.succeed("Many"))
///     .otherwise(&g.succeed("Few"));
/// let d = g.render();
/// assert_eq!(d.json["QueryLanguage"], "JSONata");
/// assert!(d.validate().is_empty(), "{:?}", d.validate());
/// ```
pub trait JsonataState: State + Clone {
    /// Sets the state's own `QueryLanguage`.
    fn query_language(&self, language: QueryLanguage) -> Self {
        let r = self.state_ref();
        r.graph.inner.borrow_mut().states[r.idx].query_language = Some(language);
        self.clone()
    }

    /// Sets the state's JSONata `Output` (a value whose `{% %}` strings are
    /// expressions); makes the state JSONata.
    fn output(&self, output: Value) -> Self {
        let r = self.state_ref();
        {
            let mut g = r.graph.inner.borrow_mut();
            let s = &mut g.states[r.idx];
            s.output = Some(output);
            s.query_language.get_or_insert(QueryLanguage::Jsonata);
        }
        self.clone()
    }
}

macro_rules! handle {
    ($(#[$m:meta])* $name:ident $(, $tr:ident)*) => {
        $(#[$m])*
        #[derive(Clone, Debug)]
        pub struct $name(StateRef);

        impl State for $name {
            fn state_ref(&self) -> &StateRef {
                &self.0
            }
        }
        $(impl $tr for $name {})*
    };
}

handle!(
    /// A Task state: calls a service.
    Task, Chainable, Recoverable, Assignable, JsonataState
);
handle!(
    /// A Pass state: passes (and can reshape) its input.
    Pass, Chainable, Assignable, JsonataState
);
handle!(
    /// A Wait state.
    Wait, Chainable, Assignable, JsonataState
);
handle!(
    /// A Map state: runs its item processor for each item of an array.
    MapState, Chainable, Recoverable, Assignable, JsonataState
);
handle!(
    /// A Parallel state: runs its branches at once.
    Parallel, Chainable, Recoverable, Assignable, JsonataState
);
handle!(
    /// A Succeed state: ends the graph successfully.
    Succeed, JsonataState
);
handle!(
    /// A Fail state: ends the execution with an error.
    Fail
);
handle!(
    /// A state given as raw ASL (an escape hatch). It is validated like any other.
    CustomState, Chainable
);

/// A Choice state: goes to the first rule whose condition holds, else to the default.
#[derive(Clone, Debug)]
pub struct Choice(StateRef);

impl State for Choice {
    fn state_ref(&self) -> &StateRef {
        &self.0
    }
}

/// A Choice's own `Assign` applies when no rule matches (its `Default` is taken).
impl Assignable for Choice {}
impl JsonataState for Choice {}

macro_rules! arguments {
    ($($t:ident),*) => {$(
        impl $t {
            /// Sets the state's JSONata `Arguments` (in place of the JSONPath
            /// `Parameters`; a value whose `{% %}` strings are expressions);
            /// makes the state JSONata.
            pub fn arguments(&self, arguments: Value) -> $t {
                {
                    let mut g = self.0.graph.inner.borrow_mut();
                    let s = &mut g.states[self.0.idx];
                    s.arguments = Some(arguments);
                    s.query_language.get_or_insert(QueryLanguage::Jsonata);
                }
                self.clone()
            }
        }
    )*};
}
arguments!(Task, Parallel);

impl Choice {
    /// Adds a rule: when `condition` holds, go to `target`. Rules are tried in the order added.
    pub fn when(&self, condition: Condition, target: &impl State) -> Choice {
        self.add_rule(condition, target, None)
    }

    /// Adds a rule that also sets workflow variables (the rule's `Assign`,
    /// evaluated on the Choice's input) when it is taken.
    pub fn when_assign(&self, condition: Condition, variables: Value, target: &impl State) -> Choice {
        self.add_rule(condition, target, Some(variables))
    }

    fn add_rule(&self, condition: Condition, target: &impl State, assign: Option<Value>) -> Choice {
        let link = target.state_ref().link();
        if let Body::Choice { rules, .. } = &mut self.0.graph.inner.borrow_mut().states[self.0.idx].body {
            rules.push((condition, link, assign));
        }
        self.clone()
    }

    /// Where to go when no rule matches (`Default`). Without it, no match is a
    /// runtime error (`States.NoChoiceMatched`).
    pub fn otherwise(&self, target: &impl State) -> Choice {
        let link = target.state_ref().link();
        let mut g = self.0.graph.inner.borrow_mut();
        let name = g.states[self.0.idx].name.clone();
        let mut error = None;
        if let Body::Choice { default, .. } = &mut g.states[self.0.idx].body {
            match default {
                Some(old) if old.graph == link.graph && old.idx == link.idx => {}
                Some(old) => {
                    error = Some(format!(
                        "state '{name}': Default is already '{}', it cannot also be '{}'",
                        old.name, link.name
                    ))
                }
                None => *default = Some(link),
            }
        }
        if let Some(e) = error {
            g.errors.push(e);
        }
        self.clone()
    }
}

/// The rendered definition: ASL JSON in which references (ARNs of functions,
/// topics ...) stand as placeholder strings, and the references themselves.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The ASL document; each reference is a string `\u{E000}<n>\u{E000}`.
    pub json: Json,
    /// The references, by placeholder number.
    pub tokens: Vec<Value>,
    /// Problems found while building or rendering the graph.
    pub build_errors: Vec<String>,
}

const MARK: char = '\u{E000}';

impl Definition {
    /// Every problem of the definition: building errors and the ASL checks of
    /// [`validate_definition`](super::validate_definition).
    pub fn validate(&self) -> Vec<String> {
        let mut out = self.build_errors.clone();
        out.extend(
            super::validate::validate_definition(&self.json)
                .into_iter()
                .map(|e| e.to_string()),
        );
        out
    }

    /// The definition as a template value: a string, or `Fn::Join` of its
    /// literal parts and references.
    pub fn to_value(&self) -> Value {
        let text = serde_json::to_string(&self.json).unwrap_or_default();
        let mut parts: Vec<Value> = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(MARK) {
            let after = &rest[start + MARK.len_utf8()..];
            let Some(end) = after.find(MARK) else { break };
            let token = after[..end].parse::<usize>().ok().and_then(|n| self.tokens.get(n));
            match token {
                Some(v) => {
                    parts.push(Value::from(&rest[..start]));
                    parts.push(v.clone());
                }
                None => parts.push(Value::from(&rest[..start + MARK.len_utf8() + end + MARK.len_utf8()])),
            }
            rest = &after[end + MARK.len_utf8()..];
        }
        parts.push(Value::from(rest));
        Value::concat(parts)
    }

    /// The definition as JSON text with each reference replaced by `f(reference)`
    /// (e.g. placeholder ARNs, to feed a validator).
    pub fn to_string_with(&self, f: impl Fn(&Value) -> String) -> String {
        let text = serde_json::to_string(&self.json).unwrap_or_default();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find(MARK) {
            out.push_str(&rest[..start]);
            let after = &rest[start + MARK.len_utf8()..];
            let Some(end) = after.find(MARK) else {
                rest = after;
                break;
            };
            if let Some(v) = after[..end].parse::<usize>().ok().and_then(|n| self.tokens.get(n)) {
                out.push_str(&f(v));
            }
            rest = &after[end + MARK.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

struct Render {
    tokens: Vec<Value>,
    errors: Vec<String>,
    /// Graphs being rendered (to refuse a graph nested in itself).
    stack: Vec<u64>,
    /// The machine's query language (the default of its states).
    language: QueryLanguage,
}

impl Render {
    fn tok(&mut self, v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::Str(s) => Json::String(s.clone()),
            Value::List(l) => Json::Array(l.iter().map(|x| self.tok(x)).collect()),
            Value::Map(m) => Json::Object(m.iter().map(|(k, x)| (k.clone(), self.tok(x))).collect()),
            other => {
                self.tokens.push(other.clone());
                Json::String(format!("{MARK}{}{MARK}", self.tokens.len() - 1))
            }
        }
    }
}

/// A JSONPath payload template in JSONata: each `key.$` path field becomes
/// `key` with a `{% %}` expression (`$` is `$states.input`, `$$` is
/// `$states.context`); `Err(field)` for a field with no plain form (an
/// intrinsic function, a filter, a bracket step).
fn to_jsonata(v: &Json) -> Result<Json, String> {
    match v {
        Json::Object(o) => {
            let mut out = JsonMap::new();
            for (k, x) in o {
                match (k.strip_suffix(".$"), x.as_str()) {
                    (Some(key), Some(path)) => {
                        let plain = |rest: &str| {
                            rest.is_empty() || (rest.starts_with('.') && !rest.contains(['[', '*', '(', ' ']))
                        };
                        let expr = if let Some(rest) = path.strip_prefix("$$") {
                            plain(rest).then(|| format!("$states.context{rest}"))
                        } else if let Some(rest) = path.strip_prefix('$') {
                            plain(rest).then(|| format!("$states.input{rest}"))
                        } else {
                            None
                        };
                        match expr {
                            Some(e) => {
                                out.insert(key.to_owned(), Json::String(format!("{{% {e} %}}")));
                            }
                            None => return Err(k.clone()),
                        }
                    }
                    _ => {
                        out.insert(k.clone(), to_jsonata(x)?);
                    }
                }
            }
            Ok(Json::Object(out))
        }
        Json::Array(a) => a.iter().map(to_jsonata).collect::<Result<_, _>>().map(Json::Array),
        other => Ok(other.clone()),
    }
}

fn put(m: &mut JsonMap<String, Json>, key: &str, value: Option<Json>) {
    if let Some(v) = value {
        m.insert(key.to_owned(), v);
    }
}

impl StateGraph {
    /// An empty graph.
    pub fn new() -> StateGraph {
        StateGraph {
            inner: Rc::new(RefCell::new(GraphData {
                id: NEXT_GRAPH.fetch_add(1, Ordering::Relaxed),
                states: Vec::new(),
                start: None,
                errors: Vec::new(),
                frozen_by: None,
                query_language: None,
            })),
        }
    }

    fn data(&self) -> Ref<'_, GraphData> {
        self.inner.borrow()
    }

    fn add(&self, name: &str, body: Body) -> StateRef {
        let mut g = self.inner.borrow_mut();
        if g.states.iter().any(|s| s.name == name) {
            g.errors.push(format!(
                "state '{name}': the name is used more than once in the same graph: state names must be unique in a state machine"
            ));
        }
        if let Some(by) = &g.frozen_by {
            let m = format!(
                "state '{name}' was added after state machine '{by}' was created from this graph, so its permissions are missing: add every state before creating the StateMachine"
            );
            g.errors.push(m);
        }
        g.states.push(StateData {
            name: name.to_owned(),
            comment: None,
            body,
            next: None,
            end: false,
            retry: Vec::new(),
            catch: Vec::new(),
            assign: None,
            query_language: None,
            arguments: None,
            output: None,
        });
        let idx = g.states.len() - 1;
        StateRef {
            graph: self.clone(),
            idx,
        }
    }

    /// Sets the machine's `QueryLanguage` (the default of every state that
    /// sets none); rendered when this graph is a state machine's definition.
    pub fn set_query_language(&self, language: QueryLanguage) {
        self.inner.borrow_mut().query_language = Some(language);
    }

    /// Makes `state` the first state of the graph (`StartAt`).
    pub fn start_at(&self, state: &impl State) {
        let r = state.state_ref();
        if Rc::ptr_eq(&r.graph.inner, &self.inner) {
            self.inner.borrow_mut().start = Some(r.idx);
        } else {
            let name = state.name();
            self.inner
                .borrow_mut()
                .errors
                .push(format!("StartAt: state '{name}' belongs to another graph"));
        }
    }

    /// Adds a Task state calling `integration`.
    pub fn task(&self, name: &str, integration: impl Into<Integration>, props: TaskProps) -> Task {
        Task(self.add(name, Body::Task(Box::new(integration.into()), props)))
    }

    /// Adds a Task state invoking a Lambda function (owned or imported) with
    /// the whole state input (a shortcut for `task(name, LambdaInvoke::new(function), props)`).
    pub fn lambda_invoke(&self, name: &str, function: &dyn IFunction, props: TaskProps) -> Task {
        self.task(name, LambdaInvoke::new(function), props)
    }

    /// Adds a Pass state.
    pub fn pass(&self, name: &str, props: PassProps) -> Pass {
        Pass(self.add(name, Body::Pass(props)))
    }

    /// Adds a Wait state.
    pub fn wait(&self, name: &str, time: WaitTime) -> Wait {
        Wait(self.add(name, Body::Wait(time)))
    }

    /// Adds a Choice state; add rules with [`Choice::when`] and [`Choice::otherwise`].
    pub fn choice(&self, name: &str) -> Choice {
        Choice(self.add(
            name,
            Body::Choice {
                rules: Vec::new(),
                default: None,
            },
        ))
    }

    /// Adds a Map state that runs `item_processor` for each item.
    pub fn map(&self, name: &str, item_processor: &StateGraph, props: MapProps) -> MapState {
        MapState(self.add(name, Body::Map(item_processor.clone(), props)))
    }

    /// Adds a distributed Map state: `item_processor` runs as a child
    /// execution per item (or batch), the items read from the input or from
    /// S3, the results kept or written to S3. The state machine's role gets
    /// the S3 and `states:StartExecution` permissions this needs.
    ///
    /// ```
    /// use constructs::aws::stepfunctions::*;
    /// use constructs::aws::s3::BucketName;
    /// use constructs::core::Value;
    /// let each = StateGraph::new();
    /// each.pass("Work", PassProps::default()).end();
    /// let g = StateGraph::new();
    /// g.distributed_map("Each", &each, DistributedMapProps {
    ///     item_reader: Some(ItemReader {
    ///         bucket: BucketName::from_value(Value::from("inventory")),
    ///         source: ItemSource::Csv { key: "items.csv".into(), headers: CsvHeaders::FirstRow },
    ///         max_items: None,
    ///     }),
    ///     item_batcher: Some(ItemBatcher { max_items_per_batch: Some(100), ..Default::default() }),
    ///     tolerated_failure_percentage: Some(5.0),
    ///     ..Default::default()
    /// }).end();
    /// let d = g.render();
    /// assert_eq!(d.json["States"]["Each"]["ItemProcessor"]["ProcessorConfig"]["Mode"], "DISTRIBUTED");
    /// assert!(d.validate().is_empty(), "{:?}", d.validate());
    /// ```
    pub fn distributed_map(&self, name: &str, item_processor: &StateGraph, props: DistributedMapProps) -> MapState {
        MapState(self.add(name, Body::DistributedMap(item_processor.clone(), Box::new(props))))
    }

    /// The properties of the distributed Map states of this graph and of the
    /// graphs nested in it.
    pub(crate) fn distributed_maps(&self) -> Vec<DistributedMapProps> {
        let mut out = Vec::new();
        self.for_each_body(
            &mut |b| {
                if let Body::DistributedMap(_, props) = b {
                    out.push((**props).clone());
                }
            },
            &mut Vec::new(),
        );
        out
    }

    /// Calls `f` on the body of every state of this graph and of the graphs
    /// nested in it (Map processors, Parallel branches), each graph once.
    fn for_each_body(&self, f: &mut dyn FnMut(&Body), seen: &mut Vec<u64>) {
        let id = self.data().id;
        if seen.contains(&id) {
            return;
        }
        seen.push(id);
        let nested: Vec<StateGraph> = {
            let g = self.data();
            let mut nested = Vec::new();
            for s in &g.states {
                f(&s.body);
                match &s.body {
                    Body::Map(p, _) | Body::DistributedMap(p, _) => nested.push(p.clone()),
                    Body::Parallel(bs, _) => nested.extend(bs.iter().cloned()),
                    _ => {}
                }
            }
            nested
        };
        for n in nested {
            n.for_each_body(f, seen);
        }
    }

    /// Adds a Parallel state running `branches` at once.
    pub fn parallel(&self, name: &str, branches: &[StateGraph], props: ParallelProps) -> Parallel {
        Parallel(self.add(name, Body::Parallel(branches.to_vec(), props)))
    }

    /// Adds a Succeed state.
    pub fn succeed(&self, name: &str) -> Succeed {
        Succeed(self.add(name, Body::Succeed))
    }

    /// Adds a Fail state.
    pub fn fail(&self, name: &str, props: FailProps) -> Fail {
        Fail(self.add(name, Body::Fail(props)))
    }

    /// Adds a state written as raw ASL (a map with `Type` ...); `Next` may be
    /// set in the JSON by name or with [`Chainable::next`].
    pub fn custom(&self, name: &str, state: Value) -> CustomState {
        CustomState(self.add(name, Body::Custom(state)))
    }

    /// The names of the states, in the order added.
    pub fn state_names(&self) -> Vec<String> {
        self.data().states.iter().map(|s| s.name.clone()).collect()
    }

    /// The task integrations of this graph and of the graphs nested in it.
    pub fn integrations(&self) -> Vec<Integration> {
        let mut out = Vec::new();
        self.for_each_body(
            &mut |b| {
                if let Body::Task(i, _) = b {
                    out.push((**i).clone());
                }
            },
            &mut Vec::new(),
        );
        out
    }

    /// Records that a state machine was built from this graph (and the graphs
    /// nested in it): a state added later is reported, since the execution
    /// role's permissions were derived from the states present.
    pub(crate) fn freeze(&self, by: &str) {
        let nested: Vec<StateGraph> = {
            let mut g = self.inner.borrow_mut();
            if g.frozen_by.is_some() {
                return;
            }
            g.frozen_by = Some(by.to_owned());
            g.states
                .iter()
                .flat_map(|s| match &s.body {
                    Body::Map(p, _) | Body::DistributedMap(p, _) => vec![p.clone()],
                    Body::Parallel(bs, _) => bs.clone(),
                    _ => Vec::new(),
                })
                .collect()
        };
        for n in nested {
            n.freeze(by);
        }
    }

    /// Renders the graph as a state machine definition.
    pub fn render(&self) -> Definition {
        self.render_with(None)
    }

    /// Renders with a top-level `TimeoutSeconds` and `Comment`.
    pub(crate) fn render_with(&self, top: Option<(Option<u64>, Option<String>)>) -> Definition {
        let mut r = Render {
            tokens: Vec::new(),
            errors: Vec::new(),
            stack: Vec::new(),
            language: QueryLanguage::JsonPath,
        };
        let language = self.data().query_language;
        r.language = language.unwrap_or_default();
        let mut json = self.render_scope(&mut r);
        if let (Some(l), Json::Object(m)) = (language, &mut json) {
            let mut out = JsonMap::new();
            out.insert("QueryLanguage".into(), Json::String(l.as_str().into()));
            out.extend(std::mem::take(m));
            *m = out;
        }
        if let (Some((timeout, comment)), Json::Object(m)) = (top, &mut json) {
            let mut out = JsonMap::new();
            put(&mut out, "Comment", comment.map(Json::String));
            out.extend(std::mem::take(m));
            put(&mut out, "TimeoutSeconds", timeout.map(|t| json!(t)));
            *m = out;
        }
        Definition {
            json,
            tokens: r.tokens,
            build_errors: r.errors,
        }
    }

    fn render_scope(&self, r: &mut Render) -> Json {
        let g = self.data();
        if r.stack.contains(&g.id) {
            r.errors
                .push("a Map or Parallel state contains the graph it belongs to: give it a graph of its own".into());
            return json!({ "StartAt": "", "States": {} });
        }
        r.stack.push(g.id);
        r.errors.extend(g.errors.iter().cloned());
        let mut states = JsonMap::new();
        for s in &g.states {
            let body = self.render_state(&g, s, r);
            // A duplicate name was reported when it was added; the first one is kept.
            if !states.contains_key(&s.name) {
                states.insert(s.name.clone(), body);
            }
        }
        let start = g.start.or(if g.states.is_empty() { None } else { Some(0) });
        r.stack.pop();
        json!({
            "StartAt": start.map(|i| g.states[i].name.clone()).unwrap_or_default(),
            "States": states,
        })
    }

    fn link_name(&self, g: &GraphData, from: &str, link: &Link, r: &mut Render) -> Json {
        if link.graph != g.id && g.states.iter().any(|s| s.name == link.name) {
            r.errors.push(format!(
                "state '{from}': goes to '{}' of another graph: transitions cannot cross Map or Parallel boundaries",
                link.name
            ));
        }
        Json::String(link.name.clone())
    }

    fn render_state(&self, g: &GraphData, s: &StateData, r: &mut Render) -> Json {
        let mut m = JsonMap::new();
        let path = |p: &Option<JsonPath>| p.as_ref().map(JsonPath::to_json);
        let mut retries: Vec<Retry> = Vec::new();
        match &s.body {
            Body::Custom(v) => {
                if let Json::Object(o) = r.tok(v) {
                    m = o;
                } else {
                    r.errors
                        .push(format!("state '{}': a custom state must be a JSON object", s.name));
                }
                if let Some(c) = &s.comment {
                    m.insert("Comment".into(), Json::String(c.clone()));
                }
            }
            body => {
                m.insert("Type".into(), Json::String(body.type_name().to_owned()));
                put(&mut m, "Comment", s.comment.clone().map(Json::String));
            }
        }
        match &s.body {
            Body::Task(integration, p) => {
                for problem in integration.problems() {
                    r.errors.push(format!("state '{}': {problem}", s.name));
                }
                if m.get("Comment").is_none() {
                    put(&mut m, "Comment", p.comment.clone().map(Json::String));
                }
                put(&mut m, "InputPath", path(&p.input_path));
                let resource = r.tok(&integration.resource());
                m.insert("Resource".into(), resource);
                let jsonata = s.query_language.unwrap_or(r.language) == QueryLanguage::Jsonata;
                if let Some(args) = &s.arguments {
                    let args = r.tok(args);
                    m.insert("Arguments".into(), args);
                } else if let Some(params) = integration.parameters() {
                    let params = r.tok(&params);
                    if jsonata {
                        match to_jsonata(&params) {
                            Ok(args) => {
                                m.insert("Arguments".into(), args);
                            }
                            Err(field) => r.errors.push(format!(
                                "state '{}': the integration's field '{field}' is JSONPath that has no plain JSONata form: give the state its Arguments",
                                s.name
                            )),
                        }
                    } else {
                        m.insert("Parameters".into(), params);
                    }
                }
                if let Some(sel) = &p.result_selector {
                    let sel = r.tok(sel);
                    m.insert("ResultSelector".into(), sel);
                }
                put(&mut m, "ResultPath", path(&p.result_path));
                put(&mut m, "OutputPath", path(&p.output_path));
                put(&mut m, "TimeoutSeconds", p.timeout_seconds.map(|t| json!(t)));
                put(&mut m, "HeartbeatSeconds", p.heartbeat_seconds.map(|t| json!(t)));
                retries = integration.default_retries();
            }
            Body::Pass(p) => {
                put(
                    &mut m,
                    "Comment",
                    p.comment.clone().map(Json::String).filter(|_| s.comment.is_none()),
                );
                put(&mut m, "InputPath", path(&p.input_path));
                if let Some(v) = &p.parameters {
                    let v = r.tok(v);
                    m.insert("Parameters".into(), v);
                }
                if let Some(v) = &p.result {
                    let v = r.tok(v);
                    m.insert("Result".into(), v);
                }
                put(&mut m, "ResultPath", path(&p.result_path));
                put(&mut m, "OutputPath", path(&p.output_path));
            }
            Body::Wait(t) => {
                let (k, v) = match t {
                    WaitTime::Seconds(n) => ("Seconds", json!(n)),
                    WaitTime::Timestamp(ts) => ("Timestamp", json!(ts)),
                    WaitTime::SecondsPath(p) => ("SecondsPath", json!(p)),
                    WaitTime::TimestampPath(p) => ("TimestampPath", json!(p)),
                };
                m.insert(k.into(), v);
            }
            Body::Choice { rules, default } => {
                let choices: Vec<Json> = rules
                    .iter()
                    .map(|(c, link, assign)| {
                        let mut rule = c.to_json();
                        let next = self.link_name(g, &s.name, link, r);
                        let assign = assign.as_ref().map(|a| r.tok(a));
                        if let Json::Object(o) = &mut rule {
                            put(o, "Assign", assign);
                            o.insert("Next".into(), next);
                        }
                        rule
                    })
                    .collect();
                m.insert("Choices".into(), Json::Array(choices));
                if let Some(d) = default {
                    let d = self.link_name(g, &s.name, d, r);
                    m.insert("Default".into(), d);
                }
            }
            Body::Map(processor, p) => {
                put(
                    &mut m,
                    "Comment",
                    p.comment.clone().map(Json::String).filter(|_| s.comment.is_none()),
                );
                put(&mut m, "InputPath", path(&p.input_path));
                put(&mut m, "ItemsPath", p.items_path.clone().map(Json::String));
                put(&mut m, "MaxConcurrency", p.max_concurrency.map(|c| json!(c)));
                if let Some(v) = &p.item_selector {
                    let v = r.tok(v);
                    m.insert("ItemSelector".into(), v);
                }
                let mut inner = processor.render_scope(r);
                if let Json::Object(o) = &mut inner {
                    let mut with_config = JsonMap::new();
                    with_config.insert("ProcessorConfig".into(), json!({ "Mode": "INLINE" }));
                    with_config.extend(std::mem::take(o));
                    *o = with_config;
                }
                m.insert("ItemProcessor".into(), inner);
                if let Some(v) = &p.result_selector {
                    let v = r.tok(v);
                    m.insert("ResultSelector".into(), v);
                }
                put(&mut m, "ResultPath", path(&p.result_path));
                put(&mut m, "OutputPath", path(&p.output_path));
            }
            Body::DistributedMap(processor, p) => {
                for problem in p.problems() {
                    r.errors.push(format!("state '{}': {problem}", s.name));
                }
                put(
                    &mut m,
                    "Comment",
                    p.comment.clone().map(Json::String).filter(|_| s.comment.is_none()),
                );
                put(&mut m, "InputPath", path(&p.input_path));
                put(&mut m, "ItemsPath", p.items_path.clone().map(Json::String));
                put(&mut m, "MaxConcurrency", p.max_concurrency.map(|c| json!(c)));
                if let Some(v) = &p.item_selector {
                    let v = r.tok(v);
                    m.insert("ItemSelector".into(), v);
                }
                let mut inner = processor.render_scope(r);
                if let Json::Object(o) = &mut inner {
                    let mut with_config = JsonMap::new();
                    with_config.insert("ProcessorConfig".into(), p.processor_config());
                    with_config.extend(std::mem::take(o));
                    *o = with_config;
                }
                m.insert("ItemProcessor".into(), inner);
                p.render_fields(&mut m, |v| r.tok(v));
                if let Some(v) = &p.result_selector {
                    let v = r.tok(v);
                    m.insert("ResultSelector".into(), v);
                }
                put(&mut m, "ResultPath", path(&p.result_path));
                put(&mut m, "OutputPath", path(&p.output_path));
            }
            Body::Parallel(branches, p) => {
                put(
                    &mut m,
                    "Comment",
                    p.comment.clone().map(Json::String).filter(|_| s.comment.is_none()),
                );
                put(&mut m, "InputPath", path(&p.input_path));
                if let Some(v) = &p.parameters {
                    let v = r.tok(v);
                    m.insert("Parameters".into(), v);
                }
                let bs: Vec<Json> = branches.iter().map(|b| b.render_scope(r)).collect();
                m.insert("Branches".into(), Json::Array(bs));
                if let Some(v) = &p.result_selector {
                    let v = r.tok(v);
                    m.insert("ResultSelector".into(), v);
                }
                put(&mut m, "ResultPath", path(&p.result_path));
                put(&mut m, "OutputPath", path(&p.output_path));
            }
            Body::Succeed => {}
            Body::Fail(p) => {
                put(
                    &mut m,
                    "Comment",
                    p.comment.clone().map(Json::String).filter(|_| s.comment.is_none()),
                );
                put(&mut m, "Error", p.error.clone().map(Json::String));
                put(&mut m, "Cause", p.cause.clone().map(Json::String));
                put(&mut m, "ErrorPath", p.error_path.clone().map(Json::String));
                put(&mut m, "CausePath", p.cause_path.clone().map(Json::String));
            }
            Body::Custom(_) => {}
        }
        if let Some(l) = s.query_language {
            let mut out = JsonMap::new();
            let ty = m.shift_remove("Type");
            put(&mut out, "Type", ty);
            out.insert("QueryLanguage".into(), Json::String(l.as_str().into()));
            out.extend(std::mem::take(&mut m));
            m = out;
        }
        if s.arguments.is_some() && !matches!(s.body, Body::Task(..) | Body::Parallel(..)) {
            r.errors.push(format!(
                "state '{}': only Task and Parallel states take Arguments",
                s.name
            ));
        }
        if let (Some(a), Body::Parallel(..)) = (&s.arguments, &s.body) {
            let a = r.tok(a);
            m.insert("Arguments".into(), a);
        }
        if let Some(o) = &s.output {
            let o = r.tok(o);
            m.insert("Output".into(), o);
        }
        if s.query_language.unwrap_or(r.language) == QueryLanguage::Jsonata {
            for field in [
                "InputPath",
                "Parameters",
                "ResultSelector",
                "ResultPath",
                "OutputPath",
                "ItemsPath",
            ] {
                if m.contains_key(field) {
                    r.errors.push(format!(
                        "state '{}': {field} is a JSONPath field, but the state is JSONata: use Arguments, Output and Assign instead",
                        s.name
                    ));
                }
            }
        }
        if let Some(a) = &s.assign {
            let a = r.tok(a);
            m.insert("Assign".into(), a);
        }
        retries.extend(s.retry.iter().cloned());
        if !retries.is_empty() {
            let mut all: Vec<Json> = match m.shift_remove("Retry") {
                Some(Json::Array(a)) => a,
                _ => Vec::new(),
            };
            all.extend(retries.iter().map(Retry::to_json));
            m.insert("Retry".into(), Json::Array(all));
        }
        if !s.catch.is_empty() {
            let mut all: Vec<Json> = match m.shift_remove("Catch") {
                Some(Json::Array(a)) => a,
                _ => Vec::new(),
            };
            for (c, link, assign) in &s.catch {
                let mut o = JsonMap::new();
                o.insert("ErrorEquals".into(), json!(c.errors));
                put(&mut o, "ResultPath", c.result_path.clone().map(Json::String));
                let assign = assign.as_ref().map(|a| r.tok(a));
                put(&mut o, "Assign", assign);
                o.insert("Next".into(), self.link_name(g, &s.name, link, r));
                all.push(Json::Object(o));
            }
            m.insert("Catch".into(), Json::Array(all));
        }
        if let Some(n) = &s.next {
            let n = self.link_name(g, &s.name, n, r);
            m.insert("Next".into(), n);
        }
        if s.end {
            m.insert("End".into(), Json::Bool(true));
        }
        Json::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::lambda::FunctionArn;
    use crate::aws::stepfunctions::TaskInput;
    use crate::core::ElementRef;

    fn fake_ref(idx: usize) -> FunctionArn {
        FunctionArn::from_value(Value::GetAtt(ElementRef { app: 0, idx }, "Arn".into()))
    }

    #[test]
    fn next_returns_the_target_so_chains_read_left_to_right() {
        let g = StateGraph::new();
        let a = g.pass("A", PassProps::default());
        let b = g.wait("B", WaitTime::Seconds(1));
        let c = g.succeed("C");
        a.next(&b).next(&c);
        let d = g.render();
        assert_eq!(d.json["States"]["A"]["Next"], "B");
        assert_eq!(d.json["States"]["B"]["Next"], "C");
        assert_eq!(d.json["StartAt"], "A");
        assert!(d.validate().is_empty(), "{:?}", d.validate());
    }

    #[test]
    fn a_state_can_be_the_target_of_many_and_next_is_idempotent() {
        let g = StateGraph::new();
        let a = g.pass("A", PassProps::default());
        let b = g.pass("B", PassProps::default());
        let join = g.succeed("Join");
        a.next(&b);
        a.next(&b);
        b.next(&join);
        let c = g.choice("C");
        c.when(Condition::is_present("$.x"), &join).otherwise(&join);
        g.start_at(&a);
        let d = g.render();
        assert!(d.build_errors.is_empty(), "{:?}", d.build_errors);
    }

    #[test]
    fn a_second_different_next_is_an_error() {
        let g = StateGraph::new();
        let a = g.pass("A", PassProps::default());
        a.next(&g.succeed("B"));
        a.next(&g.succeed("C"));
        let errors = g.render().validate();
        assert!(
            errors.iter().any(|e| e.contains("state 'A': Next is already 'B'")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_second_different_default_is_an_error() {
        let g = StateGraph::new();
        let c = g.choice("C");
        c.when(Condition::is_present("$.x"), &g.succeed("A"))
            .otherwise(&g.succeed("B"))
            .otherwise(&g.succeed("D"));
        let errors = g.render().validate();
        assert!(
            errors.iter().any(|e| e.contains("Default is already 'B'")),
            "{errors:?}"
        );
    }

    #[test]
    fn references_become_placeholders_and_then_a_join() {
        let g = StateGraph::new();
        g.task("Invoke", LambdaInvoke::with_arn(&fake_ref(7)), TaskProps::default())
            .end();
        let d = g.render();
        assert_eq!(d.tokens.len(), 2, "partition and function");
        let Value::Fn(f) = d.to_value() else {
            panic!("expected Fn::Join")
        };
        let crate::core::Intrinsic::Join(delim, parts) = *f else {
            panic!("expected Fn::Join")
        };
        assert_eq!(delim, "");
        assert_eq!(parts.len(), 5, "text, resource, text, function, text");
        assert!(matches!(parts[3], Value::GetAtt(..)));
        let text = d.to_string_with(|v| match v {
            Value::Fn(_) => "arn:aws:states:::lambda:invoke".into(),
            _ => "arn:aws:lambda:us-east-1:123456789012:function:x".into(),
        });
        let json: Json = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(json["States"]["Invoke"]["Resource"], "arn:aws:states:::lambda:invoke");
        assert_eq!(
            json["States"]["Invoke"]["Parameters"]["FunctionName"],
            "arn:aws:lambda:us-east-1:123456789012:function:x"
        );
        assert_eq!(json["States"]["Invoke"]["Parameters"]["Payload.$"], "$");
        assert_eq!(json["States"]["Invoke"]["Retry"][0]["MaxAttempts"], 6);
    }

    #[test]
    fn lambda_payload_and_legacy_form() {
        let g = StateGraph::new();
        let legacy = LambdaInvoke {
            payload_response_only: true,
            retry_on_service_exceptions: false,
            ..LambdaInvoke::with_arn(&FunctionArn::from_value(
                "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            ))
        };
        g.task("Legacy", legacy, TaskProps::default()).end();
        let custom = LambdaInvoke {
            payload: TaskInput::Value(Value::map().with("id.$", "$.id")),
            ..LambdaInvoke::with_arn(&FunctionArn::from_value(
                "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            ))
        };
        g.task("Custom", custom, TaskProps::default()).end();
        let d = g.render();
        assert_eq!(
            d.json["States"]["Legacy"]["Resource"],
            "arn:aws:lambda:us-east-1:123456789012:function:f"
        );
        assert!(d.json["States"]["Legacy"].get("Parameters").is_none());
        assert!(d.json["States"]["Legacy"].get("Retry").is_none());
        assert_eq!(d.json["States"]["Custom"]["Parameters"]["Payload"]["id.$"], "$.id");
    }

    #[test]
    fn map_renders_an_inline_item_processor() {
        let inner = StateGraph::new();
        inner.pass("Item", PassProps::default()).end();
        let g = StateGraph::new();
        g.map(
            "Each",
            &inner,
            MapProps {
                items_path: Some("$.items".into()),
                max_concurrency: Some(2),
                ..Default::default()
            },
        )
        .end();
        let d = g.render();
        let m = &d.json["States"]["Each"];
        assert_eq!(m["ItemProcessor"]["ProcessorConfig"]["Mode"], "INLINE");
        assert_eq!(m["ItemProcessor"]["StartAt"], "Item");
        assert_eq!(m["MaxConcurrency"], 2);
        assert!(d.validate().is_empty(), "{:?}", d.validate());
    }

    #[test]
    fn assign_renders_on_states_rules_and_catchers() {
        let g = StateGraph::new();
        let task = g
            .task("Look", LambdaInvoke::with_arn(&fake_ref(1)), TaskProps::default())
            .assign(Value::map().with("id.$", "$.Payload.Id"));
        let wait = g
            .wait("Pause", WaitTime::Seconds(5))
            .assign(Value::map().with("paused", true));
        let failed = g.fail("Failed", FailProps::default());
        task.add_catch_assign(&failed, Catch::default(), Value::map().with("why.$", "$.Cause"));
        let done = g.succeed("Done");
        let c = g.choice("Again");
        task.next(&wait).next(&c);
        c.when_assign(Condition::is_present("$.x"), Value::map().with("x.$", "$.x"), &done)
            .otherwise(&done);
        let d = g.render();
        assert!(d.validate().is_empty(), "{:?}", d.validate());
        let s = &d.json["States"];
        assert_eq!(s["Look"]["Assign"], json!({"id.$": "$.Payload.Id"}));
        assert_eq!(s["Look"]["Catch"][0]["Assign"], json!({"why.$": "$.Cause"}));
        assert_eq!(s["Pause"]["Assign"], json!({"paused": true}));
        assert_eq!(s["Again"]["Choices"][0]["Assign"], json!({"x.$": "$.x"}));
    }

    #[test]
    fn a_jsonata_task_takes_arguments_and_refuses_jsonpath_fields() {
        let g = StateGraph::new();
        let invoke = g
            .task("Invoke", LambdaInvoke::with_arn(&fake_ref(1)), TaskProps::default())
            .query_language(QueryLanguage::Jsonata)
            .output(Value::map().with("id", "{% $states.result.Payload.id %}"));
        let given = g
            .task("Given", LambdaInvoke::with_arn(&fake_ref(1)), TaskProps::default())
            .arguments(
                Value::map()
                    .with("FunctionName", "f")
                    .with("Payload", "{% $states.input.x %}"),
            );
        let wrong = g.task(
            "Wrong",
            LambdaInvoke::with_arn(&fake_ref(1)),
            TaskProps {
                result_path: Some("$.out".into()),
                ..Default::default()
            },
        );
        wrong.query_language(QueryLanguage::Jsonata);
        invoke.next(&given).next(&wrong).end();
        let d = g.render();
        let s = &d.json["States"];
        assert_eq!(s["Invoke"]["QueryLanguage"], "JSONata");
        assert_eq!(s["Invoke"]["Arguments"]["Payload"], "{% $states.input %}");
        assert!(s["Invoke"].get("Parameters").is_none());
        assert_eq!(s["Invoke"]["Output"]["id"], "{% $states.result.Payload.id %}");
        assert_eq!(s["Given"]["Arguments"]["Payload"], "{% $states.input.x %}");
        let errors = d.validate();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("state 'Wrong': ResultPath is a JSONPath field, but the state is JSONata")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_transition_into_another_graph_is_an_error() {
        let inner = StateGraph::new();
        let g = StateGraph::new();
        let outer_done = g.succeed("Done");
        inner.pass("Item", PassProps::default()).next(&outer_done);
        g.map("Each", &inner, MapProps::default()).next(&outer_done);
        let errors = g.render().validate();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("state 'Item'") && e.contains("'Done'")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_duplicate_name_in_one_graph_is_an_error() {
        let g = StateGraph::new();
        g.pass("A", PassProps::default()).end();
        g.succeed("A");
        let errors = g.render().validate();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("state 'A': the name is used more than once in the same graph")),
            "{errors:?}"
        );
    }

    #[test]
    fn raw_states_are_validated_too() {
        let g = StateGraph::new();
        let raw = Value::from_json(serde_json::json!({
            "Type": "Pass",
            "Retry": [{ "ErrorEquals": ["States.ALL"] }],
            "InputPath": "Input",
        }));
        g.custom("Raw", raw).next(&g.succeed("Done"));
        let errors = g.render().validate();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("state 'Raw': Retry is not allowed on a Pass state")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("state 'Raw': InputPath: 'Input' must start with '$'")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_graph_nested_in_itself_is_refused() {
        let g = StateGraph::new();
        g.map("Self", &g, MapProps::default()).end();
        let errors = g.render().validate();
        assert!(
            errors.iter().any(|e| e.contains("contains the graph it belongs to")),
            "{errors:?}"
        );
    }

    #[test]
    fn states_added_after_freezing_are_reported() {
        let g = StateGraph::new();
        g.succeed("A");
        g.freeze("Stack/Machine");
        g.succeed("B");
        let errors = g.render().build_errors;
        assert!(
            errors.iter().any(|e| e.contains("state 'B' was added after")),
            "{errors:?}"
        );
    }

    #[test]
    fn integrations_are_collected_from_nested_graphs() {
        let inner = StateGraph::new();
        inner
            .task("Inner", LambdaInvoke::with_arn(&fake_ref(1)), TaskProps::default())
            .end();
        let g = StateGraph::new();
        g.task("Outer", LambdaInvoke::with_arn(&fake_ref(2)), TaskProps::default())
            .next(&g.map("Each", &inner, MapProps::default()))
            .end();
        assert_eq!(g.integrations().len(), 2);
    }
}
