//! Principals: who a policy statement or trust policy is about.

use crate::core::Value;

/// A principal in a trust policy or resource policy.
#[derive(Clone, Debug)]
pub enum Principal {
    /// An AWS service, e.g. `Principal::service("lambda.amazonaws.com")`.
    Service(String),
    /// An AWS account, user or role, by ARN or account id.
    Aws(Value),
    /// Anyone (`"*"`): only use with conditions that narrow it.
    Any,
}

impl Principal {
    /// A service principal, e.g. `states.amazonaws.com`.
    pub fn service(name: impl Into<String>) -> Principal {
        Principal::Service(name.into())
    }

    /// The `Principal` element of a statement.
    pub fn to_value(&self) -> Value {
        match self {
            Principal::Service(s) => Value::map().with("Service", s.as_str()),
            Principal::Aws(v) => Value::map().with("AWS", v.clone()),
            Principal::Any => Value::map().with("AWS", "*"),
        }
    }
}
