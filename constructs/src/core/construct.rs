//! The construct tree: every construct has an id, a parent and a path.
//!
//! The tree is an arena shared by all handles of one [`App`](crate::core::App).
//! Handles are cheap to clone. `new` never fails: problems (a duplicate id, an
//! id with `/`) are recorded on the node and reported together at synthesis.

use std::any::{Any, TypeId};
use std::cell::{Ref, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;

use super::annotations::{AnnotationLevel, NodeAnnotation};
use super::aspects::Aspect;
use super::element::ElementData;
use super::stack::StackData;
use super::value::Value;

static NEXT_APP: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The apps of this thread, weakly, only so that an error about a reference
    /// into another app can name the construct referenced. Nothing else reads it.
    static APPS: RefCell<HashMap<u64, std::rc::Weak<RefCell<Tree>>>> = RefCell::new(HashMap::new());
}

/// The path of element `idx` of app `app`, while that app is alive (for messages).
pub(crate) fn path_in_app(app: u64, idx: usize) -> Option<String> {
    let tree = APPS.with(|apps| apps.borrow().get(&app).and_then(std::rc::Weak::upgrade))?;
    let tree = tree.try_borrow().ok()?;
    (idx < tree.nodes.len()).then(|| tree.path(idx))
}

/// Registers a new app's tree for [`path_in_app`].
pub(crate) fn register_app(tree: &Rc<RefCell<Tree>>) {
    let app = tree.borrow().app;
    APPS.with(|apps| {
        let mut apps = apps.borrow_mut();
        apps.retain(|_, t| t.strong_count() > 0);
        apps.insert(app, Rc::downgrade(tree));
    });
}

/// A validation that runs at synthesis and returns the problems it finds.
/// It must only look: work that changes the tree belongs in
/// [`Construct::add_prepare`] or an [`Aspect`].
pub type Validation = Rc<dyn Fn() -> Vec<String>>;

/// Work a construct finishes in the prepare phase of synthesis (see [`Construct::add_prepare`]).
pub type Prepare = Rc<dyn Fn()>;

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
    /// Errors, warnings and infos recorded on this construct.
    pub annotations: Vec<NodeAnnotation>,
    /// Warning ids acknowledged at this scope (for it and everything below), with the reason.
    pub acknowledged: Vec<(String, String)>,
    pub validations: Vec<Validation>,
    /// Checks whose findings are warnings, each with its warning id.
    pub warning_checks: Vec<(String, Validation)>,
    /// Aspects applied to this scope and everything below it.
    pub aspects: Vec<Rc<dyn Aspect>>,
    /// Prepare-phase work.
    pub prepares: Vec<Prepare>,
    /// The construct's type name, for `tree.json` (e.g. `constructs.aws.ec2.Vpc`).
    pub fqn: &'static str,
}

pub(crate) struct Tree {
    pub app: u64,
    pub nodes: Vec<NodeData>,
    pub context: IndexMap<String, serde_json::Value>,
    /// Where each context value came from (for messages), when known.
    pub context_sources: IndexMap<String, String>,
    /// Context values constructs needed and did not find, by key.
    pub missing: IndexMap<String, super::context::MissingContext>,
    /// Extra files for the assembly (e.g. state machine diagrams), rendered at synthesis.
    pub files: IndexMap<String, Rc<dyn Fn() -> String>>,
    /// State shared by the constructs of one app, one value per type (see [`Construct::app_state`]).
    pub app_state: HashMap<TypeId, Rc<dyn Any>>,
    /// Which aspects already visited which construct: (construct, scope of the aspect, its index there).
    pub invoked_aspects: std::collections::HashSet<(usize, usize, usize)>,
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
                annotations: Vec::new(),
                acknowledged: Vec::new(),
                validations: Vec::new(),
                warning_checks: Vec::new(),
                aspects: Vec::new(),
                prepares: Vec::new(),
                fqn: "constructs.App",
            }],
            context,
            context_sources: IndexMap::new(),
            missing: IndexMap::new(),
            files: IndexMap::new(),
            app_state: HashMap::new(),
            invoked_aspects: std::collections::HashSet::new(),
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
            annotations: errors.into_iter().map(NodeAnnotation::error).collect(),
            acknowledged: Vec::new(),
            validations: Vec::new(),
            warning_checks: Vec::new(),
            aspects: Vec::new(),
            prepares: Vec::new(),
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

/// A type a context value can be read as, in its JSON form (`cdk.json`) or
/// its string form (`-c key=value`). See [`Construct::context`].
pub trait ContextValue: Sized {
    /// What the type is, for messages (`"a whole number ≥ 0"`).
    const EXPECTED: &'static str;
    /// A valid value, for messages.
    const EXAMPLE: &'static str;
    /// The value, or `None` when it is not of this type.
    fn from_context(value: &serde_json::Value) -> Option<Self>;
}

/// A JSON value as the text a number or boolean may be given in (`-c`).
fn scalar_text(value: &serde_json::Value) -> Option<&str> {
    value.as_str().map(str::trim)
}

impl ContextValue for u64 {
    const EXPECTED: &'static str = "a whole number ≥ 0";
    const EXAMPLE: &'static str = "250";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        value.as_u64().or_else(|| scalar_text(value)?.parse().ok())
    }
}

impl ContextValue for i64 {
    const EXPECTED: &'static str = "a whole number";
    const EXAMPLE: &'static str = "-5";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        value.as_i64().or_else(|| scalar_text(value)?.parse().ok())
    }
}

impl ContextValue for f64 {
    const EXPECTED: &'static str = "a number";
    const EXAMPLE: &'static str = "0.5";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        value
            .as_f64()
            .or_else(|| scalar_text(value)?.parse::<f64>().ok().filter(|f| f.is_finite()))
    }
}

impl ContextValue for bool {
    const EXPECTED: &'static str = "true or false";
    const EXAMPLE: &'static str = "true";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        value.as_bool().or_else(|| match scalar_text(value)? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }
}

impl ContextValue for String {
    const EXPECTED: &'static str = "a string";
    const EXAMPLE: &'static str = "value";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl ContextValue for Vec<String> {
    const EXPECTED: &'static str = "a list of strings";
    const EXAMPLE: &'static str = "a,b";
    fn from_context(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_owned)).collect(),
            serde_json::Value::String(s) if s.trim_start().starts_with('[') => {
                serde_json::from_str::<Vec<String>>(s).ok()
            }
            serde_json::Value::String(s) => Some(
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => None,
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
    /// The same as [`Annotations::add_error`](super::Annotations::add_error).
    pub fn add_error(&self, message: impl Into<String>) {
        self.tree_mut().nodes[self.idx]
            .annotations
            .push(NodeAnnotation::error(message.into()));
    }

    /// Adds a check that runs at validation, like [`Construct::add_validation`],
    /// whose findings are warnings with the id `id` (so they can be
    /// acknowledged, and fail `synth --strict`).
    pub fn add_warning_check(&self, id: impl Into<String>, check: impl Fn() -> Vec<String> + 'static) {
        self.tree_mut().nodes[self.idx]
            .warning_checks
            .push((id.into(), Rc::new(check)));
    }

    /// Adds work this construct finishes in the prepare phase of synthesis,
    /// after aspects ran and before validation: settling what depends on the
    /// rest of the tree (e.g. a dependency on a policy that grants may create
    /// later, or staging code shared by several functions). It runs on every
    /// synthesis (the context may differ between two), so it must give the
    /// same result when run again; work added by it runs too.
    pub fn add_prepare(&self, prepare: impl Fn() + 'static) {
        self.tree_mut().nodes[self.idx].prepares.push(Rc::new(prepare));
    }

    /// State shared by every construct of this app, one value per type,
    /// created with `T::default()` on first use (e.g. a registry of Lambda
    /// code shared by several functions). It lives in the tree, so two apps
    /// never share it.
    pub fn app_state<T: Default + 'static>(&self) -> Rc<T> {
        let key = TypeId::of::<T>();
        if let Some(v) = self.tree().app_state.get(&key) {
            if let Ok(v) = Rc::clone(v).downcast::<T>() {
                return v;
            }
        }
        let v: Rc<T> = Rc::new(T::default());
        self.tree_mut().app_state.insert(key, Rc::clone(&v) as Rc<dyn Any>);
        v
    }

    /// The construct's type name, as `tree.json` shows it (e.g. `constructs.aws.lambda.Function`,
    /// `constructs.CfnResource`): what an aspect can match on.
    pub fn fqn(&self) -> &'static str {
        self.tree().nodes[self.idx].fqn
    }

    /// The construct at `path` below this one (ids joined by `/`, e.g.
    /// `"Rule/EventsRole"`), if any.
    ///
    /// ```
    /// use constructs::core::{App, CfnResource, Construct, Scope, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", StackProps::default());
    /// let group = Construct::new(&stack, "Group");
    /// CfnResource::new(&group, "Topic", "AWS::SNS::Topic");
    /// let found = stack.node().find_child("Group/Topic").expect("found");
    /// assert_eq!(found.path(), "Demo/Group/Topic");
    /// assert!(stack.node().find_child("Group/Nothing").is_none());
    /// ```
    pub fn find_child(&self, path: &str) -> Option<Construct> {
        path.split('/')
            .filter(|id| !id.is_empty())
            .try_fold(self.clone(), |node, id| node.child(id))
    }

    /// The construct's main child, as the CDK's `node.defaultChild`: the child
    /// with id `Resource` (or `Default`). For an L2 this is its L1 resource.
    pub fn default_child(&self) -> Option<Construct> {
        self.child("Resource").or_else(|| self.child("Default"))
    }

    /// Every construct below this one (not itself), parents before children,
    /// siblings in the order they were added.
    pub fn descendants(&self) -> Vec<Construct> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.tree().nodes[self.idx].children.values().rev().copied().collect();
        while let Some(idx) = stack.pop() {
            stack.extend(self.tree().nodes[idx].children.values().rev().copied());
            out.push(Construct {
                tree: Rc::clone(&self.tree),
                idx,
            });
        }
        out
    }

    pub(crate) fn add_annotation(&self, level: AnnotationLevel, id: Option<String>, message: String) {
        self.tree_mut().nodes[self.idx]
            .annotations
            .push(NodeAnnotation { level, id, message });
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

    /// A typed context value: `None` when the key is not set; when it is set
    /// but is not a `T`, an error is recorded naming the key, the type
    /// expected and where the value came from, and `None` returned. Both the
    /// JSON type of `cdk.json` (`250`, `true`, `["a", "b"]`) and the string
    /// form of `-c key=value` (`-c batch-size=250`) are accepted.
    ///
    /// ```
    /// use constructs::core::{App, Stack, StackProps, Scope};
    /// let app = App::with_context(
    ///     [("batch-size".to_owned(), serde_json::json!("250")), ("dry-run".to_owned(), serde_json::json!(true))]
    ///         .into_iter()
    ///         .collect(),
    /// );
    /// let stack = Stack::new(&app, "Jobs", StackProps::default());
    /// assert_eq!(stack.node().context_u64("batch-size"), Some(250));
    /// assert_eq!(stack.node().context_bool("dry-run"), Some(true));
    /// assert_eq!(stack.node().context_u64("missing"), None);
    /// ```
    pub fn context<T: ContextValue>(&self, key: &str) -> Option<T> {
        let value = self.try_get_context(key)?;
        match T::from_context(&value) {
            Some(v) => Some(v),
            None => {
                let source = self
                    .tree()
                    .context_sources
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| "the app's context".to_owned());
                self.add_error(format!(
                    "context value '{key}' must be {}, but is {value} (from {source}): fix the value, e.g. `-c {key}={}`",
                    T::EXPECTED,
                    T::EXAMPLE
                ));
                None
            }
        }
    }

    /// A whole number ≥ 0 from the context (see [`Construct::context`]).
    pub fn context_u64(&self, key: &str) -> Option<u64> {
        self.context(key)
    }

    /// A whole number from the context (see [`Construct::context`]).
    pub fn context_i64(&self, key: &str) -> Option<i64> {
        self.context(key)
    }

    /// A number from the context (see [`Construct::context`]).
    pub fn context_f64(&self, key: &str) -> Option<f64> {
        self.context(key)
    }

    /// `true` or `false` from the context (see [`Construct::context`]).
    pub fn context_bool(&self, key: &str) -> Option<bool> {
        self.context(key)
    }

    /// A list of strings from the context: a JSON array of strings, or a
    /// string holding one (`-c 'hosts=["a","b"]'`) or a comma-separated list
    /// (`-c hosts=a,b`). See [`Construct::context`].
    pub fn context_list(&self, key: &str) -> Option<Vec<String>> {
        self.context(key)
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
