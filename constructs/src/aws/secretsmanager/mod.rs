//! AWS Secrets Manager: secrets with generated values.

mod secret;

pub use secret::{AttachmentTarget, GenerateSecretString, Secret, SecretArn, SecretProps};
