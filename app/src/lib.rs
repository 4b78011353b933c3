//! The seed application (seed 001): stop and start a web system (ALB, two EC2
//! instances, Aurora MySQL) with Step Functions and Run Command, notifying Slack.
//!
//! One module per stack; [`build`] wires them as the seed's `bin/app.ts` does.

pub mod lambda_functions_stack;
pub mod start_state_machine_stack;
pub mod stop_state_machine_stack;

use constructs::core::{App, Pseudo, Tags};

use lambda_functions_stack::{LambdaFunctionsStack, LambdaFunctionsStackProps};

/// Builds every stack of the app.
pub fn build(app: &App) {
    let lambda_functions = LambdaFunctionsStack::new(app, "LambdaFunctionsStack", LambdaFunctionsStackProps::default());
    Tags::of(lambda_functions.stack()).add("stackId", Pseudo::StackId);
}
