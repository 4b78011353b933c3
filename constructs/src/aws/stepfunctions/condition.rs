//! Choice rule conditions: comparisons of a field of the state input with a
//! literal or another field, type tests, and `And`/`Or`/`Not`.

use serde_json::{json, Map, Value as Json};

/// A comparison operator of a Choice rule (without the `Path` suffix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `StringEquals`.
    StringEquals,
    /// `StringLessThan`.
    StringLessThan,
    /// `StringGreaterThan`.
    StringGreaterThan,
    /// `StringLessThanEquals`.
    StringLessThanEquals,
    /// `StringGreaterThanEquals`.
    StringGreaterThanEquals,
    /// `StringMatches`: a pattern where `*` matches any text (no `Path` form).
    StringMatches,
    /// `NumericEquals`.
    NumericEquals,
    /// `NumericLessThan`.
    NumericLessThan,
    /// `NumericGreaterThan`.
    NumericGreaterThan,
    /// `NumericLessThanEquals`.
    NumericLessThanEquals,
    /// `NumericGreaterThanEquals`.
    NumericGreaterThanEquals,
    /// `BooleanEquals`.
    BooleanEquals,
    /// `TimestampEquals`.
    TimestampEquals,
    /// `TimestampLessThan`.
    TimestampLessThan,
    /// `TimestampGreaterThan`.
    TimestampGreaterThan,
    /// `TimestampLessThanEquals`.
    TimestampLessThanEquals,
    /// `TimestampGreaterThanEquals`.
    TimestampGreaterThanEquals,
}

impl Comparison {
    /// The ASL operator name, e.g. `NumericEquals`.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::StringEquals => "StringEquals",
            Comparison::StringLessThan => "StringLessThan",
            Comparison::StringGreaterThan => "StringGreaterThan",
            Comparison::StringLessThanEquals => "StringLessThanEquals",
            Comparison::StringGreaterThanEquals => "StringGreaterThanEquals",
            Comparison::StringMatches => "StringMatches",
            Comparison::NumericEquals => "NumericEquals",
            Comparison::NumericLessThan => "NumericLessThan",
            Comparison::NumericGreaterThan => "NumericGreaterThan",
            Comparison::NumericLessThanEquals => "NumericLessThanEquals",
            Comparison::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Comparison::BooleanEquals => "BooleanEquals",
            Comparison::TimestampEquals => "TimestampEquals",
            Comparison::TimestampLessThan => "TimestampLessThan",
            Comparison::TimestampGreaterThan => "TimestampGreaterThan",
            Comparison::TimestampLessThanEquals => "TimestampLessThanEquals",
            Comparison::TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
        }
    }
}

/// A type test of a Choice rule: `IsPresent`, `IsNull`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeTest {
    /// `IsPresent`: the field exists.
    IsPresent,
    /// `IsNull`: the field is `null`.
    IsNull,
    /// `IsString`.
    IsString,
    /// `IsNumeric`.
    IsNumeric,
    /// `IsBoolean`.
    IsBoolean,
    /// `IsTimestamp`.
    IsTimestamp,
}

impl TypeTest {
    /// The ASL operator name.
    pub fn as_str(self) -> &'static str {
        match self {
            TypeTest::IsPresent => "IsPresent",
            TypeTest::IsNull => "IsNull",
            TypeTest::IsString => "IsString",
            TypeTest::IsNumeric => "IsNumeric",
            TypeTest::IsBoolean => "IsBoolean",
            TypeTest::IsTimestamp => "IsTimestamp",
        }
    }
}

/// What a field is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A literal string (string and timestamp comparisons).
    Str(String),
    /// A literal number.
    Number(serde_json::Number),
    /// A literal boolean.
    Bool(bool),
    /// Another field of the input: renders the `...Path` form of the operator.
    Path(String),
}

/// A condition of a Choice rule.
///
/// ```
/// use constructs::aws::stepfunctions::Condition;
/// let pending = Condition::or([
///     Condition::string_equals("$.Output.Payload.CommandInvocations[0].Status", "Pending"),
///     Condition::string_equals("$.Output.Payload.CommandInvocations[0].Status", "InProgress"),
/// ]);
/// assert!(pending.to_json().get("Or").is_some());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `Variable` compared with an operand.
    Compare {
        /// The field of the input, a JSONPath.
        variable: String,
        /// The operator.
        op: Comparison,
        /// The literal or the other field.
        operand: Operand,
    },
    /// A type test of `Variable`; `expected: false` negates it (e.g. `IsPresent: false`).
    Test {
        /// The field of the input, a JSONPath.
        variable: String,
        /// The test.
        test: TypeTest,
        /// The expected outcome.
        expected: bool,
    },
    /// All conditions hold.
    And(Vec<Condition>),
    /// Any condition holds.
    Or(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
    /// A JSONata condition (`Condition: "{% ... %}"`), for a Choice in a
    /// JSONata state: it holds when the expression is `true`.
    Jsonata(String),
}

macro_rules! comparisons {
    ($( $(#[$m:meta])* $lit:ident, $path:ident, $op:ident, $ty:ty, $variant:ident; )*) => {$(
        $(#[$m])*
        pub fn $lit(variable: impl Into<String>, value: $ty) -> Condition {
            Condition::Compare { variable: variable.into(), op: Comparison::$op, operand: Operand::$variant(value.into()) }
        }
        /// The `Path` form: compares with another field of the input.
        pub fn $path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
            Condition::Compare { variable: variable.into(), op: Comparison::$op, operand: Operand::Path(other.into()) }
        }
    )*};
}

impl Condition {
    comparisons! {
        /// `StringEquals`.
        string_equals, string_equals_path, StringEquals, &str, Str;
        /// `StringLessThan`.
        string_less_than, string_less_than_path, StringLessThan, &str, Str;
        /// `StringGreaterThan`.
        string_greater_than, string_greater_than_path, StringGreaterThan, &str, Str;
        /// `StringLessThanEquals`.
        string_less_than_equals, string_less_than_equals_path, StringLessThanEquals, &str, Str;
        /// `StringGreaterThanEquals`.
        string_greater_than_equals, string_greater_than_equals_path, StringGreaterThanEquals, &str, Str;
        /// `BooleanEquals`.
        boolean_equals, boolean_equals_path, BooleanEquals, bool, Bool;
        /// `TimestampEquals` (an RFC 3339 timestamp).
        timestamp_equals, timestamp_equals_path, TimestampEquals, &str, Str;
        /// `TimestampLessThan`.
        timestamp_less_than, timestamp_less_than_path, TimestampLessThan, &str, Str;
        /// `TimestampGreaterThan`.
        timestamp_greater_than, timestamp_greater_than_path, TimestampGreaterThan, &str, Str;
        /// `TimestampLessThanEquals`.
        timestamp_less_than_equals, timestamp_less_than_equals_path, TimestampLessThanEquals, &str, Str;
        /// `TimestampGreaterThanEquals`.
        timestamp_greater_than_equals, timestamp_greater_than_equals_path, TimestampGreaterThanEquals, &str, Str;
    }

    /// `StringMatches`: `*` matches any text, `\*` a literal star.
    pub fn string_matches(variable: impl Into<String>, pattern: &str) -> Condition {
        Condition::Compare {
            variable: variable.into(),
            op: Comparison::StringMatches,
            operand: Operand::Str(pattern.to_owned()),
        }
    }

    fn numeric(variable: impl Into<String>, op: Comparison, value: impl Into<serde_json::Number>) -> Condition {
        Condition::Compare {
            variable: variable.into(),
            op,
            operand: Operand::Number(value.into()),
        }
    }

    fn numeric_path(variable: impl Into<String>, op: Comparison, other: impl Into<String>) -> Condition {
        Condition::Compare {
            variable: variable.into(),
            op,
            operand: Operand::Path(other.into()),
        }
    }

    /// `NumericEquals` with an integer (use [`Condition::numeric_equals_float`] for decimals).
    pub fn numeric_equals(variable: impl Into<String>, value: i64) -> Condition {
        Condition::numeric(variable, Comparison::NumericEquals, value)
    }
    /// `NumericEquals` with a decimal number (a non-finite number renders as `null`, an invalid rule).
    pub fn numeric_equals_float(variable: impl Into<String>, value: f64) -> Condition {
        Condition::Compare {
            variable: variable.into(),
            op: Comparison::NumericEquals,
            operand: serde_json::Number::from_f64(value).map_or(Operand::Str(String::new()), Operand::Number),
        }
    }
    /// `NumericEqualsPath`.
    pub fn numeric_equals_path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
        Condition::numeric_path(variable, Comparison::NumericEquals, other)
    }
    /// `NumericLessThan`.
    pub fn numeric_less_than(variable: impl Into<String>, value: i64) -> Condition {
        Condition::numeric(variable, Comparison::NumericLessThan, value)
    }
    /// `NumericLessThanPath`.
    pub fn numeric_less_than_path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
        Condition::numeric_path(variable, Comparison::NumericLessThan, other)
    }
    /// `NumericGreaterThan`.
    pub fn numeric_greater_than(variable: impl Into<String>, value: i64) -> Condition {
        Condition::numeric(variable, Comparison::NumericGreaterThan, value)
    }
    /// `NumericGreaterThanPath`.
    pub fn numeric_greater_than_path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
        Condition::numeric_path(variable, Comparison::NumericGreaterThan, other)
    }
    /// `NumericLessThanEquals`.
    pub fn numeric_less_than_equals(variable: impl Into<String>, value: i64) -> Condition {
        Condition::numeric(variable, Comparison::NumericLessThanEquals, value)
    }
    /// `NumericLessThanEqualsPath`.
    pub fn numeric_less_than_equals_path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
        Condition::numeric_path(variable, Comparison::NumericLessThanEquals, other)
    }
    /// `NumericGreaterThanEquals`.
    pub fn numeric_greater_than_equals(variable: impl Into<String>, value: i64) -> Condition {
        Condition::numeric(variable, Comparison::NumericGreaterThanEquals, value)
    }
    /// `NumericGreaterThanEqualsPath`.
    pub fn numeric_greater_than_equals_path(variable: impl Into<String>, other: impl Into<String>) -> Condition {
        Condition::numeric_path(variable, Comparison::NumericGreaterThanEquals, other)
    }

    fn test(variable: impl Into<String>, test: TypeTest, expected: bool) -> Condition {
        Condition::Test {
            variable: variable.into(),
            test,
            expected,
        }
    }

    /// `IsPresent: true`: the field exists (a comparison of a missing field is a runtime error).
    pub fn is_present(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsPresent, true)
    }
    /// `IsPresent: false`.
    pub fn is_not_present(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsPresent, false)
    }
    /// `IsNull: true`.
    pub fn is_null(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsNull, true)
    }
    /// `IsString: true`.
    pub fn is_string(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsString, true)
    }
    /// `IsNumeric: true`.
    pub fn is_numeric(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsNumeric, true)
    }
    /// `IsBoolean: true`.
    pub fn is_boolean(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsBoolean, true)
    }
    /// `IsTimestamp: true`.
    pub fn is_timestamp(variable: impl Into<String>) -> Condition {
        Condition::test(variable, TypeTest::IsTimestamp, true)
    }

    /// All of the conditions hold (at least one is needed).
    pub fn and(conditions: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::And(conditions.into_iter().collect())
    }
    /// Any of the conditions holds (at least one is needed).
    pub fn or(conditions: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::Or(conditions.into_iter().collect())
    }
    /// The condition does not hold.
    #[expect(
        clippy::should_implement_trait,
        reason = "mirrors the ASL operator name, as And/Or do"
    )]
    pub fn not(condition: Condition) -> Condition {
        Condition::Not(Box::new(condition))
    }

    /// The rule as ASL JSON (without `Next`).
    pub fn to_json(&self) -> Json {
        match self {
            Condition::Compare { variable, op, operand } => {
                let mut m = Map::new();
                m.insert("Variable".into(), Json::String(variable.clone()));
                let (key, value) = match operand {
                    Operand::Str(s) => (op.as_str().to_owned(), Json::String(s.clone())),
                    Operand::Number(n) => (op.as_str().to_owned(), Json::Number(n.clone())),
                    Operand::Bool(b) => (op.as_str().to_owned(), Json::Bool(*b)),
                    Operand::Path(p) => (format!("{}Path", op.as_str()), Json::String(p.clone())),
                };
                m.insert(key, value);
                Json::Object(m)
            }
            Condition::Test {
                variable,
                test,
                expected,
            } => {
                json!({ "Variable": variable, test.as_str(): expected })
            }
            Condition::And(cs) => json!({ "And": cs.iter().map(Condition::to_json).collect::<Vec<_>>() }),
            Condition::Or(cs) => json!({ "Or": cs.iter().map(Condition::to_json).collect::<Vec<_>>() }),
            Condition::Not(c) => json!({ "Not": c.to_json() }),
            Condition::Jsonata(e) => json!({ "Condition": e }),
        }
    }

    /// A JSONata condition, e.g. `{% $states.input.count > 3 %}` (the `{% %}`
    /// are added when missing). Only for Choice states in JSONata.
    ///
    /// ```
    /// use constructs::aws::stepfunctions::Condition;
    /// assert_eq!(
    ///     Condition::jsonata("$count > 3").to_json(),
    ///     serde_json::json!({ "Condition": "{% $count > 3 %}" })
    /// );
    /// ```
    pub fn jsonata(expression: impl Into<String>) -> Condition {
        Condition::Jsonata(jsonata_expression(&expression.into()))
    }
}

/// `expression` as a JSONata field value: wrapped in `{% %}` unless it is already.
pub(crate) fn jsonata_expression(expression: &str) -> String {
    let t = expression.trim();
    if t.starts_with("{%") && t.ends_with("%}") {
        t.to_owned()
    } else {
        format!("{{% {t} %}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_literal_and_path_forms() {
        assert_eq!(
            Condition::numeric_equals("$.a", 80).to_json(),
            json!({ "Variable": "$.a", "NumericEquals": 80 })
        );
        assert_eq!(
            Condition::string_equals_path("$.a", "$.b").to_json(),
            json!({ "Variable": "$.a", "StringEqualsPath": "$.b" })
        );
        assert_eq!(
            Condition::is_not_present("$.a").to_json(),
            json!({ "Variable": "$.a", "IsPresent": false })
        );
        assert_eq!(
            Condition::not(Condition::boolean_equals("$.x", true)).to_json(),
            json!({ "Not": { "Variable": "$.x", "BooleanEquals": true } })
        );
    }
}
