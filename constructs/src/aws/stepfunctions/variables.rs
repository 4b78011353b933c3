//! Checks of workflow variables (`Assign`, `$name`) in JSONPath states.
//!
//! A variable is visible in the graph that assigns it and in the inline Map
//! and Parallel graphs nested in it; a distributed Map's child workflow sees
//! none of its parent's. A state may read a variable only when some state
//! that runs before it (on some path from `StartAt`) assigns it: values set by
//! a state's `Assign` take effect when the state ends, so a state's own
//! `Assign` reads the values from before it.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value as Json};

use super::jsonpath::{check_dynamic_value, valid_variable_name, variable_name};
use super::validate::AslError;

/// The states that may carry `Assign`.
const ASSIGNING: &[&str] = &["Task", "Pass", "Wait", "Choice", "Map", "Parallel"];

/// Fields whose value is a path (and so may read a variable).
const PATH_FIELDS: &[&str] = &[
    "InputPath",
    "OutputPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "Variable",
];

/// Every problem of the definition's variables, each naming its state.
pub(super) fn check(definition: &Json) -> Vec<AslError> {
    let mut out = Vec::new();
    if let Some(top) = definition.as_object() {
        let mut everywhere = BTreeSet::new();
        all_assigned(definition, &mut everywhere);
        scope(top, &BTreeSet::new(), &BTreeSet::new(), &everywhere, &mut out);
    }
    out
}

/// Every variable any state of the definition assigns.
fn all_assigned(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(m) => {
            if let Some(Json::Object(a)) = m.get("Assign") {
                out.extend(a.keys().map(|k| k.trim_end_matches(".$").to_owned()));
            }
            m.values().for_each(|x| all_assigned(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| all_assigned(x, out)),
        _ => {}
    }
}

fn err(out: &mut Vec<AslError>, state: &str, message: String) {
    out.push(AslError {
        state: Some(state.to_owned()),
        message,
    });
}

/// The variables a state may assign: its own `Assign`, its Choice rules' and its catchers'.
fn assigns(state: &Json) -> Vec<String> {
    let mut names = Vec::new();
    let mut take = |a: Option<&Json>| {
        if let Some(Json::Object(m)) = a {
            names.extend(m.keys().map(|k| k.trim_end_matches(".$").to_owned()));
        }
    };
    take(state.get("Assign"));
    for key in ["Choices", "Catch"] {
        for item in state.get(key).and_then(Json::as_array).into_iter().flatten() {
            take(item.get("Assign"));
        }
    }
    names
}

/// The variables read by a path or an intrinsic function.
fn reads_in_expression(text: &str, out: &mut Vec<String>) {
    if text.starts_with('$') {
        out.extend(variable_name(text).map(str::to_owned));
        return;
    }
    // An intrinsic function: paths are the arguments outside quoted literals.
    let chars: Vec<char> = text.chars().collect();
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if quoted => i += 1,
            '\'' => quoted = !quoted,
            '$' if !quoted => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ',' | ')' | ' ') {
                    i += 1;
                }
                let token: String = chars[start..i].iter().collect();
                out.extend(variable_name(&token).map(str::to_owned));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// The variables a JSONata expression (`{% ... %}`) reads: `$name` that is
/// not `$states`, not a function call (`$count(`) and not bound in the
/// expression itself (`$x := ...`, `function($x)`).
fn reads_in_jsonata(text: &str, out: &mut Vec<String>) {
    let t = text.trim();
    let Some(body) = t.strip_prefix("{%").and_then(|b| b.strip_suffix("%}")) else {
        return;
    };
    let chars: Vec<char> = body.chars().collect();
    let mut names: Vec<(String, usize)> = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '$' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                if end > start {
                    names.push((chars[start..end].iter().collect(), end));
                }
                i = end;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    let after = |end: usize| chars[end..].iter().collect::<String>().trim_start().to_owned();
    let bound: Vec<&str> = names
        .iter()
        .filter(|(_, end)| after(*end).starts_with(":="))
        .map(|(n, _)| n.as_str())
        .chain(body.split("function").skip(1).flat_map(|rest| {
            let params = rest
                .trim_start()
                .strip_prefix('(')
                .and_then(|p| p.split(')').next())
                .unwrap_or("");
            params
                .split(',')
                .map(|p| p.trim().trim_start_matches('$'))
                .collect::<Vec<_>>()
        }))
        .collect();
    for (name, end) in &names {
        if name == "states" || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        if after(*end).starts_with('(') || bound.contains(&name.as_str()) {
            continue;
        }
        out.push(name.clone());
    }
}

/// The variables read by every JSONata expression in a value.
fn reads_in_jsonata_value(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => reads_in_jsonata(s, out),
        Json::Object(m) => m.values().for_each(|x| reads_in_jsonata_value(x, out)),
        Json::Array(a) => a.iter().for_each(|x| reads_in_jsonata_value(x, out)),
        _ => {}
    }
}

/// The variables a payload template (`Parameters`, `Assign` ...) reads in its `key.$` fields.
fn reads_in_template(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                match (k.ends_with(".$"), x.as_str()) {
                    (true, Some(text)) => reads_in_expression(text, out),
                    _ => reads_in_template(x, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| reads_in_template(x, out)),
        _ => {}
    }
}

/// The variables a Choice rule reads (its nested rules' too, and `...Path` operands).
fn reads_in_rule(rule: &Json, out: &mut Vec<String>) {
    let Some(r) = rule.as_object() else { return };
    for (k, v) in r {
        match (k.as_str(), v) {
            ("And" | "Or", Json::Array(inner)) => inner.iter().for_each(|x| reads_in_rule(x, out)),
            ("Not", inner) => reads_in_rule(inner, out),
            ("Assign", a) => reads_in_template(a, out),
            (key, Json::String(p)) if key == "Variable" || (key.ends_with("Path") && key != "ResultPath") => {
                reads_in_expression(p, out)
            }
            _ => {}
        }
    }
}

/// The variables a state reads (not those of the graphs nested in it).
fn reads(state: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for field in PATH_FIELDS {
        if let Some(p) = state.get(*field).and_then(Json::as_str) {
            reads_in_expression(p, &mut out);
        }
    }
    for field in [
        "Parameters",
        "ResultSelector",
        "ItemSelector",
        "Assign",
        "ItemBatcher",
        "ItemReader",
        "ResultWriter",
    ] {
        if let Some(v) = state.get(field) {
            reads_in_template(v, &mut out);
        }
    }
    for rule in state.get("Choices").and_then(Json::as_array).into_iter().flatten() {
        reads_in_rule(rule, &mut out);
    }
    for catcher in state.get("Catch").and_then(Json::as_array).into_iter().flatten() {
        if let Some(a) = catcher.get("Assign") {
            reads_in_template(a, &mut out);
            reads_in_jsonata_value(a, &mut out);
        }
    }
    // JSONata expressions, wherever they stand (not in nested graphs).
    for (k, v) in state.as_object().into_iter().flatten() {
        if !matches!(k.as_str(), "ItemProcessor" | "Iterator" | "Branches" | "Catch") {
            reads_in_jsonata_value(v, &mut out);
        }
    }
    out
}

/// Where a state can go next.
fn targets(state: &Json) -> Vec<&str> {
    let mut t: Vec<&str> = Vec::new();
    t.extend(state.get("Next").and_then(Json::as_str));
    t.extend(state.get("Default").and_then(Json::as_str));
    for key in ["Choices", "Catch"] {
        for item in state.get(key).and_then(Json::as_array).into_iter().flatten() {
            t.extend(item.get("Next").and_then(Json::as_str));
        }
    }
    t
}

/// Checks the `Assign` fields of one state.
fn check_assign(name: &str, state: &Json, out: &mut Vec<AslError>) {
    let ty = state.get("Type").and_then(Json::as_str).unwrap_or_default();
    let mut fields: Vec<(&str, &Json)> = Vec::new();
    if let Some(a) = state.get("Assign") {
        if !ASSIGNING.contains(&ty) {
            err(
                out,
                name,
                format!(
                    "Assign is not allowed on a {ty} state: only {} states set variables",
                    ASSIGNING.join(", ")
                ),
            );
        }
        fields.push(("Assign", a));
    }
    for (key, label) in [("Choices", "a Choice rule's Assign"), ("Catch", "a catcher's Assign")] {
        for item in state.get(key).and_then(Json::as_array).into_iter().flatten() {
            if let Some(a) = item.get("Assign") {
                fields.push((label, a));
            }
        }
    }
    for (label, a) in fields {
        let Some(m) = a.as_object() else {
            err(
                out,
                name,
                format!("{label} must be an object of variable names and values, not {a}"),
            );
            continue;
        };
        for (k, v) in m {
            let var = k.trim_end_matches(".$");
            if !valid_variable_name(var) {
                err(
                    out,
                    name,
                    format!("{label}: '{var}' is not a variable name: a letter or '_', then letters, digits or '_', at most 80 characters ('states' is reserved)"),
                );
            }
            if k.ends_with(".$") {
                if let Err(e) = check_dynamic_value(k, v) {
                    err(out, name, format!("{label}: {e}"));
                }
            }
        }
    }
}

/// Checks one graph whose states start with `visible` assigned (`hidden`:
/// the parent's variables, which a distributed Map's child cannot read).
fn scope(
    graph: &Map<String, Json>,
    visible: &BTreeSet<String>,
    hidden: &BTreeSet<String>,
    everywhere: &BTreeSet<String>,
    out: &mut Vec<AslError>,
) {
    let Some(states) = graph.get("States").and_then(Json::as_object) else {
        return;
    };
    let Some(start) = graph.get("StartAt").and_then(Json::as_str) else {
        return;
    };
    // What may be assigned when each state is entered: the union over every way in.
    let mut entry: HashMap<&str, BTreeSet<String>> = HashMap::new();
    entry.insert(start, visible.clone());
    let mut todo = vec![start];
    while let Some(name) = todo.pop() {
        let Some(state) = states.get(name) else { continue };
        let mut after = entry.get(name).cloned().unwrap_or_default();
        after.extend(assigns(state));
        for next in targets(state) {
            if !states.contains_key(next) {
                continue;
            }
            let new = !entry.contains_key(next);
            let known = entry.entry(next).or_default();
            let before = known.len();
            known.extend(after.iter().cloned());
            if (new || known.len() > before) && !todo.contains(&next) {
                todo.push(next);
            }
        }
    }
    let mut names: Vec<&String> = states.keys().collect();
    names.sort();
    for name in names {
        let state = &states[name.as_str()];
        check_assign(name, state, out);
        let Some(known) = entry.get(name.as_str()) else {
            continue; // unreachable: the validator reports it
        };
        let mut reported = BTreeSet::new();
        for var in reads(state) {
            if known.contains(&var) || !reported.insert(var.clone()) {
                continue;
            }
            let message = if hidden.contains(&var) {
                format!("reads the variable '${var}' of the parent workflow: a distributed Map's child workflow cannot read its parent's variables; pass the value in ItemSelector")
            } else if everywhere.contains(&var) {
                format!("reads the variable '${var}' before any state assigns it: assign it (Assign) in a state that runs before this one in the same graph or an enclosing one")
            } else {
                format!(
                    "reads the variable '${var}', which no state assigns: assign it with Assign first, or fix the name"
                )
            };
            err(out, name, message);
        }
        let distributed = state
            .pointer("/ItemProcessor/ProcessorConfig/Mode")
            .and_then(Json::as_str)
            == Some("DISTRIBUTED");
        let nested = ["ItemProcessor", "Iterator"]
            .iter()
            .filter_map(|k| state.get(*k))
            .chain(state.get("Branches").and_then(Json::as_array).into_iter().flatten());
        for inner in nested {
            if let Some(inner) = inner.as_object() {
                if distributed {
                    let all: BTreeSet<String> = known.union(hidden).cloned().collect();
                    scope(inner, &BTreeSet::new(), &all, everywhere, out);
                } else {
                    scope(inner, known, hidden, everywhere, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(def: Json) -> Vec<String> {
        check(&def).into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn a_variable_assigned_before_is_read_anywhere_after() {
        let def = json!({ "StartAt": "Set", "States": {
            "Set": { "Type": "Pass", "Assign": { "cluster.$": "$.Id", "tries": 0 }, "Next": "Loop" },
            "Loop": { "Type": "Map", "ItemsPath": "$.items", "ItemProcessor": { "StartAt": "Use", "States": {
                "Use": { "Type": "Pass", "Parameters": { "c.$": "States.Format('{} {}', $cluster, $.x)" }, "End": true } } },
                "Next": "Check" },
            "Check": { "Type": "Choice", "Choices": [ { "Variable": "$tries", "NumericGreaterThan": 3, "Next": "Done" } ],
                       "Default": "Done" },
            "Done": { "Type": "Succeed" } } });
        assert!(messages(def).is_empty());
    }

    #[test]
    fn reading_before_assigning_is_an_error_naming_the_state() {
        let def = json!({ "StartAt": "Use", "States": {
            "Use": { "Type": "Pass", "Parameters": { "c.$": "$cluster.Id" }, "Next": "Set" },
            "Set": { "Type": "Pass", "Assign": { "cluster.$": "$" }, "Next": "Typo" },
            "Typo": { "Type": "Wait", "SecondsPath": "$clustr", "End": true } } });
        let m = messages(def);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("state 'Typo': reads the variable '$clustr', which no state assigns"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("state 'Use': reads the variable '$cluster' before any state assigns it"),
            "{m:?}"
        );
    }

    #[test]
    fn a_state_reads_the_values_from_before_its_own_assign() {
        let def = json!({ "StartAt": "Set", "States": {
            "Set": { "Type": "Pass", "Assign": { "a": 1, "b.$": "$a" }, "End": true } } });
        assert_eq!(messages(def).len(), 1);
    }

    #[test]
    fn a_distributed_map_cannot_read_its_parents_variables() {
        let def = json!({ "StartAt": "Set", "States": {
            "Set": { "Type": "Pass", "Assign": { "bucket": "b" }, "Next": "Each" },
            "Each": { "Type": "Map", "ItemProcessor": {
                "ProcessorConfig": { "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" },
                "StartAt": "Use", "States": { "Use": { "Type": "Pass", "Parameters": { "b.$": "$bucket" }, "End": true } } },
              "End": true } } });
        let m = messages(def);
        assert!(m[0].contains("a distributed Map's child workflow cannot read"), "{m:?}");
    }

    #[test]
    fn jsonata_expressions_read_variables_too() {
        let def = json!({ "QueryLanguage": "JSONata", "StartAt": "Set", "States": {
            "Set": { "Type": "Pass", "Assign": { "items": "{% $states.input.items %}" }, "Next": "C" },
            "C": { "Type": "Choice", "Choices": [
                { "Condition": "{% $count($items) > $limit and ($x := 1; $x = 1) %}", "Next": "D" } ],
              "Default": "D" },
            "D": { "Type": "Pass", "Output": { "f": "{% $map($items, function($v) { $v * 2 }) %}", "s": "'$nope'" }, "End": true } } });
        let m = messages(def);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("state 'C': reads the variable '$limit', which no state assigns"),
            "{m:?}"
        );
    }

    #[test]
    fn assign_is_checked_where_it_stands() {
        let def = json!({ "StartAt": "C", "States": {
            "C": { "Type": "Choice", "Choices": [
                { "Variable": "$.x", "IsPresent": true, "Assign": { "ok": true, "1bad": 2 }, "Next": "F" } ],
              "Default": "F" },
            "F": { "Type": "Fail", "Assign": { "states": 1, "x.$": "Output" } } } });
        let m = messages(def);
        assert!(
            m.iter()
                .any(|e| e.contains("state 'C': a Choice rule's Assign: '1bad' is not a variable name")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|e| e.contains("Assign is not allowed on a Fail state")),
            "{m:?}"
        );
        assert!(m.iter().any(|e| e.contains("'states' is reserved")), "{m:?}");
        assert!(m.iter().any(|e| e.contains("'x.$' ends with '.$'")), "{m:?}");
    }
}
