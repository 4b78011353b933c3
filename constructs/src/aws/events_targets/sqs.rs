//! An SQS queue as a rule target, and queues as targets' dead-letter queues.

use crate::aws::events::{IRuleTarget, Rule, RuleTargetConfig, RuleTargetInput};
use crate::aws::iam::{PolicyStatement, Principal};
use crate::aws::sqs::{Queue, QueueEncryption};
use crate::core::{Scope, Value};

/// Options of a [`SqsQueue`] target.
#[derive(Clone, Debug, Default)]
pub struct SqsQueueProps {
    /// The message. Default: the matched event.
    pub message: Option<RuleTargetInput>,
    /// The message group of a FIFO queue's messages. Required for a FIFO
    /// queue (an error at synthesis without it), refused for a standard one.
    pub message_group_id: Option<String>,
    /// Where events go that could not be delivered. Default: none.
    pub dead_letter_queue: Option<Queue>,
    /// Retries when the queue cannot be reached, 0 to 185. Default: EventBridge's (185).
    pub retry_attempts: Option<u32>,
    /// Give up on events older than this, 60 s to 24 h. Default: EventBridge's (24 h).
    pub max_event_age: Option<std::time::Duration>,
}

/// Sends the matched event to an SQS queue.
///
/// The queue's resource policy gets a statement allowing
/// `events.amazonaws.com` to `sqs:SendMessage`, scoped to this rule when both
/// are in one stack (across stacks the condition would make the queue's stack
/// depend on the rule's). A queue encrypted with the AWS managed key
/// `alias/aws/sqs` is an error at synthesis: EventBridge cannot use that key.
/// With a customer managed key, the key's policy must allow
/// `events.amazonaws.com` to use it (`kms:Decrypt`, `kms:GenerateDataKey`).
///
/// ```
/// use constructs::aws::events::{Rule, RuleProps, Schedule};
/// use constructs::aws::events_targets::{SqsQueue, SqsQueueProps};
/// use constructs::aws::sqs::{Queue, QueueProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let jobs = Queue::new(&stack, "Jobs", QueueProps::default());
/// let failed = Queue::new(&stack, "Undelivered", QueueProps::default());
/// let rule = Rule::new(&stack, "Hourly", RuleProps { schedule: Some(Schedule::cron("0 * * * ? *")), ..Default::default() });
/// rule.add_target(&SqsQueue::new(&jobs, SqsQueueProps { dead_letter_queue: Some(failed), ..Default::default() }));
/// assert!(app.synth().is_ok());
/// ```
#[derive(Debug)]
pub struct SqsQueue<'a> {
    queue: &'a Queue,
    props: SqsQueueProps,
}

impl<'a> SqsQueue<'a> {
    /// A target sending to `queue`.
    pub fn new(queue: &'a Queue, props: SqsQueueProps) -> SqsQueue<'a> {
        SqsQueue { queue, props }
    }
}

impl IRuleTarget for SqsQueue<'_> {
    fn bind(&self, rule: &Rule, _id: &str) -> RuleTargetConfig {
        check_delivery(rule, self.queue);
        match (self.queue.fifo(), &self.props.message_group_id) {
            (true, None) => rule.node().add_error(format!(
                "targets FIFO queue '{}' without a message group: set SqsQueueProps::message_group_id",
                self.queue.node().path()
            )),
            (false, Some(_)) => rule.node().add_error(format!(
                "sets a message group for queue '{}', which is not FIFO: remove message_group_id",
                self.queue.node().path()
            )),
            _ => {}
        }
        allow_events_to_send(rule, self.queue);
        RuleTargetConfig {
            input: self.props.message.clone(),
            retry_policy: super::retry_policy(self.props.retry_attempts, self.props.max_event_age),
            dead_letter_arn: self.props.dead_letter_queue.as_ref().map(|q| dead_letter(rule, q)),
            sqs_message_group_id: self.props.message_group_id.as_deref().map(Value::from),
            ..RuleTargetConfig::new(self.queue.arn().value())
        }
    }
}

/// A target's dead-letter queue: checked, allowed to take the rule's events, its ARN.
pub(super) fn dead_letter(rule: &Rule, queue: &Queue) -> Value {
    check_delivery(rule, queue);
    if queue.fifo() {
        rule.node().add_error(format!(
            "uses FIFO queue '{}' as a dead-letter queue: EventBridge's dead-letter queues must be standard queues",
            queue.node().path()
        ));
    }
    allow_events_to_send(rule, queue);
    queue.arn().value()
}

/// EventBridge cannot send to a queue under the AWS managed key.
fn check_delivery(rule: &Rule, queue: &Queue) {
    if matches!(queue.encryption(), QueueEncryption::KmsManaged) {
        rule.node().add_error(format!(
            "sends to queue '{}', which is encrypted with the AWS managed key alias/aws/sqs; EventBridge cannot use that key, so every delivery would fail: use SSE-SQS (the default) or a customer managed key whose policy allows events.amazonaws.com",
            queue.node().path()
        ));
    }
}

/// Lets `events.amazonaws.com` send to the queue, for this rule when both are in one stack.
fn allow_events_to_send(rule: &Rule, queue: &Queue) {
    let same_stack = match (rule.node().stack(), queue.node().stack()) {
        (Some(a), Some(b)) => a.node().same(b.node()),
        _ => false,
    };
    queue.add_to_resource_policy(PolicyStatement {
        actions: vec!["sqs:SendMessage".into()],
        resources: vec![queue.arn().value()],
        principals: vec![Principal::service("events.amazonaws.com")],
        conditions: same_stack
            .then(|| Value::map().with("ArnEquals", Value::map().with("aws:SourceArn", rule.arn().value()))),
        ..Default::default()
    });
}
