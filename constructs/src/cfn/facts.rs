//! The registry schemas' facts about every resource type, whatever features are
//! on: property names, required, create-only, write-only and read-only
//! properties, the primary identifier and how the type takes tags.
//!
//! Tagging ([`Tags`](crate::core::Tags)), the check of raw resources at
//! synthesis and replacement safety (a change to a create-only property
//! replaces the resource) read them here. The table is generated
//! (`generated/facts.tsv`) and parsed once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::core::TagFormat;

const TABLE: &str = include_str!("generated/facts.tsv");

/// How a resource type takes tags: the property and its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tagging {
    /// The tag property, usually `Tags` (`UserPoolTags`, `FileSystemTags` ... on some types).
    pub property: &'static str,
    /// The shape of the property's value.
    pub format: TagFormat,
}

/// What the registry schema says about one resource type.
///
/// Property paths (create-only, write-only, read-only) are relative to
/// `Properties` with `/` between levels and `*` for any list item, as in the
/// schema's JSON pointers: `QueueName`, `Endpoint/Address`, `Tags/*/Key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceFacts {
    /// The type, e.g. `AWS::SQS::Queue`.
    pub type_name: &'static str,
    /// How the type takes tags; `None` when it cannot be tagged.
    pub tagging: Option<Tagging>,
    /// The properties a template may set, sorted.
    pub properties: Vec<&'static str>,
    /// The properties a template must set, sorted.
    pub required: Vec<&'static str>,
    /// Paths whose change replaces the resource.
    pub create_only: Vec<&'static str>,
    /// Paths CloudFormation accepts but never returns (secrets, passwords).
    pub write_only: Vec<&'static str>,
    /// Paths the service sets: the attributes of `Fn::GetAtt` (with `.` for `/`).
    pub read_only: Vec<&'static str>,
    /// The paths that identify a physical resource.
    pub primary_identifier: Vec<&'static str>,
}

impl ResourceFacts {
    /// True when a template may set this top-level property.
    pub fn has_property(&self, name: &str) -> bool {
        self.properties.binary_search(&name).is_ok()
    }

    /// True when changing the property at `path` (e.g. `QueueName` or
    /// `KeySchema`) replaces the resource: the path, or a path above it, is create-only.
    pub fn is_create_only(&self, path: &str) -> bool {
        self.create_only
            .iter()
            .any(|c| path == *c || path.strip_prefix(c).is_some_and(|rest| rest.starts_with('/')))
    }

    /// The attribute names `Fn::GetAtt` accepts, e.g. `Arn`, `Endpoint.Address`.
    pub fn attributes(&self) -> impl Iterator<Item = String> + '_ {
        self.read_only
            .iter()
            .filter(|p| !p.contains('*'))
            .map(|p| p.replace('/', "."))
    }

    /// The settable property nearest to `name` by edit distance, for "did you mean" hints.
    pub fn closest_property(&self, name: &str) -> Option<&'static str> {
        let lower = name.to_lowercase();
        self.properties
            .iter()
            .map(|p| (strsim::levenshtein(&lower, &p.to_lowercase()), *p))
            .filter(|(d, p)| *d <= (p.len() / 3).max(2))
            .min()
            .map(|(_, p)| p)
    }
}

fn list(field: &'static str) -> Vec<&'static str> {
    if field.is_empty() {
        Vec::new()
    } else {
        field.split(',').collect()
    }
}

fn parse_line(line: &'static str) -> Option<ResourceFacts> {
    let mut f = line.split('\t');
    let type_name = f.next()?;
    let tagging = f.next()?.split_once(':').and_then(|(property, shape)| {
        let format = match shape {
            "standard" => TagFormat::Standard,
            "map" => TagFormat::Map,
            "autoscaling" => TagFormat::AutoScaling,
            _ => return None,
        };
        Some(Tagging { property, format })
    });
    Some(ResourceFacts {
        type_name,
        tagging,
        properties: list(f.next()?),
        required: list(f.next()?),
        create_only: list(f.next()?),
        write_only: list(f.next()?),
        read_only: list(f.next()?),
        primary_identifier: list(f.next()?),
    })
}

fn table() -> &'static HashMap<&'static str, ResourceFacts> {
    static TABLE_MAP: OnceLock<HashMap<&'static str, ResourceFacts>> = OnceLock::new();
    TABLE_MAP.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(parse_line)
            .map(|f| (f.type_name, f))
            .collect()
    })
}

/// The facts of a resource type, e.g. `resource_facts("AWS::SQS::Queue")`;
/// `None` for a type the schemas do not know (`Custom::*`, third-party registry types).
pub fn resource_facts(type_name: &str) -> Option<&'static ResourceFacts> {
    table().get(type_name)
}

/// Every resource type the schemas know, in no particular order.
pub fn all_resource_facts() -> impl Iterator<Item = &'static ResourceFacts> {
    table().values()
}

/// The version of the schemas: the header line of the generated table.
pub fn schema_source() -> &'static str {
    TABLE.lines().next().unwrap_or_default().trim_start_matches("# ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_parses() {
        let lines = TABLE.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count();
        assert_eq!(all_resource_facts().count(), lines);
        assert!(lines > 1000, "{lines} resource types");
    }

    #[test]
    fn a_queue_is_known_in_full() {
        let q = resource_facts("AWS::SQS::Queue").expect("a known type");
        assert!(q.has_property("VisibilityTimeout"));
        assert!(!q.has_property("Arn"), "read-only properties are not settable");
        assert!(q.is_create_only("QueueName"));
        assert!(q.is_create_only("FifoQueue"));
        assert!(!q.is_create_only("VisibilityTimeout"));
        assert_eq!(q.primary_identifier, ["QueueUrl"]);
        assert!(q.attributes().any(|a| a == "Arn"));
        assert_eq!(
            q.tagging,
            Some(Tagging {
                property: "Tags",
                format: TagFormat::Standard
            })
        );
        assert_eq!(q.closest_property("VisibiltyTimeout"), Some("VisibilityTimeout"));
        assert_eq!(q.closest_property("Completely"), None);
    }

    #[test]
    fn odd_tag_shapes_come_from_the_schemas() {
        let tagging = |t: &str| resource_facts(t).and_then(|f| f.tagging);
        assert_eq!(tagging("AWS::SSM::Parameter").map(|t| t.format), Some(TagFormat::Map));
        assert_eq!(
            tagging("AWS::AutoScaling::AutoScalingGroup").map(|t| t.format),
            Some(TagFormat::AutoScaling)
        );
        assert_eq!(
            tagging("AWS::Cognito::UserPool").map(|t| t.property),
            Some("UserPoolTags")
        );
        assert_eq!(tagging("AWS::EC2::Route"), None);
    }

    #[test]
    fn create_only_covers_paths_below() {
        let t = resource_facts("AWS::DynamoDB::Table").expect("a known type");
        assert!(t.is_create_only("TableName"));
        assert!(t.write_only.is_empty() || t.write_only.iter().all(|p| !p.is_empty()));
        assert!(resource_facts("Custom::Thing").is_none());
    }
}
