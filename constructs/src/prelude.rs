//! The traits a construct's methods come from, in one import:
//! `use constructs::prelude::*;` brings `Scope` (`node()` on every construct)
//! and the `I*` interfaces, so a method of an imported resource
//! (`Topic::from_topic_arn(..).topic_arn()`) or of a construct passed as
//! `&dyn IRole` needs no import of its own.
//!
//! ```
//! use constructs::prelude::*;
//! use constructs::aws::sns::Topic;
//! use constructs::core::{App, Stack, StackProps};
//!
//! let app = App::new();
//! let stack = Stack::new(&app, "Alerts", StackProps::default());
//! let topic = Topic::from_topic_arn(&stack, "Ops", "arn:aws:sns:us-east-1:123456789012:ops");
//! assert_eq!(topic.node().path(), "Alerts/Ops");
//! let _arn = topic.topic_arn();
//! ```

pub use crate::aws::ec2::{ISecurityGroup, IVpc};
pub use crate::aws::events::IRuleTarget;
pub use crate::aws::iam::{IGrantable, IPrincipal, IRole};
pub use crate::aws::lambda::IFunction;
pub use crate::aws::s3::IBucket;
pub use crate::aws::sns::ITopic;
pub use crate::aws::stepfunctions::IStateMachine;
pub use crate::core::{Aspect, Scope};
