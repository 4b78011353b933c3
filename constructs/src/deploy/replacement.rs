//! Replacement safety: which changes destroy a resource, which resources hold
//! state, and when a deploy may destroy one.
//!
//! A deploy reads what each change set replaces or deletes (its `Replacement`
//! field) and refuses, before executing it, to destroy a stateful resource
//! ([`STATEFUL_TYPES`], or one whose `Metadata` has `"constructs:stateful": true`)
//! unless the template consents or the user names it (`--allow-replacement`):
//!
//! - **Replaced** (the old physical resource goes, a new empty one takes its
//!   place): only an explicit `UpdateReplacePolicy: Delete` (removal policy
//!   `Destroy`) consents. `Retain` and `Snapshot` keep the old data, but the
//!   stack moves on to a new, empty resource, so the application loses its
//!   data all the same; and both are the CDK's defaults for stateful
//!   resources, so they say nothing about the user's intent. A missing policy
//!   is CloudFormation's default `Delete`, a consent nobody gave.
//! - **Deleted** (gone from the template): `DeletionPolicy: Retain` (or
//!   `RetainExceptOnCreate`) consents, since nothing is destroyed (the resource
//!   leaves the stack and stays in the account), as does an explicit `Delete`;
//!   `Snapshot` does not (the live resource is deleted, a snapshot is not a
//!   running database) and neither does a missing policy.
//!
//! `diff` (no change set) predicts replacements from [`create_only_properties`].

use std::fmt;

use serde_json::Value as Json;

/// Resource types whose resources hold data or identity that a replacement or
/// deletion destroys. Data, not code: extend it per resource with the
/// `"constructs:stateful": true` metadata entry.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::EFS::FileSystem",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::ECR::Repository",
    "AWS::Cognito::UserPool",
    "AWS::SQS::Queue",
    "AWS::Kinesis::Stream",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster",
    "AWS::DocDB::DBCluster",
    "AWS::OpenSearchService::Domain",
    "AWS::Backup::BackupVault",
];

/// The metadata key a construct sets (`true`) to mark its resource stateful.
pub const STATEFUL_METADATA_KEY: &str = "constructs:stateful";

/// The create-only properties of a resource type (a change replaces the resource).
///
/// The create-only properties of a resource type (changing one replaces the
/// resource), as the CloudFormation registry schemas list them
/// ([`crate::cfn::facts`]): top-level names and paths below them
/// (`Subnet/Foo`). Empty for a type the schemas do not know. `diff` (no change
/// set) predicts replacements from these; `deploy` reads the change set's
/// `Replacement`.
pub fn create_only_properties(resource_type: &str) -> &'static [&'static str] {
    crate::cfn::facts::resource_facts(resource_type).map_or(&[], |f| f.create_only.as_slice())
}

/// How sure a replacement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Replacement {
    /// The change never replaces the resource.
    Never,
    /// It may: the new value is only known at deploy time (a reference or a
    /// parameter), or CloudFormation says `Conditional`.
    May,
    /// It does.
    Requires,
}

impl Replacement {
    /// The words `diff` and `deploy` print, e.g. "requires replacement".
    pub fn describe(self) -> &'static str {
        match self {
            Replacement::Never => "",
            Replacement::May => "may be replaced",
            Replacement::Requires => "requires replacement",
        }
    }
}

/// What a change does to a resource that it destroys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destruction {
    /// A new resource replaces it (how sure, as CloudFormation says).
    Replaced(Replacement),
    /// It is removed from the stack.
    Deleted,
}

/// A replacement or deletion in a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestructiveChange {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// Replaced or deleted.
    pub destruction: Destruction,
    /// The properties whose change requires (or may require) the replacement.
    pub properties: Vec<String>,
}

impl fmt::Display for DestructiveChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.logical_id, self.resource_type)?;
        match self.destruction {
            Destruction::Deleted => write!(f, " is deleted"),
            Destruction::Replaced(r) => {
                write!(f, " {}", r.describe())?;
                if !self.properties.is_empty() {
                    write!(f, " (changed: {})", self.properties.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

/// A destructive change the deploy refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedChange {
    /// The change.
    pub change: DestructiveChange,
    /// The policy attribute that was looked at (`UpdateReplacePolicy` or `DeletionPolicy`) and its value.
    pub policy: (&'static str, Option<String>),
}

impl fmt::Display for RefusedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, value) = &self.policy;
        let value = value.as_deref().unwrap_or("not set (CloudFormation's default: Delete)");
        write!(
            f,
            "{} is a stateful resource and its {name} is {value}; \
             --allow-replacement {} allows it (or a removal policy of Destroy{})",
            self.change,
            self.change.logical_id,
            if name.starts_with("Deletion") { " or Retain" } else { "" }
        )
    }
}

/// Which destructive changes the user allowed: logical ids, or `all`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowReplacement(pub Vec<String>);

impl AllowReplacement {
    fn allows(&self, logical_id: &str) -> bool {
        self.0.iter().any(|a| a == "all" || a == logical_id)
    }
}

/// True when the resource (its template entry) holds state.
pub fn is_stateful(resource_type: &str, resource: Option<&Json>) -> bool {
    STATEFUL_TYPES.contains(&resource_type)
        || resource
            .and_then(|r| r.get("Metadata"))
            .and_then(|m| m.get(STATEFUL_METADATA_KEY))
            .and_then(Json::as_bool)
            .unwrap_or(false)
}

fn policy(template: Option<&Json>, logical_id: &str, attribute: &str) -> Option<String> {
    template?
        .get("Resources")?
        .get(logical_id)?
        .get(attribute)?
        .as_str()
        .map(str::to_owned)
}

/// The destructive changes that are refused: stateful, not consented to by the
/// template's policy, not allowed by the user. `new` is the template being
/// deployed (its `UpdateReplacePolicy` applies to a replacement), `deployed`
/// the stack's current one (its `DeletionPolicy` applies to a deletion).
pub fn refused(
    changes: &[DestructiveChange],
    new: &Json,
    deployed: Option<&Json>,
    allow: &AllowReplacement,
) -> Vec<RefusedChange> {
    let resource = |t: Option<&Json>, id: &str| t.and_then(|t| t.get("Resources")).and_then(|r| r.get(id)).cloned();
    changes
        .iter()
        .filter(|c| !allow.allows(&c.logical_id))
        .filter_map(|c| {
            let (attribute, template) = match c.destruction {
                Destruction::Replaced(_) => ("UpdateReplacePolicy", Some(new)),
                Destruction::Deleted => ("DeletionPolicy", deployed),
            };
            let entry = resource(template, &c.logical_id).or_else(|| resource(deployed, &c.logical_id));
            if !is_stateful(&c.resource_type, entry.as_ref()) {
                return None;
            }
            let value = policy(template, &c.logical_id, attribute);
            let consents = matches!(
                (c.destruction, value.as_deref()),
                (_, Some("Delete")) | (Destruction::Deleted, Some("Retain" | "RetainExceptOnCreate"))
            );
            (!consents).then(|| RefusedChange {
                change: c.clone(),
                policy: (attribute, value),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn replaced(id: &str, t: &str) -> DestructiveChange {
        DestructiveChange {
            logical_id: id.into(),
            resource_type: t.into(),
            destruction: Destruction::Replaced(Replacement::Requires),
            properties: vec!["DatabaseName".into()],
        }
    }

    #[test]
    fn a_stateful_replacement_needs_a_delete_policy_or_the_flag() {
        let snapshot = json!({"Resources": {"Db": {"Type": "AWS::RDS::DBCluster", "UpdateReplacePolicy": "Snapshot"}}});
        let delete = json!({"Resources": {"Db": {"Type": "AWS::RDS::DBCluster", "UpdateReplacePolicy": "Delete"}}});
        let change = [replaced("Db", "AWS::RDS::DBCluster")];
        let none = AllowReplacement::default();
        let r = refused(&change, &snapshot, Some(&snapshot), &none);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].policy, ("UpdateReplacePolicy", Some("Snapshot".into())));
        assert!(r[0].to_string().contains("--allow-replacement Db"), "{}", r[0]);
        assert!(refused(&change, &delete, Some(&snapshot), &none).is_empty());
        assert!(refused(&change, &snapshot, None, &AllowReplacement(vec!["Db".into()])).is_empty());
        assert!(refused(&change, &snapshot, None, &AllowReplacement(vec!["all".into()])).is_empty());
        assert_eq!(
            refused(&change, &snapshot, None, &AllowReplacement(vec!["Other".into()])).len(),
            1
        );
    }

    #[test]
    fn stateless_resources_and_retained_deletions_pass() {
        let t = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
        let none = AllowReplacement::default();
        assert!(refused(&[replaced("Topic", "AWS::SNS::Topic")], &t, None, &none).is_empty());
        let marked =
            json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Metadata": {"constructs:stateful": true}}}});
        assert_eq!(
            refused(&[replaced("Topic", "AWS::SNS::Topic")], &marked, None, &none).len(),
            1
        );
        let deleted = |id: &str| DestructiveChange {
            logical_id: id.into(),
            resource_type: "AWS::S3::Bucket".into(),
            destruction: Destruction::Deleted,
            properties: Vec::new(),
        };
        let old = json!({"Resources": {
            "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "Snap": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Snapshot"},
            "Bare": {"Type": "AWS::S3::Bucket"}
        }});
        let new = json!({"Resources": {}});
        let r = refused(
            &[deleted("Kept"), deleted("Snap"), deleted("Bare")],
            &new,
            Some(&old),
            &none,
        );
        let ids: Vec<&str> = r.iter().map(|r| r.change.logical_id.as_str()).collect();
        assert_eq!(ids, ["Snap", "Bare"]);
    }
}
