//! Choice rules: every comparison operator, `And`, `Or` and `Not`.

use serde_json::Value as Json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::paths;
use super::Failure;

/// Whether `rule` holds for the state's input.
pub(super) fn holds(rule: &Json, input: &Json, context: &Json) -> Result<bool, Failure> {
    if let Some(all) = rule.get("And").and_then(Json::as_array) {
        for r in all {
            if !holds(r, input, context)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(any) = rule.get("Or").and_then(Json::as_array) {
        for r in any {
            if holds(r, input, context)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(not) = rule.get("Not") {
        return Ok(!holds(not, input, context)?);
    }
    let variable = rule
        .get("Variable")
        .and_then(Json::as_str)
        .ok_or_else(|| Failure::runtime(format!("The Choice rule {} has no Variable", paths::compact(rule))))?;
    let Some((operator, operand)) = rule.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| !matches!(k.as_str(), "Variable" | "Next" | "Assign"))
    }) else {
        return Err(Failure::runtime(format!(
            "The Choice rule {} has no comparison",
            paths::compact(rule)
        )));
    };
    if operator == "IsPresent" {
        return Ok(paths::exists(variable, input, context)? == operand.as_bool().unwrap_or(true));
    }
    let value = paths::read(variable, input, context).map_err(|_| {
        Failure::runtime(format!(
            "Invalid path '{variable}': The choice state's condition path references an invalid value."
        ))
    })?;
    let (op, operand) = match operator.strip_suffix("Path") {
        Some(op) if !operator.starts_with("Is") => (op, paths::read(operand.as_str().unwrap_or("$"), input, context)?),
        _ => (operator.as_str(), operand.clone()),
    };
    let expected = operand.as_bool();
    Ok(match op {
        "IsNull" => value.is_null() == expected.unwrap_or(true),
        "IsNumeric" => value.is_number() == expected.unwrap_or(true),
        "IsString" => value.is_string() == expected.unwrap_or(true),
        "IsBoolean" => value.is_boolean() == expected.unwrap_or(true),
        "IsTimestamp" => timestamp(&value).is_some() == expected.unwrap_or(true),
        "BooleanEquals" => value.is_boolean() && value == operand,
        "StringMatches" => match (value.as_str(), operand.as_str()) {
            (Some(v), Some(p)) => wildcard(v, p),
            _ => false,
        },
        _ => compare(op, &value, &operand)
            .ok_or_else(|| Failure::runtime(format!("'{operator}' is not a Choice comparison operator")))?,
    })
}

/// `StringEquals`, `NumericLessThan`, `TimestampGreaterThanEquals` ...: `None`
/// for an unknown operator; false when a value has the wrong type.
fn compare(op: &str, value: &Json, operand: &Json) -> Option<bool> {
    let (kind, relation) = ["String", "Numeric", "Timestamp"]
        .iter()
        .find_map(|k| op.strip_prefix(k).map(|r| (*k, r)))?;
    let ordering = match kind {
        "String" => value.as_str().zip(operand.as_str()).map(|(a, b)| a.cmp(b)),
        "Numeric" => value
            .as_f64()
            .zip(operand.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        _ => timestamp(value).zip(timestamp(operand)).map(|(a, b)| a.cmp(&b)),
    };
    let test: fn(std::cmp::Ordering) -> bool = match relation {
        "Equals" => std::cmp::Ordering::is_eq,
        "LessThan" => std::cmp::Ordering::is_lt,
        "GreaterThan" => std::cmp::Ordering::is_gt,
        "LessThanEquals" => std::cmp::Ordering::is_le,
        "GreaterThanEquals" => std::cmp::Ordering::is_ge,
        _ => return None,
    };
    Some(ordering.is_some_and(test))
}

/// An RFC 3339 timestamp (`2026-01-01T00:00:00Z`), as Choice rules read them.
pub(super) fn timestamp(v: &Json) -> Option<OffsetDateTime> {
    v.as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

/// `StringMatches`: `*` matches any run of characters; `\*` and `\\` are literal.
fn wildcard(value: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Any,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.extend(chars.next().map(Tok::Char)),
            '*' => toks.push(Tok::Any),
            c => toks.push(Tok::Char(c)),
        }
    }
    let v: Vec<char> = value.chars().collect();
    // dp[j]: the first i characters of the value match the first j tokens.
    let mut dp = vec![false; toks.len() + 1];
    dp[0] = true;
    for j in 1..=toks.len() {
        dp[j] = dp[j - 1] && toks[j - 1] == Tok::Any;
    }
    for &c in &v {
        let mut next = vec![false; toks.len() + 1];
        for j in 1..=toks.len() {
            next[j] = match toks[j - 1] {
                Tok::Any => next[j - 1] || dp[j],
                Tok::Char(t) => dp[j - 1] && t == c,
            };
        }
        dp = next;
    }
    dp[toks.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> Json {
        json!({
            "s": "web-01", "n": 5, "f": 2.5, "b": true, "z": null,
            "t": "2026-01-01T00:00:00Z", "later": "2026-01-01T09:00:00+08:00", "other": 5
        })
    }

    fn h(rule: Json) -> bool {
        holds(&rule, &input(), &json!({})).unwrap_or_else(|f| panic!("{rule}: {f:?}"))
    }

    #[test]
    fn string_comparisons() {
        assert!(h(json!({"Variable": "$.s", "StringEquals": "web-01"})));
        assert!(
            !h(json!({"Variable": "$.n", "StringEquals": "5"})),
            "a number is not a string"
        );
        assert!(h(json!({"Variable": "$.s", "StringLessThan": "web-02"})));
        assert!(h(json!({"Variable": "$.s", "StringGreaterThan": "web-00"})));
        assert!(h(json!({"Variable": "$.s", "StringLessThanEquals": "web-01"})));
        assert!(h(json!({"Variable": "$.s", "StringGreaterThanEquals": "web-01"})));
        assert!(h(json!({"Variable": "$.s", "StringMatches": "web-*"})));
        assert!(!h(json!({"Variable": "$.s", "StringMatches": "db-*"})));
        assert!(h(json!({"Variable": "$.s", "StringEqualsPath": "$.s"})));
    }

    #[test]
    fn numeric_comparisons() {
        assert!(h(json!({"Variable": "$.n", "NumericEquals": 5})));
        assert!(h(json!({"Variable": "$.n", "NumericEquals": 5.0})));
        assert!(h(json!({"Variable": "$.f", "NumericLessThan": 3})));
        assert!(h(json!({"Variable": "$.f", "NumericGreaterThan": 2})));
        assert!(h(json!({"Variable": "$.n", "NumericLessThanEquals": 5})));
        assert!(h(json!({"Variable": "$.n", "NumericGreaterThanEquals": 5})));
        assert!(h(json!({"Variable": "$.n", "NumericEqualsPath": "$.other"})));
        assert!(!h(json!({"Variable": "$.n", "NumericGreaterThanPath": "$.other"})));
        assert!(
            !h(json!({"Variable": "$.s", "NumericEquals": 5})),
            "a string is not a number"
        );
    }

    #[test]
    fn boolean_timestamp_and_type_tests() {
        assert!(h(json!({"Variable": "$.b", "BooleanEquals": true})));
        assert!(h(json!({"Variable": "$.b", "BooleanEqualsPath": "$.b"})));
        assert!(h(
            json!({"Variable": "$.t", "TimestampEquals": "2026-01-01T01:00:00+01:00"})
        ));
        assert!(h(
            json!({"Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:01Z"})
        ));
        assert!(!h(
            json!({"Variable": "$.t", "TimestampGreaterThan": "2026-01-01T00:00:00Z"})
        ));
        assert!(h(
            json!({"Variable": "$.later", "TimestampGreaterThanEquals": "2026-01-01T01:00:00Z"})
        ));
        assert!(h(json!({"Variable": "$.t", "TimestampLessThanEqualsPath": "$.later"})));
        assert!(h(json!({"Variable": "$.z", "IsNull": true})));
        assert!(h(json!({"Variable": "$.n", "IsNumeric": true})));
        assert!(h(json!({"Variable": "$.s", "IsString": true})));
        assert!(h(json!({"Variable": "$.b", "IsBoolean": true})));
        assert!(h(json!({"Variable": "$.t", "IsTimestamp": true})));
        assert!(h(json!({"Variable": "$.s", "IsTimestamp": false})));
        assert!(h(json!({"Variable": "$.nope", "IsPresent": false})));
        assert!(h(json!({"Variable": "$.z", "IsPresent": true})));
    }

    #[test]
    fn and_or_not() {
        let yes = json!({"Variable": "$.n", "NumericEquals": 5});
        let no = json!({"Variable": "$.n", "NumericEquals": 6});
        assert!(h(json!({"And": [yes, yes]})));
        assert!(!h(json!({"And": [yes, no]})));
        assert!(h(json!({"Or": [no, yes]})));
        assert!(!h(json!({"Or": [no, no]})));
        assert!(h(json!({"Not": no})));
        assert!(h(json!({"Not": {"Not": yes}})));
    }

    #[test]
    fn a_missing_variable_is_a_runtime_failure() {
        let f = holds(
            &json!({"Variable": "$.nope", "StringEquals": "x"}),
            &input(),
            &json!({}),
        )
        .expect_err("an error");
        assert_eq!(f.error, "States.Runtime");
        assert!(f.cause.contains("Invalid path '$.nope'"), "{}", f.cause);
    }

    #[test]
    fn string_matches_wildcards() {
        assert!(wildcard("log-2026.txt", "log-*.txt"));
        assert!(wildcard("a*b", r"a\*b"));
        assert!(!wildcard("axb", r"a\*b"));
        assert!(wildcard("", "*"));
        assert!(!wildcard("abc", "a*d"));
    }
}
