//! Splitting ARNs into their components, as the CDK's `Arn.split` does: a
//! literal ARN is parsed at once; an ARN that is a reference (a token) is
//! split in the template with `Fn::Select` and `Fn::Split`.

use super::value::Value;

/// How the resource part of an ARN separates the resource type from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArnFormat {
    /// `arn:aws:lambda:us-east-1:123456789012:function:name` (Lambda, Step Functions).
    ColonResourceName,
    /// `arn:aws:iam::123456789012:role/path/name` (IAM, EC2, most services).
    SlashResourceName,
    /// `arn:aws:sns:us-east-1:123456789012:name` (SNS, SQS): the resource is the name.
    NoResourceName,
}

/// The components of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>[:/]<resource_name>`.
///
/// ```
/// use constructs::core::{Arn, ArnFormat, Value};
/// let arn = Arn::split(&Value::from("arn:aws:lambda:eu-west-1:123456789012:function:hello"), ArnFormat::ColonResourceName);
/// assert_eq!(arn.region.as_str(), Some("eu-west-1"));
/// assert_eq!(arn.resource_name.as_ref().and_then(Value::as_str), Some("hello"));
/// ```
#[derive(Clone, Debug)]
pub struct Arn {
    /// The partition, e.g. `aws`.
    pub partition: Value,
    /// The service, e.g. `lambda`.
    pub service: Value,
    /// The region; empty for global services (IAM).
    pub region: Value,
    /// The account id.
    pub account: Value,
    /// The resource type (or, for [`ArnFormat::NoResourceName`], the resource itself).
    pub resource: Value,
    /// The resource's name, when the format has one.
    pub resource_name: Option<Value>,
}

impl Arn {
    /// Splits `arn`. A literal that is not an ARN (fewer than six `:`-separated
    /// parts) gives empty components; check with [`Arn::is_valid_literal`] first
    /// where that matters. A reference is split in the template.
    pub fn split(arn: &Value, format: ArnFormat) -> Arn {
        match arn.as_str() {
            Some(s) => split_literal(s, format),
            None => split_token(arn, format),
        }
    }

    /// True when `arn` is a literal of the form `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn is_valid_literal(arn: &str) -> bool {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        parts.len() == 6 && parts[0] == "arn" && !parts[1].is_empty() && !parts[2].is_empty() && !parts[5].is_empty()
    }
}

fn split_literal(s: &str, format: ArnFormat) -> Arn {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let part = |i: usize| Value::from(parts.get(i).copied().unwrap_or_default());
    let rest = parts.get(5).copied().unwrap_or_default();
    let (resource, resource_name) = match format {
        ArnFormat::NoResourceName => (rest, None),
        ArnFormat::ColonResourceName => match rest.split_once(':') {
            Some((r, n)) => (r, Some(n)),
            None => (rest, None),
        },
        ArnFormat::SlashResourceName => match rest.split_once('/') {
            Some((r, n)) => (r, Some(n)),
            None => (rest, None),
        },
    };
    Arn {
        partition: part(1),
        service: part(2),
        region: part(3),
        account: part(4),
        resource: Value::from(resource),
        resource_name: resource_name.map(Value::from),
    }
}

fn split_token(arn: &Value, format: ArnFormat) -> Arn {
    let part = |i: u32| Value::select(i, Value::split(":", arn.clone()));
    let (resource, resource_name) = match format {
        ArnFormat::NoResourceName => (part(5), None),
        ArnFormat::ColonResourceName => (part(5), Some(part(6))),
        ArnFormat::SlashResourceName => {
            let rest = part(5);
            (
                Value::select(0, Value::split("/", rest.clone())),
                Some(Value::select(1, Value::split("/", rest))),
            )
        }
    };
    Arn {
        partition: part(1),
        service: part(2),
        region: part(3),
        account: part(4),
        resource,
        resource_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_parsed_per_format() {
        let role = Arn::split(
            &Value::from("arn:aws:iam::123456789012:role/service-role/Runner"),
            ArnFormat::SlashResourceName,
        );
        assert_eq!(role.region.as_str(), Some(""));
        assert_eq!(role.account.as_str(), Some("123456789012"));
        assert_eq!(role.resource.as_str(), Some("role"));
        assert_eq!(
            role.resource_name.as_ref().and_then(Value::as_str),
            Some("service-role/Runner")
        );
        let topic = Arn::split(
            &Value::from("arn:aws-cn:sns:cn-north-1:123456789012:alerts"),
            ArnFormat::NoResourceName,
        );
        assert_eq!(topic.partition.as_str(), Some("aws-cn"));
        assert_eq!(topic.resource.as_str(), Some("alerts"));
        assert!(topic.resource_name.is_none());
        let function = Arn::split(
            &Value::from("arn:aws:lambda:us-east-1:123456789012:function:f:prod"),
            ArnFormat::ColonResourceName,
        );
        assert_eq!(function.resource_name.as_ref().and_then(Value::as_str), Some("f:prod"));
        assert!(Arn::is_valid_literal("arn:aws:sns:us-east-1:123456789012:alerts"));
        assert!(!Arn::is_valid_literal("alerts"));
    }

    #[test]
    fn tokens_are_split_in_the_template() {
        let arn = Value::import_value("Shared:FunctionArn");
        let parsed = Arn::split(&arn, ArnFormat::ColonResourceName);
        let expected = Value::select(6, Value::split(":", Value::import_value("Shared:FunctionArn")));
        assert_eq!(
            format!("{:?}", parsed.resource_name.unwrap_or_default()),
            format!("{expected:?}")
        );
        let role = Arn::split(&arn, ArnFormat::SlashResourceName);
        let expected = Value::select(
            1,
            Value::split(
                "/",
                Value::select(5, Value::split(":", Value::import_value("Shared:FunctionArn"))),
            ),
        );
        assert_eq!(
            format!("{:?}", role.resource_name.unwrap_or_default()),
            format!("{expected:?}")
        );
    }
}
