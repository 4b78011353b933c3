//! Context a construct needs from the environment (e.g. the AZ names of an
//! account and region) and did not find: recorded at synthesis as the CDK's
//! `missing` entries of `manifest.json`, for the CLI to look up and save in
//! `cdk.context.json` before synthesizing again. Synthesis itself never calls
//! AWS: until the value is known, the construct uses a dummy value.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::bootstrap_names::BootstrapNames;

/// The CDK's context provider of an environment's availability zone names.
pub const AVAILABILITY_ZONES_PROVIDER: &str = "availability-zones";

/// The names the CDK uses for the AZs of an environment whose
/// `availability-zones:...` context is not known yet (never deployed: the CLI
/// looks the real names up first).
pub const DUMMY_AVAILABILITY_ZONES: [&str; 3] = ["dummy1a", "dummy1b", "dummy1c"];

/// The file the CLI saves looked-up context values in, next to `cdk.json`
/// (the CDK's name and JSON shape: one object of key/value pairs).
pub const CONTEXT_FILE: &str = "cdk.context.json";

/// A context value synthesis needed and did not have: one entry of the
/// manifest's `missing` list, in the CDK's schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingContext {
    /// The context key, e.g. `availability-zones:account=123456789012:region=ap-northeast-1`.
    pub key: String,
    /// The provider that can answer it, e.g. [`AVAILABILITY_ZONES_PROVIDER`].
    pub provider: String,
    /// The provider's query: `account`, `region` and `lookupRoleArn` (the
    /// bootstrap's lookup role, `${AWS::Partition}` left for the CLI).
    pub props: Map<String, Json>,
}

impl MissingContext {
    /// The entry for the AZ names of `account`/`region`, looked up as the
    /// lookup role of the bootstrap `names` describes.
    pub fn availability_zones(account: &str, region: &str, names: &BootstrapNames) -> MissingContext {
        let mut props = Map::new();
        props.insert("account".into(), account.into());
        props.insert("region".into(), region.into());
        props.insert(
            "lookupRoleArn".into(),
            names
                .role_arn("lookup")
                .replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", region)
                .into(),
        );
        MissingContext {
            key: availability_zones_key(account, region),
            provider: AVAILABILITY_ZONES_PROVIDER.to_owned(),
            props,
        }
    }

    /// A string property of the query (`account`, `region`, `lookupRoleArn`).
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props.get(name).and_then(Json::as_str)
    }
}

/// The CDK's context key of the AZ names of an environment:
/// `availability-zones:account=ACCOUNT:region=REGION`.
pub fn availability_zones_key(account: &str, region: &str) -> String {
    format!("{AVAILABILITY_ZONES_PROVIDER}:account={account}:region={region}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_availability_zones_entry_has_the_cdks_key_and_query() {
        let m = MissingContext::availability_zones("123456789012", "ap-northeast-1", &BootstrapNames::default());
        assert_eq!(m.key, "availability-zones:account=123456789012:region=ap-northeast-1");
        let json = serde_json::to_value(&m).expect("serializes");
        assert_eq!(json["provider"], "availability-zones");
        assert_eq!(json["props"]["region"], "ap-northeast-1");
        assert_eq!(
            m.prop("lookupRoleArn"),
            Some("arn:${AWS::Partition}:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-ap-northeast-1")
        );
    }
}
