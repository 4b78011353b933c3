//! Amazon SNS: topics (encrypted by default) and subscriptions.

mod subscription;
mod topic;

pub use subscription::{Subscription, SubscriptionEndpoint, SubscriptionProps};
pub use topic::{ITopic, ImportedTopic, Topic, TopicArn, TopicEncryption, TopicName, TopicProps};
