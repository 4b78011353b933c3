//! Amazon EventBridge: rules on a schedule or an event pattern, and what a
//! target is ([`IRuleTarget`]). The targets of AWS services (functions, state
//! machines, topics) are in `aws::events_targets`, so this module knows no
//! other service.

mod rule;
mod schedule;
mod target;

pub use rule::{EventPattern, Rule, RuleArn, RuleProps};
pub use schedule::{RateUnit, Schedule, ScheduleError};
pub use target::{IRuleTarget, RetryPolicy, RuleTargetConfig, RuleTargetInput};
