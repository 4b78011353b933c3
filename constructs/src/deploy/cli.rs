//! The `deploy`, `diff`, `destroy`, `bootstrap`, `run` and `executions` commands of an app's CLI.
//!
//! Exit codes: 0 on success; 1 when a stack failed, a change was refused,
//! `diff --fail` found differences, or the execution `run` started did not
//! succeed; 130 when interrupted with Ctrl-C (the
//! operations CloudFormation already started go on; the next deploy picks up
//! from the stacks' real state).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{
    AllowReplacement, AssetBucketKey, BootstrapOptions, ConnectOptions, DeployOptions, Deployer, DestroyOptions,
    ParameterValue, RequireApproval, Selection,
};
use crate::core::CloudAssembly;

/// Where and as whom to deploy (aws-config's standard chain fills the rest).
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// The AWS profile. Default: `AWS_PROFILE`, else `default`.
    #[arg(long)]
    pub profile: Option<String>,
    /// The region. Default: `AWS_REGION`, else the profile's.
    #[arg(long)]
    pub region: Option<String>,
    /// Also print the AWS API calls by operation.
    #[arg(short, long)]
    pub verbose: bool,
    /// The bootstrap stack's name, e.g. for a second bootstrap with another `--qualifier` in the same
    /// account and region. Default: CDKToolkit.
    #[arg(long, value_name = "NAME")]
    pub toolkit_stack_name: Option<String>,
}

/// Arguments of `deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Deploy this Cloud Assembly directory (e.g. `cdk.out` from an earlier `synth`, or the AWS CDK's)
    /// instead of synthesizing the app.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Stacks to deploy (artifact ids or stack names, `*` wildcards), with the stacks they depend on.
    pub stacks: Vec<String>,
    /// Deploy every stack.
    #[arg(long)]
    pub all: bool,
    /// How many independent stacks deploy at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Deploy even stacks whose template, parameters and tags are unchanged.
    #[arg(short, long)]
    pub force: bool,
    /// Parameter values, `Stack:Key=Value` or `Key=Value` (for every stack that has the parameter).
    #[arg(long = "parameters", value_name = "[STACK:]KEY=VALUE")]
    pub parameters: Vec<ParameterValue>,
    /// Only the named stacks, not the stacks they depend on.
    #[arg(short, long)]
    pub exclusively: bool,
    /// Which IAM and security-group changes need a yes before deploying (`never` for CI).
    #[arg(long, value_enum, default_value_t = RequireApproval::Broadening)]
    pub require_approval: RequireApproval,
    /// Let the deploy replace or delete this stateful resource (a logical id; `all` for every one)
    /// although its removal policy does not allow it. Repeatable.
    #[arg(long, value_name = "LOGICAL_ID|all")]
    pub allow_replacement: Vec<String>,
    /// The role CloudFormation deploys every stack as, instead of the bootstrap's execution role.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Compare this Cloud Assembly directory instead of synthesizing the app.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Stacks to compare (default: all).
    pub stacks: Vec<String>,
    /// Exit with 1 when there are differences.
    #[arg(long)]
    pub fail: bool,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Destroy the stacks of this Cloud Assembly directory instead of synthesizing the app.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Stacks to delete, with the stacks that depend on them.
    pub stacks: Vec<String>,
    /// Delete every stack.
    #[arg(long)]
    pub all: bool,
    /// Don't ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Only the named stacks, not the stacks that depend on them.
    #[arg(short, long)]
    pub exclusively: bool,
    /// How many stacks are deleted at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `bootstrap`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// An account that may deploy into this environment through its deploy role (repeatable).
    #[arg(long, value_name = "ACCOUNT")]
    pub trust: Vec<String>,
    /// An account that may only look up context through its lookup role (repeatable).
    #[arg(long, value_name = "ACCOUNT")]
    pub trust_for_lookup: Vec<String>,
    /// Managed policy ARNs of the role CloudFormation deploys as (comma-separated or repeated).
    /// Default: AdministratorAccess, refused together with --trust.
    #[arg(long, value_name = "ARN", value_delimiter = ',')]
    pub cloudformation_execution_policies: Vec<String>,
    /// Protect the bootstrap stack from deletion.
    #[arg(long)]
    pub termination_protection: bool,
    /// Encrypt the asset bucket with this KMS key of the account (id, ARN or alias) instead of the
    /// AWS managed key.
    #[arg(long, value_name = "KEY", conflicts_with = "bootstrap_customer_key")]
    pub bootstrap_kms_key_id: Option<String>,
    /// Encrypt the asset bucket with a new customer managed KMS key (rotated yearly; a key costs
    /// money each month) instead of the AWS managed key.
    #[arg(long)]
    pub bootstrap_customer_key: bool,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The state machine's construct path, e.g. `WebAppStopStateMachineStack/SystemStopStateMachine`.
    pub state_machine: String,
    /// The execution input (a JSON file). Default: the machine's run input, from its deployed stack
    /// (see `StateMachine::set_run_input`), else `{}`.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Read the machine's stack from this Cloud Assembly directory instead of synthesizing the app.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Arguments of `executions`.
#[derive(Debug, Args)]
pub struct ExecutionsArgs {
    /// The state machine's construct path, e.g. `WebAppStopStateMachineStack/SystemStopStateMachine`.
    pub state_machine: String,
    /// How many of the most recent executions to list.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Read the machine's stack from this Cloud Assembly directory instead of synthesizing the app.
    #[arg(long, value_name = "DIR")]
    pub app: Option<PathBuf>,
    /// Where and as whom.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The commands that talk to AWS.
#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Synthesize, publish assets, and deploy stacks through change sets in dependency order.
    Deploy(DeployArgs),
    /// Compare the local templates with the deployed ones.
    Diff(DiffArgs),
    /// Delete stacks, in reverse dependency order.
    Destroy(DestroyArgs),
    /// Create or update the bootstrap stack (asset bucket and version parameter) of an environment.
    Bootstrap(BootstrapArgs),
    /// Start an execution of a deployed state machine and follow it state by state; exit 1 unless it succeeds.
    Run(RunArgs),
    /// List the recent executions of a deployed state machine.
    Executions(ExecutionsArgs),
}

impl DeployCommand {
    fn aws(&self) -> &AwsArgs {
        match self {
            DeployCommand::Deploy(a) => &a.aws,
            DeployCommand::Diff(a) => &a.aws,
            DeployCommand::Destroy(a) => &a.aws,
            DeployCommand::Bootstrap(a) => &a.aws,
            DeployCommand::Run(a) => &a.aws,
            DeployCommand::Executions(a) => &a.aws,
        }
    }

    /// Whether the command deploys code: `run` and `executions` need the
    /// templates only, so the app is synthesized without building Lambda code.
    pub fn needs_bundling(&self) -> bool {
        !matches!(self, DeployCommand::Run(_) | DeployCommand::Executions(_))
    }
}

/// Settings of the app's CLI that the commands here need.
#[derive(Clone, Debug)]
pub struct Lookups {
    /// Look up missing context values in AWS (false with `--no-lookups`).
    pub enabled: bool,
    /// Where looked-up values are saved (`cdk.context.json` of the working
    /// directory), for the next synthesis to read.
    pub context_file: PathBuf,
    /// The bootstrap qualifier (`--qualifier`): `bootstrap` names its bucket,
    /// roles and parameter with it; synthesis reads it as the context
    /// `@aws-cdk/core:bootstrapQualifier`. Default: the CDK's.
    pub qualifier: Option<String>,
}

/// Runs a command; `synth` synthesizes the app (reading its context anew each
/// time) and writes the assembly. When the assembly reports missing context
/// (e.g. the AZ names of a pinned stack), the values are looked up as the
/// CDK CLI does, saved to `lookups.context_file`, and the app synthesized
/// again. Ctrl-C stops waiting with exit code 130.
pub fn execute(
    cmd: DeployCommand,
    synth: &dyn Fn() -> Result<CloudAssembly, String>,
    lookups: &Lookups,
) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let interrupted = match &cmd {
        DeployCommand::Run(a) => format!(
            "\nInterrupted: stopped following. The execution goes on in Step Functions; `executions {}` shows \
             how it ends.",
            a.state_machine
        ),
        _ => "\nInterrupted: stopped waiting. CloudFormation goes on with the operations already started; the next \
              deploy picks up from the stacks' real state."
            .to_owned(),
    };
    let result = runtime.block_on(async {
        tokio::select! {
            r = run(cmd, synth, lookups) => r,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("{interrupted}");
                Ok(ExitCode::from(130))
            }
        }
    });
    // Don't wait for a prompt still reading stdin.
    runtime.shutdown_background();
    result
}

/// The assembly in `app` (read, never rebuilt), else the app synthesized,
/// with its missing context looked up first (unless `lookups` forbids it).
async fn assembly(
    app: Option<&Path>,
    synth: &dyn Fn() -> Result<CloudAssembly, String>,
    deployer: &Deployer,
    lookups: &Lookups,
) -> Result<CloudAssembly, String> {
    let assembly = match app {
        Some(dir) => CloudAssembly::read(dir).map_err(|e| e.to_string())?,
        None => synth()?,
    };
    let missing = &assembly.synthesis.missing;
    if missing.is_empty() {
        return Ok(assembly);
    }
    let message = crate::cli::missing_context_message(missing);
    if let Some(dir) = app {
        return Err(format!(
            "{}: the assembly was synthesized without context values, its templates hold dummy values; {message}, \
             then synthesize again",
            dir.display()
        ));
    }
    if !lookups.enabled {
        return Err(format!("{message}, and --no-lookups forbids looking them up"));
    }
    let found = deployer.look_up_context(missing).await.map_err(|e| e.to_string())?;
    for w in &found.warnings {
        eprintln!("⚠️  {w}");
    }
    save_context(&lookups.context_file, &found.values)?;
    for (key, value) in &found.values {
        eprintln!(
            "Looked up {key} = {value} (saved in {})",
            lookups.context_file.display()
        );
    }
    let again = synth()?;
    if !again.synthesis.missing.is_empty() {
        return Err(format!(
            "{} after the lookup (is it set to something else by -c or CDK_CONTEXT_JSON?)",
            crate::cli::missing_context_message(&again.synthesis.missing)
        ));
    }
    Ok(again)
}

/// Adds `values` to the JSON object in `file` (created when absent), as the
/// CDK keeps `cdk.context.json`: two-space indentation, keys as they come.
fn save_context(file: &Path, values: &[(String, serde_json::Value)]) -> Result<(), String> {
    let mut context = match std::fs::read_to_string(file) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(format!("{} is not a JSON object: fix it or delete it", file.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    for (k, v) in values {
        context.insert(k.clone(), v.clone());
    }
    let text = serde_json::to_string_pretty(&context).map_err(|e| e.to_string())? + "\n";
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

async fn run(
    cmd: DeployCommand,
    synth: &dyn Fn() -> Result<CloudAssembly, String>,
    lookups: &Lookups,
) -> Result<ExitCode, String> {
    let aws = cmd.aws();
    let verbose = aws.verbose;
    let deployer = Deployer::connect(ConnectOptions {
        profile: aws.profile.clone(),
        region: aws.region.clone(),
        toolkit_stack_name: aws.toolkit_stack_name.clone(),
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let code = match cmd {
        DeployCommand::Bootstrap(a) => {
            let qualifier = match lookups.qualifier.as_deref() {
                Some(q) => crate::core::BootstrapNames::new(q)?,
                None => crate::core::BootstrapNames::default(),
            };
            let bucket_key = match (a.bootstrap_kms_key_id, a.bootstrap_customer_key) {
                (Some(id), _) => AssetBucketKey::Existing(id),
                (None, true) => AssetBucketKey::CustomerManaged,
                (None, false) => AssetBucketKey::AwsManaged,
            };
            let options = BootstrapOptions {
                qualifier,
                bucket_key,
                trust: a.trust,
                trust_for_lookup: a.trust_for_lookup,
                cloudformation_execution_policies: a.cloudformation_execution_policies,
                termination_protection: a.termination_protection,
            };
            let report = deployer
                .bootstrap_with(&options, false)
                .await
                .map_err(|e| e.to_string())?;
            println!("Bootstrap of {}: {:?}", deployer.region(), report.outcome);
            for o in &report.outputs {
                println!("  {} = {}", o.key, o.value);
            }
            ExitCode::SUCCESS
        }
        DeployCommand::Deploy(a) => {
            let assembly = assembly(a.app.as_deref(), synth, &deployer, lookups).await?;
            let options = DeployOptions {
                selection: Selection {
                    stacks: a.stacks,
                    all: a.all,
                    exclusively: a.exclusively,
                },
                concurrency: a.concurrency,
                force: a.force,
                parameters: a.parameters,
                require_approval: a.require_approval,
                allow_replacement: AllowReplacement(a.allow_replacement),
                role_arn: a.role_arn,
                quiet: false,
            };
            let report = deployer.deploy(&assembly, &options).await.map_err(|e| e.to_string())?;
            print!("{report}");
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        DeployCommand::Diff(a) => {
            let assembly = assembly(a.app.as_deref(), synth, &deployer, lookups).await?;
            let selection = Selection {
                stacks: a.stacks,
                ..Default::default()
            };
            let diffs = deployer.diff(&assembly, &selection).await.map_err(|e| e.to_string())?;
            for d in &diffs {
                println!("{d}");
            }
            let differs = diffs.iter().filter(|d| !d.is_empty()).count();
            println!("Number of stacks with differences: {differs}");
            if a.fail && differs > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        DeployCommand::Run(a) => {
            let input = match &a.input {
                Some(file) => {
                    let text = std::fs::read_to_string(file)
                        .map_err(|e| format!("cannot read the input {}: {e}", file.display()))?;
                    Some(
                        serde_json::from_str::<serde_json::Value>(&text)
                            .map_err(|e| format!("the input {} is not JSON: {e}", file.display()))?,
                    )
                }
                None => None,
            };
            let assembly = assembly(a.app.as_deref(), synth, &deployer, lookups).await?;
            let machine = super::run::find_state_machine(&assembly, &a.state_machine).map_err(|e| e.to_string())?;
            let mut print = |line: &str| println!("{line}");
            let report = deployer
                .run_state_machine(&machine, input.as_ref(), &mut print)
                .await
                .map_err(|e| e.to_string())?;
            print!("{report}");
            if let Some(output) = report.output.as_deref().filter(|_| report.is_success()) {
                println!("  output: {output}");
            }
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        DeployCommand::Executions(a) => {
            let assembly = assembly(a.app.as_deref(), synth, &deployer, lookups).await?;
            let machine = super::run::find_state_machine(&assembly, &a.state_machine).map_err(|e| e.to_string())?;
            let list = deployer
                .executions(&machine, a.limit)
                .await
                .map_err(|e| e.to_string())?;
            if list.is_empty() {
                println!("{}: no executions yet", machine.path);
            }
            for e in &list {
                println!(
                    "{:<40} {:<10} {}  {}",
                    e.name,
                    e.status,
                    e.start,
                    e.stop.as_deref().unwrap_or("(running)")
                );
            }
            ExitCode::SUCCESS
        }
        DeployCommand::Destroy(a) => {
            // Destroy needs the stacks' names only: dummy context values do.
            let assembly = match a.app.as_deref() {
                Some(dir) => CloudAssembly::read(dir).map_err(|e| e.to_string())?,
                None => synth()?,
            };
            let options = DestroyOptions {
                selection: Selection {
                    stacks: a.stacks,
                    all: a.all,
                    exclusively: a.exclusively,
                },
                force: a.force,
                concurrency: a.concurrency,
                quiet: false,
            };
            let report = deployer.destroy(&assembly, &options).await.map_err(|e| e.to_string())?;
            print!("{report}");
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    };
    if verbose {
        println!("AWS API calls: {}", deployer.api_calls());
    }
    Ok(code)
}
