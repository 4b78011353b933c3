//! Resources checked against their registry schema at synthesis: a property
//! the type does not have, or a required one left unset, is an error naming
//! the construct path (and the closest property name, for a misspelling).
//!
//! A type the schemas do not know is not checked: a `Custom::*` or
//! third-party registry type is accepted silently, an unknown `AWS::*` or
//! `Alexa::*` type (a misspelling, or a type newer than the schemas) is a
//! warning ([`UNKNOWN_TYPE_WARNING`]) naming the closest known type.
//! `AWS::CloudFormation::CustomResource` takes any property and is not checked either.

use super::element::ResourceData;
use crate::cfn::facts::resource_facts;

/// The id of the warning about a resource type the registry schemas do not know.
pub const UNKNOWN_TYPE_WARNING: &str = "constructs:cfn:unknownResourceType";

/// A warning for an `AWS::*`/`Alexa::*` type the schemas do not know, if it is one.
pub(crate) fn unknown_type_warning(type_name: &str) -> Option<String> {
    if resource_facts(type_name).is_some() || !(type_name.starts_with("AWS::") || type_name.starts_with("Alexa::")) {
        return None;
    }
    let lower = type_name.to_lowercase();
    let closest = crate::cfn::facts::all_resource_facts()
        .map(|f| (strsim::levenshtein(&lower, &f.type_name.to_lowercase()), f.type_name))
        .filter(|(d, _)| *d <= 4)
        .min();
    let hint = match closest {
        Some((_, near)) => format!("did you mean `{near}`? "),
        None => String::new(),
    };
    Some(format!(
        "{type_name} is not a resource type of the registry schemas ({}): {hint}its properties are not checked, and CloudFormation will refuse it if it does not exist",
        crate::cfn::facts::schema_source()
    ))
}

/// The problems of one resource, as messages for its construct path.
pub(crate) fn check_resource(res: &ResourceData) -> Vec<String> {
    let Some(facts) = resource_facts(&res.type_) else {
        return Vec::new();
    };
    if facts.type_name == "AWS::CloudFormation::CustomResource" {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for key in res.properties.keys() {
        if facts.has_property(key) {
            continue;
        }
        let hint = match facts.closest_property(key) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("its properties are {}", facts.properties.join(", ")),
        };
        problems.push(format!("{} has no property `{key}`: {hint}", facts.type_name));
    }
    let missing: Vec<&str> = facts
        .required
        .iter()
        .copied()
        .filter(|r| !res.properties.contains_key(*r))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} requires {}: set {}",
            facts.type_name,
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use crate::core::{App, CfnResource, Stack, StackProps, Tags};

    fn errors(build: impl Fn(&Stack)) -> Vec<String> {
        let app = App::new();
        let stack = Stack::new(&app, "Shop", StackProps::default());
        build(&stack);
        match app.synth() {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_misspelt_property_names_the_path_and_the_closest_property() {
        let e = errors(|s| {
            CfnResource::new(s, "Orders", "AWS::SQS::Queue").set("VisibiltyTimeout", 30);
        });
        assert_eq!(
            e,
            ["Shop/Orders: AWS::SQS::Queue has no property `VisibiltyTimeout`: did you mean `VisibilityTimeout`?"]
        );
    }

    #[test]
    fn a_missing_required_property_is_named() {
        let e = errors(|s| {
            CfnResource::new(s, "Param", "AWS::SSM::Parameter").set("Type", "String");
        });
        assert_eq!(e, ["Shop/Param: AWS::SSM::Parameter requires `Value`: set it"]);
    }

    #[test]
    fn a_problem_the_construct_reported_is_not_reported_again() {
        let e = errors(|s| {
            crate::aws::ssm::StringParameter::new(s, "Empty", crate::aws::ssm::StringParameterProps::default());
        });
        assert_eq!(e, ["Shop/Empty: string_value is required"]);
    }

    #[test]
    fn unknown_and_custom_types_are_not_checked() {
        let e = errors(|s| {
            CfnResource::new(s, "Thing", "Custom::Thing").set("Anything", 1);
            let c = CfnResource::new(s, "Custom", "AWS::CloudFormation::CustomResource");
            c.set("ServiceToken", "arn:aws:lambda:us-east-1:123456789012:function:f");
            c.set("Anything", 1);
        });
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn an_unknown_aws_type_is_a_warning_naming_the_closest_type_and_a_third_party_type_is_not() {
        let app = App::new();
        let stack = Stack::new(&app, "Shop", StackProps::default());
        CfnResource::new(&stack, "Bucket", "AWS::S3::Buckett");
        CfnResource::new(&stack, "Vendor", "Acme::Billing::Account");
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = s.warnings().map(ToString::to_string).collect();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0]
                .starts_with("[warning] Shop/Bucket: AWS::S3::Buckett is not a resource type of the registry schemas")
                && warnings[0].contains("did you mean `AWS::S3::Bucket`?")
                && warnings[0].ends_with("[ack: constructs:cfn:unknownResourceType]"),
            "{warnings:?}"
        );
        crate::core::Annotations::of(&stack).acknowledge_warning(super::UNKNOWN_TYPE_WARNING, "a private preview type");
        assert_eq!(app.synth().unwrap_or_else(|e| panic!("{e}")).warnings().count(), 0);
    }

    #[test]
    fn tags_take_the_property_and_shape_of_the_schema() {
        let app = App::new();
        let stack = Stack::new(&app, "Shop", StackProps::default());
        let pool = CfnResource::new(&stack, "Users", "AWS::Cognito::UserPool");
        let rule = CfnResource::new(&stack, "Nightly", "AWS::Events::Rule");
        rule.set("ScheduleExpression", "rate(1 day)");
        let route = CfnResource::new(&stack, "Route", "AWS::EC2::Route");
        route.set("RouteTableId", "rtb-1");
        Tags::of(&app).add("team", "shop");
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let r = &s.stacks[0].template["Resources"];
        assert_eq!(
            r[pool.logical_id()]["Properties"]["UserPoolTags"],
            serde_json::json!({ "team": "shop" })
        );
        assert_eq!(
            r[rule.logical_id()]["Properties"]["Tags"],
            serde_json::json!([{ "Key": "team", "Value": "shop" }])
        );
        assert!(r[route.logical_id()]["Properties"].get("Tags").is_none());
    }
}
