//! Targets of EventBridge rules for AWS services (the CDK's
//! `aws-events-targets`): each implements [`IRuleTarget`] and creates exactly
//! the access it needs when added to a rule. This module depends on `events`
//! and on the services; `events` knows none of them.
//!
//! ```
//! use constructs::aws::events::{Rule, RuleProps, RuleTargetInput, Schedule};
//! use constructs::aws::events_targets::{SfnStateMachine, SfnStateMachineProps};
//! use constructs::aws::stepfunctions::StateMachine;
//! use constructs::core::{App, Stack, StackProps};
//! let app = App::new();
//! let stack = Stack::new(&app, "S", StackProps::default());
//! let nightly = StateMachine::from_state_machine_arn(&stack, "Nightly",
//!     "arn:aws:states:us-east-1:123456789012:stateMachine:nightly");
//! let rule = Rule::new(&stack, "Schedule", RuleProps { schedule: Some(Schedule::cron("0 15 * * ? *")), ..Default::default() });
//! rule.add_target(&SfnStateMachine::new(&nightly, SfnStateMachineProps {
//!     input: Some(RuleTargetInput::from_object(serde_json::json!({}))),
//!     retry_attempts: Some(2),
//!     ..Default::default()
//! }));
//! assert!(app.synth().is_ok());
//! ```
//!
//! [`IRuleTarget`]: crate::aws::events::IRuleTarget

mod lambda;
mod notifications;
mod sns;
mod sqs;
mod state_machine;

pub use lambda::{LambdaFunction, LambdaFunctionProps};
pub use notifications::StateMachineNotifications;
pub use sns::{SnsTopic, SnsTopicProps};
pub use sqs::{SqsQueue, SqsQueueProps};
pub use state_machine::{SfnStateMachine, SfnStateMachineProps};

use std::time::Duration;

use crate::aws::events::RetryPolicy;

/// The retry policy of a target's props, when either field is set (the CDK's `TargetBaseProps`).
fn retry_policy(retry_attempts: Option<u32>, max_event_age: Option<Duration>) -> Option<RetryPolicy> {
    (retry_attempts.is_some() || max_event_age.is_some()).then_some(RetryPolicy {
        maximum_retry_attempts: retry_attempts,
        maximum_event_age: max_event_age,
    })
}

#[cfg(test)]
mod tests;
