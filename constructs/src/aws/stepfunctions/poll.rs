//! A bounded polling loop: start counting → wait → check → count → choice,
//! with a named Fail state when the limit is reached.
//!
//! The count of polls is kept in the state's data (`$.Polls.Count` by default,
//! incremented with `States.MathAdd`), not in a clock or a JSONata variable,
//! so the loop ends after the same number of polls in any simulator.

use std::cell::Cell;
use std::time::Duration;

use crate::core::Value;

use super::condition::Condition;
use super::graph::{Chainable, Choice, Fail, FailProps, Pass, PassProps, State, StateGraph, Wait, WaitTime};

/// Properties of a [`PollUntil`] loop.
#[derive(Clone, Debug)]
pub struct PollUntilProps {
    /// The time between polls. Default: 30 seconds.
    pub interval: Duration,
    /// How long to poll before giving up, turned into a count of polls
    /// (`ceil(limit / interval)`, at least one). Default: 10 minutes.
    pub limit: Duration,
    /// The Wait state's name. Default: `Wait<name>`.
    pub wait_name: Option<String>,
    /// The Choice state's name. Default: `Is<name>Done`.
    pub choice_name: Option<String>,
    /// The name of the Pass state that sets the count to 0. Default: `<name>StartPolls`.
    pub start_name: Option<String>,
    /// The name of the Pass state that counts a poll. Default: `<name>CountPolls`.
    pub count_name: Option<String>,
    /// The name of the Fail state entered when the limit is reached. Default: `<name>TimedOut`.
    pub give_up_name: Option<String>,
    /// Poll once before the first wait (start → check → choice, and only then
    /// wait → check), for a resource that may already be as expected.
    /// Default: false (start → wait → check).
    pub check_first: bool,
    /// Where the count is kept in the state's data (an object `{"Count": n}`).
    /// Default: `$.Polls`.
    pub counter_path: String,
    /// The `Error` of the Fail state when the limit is reached. Default: `<name>TimedOut`.
    pub error: Option<String>,
    /// What is polled, for the cause (e.g. `the instance`). Default: `the check`.
    pub subject: String,
    /// A path naming the polled resource, quoted in the cause (e.g.
    /// `$.InstanceId.InstanceIds`). Default: none.
    pub subject_path: Option<String>,
    /// The check's last result, quoted in the cause (it must exist once the
    /// check ran: its `ResultPath`). Default: `$.Output.Payload`.
    pub last_result_path: String,
}

impl Default for PollUntilProps {
    fn default() -> Self {
        PollUntilProps {
            interval: Duration::from_secs(30),
            limit: Duration::from_secs(600),
            wait_name: None,
            choice_name: None,
            start_name: None,
            count_name: None,
            give_up_name: None,
            check_first: false,
            counter_path: "$.Polls".into(),
            error: None,
            subject: "the check".into(),
            subject_path: None,
            last_result_path: "$.Output.Payload".into(),
        }
    }
}

/// A polling loop with a bound: `<name>StartPolls` (sets the count to 0) →
/// the Wait → the check → `<name>CountPolls` → the Choice. Rules added with
/// [`done_when`](Self::done_when) come first; then, once the count reaches the
/// limit, `<name>TimedOut` fails with an `Error` and a `Cause` naming the
/// Choice, the subject, the count and the last result; then the rules added
/// with [`keep_polling_when`](Self::keep_polling_when) go back to the Wait.
///
/// ```
/// use std::time::Duration;
/// use constructs::aws::stepfunctions::*;
///
/// let g = StateGraph::new();
/// let start = g.pass("StopInstance", PassProps::default());
/// let check = g.pass("DescribeInstance", PassProps::default());
/// let poll = PollUntil::new(&g, "InstanceStopped", &check, PollUntilProps {
///     interval: Duration::from_secs(30),
///     limit: Duration::from_secs(600),
///     ..Default::default()
/// });
/// g.start_at(&start);
/// start.next(poll.start());
/// poll.done_when(Condition::string_equals("$.Output.Payload.State", "stopped"), &g.succeed("Done"))
///     .keep_polling_when(Condition::string_equals("$.Output.Payload.State", "stopping"))
///     .otherwise(&g.fail("Unexpected", FailProps::default()));
/// assert_eq!(poll.max_polls(), 20);
/// assert!(g.render().validate().is_empty());
/// ```
#[derive(Debug)]
pub struct PollUntil {
    start: Pass,
    wait: Wait,
    choice: Choice,
    give_up: Fail,
    count: String,
    max_polls: u64,
    bounded: Cell<bool>,
}

/// Escapes literal text for a `States.Format` template.
pub(crate) fn format_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '\'' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl PollUntil {
    /// Creates the loop's states in `graph` around `check`, the state that
    /// observes the status (its `Next` is set here).
    pub fn new<C: Chainable + Clone>(graph: &StateGraph, name: &str, check: &C, props: PollUntilProps) -> PollUntil {
        let interval = props.interval.as_secs().max(1);
        let max_polls = props.limit.as_secs().div_ceil(interval).max(1);
        let counter = props.counter_path.trim_end_matches('.').to_owned();
        let count = format!("{counter}.Count");
        let start = graph.pass(
            props.start_name.as_deref().unwrap_or(&format!("{name}StartPolls")),
            PassProps {
                result: Some(Value::map().with("Count", 0)),
                result_path: Some(counter.as_str().into()),
                ..Default::default()
            },
        );
        let wait = graph.wait(
            props.wait_name.as_deref().unwrap_or(&format!("Wait{name}")),
            WaitTime::Seconds(interval),
        );
        let count_polls = graph.pass(
            props.count_name.as_deref().unwrap_or(&format!("{name}CountPolls")),
            PassProps {
                parameters: Some(Value::map().with("Count.$", format!("States.MathAdd({count}, 1)"))),
                result_path: Some(counter.as_str().into()),
                ..Default::default()
            },
        );
        let choice_name = props.choice_name.clone().unwrap_or_else(|| format!("Is{name}Done"));
        let choice = graph.choice(&choice_name);
        let (subject_slot, subject_arg) = match &props.subject_path {
            Some(p) => (" {}", format!(", States.JsonToString({p})")),
            None => ("", String::new()),
        };
        let cause = format!(
            "States.Format('{}{subject_slot} still not as expected after {{}} polls ({} s); last result: {{}}'{subject_arg}, {count}, States.JsonToString({}))",
            format_literal(&format!("{choice_name}: {}", props.subject)),
            max_polls * interval,
            props.last_result_path,
        );
        let give_up = graph.fail(
            props.give_up_name.as_deref().unwrap_or(&format!("{name}TimedOut")),
            FailProps {
                error: Some(props.error.clone().unwrap_or_else(|| format!("{name}TimedOut"))),
                cause_path: Some(cause),
                ..Default::default()
            },
        );
        wait.next(check).next(&count_polls).next(&choice);
        if props.check_first {
            start.next(check);
        } else {
            start.next(&wait);
        }
        PollUntil {
            start,
            wait,
            choice,
            give_up,
            count,
            max_polls,
            bounded: Cell::new(false),
        }
    }

    /// The first state of the loop (it sets the count to 0): chain the state
    /// that starts the operation to it.
    pub fn start(&self) -> &Pass {
        &self.start
    }

    /// The Fail state entered when the limit is reached.
    pub fn give_up(&self) -> &Fail {
        &self.give_up
    }

    /// The Wait state between polls (a state that leads back into the loop
    /// goes to it, see [`keep_polling_through`](Self::keep_polling_through)).
    pub fn wait(&self) -> &Wait {
        &self.wait
    }

    /// The Choice state that decides after each poll.
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// The number of polls before giving up.
    pub fn max_polls(&self) -> u64 {
        self.max_polls
    }

    /// When `condition` holds after a poll, leave the loop for `target`. Add
    /// these first: they are tried before the limit. Guard a field that may be
    /// absent: `Condition::and([Condition::is_present(f), ...])`.
    pub fn done_when(&self, condition: Condition, target: &impl State) -> &PollUntil {
        self.choice.when(condition, target);
        self
    }

    fn bound(&self) {
        if !self.bounded.replace(true) {
            let limit = i64::try_from(self.max_polls).unwrap_or(i64::MAX);
            self.choice.when(
                Condition::numeric_greater_than_equals(&self.count, limit),
                &self.give_up,
            );
        }
    }

    /// When `condition` holds after a poll (and the limit is not reached), poll again.
    pub fn keep_polling_when(&self, condition: Condition) -> &PollUntil {
        self.bound();
        self.choice.when(condition, &self.wait);
        self
    }

    /// When `condition` holds after a poll (and the limit is not reached), go
    /// to `target`, a state that acts (e.g. asks again for the operation) and
    /// then goes to [`wait`](Self::wait): the poll continues, and its count with it.
    pub fn keep_polling_through(&self, condition: Condition, target: &impl State) -> &PollUntil {
        self.bound();
        self.choice.when(condition, target);
        self
    }

    /// When no rule matches (and the limit is not reached), poll again.
    pub fn otherwise_keep_polling(&self) -> &PollUntil {
        self.bound();
        self.choice.otherwise(&self.wait);
        self
    }

    /// When no rule matches, go to `target` (e.g. a Fail state for an unexpected status).
    pub fn otherwise(&self, target: &impl State) -> &PollUntil {
        self.bound();
        self.choice.otherwise(target);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_limit_becomes_a_bound_after_the_done_rules() {
        let g = StateGraph::new();
        let check = g.pass("Check", PassProps::default());
        let poll = PollUntil::new(
            &g,
            "Ready",
            &check,
            PollUntilProps {
                interval: Duration::from_secs(10),
                limit: Duration::from_secs(95),
                subject_path: Some("$.Id".into()),
                ..Default::default()
            },
        );
        g.start_at(poll.start());
        poll.done_when(Condition::boolean_equals("$.ok", true), &g.succeed("Done"))
            .otherwise_keep_polling();
        let d = g.render();
        assert!(d.validate().is_empty(), "{:?}", d.validate());
        let choices = &d.json["States"]["IsReadyDone"]["Choices"];
        assert_eq!(
            choices[1],
            json!({"Variable": "$.Polls.Count", "NumericGreaterThanEquals": 10, "Next": "ReadyTimedOut"})
        );
        assert_eq!(d.json["States"]["IsReadyDone"]["Default"], "WaitReady");
        let cause = d.json["States"]["ReadyTimedOut"]["CausePath"]
            .as_str()
            .unwrap_or_default();
        assert!(
            cause.contains("States.JsonToString($.Id)") && cause.contains("(100 s)"),
            "{cause}"
        );
        assert_eq!(d.json["States"]["ReadyCountPolls"]["ResultPath"], "$.Polls");
    }

    #[test]
    fn check_first_looks_before_the_first_wait_and_a_step_can_rejoin_the_wait() {
        let g = StateGraph::new();
        let check = g.pass("Describe", PassProps::default());
        let act = g.pass("Start", PassProps::default());
        let poll = PollUntil::new(
            &g,
            "Running",
            &check,
            PollUntilProps {
                check_first: true,
                start_name: Some("Begin".into()),
                count_name: Some("Count".into()),
                give_up_name: Some("Gave up".into()),
                ..Default::default()
            },
        );
        g.start_at(poll.start());
        poll.done_when(Condition::boolean_equals("$.ok", true), &g.succeed("Done"))
            .keep_polling_through(Condition::boolean_equals("$.stopped", true), &act)
            .otherwise_keep_polling();
        act.next(poll.wait());
        let d = g.render();
        assert!(d.validate().is_empty(), "{:?}", d.validate());
        let s = &d.json["States"];
        assert_eq!(s["Begin"]["Next"], "Describe");
        assert_eq!(s["WaitRunning"]["Next"], "Describe");
        assert_eq!(s["Describe"]["Next"], "Count");
        let rules = &s["IsRunningDone"]["Choices"];
        assert_eq!(rules[1]["Next"], "Gave up", "the bound before the step that acts");
        assert_eq!(rules[2]["Next"], "Start");
        assert!(super::super::loop_warnings(&d.json).is_empty());
    }

    #[test]
    fn literals_are_escaped_for_states_format() {
        assert_eq!(format_literal(r"it's {x} \ y"), r"it\'s \{x\} \\ y");
    }
}
