//! Static checks of an Amazon States Language definition.
//!
//! The checks work on the ASL JSON itself, so they cover states written as raw
//! JSON too. Every problem is returned, each naming its state:
//! transitions to unknown states, duplicate state names (across Map and
//! Parallel scopes too), unreachable states, states with neither `Next` nor
//! `End`, loops and Choices without a way out, malformed JSONPath in every path
//! field and `key.$` value, malformed Wait/Choice/Retry/Catch fields, and
//! `Retry`/`Catch` on states that do not allow them. A Fail state's
//! `ErrorPath` and `CausePath` may be a path or an intrinsic function. Loops
//! without a bound are warnings, not errors: see [`loop_warnings`](super::loop_warnings).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use serde_json::{Map, Value as Json};

use super::jsonpath::{check_dynamic_value, check_path, PathKind};

/// A problem of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AslError {
    /// The state the problem is about, if any.
    pub state: Option<String>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for AslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            Some(s) => write!(f, "state '{s}': {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

const TYPES: &[&str] = &["Task", "Pass", "Wait", "Choice", "Map", "Parallel", "Succeed", "Fail"];
const MAX_NAME_LEN: usize = 80;

struct Checker {
    /// The machine's `QueryLanguage` (`JSONPath` unless it says otherwise).
    language: String,
    errors: Vec<AslError>,
    /// Every state name with the scope it is in, to find duplicates.
    names: Vec<(String, String)>,
}

impl Checker {
    fn err(&mut self, state: Option<&str>, message: impl Into<String>) {
        self.errors.push(AslError {
            state: state.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// Checks a definition (the JSON of a whole state machine) and returns every problem found.
///
/// ```
/// use constructs::aws::stepfunctions::validate_definition;
/// let def = serde_json::json!({
///     "StartAt": "A",
///     "States": { "A": { "Type": "Pass", "Next": "B" } }
/// });
/// let errors = validate_definition(&def);
/// assert_eq!(errors[0].to_string(), "state 'A': Next 'B' is not a state of the state machine");
/// ```
pub fn validate_definition(definition: &Json) -> Vec<AslError> {
    let mut c = Checker {
        language: definition
            .get("QueryLanguage")
            .and_then(Json::as_str)
            .unwrap_or("JSONPath")
            .to_owned(),
        errors: Vec::new(),
        names: Vec::new(),
    };
    match definition.as_object() {
        Some(top) => {
            if !matches!(c.language.as_str(), "JSONPath" | "JSONata") {
                c.err(
                    None,
                    format!("QueryLanguage must be JSONPath or JSONata, not '{}'", c.language),
                );
            }
            if let Some(t) = top.get("TimeoutSeconds") {
                if !is_positive_int(t) {
                    c.err(None, format!("TimeoutSeconds must be a positive integer, not {t}"));
                }
            }
            check_scope(&mut c, top, "the state machine");
            c.errors.extend(super::variables::check(definition));
        }
        None => c.err(None, "the definition must be a JSON object with StartAt and States"),
    }
    // Duplicate names across all scopes.
    let mut seen: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, scope) in &c.names {
        seen.entry(name.as_str()).or_default().push(scope.as_str());
    }
    let mut dups: Vec<(String, String)> = seen
        .into_iter()
        .filter(|(_, scopes)| scopes.len() > 1)
        .map(|(n, scopes)| (n.to_owned(), scopes.join(", ")))
        .collect();
    dups.sort();
    for (name, scopes) in dups {
        c.err(
            Some(&name),
            format!(
                "the name is used more than once (in {scopes}): state names must be unique in the whole state machine"
            ),
        );
    }
    c.errors
}

fn is_positive_int(v: &Json) -> bool {
    v.as_u64().is_some_and(|n| n > 0)
}

fn is_non_negative_int(v: &Json) -> bool {
    v.as_u64().is_some()
}

/// Checks one scope (`StartAt` + `States`): the machine, a Map's processor or a Parallel branch.
fn check_scope(c: &mut Checker, scope: &Map<String, Json>, label: &str) {
    let states = match scope.get("States").and_then(Json::as_object) {
        Some(s) if !s.is_empty() => s,
        _ => {
            c.err(None, format!("{label} has no States: add at least one state"));
            return;
        }
    };
    let start = scope.get("StartAt").and_then(Json::as_str).unwrap_or_default();
    if !states.contains_key(start) {
        c.err(None, format!("StartAt '{start}' of {label} is not one of its states"));
    }
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut terminal: HashSet<&str> = HashSet::new();
    c.names.extend(states.keys().map(|n| (n.clone(), label.to_owned())));
    for (name, state) in states {
        if name.chars().count() > MAX_NAME_LEN {
            c.err(Some(name), format!("the name is longer than {MAX_NAME_LEN} characters"));
        }
        let Some(s) = state.as_object() else {
            c.err(Some(name), "a state must be a JSON object");
            continue;
        };
        let targets = check_state(c, name, s, states, label);
        // Ends, and states without a valid transition (reported already).
        let ends = matches!(s.get("Type").and_then(Json::as_str), Some("Succeed" | "Fail"))
            || s.get("End") == Some(&Json::Bool(true));
        if ends || targets.is_empty() {
            terminal.insert(name.as_str());
        }
        edges.insert(name.as_str(), targets);
    }
    // Reachability from StartAt.
    let mut reached: HashSet<&str> = HashSet::new();
    if states.contains_key(start) {
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            if reached.insert(n) {
                queue.extend(edges.get(n).into_iter().flatten().copied());
            }
        }
        for name in states.keys() {
            if !reached.contains(name.as_str()) {
                c.err(
                    Some(name),
                    format!("unreachable: no transition from StartAt '{start}' leads to it (remove it, or go to it from another state)"),
                );
            }
        }
    }
    // A way out: every reachable state must be able to reach an end.
    let mut reverse: HashMap<&str, Vec<&str>> = HashMap::new();
    for (from, tos) in &edges {
        for to in tos {
            reverse.entry(*to).or_default().push(*from);
        }
    }
    let mut can_end: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = terminal.iter().copied().collect();
    while let Some(n) = queue.pop_front() {
        if can_end.insert(n) {
            queue.extend(reverse.get(n).into_iter().flatten().copied());
        }
    }
    let stuck: Vec<&str> = states
        .keys()
        .map(String::as_str)
        .filter(|n| reached.contains(n) && !can_end.contains(n) && edges.contains_key(n))
        .collect();
    if !stuck.is_empty() {
        let choices: Vec<&str> = stuck
            .iter()
            .copied()
            .filter(|n| states.get(*n).and_then(|s| s.get("Type")).and_then(Json::as_str) == Some("Choice"))
            .collect();
        let hint = if choices.is_empty() {
            "give the loop an exit".to_owned()
        } else {
            format!(
                "give Choice '{}' a rule or Default that leaves the loop",
                choices.join("', '")
            )
        };
        c.err(
            None,
            format!(
                "no way out of {label} from state(s) '{}': none of their transitions leads to an end (End, Succeed or Fail); {hint}",
                stuck.join("', '")
            ),
        );
    }
}

/// Checks one state and returns the names it can go to.
fn check_state<'a>(
    c: &mut Checker,
    name: &str,
    s: &'a Map<String, Json>,
    scope_states: &Map<String, Json>,
    label: &str,
) -> Vec<&'a str> {
    let mut targets: Vec<&'a str> = Vec::new();
    let ty = match s.get("Type").and_then(Json::as_str) {
        Some(t) if TYPES.contains(&t) => t,
        Some(t) => {
            c.err(
                Some(name),
                format!("Type '{t}' is not a state type (one of {})", TYPES.join(", ")),
            );
            return targets;
        }
        None => {
            c.err(Some(name), "has no Type");
            return targets;
        }
    };
    let jsonata = check_query_language(c, name, s);
    let mut target = |c: &mut Checker, field: &str, v: &'a Json| match v.as_str() {
        Some(t) if scope_states.contains_key(t) => targets.push(t),
        Some(t) => {
            let where_ = if label == "the state machine" {
                "the state machine".to_owned()
            } else {
                format!("{label} (transitions cannot leave a Map or Parallel scope)")
            };
            c.err(Some(name), format!("{field} '{t}' is not a state of {where_}"));
        }
        None => c.err(Some(name), format!("{field} must be a state name, not {v}")),
    };

    // Next / End.
    let next = s.get("Next");
    let end = s.get("End");
    match ty {
        "Choice" | "Succeed" | "Fail" => {
            if next.is_some() || end.is_some() {
                c.err(
                    Some(name),
                    format!(
                        "a {ty} state cannot have Next or End ({})",
                        if ty == "Choice" {
                            "its rules and Default say where to go"
                        } else {
                            "it ends the execution"
                        }
                    ),
                );
            }
        }
        _ => match (next, end) {
            (Some(_), Some(Json::Bool(true))) => c.err(Some(name), "has both Next and End: keep one"),
            (Some(n), _) => target(c, "Next", n),
            (None, Some(Json::Bool(true))) => {}
            (None, Some(e)) => c.err(Some(name), format!("End must be true, not {e}")),
            (None, None) => c.err(
                Some(name),
                "has neither Next nor End: chain it to a state with .next(&state), or mark it as an end with .end()",
            ),
        },
    }

    // Retry / Catch.
    let recoverable = matches!(ty, "Task" | "Map" | "Parallel");
    for field in ["Retry", "Catch"] {
        if s.contains_key(field) && !recoverable {
            c.err(
                Some(name),
                format!("{field} is not allowed on a {ty} state: only Task, Map and Parallel states can retry or catch errors"),
            );
        }
    }
    if recoverable {
        if let Some(r) = s.get("Retry") {
            check_retriers(c, name, r);
        }
        if let Some(cs) = s.get("Catch") {
            match cs.as_array() {
                Some(list) => {
                    check_error_lists(c, name, "Catch", list);
                    for catcher in list {
                        if let Some(n) = catcher.get("Next") {
                            target(c, "Catch Next", n);
                        } else {
                            c.err(Some(name), "a catcher has no Next");
                        }
                        if let Some(p) = catcher.get("ResultPath") {
                            check_path_field(c, name, "Catch ResultPath", p, PathKind::Reference, true);
                        }
                    }
                }
                None => c.err(Some(name), "Catch must be a list of catchers"),
            }
        }
    }

    // Path fields.
    for (field, kind) in [
        ("InputPath", PathKind::Path),
        ("OutputPath", PathKind::Path),
        ("ResultPath", PathKind::Reference),
    ] {
        if let Some(v) = s.get(field) {
            if matches!(ty, "Fail") {
                c.err(Some(name), format!("{field} is not allowed on a Fail state"));
            }
            check_path_field(c, name, field, v, kind, true);
        }
    }
    for field in ["ItemsPath", "SecondsPath", "TimestampPath"] {
        if let Some(v) = s.get(field) {
            check_path_field(c, name, field, v, PathKind::Path, false);
        }
    }
    // A Fail state's ErrorPath and CausePath may also be intrinsic functions (`States.Format(...)`).
    for field in ["ErrorPath", "CausePath"] {
        if let Some(v) = s.get(field) {
            match v.as_str() {
                Some(p) if !p.starts_with('$') && p.contains('(') => {
                    if let Err(e) = check_dynamic_value(field, v) {
                        c.err(Some(name), e);
                    }
                }
                _ => check_path_field(c, name, field, v, PathKind::Path, false),
            }
        }
    }
    for field in ["Parameters", "ResultSelector", "ItemSelector"] {
        if let Some(v) = s.get(field) {
            check_payload_template(c, name, field, v);
        }
    }

    match ty {
        "Task" => {
            if !s.get("Resource").is_some_and(Json::is_string) {
                c.err(Some(name), "a Task state needs a Resource (the ARN of what it calls)");
            }
            for f in ["TimeoutSeconds", "HeartbeatSeconds"] {
                if let Some(v) = s.get(f) {
                    if !is_positive_int(v) {
                        c.err(Some(name), format!("{f} must be a positive integer, not {v}"));
                    }
                }
            }
            if let (Some(h), Some(t)) = (
                s.get("HeartbeatSeconds").and_then(Json::as_u64),
                s.get("TimeoutSeconds").and_then(Json::as_u64),
            ) {
                if h >= t {
                    c.err(Some(name), "HeartbeatSeconds must be smaller than TimeoutSeconds");
                }
            }
        }
        "Wait" => {
            let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
                .into_iter()
                .filter(|f| s.contains_key(*f))
                .collect();
            if given.len() != 1 {
                c.err(
                    Some(name),
                    format!(
                        "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath or TimestampPath (has {})",
                        if given.is_empty() {
                            "none".to_owned()
                        } else {
                            given.join(", ")
                        }
                    ),
                );
            }
            if let Some(v) = s.get("Seconds").filter(|v| !(jsonata && is_expression(v))) {
                if !is_non_negative_int(v) {
                    c.err(Some(name), format!("Seconds must be a non-negative integer, not {v}"));
                }
            }
            if let Some(v) = s.get("Timestamp").filter(|v| !(jsonata && is_expression(v))) {
                if !v.as_str().is_some_and(is_timestamp) {
                    c.err(
                        Some(name),
                        format!("Timestamp must be an RFC 3339 timestamp like 2026-01-01T00:00:00Z, not {v}"),
                    );
                }
            }
        }
        "Choice" => {
            let rules = s.get("Choices").and_then(Json::as_array);
            match rules {
                Some(rules) if !rules.is_empty() => {
                    for rule in rules {
                        if jsonata {
                            if !rule.get("Condition").is_some_and(|v| is_expression(v) || v.is_boolean()) {
                                c.err(
                                    Some(name),
                                    "a rule of a JSONata Choice needs a Condition, a {% %} expression (Condition::jsonata)",
                                );
                            }
                        } else {
                            check_rule(c, name, rule, true);
                        }
                        match rule.get("Next") {
                            Some(n) => target(c, "Choices Next", n),
                            None => c.err(Some(name), "a Choice rule has no Next"),
                        }
                    }
                }
                _ => c.err(
                    Some(name),
                    if s.contains_key("Default") {
                        "a Choice state needs at least one rule in Choices (for an unconditional transition use a Pass state)"
                    } else {
                        "a Choice state without rules or Default has no way out: add rules with .when(..) and a Default with .otherwise(..)"
                    },
                ),
            }
            if let Some(d) = s.get("Default") {
                target(c, "Default", d);
            }
        }
        "Map" => {
            let processor = s.get("ItemProcessor").or_else(|| s.get("Iterator"));
            match processor.and_then(Json::as_object) {
                Some(p) => check_scope(c, p, &format!("Map '{name}' item processor")),
                None => c.err(
                    Some(name),
                    "a Map state needs an ItemProcessor (the states run for each item)",
                ),
            }
            check_distributed(c, name, s);
            if let Some(v) = s.get("MaxConcurrency") {
                if !is_non_negative_int(v) {
                    c.err(
                        Some(name),
                        format!("MaxConcurrency must be a non-negative integer, not {v}"),
                    );
                }
            }
        }
        "Parallel" => match s.get("Branches").and_then(Json::as_array) {
            Some(bs) if !bs.is_empty() => {
                for (i, b) in bs.iter().enumerate() {
                    match b.as_object() {
                        Some(b) => check_scope(c, b, &format!("Parallel '{name}' branch {}", i + 1)),
                        None => c.err(
                            Some(name),
                            format!("branch {} must be an object with StartAt and States", i + 1),
                        ),
                    }
                }
            }
            _ => c.err(Some(name), "a Parallel state needs at least one branch"),
        },
        "Fail" => {
            if s.contains_key("Error") && s.contains_key("ErrorPath") {
                c.err(Some(name), "a Fail state takes Error or ErrorPath, not both");
            }
            if s.contains_key("Cause") && s.contains_key("CausePath") {
                c.err(Some(name), "a Fail state takes Cause or CausePath, not both");
            }
        }
        _ => {}
    }
    targets
}

/// The fields of a distributed Map (and their absence from an inline one).
fn check_distributed(c: &mut Checker, name: &str, s: &Map<String, Json>) {
    let config = s.get("ItemProcessor").and_then(|p| p.get("ProcessorConfig"));
    let mode = config
        .and_then(|p| p.get("Mode"))
        .and_then(Json::as_str)
        .unwrap_or("INLINE");
    if !matches!(mode, "INLINE" | "DISTRIBUTED") {
        c.err(
            Some(name),
            format!("ProcessorConfig Mode must be INLINE or DISTRIBUTED, not '{mode}'"),
        );
    }
    let distributed = mode == "DISTRIBUTED";
    if distributed {
        let ty = config.and_then(|p| p.get("ExecutionType")).and_then(Json::as_str);
        if !matches!(ty, Some("STANDARD" | "EXPRESS")) {
            c.err(
                Some(name),
                "a distributed Map's ProcessorConfig needs ExecutionType STANDARD or EXPRESS",
            );
        }
    }
    for field in [
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "ToleratedFailurePercentage",
        "ToleratedFailureCount",
        "Label",
    ] {
        if s.contains_key(field) && !distributed {
            c.err(
                Some(name),
                format!("{field} is only allowed on a distributed Map (ProcessorConfig Mode DISTRIBUTED)"),
            );
        }
    }
    for field in ["ItemReader", "ResultWriter"] {
        if let Some(v) = s.get(field) {
            if !v.get("Resource").is_some_and(Json::is_string) {
                c.err(
                    Some(name),
                    format!("{field} needs a Resource (e.g. arn:aws:states:::s3:getObject)"),
                );
            }
        }
    }
    if s.contains_key("ItemReader") && s.contains_key("ItemsPath") {
        c.err(
            Some(name),
            "a Map reads its items with ItemReader or from ItemsPath, not both",
        );
    }
    if let Some(p) = s.get("ToleratedFailurePercentage") {
        if !p.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p)) {
            c.err(
                Some(name),
                format!("ToleratedFailurePercentage must be a number from 0 to 100, not {p}"),
            );
        }
    }
    if let Some(n) = s.get("ToleratedFailureCount") {
        if !is_non_negative_int(n) {
            c.err(
                Some(name),
                format!("ToleratedFailureCount must be a non-negative integer, not {n}"),
            );
        }
    }
    if let Some(b) = s.get("ItemBatcher").and_then(|b| b.get("BatchInput")) {
        check_payload_template(c, name, "BatchInput", b);
    }
}

/// Whether `v` is a JSONata expression string (`{% ... %}`).
fn is_expression(v: &Json) -> bool {
    v.as_str().is_some_and(|t| {
        let t = t.trim();
        t.starts_with("{%") && t.ends_with("%}")
    })
}

/// The fields only JSONPath states have.
pub(super) const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "OutputPath",
    "ItemsPath",
    "ErrorPath",
    "CausePath",
    "SecondsPath",
    "TimestampPath",
];

/// Checks the state's `QueryLanguage` and the fields of the other
/// language; returns whether the state is JSONata.
fn check_query_language(c: &mut Checker, name: &str, s: &Map<String, Json>) -> bool {
    let own = s.get("QueryLanguage");
    if let Some(q) = own {
        match q.as_str() {
            Some("JSONata") => {}
            Some("JSONPath") if c.language == "JSONata" => c.err(
                Some(name),
                "QueryLanguage JSONPath is not allowed in a state machine whose QueryLanguage is JSONata",
            ),
            Some("JSONPath") => {}
            _ => c.err(
                Some(name),
                format!("QueryLanguage must be JSONPath or JSONata, not {q}"),
            ),
        }
    }
    let jsonata = own.and_then(Json::as_str).unwrap_or(&c.language) == "JSONata";
    if jsonata {
        for field in JSONPATH_ONLY {
            if s.contains_key(*field) {
                c.err(
                    Some(name),
                    format!("{field} is a JSONPath field, but the state is JSONata: use Arguments, Output and Assign with {{% %}} expressions"),
                );
            }
        }
        for field in ["Arguments", "Output", "Assign", "ItemSelector"] {
            if let Some(v) = s.get(field) {
                if let Some(k) = dollar_key(v) {
                    c.err(
                        Some(name),
                        format!("{field}: '{k}' ends with '.$', a JSONPath form: in JSONata write the key plainly and the value as {{% %}}"),
                    );
                }
            }
        }
    } else {
        for field in ["Arguments", "Output"] {
            if s.contains_key(field) {
                c.err(
                    Some(name),
                    format!("{field} is a JSONata field: set the state's QueryLanguage to JSONata, or use the JSONPath fields"),
                );
            }
        }
        for rule in s.get("Choices").and_then(Json::as_array).into_iter().flatten() {
            if rule.get("Condition").is_some() {
                c.err(
                    Some(name),
                    "a Condition rule is JSONata: set the state's QueryLanguage to JSONata",
                );
            }
        }
    }
    if s.contains_key("Arguments") {
        let ty = s.get("Type").and_then(Json::as_str).unwrap_or_default();
        if !matches!(ty, "Task" | "Parallel") {
            c.err(
                Some(name),
                format!("Arguments is not allowed on a {ty} state: only Task and Parallel take Arguments"),
            );
        }
    }
    jsonata
}

/// The first `key.$` key in a value, if any.
fn dollar_key(v: &Json) -> Option<String> {
    match v {
        Json::Object(m) => m.iter().find_map(|(k, x)| {
            if k.ends_with(".$") {
                Some(k.clone())
            } else {
                dollar_key(x)
            }
        }),
        Json::Array(a) => a.iter().find_map(dollar_key),
        _ => None,
    }
}

fn check_path_field(c: &mut Checker, state: &str, field: &str, v: &Json, kind: PathKind, nullable: bool) {
    match v {
        Json::String(p) => {
            if let Err(e) = check_path(p, kind) {
                c.err(Some(state), format!("{field}: {e}"));
            }
        }
        Json::Null if nullable => {}
        other => c.err(Some(state), format!("{field} must be a JSONPath string, not {other}")),
    }
}

/// `key.$` fields anywhere in a payload template must hold paths or intrinsic functions.
fn check_payload_template(c: &mut Checker, state: &str, field: &str, v: &Json) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                if k.ends_with(".$") {
                    if let Err(e) = check_dynamic_value(k, x) {
                        c.err(Some(state), format!("{field}: {e}"));
                    }
                } else {
                    check_payload_template(c, state, field, x);
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| check_payload_template(c, state, field, x)),
        _ => {}
    }
}

fn check_retriers(c: &mut Checker, state: &str, v: &Json) {
    let Some(list) = v.as_array() else {
        c.err(Some(state), "Retry must be a list of retriers");
        return;
    };
    check_error_lists(c, state, "Retry", list);
    for r in list {
        if let Some(x) = r.get("IntervalSeconds") {
            if !is_positive_int(x) {
                c.err(
                    Some(state),
                    format!("Retry IntervalSeconds must be a positive integer, not {x}"),
                );
            }
        }
        if let Some(x) = r.get("MaxAttempts") {
            if !is_non_negative_int(x) {
                c.err(
                    Some(state),
                    format!("Retry MaxAttempts must be a non-negative integer, not {x}"),
                );
            }
        }
        if let Some(x) = r.get("BackoffRate") {
            if !x.as_f64().is_some_and(|b| b >= 1.0) {
                c.err(
                    Some(state),
                    format!("Retry BackoffRate must be a number of at least 1.0, not {x}"),
                );
            }
        }
        if let Some(x) = r.get("MaxDelaySeconds") {
            if !is_positive_int(x) {
                c.err(
                    Some(state),
                    format!("Retry MaxDelaySeconds must be a positive integer, not {x}"),
                );
            }
        }
        if let Some(x) = r.get("JitterStrategy") {
            if !matches!(x.as_str(), Some("FULL" | "NONE")) {
                c.err(
                    Some(state),
                    format!("Retry JitterStrategy must be FULL or NONE, not {x}"),
                );
            }
        }
    }
}

/// `ErrorEquals` of retriers or catchers: non-empty; `States.ALL` alone and last.
fn check_error_lists(c: &mut Checker, state: &str, field: &str, list: &[Json]) {
    for (i, entry) in list.iter().enumerate() {
        let errors: Vec<&str> = match entry.get("ErrorEquals").and_then(Json::as_array) {
            Some(e) if !e.is_empty() => e.iter().filter_map(Json::as_str).collect(),
            _ => {
                c.err(
                    Some(state),
                    format!("{field} #{}: ErrorEquals must list at least one error name", i + 1),
                );
                continue;
            }
        };
        if errors.contains(&"States.ALL") && (errors.len() > 1 || i + 1 != list.len()) {
            c.err(
                Some(state),
                format!(
                    "{field} #{}: States.ALL must be alone in ErrorEquals and in the last entry",
                    i + 1
                ),
            );
        }
    }
}

const COMPARISONS: &[(&str, char)] = &[
    ("StringEquals", 's'),
    ("StringLessThan", 's'),
    ("StringGreaterThan", 's'),
    ("StringLessThanEquals", 's'),
    ("StringGreaterThanEquals", 's'),
    ("StringMatches", 's'),
    ("NumericEquals", 'n'),
    ("NumericLessThan", 'n'),
    ("NumericGreaterThan", 'n'),
    ("NumericLessThanEquals", 'n'),
    ("NumericGreaterThanEquals", 'n'),
    ("BooleanEquals", 'b'),
    ("TimestampEquals", 't'),
    ("TimestampLessThan", 't'),
    ("TimestampGreaterThan", 't'),
    ("TimestampLessThanEquals", 't'),
    ("TimestampGreaterThanEquals", 't'),
    ("IsPresent", 'b'),
    ("IsNull", 'b'),
    ("IsString", 'b'),
    ("IsNumeric", 'b'),
    ("IsBoolean", 'b'),
    ("IsTimestamp", 'b'),
];

fn check_rule(c: &mut Checker, state: &str, rule: &Json, top: bool) {
    let Some(r) = rule.as_object() else {
        c.err(Some(state), format!("a Choice rule must be an object, not {rule}"));
        return;
    };
    if !top && r.contains_key("Next") {
        c.err(Some(state), "a rule nested in And/Or/Not cannot have Next");
    }
    if !top && r.contains_key("Assign") {
        c.err(
            Some(state),
            "a rule nested in And/Or/Not cannot have Assign (put it on the top-level rule)",
        );
    }
    for op in ["And", "Or"] {
        if let Some(v) = r.get(op) {
            match v.as_array() {
                Some(list) if !list.is_empty() => list.iter().for_each(|x| check_rule(c, state, x, false)),
                _ => c.err(Some(state), format!("{op} needs a non-empty list of rules")),
            }
            return;
        }
    }
    if let Some(v) = r.get("Not") {
        check_rule(c, state, v, false);
        return;
    }
    match r.get("Variable") {
        Some(Json::String(p)) => {
            if let Err(e) = check_path(p, PathKind::Path) {
                c.err(Some(state), format!("Choice Variable: {e}"));
            }
        }
        _ => c.err(
            Some(state),
            "a Choice rule needs a Variable (the JSONPath of the value to test), or And/Or/Not",
        ),
    }
    let mut ops = 0;
    for (key, value) in r {
        if matches!(key.as_str(), "Variable" | "Next" | "Comment" | "Assign") {
            continue;
        }
        let (base, is_path) = match key.strip_suffix("Path") {
            Some(b) if COMPARISONS.iter().any(|(n, _)| *n == b) && b != "StringMatches" && !b.starts_with("Is") => {
                (b, true)
            }
            _ => (key.as_str(), false),
        };
        let Some((_, kind)) = COMPARISONS.iter().find(|(n, _)| *n == base) else {
            c.err(Some(state), format!("'{key}' is not a Choice comparison operator"));
            continue;
        };
        ops += 1;
        if is_path {
            match value.as_str() {
                Some(p) => {
                    if let Err(e) = check_path(p, PathKind::Path) {
                        c.err(Some(state), format!("{key}: {e}"));
                    }
                }
                None => c.err(Some(state), format!("{key} must be a JSONPath string, not {value}")),
            }
            continue;
        }
        let ok = match kind {
            's' => value.is_string(),
            'n' => value.is_number(),
            'b' => value.is_boolean(),
            _ => value.as_str().is_some_and(is_timestamp),
        };
        if !ok {
            let want = match kind {
                's' => "a string",
                'n' => "a number",
                'b' => "a boolean",
                _ => "an RFC 3339 timestamp string",
            };
            c.err(Some(state), format!("{key} compares with {want}, not {value}"));
        }
    }
    if ops != 1 {
        c.err(
            Some(state),
            format!("a Choice rule needs exactly one comparison operator (e.g. StringEquals), it has {ops}"),
        );
    }
}

/// A loose RFC 3339 check: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or an offset.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    rest == "Z"
        || rest == "z"
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && rest[1..3].bytes().all(|x| x.is_ascii_digit())
            && rest[4..6].bytes().all(|x| x.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(def: Json) -> Vec<String> {
        validate_definition(&def).into_iter().map(|e| e.to_string()).collect()
    }

    fn has(errors: &[String], needle: &str) -> bool {
        errors.iter().any(|e| e.contains(needle))
    }

    #[test]
    fn a_valid_polling_loop_passes() {
        let e = errors(json!({
            "StartAt": "Start",
            "States": {
                "Start": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultPath": "$.Output", "Next": "Wait" },
                "Wait": { "Type": "Wait", "Seconds": 10, "Next": "Check" },
                "Check": { "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.Output.Payload", "Next": "IsDone" },
                "IsDone": { "Type": "Choice", "Choices": [
                    { "Variable": "$.Output.Payload.Status", "StringEquals": "Success", "Next": "Done" },
                    { "Or": [
                        { "Variable": "$.Output.Payload.Status", "StringEquals": "Pending" },
                        { "Variable": "$.Output.Payload.Status", "StringEquals": "InProgress" }
                    ], "Next": "Wait" }
                ], "Default": "Failed" },
                "Done": { "Type": "Succeed" },
                "Failed": { "Type": "Fail", "Error": "X" }
            }
        }));
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn next_to_an_unknown_state() {
        let e = errors(json!({ "StartAt": "A", "States": { "A": { "Type": "Pass", "Next": "Nope" } } }));
        assert!(
            has(&e, "state 'A': Next 'Nope' is not a state of the state machine"),
            "{e:?}"
        );
    }

    #[test]
    fn default_and_catch_to_unknown_states() {
        let e = errors(json!({ "StartAt": "A", "States": {
            "A": { "Type": "Task", "Resource": "r", "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Gone" }], "Next": "C" },
            "C": { "Type": "Choice", "Choices": [{ "Variable": "$.x", "IsPresent": true, "Next": "Gone2" }], "Default": "Gone3" }
        }}));
        assert!(has(&e, "Catch Next 'Gone'"), "{e:?}");
        assert!(has(&e, "Choices Next 'Gone2'"), "{e:?}");
        assert!(has(&e, "Default 'Gone3'"), "{e:?}");
    }

    #[test]
    fn start_at_must_exist() {
        let e = errors(json!({ "StartAt": "X", "States": { "A": { "Type": "Succeed" } } }));
        assert!(has(&e, "StartAt 'X'"), "{e:?}");
    }

    #[test]
    fn duplicate_names_across_map_scopes() {
        let e = errors(json!({ "StartAt": "M", "States": {
            "M": { "Type": "Map", "ItemProcessor": { "StartAt": "Done", "States": { "Done": { "Type": "Succeed" } } }, "Next": "Done" },
            "Done": { "Type": "Succeed" }
        }}));
        assert!(
            has(
                &e,
                "state 'Done': the name is used more than once (in the state machine, Map 'M' item processor)"
            ),
            "{e:?}"
        );
    }

    #[test]
    fn duplicate_names_across_parallel_branches() {
        let branch = json!({ "StartAt": "X", "States": { "X": { "Type": "Succeed" } } });
        let e = errors(json!({ "StartAt": "P", "States": {
            "P": { "Type": "Parallel", "Branches": [branch.clone(), branch], "End": true }
        }}));
        assert!(has(&e, "state 'X': the name is used more than once"), "{e:?}");
    }

    #[test]
    fn unreachable_states() {
        let e = errors(json!({ "StartAt": "A", "States": {
            "A": { "Type": "Succeed" },
            "Orphan": { "Type": "Pass", "End": true }
        }}));
        assert!(has(&e, "state 'Orphan': unreachable"), "{e:?}");
    }

    #[test]
    fn neither_next_nor_end() {
        let e = errors(json!({ "StartAt": "A", "States": { "A": { "Type": "Pass" } } }));
        assert!(has(&e, "state 'A': has neither Next nor End"), "{e:?}");
        let e = errors(
            json!({ "StartAt": "A", "States": { "A": { "Type": "Pass", "Next": "B", "End": true }, "B": { "Type": "Succeed" } } }),
        );
        assert!(has(&e, "has both Next and End"), "{e:?}");
    }

    #[test]
    fn terminal_states_cannot_go_on() {
        let e = errors(json!({ "StartAt": "A", "States": {
            "A": { "Type": "Succeed", "Next": "B" }, "B": { "Type": "Succeed" }
        }}));
        assert!(has(&e, "a Succeed state cannot have Next or End"), "{e:?}");
    }

    #[test]
    fn choice_without_a_way_out() {
        let e = errors(json!({ "StartAt": "C", "States": { "C": { "Type": "Choice", "Choices": [] } } }));
        assert!(
            has(&e, "state 'C': a Choice state without rules or Default has no way out"),
            "{e:?}"
        );
        // A polling loop whose Choice never leaves it.
        let e = errors(json!({ "StartAt": "W", "States": {
            "W": { "Type": "Wait", "Seconds": 1, "Next": "C" },
            "C": { "Type": "Choice", "Choices": [{ "Variable": "$.x", "IsPresent": true, "Next": "W" }], "Default": "W" }
        }}));
        assert!(
            has(&e, "no way out of the state machine from state(s) 'W', 'C'"),
            "{e:?}"
        );
        assert!(
            has(&e, "give Choice 'C' a rule or Default that leaves the loop"),
            "{e:?}"
        );
    }

    #[test]
    fn malformed_jsonpath_in_every_path_field() {
        let e = errors(json!({ "StartAt": "T", "States": {
            "T": { "Type": "Task", "Resource": "r", "InputPath": "Input", "OutputPath": "$.a[", "ResultPath": "$.a[*]",
                   "Parameters": { "x.$": "no-dollar", "nested": { "y.$": "$..", "ok": "literal" } },
                   "ResultSelector": { "z.$": "$.ok" },
                   "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$$.x", "Next": "W" }],
                   "Next": "W" },
            "W": { "Type": "Wait", "SecondsPath": "seconds", "Next": "M" },
            "M": { "Type": "Map", "ItemsPath": "$.items]", "ItemSelector": { "v.$": "$$.Map.Item.Value" },
                   "ItemProcessor": { "StartAt": "I", "States": { "I": { "Type": "Pass", "End": true } } }, "Next": "C" },
            "C": { "Type": "Choice", "Choices": [{ "Variable": "Status", "StringEqualsPath": "$.b.", "Next": "F" }], "Default": "F" },
            "F": { "Type": "Fail", "ErrorPath": "err" }
        }}));
        for needle in [
            "state 'T': InputPath: 'Input' must start with '$'",
            "state 'T': OutputPath: '$.a[' has an unclosed '['",
            "state 'T': ResultPath: '$.a[*]' is a reference path",
            "state 'T': Parameters: 'x.$' ends with '.$'",
            "state 'T': Parameters: 'y.$': '$..' ends with '.'",
            "state 'T': Catch ResultPath: '$$.x' is a reference path",
            "state 'W': SecondsPath: 'seconds' must start with '$'",
            "state 'M': ItemsPath: '$.items]' has an unmatched ']'",
            "state 'C': Choice Variable: 'Status' must start with '$'",
            "state 'C': StringEqualsPath: '$.b.' ends with '.'",
            "state 'F': ErrorPath: 'err' must start with '$'",
        ] {
            assert!(has(&e, needle), "missing {needle:?} in {e:#?}");
        }
        assert!(!has(&e, "z.$"), "{e:?}");
        assert!(!has(&e, "v.$"), "{e:?}");
    }

    #[test]
    fn retry_and_catch_only_on_task_map_parallel() {
        let e = errors(json!({ "StartAt": "P", "States": {
            "P": { "Type": "Pass", "Retry": [{ "ErrorEquals": ["States.ALL"] }], "Next": "W" },
            "W": { "Type": "Wait", "Seconds": 1, "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "S" }], "Next": "S" },
            "S": { "Type": "Succeed" }
        }}));
        assert!(has(&e, "state 'P': Retry is not allowed on a Pass state"), "{e:?}");
        assert!(has(&e, "state 'W': Catch is not allowed on a Wait state"), "{e:?}");
    }

    #[test]
    fn retriers_and_catchers_are_checked() {
        let e = errors(json!({ "StartAt": "T", "States": {
            "T": { "Type": "Task", "Resource": "r",
                   "Retry": [{ "ErrorEquals": ["States.ALL"] }, { "ErrorEquals": [], "BackoffRate": 0.5, "IntervalSeconds": 0 }],
                   "Catch": [{ "ErrorEquals": ["States.ALL", "X"], "Next": "S" }],
                   "End": true },
            "S": { "Type": "Succeed" }
        }}));
        assert!(has(&e, "Retry #1: States.ALL must be alone"), "{e:?}");
        assert!(has(&e, "Retry #2: ErrorEquals must list at least one"), "{e:?}");
        assert!(has(&e, "BackoffRate must be a number of at least 1.0"), "{e:?}");
        assert!(has(&e, "IntervalSeconds must be a positive integer"), "{e:?}");
        assert!(has(&e, "Catch #1: States.ALL must be alone"), "{e:?}");
    }

    #[test]
    fn wait_needs_exactly_one_time() {
        let e = errors(
            json!({ "StartAt": "W", "States": { "W": { "Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": true } } }),
        );
        assert!(has(&e, "exactly one of Seconds"), "{e:?}");
        let e = errors(
            json!({ "StartAt": "W", "States": { "W": { "Type": "Wait", "Timestamp": "tomorrow", "End": true } } }),
        );
        assert!(has(&e, "RFC 3339"), "{e:?}");
    }

    #[test]
    fn choice_rules_are_checked() {
        let e = errors(json!({ "StartAt": "C", "States": {
            "C": { "Type": "Choice", "Choices": [
                { "Variable": "$.a", "NumericEquals": "80", "Next": "S" },
                { "Variable": "$.a", "Next": "S" },
                { "And": [], "Next": "S" },
                { "Not": { "Variable": "$.a", "IsPresent": true, "Next": "S" }, "Next": "S" },
                { "Variable": "$.a", "StringEquals": "x", "BooleanEquals": true, "Next": "S" },
                { "Variable": "$.a", "Bogus": 1, "Next": "S" }
            ], "Default": "S" },
            "S": { "Type": "Succeed" }
        }}));
        for needle in [
            "NumericEquals compares with a number",
            "needs exactly one comparison operator (e.g. StringEquals), it has 0",
            "And needs a non-empty list",
            "a rule nested in And/Or/Not cannot have Next",
            "it has 2",
            "'Bogus' is not a Choice comparison operator",
        ] {
            assert!(has(&e, needle), "missing {needle:?} in {e:#?}");
        }
    }

    #[test]
    fn unknown_type_and_structure() {
        let e = errors(json!({ "StartAt": "A", "States": {
            "A": { "Type": "Sleep", "End": true }
        }}));
        assert!(has(&e, "Type 'Sleep' is not a state type"), "{e:?}");
        let e = errors(
            json!({ "StartAt": "M", "States": { "M": { "Type": "Map", "End": true }, "P": { "Type": "Parallel", "Branches": [], "End": true } } }),
        );
        assert!(has(&e, "needs an ItemProcessor"), "{e:?}");
        assert!(has(&e, "at least one branch"), "{e:?}");
        let e = errors(
            json!({ "StartAt": "T", "States": { "T": { "Type": "Task", "End": true, "TimeoutSeconds": 5, "HeartbeatSeconds": 10 } } }),
        );
        assert!(has(&e, "needs a Resource"), "{e:?}");
        assert!(has(&e, "HeartbeatSeconds must be smaller"), "{e:?}");
    }

    #[test]
    fn distributed_map_fields_are_checked() {
        let processor = |mode: &str| {
            json!({ "ProcessorConfig": { "Mode": mode },
            "StartAt": "I", "States": { "I": { "Type": "Pass", "End": true } } })
        };
        let e = errors(json!({ "StartAt": "D", "States": {
            "D": { "Type": "Map", "ItemProcessor": processor("DISTRIBUTED"), "ItemsPath": "$.x",
                   "ItemReader": { "Parameters": {} }, "ToleratedFailurePercentage": 150, "Next": "I" },
            "I": { "Type": "Map", "ItemProcessor": processor("INLINE"), "Label": "x", "End": true } } }));
        assert!(has(&e, "ExecutionType STANDARD or EXPRESS"), "{e:?}");
        assert!(has(&e, "ItemReader needs a Resource"), "{e:?}");
        assert!(has(&e, "ItemReader or from ItemsPath, not both"), "{e:?}");
        assert!(
            has(&e, "ToleratedFailurePercentage must be a number from 0 to 100"),
            "{e:?}"
        );
        assert!(
            has(&e, "state 'I': Label is only allowed on a distributed Map"),
            "{e:?}"
        );
    }

    #[test]
    fn timestamps() {
        assert!(is_timestamp("2026-01-01T00:00:00Z"));
        assert!(is_timestamp("2026-01-01T00:00:00.123+09:00"));
        assert!(!is_timestamp("2026-01-01 00:00:00Z"));
        assert!(!is_timestamp("2026-01-01T00:00:00"));
    }
}
