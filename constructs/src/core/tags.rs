//! Tags applied to a scope and every taggable resource beneath it.

use super::construct::Scope;
use super::value::Value;
use super::Construct;

/// How a resource type takes tags in its tag property (the registry schema's
/// `tagging`, see [`crate::cfn::facts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagFormat {
    /// A list of `{"Key": .., "Value": ..}` (most resource types).
    Standard,
    /// An object of key -> value (e.g. `AWS::SSM::Parameter`, `AWS::Cognito::UserPool`'s `UserPoolTags`).
    Map,
    /// A list of `{"Key", "Value", "PropagateAtLaunch": true}` (auto scaling groups).
    AutoScaling,
}

/// Orders tag keys as the CDK renders them (`a.key.localeCompare(b.key)`, ICU's
/// root collation, approximated for ASCII): punctuation before digits before
/// letters, letters without regard to case, then lower case before upper case.
/// So `aws-cdk:subnet-name` comes before `Name`, and `Name` before `stackId`.
pub fn cdk_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    const PUNCTUATION: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
    let primary = |c: char| -> (u8, u32) {
        if c.is_whitespace() {
            (0, u32::from(c))
        } else if c.is_ascii_digit() {
            (2, u32::from(c))
        } else if c.is_ascii_alphabetic() {
            (3, u32::from(c.to_ascii_lowercase()))
        } else if c.is_ascii() {
            let rank = PUNCTUATION.find(c).map_or(u32::from(c) + 64, |i| i as u32);
            (1, rank)
        } else {
            (4, u32::from(c))
        }
    };
    a.chars()
        .map(primary)
        .cmp(b.chars().map(primary))
        .then_with(|| {
            a.chars()
                .map(|c| c.is_uppercase())
                .cmp(b.chars().map(|c| c.is_uppercase()))
        })
        .then_with(|| a.cmp(b))
}

/// Applies tags to a scope: `Tags::of(&stack).add("stackId", Pseudo::StackId)`.
///
/// A tag applies to every resource beneath the scope whose registry schema
/// says it is taggable, in the shape and property the schema gives (a list of
/// `Key`/`Value`, a map, or the auto scaling group's list with
/// `PropagateAtLaunch`); a tag applied
/// closer to the resource wins over one with the same key further up. Tags are
/// rendered sorted by key in the CDK's order ([`cdk_key_order`]).
pub struct Tags {
    node: Construct,
}

impl Tags {
    /// The tags of a scope.
    pub fn of(scope: &impl Scope) -> Tags {
        Tags {
            node: scope.node().clone(),
        }
    }

    /// Adds (or replaces) a tag; the value may be a reference.
    pub fn add(&self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let mut tree = self.node.tree_mut();
        let n = &mut tree.nodes[self.node.idx];
        n.tags.retain(|(k, _)| *k != key);
        n.removed_tags.retain(|k| *k != key);
        n.tags.push((key, value.into()));
    }

    /// Removes a tag applied further up from this scope's resources.
    pub fn remove(&self, key: impl Into<String>) {
        let key = key.into();
        let mut tree = self.node.tree_mut();
        let n = &mut tree.nodes[self.node.idx];
        n.tags.retain(|(k, _)| *k != key);
        n.removed_tags.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::cdk_key_order;

    #[test]
    fn keys_sort_in_the_cdks_locale_order() {
        let mut keys = vec![
            "stackId",
            "Name",
            "aws-cdk:subnet-type",
            "aws-cdk:subnet-name",
            "B",
            "a",
            "b",
            "a1",
            "a-",
        ];
        keys.sort_by(|a, b| cdk_key_order(a, b));
        assert_eq!(
            keys,
            [
                "a",
                "a-",
                "a1",
                "aws-cdk:subnet-name",
                "aws-cdk:subnet-type",
                "b",
                "B",
                "Name",
                "stackId"
            ]
        );
    }
}
