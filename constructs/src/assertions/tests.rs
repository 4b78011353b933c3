//! Each matcher on a match and on a near miss, and the messages a user reads.

use serde_json::{json, Value as Json};

use super::*;

fn template() -> Template {
    Template::from_json(json!({
        "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
        "Mappings": {"Sizes": {"prod": {"Memory": 512}}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": {
            "NoticeFunction1A2B3C4D": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "notice-slack",
                    "Runtime": "provided.al2023",
                    "Timeout": 30,
                    "Environment": {"Variables": {"STAGE": "prod", "SLACK_USER_ID": "U0"}},
                    "Layers": ["base", "tools"]
                },
                "Metadata": {"aws:cdk:path": "Jobs/Notice/Resource"}
            },
            "RunFunction5E6F7A8B": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "run-command", "Runtime": "provided.al2023", "Timeout": 60},
                "DependsOn": ["Policy"]
            },
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {"PolicyDocument": {"Statement": [
                    {"Action": "ssm:GetParameter", "Effect": "Allow", "Resource": "*"},
                    {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow", "Resource": "arn:aws:s3:::b/*"}
                ]}}
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"RedrivePolicy": "{\"maxReceiveCount\":3,\"deadLetterTargetArn\":\"arn:dlq\"}"},
                "DeletionPolicy": "Retain"
            },
            "Bucket": {"Type": "AWS::S3::Bucket"}
        },
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": "Jobs:QueueUrl"}}}
    }))
}

/// The error of a near miss: its path and first mismatch line.
fn miss(result: Result<(), AssertionError>) -> (String, String) {
    let err = result.expect_err("a near miss");
    let first = err
        .message()
        .lines()
        .find_map(|l| l.strip_prefix("  at "))
        .unwrap_or_else(|| panic!("no mismatch line in:\n{err}"))
        .to_owned();
    (err.path().unwrap_or_default().to_owned(), first)
}

fn function(props: impl serde::Serialize) -> Result<(), AssertionError> {
    template().try_has_resource_properties("AWS::Lambda::Function", props)
}

#[test]
fn object_like_matches_a_subset_and_names_a_wrong_nested_value() {
    function(json!({"Environment": {"Variables": {"STAGE": "prod"}}})).expect("a match");
    function(Match::object_like(json!({"Timeout": 60}))).expect("a match");
    let (path, first) = miss(function(json!({"Environment": {"Variables": {"STAGE": "dev"}}})));
    assert_eq!(path, "/Properties/Environment/Variables/STAGE");
    assert_eq!(
        first,
        r#"/Properties/Environment/Variables/STAGE: expected "dev" but received "prod""#
    );
}

#[test]
fn a_missing_key_is_named() {
    let (path, first) = miss(function(json!({"Handler": "notice-slack", "MemorySize": 256})));
    assert_eq!(path, "/Properties/MemorySize");
    assert_eq!(first, "/Properties/MemorySize: expected 256 but the key is missing");
}

#[test]
fn object_equals_wants_exactly_the_keys() {
    template()
        .try_has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": Match::array_with(json!([
                Match::object_equals(json!({"Action": "ssm:GetParameter", "Effect": "Allow", "Resource": "*"}))
            ]))}}),
        )
        .expect("a match");
    let (path, first) = miss(function(
        json!({"Environment": Match::object_equals(json!({"Variables": {"STAGE": "prod"}}))}),
    ));
    assert_eq!(path, "/Properties/Environment/Variables/SLACK_USER_ID");
    assert_eq!(
        first,
        r#"/Properties/Environment/Variables/SLACK_USER_ID: unexpected key, with "U0""#
    );
}

#[test]
fn exact_wants_exactly_the_keys_at_every_depth() {
    function(json!({"Environment": Match::exact(json!({"Variables": {"STAGE": "prod", "SLACK_USER_ID": "U0"}}))}))
        .expect("a match");
    let (path, first) = miss(function(
        json!({"Environment": Match::exact(json!({"Variables": {"STAGE": "prod"}}))}),
    ));
    assert_eq!(path, "/Properties/Environment/Variables/SLACK_USER_ID");
    assert_eq!(
        first,
        r#"/Properties/Environment/Variables/SLACK_USER_ID: unexpected key, with "U0""#
    );
}

#[test]
fn array_equals_and_literal_arrays_name_an_extra_element() {
    function(json!({"Layers": ["base", "tools"]})).expect("a match");
    function(json!({"Layers": Match::array_equals(json!(["base", Match::any_value()]))})).expect("a match");
    let (path, first) = miss(function(json!({"Layers": ["base"]})));
    assert_eq!(path, "/Properties/Layers");
    assert_eq!(
        first,
        r#"/Properties/Layers: expected an array of 1 element but received 2 elements: unexpected [1] "tools""#
    );
    let (_, first) = miss(function(
        json!({"Layers": Match::array_equals(json!(["base", "tools", "more"]))}),
    ));
    assert_eq!(
        first,
        r#"/Properties/Layers: expected an array of 3 elements but received 2 elements: missing [2] "more""#
    );
}

#[test]
fn array_with_finds_elements_in_order_and_names_the_closest_element() {
    let policy = |statement: Json| {
        template().try_has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": Match::array_with(json!([statement]))}}),
        )
    };
    policy(json!({"Action": Match::array_with(json!(["s3:PutObject"]))})).expect("a match");
    let (path, first) = miss(policy(json!({"Action": ["s3:GetObject", "s3:DeleteObject"]})));
    assert_eq!(path, "/Properties/PolicyDocument/Statement");
    assert_eq!(
        first,
        r#"/Properties/PolicyDocument/Statement: no element matches element [0] of the array_with pattern, {"Action":["s3:GetObject","s3:DeleteObject"]}; the closest is [1], at /Properties/PolicyDocument/Statement/1/Action/1: expected "s3:DeleteObject" but received "s3:PutObject""#
    );
    // In order: the second pattern element must come after the first's match.
    let (_, first) = miss(function(json!({"Layers": Match::array_with(json!(["tools", "base"]))})));
    assert!(
        first.contains(r#"no element matches element [1] of the array_with pattern, "base" (after the match of element [0] at [1])"#),
        "{first}"
    );
}

#[test]
fn absent_and_any_value() {
    function(json!({"Handler": "run-command", "Environment": Match::absent()})).expect("a match");
    function(json!({"Environment": Match::any_value()})).expect("a match");
    let (path, first) = miss(function(json!({"Handler": "notice-slack", "Timeout": Match::absent()})));
    assert_eq!(path, "/Properties/Timeout");
    assert_eq!(
        first,
        "/Properties/Timeout: expected the key to be absent but received 30"
    );
    let (_, first) = miss(function(
        json!({"Handler": "run-command", "Timeout": 60, "Environment": Match::any_value()}),
    ));
    assert_eq!(
        first,
        "/Properties/Environment: expected Match::any_value() but the key is missing"
    );
    let null = Template::from_json(json!({"Resources": {"A": {"Type": "T", "Properties": {"P": null}}}}));
    let (_, first) = miss(null.try_has_resource_properties("T", json!({"P": Match::any_value()})));
    assert_eq!(first, "/Properties/P: expected any value but received null");
}

#[test]
fn string_like_regexp_names_a_wrong_regexp_and_an_invalid_one() {
    function(json!({"Handler": Match::string_like_regexp("^notice-")})).expect("a match");
    let (path, first) = miss(function(
        json!({"Handler": Match::string_like_regexp("^notice-(mail|sms)$")}),
    ));
    assert_eq!(path, "/Properties/Handler");
    assert_eq!(
        first,
        r#"/Properties/Handler: expected a string matching /^notice-(mail|sms)$/ but received "notice-slack""#
    );
    let (_, first) = miss(function(json!({"Timeout": Match::string_like_regexp("30")})));
    assert_eq!(
        first,
        "/Properties/Timeout: expected a string matching /30/ but received 30"
    );
    let (_, first) = miss(function(json!({"Handler": Match::string_like_regexp("notice-(")})));
    assert!(
        first.starts_with("/Properties/Handler: invalid pattern: the regular expression /notice-(/ does not parse"),
        "{first}"
    );
}

#[test]
fn serialized_json_decodes_the_string_and_matches_inside() {
    let queue = |pattern: Json| {
        template().try_has_resource_properties(
            "AWS::SQS::Queue",
            json!({"RedrivePolicy": Match::serialized_json(pattern)}),
        )
    };
    queue(json!({"maxReceiveCount": 3})).expect("a match");
    let (path, first) = miss(queue(json!({"maxReceiveCount": 5})));
    assert_eq!(path, "/Properties/RedrivePolicy/maxReceiveCount");
    assert_eq!(
        first,
        "/Properties/RedrivePolicy/maxReceiveCount: expected 5 but received 3"
    );
    let (_, first) = miss(function(json!({"Handler": Match::serialized_json(json!({}))})));
    assert!(
        first.starts_with("/Properties/Handler: expected serialized JSON but the text does not parse as JSON"),
        "{first}"
    );
}

#[test]
fn not_inverts_a_pattern() {
    function(json!({"Handler": Match::not("run")})).expect("a match");
    template()
        .try_all_resources_properties(
            "AWS::Lambda::Function",
            json!({"Runtime": Match::not(Match::string_like_regexp("^python"))}),
        )
        .expect("a match");
    let (path, first) = miss(template().try_all_resources_properties(
        "AWS::Lambda::Function",
        json!({"Runtime": Match::not("provided.al2023")}),
    ));
    assert_eq!(path, "/Properties/Runtime");
    assert_eq!(
        first,
        r#"/Properties/Runtime: expected a value not matching "provided.al2023" but received "provided.al2023""#
    );
}

#[test]
fn not_of_array_with_names_the_elements_that_match() {
    let (path, first) = miss(template().try_has_resource_properties(
        "AWS::IAM::Policy",
        json!({"PolicyDocument": {"Statement": Match::not(Match::array_with(json!([{"Resource": "*"}])))}}),
    ));
    assert_eq!(path, "/Properties/PolicyDocument/Statement");
    assert_eq!(
        first,
        r#"/Properties/PolicyDocument/Statement: expected a value not matching Match::array_with([{"Resource":"*"}]) but these elements match it: [0] {"Action":"ssm:GetParameter","Effect":"Allow","Resource":"*"}"#
    );
}

#[test]
fn numbers_compare_by_value() {
    function(json!({"Timeout": 30.0})).expect("30.0 is 30");
}

#[test]
fn a_capture_holds_the_value_of_every_match_in_order() {
    let timeout = Capture::new();
    let handler = Capture::with_pattern(Match::string_like_regexp("-"));
    template().has_resource_properties("AWS::Lambda::Function", json!({"Timeout": timeout, "Handler": handler}));
    assert_eq!(timeout.values(), [json!(30), json!(60)]);
    assert_eq!(handler.as_str(), "notice-slack");
    assert!(handler.next());
    assert_eq!(handler.as_str(), "run-command");
    assert!(!handler.next());
    assert_eq!(handler.as_str(), "run-command");
    // A failed match captures nothing.
    let layers = Capture::new();
    assert!(function(json!({"Layers": layers, "Handler": "run-command"})).is_err());
    assert_eq!(layers.try_value(), None);
    // A capture's pattern must match too.
    let stage = Capture::with_pattern(Match::string_like_regexp("^dev"));
    let (_, first) = miss(function(json!({"Environment": {"Variables": {"STAGE": stage}}})));
    assert_eq!(
        first,
        r#"/Properties/Environment/Variables/STAGE: expected a string matching /^dev/ but received "prod""#
    );
}

#[test]
fn the_message_names_the_closest_resource_and_shows_the_diff() {
    let err = template()
        .try_has_resource_properties(
            "AWS::Lambda::Function",
            json!({"Handler": "notice-slack", "Environment": {"Variables": {"STAGE": "dev"}}, "MemorySize": 256}),
        )
        .expect_err("a near miss");
    assert_eq!(
        err.to_string(),
        r#"the template has 2 resources of type AWS::Lambda::Function, but none matches.
The closest is NoticeFunction1A2B3C4D (Jobs/Notice/Resource), with 2 mismatches:
  at /Properties/Environment/Variables/STAGE: expected "dev" but received "prod"
  at /Properties/MemorySize: expected 256 but the key is missing
Expected (-) against actual (+):
  {
    "Properties": {
      "Handler": "notice-slack"
      "Environment": {
        "Variables": {
-         "STAGE": "dev"
+         "STAGE": "prod"
          … 1 other key
        }
      }
-     "MemorySize": 256
+     "MemorySize": (missing)
      … 3 other keys
    }
    … 2 other keys
  }"#
    );
}

#[test]
fn the_diff_opens_the_closest_array_with_element() {
    let err = template()
        .try_has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": Match::array_with(json!([{"Action": "ssm:GetParameters"}]))}}),
        )
        .expect_err("a near miss");
    let diff = err
        .message()
        .split_once("Expected (-) against actual (+):\n")
        .map(|(_, d)| d);
    assert_eq!(
        diff,
        Some(
            r#"  {
    "Properties": {
      "PolicyDocument": {
        "Statement": [  (array_with)
          {
-           "Action": "ssm:GetParameters"
+           "Action": "ssm:GetParameter"
            … 2 other keys
          }
          … 1 element
        ]
      }
    }
    … 1 other key
  }"#
        )
    );
}

#[test]
fn counts_and_finds() {
    let t = template();
    t.resource_count_is("AWS::Lambda::Function", 2);
    t.resource_properties_count_is("AWS::Lambda::Function", json!({"Runtime": "provided.al2023"}), 2);
    t.resource_properties_count_is("AWS::Lambda::Function", json!({"Timeout": 60}), 1);
    let err = t.try_resource_count_is("AWS::Lambda::Function", 1).expect_err("two");
    assert_eq!(
        err.message(),
        "expected 1 resource of type AWS::Lambda::Function but the template has 2: NoticeFunction1A2B3C4D, RunFunction5E6F7A8B"
    );
    let err = t
        .try_resource_properties_count_is("AWS::Lambda::Function", json!({"Timeout": 30}), 2)
        .expect_err("one");
    assert_eq!(
        err.message(),
        r#"expected 2 resources of type AWS::Lambda::Function matching {"Timeout":30} but 1 of 2 match: NoticeFunction1A2B3C4D"#
    );
    let found = t.find_resources(
        "AWS::Lambda::Function",
        json!({"DependsOn": Match::array_with(json!(["Policy"]))}),
    );
    assert_eq!(found.keys().collect::<Vec<_>>(), ["RunFunction5E6F7A8B"]);
    // A resource without Properties matches properties patterns as if it had `{}`.
    t.has_resource_properties("AWS::S3::Bucket", json!({}));
    let err = t
        .try_has_resource_properties("AWS::Lambda::Functoin", json!({}))
        .expect_err("a typo");
    assert_eq!(
        err.message(),
        "the template has no resources of type AWS::Lambda::Functoin; its resource types: AWS::IAM::Policy (1), AWS::Lambda::Function (2), AWS::S3::Bucket (1), AWS::SQS::Queue (1)"
    );
}

#[test]
fn whole_resources_and_all_of_a_type() {
    let t = template();
    t.has_resource("AWS::SQS::Queue", json!({"DeletionPolicy": "Retain"}));
    let (path, first) = miss(t.try_has_resource("AWS::SQS::Queue", json!({"UpdateReplacePolicy": "Retain"})));
    assert_eq!(path, "/UpdateReplacePolicy");
    assert_eq!(
        first,
        r#"/UpdateReplacePolicy: expected "Retain" but the key is missing"#
    );
    t.all_resources(
        "AWS::Lambda::Function",
        json!({"Properties": {"Runtime": "provided.al2023"}}),
    );
    let err = t
        .try_all_resources_properties("AWS::Lambda::Function", json!({"Timeout": 30}))
        .expect_err("one is 60");
    assert!(
        err.message().starts_with("1 of the 2 resources of type AWS::Lambda::Function do not match.\nThe first is RunFunction5E6F7A8B, with 1 mismatch:\n  at /Properties/Timeout: expected 30 but received 60"),
        "{err}"
    );
}

#[test]
fn outputs_parameters_mappings_conditions_and_the_whole_template() {
    let t = template();
    t.has_output("QueueUrl", json!({"Value": {"Ref": "Queue"}}));
    t.has_output("*", json!({"Export": {"Name": Match::string_like_regexp("^Jobs:")}}));
    assert_eq!(t.find_outputs("*", json!({"Value": {"Ref": "Queue"}})).len(), 1);
    let err = std::panic::catch_unwind(|| template().has_output("QueueArn", json!({}))).expect_err("none");
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("the template has no outputs named QueueArn")
    );
    t.has_parameter("Stage", json!({"Type": "String"}));
    assert!(t.find_parameters("*", json!({"Type": "Number"})).is_empty());
    t.has_mapping("Sizes", json!({"prod": {"Memory": 512}}));
    assert_eq!(t.find_mappings("*", json!({})).len(), 1);
    t.has_condition("IsProd", json!({"Fn::Equals": [{"Ref": "Stage"}, "prod"]}));
    assert_eq!(t.find_conditions("IsProd", json!({})).len(), 1);
    t.template_matches(json!({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}));
    let (path, _) = miss(t.try_template_matches(json!({"Resources": {"Bucket": {"Type": "AWS::S3::AccessPoint"}}})));
    assert_eq!(path, "/Resources/Bucket/Type");
}

#[test]
fn a_state_machine_definition_carries_references_in_their_cloudformation_form() {
    let t = Template::from_json(json!({"Resources": {"Machine": {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"DefinitionString": {"Fn::Join": ["", [
            "{\"StartAt\":\"Invoke\",\"States\":{\"Invoke\":{\"Type\":\"Task\",\"Resource\":\"arn:",
            {"Ref": "AWS::Partition"},
            ":states:::lambda:invoke\",\"Parameters\":{\"FunctionName\":\"",
            {"Fn::ImportValue": "Functions:ExportsOutputFnGetAttFnArn"},
            "\"},\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Failed\"}],\"Next\":\"IsDone\"},",
            "\"IsDone\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.done\",\"BooleanEquals\":true,\"Next\":\"Done\"}],\"Default\":\"Invoke\"},",
            "\"Done\":{\"Type\":\"Succeed\"},\"Failed\":{\"Type\":\"Fail\"}}}"
        ]]}}
    }}}));
    let machine = t.state_machine();
    machine.has_state(
        "Invoke",
        json!({
            "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke"]]},
            "Parameters": {"FunctionName": {"Fn::ImportValue": Match::string_like_regexp("^Functions:")}}
        }),
    );
    // The same through the resource's properties.
    t.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        json!({"DefinitionString": Match::serialized_json(json!({"StartAt": "Invoke"}))}),
    );
    let summary: Vec<(String, String, Vec<&str>)> = Vec::new();
    let states = machine.states();
    let summary = states
        .iter()
        .map(|s| (s.name.clone(), s.state_type.clone(), s.targets()))
        .chain(summary)
        .collect::<Vec<_>>();
    assert_eq!(
        summary,
        [
            ("Invoke".to_owned(), "Task".to_owned(), vec!["IsDone", "Failed"]),
            ("IsDone".to_owned(), "Choice".to_owned(), vec!["Done", "Invoke"]),
            ("Done".to_owned(), "Succeed".to_owned(), vec![]),
            ("Failed".to_owned(), "Fail".to_owned(), vec![]),
        ]
    );
    assert_eq!(
        states[0].transitions[1].on,
        TransitionOn::Catch(vec!["States.ALL".into()])
    );
    assert_eq!(states[1].transitions[1].on, TransitionOn::Default);
    let resolved = machine.resolved(|v| {
        if v == &json!({"Ref": "AWS::Partition"}) {
            "aws".into()
        } else {
            "arn:fn".into()
        }
    });
    assert_eq!(
        resolved["States"]["Invoke"]["Resource"],
        "arn:aws:states:::lambda:invoke"
    );
    assert_eq!(resolved["States"]["Invoke"]["Parameters"]["FunctionName"], "arn:fn");
    let (path, first) = miss(machine.try_has_state("IsDone", json!({"Default": "Done"})));
    assert_eq!(path, "/Default");
    assert_eq!(first, r#"/Default: expected "Done" but received "Invoke""#);
    let err = machine.try_has_state("Wait", json!({})).expect_err("no such state");
    assert_eq!(
        err.message(),
        "the state machine Machine has no state \"Wait\"; its states: Invoke, IsDone, Done, Failed"
    );
}

#[test]
fn annotations_find_synthesis_errors_by_path_and_message() {
    use crate::core::{App, CfnResource, Stack, StackProps};
    let app = App::new();
    let stack = Stack::new(&app, "Jobs", StackProps::default());
    let other = Stack::new(&app, "Other", StackProps::default());
    CfnResource::new(&stack, "Bad/Id", "AWS::SNS::Topic");
    CfnResource::new(&other, "Fine", "AWS::SNS::Topic");
    let annotations = Annotations::from_stack(&stack);
    annotations.has_error("Jobs/*", Match::string_like_regexp("must not contain '/'"));
    assert_eq!(annotations.all().len(), 1, "{annotations:?}");
    Annotations::from_stack(&other).has_no_error("*", Match::any_value());
    Annotations::from_stack(&other).has_no_warning("*", Match::any_value());
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Annotations::from_stack(&stack).has_error("Jobs/*", Match::string_like_regexp("is empty"));
    }))
    .expect_err("no such error");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.starts_with(
            "expected an error at a path matching \"Jobs/*\" with a message matching Match::string_like_regexp(\"is empty\"), but the errors are:\n  - Jobs/Bad/Id: construct id 'Bad/Id' must not contain '/'"
        ),
        "{message}"
    );
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Annotations::from_stack(&stack).has_no_error("*", Match::any_value());
    }))
    .expect_err("an error");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(
        message,
        "expected no error at a path matching \"*\" with a message matching Match::any_value(), but found 1:\n  - Jobs/Bad/Id: construct id 'Bad/Id' must not contain '/': '/' separates the components of a construct path"
    );
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Annotations::from_stack(&other).has_warning("*", Match::any_value());
    }))
    .expect_err("no warnings");
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.ends_with("but there are none (no construct reports warnings yet)"),
        "{message}"
    );
}

#[test]
fn from_stack_skips_bundling_and_leaves_the_context_as_it_was() {
    use crate::aws::lambda::{Code, Function, FunctionProps, RustBinary};
    use crate::core::{App, Stack, StackProps};
    let app = App::new();
    let stack = Stack::new(&app, "Functions", StackProps::default());
    let binary = RustBinary {
        package_dir: "/nonexistent".into(),
        package: "nothing".into(),
        bin: "bootstrap".into(),
        ..Default::default()
    };
    Function::new(
        &stack,
        "Fn",
        FunctionProps {
            code: Code::rust_binary(binary.clone()),
            ..Default::default()
        },
    );
    let template = Template::from_stack(&stack);
    template.has_resource_properties(
        "AWS::Lambda::Function",
        json!({"Code": {"S3Key": Match::string_like_regexp("^[0-9a-f]{64}\\.zip$")}}),
    );
    assert_eq!(
        stack
            .node()
            .try_get_context(crate::aws::lambda::BUNDLING_STACKS_CONTEXT),
        None
    );
    // Asked for: the app's own context decides (here: bundle, which cannot happen).
    let app = App::with_context(
        [(crate::aws::lambda::BUNDLING_STACKS_CONTEXT.to_owned(), json!(["**"]))]
            .into_iter()
            .collect(),
    );
    let stack = Stack::new(&app, "Functions", StackProps::default());
    Function::new(
        &stack,
        "Fn",
        FunctionProps {
            code: Code::rust_binary(binary),
            ..Default::default()
        },
    );
    Annotations::from_stack(&stack).has_error("Functions/Fn", Match::string_like_regexp("could not be staged"));
    assert!(Template::try_from_stack(&stack).is_err());
}
