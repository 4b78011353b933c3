//! What every job-net pattern's state machine shares.

use crate::aws::events::{Rule, RuleProps, RuleTargetInput, Schedule};
use crate::aws::events_targets::{SfnStateMachine, SfnStateMachineProps};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::stepfunctions::{vended_log_group_name, LogOptions, StateMachine, StateMachineLogging};
use crate::core::{Construct, Scope};

/// Logging to a log group (child `LogGroup` of `node`) named after the
/// pattern's path below its stack, `/aws/vendedlogs/states/<path>-<stack
/// UUID>`: unique however many patterns a stack holds (the state machine's
/// default would name every pattern's group after its id, `StateMachine`).
pub(crate) fn logging(node: &Construct) -> StateMachineLogging {
    let path = node.path();
    let below = node
        .stack()
        .map(|s| s.node().path())
        .and_then(|stack| path.strip_prefix(&format!("{stack}/")).map(str::to_owned))
        .unwrap_or(path);
    let prefix: String = below
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let group = LogGroup::new(
        node,
        "LogGroup",
        LogGroupProps {
            log_group_name: Some(vended_log_group_name(&prefix)),
            ..Default::default()
        },
    );
    StateMachineLogging::To(LogOptions::new(&group))
}

/// The rule `Schedule` (child of `node`) that starts a job net's state machine
/// with a fixed, empty input: the event carries nothing the job net reads, so
/// nobody who can put an event on the bus chooses what it does.
pub(crate) fn schedule(
    node: &Construct,
    state_machine: &StateMachine,
    schedule: Schedule,
    description: Option<String>,
    enabled: bool,
) -> Rule {
    let rule = Rule::new(
        node,
        "Schedule",
        RuleProps {
            description,
            schedule: Some(schedule),
            enabled,
            ..Default::default()
        },
    );
    rule.add_target(&SfnStateMachine::new(
        state_machine,
        SfnStateMachineProps {
            input: Some(RuleTargetInput::from_object(serde_json::json!({}))),
            ..Default::default()
        },
    ));
    rule
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, Stack, StackProps};

    #[test]
    fn two_patterns_in_one_stack_log_to_different_groups() {
        let app = App::new();
        let stack = Stack::new(&app, "Jobs", StackProps::default());
        let a = Construct::new(&stack, "Nightly Report");
        let inner = Construct::new(&stack, "Group");
        let b = Construct::new(&inner, "Nightly");
        for node in [&a, &b] {
            logging(node);
        }
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = s.stacks[0].template["Resources"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, r)| r["Properties"]["LogGroupName"]["Fn::Join"][1][0].to_string())
            .collect();
        assert_eq!(
            names,
            [
                r#""/aws/vendedlogs/states/Nightly-Report-""#,
                r#""/aws/vendedlogs/states/Group-Nightly-""#
            ]
        );
    }
}
