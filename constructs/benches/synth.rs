//! Synthesis cost of generated apps: N stacks x 200 resources, each stack
//! referencing resources of the previous one (exports and imports), written to
//! a Cloud Assembly. Run with `cargo bench -p constructs --bench synth`.

use std::time::{Duration, Instant};

use constructs::core::{App, CfnResource, Pseudo, Stack, StackProps, Tags, Value};

const RESOURCES_PER_STACK: usize = 200;

fn build(stacks: usize) -> App {
    let app = App::new();
    let mut previous: Option<Vec<CfnResource>> = None;
    for s in 0..stacks {
        let stack = Stack::new(&app, &format!("Stack{s}"), StackProps::default());
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
    app
}

fn measure(stacks: usize, runs: usize) -> (Duration, Duration) {
    let out = std::env::temp_dir().join(format!("constructs-bench-{}-{stacks}", std::process::id()));
    let mut synth_times = Vec::with_capacity(runs);
    let mut total_times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let app = build(stacks);
        let built = Instant::now();
        if let Err(e) = app.synth_to(&out) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        let end = Instant::now();
        synth_times.push(end - built);
        total_times.push(end - start);
    }
    let _ = std::fs::remove_dir_all(&out);
    synth_times.sort();
    total_times.sort();
    (synth_times[runs / 2], total_times[runs / 2])
}

fn main() {
    println!("stacks x resources  | synth+write (median) | build+synth+write (median) | per resource");
    for stacks in [10, 25, 50, 100] {
        let (synth, total) = measure(stacks, 5);
        let resources = stacks * RESOURCES_PER_STACK;
        println!(
            "{stacks:>4} x {RESOURCES_PER_STACK} = {resources:>6} | {:>17.1} ms | {:>23.1} ms | {:>8.2} us",
            synth.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e6 / resources as f64
        );
    }
}
