//! Checking an execution against a test case's expectations.

use serde_json::Value as Json;

use super::{Execution, Expectations};

/// What does not hold, one line each. Without expectations, the execution must succeed.
pub(super) fn unmet(run: &Execution, expected: &Expectations) -> Vec<String> {
    let mut out = Vec::new();
    if expected.is_empty() && run.status != "SUCCEEDED" {
        out.push(format!(
            "the execution {} at '{}': {}: {} (a test case without expectations must succeed)",
            run.status,
            run.final_state.as_deref().unwrap_or_default(),
            run.error.as_deref().unwrap_or_default(),
            run.cause.as_deref().unwrap_or_default()
        ));
    }
    let mut check = |what: &str, want: &Option<String>, got: Option<&str>| {
        if let Some(want) = want {
            if Some(want.as_str()) != got {
                out.push(format!(
                    "{what}: expected '{want}', got {}",
                    got.map_or("none".into(), |g| format!("'{g}'"))
                ));
            }
        }
    };
    check("status", &expected.status, Some(&run.status));
    check("final state", &expected.final_state, run.final_state.as_deref());
    check("error", &expected.error, run.error.as_deref());
    check("cause", &expected.cause, run.cause.as_deref());
    if let Some(want) = &expected.output {
        match &run.output {
            Some(got) if contains(got, want) => {}
            Some(got) => out.push(format!("output: expected it to contain {want}, got {got}")),
            None => out.push(format!(
                "output: expected it to contain {want}, but the execution has no output"
            )),
        }
    }
    out
}

/// Whether `got` contains `want`: objects by key (recursively), anything else by equality.
fn contains(got: &Json, want: &Json) -> bool {
    match (got, want) {
        (Json::Object(g), Json::Object(w)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|x| contains(x, v))),
        _ => got == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run() -> Execution {
        Execution {
            status: "FAILED".into(),
            output: None,
            error: Some("E".into()),
            cause: Some("c".into()),
            final_state: Some("Boom".into()),
            path: vec!["Boom".into()],
            elapsed_seconds: 0.0,
            history: Vec::new(),
        }
    }

    #[test]
    fn each_expectation_is_checked() {
        let all_hold = Expectations {
            status: Some("FAILED".into()),
            final_state: Some("Boom".into()),
            error: Some("E".into()),
            cause: Some("c".into()),
            output: None,
        };
        assert!(unmet(&run(), &all_hold).is_empty());
        let wrong = Expectations {
            status: Some("SUCCEEDED".into()),
            final_state: Some("Done".into()),
            output: Some(json!({"a": 1})),
            ..Default::default()
        };
        let problems = unmet(&run(), &wrong);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].contains("expected 'SUCCEEDED', got 'FAILED'"),
            "{problems:?}"
        );
    }

    #[test]
    fn output_matches_by_containment() {
        assert!(contains(
            &json!({"a": {"b": 1, "c": 2}, "d": 3}),
            &json!({"a": {"b": 1}})
        ));
        assert!(!contains(&json!({"a": {"b": 1}}), &json!({"a": {"b": 2}})));
        assert!(!contains(&json!([1, 2]), &json!([1])));
    }
}
