//! The macros the generated modules are written in: one invocation per
//! resource type, property type and enum keeps the generated code small.
//! Paths inside are absolute, so a generated type named like a prelude item
//! cannot capture them.

/// A resource type: its L1 construct, props struct and typed attributes.
macro_rules! cfn_resource {
    (
        $(#[$doc:meta])*
        $name:ident($props:ident) = $type_:literal;
        props { $( $(#[$pdoc:meta])* $field:ident = $key:literal, )* }
        attrs { $( $(#[$adoc:meta])* $getter:ident -> $attr_ty:ident = $attr:literal, )* }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            resource: $crate::core::CfnResource,
        }

        #[doc = concat!("Properties of [`", stringify!($name), "`]; every field defaults to unset.")]
        #[derive(Clone, Debug, Default)]
        pub struct $props {
            $( $(#[$pdoc])* pub $field: ::core::option::Option<$crate::core::Value>, )*
        }

        impl $name {
            #[doc = concat!("The CloudFormation type, `", $type_, "`.")]
            pub const CFN_RESOURCE_TYPE_NAME: &'static str = $type_;

            /// Adds the resource; a required property left unset is a synthesis error naming the construct path.
            pub fn new(scope: &impl $crate::core::Scope, id: &str, props: $props) -> Self {
                let resource = $crate::core::CfnResource::new(scope, id, $type_);
                let $props { $($field),* } = props;
                $( if let ::core::option::Option::Some(v) = $field { resource.set($key, v); } )*
                Self { resource }
            }

            /// Sets every property given in `props` and leaves the others as they are
            /// (the CDK's mutable L1 properties). A property already set keeps its place
            /// in the template; a new one renders after those set before, in field order.
            pub fn set_props(&self, props: $props) -> &Self {
                let $props { $($field),* } = props;
                $( if let ::core::option::Option::Some(v) = $field { self.resource.set($key, v); } )*
                self
            }

            /// The typed view of a resource of this type (e.g. one found below a
            /// construct); `None` for a resource of another type.
            pub fn from_resource(resource: $crate::core::CfnResource) -> ::core::option::Option<Self> {
                (resource.resource_type() == $type_).then_some(Self { resource })
            }

            /// The resource at `scope` typed as this L1: the scope itself, or its
            /// default child (the L1 below an L2); `None` when it is not one.
            pub fn of(scope: &impl $crate::core::Scope) -> ::core::option::Option<Self> {
                $crate::core::CfnResource::of(scope).and_then(Self::from_resource)
            }

            /// `Ref` of this resource.
            pub fn ref_(&self) -> $crate::core::Value {
                self.resource.ref_()
            }

            /// The underlying [`CfnResource`]($crate::core::CfnResource): any property, dependencies, policies.
            pub fn resource(&self) -> &$crate::core::CfnResource {
                &self.resource
            }

            $(
                $(#[$adoc])*
                pub fn $getter(&self) -> $attr_ty {
                    $attr_ty(self.resource.get_att($attr))
                }
            )*
        }

        impl $crate::core::Scope for $name {
            fn node(&self) -> &$crate::core::Construct {
                $crate::core::Scope::node(&self.resource)
            }
        }

        impl ::core::ops::Deref for $name {
            type Target = $crate::core::CfnResource;
            fn deref(&self) -> &$crate::core::CfnResource {
                &self.resource
            }
        }

        impl ::core::convert::From<$name> for $crate::core::CfnResource {
            fn from(r: $name) -> Self {
                r.resource
            }
        }

        $(
            $crate::typed_value!(
                #[doc = concat!("The `", $attr, "` attribute of a `", $type_, "` (`Fn::GetAtt`).")]
                $attr_ty
            );
        )*
    };
}

/// A property type: a struct whose fields render as a JSON object.
macro_rules! cfn_struct {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$fdoc:meta])* $field:ident = $key:literal, )* }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $name {
            $( $(#[$fdoc])* pub $field: ::core::option::Option<$crate::core::Value>, )*
        }

        impl ::core::convert::From<$name> for $crate::core::Value {
            fn from(v: $name) -> Self {
                let mut m = ::indexmap::IndexMap::new();
                $( if let ::core::option::Option::Some(x) = v.$field { m.insert(::std::string::String::from($key), x); } )*
                $crate::core::Value::Map(m)
            }
        }
    };
}

/// A closed set of string values, with `Other` for a reference or a value newer than the schema.
macro_rules! cfn_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $variant:ident = $lit:literal, )* }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub enum $name {
            $( #[doc = concat!("`", $lit, "`.")] $variant, )*
            /// Any other value: a reference, a parameter, or a value newer than the schema.
            Other($crate::core::Value),
        }

        impl ::core::convert::From<$name> for $crate::core::Value {
            fn from(v: $name) -> Self {
                match v {
                    $( $name::$variant => $crate::core::Value::Str(::std::string::String::from($lit)), )*
                    $name::Other(v) => v,
                }
            }
        }
    };
}

pub(crate) use {cfn_enum, cfn_resource, cfn_struct};
