//! Amazon SQS: queues encrypted by default (SSE-SQS), with a dead-letter queue
//! option and least-privilege grants.

mod queue;

pub use queue::{DeadLetterQueue, Queue, QueueArn, QueueEncryption, QueueName, QueueProps, QueueRef, QueueUrl};
