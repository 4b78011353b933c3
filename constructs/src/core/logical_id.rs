//! Logical IDs from construct paths, with the AWS CDK's algorithm.
//!
//! This is `makeUniqueId` of `aws-cdk-lib/core/lib/private/uniqueid.ts`: a
//! construct at the same path below its stack gets the same logical ID as in a
//! CDK app, so a stack can move from the CDK to this tool without resources
//! being replaced.

use md5::{Digest, Md5};

/// Path components that are dropped from both the hash and the human part.
const HIDDEN_ID: &str = "Default";
/// Path components that are dropped from the human part only.
const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
/// Length of the hash suffix.
const HASH_LEN: usize = 8;
/// Maximum length of the human part.
const MAX_HUMAN_LEN: usize = 240;
/// Maximum length of a logical ID.
const MAX_ID_LEN: usize = 255;

/// Computes the logical ID for the path components below the stack.
///
/// Returns `None` when no component is left once `Default` components are
/// dropped (a path such as `Stack/Default` has no logical ID).
pub fn make_unique_id<S: AsRef<str>>(components: &[S]) -> Option<String> {
    let components: Vec<&str> = components
        .iter()
        .map(AsRef::as_ref)
        .filter(|c| *c != HIDDEN_ID)
        .collect();
    match components.as_slice() {
        [] => None,
        [only] if remove_non_alphanumeric(only).len() <= MAX_ID_LEN => Some(remove_non_alphanumeric(only)),
        _ => {
            let hash = path_hash(&components);
            let human: String = remove_dupes(&components)
                .into_iter()
                .filter(|c| *c != HIDDEN_FROM_HUMAN_ID)
                .map(remove_non_alphanumeric)
                .collect();
            let human: String = human.chars().take(MAX_HUMAN_LEN).collect();
            Some(human + &hash)
        }
    }
}

/// The first 8 hex digits (upper case) of the MD5 of the `/`-joined path.
fn path_hash(components: &[&str]) -> String {
    let digest = Md5::digest(components.join("/").as_bytes());
    let mut hex = String::with_capacity(HASH_LEN);
    for byte in &digest[..HASH_LEN / 2] {
        hex.push_str(&format!("{byte:02X}"));
    }
    hex
}

/// Drops a component when the previously kept one ends with it
/// (`Vpc/VpcSubnet` keeps both, `VpcSubnet/Subnet` keeps only the first).
fn remove_dupes<'a>(components: &[&'a str]) -> Vec<&'a str> {
    let mut kept: Vec<&str> = Vec::with_capacity(components.len());
    for c in components {
        if kept.last().is_none_or(|prev| !prev.ends_with(c)) {
            kept.push(c);
        }
    }
    kept
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// True when `id` is a valid CloudFormation logical ID (`^[A-Za-z0-9]{1,255}$`).
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str) -> Option<String> {
        make_unique_id(&path.split('/').collect::<Vec<_>>())
    }

    #[test]
    fn known_cdk_examples() {
        // From the CDK's own unit tests (core/test/uniqueid.test.ts) and the seed app.
        assert_eq!(
            id("Vpc/PublicSubnet1/Subnet").as_deref(),
            Some("VpcPublicSubnet1Subnet5C2D37C4")
        );
        assert_eq!(
            id("DBCluster/Subnets/Default").as_deref(),
            Some("DBClusterSubnets1338ED0E")
        );
        assert_eq!(
            id("AlbAccessLogBucket/Policy/Resource").as_deref(),
            Some("AlbAccessLogBucketPolicy5067FD6E")
        );
        assert_eq!(id("Bucket").as_deref(), Some("Bucket"));
        assert_eq!(id("My-Bucket").as_deref(), Some("MyBucket"));
    }

    #[test]
    fn export_output_ids_match_the_cdk() {
        let path = [
            "Exports",
            r#"Output{"Fn::GetAtt":["DescribeDbClusterFunction7604916E","Arn"]}"#,
        ];
        assert_eq!(
            make_unique_id(&path).as_deref(),
            Some("ExportsOutputFnGetAttDescribeDbClusterFunction7604916EArn3F5BEFDB")
        );
    }

    #[test]
    fn default_only_path_has_no_id() {
        assert_eq!(id("Default"), None);
        assert_eq!(id("Default/Foo").as_deref(), Some("Foo"));
    }

    #[test]
    fn human_part_is_cut_to_240_characters() {
        let long = "A".repeat(300);
        let got = make_unique_id(&[long.as_str(), "B"]).unwrap_or_default();
        assert_eq!(got.len(), 240 + 8);
        assert!(is_valid_logical_id(&got));
    }

    #[test]
    fn dupes_are_removed_from_the_human_part_only() {
        let got = id("Vpc/VpcSubnet/Subnet").unwrap_or_default();
        assert!(got.starts_with("VpcVpcSubnet"), "{got}");
        assert!(!got.starts_with("VpcVpcSubnetSubnet"), "{got}");
        assert_ne!(got, id("Vpc/VpcSubnet").unwrap_or_default());
    }
}
