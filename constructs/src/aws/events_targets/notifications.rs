//! A rule on a state machine's execution status changes.

use crate::aws::events::{EventPattern, Rule, RuleProps};
use crate::aws::lambda::IFunction;
use crate::aws::stepfunctions::{ExecutionStatus, IStateMachine};
use crate::core::{Scope, Value};

use super::{LambdaFunction, LambdaFunctionProps};

/// Notifications of a state machine's executions, for every [`IStateMachine`]
/// (import this trait to call them on a `StateMachine`).
pub trait StateMachineNotifications {
    /// Adds an EventBridge rule (at `scope`/`id`) on this machine's "Step
    /// Functions Execution Status Change" events with the given statuses,
    /// invoking `function` with the event (e.g. to notify Slack). Change the
    /// rule's description with [`Rule::set_description`].
    ///
    /// ```
    /// use constructs::aws::events_targets::StateMachineNotifications;
    /// use constructs::aws::lambda::Function;
    /// use constructs::aws::stepfunctions::*;
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let notice = Function::from_function_name(&stack, "NoticeSlackFunction", "notice-slack");
    /// let g = StateGraph::new();
    /// g.succeed("Done");
    /// let machine = StateMachine::new(&stack, "Machine", StateMachineProps { definition: g, ..Default::default() });
    /// machine.notify_on_status_change(&stack, "put event rule", &notice, &[ExecutionStatus::Succeeded, ExecutionStatus::Failed]);
    /// assert!(app.synth().is_ok());
    /// ```
    fn notify_on_status_change(
        &self,
        scope: &impl Scope,
        id: &str,
        function: &dyn IFunction,
        statuses: &[ExecutionStatus],
    ) -> Rule;
}

impl<T: IStateMachine + ?Sized> StateMachineNotifications for T {
    fn notify_on_status_change(
        &self,
        scope: &impl Scope,
        id: &str,
        function: &dyn IFunction,
        statuses: &[ExecutionStatus],
    ) -> Rule {
        let rule = Rule::new(
            scope,
            id,
            RuleProps {
                description: Some(format!(
                    "Execution status changes of state machine {}",
                    self.node().path()
                )),
                event_pattern: Some(EventPattern {
                    source: vec!["aws.states".into()],
                    detail_type: vec!["Step Functions Execution Status Change".into()],
                    detail: Some(
                        Value::map()
                            .with("status", Value::list(statuses.iter().map(|s| s.as_str())))
                            .with("stateMachineArn", Value::list([self.state_machine_arn().value()])),
                    ),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        rule.add_target(&LambdaFunction::new(function, LambdaFunctionProps::default()));
        rule
    }
}
