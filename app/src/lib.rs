//! The seed application (seed 001): stop and start a web system (ALB, two EC2
//! instances, Aurora MySQL) with Step Functions and Run Command, notifying Slack.
//!
//! One module per stack; [`build`] wires them as the seed's `bin/app.ts` does.

pub mod start_state_machine_stack;
pub mod stop_state_machine_stack;

use constructs::core::{App, CfnResource, Pseudo, Stack, StackProps, Tags};

/// Builds every stack of the app.
pub fn build(app: &App) {
    // Placeholder until the seed's stacks land (one module per stack).
    let stack = Stack::new(app, "PlaceholderStack", StackProps::default());
    CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    Tags::of(&stack).add("stackId", Pseudo::StackId);
}
