//! Schedule expressions of EventBridge rules: `rate(...)` and `cron(...)`,
//! checked with the rules EventBridge applies, with errors that say what to fix.

use std::fmt;

/// The unit of a `rate(...)` expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateUnit {
    /// Minutes (at least 1).
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

impl RateUnit {
    fn word(self, amount: u64) -> &'static str {
        match (self, amount == 1) {
            (RateUnit::Minutes, true) => "minute",
            (RateUnit::Minutes, false) => "minutes",
            (RateUnit::Hours, true) => "hour",
            (RateUnit::Hours, false) => "hours",
            (RateUnit::Days, true) => "day",
            (RateUnit::Days, false) => "days",
        }
    }
}

/// Why a schedule expression is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Neither `rate(...)` nor `cron(...)`.
    #[error("schedule '{0}' must be rate(VALUE UNIT) or cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)")]
    UnknownForm(String),
    /// The value of a rate is not a positive whole number.
    #[error("rate '{0}': the value must be a whole number of at least 1, e.g. rate(5 minutes)")]
    RateValue(String),
    /// The unit of a rate is unknown.
    #[error("rate '{0}': the unit must be minute(s), hour(s) or day(s)")]
    RateUnit(String),
    /// Singular and plural are mixed up.
    #[error("rate '{expr}': use '{want}' for a value of {value} (singular for 1, plural otherwise)")]
    RatePlural {
        /// The expression.
        expr: String,
        /// The value.
        value: u64,
        /// The correct unit word.
        want: String,
    },
    /// A cron expression has the wrong number of fields.
    #[error("cron '{expr}' has {count} fields; EventBridge cron has 6: minutes hours day-of-month month day-of-week year, e.g. cron(0 12 * * ? *)")]
    CronFieldCount {
        /// The expression.
        expr: String,
        /// The number of fields found.
        count: usize,
    },
    /// Day-of-month and day-of-week are both given, or both `?`.
    #[error("cron '{0}': exactly one of day-of-month (field 3) and day-of-week (field 5) must be '?', e.g. cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)")]
    CronQuestionMark(String),
    /// A field is malformed or out of range.
    #[error("cron '{expr}': {field} '{value}' {problem}")]
    CronField {
        /// The expression.
        expr: String,
        /// The field's name.
        field: &'static str,
        /// The field's text.
        value: String,
        /// What is wrong.
        problem: String,
    },
}

/// When a scheduled rule runs: `rate(...)` or `cron(...)` (in UTC).
///
/// Constructors never fail; [`Schedule::validate`] (called by the rule at
/// construction, the error recorded on the rule) says what is wrong.
///
/// ```
/// use constructs::aws::events::{RateUnit, Schedule};
/// assert_eq!(Schedule::rate(1, RateUnit::Hours).expression(), "rate(1 hour)");
/// assert!(Schedule::cron("0 12 ? * MON-FRI *").validate().is_ok());
/// assert!(Schedule::cron("0 12 * * MON-FRI *").validate().is_err()); // one of the day fields must be '?'
/// assert!(Schedule::parse("rate(1 minutes)").validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    expression: String,
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl Schedule {
    /// Every `amount` units; the unit word is singular for 1 and plural otherwise.
    pub fn rate(amount: u64, unit: RateUnit) -> Schedule {
        Schedule {
            expression: format!("rate({amount} {})", unit.word(amount)),
        }
    }

    /// A cron schedule from its six fields (`cron(...)` around them is optional):
    /// `minutes hours day-of-month month day-of-week year`, in UTC.
    pub fn cron(fields: &str) -> Schedule {
        let t = fields.trim();
        let expression = if t.starts_with("cron(") {
            t.to_owned()
        } else {
            format!("cron({t})")
        };
        Schedule { expression }
    }

    /// A schedule expression as EventBridge takes it: `rate(...)` or `cron(...)`.
    pub fn parse(expression: &str) -> Schedule {
        Schedule {
            expression: expression.trim().to_owned(),
        }
    }

    /// The expression, e.g. `cron(0 12 * * ? *)`.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Checks the expression.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let e = self.expression.as_str();
        if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            validate_rate(e, inner)
        } else if let Some(inner) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            validate_cron(e, inner)
        } else {
            Err(ScheduleError::UnknownForm(e.to_owned()))
        }
    }
}

fn validate_rate(expr: &str, inner: &str) -> Result<(), ScheduleError> {
    let parts: Vec<&str> = inner.split_whitespace().collect();
    let [value, unit] = parts.as_slice() else {
        return Err(ScheduleError::RateValue(expr.to_owned()));
    };
    let value: u64 = match value.parse() {
        Ok(v) if v >= 1 && value.chars().all(|c| c.is_ascii_digit()) => v,
        _ => return Err(ScheduleError::RateValue(expr.to_owned())),
    };
    let unit_kind = match *unit {
        "minute" | "minutes" => RateUnit::Minutes,
        "hour" | "hours" => RateUnit::Hours,
        "day" | "days" => RateUnit::Days,
        _ => return Err(ScheduleError::RateUnit(expr.to_owned())),
    };
    let want = unit_kind.word(value);
    if *unit != want {
        return Err(ScheduleError::RatePlural {
            expr: expr.to_owned(),
            value,
            want: want.to_owned(),
        });
    }
    Ok(())
}

struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [FieldSpec; 6] = [
    FieldSpec {
        name: "minutes (field 1)",
        min: 0,
        max: 59,
        names: &[],
    },
    FieldSpec {
        name: "hours (field 2)",
        min: 0,
        max: 23,
        names: &[],
    },
    FieldSpec {
        name: "day-of-month (field 3)",
        min: 1,
        max: 31,
        names: &[],
    },
    FieldSpec {
        name: "month (field 4)",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    FieldSpec {
        name: "day-of-week (field 5)",
        min: 1,
        max: 7,
        names: DAYS,
    },
    FieldSpec {
        name: "year (field 6)",
        min: 1970,
        max: 2199,
        names: &[],
    },
];

fn validate_cron(expr: &str, inner: &str) -> Result<(), ScheduleError> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(ScheduleError::CronFieldCount {
            expr: expr.to_owned(),
            count: fields.len(),
        });
    }
    if (fields[2] == "?") == (fields[4] == "?") {
        return Err(ScheduleError::CronQuestionMark(expr.to_owned()));
    }
    for (i, (text, spec)) in fields.iter().zip(FIELDS.iter()).enumerate() {
        check_field(i, text, spec).map_err(|problem| ScheduleError::CronField {
            expr: expr.to_owned(),
            field: spec.name,
            value: (*text).to_owned(),
            problem,
        })?;
    }
    Ok(())
}

/// A single value: a number in range, or a name (months, days of week).
fn value(text: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Some(pos) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(spec.min + pos as u32);
    }
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        let names = if spec.names.is_empty() {
            String::new()
        } else {
            format!(" or {}-{}", spec.names[0], spec.names[spec.names.len() - 1])
        };
        return Err(format!(
            "has '{text}', which is not a number {}-{}{names}",
            spec.min, spec.max
        ));
    }
    match text.parse::<u32>() {
        Ok(v) if (spec.min..=spec.max).contains(&v) => Ok(v),
        _ => Err(format!("has {text}, out of range {}-{}", spec.min, spec.max)),
    }
}

fn check_field(index: usize, text: &str, spec: &FieldSpec) -> Result<(), String> {
    let is_dom = index == 2;
    let is_dow = index == 4;
    if text == "?" {
        return if is_dom || is_dow {
            Ok(())
        } else {
            Err("may not be '?': only day-of-month and day-of-week take '?'".into())
        };
    }
    for item in text.split(',') {
        if item.is_empty() {
            return Err("has an empty list item (check the commas)".into());
        }
        if item == "?" {
            return Err("may use '?' only alone".into());
        }
        // Special day forms.
        if is_dom && (item == "L" || item == "LW") {
            continue;
        }
        if is_dom {
            if let Some(d) = item.strip_suffix('W') {
                value(d, spec).map_err(|e| format!("{e} (before 'W', the weekday nearest a day)"))?;
                continue;
            }
        }
        if is_dow && item == "L" {
            continue;
        }
        if is_dow {
            if let Some(d) = item.strip_suffix('L') {
                value(d, spec).map_err(|e| format!("{e} (before 'L', the last such weekday)"))?;
                continue;
            }
            if let Some((d, n)) = item.split_once('#') {
                value(d, spec)?;
                if !matches!(n, "1" | "2" | "3" | "4" | "5") {
                    return Err(format!("has '#{n}': the week of the month must be 1-5"));
                }
                continue;
            }
        }
        if spec.names.is_empty() && (item.contains('L') || item.contains('W')) {
            return Err(format!(
                "has '{item}': {}",
                if is_dom {
                    "day-of-month takes L, LW and nW (n a day) as whole items"
                } else {
                    "only day-of-month and day-of-week take L and W"
                }
            ));
        }
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(s) = step {
            match s.parse::<u32>() {
                Ok(n) if n >= 1 && s.chars().all(|c| c.is_ascii_digit()) => {}
                _ => {
                    return Err(format!(
                        "has '/{s}': the increment must be a whole number of at least 1"
                    ))
                }
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                value(a, spec)?;
                value(b, spec)?;
            }
            None => {
                value(range, spec)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(expr: &str) -> String {
        Schedule::parse(expr).validate().expect_err(expr).to_string()
    }

    #[test]
    fn rates_build_the_right_unit_word() {
        assert_eq!(Schedule::rate(1, RateUnit::Minutes).expression(), "rate(1 minute)");
        assert_eq!(Schedule::rate(5, RateUnit::Minutes).expression(), "rate(5 minutes)");
        assert_eq!(Schedule::rate(1, RateUnit::Days).expression(), "rate(1 day)");
        assert_eq!(Schedule::rate(2, RateUnit::Hours).expression(), "rate(2 hours)");
        for ok in ["rate(1 minute)", "rate(10 minutes)", "rate(1 hour)", "rate(7 days)"] {
            assert_eq!(Schedule::parse(ok).validate(), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rate_errors() {
        assert!(err("rate(1 minutes)").contains("use 'minute' for a value of 1"));
        assert!(err("rate(5 hour)").contains("use 'hours' for a value of 5"));
        assert!(err("rate(0 minutes)").contains("at least 1"));
        assert!(err("rate(-1 minutes)").contains("at least 1"));
        assert!(err("rate(1.5 hours)").contains("at least 1"));
        assert!(err("rate(5 seconds)").contains("minute(s), hour(s) or day(s)"));
        assert!(err("rate(5)").contains("at least 1"));
        assert!(Schedule::rate(0, RateUnit::Minutes).validate().is_err());
    }

    #[test]
    fn crons_that_eventbridge_accepts() {
        for ok in [
            "0 12 * * ? *",
            "15 10 ? * 6L 2026-2030",
            "0/15 * * * ? *",
            "0 18 ? * MON-FRI *",
            "0 8 1 * ? *",
            "0/5 8-17 ? * MON-FRI *",
            "0 9 ? * 2#1 *",
            "0 0 L * ? *",
            "0 0 LW * ? *",
            "0 0 15W * ? *",
            "0 0 ? * L *",
            "5,35 14 * JAN,MAR ? 2026",
            "0 22 ? * SUN *",
        ] {
            assert_eq!(Schedule::cron(ok).validate(), Ok(()), "{ok}");
        }
        assert_eq!(Schedule::cron("cron(0 12 * * ? *)").expression(), "cron(0 12 * * ? *)");
    }

    #[test]
    fn cron_errors() {
        let cases = [
            ("cron(0 12 * * *)", "has 5 fields"),
            ("cron(0 12 * * ? * *)", "has 7 fields"),
            ("cron(0 12 * * MON *)", "exactly one of day-of-month"),
            ("cron(0 12 ? * ? *)", "exactly one of day-of-month"),
            (
                "cron(60 12 * * ? *)",
                "minutes (field 1) '60' has 60, out of range 0-59",
            ),
            ("cron(0 24 * * ? *)", "hours (field 2) '24' has 24, out of range 0-23"),
            (
                "cron(0 12 32 * ? *)",
                "day-of-month (field 3) '32' has 32, out of range 1-31",
            ),
            ("cron(0 12 0 * ? *)", "out of range 1-31"),
            ("cron(0 12 * 13 ? *)", "month (field 4) '13' has 13, out of range 1-12"),
            ("cron(0 12 * FOO ? *)", "not a number 1-12 or JAN-DEC"),
            ("cron(0 12 ? * 8 *)", "out of range 1-7"),
            ("cron(0 12 ? * MON-FUN *)", "not a number 1-7 or SUN-SAT"),
            ("cron(0 12 * * ? 1969)", "out of range 1970-2199"),
            ("cron(0/0 12 * * ? *)", "increment must be a whole number of at least 1"),
            ("cron(0 ? * * ? *)", "only day-of-month and day-of-week take '?'"),
            ("cron(0 12 * * ? *,)", "empty list item"),
            ("cron(0 12 ? * 2#6 *)", "week of the month must be 1-5"),
            ("cron(0 L * * ? *)", "only day-of-month and day-of-week take L and W"),
            ("cron(a 12 * * ? *)", "not a number 0-59"),
            ("every day", "must be rate(VALUE UNIT) or cron("),
        ];
        for (expr, want) in cases {
            let e = err(expr);
            assert!(e.contains(want), "{expr}: {e}");
        }
    }
}
