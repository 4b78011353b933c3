//! One stack through CloudFormation: look it up, decide whether it can be
//! skipped, deploy it through a change set while following its events, and
//! delete it.

use std::collections::{BTreeMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, StackEvent, Tag};
use serde_json::Value as Json;

use super::aws::Clients;
use super::error::{DeployError, ResourceFailure};
use super::progress::{event_line, Progress};
use super::replacement::{refused, AllowReplacement, Destruction, DestructiveChange, Replacement};

/// The change set name, as the CDK CLI's.
pub(crate) const CHANGE_SET_NAME: &str = "cdk-deploy-change-set";

/// Templates up to this size go as `TemplateBody`; larger ones by `TemplateURL`.
pub(crate) const TEMPLATE_BODY_LIMIT: usize = 51_200;

/// What a stack operation needs: the clients and where to print.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub clients: Clients,
    pub progress: Progress,
}

/// An output of a deployed stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackOutput {
    /// The output's logical id.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The export name, if exported.
    pub export_name: Option<String>,
}

/// A stack as DescribeStacks shows it.
#[derive(Clone, Debug)]
pub(crate) struct DeployedStack {
    pub stack_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub outputs: Vec<StackOutput>,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub termination_protection: bool,
}

impl DeployedStack {
    /// A change set on this stack must be of type CREATE (it has never been created).
    pub fn awaits_create(&self) -> bool {
        self.status == "REVIEW_IN_PROGRESS"
    }

    /// The last create failed and rolled back: the stack must be deleted before it is created again.
    pub fn failed_create(&self) -> bool {
        matches!(self.status.as_str(), "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED")
    }

    /// A settled state whose template and parameters are what is deployed.
    pub fn is_stable(&self) -> bool {
        matches!(
            self.status.as_str(),
            "CREATE_COMPLETE"
                | "UPDATE_COMPLETE"
                | "UPDATE_ROLLBACK_COMPLETE"
                | "IMPORT_COMPLETE"
                | "IMPORT_ROLLBACK_COMPLETE"
        )
    }
}

fn is_missing_stack<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ValidationError") && e.message().is_some_and(|m| m.contains("does not exist"))
}

/// DescribeStacks by name or id; `None` when there is no such stack.
pub(crate) async fn describe(c: &Clients, name: &str, display: &str) -> Result<Option<DeployedStack>, DeployError> {
    let out = match c.cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(e) if is_missing_stack(&e) => return Ok(None),
        Err(e) => return Err(DeployError::aws("CloudFormation.DescribeStacks", Some(display), &e)),
    };
    let Some(s) = out.stacks().first() else {
        return Ok(None);
    };
    Ok(Some(DeployedStack {
        stack_id: s.stack_id().unwrap_or(name).to_owned(),
        status: s.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
        status_reason: s.stack_status_reason().map(str::to_owned),
        outputs: s
            .outputs()
            .iter()
            .map(|o| StackOutput {
                key: o.output_key().unwrap_or_default().to_owned(),
                value: o.output_value().unwrap_or_default().to_owned(),
                export_name: o.export_name().map(str::to_owned),
            })
            .collect(),
        parameters: s
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        tags: s
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
    }))
}

/// GetTemplate: the deployed template's text; `None` when there is no such stack.
pub(crate) async fn get_template(c: &Clients, name: &str, display: &str) -> Result<Option<String>, DeployError> {
    match c.cfn.get_template().stack_name(name).send().await {
        Ok(out) => Ok(out.template_body().map(str::to_owned)),
        Err(e) if is_missing_stack(&e) => Ok(None),
        Err(e) => Err(DeployError::aws("CloudFormation.GetTemplate", Some(display), &e)),
    }
}

/// Waits while the stack is busy with an operation started elsewhere (or by
/// an interrupted deploy), and returns its settled state.
pub(crate) async fn wait_until_settled(
    run: &Run,
    display: &str,
    mut deployed: DeployedStack,
) -> Result<Option<DeployedStack>, DeployError> {
    let mut said = false;
    while deployed.status.ends_with("_IN_PROGRESS") && !deployed.awaits_create() {
        if !said {
            run.progress.line(format!(
                "{display}: waiting for the operation in progress ({}) to finish",
                deployed.status
            ));
            said = true;
        }
        tokio::time::sleep(run.clients.poll).await;
        match describe(&run.clients, &deployed.stack_id, display).await? {
            Some(d) if d.status != "DELETE_COMPLETE" => deployed = d,
            _ => return Ok(None),
        }
    }
    Ok(Some(deployed))
}

/// One stack to deploy.
#[derive(Clone, Debug)]
pub(crate) struct StackJob {
    /// The artifact id, for messages.
    pub display: String,
    pub stack_name: String,
    pub template_text: String,
    pub template: Json,
    /// Where the uploaded template is, when it is too large for `TemplateBody`.
    pub template_url: Option<String>,
    /// Parameter values given for the deploy.
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub termination_protection: bool,
    /// The stack as found before the deploy.
    pub deployed: Option<DeployedStack>,
    /// Its deployed template, when it has one.
    pub deployed_template: Option<Json>,
    /// Stateful resources the user allows to be replaced or deleted.
    pub allow_replacement: AllowReplacement,
    /// The role CloudFormation runs as (the change set's `RoleARN`); `None`: the caller's permissions.
    pub execution_role: Option<String>,
}

/// How one stack deploy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackOutcome {
    /// Created through a change set.
    Created,
    /// Updated through a change set.
    Updated,
    /// Skipped: template, parameters and tags equal the deployed ones (no change set).
    Unchanged,
    /// The change set had no changes; it was deleted.
    NoChanges,
}

/// True when the deployed template, parameters and tags equal the new ones,
/// so the stack can be skipped without a change set (the CDK's `canSkipDeploy`).
pub(crate) fn can_skip(job: &StackJob, deployed_template: Option<&Json>) -> bool {
    let Some(deployed) = &job.deployed else {
        return false;
    };
    deployed.is_stable()
        && deployed_template == Some(&job.template)
        && parameters_unchanged(job, deployed)
        && (job.tags.is_empty() || job.tags == deployed.tags)
        && job.termination_protection == deployed.termination_protection
}

fn template_parameters(template: &Json) -> impl Iterator<Item = (&String, &Json)> {
    template
        .get("Parameters")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}

fn json_scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parameters_unchanged(job: &StackJob, deployed: &DeployedStack) -> bool {
    for (key, decl) in template_parameters(&job.template) {
        let ptype = decl.get("Type").and_then(Json::as_str).unwrap_or("String");
        let skip_marker = decl
            .get("Description")
            .and_then(Json::as_str)
            .is_some_and(|d| d.contains("[cdk:skip]"));
        if ptype.starts_with("AWS::SSM::Parameter::") {
            // An SSM-backed value may have changed behind the same path, unless marked as not mattering.
            if skip_marker {
                continue;
            }
            return false;
        }
        let wanted = job
            .parameters
            .get(key)
            .cloned()
            .or_else(|| decl.get("Default").and_then(json_scalar));
        if let Some(w) = wanted {
            if deployed.parameters.get(key) != Some(&w) {
                return false;
            }
        }
    }
    true
}

fn change_set_parameters(job: &StackJob, updating: bool) -> Vec<Parameter> {
    let mut out = Vec::new();
    for (key, decl) in template_parameters(&job.template) {
        if let Some(v) = job.parameters.get(key) {
            out.push(Parameter::builder().parameter_key(key).parameter_value(v).build());
        } else if decl.get("Default").is_none()
            && updating
            && job.deployed.as_ref().is_some_and(|d| d.parameters.contains_key(key))
        {
            out.push(Parameter::builder().parameter_key(key).use_previous_value(true).build());
        }
    }
    out
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A change set created and described, not executed yet.
#[derive(Clone, Debug)]
pub(crate) struct Review {
    pub change_set: String,
    pub stack_id: String,
    pub updating: bool,
    /// The number of resource changes; `None` when there were none (the change set is deleted).
    pub changes: Option<u64>,
    /// What it replaces or deletes.
    pub destructive: Vec<DestructiveChange>,
}

/// Deploys one stack through a change set and waits for it, printing its events.
pub(crate) async fn deploy_stack(run: &Run, job: &StackJob) -> Result<(StackOutcome, Vec<StackOutput>), DeployError> {
    let review = create_change_set(run, job).await?;
    check_review(run, job, &review).await?;
    execute(run, job, &review).await
}

/// Creates the stack's change set and waits until CloudFormation has computed it.
pub(crate) async fn create_change_set(run: &Run, job: &StackJob) -> Result<Review, DeployError> {
    let c = &run.clients;
    let display = job.display.as_str();
    let mut deployed = job.deployed.clone();
    if let Some(d) = deployed.clone().filter(DeployedStack::failed_create) {
        run.progress.line(format!(
            "{display}: the last create failed ({}); deleting the stack to create it again",
            d.status
        ));
        delete_and_wait(run, display, &d, 0).await?;
        deployed = None;
    }
    let updating = deployed.as_ref().is_some_and(|d| !d.awaits_create());

    let mut attempt = 0;
    let created = loop {
        let mut req = c
            .cfn
            .create_change_set()
            .stack_name(&job.stack_name)
            .change_set_name(CHANGE_SET_NAME)
            .change_set_type(if updating {
                ChangeSetType::Update
            } else {
                ChangeSetType::Create
            })
            .set_parameters(Some(change_set_parameters(job, updating)))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .capabilities(Capability::CapabilityAutoExpand)
            .set_role_arn(job.execution_role.clone())
            .description("constructs deploy");
        req = match &job.template_url {
            Some(url) => req.template_url(url),
            None => req.template_body(&job.template_text),
        };
        for (k, v) in &job.tags {
            req = req.tags(Tag::builder().key(k).value(v).build());
        }
        match req.send().await {
            Ok(out) => break out,
            Err(e) if attempt == 0 && e.code() == Some("AlreadyExistsException") => {
                // A change set left by an interrupted deploy.
                attempt += 1;
                c.cfn
                    .delete_change_set()
                    .stack_name(&job.stack_name)
                    .change_set_name(CHANGE_SET_NAME)
                    .send()
                    .await
                    .map_err(|e| DeployError::aws("CloudFormation.DeleteChangeSet", Some(display), &e))?;
            }
            Err(e) => return Err(DeployError::aws("CloudFormation.CreateChangeSet", Some(display), &e)),
        }
    };
    let change_set = created.id().unwrap_or(CHANGE_SET_NAME).to_owned();
    let stack_id = created.stack_id().unwrap_or(&job.stack_name).to_owned();
    let mut review = Review {
        change_set,
        stack_id,
        updating,
        changes: None,
        destructive: Vec::new(),
    };
    match wait_for_change_set(run, display, &review.change_set).await? {
        ChangeSetState::Ready { changes, destructive } => {
            review.changes = Some(changes);
            review.destructive = destructive;
        }
        ChangeSetState::Failed(reason) => {
            if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") {
                delete_change_set(run, display, &review.change_set).await?;
                run.progress.line(format!("{display}: the change set has no changes"));
            } else {
                return Err(DeployError::ChangeSetFailed {
                    stack: display.to_owned(),
                    reason,
                });
            }
        }
    }
    Ok(review)
}

/// Deletes a change set that will not be executed.
pub(crate) async fn delete_change_set(run: &Run, display: &str, change_set: &str) -> Result<(), DeployError> {
    run.clients
        .cfn
        .delete_change_set()
        .change_set_name(change_set)
        .send()
        .await
        .map_err(|e| DeployError::aws("CloudFormation.DeleteChangeSet", Some(display), &e))?;
    Ok(())
}

/// Prints what the change set replaces and deletes, and refuses (deleting the
/// change set) when it would destroy a stateful resource without consent.
pub(crate) async fn check_review(run: &Run, job: &StackJob, review: &Review) -> Result<(), DeployError> {
    let display = job.display.as_str();
    for d in &review.destructive {
        run.progress.line(format!("{display}: ⚠️  {d}"));
    }
    let refusals = refused(
        &review.destructive,
        &job.template,
        job.deployed_template.as_ref(),
        &job.allow_replacement,
    );
    if refusals.is_empty() {
        return Ok(());
    }
    delete_change_set(run, display, &review.change_set).await?;
    Err(DeployError::ReplacementRefused {
        stack: display.to_owned(),
        refused: refusals,
    })
}

/// Executes a reviewed change set and waits for the stack, printing its events.
pub(crate) async fn execute(
    run: &Run,
    job: &StackJob,
    review: &Review,
) -> Result<(StackOutcome, Vec<StackOutput>), DeployError> {
    let c = &run.clients;
    let display = job.display.as_str();
    let updating = review.updating;
    let Some(changes) = review.changes else {
        let outputs = job.deployed.as_ref().map(|d| d.outputs.clone()).unwrap_or_default();
        return Ok((StackOutcome::NoChanges, outputs));
    };
    run.progress.line(format!(
        "{display}: {} ({changes} resource change(s))",
        if updating { "updating" } else { "creating" }
    ));
    let since = now_secs();
    c.cfn
        .execute_change_set()
        .change_set_name(&review.change_set)
        .send()
        .await
        .map_err(|e| DeployError::aws("CloudFormation.ExecuteChangeSet", Some(display), &e))?;
    let (done, failures) = follow(run, display, &review.stack_id, changes, since).await?;
    if !matches!(done.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE") {
        return Err(DeployError::StackFailed {
            stack: display.to_owned(),
            operation: if updating { "update" } else { "create" },
            status: done.status,
            reason: done.status_reason,
            resources: failures,
        });
    }
    if job.termination_protection != done.termination_protection {
        c.cfn
            .update_termination_protection()
            .stack_name(&review.stack_id)
            .enable_termination_protection(job.termination_protection)
            .send()
            .await
            .map_err(|e| DeployError::aws("CloudFormation.UpdateTerminationProtection", Some(display), &e))?;
    }
    let outcome = if updating {
        StackOutcome::Updated
    } else {
        StackOutcome::Created
    };
    Ok((outcome, done.outputs))
}

/// The replacement or deletion a change set's resource change makes, if any.
fn destructive_change(change: &aws_sdk_cloudformation::types::Change) -> Option<DestructiveChange> {
    let rc = change.resource_change()?;
    let action = rc.action().map(|a| a.as_str()).unwrap_or_default();
    let destruction = match (action, rc.replacement().map(|r| r.as_str())) {
        ("Remove", _) => Destruction::Deleted,
        ("Modify", Some("True")) => Destruction::Replaced(Replacement::Requires),
        ("Modify", Some("Conditional")) => Destruction::Replaced(Replacement::May),
        _ => return None,
    };
    let mut properties: Vec<String> = rc
        .details()
        .iter()
        .filter_map(|d| d.target())
        .filter(|t| {
            t.requires_recreation()
                .is_some_and(|r| matches!(r.as_str(), "Always" | "Conditionally"))
        })
        .filter_map(|t| t.name().map(str::to_owned))
        .collect();
    properties.dedup();
    Some(DestructiveChange {
        logical_id: rc.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: rc.resource_type().unwrap_or_default().to_owned(),
        destruction,
        properties,
    })
}

enum ChangeSetState {
    Ready {
        changes: u64,
        destructive: Vec<DestructiveChange>,
    },
    Failed(String),
}

async fn wait_for_change_set(run: &Run, display: &str, change_set: &str) -> Result<ChangeSetState, DeployError> {
    let c = &run.clients;
    loop {
        let out = c
            .cfn
            .describe_change_set()
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| DeployError::aws("CloudFormation.DescribeChangeSet", Some(display), &e))?;
        let status = out.status().map(|s| s.as_str()).unwrap_or_default();
        match status {
            "CREATE_COMPLETE" => {
                let mut changes = out.changes().len() as u64;
                let mut destructive: Vec<DestructiveChange> =
                    out.changes().iter().filter_map(destructive_change).collect();
                let mut token = out.next_token().map(str::to_owned);
                while let Some(t) = token {
                    let page = c
                        .cfn
                        .describe_change_set()
                        .change_set_name(change_set)
                        .next_token(t)
                        .send()
                        .await
                        .map_err(|e| DeployError::aws("CloudFormation.DescribeChangeSet", Some(display), &e))?;
                    changes += page.changes().len() as u64;
                    destructive.extend(page.changes().iter().filter_map(destructive_change));
                    token = page.next_token().map(str::to_owned);
                }
                return Ok(ChangeSetState::Ready { changes, destructive });
            }
            "FAILED" | "DELETE_COMPLETE" | "DELETE_FAILED" => {
                return Ok(ChangeSetState::Failed(out.status_reason().unwrap_or(status).to_owned()))
            }
            _ => tokio::time::sleep(run.clients.poll).await,
        }
    }
}

/// Follows a stack operation until it settles: prints new events as they
/// arrive, moves the bar, and returns the final state and the failed resources.
async fn follow(
    run: &Run,
    display: &str,
    stack_id: &str,
    total: u64,
    since: i64,
) -> Result<(DeployedStack, Vec<ResourceFailure>), DeployError> {
    let bar = run.progress.bar(display, total);
    let mut events = EventFollower::new(display, stack_id, since);
    let result = loop {
        let state = describe(&run.clients, stack_id, display).await;
        let polled = events.poll(run, &bar).await;
        let state = match (state, polled) {
            (Err(e), _) | (Ok(_), Err(e)) => break Err(e),
            (Ok(None), Ok(())) => {
                break Err(DeployError::UnusableState {
                    stack: display.to_owned(),
                    status: "gone".to_owned(),
                    hint: "it was deleted while the deploy was waiting for it".to_owned(),
                })
            }
            (Ok(Some(s)), Ok(())) => s,
        };
        if !state.status.ends_with("_IN_PROGRESS") {
            break Ok(state);
        }
        tokio::time::sleep(run.clients.poll).await;
    };
    run.progress.finish(&bar);
    result.map(|s| (s, events.failures))
}

/// Reads the events of one operation: newest first from the API, printed oldest first.
struct EventFollower {
    display: String,
    stack_id: String,
    /// Events before this (seconds since the epoch, with slack for clock skew) belong to earlier operations.
    since: i64,
    seen: HashSet<String>,
    done: HashSet<String>,
    failures: Vec<ResourceFailure>,
}

/// The event that starts an operation: the stack's own `*_IN_PROGRESS` "User Initiated".
fn starts_operation(e: &StackEvent) -> bool {
    e.resource_type() == Some("AWS::CloudFormation::Stack")
        && e.resource_status_reason() == Some("User Initiated")
        && e.resource_status()
            .is_some_and(|s| s.as_str().ends_with("_IN_PROGRESS") && s.as_str() != "REVIEW_IN_PROGRESS")
}

impl EventFollower {
    fn new(display: &str, stack_id: &str, since: i64) -> EventFollower {
        EventFollower {
            display: display.to_owned(),
            stack_id: stack_id.to_owned(),
            since: since - 5,
            seen: HashSet::new(),
            done: HashSet::new(),
            failures: Vec::new(),
        }
    }

    async fn poll(&mut self, run: &Run, bar: &indicatif::ProgressBar) -> Result<(), DeployError> {
        let mut fresh: Vec<StackEvent> = Vec::new();
        let mut token: Option<String> = None;
        'pages: loop {
            let out = run
                .clients
                .cfn
                .describe_stack_events()
                .stack_name(&self.stack_id)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| DeployError::aws("CloudFormation.DescribeStackEvents", Some(&self.display), &e))?;
            for e in out.stack_events() {
                let id = e.event_id().unwrap_or_default();
                if self.seen.contains(id) || e.timestamp().is_some_and(|t| t.secs() < self.since) {
                    break 'pages;
                }
                fresh.push(e.clone());
                if starts_operation(e) {
                    break 'pages;
                }
            }
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        for e in fresh.iter().rev() {
            self.seen.insert(e.event_id().unwrap_or_default().to_owned());
            run.progress.line(event_line(&self.display, e));
            let status = e.resource_status().map(|s| s.as_str()).unwrap_or_default();
            let logical = e.logical_resource_id().unwrap_or_default();
            let is_stack = e.resource_type() == Some("AWS::CloudFormation::Stack");
            if !is_stack
                && (status.ends_with("_COMPLETE") || status.ends_with("_FAILED"))
                && self.done.insert(logical.to_owned())
            {
                bar.inc(1);
            }
            if status.ends_with("_FAILED") {
                let failure = ResourceFailure {
                    logical_id: logical.to_owned(),
                    resource_type: e.resource_type().unwrap_or_default().to_owned(),
                    status: status.to_owned(),
                    reason: e.resource_status_reason().unwrap_or_default().to_owned(),
                };
                // The stack's own summary ("The following resource(s) failed ...") only when no resource said why.
                if !is_stack || self.failures.is_empty() {
                    self.failures
                        .retain(|f| f.resource_type != "AWS::CloudFormation::Stack");
                    self.failures.push(failure);
                }
            }
        }
        Ok(())
    }
}

/// Deletes a stack and waits until it is gone.
pub(crate) async fn delete_and_wait(
    run: &Run,
    display: &str,
    deployed: &DeployedStack,
    resources: u64,
) -> Result<(), DeployError> {
    let since = now_secs();
    run.clients
        .cfn
        .delete_stack()
        .stack_name(&deployed.stack_id)
        .send()
        .await
        .map_err(|e| DeployError::aws("CloudFormation.DeleteStack", Some(display), &e))?;
    let done = match follow(run, display, &deployed.stack_id, resources, since).await {
        Ok(d) => d,
        // Some endpoints forget a deleted stack at once.
        Err(DeployError::UnusableState { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let (state, failures) = done;
    if state.status != "DELETE_COMPLETE" {
        return Err(DeployError::StackFailed {
            stack: display.to_owned(),
            operation: "delete",
            status: state.status,
            reason: state.status_reason,
            resources: failures,
        });
    }
    Ok(())
}

/// The number of resources in a template (for the bar of a create or delete).
pub(crate) fn resource_count(template: &Json) -> u64 {
    template
        .get("Resources")
        .and_then(Json::as_object)
        .map_or(0, |r| r.len() as u64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job(template: Json, deployed_params: &[(&str, &str)], given: &[(&str, &str)]) -> StackJob {
        StackJob {
            display: "S".into(),
            stack_name: "S".into(),
            template_text: String::new(),
            template,
            template_url: None,
            parameters: given.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            tags: BTreeMap::new(),
            termination_protection: false,
            deployed_template: None,
            allow_replacement: AllowReplacement::default(),
            execution_role: None,
            deployed: Some(DeployedStack {
                stack_id: "id".into(),
                status: "UPDATE_COMPLETE".into(),
                status_reason: None,
                outputs: Vec::new(),
                parameters: deployed_params
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
                tags: BTreeMap::new(),
                termination_protection: false,
            }),
        }
    }

    #[test]
    fn skips_only_when_template_and_parameters_match() {
        let t = json!({
            "Parameters": {
                "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version", "Description": "x [cdk:skip]"},
                "Size": {"Type": "Number", "Default": 3}
            },
            "Resources": {"T": {"Type": "AWS::SNS::Topic"}}
        });
        let j = job(
            t.clone(),
            &[("BootstrapVersion", "/cdk-bootstrap/hnb659fds/version"), ("Size", "3")],
            &[],
        );
        assert!(can_skip(&j, Some(&t)));
        let other = json!({"Resources": {}});
        assert!(!can_skip(&j, Some(&other)));
        let j = job(t.clone(), &[("Size", "3")], &[("Size", "4")]);
        assert!(!can_skip(&j, Some(&t)));
        let mut ssm = t.clone();
        ssm["Parameters"]["BootstrapVersion"]["Description"] = json!("no marker");
        let j = job(ssm.clone(), &[("Size", "3")], &[]);
        assert!(!can_skip(&j, Some(&ssm)));
    }

    #[test]
    fn a_new_stack_is_never_skipped() {
        let t = json!({"Resources": {}});
        let mut j = job(t.clone(), &[], &[]);
        j.deployed = None;
        assert!(!can_skip(&j, Some(&t)));
    }

    #[test]
    fn previous_values_for_parameters_without_defaults() {
        let t =
            json!({"Parameters": {"A": {"Type": "String"}, "B": {"Type": "String", "Default": "x"}}, "Resources": {}});
        let j = job(t, &[("A", "1"), ("B", "x")], &[]);
        let p = change_set_parameters(&j, true);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].parameter_key(), Some("A"));
        assert_eq!(p[0].use_previous_value(), Some(true));
        assert!(change_set_parameters(&j, false).is_empty());
    }
}
