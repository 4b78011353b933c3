//! Synthesis time of the seed app (Lambda assets cached by source fingerprint,
//! so a run after the first does not build). `cargo bench -p app --bench synth`.

use std::time::Instant;

use constructs::core::App;

fn main() {
    let out = std::env::temp_dir().join(format!("app-bench-{}", std::process::id()));
    // The workspace's cdk.json (cargo runs benches in the package's directory).
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let context = match constructs::cli::load_context(&workspace, &[]) {
        Ok(context) => context,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut times = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        let app = App::with_context(context.clone());
        app::build(&app);
        if let Err(e) = app.synth_to(&out) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        times.push(start.elapsed());
    }
    let _ = std::fs::remove_dir_all(&out);
    // The first run may build the Lambda code; report it apart.
    let first = times.remove(0);
    times.sort();
    println!(
        "seed app synth: first {:.1} ms, then median {:.2} ms, min {:.2} ms, max {:.2} ms ({} runs)",
        first.as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}
