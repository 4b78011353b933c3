//! Syntax checks for the JSONPath expressions of the Amazon States Language.
//!
//! ASL has two kinds: a *Path* (`InputPath`, `OutputPath`, `ItemsPath`, a
//! Choice rule's `Variable`, the value of a `key.$` field ...) may use the whole
//! JSONPath syntax, and a *Reference Path* (`ResultPath`) must name exactly one
//! node: only `.field`, `['field']` and `[index]` steps. Both start with `$`
//! (the state's input); a Path may start with `$$` (the context object).

/// Which JSONPath syntax a field accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    /// A Path: full JSONPath, `$` or `$$` rooted.
    Path,
    /// A Reference Path: a single node of the state's input (`ResultPath`).
    Reference,
}

/// The intrinsic functions allowed as the value of a `key.$` field.
const INTRINSICS: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
];

/// The variable a path reads (`$name...` reads the workflow variable `name`),
/// or `None` for a path of the state input (`$`, `$.`, `$[`) or the context
/// object (`$$`).
///
/// ```
/// use constructs::aws::stepfunctions::variable_name;
/// assert_eq!(variable_name("$cluster.Status"), Some("cluster"));
/// assert_eq!(variable_name("$.cluster"), None);
/// assert_eq!(variable_name("$$.Execution.Id"), None);
/// ```
pub fn variable_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('$')?;
    if !rest.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Whether `name` may name a workflow variable: a letter or `_`, then
/// letters, digits or `_`, at most 80 characters, and not the reserved `states`.
pub fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && name.chars().count() <= 80
        && name != "states"
}

/// Checks a JSONPath expression; the error says what is wrong and where.
///
/// ```
/// use constructs::aws::stepfunctions::{check_path, PathKind};
/// assert!(check_path("$.Output.Payload.Reservations[0].Instances[0].State.Code", PathKind::Path).is_ok());
/// assert!(check_path("$$.Execution.Input", PathKind::Path).is_ok());
/// assert!(check_path("Output", PathKind::Path).is_err());
/// assert!(check_path("$.items[*]", PathKind::Reference).is_err());
/// assert!(check_path("$cluster.Status", PathKind::Path).is_ok()); // a variable
/// assert!(check_path("$cluster", PathKind::Reference).is_err());
/// ```
pub fn check_path(path: &str, kind: PathKind) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!(
            "'{path}' must start with '$' (the state input) or '$$' (the context object)"
        ));
    };
    let (rest, offset) = if let Some(var) = variable_name(path) {
        if kind == PathKind::Reference {
            return Err(format!(
                "'{path}' is a reference path and must start with '$.': a variable ('${var}') is set with Assign, not written to"
            ));
        }
        if !valid_variable_name(var) {
            return Err(format!(
                "'{path}': '{var}' is not a variable name (a letter or '_', then letters, digits or '_', at most 80 characters; not 'states')"
            ));
        }
        (&rest[var.len()..], 1 + var.len())
    } else if let Some(r) = rest.strip_prefix('$') {
        if kind == PathKind::Reference {
            return Err(format!(
                "'{path}' is a reference path and must start with '$': the context object ('$$') cannot be written to"
            ));
        }
        (r, 2)
    } else {
        (rest, 1)
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    let at = |i: usize| i + offset;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                if chars.get(i) == Some(&'.') {
                    if kind == PathKind::Reference {
                        return Err(reference_error(path, "'..' (deep scan)"));
                    }
                    i += 1;
                    if chars.get(i) == Some(&'[') {
                        continue;
                    }
                }
                match chars.get(i) {
                    None => return Err(format!("'{path}' ends with '.': a field name must follow")),
                    Some('*') => {
                        if kind == PathKind::Reference {
                            return Err(reference_error(path, "the wildcard '*'"));
                        }
                        i += 1;
                    }
                    Some('.') | Some('[') => {
                        return Err(format!("'{path}' has an empty field name at position {}", at(i)));
                    }
                    Some(_) => {
                        while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                            let c = chars[i];
                            if c == ']' {
                                return Err(format!("'{path}' has an unmatched ']' at position {}", at(i)));
                            }
                            if c.is_whitespace() || matches!(c, '\'' | '"' | '(' | ')' | ',' | '?' | '@' | '*') {
                                return Err(format!(
                                    "'{path}' has '{c}' in a field name at position {}: use ['name'] for such names",
                                    at(i)
                                ));
                            }
                            i += 1;
                        }
                    }
                }
            }
            '[' => {
                let close = find_closing_bracket(&chars, i)
                    .ok_or_else(|| format!("'{path}' has an unclosed '[' at position {}", at(i)))?;
                let inner: String = chars[i + 1..close].iter().collect();
                check_bracket(path, inner.trim(), kind)?;
                i = close + 1;
            }
            ']' => return Err(format!("'{path}' has an unmatched ']' at position {}", at(i))),
            c => {
                return Err(format!(
                    "'{path}' has an unexpected '{c}' at position {}: steps are '.field' or '[...]'",
                    at(i)
                ))
            }
        }
    }
    Ok(())
}

fn reference_error(path: &str, what: &str) -> String {
    format!("'{path}' is a reference path (it must name a single node), so it cannot use {what}")
}

/// The index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets.
fn find_closing_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = open;
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
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn is_quoted(s: &str) -> bool {
    s.len() >= 2 && ((s.starts_with('\'') && s.ends_with('\'')) || (s.starts_with('"') && s.ends_with('"')))
}

fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn check_bracket(path: &str, inner: &str, kind: PathKind) -> Result<(), String> {
    if inner.is_empty() {
        return Err(format!(
            "'{path}' has an empty '[]': give an index, a quoted name, '*' or a filter"
        ));
    }
    if is_quoted(inner) {
        return Ok(());
    }
    if is_int(inner) {
        if kind == PathKind::Reference && inner.starts_with('-') {
            return Err(reference_error(path, "a negative index"));
        }
        return Ok(());
    }
    if kind == PathKind::Reference {
        return Err(reference_error(path, &format!("'[{inner}]'")));
    }
    if inner == "*" {
        return Ok(());
    }
    if let Some(expr) = inner.strip_prefix('?') {
        let expr = expr.trim();
        if expr.len() >= 2 && expr.starts_with('(') && expr.ends_with(')') && balanced_parens(expr) {
            return Ok(());
        }
        return Err(format!(
            "'{path}' has a malformed filter '[{inner}]': write it as [?(@.field == value)]"
        ));
    }
    if inner.starts_with('(') {
        if inner.ends_with(')') && balanced_parens(inner) {
            return Ok(());
        }
        return Err(format!("'{path}' has a malformed script expression '[{inner}]'"));
    }
    if inner.contains(':') {
        let parts: Vec<&str> = inner.split(':').map(str::trim).collect();
        if parts.len() <= 3 && parts.iter().all(|p| p.is_empty() || is_int(p)) {
            return Ok(());
        }
        return Err(format!(
            "'{path}' has a malformed slice '[{inner}]': write [start:end] or [start:end:step]"
        ));
    }
    if inner.contains(',') {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        if parts.iter().all(|p| is_int(p) || is_quoted(p)) {
            return Ok(());
        }
        return Err(format!(
            "'{path}' has a malformed union '[{inner}]': list indexes or quoted names"
        ));
    }
    Err(format!(
        "'{path}' has '[{inner}]', which is not an index, a quoted name, '*', a slice, a union or a filter"
    ))
}

fn balanced_parens(s: &str) -> bool {
    let mut depth = 0i64;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && quote.is_none()
}

/// Checks the value of a `key.$` field of `Parameters`, `ResultSelector`,
/// `ItemSelector` or a task payload: a Path, or an intrinsic function call.
pub fn check_dynamic_value(key: &str, value: &serde_json::Value) -> Result<(), String> {
    let Some(s) = value.as_str() else {
        return Err(format!(
            "'{key}' ends with '.$', so its value must be a JSONPath or an intrinsic function string, not {value}"
        ));
    };
    if s.starts_with('$') {
        return check_path(s, PathKind::Path).map_err(|e| format!("'{key}': {e}"));
    }
    if let Some(open) = s.find('(') {
        let name = &s[..open];
        if !INTRINSICS.contains(&name) {
            return Err(format!(
                "'{key}': '{name}' is not an intrinsic function (known: States.Format, States.Array, States.StringToJson, ...)"
            ));
        }
        if !s.ends_with(')') || !balanced_parens(&s[open..]) {
            return Err(format!("'{key}': '{s}' has unbalanced parentheses or quotes"));
        }
        return Ok(());
    }
    Err(format!(
        "'{key}' ends with '.$', so its value '{s}' must be a JSONPath starting with '$' or an intrinsic function like States.Format(...)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_paths_the_seed_uses() {
        for p in [
            "$",
            "$.InstanceId",
            "$.Output.Payload",
            "$$.Execution.Input.Input.TargetDbCluster.DBClusterIdentifier",
            "$.Output.Payload.Reservations[0].Instances[0].State.Code",
            "$.Output.Payload.CommandInvocations[0].CommandPlugins[0].ResponseCode",
            "$.Input.TargetEc2Instances",
            "$['detail-type']",
            "$.a-b.c_d",
        ] {
            assert_eq!(check_path(p, PathKind::Path), Ok(()), "{p}");
        }
    }

    #[test]
    fn accepts_full_jsonpath_in_paths() {
        for p in [
            "$..name",
            "$.items[*].id",
            "$.a.*",
            "$.a[0,1]",
            "$.a[1:3]",
            "$.a[?(@.price < 10)]",
            "$.a[(@.length-1)]",
            "$..[0]",
        ] {
            assert_eq!(check_path(p, PathKind::Path), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_malformed_paths() {
        let cases = [
            ("Output.Payload", "must start with '$'"),
            ("", "must start with '$'"),
            ("$.", "ends with '.'"),
            ("$.a..", "ends with '.'"),
            ("$.a[0", "unclosed '['"),
            ("$.a]0", "unmatched ']'"),
            ("$.a[]", "empty '[]'"),
            ("$.a.[0]", "empty field name"),
            ("$ .a", "unexpected ' '"),
            ("$.a b", "in a field name"),
            ("$1a", "unexpected '1'"),
            ("$states.input", "not a variable name"),
            ("$.a[x]", "not an index"),
            ("$.a[?@.x]", "malformed filter"),
            ("$.a[?(@.x]", "malformed filter"),
            ("$.a['x]", "unclosed '['"),
        ];
        for (p, want) in cases {
            let err = check_path(p, PathKind::Path).expect_err(p);
            assert!(err.contains(want), "{p}: {err}");
        }
    }

    #[test]
    fn reference_paths_name_one_node() {
        assert_eq!(check_path("$.Output", PathKind::Reference), Ok(()));
        assert_eq!(check_path("$.a[0]['b']", PathKind::Reference), Ok(()));
        for p in [
            "$..a",
            "$.a[*]",
            "$.a.*",
            "$.a[0,1]",
            "$.a[1:2]",
            "$.a[?(@.x)]",
            "$$.Execution",
            "$.a[-1]",
        ] {
            assert!(check_path(p, PathKind::Reference).is_err(), "{p}");
        }
    }

    #[test]
    fn dynamic_values_are_paths_or_intrinsics() {
        use serde_json::json;
        assert!(check_dynamic_value("Payload.$", &json!("$")).is_ok());
        assert!(check_dynamic_value("x.$", &json!("States.Format('{}-x', $.a)")).is_ok());
        assert!(check_dynamic_value("x.$", &json!("States.Nope($.a)")).is_err());
        assert!(check_dynamic_value("x.$", &json!("States.Format('a', $.a")).is_err());
        assert!(check_dynamic_value("x.$", &json!("Output")).is_err());
        assert!(check_dynamic_value("x.$", &json!(3)).is_err());
        assert!(check_dynamic_value("x.$", &json!("$.a[")).is_err());
    }
}
