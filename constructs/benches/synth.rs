//! Synthesis cost of generated apps (see `generated/mod.rs`): build the tree,
//! synthesize, write the Cloud Assembly; median of several runs per size.
//! Run with `cargo bench -p constructs --bench synth`. The same app as a
//! process: `cargo run --release -p constructs --example generated_app -- -c stacks=100 synth`.

use std::time::{Duration, Instant};

use constructs::core::App;

mod generated;
use generated::RESOURCES_PER_STACK;

fn measure(stacks: usize, runs: usize) -> (Duration, Duration) {
    let out = std::env::temp_dir().join(format!("constructs-bench-{}-{stacks}", std::process::id()));
    let mut synth_times = Vec::with_capacity(runs);
    let mut total_times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let app = App::new();
        generated::build(&app, stacks);
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
    // `cargo bench -- 100` measures only that many stacks (e.g. under a profiler).
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![10, 25, 50, 100, 500],
    };
    println!("stacks x resources  | synth+write (median) | build+synth+write (median) | per resource");
    for stacks in sizes {
        let runs = if stacks >= 500 { 3 } else { 7 };
        let (synth, total) = measure(stacks, runs);
        let resources = stacks * RESOURCES_PER_STACK;
        println!(
            "{stacks:>4} x {RESOURCES_PER_STACK} = {resources:>6} | {:>17.1} ms | {:>23.1} ms | {:>8.2} us",
            synth.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e6 / resources as f64
        );
    }
}
