//! Template elements (L1): resources, outputs, parameters, conditions, mappings, rules.
//!
//! [`CfnResource`] models any CloudFormation resource type with any property;
//! every L2 construct builds on it and exposes it as an escape hatch.

use indexmap::IndexMap;

use super::construct::{Construct, NodeKind, Scope};
use super::tags::TagFormat;
use super::value::{ElementRef, Value};

/// What a resource does with its physical resource when it is deleted or replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// Delete the physical resource (CloudFormation's default).
    Delete,
    /// Keep the physical resource, orphaned from the stack.
    Retain,
    /// Take a snapshot, then delete (only for resources that support snapshots).
    Snapshot,
    /// Keep the resource unless the stack is being created and fails.
    RetainExceptOnCreate,
}

impl RemovalPolicy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::Snapshot => "Snapshot",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
        }
    }
}

pub(crate) struct ResourceData {
    pub type_: String,
    pub properties: IndexMap<String, Value>,
    pub depends_on: Vec<ElementRef>,
    pub condition: Option<ElementRef>,
    pub deletion_policy: Option<RemovalPolicy>,
    pub update_replace_policy: Option<RemovalPolicy>,
    pub metadata: IndexMap<String, Value>,
    pub creation_policy: Option<Value>,
    pub update_policy: Option<Value>,
    pub tag_format: Option<TagFormat>,
    /// The property tags render into (`Tags` unless the schema names another).
    pub tag_property: &'static str,
    /// Raw overrides, applied in order to the rendered resource: a path from
    /// the resource's top level, and the value (`None`: delete).
    pub overrides: Vec<(Vec<String>, Option<Value>)>,
}

pub(crate) struct OutputData {
    pub value: Value,
    pub description: Option<String>,
    pub export_name: Option<Value>,
    pub condition: Option<ElementRef>,
}

#[expect(
    clippy::large_enum_variant,
    reason = "nodes box their element already, and almost every element is a resource"
)]
pub(crate) enum ElementKind {
    Resource(ResourceData),
    Output(OutputData),
    Parameter(IndexMap<String, Value>),
    Condition(Value),
    Mapping(IndexMap<String, IndexMap<String, Value>>),
    Rule(Value),
}

pub(crate) struct ElementData {
    pub kind: ElementKind,
    pub logical_id_override: Option<String>,
}

fn add_element(scope: &impl Scope, id: &str, kind: ElementKind, fqn: &'static str) -> Construct {
    let node = scope.node().add_child(
        id,
        NodeKind::Element(Box::new(ElementData {
            kind,
            logical_id_override: None,
        })),
        fqn,
    );
    if node.stack().is_none() {
        node.add_error("a template element must be defined inside a Stack: create it with a stack (or a construct in one) as its scope");
    }
    node
}

macro_rules! element_common {
    ($t:ident) => {
        impl Scope for $t {
            fn node(&self) -> &Construct {
                &self.node
            }
        }

        impl $t {
            /// The element's identity, as used by [`Value::Ref`] and [`Value::GetAtt`].
            pub fn element(&self) -> ElementRef {
                ElementRef {
                    app: self.node.tree().app,
                    idx: self.node.idx,
                }
            }

            /// The logical ID in the template: computed from the construct path
            /// with the CDK's algorithm, or the override.
            pub fn logical_id(&self) -> String {
                super::synth::logical_id_of(&self.node.tree(), self.node.idx).unwrap_or_default()
            }

            /// Replaces the computed logical ID (e.g. to keep the ID of a resource
            /// imported from an existing template).
            pub fn override_logical_id(&self, id: impl Into<String>) {
                if let NodeKind::Element(e) = &mut self.node.tree_mut().nodes[self.node.idx].kind {
                    e.logical_id_override = Some(id.into());
                }
            }
        }
    };
}

fn with_element<R>(node: &Construct, f: impl FnOnce(&mut ElementKind) -> R) -> R {
    let mut tree = node.tree_mut();
    match &mut tree.nodes[node.idx].kind {
        NodeKind::Element(e) => f(&mut e.kind),
        _ => unreachable!("element handles always point at element nodes"),
    }
}

fn with_resource<R>(node: &Construct, f: impl FnOnce(&mut ResourceData) -> R) -> R {
    with_element(node, |k| match k {
        ElementKind::Resource(r) => f(r),
        _ => unreachable!("resource handles always point at resources"),
    })
}

/// A CloudFormation resource of any type (an L1 construct).
///
/// ```
/// use constructs::core::{App, Stack, StackProps, CfnResource, Value};
/// let app = App::new();
/// let stack = Stack::new(&app, "MyStack", StackProps::default());
/// let topic = CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
/// topic.set("DisplayName", "alerts");
/// let _arn: Value = topic.ref_();
/// ```
#[derive(Clone, Debug)]
pub struct CfnResource {
    node: Construct,
}

element_common!(CfnResource);

impl CfnResource {
    /// Adds a resource of the given CloudFormation type, e.g. `AWS::S3::Bucket`.
    pub fn new(scope: &impl Scope, id: &str, type_: &str) -> CfnResource {
        let tagging = crate::cfn::facts::resource_facts(type_).and_then(|f| f.tagging);
        let node = add_element(
            scope,
            id,
            ElementKind::Resource(ResourceData {
                type_: type_.to_owned(),
                properties: IndexMap::new(),
                depends_on: Vec::new(),
                condition: None,
                deletion_policy: None,
                update_replace_policy: None,
                metadata: IndexMap::new(),
                creation_policy: None,
                update_policy: None,
                tag_format: tagging.map(|t| t.format),
                tag_property: tagging.map_or("Tags", |t| t.property),
                overrides: Vec::new(),
            }),
            "constructs.CfnResource",
        );
        CfnResource { node }
    }

    /// Adds a resource with its properties set at once.
    pub fn with_properties(
        scope: &impl Scope,
        id: &str,
        type_: &str,
        properties: impl IntoIterator<Item = (&'static str, Value)>,
    ) -> CfnResource {
        let r = CfnResource::new(scope, id, type_);
        for (k, v) in properties {
            r.set(k, v);
        }
        r
    }

    /// The resource at `scope`: the scope itself when it is a resource, else
    /// its default child (`Resource`, as the CDK's `node.defaultChild`) when
    /// that is one. This reaches the L1 below any L2, and any resource found
    /// with [`Construct::find_child`].
    ///
    /// ```
    /// use constructs::aws::sns::{Topic, TopicProps};
    /// use constructs::core::{App, CfnResource, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", StackProps::default());
    /// let topic = Topic::new(&stack, "Alerts", TopicProps::default());
    /// let l1 = CfnResource::of(&topic).expect("a topic has a resource");
    /// assert_eq!(l1.resource_type(), "AWS::SNS::Topic");
    /// ```
    pub fn of(scope: &impl Scope) -> Option<CfnResource> {
        let node = scope.node();
        node.as_resource().or_else(|| node.default_child()?.as_resource())
    }

    /// The CloudFormation type.
    pub fn resource_type(&self) -> String {
        with_resource(&self.node, |r| r.type_.clone())
    }

    /// Sets a property (a `Null` value removes it).
    pub fn set(&self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        with_resource(&self.node, |r| {
            if matches!(value, Value::Null) {
                r.properties.shift_remove(key);
            } else {
                r.properties.insert(key.to_owned(), value);
            }
        });
    }

    /// A property's current value.
    pub fn get(&self, key: &str) -> Option<Value> {
        with_resource(&self.node, |r| r.properties.get(key).cloned())
    }

    /// Appends to a list property (created when missing).
    pub fn push(&self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        with_resource(&self.node, |r| {
            let entry = r
                .properties
                .entry(key.to_owned())
                .or_insert_with(|| Value::List(Vec::new()));
            match entry {
                Value::List(l) => l.push(value),
                other => *other = Value::List(vec![std::mem::take(other), value]),
            }
        });
    }

    /// `Ref` of this resource.
    pub fn ref_(&self) -> Value {
        Value::Ref(self.element())
    }

    /// `Fn::GetAtt` of an attribute of this resource.
    pub fn get_att(&self, attribute: &str) -> Value {
        Value::GetAtt(self.element(), attribute.to_owned())
    }

    /// Makes this resource depend on another. Within one stack this is
    /// `DependsOn`; across stacks it becomes a dependency between the stacks.
    pub fn add_depends_on(&self, other: &CfnResource) {
        let target = other.element();
        with_resource(&self.node, |r| {
            if !r.depends_on.contains(&target) {
                r.depends_on.push(target);
            }
        });
    }

    /// Creates the resource only when the condition holds.
    pub fn set_condition(&self, condition: &CfnCondition) {
        let c = condition.element();
        with_resource(&self.node, |r| r.condition = Some(c));
    }

    /// What happens to the physical resource when it is removed from the stack
    /// (`DeletionPolicy`) and when an update replaces it (`UpdateReplacePolicy`).
    pub fn apply_removal_policy(&self, policy: RemovalPolicy) {
        with_resource(&self.node, |r| {
            r.deletion_policy = Some(policy);
            r.update_replace_policy = Some(policy);
        });
    }

    /// Sets only `DeletionPolicy`.
    pub fn set_deletion_policy(&self, policy: RemovalPolicy) {
        with_resource(&self.node, |r| r.deletion_policy = Some(policy));
    }

    /// Sets only `UpdateReplacePolicy`.
    pub fn set_update_replace_policy(&self, policy: RemovalPolicy) {
        with_resource(&self.node, |r| r.update_replace_policy = Some(policy));
    }

    /// Adds an entry to the resource's `Metadata` (`aws:cdk:path` is always set).
    pub fn add_metadata(&self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        with_resource(&self.node, |r| {
            r.metadata.insert(key.to_owned(), value);
        });
    }

    /// Sets the `CreationPolicy` attribute.
    pub fn set_creation_policy(&self, policy: impl Into<Value>) {
        let policy = policy.into();
        with_resource(&self.node, |r| r.creation_policy = Some(policy));
    }

    /// Sets the `UpdatePolicy` attribute.
    pub fn set_update_policy(&self, policy: impl Into<Value>) {
        let policy = policy.into();
        with_resource(&self.node, |r| r.update_policy = Some(policy));
    }

    /// Overrides a value of the rendered resource by path, as the CDK's
    /// `addOverride`: `"Properties.LoggingConfiguration.Level"`,
    /// `"Metadata.Owner"`, `"DependsOn"`. Components are separated by `.`
    /// (`\\.` for a literal dot); a number indexes into a list
    /// (`"Properties.Targets.0.RetryPolicy"`); missing objects on the way are
    /// created. Overrides are applied after rendering, in the order they were
    /// added, so they reach properties an L2 computes at synthesis and survive
    /// later changes to the L2. The value may hold references.
    ///
    /// ```
    /// use constructs::core::{App, CfnResource, Stack, StackProps, Value};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", StackProps::default());
    /// let topic = CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    /// topic.set("Subscription", Value::list([Value::map().with("Protocol", "email").with("Endpoint", "ops@example.com")]));
    /// topic.add_property_override("Subscription.0.Endpoint", "oncall@example.com");
    /// topic.add_override("Metadata.Owner", "shop-team");
    /// let t = &app.synth().expect("valid").stacks[0].template["Resources"]["Topic"];
    /// assert_eq!(t["Properties"]["Subscription"][0]["Endpoint"], "oncall@example.com");
    /// assert_eq!(t["Metadata"]["Owner"], "shop-team");
    /// ```
    pub fn add_override(&self, path: &str, value: impl Into<Value>) {
        let value = value.into();
        with_resource(&self.node, |r| {
            r.overrides.push((split_override_path(path), Some(value)))
        });
    }

    /// Deletes a value of the rendered resource by path (see [`CfnResource::add_override`]);
    /// an object left empty by the deletion is removed too.
    pub fn add_deletion_override(&self, path: &str) {
        with_resource(&self.node, |r| r.overrides.push((split_override_path(path), None)));
    }

    /// [`CfnResource::add_override`] below `Properties`.
    pub fn add_property_override(&self, path: &str, value: impl Into<Value>) {
        self.add_override(&format!("Properties.{path}"), value);
    }

    /// [`CfnResource::add_deletion_override`] below `Properties`.
    pub fn add_property_deletion_override(&self, path: &str) {
        self.add_deletion_override(&format!("Properties.{path}"));
    }

    /// How `Tags::of(..)` tags render on this resource (`None`: not taggable).
    /// Every type the registry schemas know is set up from its schema; this is
    /// for the others (a third-party registry type renders into `Tags`).
    pub fn set_tag_format(&self, format: Option<TagFormat>) {
        with_resource(&self.node, |r| r.tag_format = format);
    }
}

/// Splits an override path on `.`, keeping `\\.` as a literal dot.
fn split_override_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                current.push('.');
            }
            '.' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

impl Construct {
    /// This construct as a resource (an L1), when it is one. See also
    /// [`CfnResource::of`], which also looks at the default child.
    pub fn as_resource(&self) -> Option<CfnResource> {
        matches!(
            &self.tree().nodes[self.idx].kind,
            NodeKind::Element(e) if matches!(e.kind, ElementKind::Resource(_))
        )
        .then(|| CfnResource { node: self.clone() })
    }
}

/// A stack output, optionally exported for other stacks.
#[derive(Clone, Debug)]
pub struct CfnOutput {
    node: Construct,
}

element_common!(CfnOutput);

/// Properties of a [`CfnOutput`].
#[derive(Clone, Debug, Default)]
pub struct CfnOutputProps {
    /// The value of the output. Required.
    pub value: Value,
    /// A description. Default: none.
    pub description: Option<String>,
    /// The export name, for `Fn::ImportValue` in other stacks. Default: not exported.
    pub export_name: Option<Value>,
    /// Only output when the condition holds. Default: always.
    pub condition: Option<CfnCondition>,
}

impl CfnOutput {
    /// Adds an output to the stack of `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: CfnOutputProps) -> CfnOutput {
        let node = add_element(
            scope,
            id,
            ElementKind::Output(OutputData {
                value: props.value,
                description: props.description,
                export_name: props.export_name,
                condition: props.condition.map(|c| c.element()),
            }),
            "constructs.CfnOutput",
        );
        CfnOutput { node }
    }
}

/// The type of a stack parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParameterType {
    /// `String`.
    String,
    /// `Number`.
    Number,
    /// `CommaDelimitedList`.
    CommaDelimitedList,
    /// Any other type, e.g. `AWS::EC2::KeyPair::KeyName` or
    /// `AWS::SSM::Parameter::Value<String>`.
    Other(String),
}

impl ParameterType {
    fn as_str(&self) -> &str {
        match self {
            ParameterType::String => "String",
            ParameterType::Number => "Number",
            ParameterType::CommaDelimitedList => "CommaDelimitedList",
            ParameterType::Other(s) => s,
        }
    }
}

/// Properties of a [`CfnParameter`].
#[derive(Clone, Debug)]
pub struct CfnParameterProps {
    /// The parameter type. Default: `String`.
    pub type_: ParameterType,
    /// The default value. Default: none (the value must be given at deploy).
    pub default: Option<Value>,
    /// A description. Default: none.
    pub description: Option<String>,
    /// The allowed values. Default: any.
    pub allowed_values: Vec<String>,
    /// Hide the value in the console and API output. Default: false.
    pub no_echo: bool,
}

impl Default for CfnParameterProps {
    fn default() -> Self {
        CfnParameterProps {
            type_: ParameterType::String,
            default: None,
            description: None,
            allowed_values: Vec::new(),
            no_echo: false,
        }
    }
}

/// A stack parameter; its `Ref` is the value given at deploy.
#[derive(Clone, Debug)]
pub struct CfnParameter {
    node: Construct,
}

element_common!(CfnParameter);

impl CfnParameter {
    /// Adds a parameter to the stack of `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: CfnParameterProps) -> CfnParameter {
        let mut m = IndexMap::new();
        m.insert("Type".to_owned(), Value::from(props.type_.as_str()));
        if let Some(d) = props.default {
            m.insert("Default".to_owned(), d);
        }
        if !props.allowed_values.is_empty() {
            m.insert("AllowedValues".to_owned(), Value::list(props.allowed_values));
        }
        if let Some(d) = props.description {
            m.insert("Description".to_owned(), d.into());
        }
        if props.no_echo {
            m.insert("NoEcho".to_owned(), true.into());
        }
        let node = add_element(scope, id, ElementKind::Parameter(m), "constructs.CfnParameter");
        CfnParameter { node }
    }

    /// The value of the parameter (`Ref`).
    pub fn value(&self) -> Value {
        Value::Ref(self.element())
    }
}

/// A stack condition, for `Fn::If` and resource `Condition`s.
#[derive(Clone, Debug)]
pub struct CfnCondition {
    node: Construct,
}

element_common!(CfnCondition);

impl CfnCondition {
    /// Adds a condition with an expression built from `Value::equals`, `Value::not` ...
    pub fn new(scope: &impl Scope, id: &str, expression: Value) -> CfnCondition {
        let node = add_element(scope, id, ElementKind::Condition(expression), "constructs.CfnCondition");
        CfnCondition { node }
    }
}

/// A stack mapping (`Fn::FindInMap`): top-level key -> second-level key -> value.
#[derive(Clone, Debug)]
pub struct CfnMapping {
    node: Construct,
}

element_common!(CfnMapping);

impl CfnMapping {
    /// Adds a mapping.
    pub fn new(scope: &impl Scope, id: &str, mapping: IndexMap<String, IndexMap<String, Value>>) -> CfnMapping {
        let node = add_element(scope, id, ElementKind::Mapping(mapping), "constructs.CfnMapping");
        CfnMapping { node }
    }

    /// `Fn::FindInMap` of this mapping.
    pub fn find(&self, key1: impl Into<Value>, key2: impl Into<Value>) -> Value {
        Value::find_in_map(self, key1, key2)
    }
}

/// A template rule (`Rules` section), e.g. the bootstrap version check.
#[derive(Clone, Debug)]
pub struct CfnRule {
    node: Construct,
}

element_common!(CfnRule);

impl CfnRule {
    /// Adds a rule with its body (`{"Assertions": [...]}`).
    pub fn new(scope: &impl Scope, id: &str, body: Value) -> CfnRule {
        let node = add_element(scope, id, ElementKind::Rule(body), "constructs.CfnRule");
        CfnRule { node }
    }
}
