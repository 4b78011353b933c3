//! `Retry` and `Catch`: which error a retrier or catcher matches, and how long
//! a retry waits on the virtual clock.

use serde_json::Value as Json;

use super::rng::Rng;

/// Whether `ErrorEquals` matches `error`. `States.ALL` matches everything but
/// `States.Runtime` (which cannot be retried or caught); `States.TaskFailed`
/// matches everything but `States.Timeout` and `States.Runtime`.
pub(super) fn matches(rule: &Json, error: &str) -> bool {
    let names = rule.get("ErrorEquals").and_then(Json::as_array);
    names
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .any(|name| match name {
            "States.ALL" => error != "States.Runtime",
            "States.TaskFailed" => error != "States.Runtime" && error != "States.Timeout",
            other => other == error,
        })
}

/// How many retries a retrier allows (`MaxAttempts`, default 3).
pub(super) fn max_attempts(retrier: &Json) -> u64 {
    retrier.get("MaxAttempts").and_then(Json::as_u64).unwrap_or(3)
}

/// Seconds before retry number `attempt` (from 0): `IntervalSeconds` (default 1)
/// times `BackoffRate` (default 2.0) to the power `attempt`, at most
/// `MaxDelaySeconds`; with `JitterStrategy: FULL`, a random share of it.
pub(super) fn delay(retrier: &Json, attempt: u64, rng: &mut Rng) -> f64 {
    let interval = retrier.get("IntervalSeconds").and_then(Json::as_f64).unwrap_or(1.0);
    let rate = retrier.get("BackoffRate").and_then(Json::as_f64).unwrap_or(2.0);
    let mut d = interval * rate.powi(i32::try_from(attempt).unwrap_or(i32::MAX));
    if let Some(max) = retrier.get("MaxDelaySeconds").and_then(Json::as_f64) {
        d = d.min(max);
    }
    if retrier.get("JitterStrategy").and_then(Json::as_str) == Some("FULL") {
        d *= rng.next_f64();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_names_match() {
        let all = json!({"ErrorEquals": ["States.ALL"]});
        assert!(matches(&all, "Lambda.ServiceException"));
        assert!(matches(&all, "States.Timeout"));
        assert!(!matches(&all, "States.Runtime"));
        let failed = json!({"ErrorEquals": ["States.TaskFailed"]});
        assert!(matches(&failed, "CustomError"));
        assert!(!matches(&failed, "States.Timeout"));
        let timeout = json!({"ErrorEquals": ["States.Timeout"]});
        assert!(matches(&timeout, "States.Timeout"));
        let named = json!({"ErrorEquals": ["A", "B"]});
        assert!(matches(&named, "B") && !matches(&named, "C"));
    }

    #[test]
    fn delays_back_off_up_to_the_maximum() {
        let mut rng = Rng::new("t");
        let r = json!({"IntervalSeconds": 2, "BackoffRate": 3.0, "MaxDelaySeconds": 30});
        let d: Vec<f64> = (0..4).map(|a| delay(&r, a, &mut rng)).collect();
        assert_eq!(d, [2.0, 6.0, 18.0, 30.0]);
        assert_eq!(delay(&json!({}), 1, &mut rng), 2.0, "defaults: 1 s, rate 2.0");
        let jitter = json!({"IntervalSeconds": 10, "JitterStrategy": "FULL"});
        let j = delay(&jitter, 0, &mut rng);
        assert!((0.0..10.0).contains(&j), "{j}");
        assert_eq!(max_attempts(&json!({})), 3);
    }
}
