//! Template values: literals, references and intrinsic functions, typed.
//!
//! A [`Value`] is what a construct puts into a CloudFormation property. It is
//! resolved at synthesis, per consuming stack: a reference to a resource of the
//! same stack becomes `Ref`/`Fn::GetAtt`, a reference to a resource of another
//! stack becomes `Fn::ImportValue` of an export created in the producing stack.

use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

use super::Scope;

/// A reference to a template element (resource, parameter, condition) of some app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ElementRef {
    pub(crate) app: u64,
    pub(crate) idx: usize,
}

/// An AWS pseudo parameter (`AWS::AccountId`, `AWS::Region`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId`: the account the stack is deployed to.
    AccountId,
    /// `AWS::Region`: the region the stack is deployed to.
    Region,
    /// `AWS::Partition`: `aws`, `aws-cn`, `aws-us-gov` ...
    Partition,
    /// `AWS::StackName`: the name of the stack.
    StackName,
    /// `AWS::StackId`: the ARN of the stack.
    StackId,
    /// `AWS::URLSuffix`: `amazonaws.com` or the partition's suffix.
    UrlSuffix,
    /// `AWS::NotificationARNs`: the stack's notification topics (a list).
    NotificationArns,
    /// `AWS::NoValue`: removes the property where it is used.
    NoValue,
}

impl Pseudo {
    /// The CloudFormation name, e.g. `AWS::AccountId`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// A value computed when the template is synthesized, e.g. a policy document
/// that grants add statements to after the resource was created.
#[derive(Clone)]
pub struct Lazy(pub(crate) Rc<dyn Fn() -> Value>);

impl Lazy {
    /// Wraps a closure that produces the value at synthesis.
    pub fn new(f: impl Fn() -> Value + 'static) -> Self {
        Lazy(Rc::new(f))
    }
}

impl fmt::Debug for Lazy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lazy(..)")
    }
}

/// A CloudFormation intrinsic function.
#[derive(Clone, Debug)]
pub enum Intrinsic {
    /// `Fn::Join`: the values joined by the delimiter.
    Join(String, Vec<Value>),
    /// `Fn::Sub` with a template string and variables.
    Sub(String, IndexMap<String, Value>),
    /// `Fn::Select`: the element at an index of a list.
    Select(u32, Value),
    /// `Fn::Split`: a string split by a delimiter into a list.
    Split(String, Value),
    /// `Fn::ImportValue`: an export of another stack, by name.
    ImportValue(Value),
    /// `Fn::If`: a value chosen by a condition of the stack.
    If(Value, Value, Value),
    /// `Fn::Equals`: a condition that two values are equal.
    Equals(Value, Value),
    /// `Fn::Not`: negates a condition.
    Not(Value),
    /// `Fn::And`: all conditions hold.
    And(Vec<Value>),
    /// `Fn::Or`: any condition holds.
    Or(Vec<Value>),
    /// `Fn::Base64`: base64 encoding of a string.
    Base64(Value),
    /// `Fn::GetAZs`: the availability zones of a region (`""` for the stack's).
    GetAzs(Value),
    /// `Fn::FindInMap`: a value from a mapping of the stack.
    FindInMap(Value, Value, Value),
    /// `Fn::Cidr`: CIDR blocks carved out of a block.
    Cidr(Value, Value, Value),
    /// `Fn::Contains`: a rule condition that a list holds a value.
    Contains(Value, Value),
}

impl Intrinsic {
    /// The values the function is applied to.
    fn operands(&self) -> Vec<&Value> {
        match self {
            Intrinsic::Join(_, items) | Intrinsic::And(items) | Intrinsic::Or(items) => items.iter().collect(),
            Intrinsic::Sub(_, vars) => vars.values().collect(),
            Intrinsic::Select(_, v)
            | Intrinsic::Split(_, v)
            | Intrinsic::ImportValue(v)
            | Intrinsic::Not(v)
            | Intrinsic::Base64(v)
            | Intrinsic::GetAzs(v) => vec![v],
            Intrinsic::Equals(a, b) | Intrinsic::Contains(a, b) => vec![a, b],
            Intrinsic::If(a, b, c) | Intrinsic::FindInMap(a, b, c) | Intrinsic::Cidr(a, b, c) => vec![a, b, c],
        }
    }
}

/// A value in a CloudFormation template.
///
/// Literals convert with `From` (`"text".into()`, `80.into()`, `true.into()`);
/// references come from constructs (`bucket.arn()`), pseudo parameters from
/// [`Pseudo`], and strings that mix literals and references from [`Value::concat`]
/// or the [`cfn_concat!`](crate::cfn_concat) macro.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// JSON `null`; omitted when it is the value of a property.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A literal string.
    Str(String),
    /// A list of values.
    List(Vec<Value>),
    /// An object with ordered keys.
    Map(IndexMap<String, Value>),
    /// `Ref` of a template element.
    Ref(ElementRef),
    /// `Fn::GetAtt` of a resource attribute.
    GetAtt(ElementRef, String),
    /// `Ref` of a pseudo parameter.
    Pseudo(Pseudo),
    /// An intrinsic function.
    Fn(Box<Intrinsic>),
    /// A value computed at synthesis.
    Lazy(Lazy),
}

impl Value {
    /// An empty JSON object, to fill with [`Value::with`].
    pub fn map() -> Value {
        Value::Map(IndexMap::new())
    }

    /// Returns this map with `key` set to `value` (a builder for nested properties).
    ///
    /// On a value that is not a map the call does nothing but return it unchanged.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Value {
        if let Value::Map(m) = &mut self {
            m.insert(key.into(), value.into());
        }
        self
    }

    /// A list of values.
    pub fn list<T: Into<Value>>(items: impl IntoIterator<Item = T>) -> Value {
        Value::List(items.into_iter().map(Into::into).collect())
    }

    /// A string made of literals and references, joined with no delimiter.
    ///
    /// Adjacent literals are merged; a concatenation of literals only is a
    /// plain string, and one with references becomes `Fn::Join`.
    pub fn concat<T: Into<Value>>(parts: impl IntoIterator<Item = T>) -> Value {
        Value::join("", parts)
    }

    /// `Fn::Join` of the parts with a delimiter (literals are joined at synthesis).
    pub fn join<T: Into<Value>>(delimiter: impl Into<String>, parts: impl IntoIterator<Item = T>) -> Value {
        Value::Fn(Box::new(Intrinsic::Join(
            delimiter.into(),
            parts.into_iter().map(Into::into).collect(),
        )))
    }

    /// `Fn::Sub` with a template string and named variables.
    pub fn sub(template: impl Into<String>, variables: IndexMap<String, Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Sub(template.into(), variables)))
    }

    /// `Fn::Select` of the element at `index`.
    pub fn select(index: u32, list: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Select(index, list.into())))
    }

    /// `Fn::Split` of a string by a delimiter.
    pub fn split(delimiter: impl Into<String>, source: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Split(delimiter.into(), source.into())))
    }

    /// `Fn::ImportValue` of an export by name.
    pub fn import_value(export_name: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::ImportValue(export_name.into())))
    }

    /// `Fn::If` on a condition of the stack.
    pub fn if_(condition: &crate::core::CfnCondition, then: impl Into<Value>, otherwise: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::If(
            Value::Ref(condition.element()),
            then.into(),
            otherwise.into(),
        )))
    }

    /// `Fn::Equals`, for the expression of a condition.
    pub fn equals(a: impl Into<Value>, b: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Equals(a.into(), b.into())))
    }

    /// `Fn::Not`, for the expression of a condition.
    pub fn not(condition: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Not(condition.into())))
    }

    /// `Fn::Base64` of a string.
    pub fn base64(value: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::Base64(value.into())))
    }

    /// `Fn::GetAZs` of the stack's region.
    pub fn get_azs() -> Value {
        Value::Fn(Box::new(Intrinsic::GetAzs(Value::Str(String::new()))))
    }

    /// `Fn::FindInMap` in a mapping of the stack.
    pub fn find_in_map(map: &crate::core::CfnMapping, key1: impl Into<Value>, key2: impl Into<Value>) -> Value {
        Value::Fn(Box::new(Intrinsic::FindInMap(
            Value::Str(map.logical_id()),
            key1.into(),
            key2.into(),
        )))
    }

    /// A value computed at synthesis by the closure.
    pub fn lazy(f: impl Fn() -> Value + 'static) -> Value {
        Value::Lazy(Lazy::new(f))
    }

    /// A list that is filled after the construct is made (targets added
    /// later): read when synthesized, and absent from the template while empty.
    pub fn lazy_list(items: std::rc::Rc<std::cell::RefCell<Vec<Value>>>) -> Value {
        Value::lazy(move || {
            let items = items.borrow();
            if items.is_empty() {
                Value::Null
            } else {
                Value::List(items.clone())
            }
        })
    }

    /// Builds a value from JSON (literals only).
    pub fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => Value::List(a.into_iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, Value::from_json(v))).collect()),
        }
    }

    /// This value as JSON text, resolved by CloudFormation: a string when it
    /// holds no reference, else `Fn::Join` of the literal text and the
    /// references (the AWS CDK's `Stack.toJsonString`).
    ///
    /// Each reference (`Ref`, `Fn::GetAtt`, an import, a joined string ...)
    /// becomes a JSON string, so it must resolve to text that needs no JSON
    /// escaping: ids, ARNs, names. Lazy parts are read at synthesis.
    ///
    /// ```
    /// use constructs::core::{Pseudo, Value};
    /// let text = Value::map().with("Region", Pseudo::Region).with("Count", 2).to_json_string();
    /// assert!(!text.is_literal());
    /// ```
    pub fn to_json_string(&self) -> Value {
        let value = self.clone();
        Value::lazy(move || {
            let mut parts = Vec::new();
            let mut text = String::new();
            write_json(&value, &mut text, &mut parts);
            if parts.is_empty() {
                return Value::Str(text);
            }
            parts.push(Value::Str(text));
            Value::concat(parts)
        })
    }

    /// The stacks whose elements this value refers to (`Ref`, `Fn::GetAtt`,
    /// inside intrinsics and lazy parts, which are computed now), in the
    /// order first met; a reference to a construct of another app is skipped.
    ///
    /// ```
    /// use constructs::core::{App, CfnResource, Stack, StackProps, Value};
    /// let app = App::new();
    /// let web = Stack::new(&app, "Web", StackProps::default());
    /// let queue = CfnResource::new(&web, "Queue", "AWS::SQS::Queue");
    /// let input = Value::map().with("Queue", queue.ref_()).with("Arn", queue.get_att("Arn"));
    /// let stacks = input.referenced_stacks(&web);
    /// assert_eq!(stacks.iter().map(|s| s.stack_name()).collect::<Vec<_>>(), ["Web"]);
    /// ```
    pub fn referenced_stacks(&self, scope: &impl Scope) -> Vec<super::Stack> {
        fn walk(v: &Value, out: &mut Vec<ElementRef>) {
            match v {
                Value::Ref(e) | Value::GetAtt(e, _) => out.push(*e),
                Value::List(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Map(entries) => entries.values().for_each(|i| walk(i, out)),
                Value::Lazy(l) => walk(&(l.0)(), out),
                Value::Fn(f) => f.operands().into_iter().for_each(|i| walk(i, out)),
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::Str(_) | Value::Pseudo(_) => {}
            }
        }
        let mut elements = Vec::new();
        walk(self, &mut elements);
        let node = scope.node();
        let mut stacks: Vec<usize> = Vec::new();
        {
            let tree = node.tree();
            for e in elements.iter().filter(|e| e.app == tree.app) {
                if let Some(s) = tree.stack_of(e.idx) {
                    if !stacks.contains(&s) {
                        stacks.push(s);
                    }
                }
            }
        }
        stacks
            .into_iter()
            .map(|idx| {
                super::Stack::from_node(super::Construct {
                    tree: Rc::clone(&node.tree),
                    idx,
                })
            })
            .collect()
    }

    /// The literal string, if this value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// True when the value holds no reference, intrinsic or lazy part.
    pub fn is_literal(&self) -> bool {
        match self {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::Str(_) => true,
            Value::List(l) => l.iter().all(Value::is_literal),
            Value::Map(m) => m.values().all(Value::is_literal),
            _ => false,
        }
    }
}

/// Appends `v` as JSON text to `text`; a reference closes the literal text
/// (into `parts`), goes into `parts` itself, and is quoted.
fn write_json(v: &Value, text: &mut String, parts: &mut Vec<Value>) {
    match v {
        Value::Null => text.push_str("null"),
        Value::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => text.push_str(&n.to_string()),
        Value::Str(s) => text.push_str(&serde_json::Value::String(s.clone()).to_string()),
        Value::List(items) => {
            text.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                write_json(item, text, parts);
            }
            text.push(']');
        }
        Value::Map(entries) => {
            text.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&serde_json::Value::String(key.clone()).to_string());
                text.push(':');
                write_json(item, text, parts);
            }
            text.push('}');
        }
        Value::Lazy(l) => write_json(&(l.0)(), text, parts),
        reference => {
            text.push('"');
            parts.push(Value::Str(std::mem::take(text)));
            parts.push(reference.clone());
            text.push('"');
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Str(s.clone())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self { Value::Number(n.into()) }
        }
    )*};
}
number_from!(u8, u16, u32, u64, usize, i8, i16, i32, i64);
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}
impl From<Pseudo> for Value {
    fn from(p: Pseudo) -> Self {
        Value::Pseudo(p)
    }
}
impl From<&Value> for Value {
    fn from(v: &Value) -> Self {
        v.clone()
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::list(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from_json(v)
    }
}
impl From<IndexMap<String, Value>> for Value {
    fn from(m: IndexMap<String, Value>) -> Self {
        Value::Map(m)
    }
}

/// A string of literals and references, e.g.
/// `cfn_concat!("arn:", Pseudo::Partition, ":s3:::", bucket.name(), "/*")`.
#[macro_export]
macro_rules! cfn_concat {
    ($($part:expr),+ $(,)?) => {
        $crate::core::Value::concat([$($crate::core::Value::from($part)),+])
    };
}

/// Declares a typed attribute value: a newtype over [`Value`] that a props field
/// can ask for, so a subnet id cannot be passed where a VPC id is expected.
#[macro_export]
macro_rules! typed_value {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name(pub(crate) $crate::core::Value);

        impl $name {
            /// Wraps a value known to hold this attribute (an escape hatch, e.g.
            /// for a resource made outside this app: `from_value("literal".into())`).
            pub fn from_value(value: $crate::core::Value) -> Self {
                Self(value)
            }
            /// The value, for use in a property.
            pub fn value(&self) -> $crate::core::Value {
                self.0.clone()
            }
        }

        impl From<$name> for $crate::core::Value {
            fn from(v: $name) -> Self {
                v.0
            }
        }
        impl From<&$name> for $crate::core::Value {
            fn from(v: &$name) -> Self {
                v.0.clone()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_builds_nested_maps_in_insertion_order() {
        let v = Value::map().with("b", 1).with("a", Value::map().with("c", "x"));
        let Value::Map(m) = v else { panic!("not a map") };
        assert_eq!(m.keys().collect::<Vec<_>>(), ["b", "a"]);
    }

    #[test]
    fn literal_detection() {
        assert!(Value::list(["a", "b"]).is_literal());
        assert!(!Value::concat(["a".into(), Value::Pseudo(Pseudo::Region)]).is_literal());
    }
}

#[cfg(test)]
mod json_string_tests {
    use super::*;
    use crate::core::{App, CfnOutput, CfnOutputProps, CfnResource, Stack, StackProps};
    use serde_json::json;

    /// The `Value` of output `id` in `stack`'s template.
    fn output(app: &App, stack: &str, id: &str) -> serde_json::Value {
        let synthesis = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let s = synthesis
            .stacks
            .iter()
            .find(|s| s.artifact_id == stack)
            .unwrap_or_else(|| panic!("no stack {stack}"));
        s.template["Outputs"][id]["Value"].clone()
    }

    #[test]
    fn literals_render_as_plain_json_text() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let input = Value::map()
            .with("Text", "a \"quoted\" <b>")
            .with("List", Value::list([Value::from(1), Value::Null, Value::from(true)]))
            .with("Lazy", Value::lazy(|| Value::map().with("x", "y")));
        CfnOutput::new(
            &stack,
            "Input",
            CfnOutputProps {
                value: input.to_json_string(),
                ..Default::default()
            },
        );
        let text = output(&app, "S", "Input");
        let parsed: serde_json::Value = serde_json::from_str(text.as_str().expect("a plain string")).expect("JSON");
        assert_eq!(
            parsed,
            json!({"Text": "a \"quoted\" <b>", "List": [1, null, true], "Lazy": {"x": "y"}})
        );
    }

    #[test]
    fn references_are_quoted_parts_of_a_join_and_cross_stacks_as_imports() {
        let app = App::new();
        let producer = Stack::new(&app, "Producer", StackProps::default());
        let bucket = CfnResource::new(&producer, "Bucket", "AWS::S3::Bucket");
        let consumer = Stack::new(&app, "Consumer", StackProps::default());
        let input = Value::map()
            .with("Bucket", Value::Ref(bucket.element()))
            .with("Where", Value::list([Value::Pseudo(Pseudo::Region)]));
        CfnOutput::new(
            &consumer,
            "Input",
            CfnOutputProps {
                value: input.to_json_string(),
                ..Default::default()
            },
        );
        let join = output(&app, "Consumer", "Input");
        let parts = join["Fn::Join"][1].as_array().expect("Fn::Join parts").clone();
        assert_eq!(join["Fn::Join"][0], "");
        assert_eq!(parts[0], "{\"Bucket\":\"");
        assert!(
            parts[1]["Fn::ImportValue"]
                .as_str()
                .is_some_and(|n| n.starts_with("Producer:ExportsOutputRef")),
            "{join}"
        );
        assert_eq!(parts[2], "\",\"Where\":[\"");
        assert_eq!(parts[3], json!({"Ref": "AWS::Region"}));
        assert_eq!(parts[4], "\"]}");
        // Resolved, the text is the JSON document.
        let text: String = parts
            .iter()
            .map(|p| p.as_str().map_or_else(|| "x".to_owned(), str::to_owned))
            .collect();
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON once resolved");
        assert_eq!(parsed, json!({"Bucket": "x", "Where": ["x"]}));
    }
}
