//! `diff`: the local template against the deployed one. Resources added,
//! removed and modified (down to the property), parameters and outputs, and
//! the IAM and security-group changes a reviewer should look at.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value as Json};

use super::replacement::{create_only_properties, Replacement};

/// How an element changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the local template.
    Added,
    /// Only in the deployed template.
    Removed,
    /// In both, different.
    Modified,
}

impl ChangeKind {
    fn symbol(self) -> &'static str {
        match self {
            ChangeKind::Added => "[+]",
            ChangeKind::Removed => "[-]",
            ChangeKind::Modified => "[~]",
        }
    }
}

/// One changed value inside a resource, e.g. `Properties.Value`.
#[derive(Clone, Debug, PartialEq)]
pub struct PropertyChange {
    /// The path, e.g. `Properties.Tags[0].Value`.
    pub path: String,
    /// The deployed value (`None` when added).
    pub old: Option<Json>,
    /// The local value (`None` when removed).
    pub new: Option<Json>,
    /// Whether the change replaces the resource: the property is create-only
    /// ([`create_only_properties`]); "may" when the changed part is a reference
    /// or intrinsic whose value is only known at deploy time.
    pub replacement: Replacement,
}

/// A changed resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDiff {
    /// The logical id.
    pub logical_id: String,
    /// The type (the local one when both exist).
    pub resource_type: String,
    /// Added, removed or modified.
    pub kind: ChangeKind,
    /// For a modified resource, what changed in it.
    pub changes: Vec<PropertyChange>,
}

impl ResourceDiff {
    /// Whether the changes replace the resource (the surest of its property changes).
    pub fn replacement(&self) -> Replacement {
        self.changes
            .iter()
            .map(|c| c.replacement)
            .max()
            .unwrap_or(Replacement::Never)
    }
}

/// How a change at `path` (e.g. `Properties.ImageId.Ref`) of a resource of this type replaces it.
fn replacement_of(resource_type: &str, path: &str) -> Replacement {
    let Some(rest) = path.strip_prefix("Properties.") else {
        return Replacement::Never;
    };
    let property = rest.split(['.', '[']).next().unwrap_or_default();
    let create_only = create_only_properties(resource_type);
    if !create_only.contains(&property) {
        // A create-only path below the property: whether this change touches it is not known here.
        let below = create_only
            .iter()
            .any(|c| c.strip_prefix(property).is_some_and(|r| r.starts_with('/')));
        return if below { Replacement::May } else { Replacement::Never };
    }
    let through_intrinsic = rest
        .split('.')
        .skip(1)
        .any(|segment| segment == "Ref" || segment.starts_with("Fn::"));
    if through_intrinsic {
        Replacement::May
    } else {
        Replacement::Requires
    }
}

/// What a security change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityKind {
    /// IAM roles, policies, and resource policies (`AWS::IAM::*`, `AWS::Lambda::Permission`, ...).
    Iam,
    /// Security groups and their ingress and egress rules.
    SecurityGroup,
}

/// An IAM or security-group change, called out for review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityChange {
    /// The logical id.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// IAM or security group.
    pub kind: SecurityKind,
    /// Added, removed or modified.
    pub change: ChangeKind,
    /// True when it grants more: new statements, principals, managed policies or rules.
    pub broadening: bool,
}

/// The differences of one stack.
#[derive(Clone, Debug, PartialEq)]
pub struct StackDiff {
    /// The stack (artifact id).
    pub stack: String,
    /// Not deployed yet.
    pub new_stack: bool,
    /// Changed resources, in template order.
    pub resources: Vec<ResourceDiff>,
    /// Changed parameters (the bootstrap version parameter is not shown).
    pub parameters: Vec<(String, ChangeKind)>,
    /// Changed outputs.
    pub outputs: Vec<(String, ChangeKind)>,
    /// Other changed sections (`Conditions`, `Mappings`, `Description` ...).
    pub sections: Vec<String>,
    /// IAM and security-group changes among the resource changes.
    pub security: Vec<SecurityChange>,
}

impl StackDiff {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.parameters.is_empty() && self.outputs.is_empty() && self.sections.is_empty()
    }

    /// True when a security change grants more than before.
    pub fn is_broadening(&self) -> bool {
        self.security.iter().any(|s| s.broadening)
    }
}

/// Resources that are CDK bookkeeping, not infrastructure (hidden like `cdk diff` does).
const HIDDEN_TYPES: &[&str] = &["AWS::CDK::Metadata"];
/// Template parameters and rules of the bootstrap version check (hidden like `cdk diff` does).
const HIDDEN_PARAMETERS: &[&str] = &["BootstrapVersion"];

const IAM_TYPES: &[&str] = &[
    "AWS::Lambda::Permission",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Events::EventBusPolicy",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::KMS::Key",
];
const IAM_PROPERTIES: &[&str] = &[
    "Policies",
    "PolicyDocument",
    "AssumeRolePolicyDocument",
    "ManagedPolicyArns",
    "KeyPolicy",
    "PermissionsBoundary",
];
const SG_TYPES: &[&str] = &[
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
];
const SG_PROPERTIES: &[&str] = &["SecurityGroupIngress", "SecurityGroupEgress"];

fn section<'a>(t: Option<&'a Json>, name: &str) -> Option<&'a Map<String, Json>> {
    t.and_then(|t| t.get(name)).and_then(Json::as_object)
}

fn keyed_changes(
    old: Option<&Map<String, Json>>,
    new: Option<&Map<String, Json>>,
    hidden: &[&str],
) -> Vec<(String, ChangeKind)> {
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut out = Vec::new();
    for (k, v) in new {
        if hidden.contains(&k.as_str()) {
            continue;
        }
        match old.get(k) {
            None => out.push((k.clone(), ChangeKind::Added)),
            Some(o) if o != v => out.push((k.clone(), ChangeKind::Modified)),
            Some(_) => {}
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) && !hidden.contains(&k.as_str()) {
            out.push((k.clone(), ChangeKind::Removed));
        }
    }
    out
}

/// Walks two JSON values and records every leaf that differs.
fn value_changes(path: &str, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<PropertyChange>) {
    match (old, new) {
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            for (k, v) in b {
                value_changes(&join(path, k), a.get(k), Some(v), out);
            }
            for (k, v) in a {
                if !b.contains_key(k) {
                    value_changes(&join(path, k), Some(v), None, out);
                }
            }
        }
        (Some(Json::Array(a)), Some(Json::Array(b))) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                value_changes(&format!("{path}[{i}]"), Some(x), Some(y), out);
            }
        }
        (a, b) if a != b => out.push(PropertyChange {
            path: path.to_owned(),
            old: a.cloned(),
            new: b.cloned(),
            replacement: Replacement::Never,
        }),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn security_kind(resource_type: &str, changes: &[PropertyChange]) -> Option<SecurityKind> {
    let touches = |names: &[&str]| {
        changes.iter().any(|c| {
            let p = c.path.strip_prefix("Properties.").unwrap_or("");
            names
                .iter()
                .any(|n| p == *n || p.starts_with(&format!("{n}.")) || p.starts_with(&format!("{n}[")))
        })
    };
    if SG_TYPES.contains(&resource_type) || touches(SG_PROPERTIES) {
        Some(SecurityKind::SecurityGroup)
    } else if resource_type.starts_with("AWS::IAM::") || IAM_TYPES.contains(&resource_type) || touches(IAM_PROPERTIES) {
        Some(SecurityKind::Iam)
    } else {
        None
    }
}

/// The grants in a resource: policy statements, managed policy ARNs,
/// principals, and security-group rules, each as compact JSON.
fn grants(resource: Option<&Json>) -> BTreeSet<String> {
    fn walk(key: &str, v: &Json, out: &mut BTreeSet<String>) {
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    walk(k, v, out);
                }
            }
            Json::Array(items)
                if matches!(
                    key,
                    "Statement" | "ManagedPolicyArns" | "SecurityGroupIngress" | "SecurityGroupEgress"
                ) =>
            {
                out.extend(items.iter().map(Json::to_string));
            }
            Json::Array(items) => {
                for v in items {
                    walk(key, v, out);
                }
            }
            _ if matches!(
                key,
                "Principal" | "SourceArn" | "CidrIp" | "CidrIpv6" | "SourceSecurityGroupId"
            ) =>
            {
                out.insert(format!("{key}={v}"));
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Some(props) = resource.and_then(|r| r.get("Properties")) {
        walk("", props, &mut out);
    }
    out
}

/// Compares a deployed template (`None`: not deployed) with the local one.
pub fn diff_templates(stack: &str, deployed: Option<&Json>, local: &Json) -> StackDiff {
    let empty = Map::new();
    let old_res = section(deployed, "Resources").unwrap_or(&empty);
    let new_res = section(Some(local), "Resources").unwrap_or(&empty);
    let type_of = |r: &Json| r.get("Type").and_then(Json::as_str).unwrap_or_default().to_owned();
    let mut resources = Vec::new();
    for (id, r) in new_res {
        let rtype = type_of(r);
        if HIDDEN_TYPES.contains(&rtype.as_str()) {
            continue;
        }
        match old_res.get(id) {
            None => resources.push(ResourceDiff {
                logical_id: id.clone(),
                resource_type: rtype,
                kind: ChangeKind::Added,
                changes: Vec::new(),
            }),
            Some(o) if o != r => {
                let mut changes = Vec::new();
                value_changes("", Some(o), Some(r), &mut changes);
                for c in &mut changes {
                    c.replacement = replacement_of(&rtype, &c.path);
                }
                resources.push(ResourceDiff {
                    logical_id: id.clone(),
                    resource_type: rtype,
                    kind: ChangeKind::Modified,
                    changes,
                });
            }
            Some(_) => {}
        }
    }
    for (id, r) in old_res {
        let rtype = type_of(r);
        if !new_res.contains_key(id) && !HIDDEN_TYPES.contains(&rtype.as_str()) {
            resources.push(ResourceDiff {
                logical_id: id.clone(),
                resource_type: rtype,
                kind: ChangeKind::Removed,
                changes: Vec::new(),
            });
        }
    }

    let mut security = Vec::new();
    for r in &resources {
        let Some(kind) = security_kind(&r.resource_type, &r.changes) else {
            continue;
        };
        let broadening = match r.kind {
            ChangeKind::Removed => false,
            ChangeKind::Added => {
                // A new security group without rules grants nothing yet.
                kind == SecurityKind::Iam
                    || r.resource_type != "AWS::EC2::SecurityGroup"
                    || !grants(new_res.get(&r.logical_id)).is_empty()
            }
            ChangeKind::Modified => {
                let old = grants(old_res.get(&r.logical_id));
                grants(new_res.get(&r.logical_id)).difference(&old).next().is_some()
            }
        };
        security.push(SecurityChange {
            logical_id: r.logical_id.clone(),
            resource_type: r.resource_type.clone(),
            kind,
            change: r.kind,
            broadening,
        });
    }

    let mut sections = Vec::new();
    for name in ["Description", "Conditions", "Mappings", "Transform"] {
        if deployed.and_then(|t| t.get(name)) != local.get(name) {
            sections.push(name.to_owned());
        }
    }
    StackDiff {
        stack: stack.to_owned(),
        new_stack: deployed.is_none(),
        resources,
        parameters: keyed_changes(
            section(deployed, "Parameters"),
            section(Some(local), "Parameters"),
            HIDDEN_PARAMETERS,
        ),
        outputs: keyed_changes(section(deployed, "Outputs"), section(Some(local), "Outputs"), &[]),
        sections,
        security,
    }
}

fn short(v: Option<&Json>) -> String {
    match v {
        None => "(none)".to_owned(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 120 {
                format!("{}…", s.chars().take(120).collect::<String>())
            } else {
                s
            }
        }
    }
}

impl StackDiff {
    /// The stack's IAM and security-group changes, one line each (what an approval asks about).
    pub fn security_report(&self) -> String {
        let mut s = format!("Stack {}: IAM and security-group changes", self.stack);
        for c in &self.security {
            s.push_str(&format!("\n{}", security_line(c)));
        }
        s
    }
}

fn security_line(s: &SecurityChange) -> String {
    format!(
        "{} {} {} {}{}",
        s.change.symbol(),
        match s.kind {
            SecurityKind::Iam => "IAM",
            SecurityKind::SecurityGroup => "Security group",
        },
        s.resource_type,
        s.logical_id,
        if s.broadening { " (broadens access)" } else { "" }
    )
}

impl fmt::Display for StackDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Stack {}{}",
            self.stack,
            if self.new_stack { " (not deployed yet)" } else { "" }
        )?;
        if self.is_empty() {
            return writeln!(f, "There were no differences");
        }
        if !self.security.is_empty() {
            writeln!(f, "Security changes (review before deploying):")?;
            for s in &self.security {
                writeln!(f, "{}", security_line(s))?;
            }
        }
        if !self.parameters.is_empty() {
            writeln!(f, "Parameters")?;
            for (k, c) in &self.parameters {
                writeln!(f, "{} {k}", c.symbol())?;
            }
        }
        if !self.resources.is_empty() {
            writeln!(f, "Resources")?;
            for r in &self.resources {
                write!(f, "{} {} {}", r.kind.symbol(), r.resource_type, r.logical_id)?;
                match r.replacement() {
                    Replacement::Never => writeln!(f)?,
                    other => writeln!(f, " ({})", other.describe())?,
                }
                for c in &r.changes {
                    let kind = match (&c.old, &c.new) {
                        (None, _) => ChangeKind::Added,
                        (_, None) => ChangeKind::Removed,
                        _ => ChangeKind::Modified,
                    };
                    write!(
                        f,
                        "    └─ {} {}: {} -> {}",
                        kind.symbol(),
                        c.path,
                        short(c.old.as_ref()),
                        short(c.new.as_ref())
                    )?;
                    match c.replacement {
                        Replacement::Never => writeln!(f)?,
                        other => writeln!(f, " ({})", other.describe())?,
                    }
                }
            }
        }
        if !self.outputs.is_empty() {
            writeln!(f, "Outputs")?;
            for (k, c) in &self.outputs {
                writeln!(f, "{} {k}", c.symbol())?;
            }
        }
        for s in &self.sections {
            writeln!(f, "[~] {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn property_level_changes() {
        let old = json!({"Resources": {
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "a", "Tags": {"x": "1"}}},
            "Gone": {"Type": "AWS::SNS::Topic"},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v1"}}
        }});
        let new = json!({"Resources": {
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "b", "Tags": {"x": "1"}}},
            "New": {"Type": "AWS::SNS::Topic"},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}}
        }});
        let d = diff_templates("S", Some(&old), &new);
        assert_eq!(d.resources.len(), 3);
        let p = d.resources.iter().find(|r| r.logical_id == "P").expect("P modified");
        assert_eq!(p.kind, ChangeKind::Modified);
        assert_eq!(
            p.changes,
            vec![PropertyChange {
                path: "Properties.Value".into(),
                old: Some(json!("a")),
                new: Some(json!("b")),
                replacement: Replacement::Never,
            }]
        );
        assert!(d.security.is_empty());
        let text = d.to_string();
        assert!(text.contains("[~] AWS::SSM::Parameter P"), "{text}");
        assert!(text.contains("Properties.Value: \"a\" -> \"b\""), "{text}");
        assert!(text.contains("[+] AWS::SNS::Topic New"), "{text}");
        assert!(text.contains("[-] AWS::SNS::Topic Gone"), "{text}");
        assert!(!text.contains("CDKMetadata"), "{text}");
    }

    #[test]
    fn create_only_changes_are_marked_as_replacements() {
        let db = |name: &str, image: Json| {
            json!({"Resources": {
                "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {"DatabaseName": name, "BackupRetentionPeriod": 1}},
                "Web": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": image}}
            }})
        };
        let old = db("a", json!({"Ref": "AmiOld"}));
        let new = db("b", json!({"Ref": "AmiNew"}));
        let d = diff_templates("S", Some(&old), &new);
        let by_id = |id: &str| d.resources.iter().find(|r| r.logical_id == id).expect("changed");
        assert_eq!(by_id("Db").replacement(), Replacement::Requires);
        assert_eq!(by_id("Web").replacement(), Replacement::May);
        let text = d.to_string();
        assert!(
            text.contains("[~] AWS::RDS::DBCluster Db (requires replacement)"),
            "{text}"
        );
        assert!(
            text.contains("Properties.DatabaseName: \"a\" -> \"b\" (requires replacement)"),
            "{text}"
        );
        assert!(
            text.contains("Properties.ImageId.Ref: \"AmiOld\" -> \"AmiNew\" (may be replaced)"),
            "{text}"
        );
        let retention = db("a", json!({"Ref": "AmiOld"}));
        let mut changed = retention.clone();
        changed["Resources"]["Db"]["Properties"]["BackupRetentionPeriod"] = json!(7);
        let d = diff_templates("S", Some(&retention), &changed);
        assert_eq!(d.resources[0].replacement(), Replacement::Never);
        assert!(!d.to_string().contains("replace"), "{d}");
    }

    #[test]
    fn no_differences() {
        let t = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}});
        let d = diff_templates("S", Some(&t), &t);
        assert!(d.is_empty());
        assert!(d.to_string().contains("There were no differences"));
    }

    #[test]
    fn iam_and_security_group_changes_are_called_out() {
        let stmt = |action: &str| json!({"Effect": "Allow", "Action": action, "Resource": "*"});
        let old = json!({"Resources": {
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [stmt("sns:Publish")]}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]}}
        }});
        let new = json!({"Resources": {
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [stmt("sns:Publish"), stmt("s3:*")]}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": []}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "r"}}
        }});
        let d = diff_templates("S", Some(&old), &new);
        let policy = d.security.iter().find(|s| s.logical_id == "Policy").expect("policy");
        assert_eq!(policy.kind, SecurityKind::Iam);
        assert!(policy.broadening);
        let sg = d.security.iter().find(|s| s.logical_id == "Sg").expect("sg");
        assert_eq!(sg.kind, SecurityKind::SecurityGroup);
        assert!(!sg.broadening, "removing a rule narrows access");
        assert!(!d.security.iter().any(|s| s.logical_id == "Fn"));
        assert!(d.is_broadening());
        assert!(d.to_string().contains("IAM AWS::IAM::Policy Policy (broadens access)"));
        assert!(d
            .security_report()
            .contains("[~] IAM AWS::IAM::Policy Policy (broadens access)"));
    }

    #[test]
    fn a_new_stack_is_all_additions() {
        let t = json!({"Parameters": {"BootstrapVersion": {"Type": "String"}}, "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}, "Outputs": {"O": {"Value": "x"}}});
        let d = diff_templates("S", None, &t);
        assert!(d.new_stack);
        assert!(d.parameters.is_empty(), "the bootstrap version parameter is hidden");
        assert_eq!(d.outputs, vec![("O".into(), ChangeKind::Added)]);
        assert!(d.security[0].broadening);
    }
}
