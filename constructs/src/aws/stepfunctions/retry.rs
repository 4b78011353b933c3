//! Error handling of Task, Map and Parallel states: `Retry` and `Catch`.

use serde_json::{json, Map, Value as Json};

/// Names of the errors Step Functions itself raises, for `ErrorEquals`.
pub struct Errors;

impl Errors {
    /// Matches any error; must be alone and in the last retrier or catcher.
    pub const ALL: &'static str = "States.ALL";
    /// A task ran longer than its `TimeoutSeconds`.
    pub const TIMEOUT: &'static str = "States.Timeout";
    /// A task failed.
    pub const TASKS_FAILED: &'static str = "States.TaskFailed";
    /// The execution role lacks a permission.
    pub const PERMISSIONS: &'static str = "States.Permissions";
    /// A task's result was larger than allowed.
    pub const RESULT_PATH_MATCH_FAILURE: &'static str = "States.ResultPathMatchFailure";
    /// A branch of a Parallel state failed.
    pub const BRANCH_FAILED: &'static str = "States.BranchFailed";
    /// No Choice rule matched and there is no `Default`.
    pub const NO_CHOICE_MATCHED: &'static str = "States.NoChoiceMatched";
    /// A heartbeat was missed.
    pub const HEARTBEAT_TIMEOUT: &'static str = "States.HeartbeatTimeout";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &'static str = "States.IntrinsicFailure";
    /// A runtime error (e.g. a path that does not exist in the input).
    pub const RUNTIME: &'static str = "States.Runtime";
}

/// How retry intervals are randomized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JitterStrategy {
    /// No jitter (`NONE`): the ASL default.
    #[default]
    None,
    /// Full jitter (`FULL`): spreads retries of many executions.
    Full,
}

/// A retrier: which errors to retry and how.
///
/// ```
/// use constructs::aws::stepfunctions::Retry;
/// let r = Retry { errors: vec!["CommandNotYetCompleteError".into()], interval_seconds: Some(10), ..Default::default() };
/// assert_eq!(r.to_json()["IntervalSeconds"], 10);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// The error names (`ErrorEquals`). Default: `["States.ALL"]`.
    pub errors: Vec<String>,
    /// Seconds before the first retry. Default: the ASL default, 1.
    pub interval_seconds: Option<u32>,
    /// Maximum number of retries (0 disables). Default: the ASL default, 3.
    pub max_attempts: Option<u32>,
    /// Multiplier of the interval per attempt (at least 1.0). Default: the ASL default, 2.0.
    pub backoff_rate: Option<f64>,
    /// Upper bound of the interval in seconds. Default: none.
    pub max_delay_seconds: Option<u32>,
    /// Jitter. Default: none.
    pub jitter: JitterStrategy,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            errors: vec![Errors::ALL.to_owned()],
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
            jitter: JitterStrategy::None,
        }
    }
}

impl Retry {
    /// The retrier as ASL JSON.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("ErrorEquals".into(), json!(self.errors));
        if let Some(i) = self.interval_seconds {
            m.insert("IntervalSeconds".into(), json!(i));
        }
        if let Some(a) = self.max_attempts {
            m.insert("MaxAttempts".into(), json!(a));
        }
        if let Some(b) = self.backoff_rate {
            m.insert(
                "BackoffRate".into(),
                serde_json::Number::from_f64(b).map_or(Json::Null, Json::Number),
            );
        }
        if let Some(d) = self.max_delay_seconds {
            m.insert("MaxDelaySeconds".into(), json!(d));
        }
        if self.jitter == JitterStrategy::Full {
            m.insert("JitterStrategy".into(), json!("FULL"));
        }
        Json::Object(m)
    }
}

/// A catcher: which errors to catch and where to put the error output. The
/// state to go to is given to `add_catch`.
#[derive(Clone, Debug, PartialEq)]
pub struct Catch {
    /// The error names (`ErrorEquals`). Default: `["States.ALL"]`.
    pub errors: Vec<String>,
    /// Where the error output goes in the input (`ResultPath`). Default: `$`,
    /// the error output replaces the input.
    pub result_path: Option<String>,
}

impl Default for Catch {
    fn default() -> Self {
        Catch {
            errors: vec![Errors::ALL.to_owned()],
            result_path: None,
        }
    }
}
