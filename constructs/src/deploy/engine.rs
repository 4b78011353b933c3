//! The [`Deployer`]: bootstrap, deploy, diff and destroy of a Cloud Assembly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::task::JoinSet;

use super::assets::{self, AssetJob};
use super::aws::{url_suffix_of, ApiCallCounts, Clients, ConnectOptions};
use super::bootstrap::{
    self, BootstrapOptions, ToolkitInfo, ADMINISTRATOR_ACCESS, BOOTSTRAP_VERSION, DESCRIPTION_MARK, TOOLKIT_STACK_NAME,
};
use super::diff::{diff_templates, StackDiff};
use super::error::DeployError;
use super::exports::{exports_at_risk, importers, ExportConflict};
use super::graph::{self, Expand, Selection, StackResult};
use super::progress::Progress;
use super::replacement::AllowReplacement;
use super::stack::{
    can_skip, check_review, create_change_set, delete_and_wait, delete_change_set, deploy_stack, describe, execute,
    get_template, resource_count, wait_until_settled, DeployedStack, Review, Run, StackJob, StackOutcome, StackOutput,
    TEMPLATE_BODY_LIMIT,
};
use crate::core::{to_cdk_json, AssemblyManifest, CloudAssembly, SynthesizedStack, REQUIRED_BOOTSTRAP_VERSION};

/// When security-relevant changes need a yes on stdin before the deploy goes on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum RequireApproval {
    /// Never ask (for CI).
    Never,
    /// Ask for any IAM or security-group change.
    AnyChange,
    /// Ask when a change grants more access (the CDK's default).
    #[default]
    Broadening,
}

/// A parameter value for a deploy: `Stack:Key=Value`, or `Key=Value` for
/// every selected stack whose template has the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterValue {
    /// The stack (artifact id or stack name); `None` for every stack.
    pub stack: Option<String>,
    /// The parameter's logical id.
    pub key: String,
    /// The value.
    pub value: String,
}

impl FromStr for ParameterValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| format!("'{s}' is not [STACK:]KEY=VALUE"))?;
        let (stack, key) = match name.split_once(':') {
            Some((stack, key)) => (Some(stack.to_owned()), key),
            None => (None, name),
        };
        if key.is_empty() || stack.as_deref() == Some("") {
            return Err(format!("'{s}' is not [STACK:]KEY=VALUE"));
        }
        Ok(ParameterValue {
            stack,
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Options of [`Deployer::deploy`].
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// The stacks (with their dependencies unless `exclusively`). Default: the only stack.
    pub selection: Selection,
    /// How many stacks deploy at once when their dependencies are done. Default: 1, as the CDK.
    pub concurrency: usize,
    /// Deploy through a change set even when nothing changed. Default: false.
    pub force: bool,
    /// Parameter values. Default: none (template defaults, else the previous values).
    pub parameters: Vec<ParameterValue>,
    /// When IAM and security-group changes need approval. Default: broadening ones.
    pub require_approval: RequireApproval,
    /// Stateful resources that may be replaced or deleted although their
    /// removal policy does not say so (logical ids, or `all`). Default: none.
    pub allow_replacement: AllowReplacement,
    /// The role CloudFormation runs as for every stack (`--role-arn`), instead
    /// of the assembly's `cloudFormationExecutionRoleArn`. Default: none.
    pub role_arn: Option<String>,
    /// Print nothing (the report still says everything). Default: false.
    pub quiet: bool,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            selection: Selection::default(),
            concurrency: 1,
            force: false,
            parameters: Vec::new(),
            require_approval: RequireApproval::default(),
            allow_replacement: AllowReplacement::default(),
            role_arn: None,
            quiet: false,
        }
    }
}

/// What happened to one deployed stack.
#[derive(Clone, Debug)]
pub struct StackDeployment {
    /// Created, updated, unchanged or without changes.
    pub outcome: StackOutcome,
    /// The stack's outputs afterwards.
    pub outputs: Vec<StackOutput>,
    /// How long the stack took.
    pub elapsed: Duration,
}

/// One stack of a report.
#[derive(Debug)]
pub struct StackReport<T> {
    /// The artifact id.
    pub stack: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// How it ended.
    pub result: StackResult<T>,
}

/// The result of a deploy, including stacks that failed or never started.
#[derive(Debug)]
pub struct DeployReport {
    /// Every selected stack, in dependency order.
    pub stacks: Vec<StackReport<StackDeployment>>,
    /// Assets uploaded (the rest existed already or belonged to unchanged stacks).
    pub assets_uploaded: usize,
    /// Assets found already published.
    pub assets_existing: usize,
    /// The stacks that ran (deployed, skipped or failed), in the order they finished.
    pub order: Vec<String>,
    /// The AWS API calls the deploy made.
    pub api_calls: ApiCallCounts,
    /// The wall time.
    pub elapsed: Duration,
}

impl DeployReport {
    /// True when every stack succeeded.
    pub fn is_success(&self) -> bool {
        self.stacks.iter().all(|s| matches!(s.result, StackResult::Done(_)))
    }

    /// The stack with this artifact id or stack name.
    pub fn stack(&self, name: &str) -> Option<&StackReport<StackDeployment>> {
        self.stacks.iter().find(|s| s.stack == name || s.stack_name == name)
    }

    /// The outcome of a stack that succeeded.
    pub fn outcome(&self, name: &str) -> Option<&StackOutcome> {
        match &self.stack(name)?.result {
            StackResult::Done(d) => Some(&d.outcome),
            _ => None,
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Deploy: {} stack(s) in {}, {} asset(s) uploaded, {} already published, {} AWS API call(s)",
            self.stacks.len(),
            seconds(self.elapsed),
            self.assets_uploaded,
            self.assets_existing,
            self.api_calls.total()
        )?;
        for s in &self.stacks {
            match &s.result {
                StackResult::Done(d) => {
                    let what = match d.outcome {
                        StackOutcome::Created => "created",
                        StackOutcome::Updated => "updated",
                        StackOutcome::Unchanged => "unchanged (skipped)",
                        StackOutcome::NoChanges => "no changes",
                    };
                    writeln!(f, "  ✅ {}: {what} ({})", s.stack, seconds(d.elapsed))?;
                    for o in &d.outputs {
                        writeln!(f, "     {}.{} = {}", s.stack, o.key, o.value)?;
                    }
                }
                StackResult::Failed(e) => writeln!(f, "  ❌ {}", e.to_string().replace('\n', "\n  "))?,
                StackResult::NotStarted { blocked_by } => {
                    writeln!(f, "  ⏸  {}: not started ({blocked_by} failed)", s.stack)?
                }
            }
        }
        Ok(())
    }
}

/// Options of [`Deployer::destroy`].
#[derive(Clone, Debug, Default)]
pub struct DestroyOptions {
    /// The stacks (with the stacks that depend on them unless `exclusively`). Default: the only stack.
    pub selection: Selection,
    /// Don't ask for confirmation on stdin. Default: false (ask).
    pub force: bool,
    /// How many stacks are deleted at once. Default: 1 (0 counts as 1).
    pub concurrency: usize,
    /// Print nothing. Default: false.
    pub quiet: bool,
}

/// What happened to one destroyed stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// It was deleted.
    Destroyed,
    /// It was not deployed.
    NotDeployed,
}

/// The result of a destroy.
#[derive(Debug)]
pub struct DestroyReport {
    /// Every selected stack, in the order of the assembly.
    pub stacks: Vec<StackReport<DestroyOutcome>>,
    /// The stacks that ran, in the order they finished.
    pub order: Vec<String>,
    /// The AWS API calls the destroy made.
    pub api_calls: ApiCallCounts,
    /// The wall time.
    pub elapsed: Duration,
}

impl DestroyReport {
    /// True when every stack is gone.
    pub fn is_success(&self) -> bool {
        self.stacks.iter().all(|s| matches!(s.result, StackResult::Done(_)))
    }
}

impl fmt::Display for DestroyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Destroy: {} stack(s) in {}, {} AWS API call(s)",
            self.stacks.len(),
            seconds(self.elapsed),
            self.api_calls.total()
        )?;
        for s in &self.stacks {
            match &s.result {
                StackResult::Done(DestroyOutcome::Destroyed) => writeln!(f, "  ✅ {}: destroyed", s.stack)?,
                StackResult::Done(DestroyOutcome::NotDeployed) => writeln!(f, "  ✅ {}: was not deployed", s.stack)?,
                StackResult::Failed(e) => writeln!(f, "  ❌ {}", e.to_string().replace('\n', "\n  "))?,
                StackResult::NotStarted { blocked_by } => {
                    writeln!(f, "  ⏸  {}: not started ({blocked_by} failed)", s.stack)?
                }
            }
        }
        Ok(())
    }
}

/// What bootstrap did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// The bootstrap stack was created, updated, or found up to date.
    Deployed(StackOutcome),
    /// Another tool (the CDK CLI) bootstrapped the environment; it was left as it is.
    LeftAsIs {
        /// Its bootstrap version.
        version: Option<u32>,
    },
}

/// The result of a bootstrap.
#[derive(Clone, Debug)]
pub struct BootstrapReport {
    /// What was done.
    pub outcome: BootstrapOutcome,
    /// The outputs of the bootstrap stack (`BucketName`, `BootstrapVersion` ...).
    pub outputs: Vec<StackOutput>,
    /// The AWS API calls made.
    pub api_calls: ApiCallCounts,
}

/// Deploys Cloud Assemblies to one account and region.
///
/// ```no_run
/// # async fn example(assembly: constructs::core::CloudAssembly) -> Result<(), constructs::deploy::DeployError> {
/// use constructs::deploy::{ConnectOptions, DeployOptions, Deployer, Selection};
/// let deployer = Deployer::connect(ConnectOptions::default()).await?;
/// deployer.bootstrap(false).await?;
/// let options = DeployOptions {
///     selection: Selection { all: true, ..Default::default() },
///     ..Default::default()
/// };
/// let report = deployer.deploy(&assembly, &options).await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Deployer {
    clients: Clients,
    /// The bootstrap stack's name.
    toolkit: String,
}

/// A stack ready to deploy: its job, its assets and what preflight found.
struct Plan {
    job: StackJob,
    assets: Vec<AssetJob>,
    /// The index in `assets` of the template itself.
    template_asset: Option<usize>,
    skip: bool,
    /// The change set created before any stack deployed, when the stack exists.
    review: Option<Review>,
    /// The assembly's deploy role (`assumeRoleArn`, placeholders unresolved) and its external id.
    deploy_role: Option<(String, Option<String>)>,
    /// The assembly's `cloudFormationExecutionRoleArn` (placeholders unresolved).
    execution_role: Option<String>,
    /// The stack's account when pinned.
    account: Option<String>,
    /// Clients acting as the deploy role, when it was assumed.
    clients: Option<Clients>,
    /// The bootstrap version the stack requires (`requiresBootstrapStackVersion`).
    required_bootstrap: u32,
    /// The SSM parameter holding the environment's bootstrap version
    /// (`bootstrapStackVersionSsmParameter`).
    version_parameter: Option<String>,
}

impl Plan {
    /// The run of this stack: with its deploy role's clients when assumed.
    fn run(&self, run: &Run) -> Run {
        match &self.clients {
            Some(clients) => Run {
                clients: clients.clone(),
                progress: run.progress.clone(),
            },
            None => run.clone(),
        }
    }
}

fn read_stack_file(dir: &Path, stack: &SynthesizedStack) -> Result<String, DeployError> {
    let path = dir.join(format!("{}.template.json", stack.artifact_id));
    if !path.exists() {
        return Ok(to_cdk_json(&stack.template));
    }
    std::fs::read_to_string(&path).map_err(|source| DeployError::Io {
        stack: stack.artifact_id.clone(),
        path,
        source,
    })
}

/// Stack tags from `manifest.json` (`properties.tags`), by artifact id.
fn manifest_tags(dir: &Path) -> HashMap<String, BTreeMap<String, String>> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return HashMap::new();
    };
    let Ok(json) = serde_json::from_str::<Json>(&text) else {
        return HashMap::new();
    };
    let artifacts = json.get("artifacts").and_then(Json::as_object).into_iter().flatten();
    artifacts
        .filter_map(|(id, a)| {
            let tags = a.get("properties")?.get("tags")?.as_object()?;
            let tags = tags
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect();
            Some((id.clone(), tags))
        })
        .collect()
}

/// Asks a yes/no question on stderr and reads the answer from stdin (end of
/// input is a no). Runs on a blocking thread, so Ctrl-C still interrupts.
async fn ask(question: String) -> bool {
    tokio::task::spawn_blocking(move || {
        eprint!("{question} (y/n) ");
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(_) => matches!(line.trim(), "y" | "Y" | "yes" | "Yes"),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

impl Deployer {
    /// Loads credentials, region and endpoint (aws-config's standard chain plus `options`).
    pub async fn connect(options: ConnectOptions) -> Result<Deployer, DeployError> {
        Ok(Deployer {
            clients: Clients::connect(&options).await?,
            toolkit: options
                .toolkit_stack_name
                .clone()
                .unwrap_or_else(|| TOOLKIT_STACK_NAME.to_owned()),
        })
    }

    /// Looks up the context values synthesis reported missing (the
    /// manifest's `missing`), each in its account and region as the
    /// bootstrap's lookup role (else the current credentials, with a warning
    /// in the result), as the CDK CLI does before synthesizing again.
    pub async fn look_up_context(
        &self,
        missing: &[crate::core::MissingContext],
    ) -> Result<super::lookup::ContextLookup, DeployError> {
        super::lookup::look_up(&self.clients, missing).await
    }

    /// The region deployed to.
    pub fn region(&self) -> &str {
        &self.clients.region
    }

    /// The AWS API calls made so far by this deployer, by operation.
    pub fn api_calls(&self) -> ApiCallCounts {
        self.clients.calls.snapshot()
    }

    /// Starts an execution of the deployed state machine `machine` (see
    /// [`super::run::find_state_machine`]) with `input`, else its run input,
    /// else `{}`, and follows it until it ends, calling `on_line` with a line
    /// per state entered and exited and per failure.
    pub async fn run_state_machine(
        &self,
        machine: &super::run::MachineRef,
        input: Option<&serde_json::Value>,
        on_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<super::run::RunReport, DeployError> {
        super::run::run(&self.clients, machine, input, on_line).await
    }

    /// The most recent executions of the deployed state machine `machine`
    /// (at most `limit`), newest first.
    pub async fn executions(
        &self,
        machine: &super::run::MachineRef,
        limit: u32,
    ) -> Result<Vec<super::run::ExecutionSummary>, DeployError> {
        super::run::executions(&self.clients, machine, limit).await
    }

    fn run(&self, quiet: bool) -> Run {
        Run {
            clients: self.clients.clone(),
            progress: Progress::new(quiet),
        }
    }

    /// Creates or updates the bootstrap stack (`CDKToolkit`); see [`super::bootstrap`].
    /// An environment bootstrapped by the CDK CLI is left as it is.
    pub async fn bootstrap(&self, quiet: bool) -> Result<BootstrapReport, DeployError> {
        self.bootstrap_with(&BootstrapOptions::default(), quiet).await
    }

    /// [`Deployer::bootstrap`] with `cdk bootstrap`'s options (trusted accounts,
    /// the execution role's policies, termination protection).
    pub async fn bootstrap_with(
        &self,
        options: &BootstrapOptions,
        quiet: bool,
    ) -> Result<BootstrapReport, DeployError> {
        let before = self.api_calls();
        let run = self.run(quiet);
        let c = &self.clients;
        let toolkit = self.toolkit.as_str();
        let template = bootstrap::template(!c.plain_http_s3, options).map_err(DeployError::BootstrapOptions)?;
        if options.cloudformation_execution_policies.is_empty() {
            run.progress.line(format!(
                "{toolkit}: the execution role CloudFormation deploys with gets {ADMINISTRATOR_ACCESS} \
                 (the CDK's default; --cloudformation-execution-policies names others)"
            ));
        }
        let template_text = to_cdk_json(&template);
        let mut deployed = describe(c, toolkit, toolkit).await?;
        if let Some(d) = deployed.take() {
            deployed = wait_until_settled(&run, toolkit, d).await?;
        }
        let mut deployed_template = None;
        if let Some(d) = deployed.as_ref().filter(|d| d.is_stable()) {
            let bucket = d
                .outputs
                .iter()
                .find(|o| o.key == "BucketName")
                .map(|o| o.value.as_str());
            if let Some(b) = bucket.filter(|b| !b.starts_with(&options.qualifier.asset_bucket_prefix())) {
                let theirs = b
                    .strip_prefix("cdk-")
                    .and_then(|r| r.split_once("-assets-"))
                    .map(|(q, _)| q);
                return Err(DeployError::UnusableState {
                    stack: toolkit.to_owned(),
                    status: format!("it holds the bootstrap of another qualifier (bucket {b})"),
                    hint: format!(
                        "changing the qualifier to '{}' would replace the asset bucket and the roles the stacks \
                         deployed here use: bootstrap with --qualifier {}",
                        options.qualifier.qualifier(),
                        theirs.unwrap_or("THEIRS")
                    ),
                });
            }
            let text = get_template(c, &d.stack_id, toolkit).await?;
            let parsed = text.and_then(|t| serde_json::from_str::<Json>(&t).ok());
            let ours = parsed
                .as_ref()
                .and_then(|t| t.get("Description"))
                .and_then(Json::as_str)
                .is_some_and(|s| s.starts_with(DESCRIPTION_MARK));
            if !ours {
                let version = d
                    .outputs
                    .iter()
                    .find(|o| o.key == "BootstrapVersion")
                    .and_then(|o| o.value.parse::<u32>().ok());
                if version.is_none_or(|v| v < REQUIRED_BOOTSTRAP_VERSION) {
                    return Err(DeployError::UnusableState {
                        stack: toolkit.to_owned(),
                        status: format!("bootstrapped by another tool at version {version:?}"),
                        hint: format!(
                            "version {REQUIRED_BOOTSTRAP_VERSION} or later is needed; upgrade it with the tool that made it (`cdk bootstrap`)"
                        ),
                    });
                }
                run.progress.line(format!(
                    "{toolkit}: bootstrapped by another tool (version {}); leaving it as it is",
                    version.unwrap_or_default()
                ));
                return Ok(BootstrapReport {
                    outcome: BootstrapOutcome::LeftAsIs { version },
                    outputs: d.outputs.clone(),
                    api_calls: self.api_calls().since(&before),
                });
            }
            deployed_template = parsed;
        }
        let job = StackJob {
            display: toolkit.to_owned(),
            stack_name: toolkit.to_owned(),
            template_text,
            template,
            template_url: None,
            parameters: BTreeMap::new(),
            tags: BTreeMap::new(),
            termination_protection: options.termination_protection,
            deployed,
            deployed_template,
            allow_replacement: AllowReplacement::default(),
            execution_role: None,
        };
        let (outcome, outputs) = if can_skip(&job, job.deployed_template.as_ref()) {
            run.progress.line(format!(
                "{toolkit}: bootstrap version {BOOTSTRAP_VERSION} is already deployed"
            ));
            (
                StackOutcome::Unchanged,
                job.deployed.as_ref().map(|d| d.outputs.clone()).unwrap_or_default(),
            )
        } else {
            deploy_stack(&run, &job).await?
        };
        Ok(BootstrapReport {
            outcome: BootstrapOutcome::Deployed(outcome),
            outputs,
            api_calls: self.api_calls().since(&before),
        })
    }

    /// Compares the selected stacks' templates (all stacks when none are
    /// named) with the deployed ones.
    pub async fn diff(&self, assembly: &CloudAssembly, selection: &Selection) -> Result<Vec<StackDiff>, DeployError> {
        let mut selection = selection.clone();
        if selection.stacks.is_empty() {
            selection.all = true;
        }
        let stacks = graph::select(assembly, &selection, Expand::Exact)?;
        let mut out = Vec::new();
        for s in stacks {
            let local_text = read_stack_file(&assembly.directory, s)?;
            let local: Json = serde_json::from_str(&local_text).map_err(|e| DeployError::InvalidAssembly {
                stack: s.artifact_id.clone(),
                file: format!("{}.template.json", s.artifact_id),
                message: e.to_string(),
            })?;
            let deployed = match get_template(&self.clients, &s.stack_name, &s.artifact_id).await? {
                Some(text) => Some(
                    serde_json::from_str::<Json>(&text).map_err(|e| DeployError::DeployedTemplate {
                        stack: s.artifact_id.clone(),
                        message: format!("it is not JSON ({e})"),
                    })?,
                ),
                None => None,
            };
            out.push(diff_templates(&s.artifact_id, deployed.as_ref(), &local));
        }
        Ok(out)
    }

    /// Deploys the selected stacks: checks every stack first (skipping those
    /// that equal what is deployed, refusing to break imported exports,
    /// asking for approval of security changes), publishes the assets of the
    /// stacks that change, then deploys them in dependency order.
    ///
    /// Errors before anything changed are `Err`; failures of single stacks are
    /// in the report (see [`DeployReport::is_success`]).
    pub async fn deploy(&self, assembly: &CloudAssembly, options: &DeployOptions) -> Result<DeployReport, DeployError> {
        let started = Instant::now();
        let before = self.api_calls();
        let run = self.run(options.quiet);
        let selected = graph::select(assembly, &options.selection, Expand::Upstream)?;
        let mut plans = self.plan(assembly, &selected, options)?;
        self.assume_roles(&run, &mut plans, options.role_arn.is_some()).await?;
        self.preflight(&run, &mut plans, options.force).await?;
        self.check_exports(&plans).await?;
        self.approve(&run, &plans, options.require_approval).await?;
        let (uploaded, existing) = self.publish(&run, &mut plans).await?;
        self.review(&run, &mut plans).await?;

        let nodes = graph::nodes(&selected, false);
        let jobs: Vec<(Run, StackJob, bool, Option<Review>)> = plans
            .into_iter()
            .map(|p| (p.run(&run), p.job, p.skip, p.review))
            .collect();
        // Which stacks changed: a stack reviewed before its dependencies changed gets a fresh change set.
        let changed = Arc::new(Mutex::new(vec![false; jobs.len()]));
        let (results, finished) = graph::run(&nodes, options.concurrency, |i| {
            let (run, job, skip, mut review) = jobs[i].clone();
            let upstream_changed = {
                let changed = changed.lock().unwrap_or_else(PoisonError::into_inner);
                nodes[i].after.iter().any(|&d| changed[d])
            };
            let changed = Arc::clone(&changed);
            async move {
                let start = Instant::now();
                let (outcome, outputs) = if skip {
                    run.progress.line(format!(
                        "{}: unchanged (template, parameters and tags equal the deployed stack; --force deploys anyway)",
                        job.display
                    ));
                    let outputs = job.deployed.map(|d| d.outputs).unwrap_or_default();
                    (StackOutcome::Unchanged, outputs)
                } else {
                    if upstream_changed {
                        if let Some(r) = review.take().filter(|r| r.changes.is_some()) {
                            delete_change_set(&run, &job.display, &r.change_set).await?;
                        }
                    }
                    let result = match review {
                        Some(r) => execute(&run, &job, &r).await,
                        None => deploy_stack(&run, &job).await,
                    };
                    match result {
                        Ok(r) => r,
                        Err(e) => {
                            run.progress.line(format!("❌ {e}"));
                            return Err(e);
                        }
                    }
                };
                let elapsed = start.elapsed();
                if matches!(outcome, StackOutcome::Created | StackOutcome::Updated) {
                    changed.lock().unwrap_or_else(PoisonError::into_inner)[i] = true;
                }
                if !matches!(outcome, StackOutcome::Unchanged) {
                    run.progress.line(format!("✅ {} ({})", job.display, seconds(elapsed)));
                }
                Ok(StackDeployment {
                    outcome,
                    outputs,
                    elapsed,
                })
            }
        })
        .await?;
        Ok(DeployReport {
            stacks: selected
                .iter()
                .zip(results)
                .map(|(s, result)| StackReport {
                    stack: s.artifact_id.clone(),
                    stack_name: s.stack_name.clone(),
                    result,
                })
                .collect(),
            assets_uploaded: uploaded,
            assets_existing: existing,
            order: finished.iter().map(|&i| selected[i].artifact_id.clone()).collect(),
            api_calls: self.api_calls().since(&before),
            elapsed: started.elapsed(),
        })
    }

    /// Reads each selected stack's template and assets from the assembly.
    fn plan(
        &self,
        assembly: &CloudAssembly,
        selected: &[&SynthesizedStack],
        options: &DeployOptions,
    ) -> Result<Vec<Plan>, DeployError> {
        let tags = manifest_tags(&assembly.directory);
        let manifest = AssemblyManifest::read(&assembly.directory).ok();
        let mut unknown: Vec<String> = options
            .parameters
            .iter()
            .filter_map(|p| p.stack.clone())
            .filter(|name| !selected.iter().any(|s| s.artifact_id == *name || s.stack_name == *name))
            .collect();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(DeployError::UnknownStacks {
                names: unknown
                    .iter()
                    .map(|n| format!("'{n}' (in --parameters)"))
                    .collect::<Vec<_>>()
                    .join(", "),
                available: selected
                    .iter()
                    .map(|s| s.artifact_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut plans = Vec::new();
        for s in selected {
            let template_text = read_stack_file(&assembly.directory, s)?;
            let template: Json = serde_json::from_str(&template_text).map_err(|e| DeployError::InvalidAssembly {
                stack: s.artifact_id.clone(),
                file: format!("{}.template.json", s.artifact_id),
                message: e.to_string(),
            })?;
            let declared: HashSet<&String> = template
                .get("Parameters")
                .and_then(Json::as_object)
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            let parameters = options
                .parameters
                .iter()
                .filter(|p| match &p.stack {
                    Some(name) => *name == s.artifact_id || *name == s.stack_name,
                    None => declared.contains(&p.key),
                })
                .map(|p| (p.key.clone(), p.value.clone()))
                .collect();
            let assets = assets::read_manifest(&assembly.directory, &s.artifact_id)?;
            let properties = manifest.as_ref().and_then(|m| m.stack_properties(&s.artifact_id));
            let template_file = format!("{}.template.json", s.artifact_id);
            let template_asset = assets.iter().position(|a| {
                a.source
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy() == template_file)
            });
            plans.push(Plan {
                job: StackJob {
                    display: s.artifact_id.clone(),
                    stack_name: s.stack_name.clone(),
                    template_text,
                    template,
                    template_url: None,
                    parameters,
                    tags: tags.get(&s.artifact_id).cloned().unwrap_or_default(),
                    termination_protection: s.termination_protection,
                    deployed: None,
                    deployed_template: None,
                    allow_replacement: options.allow_replacement.clone(),
                    execution_role: options.role_arn.clone(),
                },
                assets,
                template_asset,
                skip: false,
                review: None,
                deploy_role: properties
                    .as_ref()
                    .and_then(|p| Some((p.assume_role_arn.clone()?, p.assume_role_external_id.clone()))),
                execution_role: properties
                    .as_ref()
                    .and_then(|p| p.cloud_formation_execution_role_arn.clone()),
                account: s.environment.account.clone(),
                clients: None,
                required_bootstrap: properties
                    .as_ref()
                    .and_then(|p| p.requires_bootstrap_stack_version)
                    .unwrap_or(REQUIRED_BOOTSTRAP_VERSION),
                version_parameter: properties
                    .as_ref()
                    .and_then(|p| p.bootstrap_stack_version_ssm_parameter.clone()),
            });
        }
        Ok(plans)
    }

    /// Assumes each stack's deploy role (the assembly's `assumeRoleArn`, for
    /// the stack's account and region), as the CDK CLI does, and takes its
    /// execution role for the change sets (unless `--role-arn` forces one).
    /// A role that cannot be assumed (not bootstrapped with roles, no
    /// permission) leaves the stack to the current credentials, with a warning.
    async fn assume_roles(&self, run: &Run, plans: &mut [Plan], forced: bool) -> Result<(), DeployError> {
        let c = &self.clients;
        let partition = c.partition();
        let mut caller: Option<String> = None;
        let mut assumed: HashMap<String, Result<Clients, String>> = HashMap::new();
        for p in plans.iter_mut() {
            let Some((arn, external_id)) = p.deploy_role.clone() else {
                continue;
            };
            let account = match (&p.account, &caller) {
                (Some(a), _) | (None, Some(a)) => a.clone(),
                (None, None) => {
                    let id = c
                        .sts
                        .get_caller_identity()
                        .send()
                        .await
                        .map_err(|e| DeployError::aws("STS.GetCallerIdentity", None, &e))?;
                    let a = id.account().unwrap_or_default().to_owned();
                    caller = Some(a.clone());
                    a
                }
            };
            let resolve = |text: &str| {
                text.replace("${AWS::AccountId}", &account)
                    .replace("${AWS::Region}", &c.region)
                    .replace("${AWS::Partition}", partition)
            };
            let arn = resolve(&arn);
            if !assumed.contains_key(&arn) {
                let result = c.assume(&arn, external_id.as_deref()).await;
                if let Err(reason) = &result {
                    run.progress.line(format!(
                        "⚠️  {}: could not assume the deploy role {arn} ({reason}); deploying with the current \
                         credentials (bootstrap the environment for the CDK's roles)",
                        p.job.display
                    ));
                }
                assumed.insert(arn.clone(), result);
            }
            if let Some(Ok(clients)) = assumed.get(&arn) {
                p.clients = Some(clients.clone());
                if !forced {
                    p.job.execution_role = p.execution_role.as_deref().map(resolve);
                }
            }
        }
        Ok(())
    }

    /// Looks up every stack (DescribeStacks, and GetTemplate when deployed),
    /// concurrently, and decides which can be skipped.
    async fn preflight(&self, run: &Run, plans: &mut [Plan], force: bool) -> Result<(), DeployError> {
        let mut tasks = JoinSet::new();
        for (i, p) in plans.iter().enumerate() {
            let run = p.run(run);
            let (name, display) = (p.job.stack_name.clone(), p.job.display.clone());
            tasks.spawn(async move {
                let c = &run.clients;
                let mut deployed = describe(c, &name, &display).await?;
                if let Some(d) = deployed.take() {
                    deployed = wait_until_settled(&run, &display, d).await?;
                }
                let mut template = None;
                if let Some(d) = deployed.as_ref().filter(|d| !d.awaits_create() && !d.failed_create()) {
                    if let Some(text) = get_template(c, &d.stack_id, &display).await? {
                        // Not JSON (e.g. YAML from another tool): compares unequal.
                        template = Some(serde_json::from_str::<Json>(&text).unwrap_or(Json::Null));
                    }
                }
                Ok::<_, DeployError>((i, deployed, template))
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (i, deployed, template) = joined.map_err(|e| DeployError::Task {
                stack: "preflight".to_owned(),
                message: e.to_string(),
            })??;
            let plan = &mut plans[i];
            plan.job.deployed = deployed;
            plan.job.deployed_template = template;
            plan.skip = !force && can_skip(&plan.job, plan.job.deployed_template.as_ref());
        }
        Ok(())
    }

    /// Checks, before anything is uploaded, that every environment a
    /// deploying stack goes to is bootstrapped with at least the version the
    /// stack requires (`requiresBootstrapStackVersion`), each seen as the
    /// stack's deploy role when it was assumed (another account's bootstrap).
    /// Returns the bootstrap of the current credentials' environment (or the
    /// first one found), whose bucket names the account.
    async fn check_bootstrap(
        &self,
        run: &Run,
        plans: &[Plan],
        deploying: &[usize],
    ) -> Result<ToolkitInfo, DeployError> {
        let c = &self.clients;
        let name = self.toolkit.as_str();
        // By environment: the stack's pinned account (None: the credentials'), whether a deploy role is used,
        // and the version parameter; what was found there: the bootstrap stack, its version and where it was read.
        type Environment = (Option<String>, bool, Option<String>);
        type Found = (Option<ToolkitInfo>, Option<u32>, String);
        let mut found: Vec<(Environment, Found)> = Vec::new();
        let mut first: Option<ToolkitInfo> = None;
        for &i in deploying {
            let p = &plans[i];
            let key = (p.account.clone(), p.clients.is_some(), p.version_parameter.clone());
            let (toolkit, version, source) = match found.iter().find(|(k, _)| *k == key) {
                Some((_, f)) => f.clone(),
                None => {
                    let clients = p.run(run).clients;
                    let t = bootstrap::lookup(&clients, name).await?;
                    let f = match (&t, &p.version_parameter) {
                        // As the CDK CLI: the version is the SSM parameter's, read as the deploy role.
                        (Some(info), Some(parameter)) => match bootstrap::version_from_ssm(&clients, parameter).await {
                            Ok(v) => (
                                t.clone(),
                                Some(v),
                                format!("the SSM parameter {parameter} says version {v}"),
                            ),
                            Err(reason) => {
                                run.progress.line(format!(
                                    "⚠️  {}: could not read the bootstrap version parameter {parameter} ({reason}); \
                                     using the {name} stack's BootstrapVersion output instead",
                                    p.job.display
                                ));
                                (t.clone(), info.version, String::new())
                            }
                        },
                        (Some(info), None) => (t.clone(), info.version, String::new()),
                        (None, _) => (None, None, String::new()),
                    };
                    found.push((key, f.clone()));
                    f
                }
            };
            let toolkit = toolkit.map(|t| ToolkitInfo { version, ..t });
            let required = p.required_bootstrap;
            match toolkit {
                Some(t) if t.version.is_some_and(|v| v >= required) => {
                    if first.is_none() || (p.account.is_none() && p.clients.is_none()) {
                        first = Some(t);
                    }
                }
                other => {
                    let account = match (&p.account, &p.clients) {
                        (Some(a), _) => a.clone(),
                        (None, Some(assumed)) => caller_account(assumed).await,
                        (None, None) => caller_account(c).await,
                    };
                    return Err(DeployError::NotBootstrapped {
                        stack: p.job.display.clone(),
                        environment: format!("aws://{account}/{}", c.region),
                        detail: match other {
                            None => format!("no {name} stack"),
                            Some(_) if !source.is_empty() => source,
                            Some(t) => match t.version {
                                Some(v) => format!("{name} has bootstrap version {v}"),
                                None => format!("{name} has no BootstrapVersion output"),
                            },
                        },
                        required,
                        command_args: format!(" --region {}", c.region),
                    });
                }
            }
        }
        Ok(first.unwrap_or_default())
    }

    /// Refuses the deploy when it would remove or change an export another stack imports.
    async fn check_exports(&self, plans: &[Plan]) -> Result<(), DeployError> {
        let mut conflicts = Vec::new();
        for p in plans.iter().filter(|p| !p.skip) {
            let Some(deployed) = p.job.deployed.as_ref().filter(|d| d.is_stable()) else {
                continue;
            };
            let at_risk = exports_at_risk(
                deployed,
                p.job.deployed_template.as_ref(),
                &p.job.template,
                &p.job.stack_name,
                &self.clients.region,
            );
            for (export, change) in at_risk {
                let users: Vec<String> = importers(&self.clients, &p.job.display, &export)
                    .await?
                    .into_iter()
                    .filter(|u| *u != p.job.stack_name)
                    .collect();
                if !users.is_empty() {
                    conflicts.push(ExportConflict {
                        stack: p.job.display.clone(),
                        export_name: export,
                        change,
                        importers: users,
                    });
                }
            }
        }
        if conflicts.is_empty() {
            Ok(())
        } else {
            Err(DeployError::ExportsInUse(conflicts))
        }
    }

    /// Asks for approval of IAM and security-group changes, as `require` says.
    async fn approve(&self, run: &Run, plans: &[Plan], require: RequireApproval) -> Result<(), DeployError> {
        if require == RequireApproval::Never {
            return Ok(());
        }
        let mut listed = Vec::new();
        for p in plans.iter().filter(|p| !p.skip) {
            let diff = diff_templates(&p.job.display, p.job.deployed_template.as_ref(), &p.job.template);
            let needs = match require {
                RequireApproval::AnyChange => !diff.security.is_empty(),
                _ => diff.is_broadening(),
            };
            if needs {
                listed.push(diff);
            }
        }
        if listed.is_empty() {
            return Ok(());
        }
        for d in &listed {
            run.progress.line(d.security_report());
        }
        let what = if require == RequireApproval::AnyChange {
            "IAM or security-group changes"
        } else {
            "changes that broaden access"
        };
        if ask(format!("These stacks have {what}. Deploy them?")).await {
            Ok(())
        } else {
            Err(DeployError::ApprovalRefused(format!(
                "not approved: {} {} {what}; nothing was changed (--require-approval never deploys without asking)",
                listed.iter().map(|d| d.stack.as_str()).collect::<Vec<_>>().join(", "),
                if listed.len() == 1 { "has" } else { "have" },
            )))
        }
    }

    /// Creates the change sets of the stacks that exist and will change, before
    /// any executes, prints what each replaces and deletes, and refuses the
    /// whole deploy (deleting every change set it made) when one would destroy
    /// a stateful resource without consent. A change set CloudFormation cannot
    /// make yet (e.g. it imports an export a stack of this deploy adds) is made
    /// and checked again when its stack's turn comes.
    async fn review(&self, run: &Run, plans: &mut [Plan]) -> Result<(), DeployError> {
        let mut tasks = JoinSet::new();
        for (i, p) in plans.iter().enumerate() {
            if p.skip || !p.job.deployed.as_ref().is_some_and(DeployedStack::is_stable) {
                continue;
            }
            let (run, job) = (p.run(run), p.job.clone());
            tasks.spawn(async move { (i, create_change_set(&run, &job).await) });
        }
        let mut refusal = None;
        while let Some(joined) = tasks.join_next().await {
            let (i, made) = joined.map_err(|e| DeployError::Task {
                stack: "review".to_owned(),
                message: e.to_string(),
            })?;
            match made {
                Ok(review) => plans[i].review = Some(review),
                Err(DeployError::ChangeSetFailed { .. }) => {}
                Err(e) => refusal = refusal.or(Some(e)),
            }
        }
        for p in plans.iter_mut() {
            let Some(review) = p.review.as_ref().filter(|_| refusal.is_none()) else {
                continue;
            };
            if let Err(e) = check_review(&p.run(run), &p.job, review).await {
                // check_review deleted its change set.
                p.review = None;
                refusal = Some(e);
            }
        }
        let Some(err) = refusal else { return Ok(()) };
        for p in plans.iter_mut() {
            if let Some(r) = p.review.take().filter(|r| r.changes.is_some()) {
                delete_change_set(&p.run(run), &p.job.display, &r.change_set).await?;
            }
        }
        Err(err)
    }

    /// Publishes the assets of the stacks that will deploy (8 at a time) and
    /// sets the template URL of templates too large for `TemplateBody`.
    /// Returns (uploaded, already published).
    async fn publish(&self, run: &Run, plans: &mut [Plan]) -> Result<(usize, usize), DeployError> {
        let deploying: Vec<usize> = (0..plans.len())
            .filter(|&i| !plans[i].skip && !plans[i].assets.is_empty())
            .collect();
        if deploying.is_empty() {
            return Ok((0, 0));
        }
        let c = &self.clients;
        let toolkit = self.check_bootstrap(run, plans, &deploying).await?;
        let needs_account = deploying
            .iter()
            .any(|&i| plans[i].assets.iter().any(AssetJob::needs_account));
        let mut account = String::new();
        if needs_account {
            account = match toolkit
                .bucket
                .as_deref()
                .and_then(|b| bootstrap::account_from_bucket(b, &c.region))
            {
                Some(a) => a,
                None => c
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| DeployError::aws("STS.GetCallerIdentity", None, &e))?
                    .account()
                    .unwrap_or_default()
                    .to_owned(),
            };
        }
        let partition = c.partition();
        let mut queue = Vec::new();
        let mut seen = HashSet::new();
        for &i in &deploying {
            let plan = &mut plans[i];
            for a in &mut plan.assets {
                a.resolve(&account, &c.region, partition);
            }
            if plan.job.template_text.len() > TEMPLATE_BODY_LIMIT {
                if let Some(t) = plan.template_asset.and_then(|t| plan.assets.get(t)) {
                    let region = t.region.as_deref().unwrap_or(&c.region);
                    plan.job.template_url = Some(format!(
                        "https://s3.{region}.{}/{}/{}",
                        url_suffix_of(region),
                        t.bucket,
                        t.key
                    ));
                }
            }
            for a in &plan.assets {
                if seen.insert((a.bucket.clone(), a.key.clone())) {
                    queue.push(a.clone());
                }
            }
        }
        // Each destination's file-publishing role, assumed once; the current credentials when it cannot be.
        let mut publishers: HashMap<String, Option<Clients>> = HashMap::new();
        for a in &queue {
            let Some((arn, external_id)) = &a.assume_role else {
                continue;
            };
            if publishers.contains_key(arn) {
                continue;
            }
            let clients = match c.assume(arn, external_id.as_deref()).await {
                Ok(clients) => Some(clients),
                Err(reason) => {
                    run.progress.line(format!(
                        "⚠️  {}: could not assume the file-publishing role {arn} ({reason}); publishing with the \
                         current credentials",
                        a.stack
                    ));
                    None
                }
            };
            publishers.insert(arn.clone(), clients);
        }
        let (mut uploaded, mut existing) = (0, 0);
        let mut tasks = JoinSet::new();
        let mut pending = queue.into_iter();
        loop {
            while tasks.len() < 8 {
                let Some(asset) = pending.next() else { break };
                let publisher = asset
                    .assume_role
                    .as_ref()
                    .and_then(|(arn, _)| publishers.get(arn).cloned().flatten());
                let run = match publisher {
                    Some(clients) => Run {
                        clients,
                        progress: run.progress.clone(),
                    },
                    None => run.clone(),
                };
                tasks.spawn(async move {
                    let up = assets::publish(&run, &asset).await?;
                    if up {
                        run.progress.line(format!(
                            "{}: published {} ({})",
                            asset.stack, asset.display_name, asset.key
                        ));
                    }
                    Ok::<_, DeployError>(up)
                });
            }
            let Some(joined) = tasks.join_next().await else { break };
            let up = joined.map_err(|e| DeployError::Task {
                stack: "assets".to_owned(),
                message: e.to_string(),
            })??;
            if up {
                uploaded += 1;
            } else {
                existing += 1;
            }
        }
        Ok((uploaded, existing))
    }

    /// Deletes the selected stacks (and those depending on them unless
    /// `exclusively`) in reverse dependency order, after confirmation.
    pub async fn destroy(
        &self,
        assembly: &CloudAssembly,
        options: &DestroyOptions,
    ) -> Result<DestroyReport, DeployError> {
        let started = Instant::now();
        let before = self.api_calls();
        let run = self.run(options.quiet);
        let selected = graph::select(assembly, &options.selection, Expand::Downstream)?;
        if !options.force {
            let names: Vec<&str> = selected.iter().map(|s| s.artifact_id.as_str()).collect();
            if !ask(format!("Are you sure you want to delete: {}?", names.join(", "))).await {
                return Err(DeployError::NotConfirmed);
            }
        }
        let nodes = graph::nodes(&selected, true);
        let jobs: Vec<(String, String, u64)> = selected
            .iter()
            .map(|s| (s.artifact_id.clone(), s.stack_name.clone(), resource_count(&s.template)))
            .collect();
        let (results, finished) = graph::run(&nodes, options.concurrency, |i| {
            let run = run.clone();
            let (display, name, resources) = jobs[i].clone();
            async move {
                let result = destroy_stack(&run, &display, &name, resources).await;
                match &result {
                    Ok(DestroyOutcome::Destroyed) => run.progress.line(format!("✅ {display}: destroyed")),
                    Ok(DestroyOutcome::NotDeployed) => run.progress.line(format!("{display}: not deployed")),
                    Err(e) => run.progress.line(format!("❌ {e}")),
                }
                result
            }
        })
        .await?;
        Ok(DestroyReport {
            stacks: selected
                .iter()
                .zip(results)
                .map(|(s, result)| StackReport {
                    stack: s.artifact_id.clone(),
                    stack_name: s.stack_name.clone(),
                    result,
                })
                .collect(),
            order: finished.iter().map(|&i| selected[i].artifact_id.clone()).collect(),
            api_calls: self.api_calls().since(&before),
            elapsed: started.elapsed(),
        })
    }
}

async fn destroy_stack(run: &Run, display: &str, name: &str, resources: u64) -> Result<DestroyOutcome, DeployError> {
    let Some(deployed) = describe(&run.clients, name, display).await? else {
        return Ok(DestroyOutcome::NotDeployed);
    };
    let Some(deployed): Option<DeployedStack> = wait_until_settled(run, display, deployed).await? else {
        return Ok(DestroyOutcome::NotDeployed);
    };
    if deployed.termination_protection {
        return Err(DeployError::TerminationProtection {
            stack: display.to_owned(),
        });
    }
    run.progress.line(format!("{display}: destroying"));
    delete_and_wait(run, display, &deployed, resources).await?;
    Ok(DestroyOutcome::Destroyed)
}

/// The account of the credentials (`unknown-account` when STS does not say).
async fn caller_account(c: &Clients) -> String {
    match c.sts.get_caller_identity().send().await {
        Ok(id) => id.account().unwrap_or("unknown-account").to_owned(),
        Err(_) => "unknown-account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parameter_values() {
        assert_eq!(
            "App:Size=3".parse::<ParameterValue>(),
            Ok(ParameterValue {
                stack: Some("App".into()),
                key: "Size".into(),
                value: "3".into()
            })
        );
        assert_eq!(
            "Size=a=b".parse::<ParameterValue>().map(|p| (p.stack, p.value)),
            Ok((None, "a=b".into()))
        );
        assert!("Size".parse::<ParameterValue>().is_err());
        assert!(":Size=1".parse::<ParameterValue>().is_err());
    }
}
