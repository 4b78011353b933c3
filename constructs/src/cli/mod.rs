//! The command-line interface an app's `main` hands over to.
//!
//! ```no_run
//! use constructs::core::{App, Stack, StackProps};
//! fn main() -> std::process::ExitCode {
//!     constructs::cli::run(|app: &App| {
//!         Stack::new(app, "MyStack", StackProps::default());
//!     })
//! }
//! ```

pub mod simulate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indexmap::IndexMap;

use crate::core::{to_cdk_json, App, CloudAssembly};

/// The CLI's arguments.
#[derive(Debug, Parser)]
#[command(version, about = "Synthesize and deploy the app's CloudFormation stacks")]
pub struct Cli {
    /// Context values, `-c key=value` (repeatable); they override cdk.json's and cdk.context.json's.
    /// A value that is a JSON list or object (`-c 'key=["a","b"]'`) is taken as JSON.
    #[arg(short = 'c', long = "context", value_name = "KEY=VALUE", global = true, value_parser = parse_context)]
    pub context: Vec<(String, String)>,
    /// The Cloud Assembly directory.
    #[arg(short = 'o', long = "output", value_name = "DIR", global = true)]
    pub output: Option<PathBuf>,
    /// Fail when synthesis reports a warning that is not acknowledged (nothing is written).
    #[arg(long, global = true)]
    pub strict: bool,
    /// Never look up missing context values in AWS (e.g. the AZ names of a stack pinned to an account and
    /// region): a value missing from cdk.json, cdk.context.json and `-c` is then an error naming its key.
    #[arg(long = "no-lookups", global = true)]
    pub no_lookups: bool,
    /// The bootstrap qualifier (the CDK's `--qualifier`): `bootstrap` names the asset bucket, roles and
    /// version parameter `cdk-QUALIFIER-...`; synthesis takes it as the context
    /// `@aws-cdk/core:bootstrapQualifier`, so `synth`, `diff` and `deploy` use that bootstrap.
    #[arg(long, value_name = "QUALIFIER", global = true)]
    pub qualifier: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The CLI's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Synthesize the Cloud Assembly; with exactly one stack named, print its template.
    Synth {
        /// Stacks whose templates to print (the whole assembly is always written).
        stacks: Vec<String>,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// List the stacks in dependency order, with their dependencies.
    #[command(alias = "ls")]
    List {
        /// Also show why each dependency exists.
        #[arg(short, long)]
        long: bool,
        /// List the stacks of this Cloud Assembly directory instead of synthesizing the app.
        #[arg(long, value_name = "DIR")]
        app: Option<PathBuf>,
    },
    /// Run a state machine locally, its Tasks answered from a mock file (Step Functions Local's format).
    Simulate(simulate::SimulateArgs),
    /// Deploy, diff, destroy and bootstrap (needs the `deploy` feature).
    #[cfg(feature = "deploy")]
    #[command(flatten)]
    Deploy(crate::deploy::cli::DeployCommand),
}

fn parse_context(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("'{s}' is not KEY=VALUE")),
    }
}

/// Reads the context: `cdk.json` (its `context` object) in the working
/// directory, then `cdk.context.json` (the values looked up earlier, as the
/// CDK keeps them), then `CDK_CONTEXT_JSON` (set by the official CDK CLI),
/// then `-c`; a later source wins.
pub fn load_context(dir: &Path, overrides: &[(String, String)]) -> Result<IndexMap<String, serde_json::Value>, String> {
    load_context_with_sources(dir, overrides).map(|(context, _)| context)
}

/// Context values and, for each key, where its value came from (`cdk.json`,
/// `CDK_CONTEXT_JSON`, `-c key=...`), for messages about a bad value.
pub type ContextSources = IndexMap<String, String>;

/// [`load_context`], with where each value came from.
pub fn load_context_with_sources(
    dir: &Path,
    overrides: &[(String, String)],
) -> Result<(IndexMap<String, serde_json::Value>, ContextSources), String> {
    let mut context = IndexMap::new();
    let mut sources = ContextSources::new();
    let file = dir.join("cdk.json");
    if file.exists() {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", file.display()))?;
        match json.get("context") {
            Some(serde_json::Value::Object(c)) => {
                for (k, v) in c {
                    context.insert(k.clone(), v.clone());
                    sources.insert(k.clone(), format!("{} (\"context\")", file.display()));
                }
            }
            None => {}
            Some(other) => {
                return Err(format!(
                    "{}: \"context\" must be an object of key/value pairs, not {}: write it as \"context\": {{\"key\": \"value\"}}",
                    file.display(),
                    json_kind(other)
                ))
            }
        }
    }
    let file = dir.join(crate::core::CONTEXT_FILE);
    if file.exists() {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(c)) => {
                for (k, v) in c {
                    sources.insert(k.clone(), format!("{} (looked up earlier)", file.display()));
                    context.insert(k, v);
                }
            }
            Ok(other) => {
                return Err(format!(
                    "{} must be a JSON object of key/value pairs, not {}: fix it or delete it (looked-up values are \
                     looked up again)",
                    file.display(),
                    json_kind(&other)
                ))
            }
            Err(e) => {
                return Err(format!(
                    "{} is not valid JSON ({e}): fix it or delete it",
                    file.display()
                ))
            }
        }
    }
    if let Ok(text) = std::env::var("CDK_CONTEXT_JSON") {
        for (k, v) in context_json(&text)? {
            sources.insert(k.clone(), "CDK_CONTEXT_JSON (from the CDK CLI)".to_owned());
            context.insert(k, v);
        }
    }
    for (k, v) in overrides {
        // A JSON list or object (e.g. AZ names) is taken as JSON, anything else as a string.
        let value = match serde_json::from_str::<serde_json::Value>(v) {
            Ok(json @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => json,
            _ => serde_json::Value::String(v.clone()),
        };
        context.insert(k.clone(), value);
        sources.insert(k.clone(), format!("`-c {k}={v}`"));
    }
    Ok((context, sources))
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The context object of `CDK_CONTEXT_JSON` (what the official CDK CLI passes an app).
fn context_json(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(c)) => Ok(c),
        Ok(_) => Err("CDK_CONTEXT_JSON is not a JSON object: set it to {\"key\": value, ...} or unset it".into()),
        Err(e) => Err(format!("CDK_CONTEXT_JSON is not valid JSON ({e}): fix it or unset it")),
    }
}

/// Builds the app with `build`, synthesizes it, prints its warnings and
/// infos (unless `quiet`), and writes the assembly. With `strict`, a warning
/// fails synthesis and nothing is written.
pub fn synth_app(
    build: &dyn Fn(&App),
    context: IndexMap<String, serde_json::Value>,
    options: &SynthOptions,
    outdir: &Path,
) -> Result<CloudAssembly, String> {
    let app = App::with_context(context);
    for (key, source) in &options.context_sources {
        app.set_context_source(key, source);
    }
    build(&app);
    let synthesis = app.synth().map_err(|e| e.to_string())?;
    if !options.quiet {
        for a in &synthesis.annotations {
            eprintln!("{a}");
        }
    }
    let warnings = synthesis.warnings().count();
    if options.strict && warnings > 0 {
        return Err(format!(
            "synthesis failed: {warnings} warning{} with --strict (fix, or acknowledge with `Annotations::of(scope).acknowledge_warning(id, reason)`); nothing was written",
            if warnings == 1 { "" } else { "s" }
        ));
    }
    app.write_into(synthesis, outdir).map_err(|e| e.to_string())
}

/// How [`synth_app`] synthesizes.
#[derive(Clone, Debug, Default)]
pub struct SynthOptions {
    /// Fail on warnings (`--strict`).
    pub strict: bool,
    /// Print no warnings or infos.
    pub quiet: bool,
    /// Where each context value came from (see [`load_context_with_sources`]).
    pub context_sources: ContextSources,
}

/// Runs the CLI with the process's arguments. Returns the exit code:
/// 0 on success, 1 on a failed command, 2 on bad arguments.
pub fn run(build: impl Fn(&App)) -> ExitCode {
    let cli = Cli::parse();
    run_with(cli, &build)
}

/// Runs parsed arguments (for tests and custom front-ends).
pub fn run_with(cli: Cli, build: &dyn Fn(&App)) -> ExitCode {
    match execute(cli, build) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {}", message.trim_end());
            ExitCode::FAILURE
        }
    }
}

fn execute(mut cli: Cli, build: &dyn Fn(&App)) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    if let Some(q) = &cli.qualifier {
        cli.context.push((crate::core::QUALIFIER_CONTEXT.to_owned(), q.clone()));
    }
    let (context, context_sources) = load_context_with_sources(&cwd, &cli.context)?;
    let mut options = SynthOptions {
        strict: cli.strict,
        quiet: false,
        context_sources,
    };
    let outdir = cli
        .output
        .clone()
        .or_else(|| std::env::var_os("CDK_OUTDIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("cdk.out"));
    match cli.command {
        Command::Synth { stacks, quiet } => {
            options.quiet = quiet;
            let assembly = synth_app(build, context, &options, &outdir)?;
            if !assembly.synthesis.missing.is_empty() {
                let message = missing_context_message(&assembly.synthesis.missing);
                if cli.no_lookups {
                    return Err(format!("{message}, and --no-lookups forbids looking them up"));
                }
                eprintln!("warning: {message}; the templates hold dummy values until `deploy` or `diff` looks them up");
            }
            let unknown: Vec<&String> = stacks.iter().filter(|s| assembly.stack(s).is_none()).collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "no stack named {}; the app has: {}",
                    unknown.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "),
                    stack_names(&assembly)
                ));
            }
            if !quiet {
                if let [only] = stacks.as_slice() {
                    if let Some(s) = assembly.stack(only) {
                        println!("{}", to_cdk_json(&s.template));
                    }
                }
                eprintln!(
                    "Successfully synthesized {} stack(s) to {}",
                    assembly.synthesis.stacks.len(),
                    assembly.directory.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => {
            // An assembly without Lambda code must not replace a deployable cdk.out:
            // unless `-o` names a directory, it goes to a temporary one.
            let scratch = std::env::temp_dir().join(format!("constructs-simulate-{}", std::process::id()));
            let dir = cli.output.clone().unwrap_or_else(|| scratch.clone());
            let result =
                synth_app(build, without_bundling(context), &options, &dir).and_then(|a| simulate::execute(&args, &a));
            let _ = std::fs::remove_dir_all(&scratch);
            result
        }
        Command::List { long, app } => {
            let assembly = match app {
                Some(dir) => CloudAssembly::read(&dir).map_err(|e| e.to_string())?,
                None => synth_app(build, without_bundling(context), &options, &outdir)?,
            };
            for s in &assembly.synthesis.stacks {
                if s.dependencies.is_empty() {
                    println!("{}", s.artifact_id);
                } else {
                    println!("{} (depends on {})", s.artifact_id, s.dependencies.join(", "));
                }
                if long {
                    for (dep, reason) in &s.dependency_reasons {
                        println!("    {dep}: {reason}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "deploy")]
        Command::Deploy(cmd) => {
            // Each synthesis reads the context again: a lookup saves into cdk.context.json.
            // `run` and `executions` read templates only: synthesized without Lambda code, into a
            // temporary directory (unless `-o` names one), so cdk.out stays deployable.
            let bundle = cmd.needs_bundling();
            let scratch = std::env::temp_dir().join(format!("constructs-run-{}", std::process::id()));
            let target = match (&cli.output, bundle) {
                (None, false) => scratch.clone(),
                _ => outdir.clone(),
            };
            let synth = || {
                let (context, context_sources) = load_context_with_sources(&cwd, &cli.context)?;
                let context = if bundle { context } else { without_bundling(context) };
                let options = SynthOptions {
                    context_sources,
                    quiet: !bundle,
                    ..options.clone()
                };
                synth_app(build, context, &options, &target)
            };
            let lookups = crate::deploy::cli::Lookups {
                enabled: !cli.no_lookups,
                context_file: cwd.join(crate::core::CONTEXT_FILE),
                qualifier: cli.qualifier.clone(),
            };
            drop(context);
            let result = crate::deploy::cli::execute(cmd, &synth, &lookups);
            let _ = std::fs::remove_dir_all(&scratch);
            result
        }
    }
}

/// The context with Lambda bundling skipped (unless set): listing and
/// simulating need no Lambda code, as the CDK CLI's `ls` does not.
fn without_bundling(mut context: IndexMap<String, serde_json::Value>) -> IndexMap<String, serde_json::Value> {
    context
        .entry(crate::aws::lambda::BUNDLING_STACKS_CONTEXT.to_owned())
        .or_insert_with(|| serde_json::json!([]));
    context
}

/// What is missing and how to give it, e.g. for `--no-lookups`.
pub fn missing_context_message(missing: &[crate::core::MissingContext]) -> String {
    let keys: Vec<String> = missing.iter().map(|m| format!("'{}'", m.key)).collect();
    format!(
        "the app needs context values it does not have: {} (add them to {} or pass `-c KEY=VALUE`, e.g. \
         -c '{}=[\"{}a\",\"{}c\"]' for the AZ names)",
        keys.join(", "),
        crate::core::CONTEXT_FILE,
        missing.first().map(|m| m.key.as_str()).unwrap_or_default(),
        missing.first().and_then(|m| m.prop("region")).unwrap_or("REGION"),
        missing.first().and_then(|m| m.prop("region")).unwrap_or("REGION"),
    )
}

fn stack_names(assembly: &CloudAssembly) -> String {
    assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{context_json, load_context};

    #[test]
    fn a_cdk_json_context_that_is_not_an_object_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("cdk.json"),
            r#"{"app": "x", "context": ["key-pair=ops"]}"#,
        )
        .expect("write");
        let err = load_context(dir.path(), &[]).expect_err("an array is refused");
        assert!(
            err.contains("cdk.json") && err.contains("must be an object") && err.contains("an array"),
            "{err}"
        );
        std::fs::write(dir.path().join("cdk.json"), r#"{"context": {"key-pair": "ops"}}"#).expect("write");
        let c = load_context(dir.path(), &[("key-pair".into(), "dev".into())]).expect("an object");
        assert_eq!(c["key-pair"], "dev");
    }

    #[test]
    fn cdk_context_json_comes_after_cdk_json_and_c_lists_are_json() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("cdk.json"),
            r#"{"context": {"key-pair": "ops", "a": "from cdk.json"}}"#,
        )
        .expect("write");
        let key = "availability-zones:account=123456789012:region=eu-west-1";
        std::fs::write(
            dir.path().join("cdk.context.json"),
            format!(r#"{{"{key}": ["eu-west-1a", "eu-west-1b"], "a": "from cdk.context.json"}}"#),
        )
        .expect("write");
        let c = load_context(
            dir.path(),
            &[("list".into(), r#"["x","y"]"#.into()), ("text".into(), "[x".into())],
        )
        .expect("context");
        assert_eq!(c[key], serde_json::json!(["eu-west-1a", "eu-west-1b"]));
        assert_eq!(c["a"], "from cdk.context.json");
        assert_eq!(c["key-pair"], "ops");
        assert_eq!(c["list"], serde_json::json!(["x", "y"]));
        assert_eq!(c["text"], "[x");
        std::fs::write(dir.path().join("cdk.context.json"), "[]").expect("write");
        let err = load_context(dir.path(), &[]).expect_err("not an object");
        assert!(err.contains("cdk.context.json") && err.contains("an array"), "{err}");
    }

    #[test]
    fn cdk_context_json_must_be_an_object() {
        let c = context_json(r#"{"aws:cdk:bundling-stacks": [], "key-pair": "ops"}"#).expect("an object");
        assert_eq!(c["key-pair"], "ops");
        let err = context_json("[1]").expect_err("not an object");
        assert!(err.contains("not a JSON object"), "{err}");
        let err = context_json("{key: 1}").expect_err("not JSON");
        assert!(err.starts_with("CDK_CONTEXT_JSON is not valid JSON"), "{err}");
    }
}
