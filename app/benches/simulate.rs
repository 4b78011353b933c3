//! Simulated run time of one scenario per state machine (the synthesized
//! definitions, the shipped mock files), and of the JSONata + variables
//! machine of the integration tests (its scenarios in
//! `tests/it/fixtures/simulations/`). `cargo bench -p app --bench simulate`.

use std::time::{Duration, Instant};

use constructs::aws::stepfunctions::simulate::{run_test_case, state_machine_definition, MockConfig};
use constructs::core::App;

use app::simulations::SCENARIOS;

/// The JSONata machine, shared with `tests/it/modern_asl.rs`.
#[path = "../../tests/it/jsonata_machine.rs"]
mod jsonata_machine;

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn main() {
    let out = std::env::temp_dir().join(format!("app-bench-simulate-{}", std::process::id()));
    // The workspace's cdk.json (cargo runs benches in the package's directory).
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let base = constructs::cli::load_context(&workspace, &[]).unwrap_or_else(|e| fail(e));
    for examples in [false, true] {
        let mut context = base.clone();
        context.insert("aws:cdk:bundling-stacks".to_owned(), serde_json::json!([]));
        if examples {
            context.insert("examples".to_owned(), serde_json::json!("true"));
        }
        let app = App::with_context(context);
        app::build(&app);
        let assembly = app.synth_to(&out).unwrap_or_else(|e| fail(e.to_string()));
        for s in SCENARIOS.iter().filter(|s| s.examples == examples) {
            let definition =
                state_machine_definition(&assembly, s.state_machine).unwrap_or_else(|e| fail(e.to_string()));
            let text = std::fs::read_to_string(s.path()).unwrap_or_else(|e| fail(format!("{}: {e}", s.file)));
            let config = MockConfig::parse(&text, s.file).unwrap_or_else(|e| fail(e.to_string()));
            let key = config
                .state_machine_key(s.state_machine)
                .unwrap_or_else(|e| fail(e.to_string()));
            time(&definition, &config, &key, s.state_machine, s.file);
        }
    }
    let mut context = base;
    context.insert("aws:cdk:bundling-stacks".to_owned(), serde_json::json!([]));
    let app = App::with_context(context);
    jsonata_machine::build(&app);
    let assembly = app.synth_to(&out).unwrap_or_else(|e| fail(e.to_string()));
    let definition =
        state_machine_definition(&assembly, jsonata_machine::STATE_MACHINE).unwrap_or_else(|e| fail(e.to_string()));
    let file = workspace
        .join("tests/it/fixtures/simulations")
        .join(jsonata_machine::MOCK_FILE);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| fail(format!("{}: {e}", file.display())));
    let config = MockConfig::parse(&text, jsonata_machine::MOCK_FILE).unwrap_or_else(|e| fail(e.to_string()));
    let key = config
        .state_machine_key(jsonata_machine::STATE_MACHINE)
        .unwrap_or_else(|e| fail(e.to_string()));
    time(
        &definition,
        &config,
        &key,
        jsonata_machine::STATE_MACHINE,
        jsonata_machine::MOCK_FILE,
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// Runs the first test case of `key` 51 times and prints the median, min and max.
fn time(definition: &serde_json::Value, config: &MockConfig, key: &str, state_machine: &str, file: &str) {
    let Some(case) = config.test_cases(key).first().map(|c| (*c).to_owned()) else {
        fail(format!("{file}: no test case"))
    };
    let mut times: Vec<Duration> = (0..51)
        .map(|_| {
            let start = Instant::now();
            if let Err(e) = run_test_case(definition, config, state_machine, &case, None) {
                fail(e.to_string());
            }
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{key}/{case}: median {:.3} ms, min {:.3} ms, max {:.3} ms ({} runs)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}
