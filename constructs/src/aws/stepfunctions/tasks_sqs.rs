//! The SQS task through the optimized integration
//! (`arn:aws:states:::sqs:sendMessage`): the execution role may send to the
//! one queue, and use its customer managed key when it has one.

use std::time::Duration;

use crate::aws::sqs::QueueRef;
use crate::core::Value;

use super::task::TaskInput;

/// Sends a message to a queue (`sqs:sendMessage`); the result holds the
/// `MessageId`.
///
/// The execution role gets `sqs:SendMessage` on the queue and, for a queue
/// encrypted with a customer managed key, `kms:Decrypt` and
/// `kms:GenerateDataKey*` on the key (as the AWS CDK's `SqsSendMessage`).
///
/// ```
/// use constructs::aws::sqs::{Queue, QueueProps};
/// use constructs::aws::stepfunctions::*;
/// use constructs::core::{App, Stack, StackProps};
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Shop", StackProps::default());
/// let exports = Queue::new(&stack, "Exports", QueueProps::default());
/// let g = StateGraph::new();
/// g.task("QueueExport", SqsSendMessage::new(&exports, TaskInput::Path("$.order".into())), TaskProps::default()).end();
/// StateMachine::new(&stack, "Checkout", StateMachineProps { definition: g, ..Default::default() });
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct SqsSendMessage {
    /// The queue.
    pub queue: QueueRef,
    /// The message body: text, or JSON (which Step Functions sends as its text).
    pub message_body: TaskInput,
    /// How long the message stays invisible (0 to 15 min, whole seconds).
    /// Default: the queue's delivery delay.
    pub delay: Option<Duration>,
    /// The message group (FIFO queues: required). Default: none.
    pub message_group_id: Option<TaskInput>,
    /// The deduplication id (FIFO queues without content-based deduplication). Default: none.
    pub message_deduplication_id: Option<TaskInput>,
    /// Message attributes, as the SQS API takes them. Default: none.
    pub message_attributes: Option<Value>,
}

impl SqsSendMessage {
    /// Sends `message_body` to `queue`.
    pub fn new(queue: impl Into<QueueRef>, message_body: TaskInput) -> SqsSendMessage {
        SqsSendMessage {
            queue: queue.into(),
            message_body,
            delay: None,
            message_group_id: None,
            message_deduplication_id: None,
            message_attributes: None,
        }
    }

    pub(crate) fn parameters(&self) -> Value {
        let mut v = Value::map().with("QueueUrl", self.queue.url.value());
        let (k, body) = self.message_body.entry("MessageBody");
        v = v.with(k, body);
        if let Some(d) = self.delay {
            v = v.with("DelaySeconds", d.as_secs());
        }
        for (key, input) in [
            ("MessageGroupId", &self.message_group_id),
            ("MessageDeduplicationId", &self.message_deduplication_id),
        ] {
            if let Some(input) = input {
                let (k, x) = input.entry(key);
                v = v.with(k, x);
            }
        }
        if let Some(a) = &self.message_attributes {
            v = v.with("MessageAttributes", a.clone());
        }
        v
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = self.delay {
            if d.subsec_nanos() != 0 || d.as_secs() > 900 {
                out.push(format!(
                    "SQS sendMessage delay {d:?} is invalid: SQS allows 0 s to 15 min, in whole seconds"
                ));
            }
        }
        if self.queue.fifo && self.message_group_id.is_none() {
            out.push("SQS sendMessage to a FIFO queue needs a message_group_id".to_owned());
        }
        if !self.queue.fifo && (self.message_group_id.is_some() || self.message_deduplication_id.is_some()) {
            out.push(
                "SQS sendMessage: message_group_id and message_deduplication_id are for FIFO queues only".to_owned(),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::sqs::{QueueArn, QueueUrl};
    use serde_json::json;

    fn queue(fifo: bool) -> QueueRef {
        QueueRef {
            url: QueueUrl::from_value("https://sqs.eu-west-1.amazonaws.com/111122223333/q".into()),
            arn: QueueArn::from_value("arn:aws:sqs:eu-west-1:111122223333:q".into()),
            key_arn: None,
            fifo,
        }
    }

    #[test]
    fn parameters_take_paths_and_values() {
        let mut send = SqsSendMessage::new(queue(true), TaskInput::Value(Value::map().with("id.$", "$.id")));
        send.message_group_id = Some(TaskInput::Path("$.customer".into()));
        send.delay = Some(Duration::from_secs(5));
        let g = super::super::StateGraph::new();
        g.task("T", send.clone(), super::super::TaskProps::default());
        assert_eq!(
            g.render().json["States"]["T"]["Parameters"],
            json!({
                "QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/q",
                "MessageBody": {"id.$": "$.id"},
                "DelaySeconds": 5,
                "MessageGroupId.$": "$.customer"
            })
        );
        assert!(send.problems().is_empty(), "{:?}", send.problems());
    }

    #[test]
    fn a_queue_under_a_customer_key_adds_the_cdks_kms_actions_and_a_fifo_send_needs_a_group() {
        use crate::aws::sqs::{Queue, QueueEncryption, QueueProps};
        use crate::aws::stepfunctions::{Chainable, StateGraph, StateMachine, StateMachineProps, TaskProps};
        use crate::core::{App, Stack, StackProps};
        let key = "arn:aws:kms:eu-west-1:111122223333:key/k";
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let q = Queue::new(
            &stack,
            "Q",
            QueueProps {
                encryption: QueueEncryption::Kms(key.into()),
                ..Default::default()
            },
        );
        let g = StateGraph::new();
        g.task(
            "Send",
            SqsSendMessage::new(&q, TaskInput::whole_input()),
            TaskProps::default(),
        )
        .end();
        let m = StateMachine::new(
            &stack,
            "M",
            StateMachineProps {
                definition: g,
                ..Default::default()
            },
        );
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let policy = m.role().policy().expect("a policy");
        let statements = &s.stacks[0].template["Resources"][policy.resource().logical_id()]["Properties"]
            ["PolicyDocument"]["Statement"];
        assert_eq!(
            statements[0],
            json!({"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": {"Fn::GetAtt": [q.resource().logical_id(), "Arn"]}})
        );
        assert_eq!(
            statements[1],
            json!({"Action": "kms:Decrypt", "Effect": "Allow", "Resource": key})
        );
        assert_eq!(
            statements[2],
            json!({"Action": "kms:GenerateDataKey*", "Effect": "Allow", "Resource": key})
        );

        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let fifo = Queue::new(
            &stack,
            "Jobs",
            QueueProps {
                fifo: true,
                ..Default::default()
            },
        );
        let g = StateGraph::new();
        g.task(
            "Send",
            SqsSendMessage::new(&fifo, TaskInput::whole_input()),
            TaskProps::default(),
        )
        .end();
        StateMachine::new(
            &stack,
            "M",
            StateMachineProps {
                definition: g,
                ..Default::default()
            },
        );
        let e = app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(
            e.contains("S/M") && e.contains("FIFO queue needs a message_group_id"),
            "{e}"
        );
    }

    #[test]
    fn fifo_needs_a_group_and_standard_takes_none() {
        let p = SqsSendMessage::new(queue(true), TaskInput::whole_input()).problems();
        assert!(p[0].contains("needs a message_group_id"), "{p:?}");
        let mut standard = SqsSendMessage::new(queue(false), TaskInput::whole_input());
        standard.message_group_id = Some(TaskInput::Value("g".into()));
        standard.delay = Some(Duration::from_secs(901));
        assert_eq!(standard.problems().len(), 2, "{:?}", standard.problems());
    }
}
