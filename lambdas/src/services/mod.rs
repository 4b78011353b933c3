//! The APIs the handlers call (AWS services and the Slack webhook), one
//! module per service: a small trait per service (implemented for the SDK
//! client and, in tests, for fakes), and the JSON shapes of the results.
//!
//! The aws-sdk-rust types do not implement `Serialize`, but the state
//! machines read the results by the API's own field names
//! (`$.Output.Payload.Reservations[0].Instances[0].State.Code`). Each module
//! therefore mirrors the fields a job net reads (and a few more useful ones)
//! in serde structs with the API's PascalCase names, converted from the SDK
//! types. Absent values are left out, as the AWS SDK for JavaScript (the
//! seed's) leaves them out; timestamps are ISO 8601 text.

pub mod backup;
pub mod ec2;
pub mod elbv2;
pub mod rds;
pub mod slack;
pub mod ssm;

#[cfg(test)]
pub(crate) mod fakes;

use aws_sdk_ssm::primitives::{DateTime, DateTimeFormat};
use serde::Deserialize;

/// A filter of a `Describe*` call (EC2 and RDS): `{"Name": "tag:Name", "Values": ["web"]}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Filter {
    /// The filter's name.
    pub name: String,
    /// The values, any of which matches.
    pub values: Vec<String>,
}

/// An SDK timestamp as ISO 8601 text (`2021-05-20T10:00:00Z`).
pub(crate) fn timestamp(time: Option<DateTime>) -> Option<String> {
    time.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

/// The text of an SDK enum (`InstanceStateName::Running` -> `running`).
pub(crate) fn text<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    value.map(|v| v.as_ref().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601() {
        assert_eq!(
            timestamp(Some(DateTime::from_secs(1_621_504_800))).as_deref(),
            Some("2021-05-20T10:00:00Z")
        );
        assert_eq!(timestamp(None), None);
    }
}
