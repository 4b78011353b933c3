//! The deploy engine's errors: each names the stack (and resource) it is about.

use std::fmt;
use std::path::PathBuf;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::exports::ExportConflict;
use super::replacement::RefusedChange;

/// A resource that failed during a stack operation, from the stack's events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceFailure {
    /// The logical id of the resource (the stack name for stack-level failures).
    pub logical_id: String,
    /// The resource type, e.g. `AWS::SSM::Parameter`.
    pub resource_type: String,
    /// The status, e.g. `CREATE_FAILED`.
    pub status: String,
    /// Why, as CloudFormation says.
    pub reason: String,
}

impl fmt::Display for ResourceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) {}: {}",
            self.logical_id, self.resource_type, self.status, self.reason
        )
    }
}

/// Everything that can go wrong in bootstrap, deploy, diff and destroy.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// No region in the options, the environment or the profile.
    #[error("no AWS region: pass --region, set AWS_REGION, or set a region in the profile")]
    NoRegion,
    /// An AWS API call failed.
    #[error("{}{operation} failed: {message}", stack.as_deref().map(|s| format!("{s}: ")).unwrap_or_default())]
    Aws {
        /// The stack the call was for, if any.
        stack: Option<String>,
        /// The operation, e.g. `CloudFormation.CreateChangeSet`.
        operation: &'static str,
        /// The error, with the service's code and message.
        message: String,
    },
    /// Stacks named on the command line that the app does not have.
    #[error("no stack named {names}; the app has: {available}")]
    UnknownStacks {
        /// The unknown names, quoted.
        names: String,
        /// The app's stacks.
        available: String,
    },
    /// Several stacks and neither names nor `--all`.
    #[error("the app has {count} stacks ({available}): name the stacks to use, or pass --all")]
    AmbiguousSelection {
        /// How many stacks the app has.
        count: usize,
        /// The app's stacks.
        available: String,
    },
    /// A file of the assembly could not be read.
    #[error("{stack}: cannot read {}: {source}", path.display())]
    Io {
        /// The stack whose file it is.
        stack: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of the assembly is not what the schema says.
    #[error("{stack}: {file} is invalid: {message}")]
    InvalidAssembly {
        /// The stack whose file it is.
        stack: String,
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The template CloudFormation returned is not JSON (e.g. a YAML template deployed by another tool).
    #[error("{stack}: the deployed template cannot be compared: {message}")]
    DeployedTemplate {
        /// The stack.
        stack: String,
        /// The parse error.
        message: String,
    },
    /// The stacks need the bootstrap bucket and there is none.
    #[error("{stack}: the environment (region {region}) is not bootstrapped ({detail}); run `bootstrap` first")]
    NotBootstrapped {
        /// The first stack that needs it.
        stack: String,
        /// The region.
        region: String,
        /// What was found.
        detail: String,
    },
    /// Exports that other stacks import would be removed or changed; nothing was changed.
    #[error("{}", ExportConflict::render_all(.0))]
    ExportsInUse(Vec<ExportConflict>),
    /// Security-relevant changes that were not approved; nothing was changed.
    #[error("{0}")]
    ApprovalRefused(String),
    /// The change set would replace or delete stateful resources without consent; it was deleted unexecuted.
    #[error("{}", render_refused(.stack, .refused))]
    ReplacementRefused {
        /// The stack.
        stack: String,
        /// The refused replacements and deletions.
        refused: Vec<RefusedChange>,
    },
    /// The user did not confirm the destroy.
    #[error("destroy cancelled: nothing was deleted")]
    NotConfirmed,
    /// The change set could not be created.
    #[error("{stack}: the change set failed: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack: String,
        /// CloudFormation's status reason.
        reason: String,
    },
    /// The stack operation ended in a failure state (rollback, `*_FAILED`).
    #[error("{}", render_stack_failed(.stack, .operation, .status, .reason.as_deref(), .resources))]
    StackFailed {
        /// The stack.
        stack: String,
        /// `create`, `update` or `delete`.
        operation: &'static str,
        /// The final stack status, e.g. `ROLLBACK_COMPLETE`.
        status: String,
        /// The stack's status reason.
        reason: Option<String>,
        /// The failed resources, oldest first.
        resources: Vec<ResourceFailure>,
    },
    /// The stack is in a state the deploy cannot continue from.
    #[error("{stack}: the stack is {status}; {hint}")]
    UnusableState {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
        /// What to do.
        hint: String,
    },
    /// Destroy of a stack with termination protection.
    #[error(
        "{stack}: termination protection is on; turn it off (terminationProtection: false) and deploy, then destroy"
    )]
    TerminationProtection {
        /// The stack.
        stack: String,
    },
    /// An asset could not be published.
    #[error("{stack}: asset '{asset}': {message}")]
    Asset {
        /// The stack.
        stack: String,
        /// The asset's display name.
        asset: String,
        /// What went wrong.
        message: String,
    },
    /// A dependency cycle between the selected stacks.
    #[error("dependency cycle between the remaining stacks: {0}")]
    Cycle(String),
    /// A stack's task stopped unexpectedly.
    #[error("{stack}: the task stopped unexpectedly: {message}")]
    Task {
        /// The stack.
        stack: String,
        /// The panic or cancellation.
        message: String,
    },
}

fn render_refused(stack: &str, refused: &[RefusedChange]) -> String {
    let mut s = format!(
        "{stack}: refusing to replace or delete {} stateful resource(s); nothing was changed in this stack \
         (its change set was deleted unexecuted):",
        refused.len()
    );
    for r in refused {
        s.push_str("\n    ");
        s.push_str(&r.to_string());
    }
    s.push_str("\n  --allow-replacement LOGICAL_ID (repeatable) or --allow-replacement all deploys anyway");
    s
}

fn render_stack_failed(
    stack: &str,
    operation: &str,
    status: &str,
    reason: Option<&str>,
    resources: &[ResourceFailure],
) -> String {
    let mut s = format!("{stack}: {operation} failed ({status})");
    if let Some(r) = reason.filter(|r| !r.is_empty()) {
        s.push_str(": ");
        s.push_str(r);
    }
    for r in resources {
        s.push_str("\n    ");
        s.push_str(&r.to_string());
    }
    s
}

impl DeployError {
    /// Wraps an SDK error with the operation and the stack: the service's
    /// code and message when there are some, else the whole error chain.
    pub(crate) fn aws<E>(operation: &'static str, stack: Option<&str>, err: &E) -> DeployError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => DisplayErrorContext(err).to_string(),
        };
        DeployError::Aws {
            stack: stack.map(str::to_owned),
            operation,
            message,
        }
    }
}
