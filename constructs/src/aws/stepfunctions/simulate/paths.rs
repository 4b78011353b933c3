//! JSONPath evaluation with the Amazon States Language's semantics (those of
//! Jayway JSONPath, which Step Functions uses): a *definite* path (only
//! `.field`, `['field']` and `[index]` steps) selects one value, and fails
//! when it does not exist; any other path selects the list of what it matches.
//!
//! Syntax is checked first by [`check_path`](crate::aws::stepfunctions::check_path),
//! so the parser here only turns a valid path into steps.

use serde_json::Value as Json;

use super::Failure;
use crate::aws::stepfunctions::{check_path, variable_name, PathKind};

/// One step of a path.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    /// `..` followed by a step: that step applied at every depth.
    Deep(Box<Step>),
    Slice(Option<i64>, Option<i64>, i64),
    Union(Vec<Key>),
    Filter(Filter),
    /// `[(@.length-n)]`: the n-th element from the end.
    FromEnd(i64),
}

#[derive(Clone, Debug, PartialEq)]
enum Key {
    Field(String),
    Index(i64),
}

/// A filter `[?(...)]`: comparisons of `@`-relative paths with literals,
/// joined by `&&` or `||` (no parentheses inside).
#[derive(Clone, Debug, PartialEq)]
enum Filter {
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Exists(Vec<Step>),
    Compare(Vec<Step>, String, Json),
}

/// Where a path starts.
#[derive(Clone, Debug, PartialEq)]
enum Root {
    /// `$`: the state's input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// The key of the context object under which the simulator keeps the
/// variables a state can read (not reachable with `$$.` dotted paths).
pub(super) const VARIABLES: &str = "\u{1}variables";

/// A parsed path: which root it reads and its steps.
#[derive(Clone, Debug)]
pub(super) struct Path {
    root: Root,
    steps: Vec<Step>,
}

impl Path {
    /// Parses a path (`$...` or `$$...`).
    pub(super) fn parse(text: &str) -> Result<Path, Failure> {
        check_path(text, PathKind::Path).map_err(|e| Failure::runtime(format!("Invalid path {e}")))?;
        let (root, rest) = if let Some(var) = variable_name(text) {
            (Root::Variable(var.to_owned()), &text[1 + var.len()..])
        } else {
            match text.strip_prefix("$$") {
                Some(r) => (Root::Context, r),
                None => (Root::Input, &text[1..]),
            }
        };
        let steps = parse_steps(rest).map_err(|e| Failure::runtime(format!("Invalid path '{text}': {e}")))?;
        Ok(Path { root, steps })
    }

    /// The value the path starts from.
    fn root<'a>(&self, input: &'a Json, context: &'a Json) -> Result<&'a Json, Failure> {
        match &self.root {
            Root::Input => Ok(input),
            Root::Context => Ok(context),
            Root::Variable(name) => context
                .get(VARIABLES)
                .and_then(|v| v.get(name))
                .ok_or_else(|| Failure::runtime(format!("The variable '${name}' is not assigned in this scope"))),
        }
    }

    /// Whether the path selects a single value (only field and index steps).
    pub(super) fn is_definite(&self) -> bool {
        self.steps.iter().all(|s| matches!(s, Step::Field(_) | Step::Index(_)))
    }
}

/// Reads `path` from `input` (`$`) or `context` (`$$`): the value for a
/// definite path (a failure naming the path when it is absent), the list of
/// matches otherwise.
pub(super) fn read(text: &str, input: &Json, context: &Json) -> Result<Json, Failure> {
    let path = Path::parse(text)?;
    let root = path.root(input, context)?;
    if path.is_definite() {
        let mut current = root;
        for step in &path.steps {
            let next = match step {
                Step::Field(f) => current.as_object().and_then(|o| o.get(f)),
                Step::Index(i) => current.as_array().and_then(|a| index(a.len(), *i).map(|i| &a[i])),
                _ => None,
            };
            current = next.ok_or_else(|| {
                Failure::runtime(format!(
                    "The JSONPath '{text}' could not be found in the input '{}'",
                    compact(root)
                ))
            })?;
        }
        return Ok(current.clone());
    }
    let mut out = Vec::new();
    select(&path.steps, root, &mut out);
    Ok(Json::Array(out.into_iter().cloned().collect()))
}

/// Whether a definite path exists in the input (for `IsPresent`); an
/// indefinite path is present when it matches something.
pub(super) fn exists(text: &str, input: &Json, context: &Json) -> Result<bool, Failure> {
    let path = Path::parse(text)?;
    let Ok(root) = path.root(input, context) else {
        return Ok(false);
    };
    let mut out = Vec::new();
    select(&path.steps, root, &mut out);
    Ok(!out.is_empty())
}

/// Writes `value` at the reference path `text` in `input` (`ResultPath`);
/// intermediate objects are created; `$` replaces the whole input.
pub(super) fn write(text: &str, input: Json, value: Json) -> Result<Json, Failure> {
    check_path(text, PathKind::Reference).map_err(|e| Failure::runtime(format!("Invalid ResultPath {e}")))?;
    let steps = parse_steps(&text[1..]).map_err(|e| Failure::runtime(format!("Invalid ResultPath '{text}': {e}")))?;
    let mut root = input;
    let mut slot = &mut root;
    for step in &steps {
        let mismatch = |v: &Json| {
            Failure::new(
                "States.ResultPathMatchFailure",
                format!(
                    "Unable to apply step '{}' of the ResultPath '{text}' to the input '{}'",
                    describe(step),
                    compact(v)
                ),
            )
        };
        slot = match step {
            Step::Field(f) => {
                if slot.is_null() {
                    *slot = Json::Object(serde_json::Map::new());
                }
                match slot {
                    Json::Object(o) => o.entry(f.clone()).or_insert(Json::Null),
                    other => return Err(mismatch(other)),
                }
            }
            Step::Index(i) => {
                let len = slot.as_array().map(Vec::len);
                match (len.and_then(|n| index(n, *i)), slot) {
                    (Some(i), Json::Array(a)) => &mut a[i],
                    (_, other) => return Err(mismatch(other)),
                }
            }
            _ => return Err(mismatch(slot)),
        };
    }
    *slot = value;
    Ok(root)
}

fn describe(step: &Step) -> String {
    match step {
        Step::Field(f) => format!(".{f}"),
        Step::Index(i) => format!("[{i}]"),
        other => format!("{other:?}"),
    }
}

/// JSON text of a value, shortened for error messages.
pub(super) fn compact(v: &Json) -> String {
    let text = v.to_string();
    if text.len() > 200 {
        let cut = (0..=200).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        format!("{}...", &text[..cut])
    } else {
        text
    }
}

fn index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn select<'a>(steps: &[Step], v: &'a Json, out: &mut Vec<&'a Json>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(v);
        return;
    };
    match step {
        Step::Deep(inner) => {
            let once = std::slice::from_ref(inner.as_ref());
            let mut here = Vec::new();
            select(once, v, &mut here);
            for h in here {
                select(rest, h, out);
            }
            for child in children(v) {
                select(steps, child, out);
            }
        }
        _ => {
            for c in apply(step, v) {
                select(rest, c, out);
            }
        }
    }
}

fn children(v: &Json) -> Vec<&Json> {
    match v {
        Json::Object(o) => o.values().collect(),
        Json::Array(a) => a.iter().collect(),
        _ => Vec::new(),
    }
}

fn apply<'a>(step: &Step, v: &'a Json) -> Vec<&'a Json> {
    match step {
        Step::Field(f) => v.get(f).into_iter().collect(),
        Step::Index(i) => v
            .as_array()
            .and_then(|a| index(a.len(), *i).map(|i| &a[i]))
            .into_iter()
            .collect(),
        Step::Wildcard => children(v),
        Step::FromEnd(n) => apply(&Step::Index(-n), v),
        Step::Union(keys) => keys
            .iter()
            .flat_map(|k| match k {
                Key::Field(f) => apply(&Step::Field(f.clone()), v),
                Key::Index(i) => apply(&Step::Index(*i), v),
            })
            .collect(),
        Step::Slice(start, end, step) => {
            let Some(a) = v.as_array() else { return Vec::new() };
            let len = a.len() as i64;
            let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
            let (s, e) = (norm(start.unwrap_or(0)), norm(end.unwrap_or(len)));
            let step = (*step).max(1) as usize;
            (s..e).step_by(step).map(|i| &a[i as usize]).collect()
        }
        Step::Filter(f) => children(v).into_iter().filter(|c| matches(f, c)).collect(),
        Step::Deep(_) => Vec::new(),
    }
}

fn matches(filter: &Filter, item: &Json) -> bool {
    let at = |steps: &[Step]| {
        let mut out = Vec::new();
        select(steps, item, &mut out);
        out.into_iter().next()
    };
    match filter {
        Filter::Or(fs) => fs.iter().any(|f| matches(f, item)),
        Filter::And(fs) => fs.iter().all(|f| matches(f, item)),
        Filter::Exists(steps) => at(steps).is_some(),
        Filter::Compare(steps, op, lit) => {
            let Some(v) = at(steps) else { return false };
            let ord = match (v, lit) {
                (Json::Number(a), Json::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
                (Json::String(a), Json::String(b)) => Some(a.cmp(b)),
                _ => None,
            };
            match op.as_str() {
                "==" => ord.map_or(v == lit, |o| o.is_eq()),
                "!=" => ord.map_or(v != lit, |o| o.is_ne()),
                "<" => ord.is_some_and(|o| o.is_lt()),
                "<=" => ord.is_some_and(|o| o.is_le()),
                ">" => ord.is_some_and(|o| o.is_gt()),
                ">=" => ord.is_some_and(|o| o.is_ge()),
                _ => false,
            }
        }
    }
}

fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let deep = chars[i] == '.' && chars.get(i + 1) == Some(&'.');
        if chars[i] == '.' {
            i += if deep { 2 } else { 1 };
        }
        let step = if chars.get(i) == Some(&'[') {
            let close = closing(&chars, i).ok_or("unclosed '['")?;
            let inner: String = chars[i + 1..close].iter().collect();
            i = close + 1;
            bracket(inner.trim())?
        } else if chars.get(i) == Some(&'*') {
            i += 1;
            Step::Wildcard
        } else {
            let start = i;
            while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                i += 1;
            }
            Step::Field(chars[start..i].iter().collect())
        };
        steps.push(if deep { Step::Deep(Box::new(step)) } else { step });
    }
    Ok(steps)
}

fn closing(chars: &[char], open: usize) -> Option<usize> {
    let (mut depth, mut quote, mut i) = (0usize, None::<char>, open);
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(_) if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '[' => depth += 1,
            None if c == ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if s.len() >= 2 && (q == '\'' || q == '"') && s.ends_with(q) {
        Some(s[1..s.len() - 1].replace(&format!("\\{q}"), &q.to_string()))
    } else {
        None
    }
}

fn bracket(inner: &str) -> Result<Step, String> {
    if let Some(name) = unquote(inner) {
        return Ok(Step::Field(name));
    }
    if let Ok(i) = inner.parse::<i64>() {
        return Ok(Step::Index(i));
    }
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(expr) = inner.strip_prefix('?') {
        let expr = expr.trim();
        let body = expr
            .strip_prefix('(')
            .and_then(|e| e.strip_suffix(')'))
            .ok_or("malformed filter")?;
        return Ok(Step::Filter(filter(body.trim())?));
    }
    if let Some(expr) = inner.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        let n = expr
            .replace(' ', "")
            .strip_prefix("@.length-")
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| format!("the script expression '({expr})' is not supported: only (@.length-N)"))?;
        return Ok(Step::FromEnd(n));
    }
    if inner.contains(':') {
        let parts: Vec<Option<i64>> = inner.split(':').map(|p| p.trim().parse::<i64>().ok()).collect();
        return Ok(Step::Slice(
            parts.first().copied().flatten(),
            parts.get(1).copied().flatten(),
            parts.get(2).copied().flatten().unwrap_or(1),
        ));
    }
    let keys = inner
        .split(',')
        .map(|p| {
            let p = p.trim();
            unquote(p)
                .map(Key::Field)
                .or_else(|| p.parse().ok().map(Key::Index))
                .ok_or_else(|| format!("'{p}' is not an index or a quoted name"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Step::Union(keys))
}

fn filter(expr: &str) -> Result<Filter, String> {
    if expr.contains("||") {
        return expr
            .split("||")
            .map(|p| filter(p.trim()))
            .collect::<Result<_, _>>()
            .map(Filter::Or);
    }
    if expr.contains("&&") {
        return expr
            .split("&&")
            .map(|p| filter(p.trim()))
            .collect::<Result<_, _>>()
            .map(Filter::And);
    }
    let at_path = |p: &str| {
        p.trim()
            .strip_prefix('@')
            .ok_or_else(|| format!("'{p}' must start with '@'"))
            .and_then(parse_steps)
    };
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some((left, right)) = expr.split_once(op) {
            let right = right.trim();
            let literal = unquote(right)
                .map(Json::String)
                .or_else(|| serde_json::from_str(right).ok())
                .ok_or_else(|| format!("'{right}' is not a literal (a number, a quoted string, true, false, null)"))?;
            return Ok(Filter::Compare(at_path(left)?, op.to_owned(), literal));
        }
    }
    Ok(Filter::Exists(at_path(expr)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> Json {
        json!({
            "a": {"b": [1, 2, 3], "c-d": "x"},
            "items": [{"id": 1, "price": 5}, {"id": 2, "price": 15}, {"id": 3}],
            "n": null
        })
    }

    fn r(p: &str) -> Result<Json, Failure> {
        read(p, &input(), &json!({"Execution": {"Name": "e1"}}))
    }

    #[test]
    fn definite_paths_select_one_value() {
        assert_eq!(r("$").expect("ok"), input());
        assert_eq!(r("$.a.b[1]").expect("ok"), json!(2));
        assert_eq!(r("$.a.b[-1]").expect("ok"), json!(3));
        assert_eq!(r("$['a']['c-d']").expect("ok"), json!("x"));
        assert_eq!(r("$.a.c-d").expect("ok"), json!("x"));
        assert_eq!(r("$.n").expect("ok"), json!(null));
        assert_eq!(r("$$.Execution.Name").expect("ok"), json!("e1"));
    }

    #[test]
    fn a_missing_definite_path_is_a_runtime_failure() {
        let f = r("$.a.nope").expect_err("an error");
        assert_eq!(f.error, "States.Runtime");
        assert!(f.cause.contains("'$.a.nope' could not be found"), "{}", f.cause);
        assert!(r("$.a.b[7]").is_err());
    }

    #[test]
    fn indefinite_paths_select_lists() {
        assert_eq!(r("$.items[*].id").expect("ok"), json!([1, 2, 3]));
        assert_eq!(r("$..price").expect("ok"), json!([5, 15]));
        assert_eq!(r("$.a.b[0:2]").expect("ok"), json!([1, 2]));
        assert_eq!(r("$.a.b[0,2]").expect("ok"), json!([1, 3]));
        assert_eq!(r("$.a.b[(@.length-1)]").expect("ok"), json!([3]));
        assert_eq!(r("$.items[?(@.price < 10)].id").expect("ok"), json!([1]));
        assert_eq!(r("$.items[?(@.price)].id").expect("ok"), json!([1, 2]));
        assert_eq!(r("$.items[?(@.id == 2 || @.id == 3)].id").expect("ok"), json!([2, 3]));
        assert_eq!(r("$.nothing[*]").expect("ok"), json!([]));
    }

    #[test]
    fn result_path_writes_one_node() {
        let out = write("$.Output.x", json!({"a": 1}), json!(2)).expect("ok");
        assert_eq!(out, json!({"a": 1, "Output": {"x": 2}}));
        assert_eq!(write("$", json!({"a": 1}), json!(2)).expect("ok"), json!(2));
        assert_eq!(
            write("$.l[1]", json!({"l": [0, 0]}), json!(9)).expect("ok"),
            json!({"l": [0, 9]})
        );
        let f = write("$.a.b", json!({"a": "text"}), json!(1)).expect_err("an error");
        assert_eq!(f.error, "States.ResultPathMatchFailure");
        assert!(write("$.a[*]", json!({}), json!(1)).is_err());
    }

    #[test]
    fn present_means_it_matches() {
        let ctx = json!({});
        assert!(exists("$.a.b", &input(), &ctx).expect("ok"));
        assert!(exists("$.n", &input(), &ctx).expect("ok"));
        assert!(!exists("$.x.y", &input(), &ctx).expect("ok"));
        assert!(!exists("$.a.b[5]", &input(), &ctx).expect("ok"));
    }
}
