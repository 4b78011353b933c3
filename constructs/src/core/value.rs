//! Template values: literals, references and intrinsic functions, typed.
//!
//! A [`Value`] is what a construct puts into a CloudFormation property. It is
//! resolved at synthesis, per consuming stack: a reference to a resource of the
//! same stack becomes `Ref`/`Fn::GetAtt`, a reference to a resource of another
//! stack becomes `Fn::ImportValue` of an export created in the producing stack.

use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

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
