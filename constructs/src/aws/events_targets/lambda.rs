//! A Lambda function as a rule target.

use std::time::Duration;

use crate::aws::events::{IRuleTarget, Rule, RuleTargetConfig, RuleTargetInput};
use crate::aws::iam::Principal;
use crate::aws::lambda::{IFunction, PermissionProps};
use crate::core::logical_id::make_unique_id;
use crate::core::Scope;

/// Options of a [`LambdaFunction`] target.
#[derive(Clone, Debug, Default)]
pub struct LambdaFunctionProps {
    /// What the function gets. Default: the matched event.
    pub event: Option<RuleTargetInput>,
    /// Retries when the invocation cannot be delivered, 0 to 185. Default: EventBridge's (185).
    pub retry_attempts: Option<u32>,
    /// Give up on events older than this, 60 s to 24 h. Default: EventBridge's (24 h).
    pub max_event_age: Option<Duration>,
    /// Where events go that could not be delivered (a standard queue;
    /// EventBridge is allowed to send to it). Default: none.
    pub dead_letter_queue: Option<crate::aws::sqs::Queue>,
}

/// Invokes a Lambda function (owned or imported) with the matched event.
///
/// EventBridge is allowed to invoke it from this rule only: an
/// `AWS::Lambda::Permission` for `events.amazonaws.com` with the rule's ARN as
/// source, created beside the rule (so the function's stack does not depend
/// on the rule's) with the CDK's id, `AllowEventRule<unique id of the function>`.
/// An imported function whose account is not known to be the stack's gets no
/// permission, with a warning naming the fix (see `lambda::FunctionAttributes`).
///
/// ```
/// use constructs::aws::events::{Rule, RuleProps, Schedule};
/// use constructs::aws::events_targets::{LambdaFunction, LambdaFunctionProps};
/// use constructs::aws::lambda::Function;
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let report = Function::from_function_name(&stack, "Report", "report");
/// let rule = Rule::new(&stack, "Hourly", RuleProps { schedule: Some(Schedule::cron("0 * * * ? *")), ..Default::default() });
/// rule.add_target(&LambdaFunction::new(&report, LambdaFunctionProps::default()));
/// assert!(app.synth().is_ok());
/// ```
#[derive(Debug)]
pub struct LambdaFunction<'a> {
    function: &'a dyn IFunction,
    props: LambdaFunctionProps,
}

impl<'a> LambdaFunction<'a> {
    /// A target invoking `function`.
    pub fn new(function: &'a dyn IFunction, props: LambdaFunctionProps) -> LambdaFunction<'a> {
        LambdaFunction { function, props }
    }
}

impl IRuleTarget for LambdaFunction<'_> {
    fn bind(&self, rule: &Rule, _id: &str) -> RuleTargetConfig {
        let components: Vec<String> = self.function.node().path().split('/').map(str::to_owned).collect();
        let permission = format!("AllowEventRule{}", make_unique_id(&components).unwrap_or_default());
        if rule.node().child(&permission).is_none() {
            self.function.add_permission(
                &permission,
                PermissionProps {
                    principal: Principal::service("events.amazonaws.com"),
                    source_arn: Some(rule.arn().value()),
                    scope: Some(rule.node().clone()),
                    ..Default::default()
                },
            );
        }
        RuleTargetConfig {
            input: self.props.event.clone(),
            retry_policy: super::retry_policy(self.props.retry_attempts, self.props.max_event_age),
            dead_letter_arn: self
                .props
                .dead_letter_queue
                .as_ref()
                .map(|q| super::sqs::dead_letter(rule, q)),
            ..RuleTargetConfig::new(self.function.function_arn().value())
        }
    }
}
