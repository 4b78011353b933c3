//! `simulate`: runs a synthesized state machine locally, its Tasks answered
//! from a mock configuration file (Step Functions Local's `MockConfigFile`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::Value as Json;

use crate::aws::stepfunctions::loop_warnings;
use crate::aws::stepfunctions::simulate::{run_test_case, state_machine_definition, MockConfig};
use crate::aws::stepfunctions::to_mermaid_with_path;
use crate::core::CloudAssembly;

/// The arguments of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The state machine's construct path, e.g. `WebAppStopStateMachineStack/SystemStopStateMachine`.
    pub state_machine: String,
    /// The mock configuration file (Step Functions Local's `MockConfigFile` format).
    #[arg(long, value_name = "FILE")]
    pub mock_config: PathBuf,
    /// The test case to run. Default: every test case of the state machine.
    #[arg(long, value_name = "NAME")]
    pub test_case: Option<String>,
    /// The execution input (JSON). Default: the test case's `Input`, else `{}`.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write the Mermaid diagram with the states each run entered outlined
    /// (with several test cases, `FILE` gets `-<case>` before its extension).
    #[arg(long, value_name = "FILE")]
    pub diagram: Option<PathBuf>,
    /// Print only the summary lines (stderr), not the JSON reports with their histories (stdout).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `dir/name.mmd` → `dir/name-case.mmd`.
fn with_case(file: &Path, case: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match file.extension() {
        Some(ext) => format!("{stem}-{case}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{case}"),
    };
    file.with_file_name(name)
}

fn read_json(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// Runs `simulate` on a synthesized assembly: prints each test case's report
/// as JSON (an array when several run) and a summary line per case; exits
/// non-zero when an expectation fails, or a case without expectations fails.
pub fn execute(args: &SimulateArgs, assembly: &CloudAssembly) -> Result<ExitCode, String> {
    let definition = state_machine_definition(assembly, &args.state_machine).map_err(|e| e.to_string())?;
    for warning in loop_warnings(&definition) {
        eprintln!("warning: {}: {warning}", args.state_machine);
    }
    let source = args.mock_config.display().to_string();
    let config =
        MockConfig::parse(&read_json(&args.mock_config, "mock configuration")?, &source).map_err(|e| e.to_string())?;
    let input = match &args.input {
        Some(file) => {
            let text = read_json(file, "input")?;
            Some(
                serde_json::from_str::<Json>(&text)
                    .map_err(|e| format!("the input {} is not JSON: {e}", file.display()))?,
            )
        }
        None => None,
    };
    let key = config
        .state_machine_key(&args.state_machine)
        .map_err(|e| e.to_string())?;
    let cases: Vec<String> = match &args.test_case {
        Some(name) => vec![name.clone()],
        None => config.test_cases(&key).into_iter().map(str::to_owned).collect(),
    };
    if cases.is_empty() {
        return Err(format!("{source}: state machine '{key}' has no test cases"));
    }
    let mut reports = Vec::new();
    let mut failed = 0;
    for name in &cases {
        let (case, run) = run_test_case(&definition, &config, &args.state_machine, name, input.as_ref())
            .map_err(|e| format!("test case '{name}': {e}"))?;
        let unmet = run.unmet(&case.expectations);
        let outcome = match &run.error {
            Some(error) => format!("{} with {error}", run.status),
            None => run.status.clone(),
        };
        let verdict = if unmet.is_empty() {
            if case.expectations.is_empty() {
                "ok"
            } else {
                "as expected"
            }
        } else {
            failed += 1;
            "NOT as expected"
        };
        eprintln!(
            "{name}: {outcome} at '{}' after {} s (simulated), {} states: {verdict}",
            run.final_state.as_deref().unwrap_or_default(),
            run.elapsed_seconds,
            run.path.len()
        );
        for line in &unmet {
            eprintln!("    {line}");
        }
        if let Some(file) = &args.diagram {
            let file = if cases.len() == 1 {
                file.clone()
            } else {
                with_case(file, name)
            };
            let title = format!("{} ({name})", args.state_machine);
            std::fs::write(&file, to_mermaid_with_path(&definition, &title, &run.path))
                .map_err(|e| format!("cannot write the diagram {}: {e}", file.display()))?;
        }
        let mut report = run.to_json();
        report["testCase"] = Json::String(name.clone());
        if !unmet.is_empty() {
            report["unmetExpectations"] = serde_json::json!(unmet);
        }
        reports.push(report);
    }
    if !args.quiet {
        let out = match reports.as_slice() {
            [one] => one.clone(),
            _ => Json::Array(reports),
        };
        let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{text}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(format!("cannot write the report: {e}"))
            }
            _ => {}
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
