//! The L1 layer: every CloudFormation resource type, typed, generated from the
//! registry schemas.
//!
//! `AWS::SQS::Queue` is `cfn::sqs::CfnQueue`, with its props struct
//! `CfnQueueProps` (every property, `Option<Value>` so intrinsics and
//! cross-stack references fit anywhere), `ref_()`, typed attribute getters
//! (`attr_arn()` returning `QueueArn`) and the nested property types and
//! closed sets of values in a submodule named after the resource
//! (`dynamodb::table::KeySchema`, `dynamodb::table::TableBillingMode`), each
//! convertible into a [`Value`](crate::core::Value). A required property left
//! unset is a synthesis error naming the construct path. `set_props` changes
//! the properties of a resource already made (the CDK's mutable L1
//! properties): those given are set, the rest kept.
//!
//! ```
//! use constructs::cfn::sqs::{CfnQueue, CfnQueueProps};
//! use constructs::core::{App, Stack, StackProps};
//! let app = App::new();
//! let stack = Stack::new(&app, "Jobs", StackProps::default());
//! let queue = CfnQueue::new(&stack, "Queue", CfnQueueProps { visibility_timeout: Some(60.into()), ..Default::default() });
//! queue.set_props(CfnQueueProps { message_retention_period: Some(86_400.into()), ..Default::default() });
//! let synthesis = app.synth().expect("valid");
//! let props = &synthesis.stacks[0].template["Resources"]["Queue"]["Properties"];
//! assert_eq!(props["VisibilityTimeout"], 60);
//! assert_eq!(props["MessageRetentionPeriod"], 86_400);
//! ```
//!
//! Each service is a cargo feature (`cfn-sqs`, `cfn-dynamodb` …): `cfn-default`
//! (on by default) holds the services the library's own constructs use,
//! `cfn-all` every service. The [`facts`] of every type are there whatever the
//! features.
//!
//! Schema source: the registry schemas shipped in cfn-lint (the version pinned
//! in `tests/harness/requirements-tools.txt`, region us-east-1), because CI
//! installs that exact package, the files are the registry's own JSON
//! (create-only, read-only, write-only properties, primary identifier,
//! tagging) and no network is needed. `generated/` is written by
//! `cargo run -p cfn-codegen` and never edited by hand; a test proves it is a
//! fresh generation.

pub mod facts;
mod generated;
pub(crate) mod macros;

pub use generated::*;

#[cfg(test)]
mod tests {
    use super::stepfunctions::{CfnStateMachine, CfnStateMachineProps};
    use crate::core::{App, Stack, StackProps};

    #[test]
    fn set_props_keeps_the_place_of_a_set_property_and_appends_new_ones_in_field_order() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let machine = CfnStateMachine::new(
            &stack,
            "M",
            CfnStateMachineProps {
                role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
                state_machine_name: Some("first".into()),
                ..Default::default()
            },
        );
        machine.set_props(CfnStateMachineProps {
            tracing_configuration: Some(crate::core::Value::map().with("Enabled", true)),
            definition_string: Some("{}".into()),
            state_machine_name: Some("second".into()),
            ..Default::default()
        });
        let synthesis = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let props = synthesis.stacks[0].template["Resources"]["M"]["Properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "RoleArn",
                "StateMachineName",
                "DefinitionString",
                "TracingConfiguration"
            ]
        );
        assert_eq!(props["StateMachineName"], "second");
    }
}
