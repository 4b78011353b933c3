//! A picture of the job net: a state machine definition as a Mermaid flowchart.
//!
//! Tasks are boxes, Waits parallelograms with their time, Choices diamonds
//! with each rule's condition on its edge, Succeed/Fail stadiums, and Map and
//! Parallel states subgraphs holding their own states. Catches are dotted
//! edges. Paste the text into any Mermaid viewer (GitHub renders `.mmd` and
//! fenced `mermaid` blocks) to see it.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

struct Ctx {
    out: String,
    next_id: usize,
    /// Each state's node id, by state name.
    nodes: HashMap<String, String>,
}

impl Ctx {
    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("n{}", self.next_id)
    }
}

/// Escapes text for a quoted Mermaid label.
fn label(text: &str) -> String {
    text.replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A short text for a Choice rule, e.g. `Status == 'Success'`.
fn describe_rule(rule: &Json) -> String {
    let Some(r) = rule.as_object() else {
        return String::new();
    };
    if let Some(list) = r.get("And").and_then(Json::as_array) {
        return list.iter().map(describe_rule).collect::<Vec<_>>().join(" and ");
    }
    if let Some(list) = r.get("Or").and_then(Json::as_array) {
        return list.iter().map(describe_rule).collect::<Vec<_>>().join(" or ");
    }
    if let Some(inner) = r.get("Not") {
        return format!("not ({})", describe_rule(inner));
    }
    if let Some(condition) = r.get("Condition").and_then(Json::as_str) {
        let text = condition.trim_start_matches("{%").trim_end_matches("%}").trim();
        return text.to_owned();
    }
    let var = r.get("Variable").and_then(Json::as_str).map(short).unwrap_or("?");
    for (key, value) in r {
        if matches!(key.as_str(), "Variable" | "Next" | "Comment" | "Assign") {
            continue;
        }
        if let Some(test) = key.strip_prefix("Is") {
            let negated = value == &Json::Bool(false);
            return format!("{}{var} is {}", if negated { "not " } else { "" }, test.to_lowercase());
        }
        let (op, is_path) = match key.strip_suffix("Path") {
            Some(b) => (b, true),
            None => (key.as_str(), false),
        };
        let sym = if op.ends_with("LessThanEquals") {
            "<="
        } else if op.ends_with("GreaterThanEquals") {
            ">="
        } else if op.ends_with("LessThan") {
            "<"
        } else if op.ends_with("GreaterThan") {
            ">"
        } else if op == "StringMatches" {
            "matches"
        } else {
            "=="
        };
        let rhs = match value {
            Json::String(s) if is_path => short(s).to_owned(),
            Json::String(s) => format!("'{s}'"),
            other => other.to_string(),
        };
        return format!("{var} {sym} {rhs}");
    }
    var.to_owned()
}

fn node_shape(name: &str, state: &Map<String, Json>) -> (String, &'static str) {
    let ty = state.get("Type").and_then(Json::as_str).unwrap_or("");
    let text = match ty {
        "Wait" => {
            let time = if let Some(s) = state.get("Seconds") {
                format!("{s} s")
            } else if let Some(t) = state.get("Timestamp").and_then(Json::as_str) {
                format!("until {t}")
            } else if let Some(p) = state.get("SecondsPath").and_then(Json::as_str) {
                format!("{p} s")
            } else if let Some(p) = state.get("TimestampPath").and_then(Json::as_str) {
                format!("until {p}")
            } else {
                String::new()
            };
            format!("{name}<br/>wait {time}")
        }
        "Fail" => match state.get("Error").and_then(Json::as_str) {
            Some(e) => format!("{name}<br/>{e}"),
            None => name.to_owned(),
        },
        _ => name.to_owned(),
    };
    let text = label(&text).replace("#lt;br/#gt;", "<br/>");
    let shape = match ty {
        "Choice" => format!("{{\"{text}\"}}"),
        "Wait" => format!("[/\"{text}\"/]"),
        "Succeed" | "Fail" => format!("([\"{text}\"])"),
        "Pass" => format!("[[\"{text}\"]]"),
        _ => format!("[\"{text}\"]"),
    };
    let class = match ty {
        "Choice" => "choice",
        "Wait" => "wait",
        "Succeed" => "succeed",
        "Fail" => "fail",
        _ => "task",
    };
    (shape, class)
}

/// Writes a scope's states; returns the id of its start node.
fn scope(c: &mut Ctx, def: &Map<String, Json>, indent: &str) -> Option<String> {
    let states = def.get("States").and_then(Json::as_object)?;
    let mut ids: HashMap<&str, String> = HashMap::new();
    for name in states.keys() {
        let id = c.id();
        c.nodes.insert(name.clone(), id.clone());
        ids.insert(name.as_str(), id);
    }
    let end_id = c.id();
    let mut needs_end = false;
    for (name, state) in states {
        let Some(s) = state.as_object() else { continue };
        let id = &ids[name.as_str()];
        let ty = s.get("Type").and_then(Json::as_str).unwrap_or("");
        match ty {
            "Map" | "Parallel" => {
                let mut title = format!("{name} ({ty}");
                if let Some(m) = s.get("MaxConcurrency") {
                    let _ = write!(title, ", max {m} at once");
                }
                if let Some(p) = s.get("ItemsPath").and_then(Json::as_str) {
                    let _ = write!(title, ", over {p}");
                }
                title.push(')');
                let _ = writeln!(c.out, "{indent}subgraph {id}[\"{}\"]", label(&title));
                let _ = writeln!(c.out, "{indent}  direction TB");
                let inner_indent = format!("{indent}  ");
                let scopes: Vec<&Map<String, Json>> = if ty == "Map" {
                    s.get("ItemProcessor")
                        .or_else(|| s.get("Iterator"))
                        .and_then(Json::as_object)
                        .into_iter()
                        .collect()
                } else {
                    s.get("Branches")
                        .and_then(Json::as_array)
                        .map(|bs| bs.iter().filter_map(Json::as_object).collect())
                        .unwrap_or_default()
                };
                for (i, inner) in scopes.into_iter().enumerate() {
                    let start = c.id();
                    let entry = if ty == "Map" {
                        "each item".to_owned()
                    } else {
                        format!("branch {}", i + 1)
                    };
                    let _ = writeln!(c.out, "{inner_indent}{start}((\"{entry}\"))");
                    if let Some(first) = scope(c, inner, &inner_indent) {
                        let _ = writeln!(c.out, "{inner_indent}{start} --> {first}");
                    }
                }
                let _ = writeln!(c.out, "{indent}end");
            }
            _ => {
                let (shape, class) = node_shape(name, s);
                let _ = writeln!(c.out, "{indent}{id}{shape}:::{class}");
            }
        }
    }
    for (name, state) in states {
        let Some(s) = state.as_object() else { continue };
        let id = ids[name.as_str()].clone();
        let target = |t: &Json| t.as_str().and_then(|t| ids.get(t)).cloned();
        if let Some(t) = s.get("Next").and_then(target) {
            let _ = writeln!(c.out, "{indent}{id} --> {t}");
        }
        if s.get("End") == Some(&Json::Bool(true)) {
            needs_end = true;
            let _ = writeln!(c.out, "{indent}{id} --> {end_id}");
        }
        for rule in s.get("Choices").and_then(Json::as_array).into_iter().flatten() {
            if let Some(t) = rule.get("Next").and_then(target) {
                let _ = writeln!(c.out, "{indent}{id} -- \"{}\" --> {t}", label(&describe_rule(rule)));
            }
        }
        if let Some(t) = s.get("Default").and_then(target) {
            let _ = writeln!(c.out, "{indent}{id} -- \"otherwise\" --> {t}");
        }
        for catcher in s.get("Catch").and_then(Json::as_array).into_iter().flatten() {
            if let Some(t) = catcher.get("Next").and_then(target) {
                let errors: Vec<&str> = catcher
                    .get("ErrorEquals")
                    .and_then(Json::as_array)
                    .map(|e| e.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                let _ = writeln!(c.out, "{indent}{id} -. \"catch {}\" .-> {t}", label(&errors.join(", ")));
            }
        }
    }
    if needs_end {
        let _ = writeln!(c.out, "{indent}{end_id}(((end)))");
    }
    def.get("StartAt")
        .and_then(Json::as_str)
        .and_then(|s| ids.get(s))
        .cloned()
}

/// Renders a definition (ASL JSON) as a Mermaid flowchart, top to bottom.
///
/// ```
/// let def = serde_json::json!({ "StartAt": "A", "States": { "A": { "Type": "Succeed" } } });
/// let text = constructs::aws::stepfunctions::to_mermaid(&def, "Demo");
/// assert!(text.starts_with("---\ntitle: Demo\n---\nflowchart TD"));
/// ```
pub fn to_mermaid(definition: &Json, title: &str) -> String {
    render(definition, title).out
}

/// [`to_mermaid`] with the states of `taken` (e.g. the path of a simulated
/// execution) outlined in red.
///
/// ```
/// let def = serde_json::json!({ "StartAt": "A", "States": {
///     "A": { "Type": "Pass", "Next": "B" }, "B": { "Type": "Succeed" }, "C": { "Type": "Fail" } } });
/// let text = constructs::aws::stepfunctions::to_mermaid_with_path(&def, "Demo", &["A".into(), "B".into()]);
/// assert!(text.ends_with("  class n1,n2 taken\n"));
/// ```
pub fn to_mermaid_with_path(definition: &Json, title: &str, taken: &[String]) -> String {
    let mut c = render(definition, title);
    let mut ids: Vec<&str> = Vec::new();
    for name in taken {
        if let Some(id) = c.nodes.get(name) {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
    }
    let mut out = std::mem::take(&mut c.out);
    let _ = writeln!(out, "  classDef taken stroke:#d93025,stroke-width:4px");
    if !ids.is_empty() {
        let _ = writeln!(out, "  class {} taken", ids.join(","));
    }
    out
}

fn render(definition: &Json, title: &str) -> Ctx {
    let mut c = Ctx {
        out: String::new(),
        next_id: 0,
        nodes: HashMap::new(),
    };
    let _ = writeln!(c.out, "---\ntitle: {}\n---\nflowchart TD", title.replace('\n', " "));
    let _ = writeln!(c.out, "  classDef task fill:#e8f0fe,stroke:#4a6fa5");
    let _ = writeln!(c.out, "  classDef wait fill:#fff8e1,stroke:#b08900");
    let _ = writeln!(c.out, "  classDef choice fill:#f3e5f5,stroke:#7b1fa2");
    let _ = writeln!(c.out, "  classDef succeed fill:#e6f4ea,stroke:#188038");
    let _ = writeln!(c.out, "  classDef fail fill:#fce8e6,stroke:#c5221f");
    let _ = writeln!(c.out, "  start((start))");
    if let Some(top) = definition.as_object() {
        if let Some(first) = scope(&mut c, top, "  ") {
            let _ = writeln!(c.out, "  start --> {first}");
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draws_states_edges_and_map_subgraphs() {
        let def = json!({ "StartAt": "M", "States": {
            "M": { "Type": "Map", "MaxConcurrency": 2, "ItemsPath": "$.items",
                   "ItemProcessor": { "StartAt": "W", "States": {
                       "W": { "Type": "Wait", "Seconds": 10, "Next": "C" },
                       "C": { "Type": "Choice", "Choices": [
                           { "Variable": "$.Output.Payload.Status", "StringEquals": "Success", "Next": "P" },
                           { "Or": [{ "Variable": "$.s", "StringEquals": "Pending" }, { "Variable": "$.s", "StringEquals": "InProgress" }], "Next": "W" }
                       ], "Default": "F" },
                       "P": { "Type": "Pass", "End": true },
                       "F": { "Type": "Fail", "Error": "Failed" }
                   } },
                   "Catch": [{ "ErrorEquals": ["States.ALL"], "Next": "Oops" }],
                   "Next": "Done" },
            "Done": { "Type": "Succeed" },
            "Oops": { "Type": "Fail" }
        }});
        let text = to_mermaid(&def, "Demo \"quoted\"");
        assert!(
            text.contains("subgraph n1[\"M (Map, max 2 at once, over $.items)\"]"),
            "{text}"
        );
        assert!(text.contains("[/\"W<br/>wait 10 s\"/]:::wait"), "{text}");
        assert!(text.contains("-- \"Status == 'Success'\" -->"), "{text}");
        assert!(
            text.contains("-- \"s == 'Pending' or s == 'InProgress'\" -->"),
            "{text}"
        );
        assert!(text.contains("-- \"otherwise\" -->"), "{text}");
        assert!(text.contains("-. \"catch States.ALL\" .->"), "{text}");
        assert!(text.contains("start --> n1"), "{text}");
        assert!(text.contains("(((end)))"), "{text}");
        assert!(text.contains("((\"each item\"))"), "{text}");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a \"b\" <c>"), "a #quot;b#quot; #lt;c#gt;");
        assert_eq!(
            describe_rule(&json!({ "Variable": "$.a.Code", "NumericGreaterThanEqualsPath": "$.b.Limit" })),
            "Code >= Limit"
        );
        assert_eq!(
            describe_rule(&json!({ "Variable": "$.x", "IsPresent": false })),
            "not x is present"
        );
    }
}
