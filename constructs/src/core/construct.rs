//! The construct tree: every construct has an id, a parent and a path.
//!
//! The tree is an arena shared by all handles of one [`App`](crate::core::App).
//! Handles are cheap to clone. `new` never fails: problems (a duplicate id, an
//! id with `/`) are recorded on the node and reported together at synthesis.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;

use super::element::ElementData;
use super::stack::StackData;
use super::value::Value;

static NEXT_APP: AtomicU64 = AtomicU64::new(1);

/// A validation that runs at synthesis and returns the problems it finds.
pub type Validation = Rc<dyn Fn() -> Vec<String>>;

pub(crate) enum NodeKind {
    Root,
    Stack(Box<StackData>),
    Element(Box<ElementData>),
    Scope,
}

pub(crate) struct NodeData {
    pub id: String,
    pub parent: Option<usize>,
    pub children: IndexMap<String, usize>,
    pub kind: NodeKind,
    /// Tags applied at this scope, in the order they were added.
    pub tags: Vec<(String, Value)>,
    /// Tag keys removed at this scope.
    pub removed_tags: Vec<String>,
    pub errors: Vec<String>,
    pub validations: Vec<Validation>,
    /// The construct's type name, for `tree.json` (e.g. `constructs.aws.ec2.Vpc`).
    pub fqn: &'static str,
}

pub(crate) struct Tree {
    pub app: u64,
    pub nodes: Vec<NodeData>,
    pub context: IndexMap<String, serde_json::Value>,
    /// Context values constructs needed and did not find, by key.
    pub missing: IndexMap<String, super::context::MissingContext>,
    /// Extra files for the assembly (e.g. state machine diagrams), rendered at synthesis.
    pub files: IndexMap<String, Rc<dyn Fn() -> String>>,
}

impl Tree {
    pub fn new(context: IndexMap<String, serde_json::Value>) -> Self {
        Tree {
            app: NEXT_APP.fetch_add(1, Ordering::Relaxed),
            nodes: vec![NodeData {
                id: String::new(),
                parent: None,
                children: IndexMap::new(),
                kind: NodeKind::Root,
                tags: Vec::new(),
                removed_tags: Vec::new(),
                errors: Vec::new(),
                validations: Vec::new(),
                fqn: "constructs.App",
            }],
            context,
            missing: IndexMap::new(),
            files: IndexMap::new(),
        }
    }

    /// The path of a node: ids from the first level below the app, joined by `/`.
    pub fn path(&self, idx: usize) -> String {
        let mut ids = Vec::new();
        let mut cur = Some(idx);
        while let Some(i) = cur {
            let n = &self.nodes[i];
            if n.parent.is_some() {
                ids.push(n.id.as_str());
            }
            cur = n.parent;
        }
        ids.reverse();
        ids.join("/")
    }

    /// The stack a node belongs to (itself when it is a stack).
    pub fn stack_of(&self, idx: usize) -> Option<usize> {
        let mut cur = Some(idx);
        while let Some(i) = cur {
            if matches!(self.nodes[i].kind, NodeKind::Stack(_)) {
                return Some(i);
            }
            cur = self.nodes[i].parent;
        }
        None
    }

    /// Ids of the path between a stack (exclusive) and a node (inclusive).
    pub fn components_below(&self, stack: usize, idx: usize) -> Vec<&str> {
        let mut ids = Vec::new();
        let mut cur = idx;
        while cur != stack {
            let n = &self.nodes[cur];
            ids.push(n.id.as_str());
            match n.parent {
                Some(p) => cur = p,
                None => break,
            }
        }
        ids.reverse();
        ids
    }

    pub fn add_child(&mut self, parent: usize, id: &str, kind: NodeKind, fqn: &'static str) -> usize {
        let idx = self.nodes.len();
        let mut errors = Vec::new();
        if id.is_empty() {
            errors.push("construct id must not be empty: give the construct a non-empty id".to_owned());
        }
        if id.contains('/') {
            errors.push(format!(
                "construct id '{id}' must not contain '/': '/' separates the components of a construct path"
            ));
        }
        let mut key = id.to_owned();
        if self.nodes[parent].children.contains_key(id) {
            errors.push(format!(
                "there is already a construct with id '{id}' in '{}': ids must be unique among siblings",
                self.display_path(parent)
            ));
            key = format!("{id}\u{0}{idx}");
        }
        self.nodes[parent].children.insert(key, idx);
        self.nodes.push(NodeData {
            id: id.to_owned(),
            parent: Some(parent),
            children: IndexMap::new(),
            kind,
            tags: Vec::new(),
            removed_tags: Vec::new(),
            errors,
            validations: Vec::new(),
            fqn,
        });
        idx
    }

    /// The path for messages: the app itself shows as `<app>`.
    pub fn display_path(&self, idx: usize) -> String {
        if idx == 0 {
            "<app>".to_owned()
        } else {
            self.path(idx)
        }
    }
}

/// A node of the construct tree: what every construct handle holds.
#[derive(Clone)]
pub struct Construct {
    pub(crate) tree: Rc<RefCell<Tree>>,
    pub(crate) idx: usize,
}

/// Anything that is a construct and can be the scope of new constructs.
pub trait Scope {
    /// The construct's node in the tree.
    fn node(&self) -> &Construct;
}

impl Scope for Construct {
    fn node(&self) -> &Construct {
        self
    }
}

impl Construct {
    /// Adds a plain construct (a scope for grouping) under `scope`.
    pub fn new(scope: &impl Scope, id: &str) -> Construct {
        scope.node().add_child(id, NodeKind::Scope, "constructs.Construct")
    }

    /// Adds a scope node that models an L2 construct with its type name (shown in `tree.json`).
    pub fn new_typed(scope: &impl Scope, id: &str, fqn: &'static str) -> Construct {
        scope.node().add_child(id, NodeKind::Scope, fqn)
    }

    pub(crate) fn add_child(&self, id: &str, kind: NodeKind, fqn: &'static str) -> Construct {
        let idx = self.tree.borrow_mut().add_child(self.idx, id, kind, fqn);
        Construct {
            tree: Rc::clone(&self.tree),
            idx,
        }
    }

    pub(crate) fn tree(&self) -> Ref<'_, Tree> {
        self.tree.borrow()
    }

    pub(crate) fn tree_mut(&self) -> RefMut<'_, Tree> {
        self.tree.borrow_mut()
    }

    /// The construct's id (its last path component).
    pub fn id(&self) -> String {
        self.tree().nodes[self.idx].id.clone()
    }

    /// The construct's path from the app, e.g. `WebAppStack/Vpc/PublicSubnet1/Subnet`.
    pub fn path(&self) -> String {
        self.tree().display_path(self.idx)
    }

    /// The parent construct (`None` for the app).
    pub fn scope(&self) -> Option<Construct> {
        let parent = self.tree().nodes[self.idx].parent?;
        Some(Construct {
            tree: Rc::clone(&self.tree),
            idx: parent,
        })
    }

    /// The child with the given id, if any.
    pub fn child(&self, id: &str) -> Option<Construct> {
        let idx = *self.tree().nodes[self.idx].children.get(id)?;
        Some(Construct {
            tree: Rc::clone(&self.tree),
            idx,
        })
    }

    /// The children in the order they were added.
    pub fn children(&self) -> Vec<Construct> {
        self.tree().nodes[self.idx]
            .children
            .values()
            .map(|&idx| Construct {
                tree: Rc::clone(&self.tree),
                idx,
            })
            .collect()
    }

    /// The stack this construct belongs to (`None` above stacks).
    pub fn stack(&self) -> Option<super::Stack> {
        let idx = self.tree().stack_of(self.idx)?;
        Some(super::Stack::from_node(Construct {
            tree: Rc::clone(&self.tree),
            idx,
        }))
    }

    /// Records a problem on this construct; synthesis reports it with the path and fails.
    pub fn add_error(&self, message: impl Into<String>) {
        self.tree_mut().nodes[self.idx].errors.push(message.into());
    }

    /// Adds a validation that runs at synthesis; every problem it returns is
    /// reported with this construct's path, together with all other problems.
    pub fn add_validation(&self, validation: impl Fn() -> Vec<String> + 'static) {
        self.tree_mut().nodes[self.idx].validations.push(Rc::new(validation));
    }

    /// A context value (from `cdk.json`'s `context`, or `-c key=value`).
    pub fn try_get_context(&self, key: &str) -> Option<serde_json::Value> {
        self.tree().context.get(key).cloned()
    }

    /// Records a context value this construct needs and did not find (the
    /// manifest's `missing` list): the CLI looks it up, saves it in
    /// `cdk.context.json` and synthesizes again. Synthesis goes on meanwhile,
    /// with a dummy value of the construct's choice.
    pub fn report_missing_context(&self, missing: super::context::MissingContext) {
        self.tree_mut().missing.insert(missing.key.clone(), missing);
    }

    /// A context value as a string (JSON strings unquoted, other values as JSON text).
    pub fn context_str(&self, key: &str) -> Option<String> {
        self.try_get_context(key).map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    }

    /// A string context value that the construct needs: when it is missing or
    /// empty (`-c key=`), an error is recorded naming the key and how to give
    /// it, and `None` returned.
    pub fn require_context_str(&self, key: &str) -> Option<String> {
        let value = self.context_str(key);
        match value.as_deref().map(str::trim) {
            None => self.add_error(format!(
                "context value '{key}' is required: pass `-c {key}=VALUE` or set it under \"context\" in cdk.json"
            )),
            Some("") => self.add_error(format!(
                "context value '{key}' is empty: give it a value (`-c {key}=VALUE` or \"context\" in cdk.json)"
            )),
            Some(_) => return value,
        }
        None
    }

    /// Adds a file to the cloud assembly, rendered at synthesis (e.g. a diagram).
    /// A later file with the same name replaces an earlier one.
    pub fn add_assembly_file(&self, name: impl Into<String>, render: impl Fn() -> String + 'static) {
        self.tree_mut().files.insert(name.into(), Rc::new(render));
    }

    /// True when both handles denote the same node.
    pub fn same(&self, other: &Construct) -> bool {
        Rc::ptr_eq(&self.tree, &other.tree) && self.idx == other.idx
    }
}

impl std::fmt::Debug for Construct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Construct({})", self.path())
    }
}
