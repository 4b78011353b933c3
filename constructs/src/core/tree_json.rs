//! `tree.json`: the construct tree as the CDK writes it into the Cloud
//! Assembly (`{"version": "tree-0.1", "tree": {...}}`), for the console's and
//! the CLI's tree views.
//!
//! The tree is copied out of the construct tree once, as plain data that is
//! `Send`, and serialized straight to the file: no intermediate JSON values
//! (at 100,000 resources that intermediate tree cost more than the templates).

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::construct::{NodeKind, Tree};
use super::element::ElementKind;

/// The construct tree of a synthesis, serialized as `tree.json`.
#[derive(Clone, Debug)]
pub struct ConstructTree {
    root: TreeNode,
}

#[derive(Clone, Debug)]
struct TreeNode {
    id: String,
    path: String,
    children: Vec<TreeNode>,
    /// `(CloudFormation type, logical id)` of a resource.
    resource: Option<(String, Option<String>)>,
    fqn: &'static str,
}

impl ConstructTree {
    /// Copies the tree; `ids` are the logical ids of the elements.
    pub(crate) fn of(tree: &Tree, ids: &[Option<String>]) -> ConstructTree {
        fn node(tree: &Tree, ids: &[Option<String>], idx: usize, path: String) -> TreeNode {
            let n = &tree.nodes[idx];
            let children = n
                .children
                .values()
                .map(|&c| {
                    let id = &tree.nodes[c].id;
                    let child_path = if path.is_empty() {
                        id.clone()
                    } else {
                        format!("{path}/{id}")
                    };
                    node(tree, ids, c, child_path)
                })
                .collect();
            let resource = match &n.kind {
                NodeKind::Element(e) => match &e.kind {
                    ElementKind::Resource(r) => Some((r.type_.clone(), ids[idx].clone())),
                    _ => None,
                },
                _ => None,
            };
            TreeNode {
                id: if idx == 0 { "App".to_owned() } else { n.id.clone() },
                path,
                children,
                resource,
                fqn: n.fqn,
            }
        }
        ConstructTree {
            root: node(tree, ids, 0, String::new()),
        }
    }
}

impl Default for ConstructTree {
    /// A tree of the app alone (an assembly read from disk carries no tree).
    fn default() -> Self {
        ConstructTree {
            root: TreeNode {
                id: "App".to_owned(),
                path: String::new(),
                children: Vec::new(),
                resource: None,
                fqn: "constructs.App",
            },
        }
    }
}

impl Serialize for ConstructTree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("version", "tree-0.1")?;
        m.serialize_entry("tree", &self.root)?;
        m.end()
    }
}

/// `children` as an object keyed by construct id.
struct Children<'a>(&'a [TreeNode]);

impl Serialize for Children<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for c in self.0 {
            m.serialize_entry(&c.id, c)?;
        }
        m.end()
    }
}

/// `{"aws:cdk:cloudformation:type": ..., "aws:cdk:cloudformation:logicalId": ...}`.
struct Attributes<'a>(&'a str, Option<&'a str>);

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("aws:cdk:cloudformation:type", self.0)?;
        m.serialize_entry("aws:cdk:cloudformation:logicalId", &self.1)?;
        m.end()
    }
}

/// `{"fqn": ..., "version": ...}`.
struct ConstructInfo(&'static str);

impl Serialize for ConstructInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("fqn", self.0)?;
        m.serialize_entry("version", env!("CARGO_PKG_VERSION"))?;
        m.end()
    }
}

impl Serialize for TreeNode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("path", &self.path)?;
        if !self.children.is_empty() {
            m.serialize_entry("children", &Children(&self.children))?;
        }
        if let Some((type_, logical_id)) = &self.resource {
            m.serialize_entry("attributes", &Attributes(type_, logical_id.as_deref()))?;
        }
        m.serialize_entry("constructInfo", &ConstructInfo(self.fqn))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::core::{to_cdk_json, App, CfnResource, Construct, Stack, StackProps};

    #[test]
    fn the_tree_is_written_as_the_cdk_writes_it() {
        let app = App::new();
        let stack = Stack::new(&app, "Stack", StackProps::default());
        let group = Construct::new(&stack, "Group");
        CfnResource::new(&group, "Queue", "AWS::SQS::Queue");
        let synthesis = app.synth().expect("synth");
        let text = to_cdk_json(&synthesis.tree);
        let version = env!("CARGO_PKG_VERSION");
        let logical_id = &synthesis.stacks[0].logical_ids[0].1;
        assert!(logical_id.starts_with("GroupQueue"), "{logical_id}");
        let expected = serde_json::json!({
            "version": "tree-0.1",
            "tree": {
                "id": "App",
                "path": "",
                "children": {
                    "Stack": {
                        "id": "Stack",
                        "path": "Stack",
                        "children": {
                            "Group": {
                                "id": "Group",
                                "path": "Stack/Group",
                                "children": {
                                    "Queue": {
                                        "id": "Queue",
                                        "path": "Stack/Group/Queue",
                                        "attributes": {
                                            "aws:cdk:cloudformation:type": "AWS::SQS::Queue",
                                            "aws:cdk:cloudformation:logicalId": logical_id
                                        },
                                        "constructInfo": { "fqn": "constructs.CfnResource", "version": version }
                                    }
                                },
                                "constructInfo": { "fqn": "constructs.Construct", "version": version }
                            }
                        },
                        "constructInfo": { "fqn": "constructs.Stack", "version": version }
                    }
                },
                "constructInfo": { "fqn": "constructs.App", "version": version }
            }
        });
        // Same text as the JSON value, keys in this order.
        assert_eq!(text, to_cdk_json(&expected));
    }
}
