//! The benchmarks' generated app as a CLI app, for whole-process figures
//! (wall time and peak memory with `/usr/bin/time -v`), comparable with
//! other tools process to process:
//!
//! ```sh
//! cargo build --release -p constructs --example generated_app
//! /usr/bin/time -v target/release/examples/generated_app -c stacks=100 synth --quiet -o /tmp/gen.out
//! ```
//!
//! Context `stacks` (default 100) sets the size: 200 resources a stack.

use constructs::core::Scope;

#[path = "../benches/generated/mod.rs"]
mod generated;

fn main() -> std::process::ExitCode {
    constructs::cli::run(|app| {
        let stacks = app
            .node()
            .context_str("stacks")
            .and_then(|s| s.parse().ok())
            .unwrap_or(100);
        generated::build(app, stacks);
    })
}
