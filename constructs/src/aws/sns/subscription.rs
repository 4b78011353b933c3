//! Subscriptions of endpoints to topics.

use crate::cfn::sns;
use crate::core::{CfnResource, Construct, Scope, Value};

use super::topic::TopicArn;

/// What receives a topic's messages; the protocol follows from the variant.
#[derive(Clone, Debug)]
pub enum SubscriptionEndpoint {
    /// An e-mail address (`email`); the recipient must confirm.
    Email(String),
    /// An e-mail address receiving JSON (`email-json`).
    EmailJson(String),
    /// An HTTPS URL (`https`).
    Https(String),
    /// A plain HTTP URL (`http`): messages travel unencrypted.
    Http(String),
    /// An SQS queue by ARN (`sqs`); the queue policy must allow `sns.amazonaws.com`.
    Sqs(Value),
    /// A Lambda function by ARN (`lambda`); the function must allow
    /// `sns.amazonaws.com` to invoke it (`AWS::Lambda::Permission`).
    Lambda(Value),
    /// A phone number for SMS (`sms`).
    Sms(String),
    /// A mobile push endpoint by ARN (`application`).
    Application(Value),
    /// A Firehose delivery stream by ARN (`firehose`), with the role SNS uses to write to it.
    Firehose {
        /// The delivery stream's ARN.
        stream_arn: Value,
        /// A role SNS assumes to write to the stream.
        role_arn: Value,
    },
}

impl SubscriptionEndpoint {
    fn protocol(&self) -> &'static str {
        match self {
            SubscriptionEndpoint::Email(_) => "email",
            SubscriptionEndpoint::EmailJson(_) => "email-json",
            SubscriptionEndpoint::Https(_) => "https",
            SubscriptionEndpoint::Http(_) => "http",
            SubscriptionEndpoint::Sqs(_) => "sqs",
            SubscriptionEndpoint::Lambda(_) => "lambda",
            SubscriptionEndpoint::Sms(_) => "sms",
            SubscriptionEndpoint::Application(_) => "application",
            SubscriptionEndpoint::Firehose { .. } => "firehose",
        }
    }

    fn endpoint(&self) -> Value {
        match self {
            SubscriptionEndpoint::Email(s)
            | SubscriptionEndpoint::EmailJson(s)
            | SubscriptionEndpoint::Https(s)
            | SubscriptionEndpoint::Http(s)
            | SubscriptionEndpoint::Sms(s) => Value::from(s.as_str()),
            SubscriptionEndpoint::Sqs(v) | SubscriptionEndpoint::Lambda(v) | SubscriptionEndpoint::Application(v) => {
                v.clone()
            }
            SubscriptionEndpoint::Firehose { stream_arn, .. } => stream_arn.clone(),
        }
    }
}

/// Options of a [`Subscription`].
#[derive(Clone, Debug, Default)]
pub struct SubscriptionProps {
    /// Deliver the raw message without the SNS envelope (SQS, HTTP(S), Firehose). Default: false.
    pub raw_message_delivery: bool,
    /// Only deliver messages matching this filter policy. Default: all messages.
    pub filter_policy: Option<Value>,
    /// An SQS queue ARN for messages that cannot be delivered. Default: none.
    pub dead_letter_queue_arn: Option<Value>,
}

/// A subscription of an endpoint to a topic (`AWS::SNS::Subscription`).
///
/// ```
/// use constructs::aws::sns::*;
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let topic = Topic::new(&stack, "Alerts", TopicProps::default());
/// Subscription::new(&stack, "Ops", &topic.arn(), SubscriptionEndpoint::Email("ops@example.com".into()), SubscriptionProps::default());
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Subscription {
    node: Construct,
    resource: CfnResource,
}

impl Scope for Subscription {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Subscription {
    /// Subscribes `endpoint` to the topic.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        topic: &TopicArn,
        endpoint: SubscriptionEndpoint,
        props: SubscriptionProps,
    ) -> Subscription {
        let node = Construct::new_typed(scope, id, "constructs.aws.sns.Subscription");
        if props.raw_message_delivery {
            let raw_ok = matches!(
                endpoint,
                SubscriptionEndpoint::Sqs(_)
                    | SubscriptionEndpoint::Https(_)
                    | SubscriptionEndpoint::Http(_)
                    | SubscriptionEndpoint::Firehose { .. }
            );
            if !raw_ok {
                node.add_error(format!(
                    "raw_message_delivery is only for sqs, http(s) and firehose endpoints, not {}",
                    endpoint.protocol()
                ));
            }
        }
        let resource: CfnResource = sns::CfnSubscription::new(
            &node,
            "Resource",
            sns::CfnSubscriptionProps {
                endpoint: Some(endpoint.endpoint()),
                filter_policy: props.filter_policy,
                protocol: Some(endpoint.protocol().into()),
                raw_message_delivery: props.raw_message_delivery.then_some(true.into()),
                // The redrive policy is free-form JSON in the schema; `deadLetterTargetArn` is SNS's own key.
                redrive_policy: props
                    .dead_letter_queue_arn
                    .map(|d| Value::map().with("deadLetterTargetArn", d)),
                subscription_role_arn: match &endpoint {
                    SubscriptionEndpoint::Firehose { role_arn, .. } => Some(role_arn.clone()),
                    _ => None,
                },
                topic_arn: Some(topic.value()),
                ..Default::default()
            },
        )
        .into();
        Subscription { node, resource }
    }

    /// The L1 resource (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::sns::{Topic, TopicProps};
    use crate::core::{App, Stack, StackProps};

    #[test]
    fn raw_delivery_only_where_supported() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let topic = Topic::new(&stack, "T", TopicProps::default());
        Subscription::new(
            &stack,
            "Mail",
            &topic.arn(),
            SubscriptionEndpoint::Email("a@example.com".into()),
            SubscriptionProps {
                raw_message_delivery: true,
                ..Default::default()
            },
        );
        let e = app.synth().expect_err("invalid").to_string();
        assert!(e.contains("S/Mail") && e.contains("not email"), "{e}");
    }
}
