//! An SNS topic as a rule target.

use crate::aws::events::{IRuleTarget, Rule, RuleTargetConfig, RuleTargetInput};
use crate::aws::iam::{PolicyStatement, Principal};
use crate::aws::sns::{ITopic, TopicEncryption};
use crate::core::{Scope, Value};

/// Options of a [`SnsTopic`] target.
#[derive(Clone, Debug, Default)]
pub struct SnsTopicProps {
    /// The message. Default: the matched event.
    pub message: Option<RuleTargetInput>,
    /// Where events go that could not be delivered (a standard queue;
    /// EventBridge is allowed to send to it). Default: none.
    pub dead_letter_queue: Option<crate::aws::sqs::Queue>,
}

/// Publishes the matched event to an SNS topic (owned or imported).
///
/// An owned topic's resource policy gets a statement allowing
/// `events.amazonaws.com` to publish (scoped to the rule when both are in one
/// stack); an imported topic's policy is not managed here and must already
/// allow it. A topic encrypted with the AWS managed key `alias/aws/sns` is an
/// error at synthesis: EventBridge cannot use that key, so deliveries would fail.
///
/// ```
/// use constructs::aws::events::{Rule, RuleProps, Schedule};
/// use constructs::aws::events_targets::{SnsTopic, SnsTopicProps};
/// use constructs::aws::sns::Topic;
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let alerts = Topic::from_topic_arn(&stack, "Alerts", "arn:aws:sns:us-east-1:123456789012:alerts");
/// let rule = Rule::new(&stack, "Hourly", RuleProps { schedule: Some(Schedule::cron("0 * * * ? *")), ..Default::default() });
/// rule.add_target(&SnsTopic::new(&alerts, SnsTopicProps::default()));
/// assert!(app.synth().is_ok());
/// ```
#[derive(Debug)]
pub struct SnsTopic<'a> {
    topic: &'a dyn ITopic,
    props: SnsTopicProps,
}

impl<'a> SnsTopic<'a> {
    /// A target publishing to `topic`.
    pub fn new(topic: &'a dyn ITopic, props: SnsTopicProps) -> SnsTopic<'a> {
        SnsTopic { topic, props }
    }
}

impl IRuleTarget for SnsTopic<'_> {
    fn bind(&self, rule: &Rule, _id: &str) -> RuleTargetConfig {
        if matches!(self.topic.topic_encryption(), Some(TopicEncryption::AwsManaged)) {
            rule.node().add_error(format!(
                "targets topic '{}', which is encrypted with the AWS managed key alias/aws/sns; EventBridge cannot use that key, so every delivery would fail: encrypt the topic with a customer managed key (TopicEncryption::Kms) whose policy allows events.amazonaws.com",
                self.topic.node().path()
            ));
        }
        let same_stack = match (rule.node().stack(), self.topic.node().stack()) {
            (Some(a), Some(b)) => a.node().same(b.node()),
            _ => false,
        };
        let arn = self.topic.topic_arn().value();
        self.topic.add_to_resource_policy(PolicyStatement {
            actions: vec!["sns:Publish".into()],
            resources: vec![arn.clone()],
            principals: vec![Principal::service("events.amazonaws.com")],
            // Scoped to this rule when both are in one stack (across stacks it
            // would make the topic's stack depend on the rule's).
            conditions: same_stack
                .then(|| Value::map().with("ArnEquals", Value::map().with("aws:SourceArn", rule.arn().value()))),
            ..Default::default()
        });
        RuleTargetConfig {
            input: self.props.message.clone(),
            dead_letter_arn: self
                .props
                .dead_letter_queue
                .as_ref()
                .map(|q| super::sqs::dead_letter(rule, q)),
            ..RuleTargetConfig::new(arn)
        }
    }
}
