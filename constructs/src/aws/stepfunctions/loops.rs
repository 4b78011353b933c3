//! Warnings about loops that may never end.
//!
//! A loop (a cycle of transitions in the machine, a Map's processor or a
//! Parallel branch) is bounded when a Choice in it leaves it on a numeric
//! comparison of a field or variable that a state of the loop increments
//! with `States.MathAdd` (what [`PollUntil`](super::PollUntil) builds), or on
//! a JSONata condition comparing a variable the loop assigns `$n + 1`, or when the
//! state machine has a `TimeoutSeconds`. Any other loop can run until the
//! execution history is full, days later, and nobody is told. These are
//! warnings, not errors: [`validate_definition`](super::validate_definition)
//! does not report them, and synthesis does not fail on them.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value as Json};

use super::validate::AslError;

/// The loops of a definition that have no bound, one warning per loop,
/// naming its states.
///
/// ```
/// use constructs::aws::stepfunctions::loop_warnings;
/// let def = serde_json::json!({ "StartAt": "Wait", "States": {
///     "Wait": { "Type": "Wait", "Seconds": 10, "Next": "Done?" },
///     "Done?": { "Type": "Choice", "Choices": [
///         { "Variable": "$.done", "BooleanEquals": true, "Next": "End" } ], "Default": "Wait" },
///     "End": { "Type": "Succeed" } } });
/// assert_eq!(loop_warnings(&def).len(), 1);
/// ```
pub fn loop_warnings(definition: &Json) -> Vec<AslError> {
    if definition.get("TimeoutSeconds").is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(top) = definition.as_object() {
        scope(top, &mut out);
    }
    out
}

fn scope(scope: &Map<String, Json>, out: &mut Vec<AslError>) {
    let Some(states) = scope.get("States").and_then(Json::as_object) else {
        return;
    };
    for state in states.values() {
        if let Some(processor) = state.get("ItemProcessor").or_else(|| state.get("Iterator")) {
            if let Some(p) = processor.as_object() {
                self::scope(p, out);
            }
        }
        for branch in state.get("Branches").and_then(Json::as_array).into_iter().flatten() {
            if let Some(b) = branch.as_object() {
                self::scope(b, out);
            }
        }
    }
    let edges: HashMap<&str, Vec<&str>> = states.iter().map(|(n, s)| (n.as_str(), targets(s))).collect();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = edges.get(from).cloned().unwrap_or_default();
        while let Some(n) = todo.pop() {
            if seen.insert(n) {
                todo.extend(edges.get(n).into_iter().flatten().copied());
            }
        }
        seen
    };
    let reachable: HashMap<&str, BTreeSet<&str>> = edges.keys().map(|&n| (n, reach(n))).collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut names: Vec<&str> = edges.keys().copied().collect();
    names.sort_unstable();
    for name in names {
        if done.contains(name) || !reachable[name].contains(name) {
            continue;
        }
        // The loop through `name`: every state it reaches that reaches it back.
        let cycle: BTreeSet<&str> = reachable[name]
            .iter()
            .copied()
            .filter(|m| reachable.get(m).is_some_and(|r| r.contains(name)))
            .collect();
        done.extend(cycle.iter().copied());
        if !bounded(states, &cycle) {
            let listed: Vec<&str> = cycle.iter().copied().collect();
            out.push(AslError {
                state: Some(name.to_owned()),
                message: format!(
                    "the loop through {} has no bound: no Choice leaves it on a counter the loop increments, and the state machine has no TimeoutSeconds, so it can run until the execution history is full; build it with PollUntil or set a timeout",
                    listed.join(", ")
                ),
            });
        }
    }
}

/// Where a state can go next.
fn targets(state: &Json) -> Vec<&str> {
    let mut t: Vec<&str> = Vec::new();
    t.extend(state.get("Next").and_then(Json::as_str));
    t.extend(state.get("Default").and_then(Json::as_str));
    for rule in state.get("Choices").and_then(Json::as_array).into_iter().flatten() {
        t.extend(rule.get("Next").and_then(Json::as_str));
    }
    for catcher in state.get("Catch").and_then(Json::as_array).into_iter().flatten() {
        t.extend(catcher.get("Next").and_then(Json::as_str));
    }
    t
}

/// The numeric fields a rule compares (its own and its nested rules').
fn numeric_variables<'a>(rule: &'a Json, out: &mut Vec<&'a str>) {
    if let Some(r) = rule.as_object() {
        if r.keys().any(|k| k.starts_with("Numeric")) {
            out.extend(r.get("Variable").and_then(Json::as_str));
        }
        for key in ["And", "Or"] {
            for inner in r.get(key).and_then(Json::as_array).into_iter().flatten() {
                numeric_variables(inner, out);
            }
        }
        if let Some(inner) = r.get("Not") {
            numeric_variables(inner, out);
        }
    }
}

fn bounded(states: &Map<String, Json>, cycle: &BTreeSet<&str>) -> bool {
    let texts: Vec<String> = cycle
        .iter()
        .filter_map(|n| states.get(*n))
        .map(|s| s.to_string().replace(' ', ""))
        .collect();
    let increments = |variable: &str| {
        let needle = format!("States.MathAdd({variable},");
        texts.iter().any(|t| t.contains(&needle))
    };
    // A JSONata counter: a variable the loop assigns `$n + 1` (or `1 + $n`).
    let increments_variable = |name: &str| {
        let plus = [format!("${name}+"), format!("+${name}")];
        texts.iter().any(|t| plus.iter().any(|p| t.contains(p.as_str())))
    };
    cycle.iter().filter_map(|n| states.get(*n)).any(|s| {
        s.get("Choices")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .any(|rule| {
                let leaves = rule
                    .get("Next")
                    .and_then(Json::as_str)
                    .is_some_and(|next| !cycle.contains(next));
                let mut vars = Vec::new();
                numeric_variables(rule, &mut vars);
                let jsonata = rule
                    .get("Condition")
                    .and_then(Json::as_str)
                    .is_some_and(|c| compared_variables(c).iter().any(|v| increments_variable(v)));
                leaves && (jsonata || vars.into_iter().any(increments))
            })
    })
}

/// The variables a JSONata condition compares with `<`, `>`, `<=`, `>=` or `=`.
fn compared_variables(condition: &str) -> Vec<String> {
    let compact: String = condition.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    let chars: Vec<char> = compact.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            let before = if i > 0 { chars[i - 1] } else { ' ' };
            let after = chars.get(end).copied().unwrap_or(' ');
            if end > start && (matches!(after, '<' | '>' | '=') || matches!(before, '<' | '>' | '=')) {
                out.push(chars[start..end].iter().collect());
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn poll(bounded: bool) -> Json {
        let mut choices = vec![json!({ "Variable": "$.done", "BooleanEquals": true, "Next": "End" })];
        if bounded {
            choices.push(json!({ "Variable": "$.Polls.Count", "NumericGreaterThanEquals": 5, "Next": "GaveUp" }));
        }
        json!({ "StartAt": "Start", "States": {
            "Start": { "Type": "Pass", "Result": { "Count": 0 }, "ResultPath": "$.Polls", "Next": "Wait" },
            "Wait": { "Type": "Wait", "Seconds": 10, "Next": "Count" },
            "Count": { "Type": "Pass", "Parameters": { "Count.$": "States.MathAdd($.Polls.Count, 1)" },
                       "ResultPath": "$.Polls", "Next": "Done?" },
            "Done?": { "Type": "Choice", "Choices": choices, "Default": "Wait" },
            "GaveUp": { "Type": "Fail", "Error": "TimedOut" },
            "End": { "Type": "Succeed" } } })
    }

    #[test]
    fn an_unbounded_loop_is_reported_with_its_states() {
        let w = loop_warnings(&poll(false));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].message.contains("Count, Done?, Wait"), "{}", w[0].message);
    }

    #[test]
    fn a_counter_or_a_timeout_bounds_it() {
        assert!(loop_warnings(&poll(true)).is_empty());
        let mut timed = poll(false);
        timed["TimeoutSeconds"] = json!(3600);
        assert!(loop_warnings(&timed).is_empty());
    }

    #[test]
    fn a_comparison_of_an_observed_value_is_not_a_bound() {
        // The seed's old loop: it leaves when the state code is 80, which may never happen.
        let mut def = poll(false);
        def["States"]["Done?"]["Choices"] = json!([
            { "Variable": "$.Code", "NumericEquals": 80, "Next": "End" } ]);
        assert_eq!(loop_warnings(&def).len(), 1);
    }

    #[test]
    fn a_counter_in_a_variable_bounds_it_in_jsonpath_and_jsonata() {
        let jsonpath = json!({ "StartAt": "Start", "States": {
            "Start": { "Type": "Pass", "Assign": { "polls": 0 }, "Next": "Wait" },
            "Wait": { "Type": "Wait", "Seconds": 10, "Assign": { "polls.$": "States.MathAdd($polls, 1)" }, "Next": "Done?" },
            "Done?": { "Type": "Choice", "Choices": [
                { "Variable": "$polls", "NumericGreaterThanEquals": 5, "Next": "GaveUp" } ], "Default": "Wait" },
            "GaveUp": { "Type": "Fail", "Error": "TimedOut" } } });
        assert!(loop_warnings(&jsonpath).is_empty());
        let jsonata = json!({ "QueryLanguage": "JSONata", "StartAt": "Start", "States": {
            "Start": { "Type": "Pass", "Assign": { "polls": 0 }, "Next": "Wait" },
            "Wait": { "Type": "Wait", "Seconds": 10, "Assign": { "polls": "{% $polls + 1 %}" }, "Next": "Done?" },
            "Done?": { "Type": "Choice", "Choices": [
                { "Condition": "{% $polls >= 5 %}", "Next": "GaveUp" } ], "Default": "Wait" },
            "GaveUp": { "Type": "Fail", "Error": "TimedOut" } } });
        assert!(loop_warnings(&jsonata).is_empty());
        let mut unbounded = jsonata;
        unbounded["States"]["Done?"]["Choices"][0]["Condition"] = json!("{% $states.input.done %}");
        assert_eq!(loop_warnings(&unbounded).len(), 1);
    }

    #[test]
    fn loops_in_map_processors_are_found() {
        let def = json!({ "StartAt": "Map", "States": {
            "Map": { "Type": "Map", "ItemProcessor": poll(false), "End": true } } });
        assert_eq!(loop_warnings(&def).len(), 1);
    }
}
