//! Testing your constructs: assertions on synthesized templates, as the AWS
//! CDK's `aws-cdk-lib/assertions`.
//!
//! - [`Template`]: a stack's template ([`Template::from_stack`]) or one from
//!   JSON, with fine-grained assertions (`has_resource_properties`,
//!   `resource_count_is`, `has_output` ...) and queries (`find_resources` ...).
//! - [`Match`]: matchers to put anywhere in a pattern (`object_like`,
//!   `array_with`, `string_like_regexp`, `serialized_json`, `absent`, `not` ...),
//!   and [`Capture`] to read a value out of a match.
//! - [`StateMachineDefinition`]: a state machine's definition as JSON with
//!   references in their CloudFormation form, and its states with their transitions.
//! - [`Annotations`]: the errors synthesis reports on constructs.
//!
//! A failed assertion panics with a message that names the closest candidate,
//! lists each mismatch with its JSON Pointer, and shows the expected (`-`)
//! against the actual (`+`). Every assertion has a `try_` form returning an
//! [`AssertionError`] instead.
//!
//! Testing a construct of your own, as a crate that depends on `constructs` would:
//!
//! ```
//! use constructs::assertions::{Annotations, Capture, Match, Template};
//! use constructs::aws::sns::{Subscription, SubscriptionEndpoint, SubscriptionProps, Topic, TopicProps};
//! use constructs::core::{Construct, Scope, Stack, StackProps, App};
//! use serde_json::json;
//!
//! /// A topic the on-call team hears of, by e-mail.
//! pub struct OnCallTopic {
//!     node: Construct,
//!     topic: Topic,
//! }
//!
//! impl Scope for OnCallTopic {
//!     fn node(&self) -> &Construct {
//!         &self.node
//!     }
//! }
//!
//! impl OnCallTopic {
//!     pub fn new(scope: &impl Scope, id: &str, email: &str) -> OnCallTopic {
//!         let node = Construct::new(scope, id);
//!         let topic = Topic::new(&node, "Topic", TopicProps::default());
//!         if !email.contains('@') {
//!             node.add_error(format!("'{email}' is not an e-mail address"));
//!         }
//!         Subscription::new(
//!             &node,
//!             "OnCall",
//!             &topic.arn(),
//!             SubscriptionEndpoint::Email(email.into()),
//!             SubscriptionProps::default(),
//!         );
//!         OnCallTopic { node, topic }
//!     }
//! }
//!
//! let app = App::new();
//! let stack = Stack::new(&app, "Alerts", StackProps::default());
//! OnCallTopic::new(&stack, "Pager", "oncall@example.com");
//!
//! let template = Template::from_stack(&stack);
//! template.resource_count_is("AWS::SNS::Topic", 1);
//! let topic = Capture::new();
//! template.has_resource_properties("AWS::SNS::Subscription", json!({
//!     "Protocol": "email",
//!     "Endpoint": "oncall@example.com",
//!     "TopicArn": {"Ref": topic},
//! }));
//! let topics = template.find_resources("AWS::SNS::Topic", json!({}));
//! assert!(topics.contains_key(&topic.as_str()));
//!
//! // A near miss says where it is.
//! let err = template
//!     .try_has_resource_properties("AWS::SNS::Subscription", json!({"Protocol": "sms"}))
//!     .unwrap_err();
//! assert_eq!(err.path(), Some("/Properties/Protocol"));
//! assert!(err.message().contains(r#"expected "sms" but received "email""#));
//!
//! // Problems are reported on the construct's path.
//! let app = App::new();
//! let stack = Stack::new(&app, "Alerts", StackProps::default());
//! OnCallTopic::new(&stack, "Pager", "oncall");
//! Annotations::from_stack(&stack).has_error("Alerts/Pager", "'oncall' is not an e-mail address");
//! ```

mod annotations;
mod capture;
mod diff;
mod error;
mod matcher;
mod serialized;
mod state_machine;
mod template;
#[cfg(test)]
mod tests;

pub use annotations::{Annotation, AnnotationLevel, Annotations};
pub use capture::Capture;
pub use error::AssertionError;
pub use matcher::{Match, Matcher};
pub use state_machine::{StateMachineDefinition, StateSummary, Transition, TransitionOn};
pub use template::Template;

use crate::aws::lambda::BUNDLING_STACKS_CONTEXT;
use crate::core::{App, Scope, SynthErrors, Synthesis};

/// Synthesizes the app in memory, with Lambda bundling skipped (see [`without_bundling`]).
fn synthesize(app: &App) -> Result<Synthesis, SynthErrors> {
    without_bundling(app, || app.synth())
}

/// Runs `f` with Lambda bundling skipped unless the app's context sets
/// `aws:cdk:bundling-stacks` itself (the context is left as it was).
fn without_bundling<R>(app: &App, f: impl FnOnce() -> R) -> R {
    let node = app.node();
    let added = {
        let mut tree = node.tree_mut();
        if tree.context.contains_key(BUNDLING_STACKS_CONTEXT) {
            false
        } else {
            tree.context
                .insert(BUNDLING_STACKS_CONTEXT.to_owned(), serde_json::json!([]));
            true
        }
    };
    let result = f();
    if added {
        node.tree_mut().context.shift_remove(BUNDLING_STACKS_CONTEXT);
    }
    result
}
