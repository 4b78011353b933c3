//! A Step Functions state machine as a rule target.

use std::rc::Rc;
use std::time::Duration;

use crate::aws::events::{IRuleTarget, Rule, RuleTargetConfig, RuleTargetInput};
use crate::aws::iam::IRole;
use crate::aws::stepfunctions::IStateMachine;

/// Options of a [`SfnStateMachine`] target.
#[derive(Clone, Debug, Default)]
pub struct SfnStateMachineProps {
    /// The execution's input. Default: the matched event. A fixed input
    /// (`RuleTargetInput::from_object(json!({}))`) means nobody who can put
    /// an event on the bus chooses what the execution does.
    pub input: Option<RuleTargetInput>,
    /// The role EventBridge assumes to start executions (it gets
    /// `states:StartExecution` on the machine if mutable). Default: the rule's
    /// `EventsRole` (see [`Rule::events_role`]).
    pub role: Option<Rc<dyn IRole>>,
    /// Retries when an execution cannot be started, 0 to 185. Default: EventBridge's (185).
    pub retry_attempts: Option<u32>,
    /// Give up on events older than this, 60 s to 24 h. Default: EventBridge's (24 h).
    pub max_event_age: Option<Duration>,
    /// Where events go that could not be delivered (a standard queue;
    /// EventBridge is allowed to send to it). Default: none.
    pub dead_letter_queue: Option<crate::aws::sqs::Queue>,
}

/// Starts an execution of a state machine (owned or imported) per matched
/// event, through a role that may only `states:StartExecution` that machine.
///
/// ```
/// use std::time::Duration;
/// use constructs::aws::events::{Rule, RuleProps, Schedule};
/// use constructs::aws::events_targets::{SfnStateMachine, SfnStateMachineProps};
/// use constructs::aws::stepfunctions::StateMachine;
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let m = StateMachine::from_state_machine_arn(&stack, "M", "arn:aws:states:us-east-1:123456789012:stateMachine:m");
/// let rule = Rule::new(&stack, "Hourly", RuleProps { schedule: Some(Schedule::cron("0 * * * ? *")), ..Default::default() });
/// rule.add_target(&SfnStateMachine::new(&m, SfnStateMachineProps {
///     retry_attempts: Some(3),
///     max_event_age: Some(Duration::from_secs(3600)),
///     ..Default::default()
/// }));
/// assert!(app.synth().is_ok());
/// ```
#[derive(Debug)]
pub struct SfnStateMachine<'a> {
    machine: &'a dyn IStateMachine,
    props: SfnStateMachineProps,
}

impl<'a> SfnStateMachine<'a> {
    /// A target starting `machine`.
    pub fn new(machine: &'a dyn IStateMachine, props: SfnStateMachineProps) -> SfnStateMachine<'a> {
        SfnStateMachine { machine, props }
    }
}

impl IRuleTarget for SfnStateMachine<'_> {
    fn bind(&self, rule: &Rule, _id: &str) -> RuleTargetConfig {
        let role: Rc<dyn IRole> = match &self.props.role {
            Some(r) => Rc::clone(r),
            None => Rc::new(rule.events_role()),
        };
        self.machine.grant_start_execution(role.as_ref());
        RuleTargetConfig {
            role: Some(role.role_arn()),
            input: self.props.input.clone(),
            retry_policy: super::retry_policy(self.props.retry_attempts, self.props.max_event_age),
            dead_letter_arn: self
                .props
                .dead_letter_queue
                .as_ref()
                .map(|q| super::sqs::dead_letter(rule, q)),
            ..RuleTargetConfig::new(self.machine.state_machine_arn().value())
        }
    }
}
