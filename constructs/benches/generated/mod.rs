//! The generated app of the synthesis benchmarks: N stacks x 200 SQS queues,
//! every tenth queue named after a queue of the previous stack (a cross-stack
//! reference: an export and an import), every stack tagged with its stack id.
//! Shared by `benches/synth.rs` (in-process) and `examples/generated_app.rs`
//! (the same app as a CLI app, for whole-process figures).

use constructs::core::{App, CfnResource, Pseudo, Stack, StackProps, Tags, Value};

/// Resources in each stack.
pub const RESOURCES_PER_STACK: usize = 200;

/// Adds `stacks` stacks of [`RESOURCES_PER_STACK`] queues to `app`.
pub fn build(app: &App, stacks: usize) {
    let mut previous: Option<Vec<CfnResource>> = None;
    for s in 0..stacks {
        let stack = Stack::new(app, &format!("Stack{s}"), StackProps::default());
        let mut resources = Vec::with_capacity(RESOURCES_PER_STACK);
        for r in 0..RESOURCES_PER_STACK {
            let queue = CfnResource::new(&stack, &format!("Queue{r}"), "AWS::SQS::Queue");
            queue.set("DelaySeconds", (r % 900) as u64);
            if let Some(prev) = &previous {
                if r % 10 == 0 {
                    queue.set(
                        "QueueName",
                        Value::concat([Value::from("q-"), prev[r].get_att("QueueName")]),
                    );
                }
            }
            resources.push(queue);
        }
        Tags::of(&stack).add("stackId", Pseudo::StackId);
        previous = Some(resources);
    }
}
