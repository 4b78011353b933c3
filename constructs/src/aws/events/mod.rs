//! Amazon EventBridge: rules on a schedule or an event pattern, and their targets.

mod rule;
mod schedule;

pub use rule::{EventPattern, InvocableFunction, Rule, RuleArn, RuleProps};
pub use schedule::{RateUnit, Schedule, ScheduleError};
