//! The seed application's stacks, one module per stack.

use constructs::core::{App, CfnResource, Pseudo, Stack, StackProps, Tags};

/// Builds every stack of the app.
pub fn build(app: &App) {
    let stack = Stack::new(app, "PlaceholderStack", StackProps::default());
    CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
    Tags::of(&stack).add("stackId", Pseudo::StackId);
}
