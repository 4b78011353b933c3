//! The deploy engine's errors: each names the stack (and resource) it is about.

use std::fmt;
use std::path::PathBuf;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;

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
    /// No credentials could be loaded from the standard chain.
    #[error(
        "no AWS credentials found: set AWS_PROFILE (and run `aws sso login` for an SSO profile), or \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile; tried: {reason}"
    )]
    NoCredentials {
        /// What each provider of the credential chain said, on one line.
        reason: String,
    },
    /// AWS rejected the credentials (expired or wrong).
    #[error(
        "{}{operation}: the credentials were rejected ({code}: {message}); they are expired or wrong: \
         refresh them (`aws sso login`, new session credentials) and run again",
        stack.as_deref().map(|s| format!("{s}: ")).unwrap_or_default()
    )]
    CredentialsRejected {
        /// The stack the call was for, if any.
        stack: Option<String>,
        /// The operation, e.g. `CloudFormation.DescribeStacks`.
        operation: &'static str,
        /// The service's error code, e.g. `ExpiredToken`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The caller may not make this call.
    #[error(
        "{}access denied: {operation}{}: {message}; the identity deploying needs permission for it \
         (see `aws sts get-caller-identity` for who that is)",
        stack.as_deref().map(|s| format!("{s}: ")).unwrap_or_default(),
        resource.as_deref().map(|r| format!(" on {r}")).unwrap_or_default()
    )]
    AccessDenied {
        /// The stack the call was for, if any.
        stack: Option<String>,
        /// The operation, e.g. `S3.PutObject`.
        operation: &'static str,
        /// The resource the call was about (a bucket, a stack), when known.
        resource: Option<String>,
        /// The service's code and message.
        message: String,
    },
    /// The call was still throttled after the SDK's retries.
    #[error(
        "{}{operation} was throttled by AWS and still failed after retrying ({message}); wait a minute and \
         run again, or deploy fewer stacks at once (--concurrency)",
        stack.as_deref().map(|s| format!("{s}: ")).unwrap_or_default()
    )]
    Throttled {
        /// The stack the call was for, if any.
        stack: Option<String>,
        /// The operation.
        operation: &'static str,
        /// The service's code and message.
        message: String,
    },
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
    /// A context value synthesis reported missing could not be looked up.
    #[error(
        "cannot look up context value '{key}': {message}; or give it yourself: add \"{key}\": [...] to          cdk.context.json (or pass -c '{key}=[...]')"
    )]
    ContextLookup {
        /// The context key, e.g. `availability-zones:account=...:region=...`.
        key: String,
        /// Why.
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
    /// A stack's environment is not bootstrapped, or with too old a version; nothing was uploaded.
    #[error(
        "{stack}: the environment {environment} is not bootstrapped for it ({detail}; the stack needs bootstrap \
         version {required} or later); run `bootstrap{command_args}` with credentials of that account first"
    )]
    NotBootstrapped {
        /// The first stack of the environment that needs it.
        stack: String,
        /// `aws://ACCOUNT/REGION` (the account as far as known).
        environment: String,
        /// What was found, e.g. `CDKToolkit has bootstrap version 5`.
        detail: String,
        /// The version the stack requires (`requiresBootstrapStackVersion`).
        required: u32,
        /// The bootstrap command's arguments (` --region REGION`).
        command_args: String,
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
    /// The bootstrap options contradict each other.
    #[error("bootstrap: {0}")]
    BootstrapOptions(String),
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
    /// `run`/`executions` named a state machine the app does not have.
    #[error("no state machine at '{path}'; the app has: {known}")]
    UnknownStateMachine {
        /// The construct path asked for.
        path: String,
        /// The app's state machines, by construct path.
        known: String,
    },
    /// The state machine's stack is not deployed (or not its machine).
    #[error("{path}: not deployed: {detail}; deploy it first (`deploy {stack}`)")]
    StateMachineNotDeployed {
        /// The machine's construct path.
        path: String,
        /// Its stack's name.
        stack: String,
        /// What was found.
        detail: String,
    },
    /// The execution input cannot be had.
    #[error("{path}: {message}")]
    ExecutionInput {
        /// The machine's construct path.
        path: String,
        /// What is wrong and what to do.
        message: String,
    },
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

/// Error codes meaning the caller lacks a permission.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "Forbidden",
];
/// Error codes meaning the credentials themselves are bad.
const REJECTED_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "InvalidToken",
];
/// Error codes of throttling.
const THROTTLED_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// An error and its causes, each `Display`ed once, joined by ": ", without
/// the parts the SDK renders as a `Debug` dump (`Error { aws_request_id: .. }`).
pub(crate) fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let dump = text.contains(" { ") || text.contains("Error {");
        if !text.is_empty() && !dump && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The credential chain's report on one line: `Environment (environment variable not set), Profile, ...`.
pub(crate) fn tried_providers(report: &str) -> String {
    let Some((_, attempted)) = report.split_once("Attempted:") else {
        return report.replace('\n', " ");
    };
    attempted
        .lines()
        .filter_map(|line| {
            let (name, detail) = line.trim().split_once(':')?;
            let detail = detail
                .trim()
                .trim_start_matches("the credential provider was not enabled")
                .trim_start_matches(':')
                .trim();
            Some(if detail.is_empty() {
                name.to_owned()
            } else {
                format!("{name} ({detail})")
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl DeployError {
    /// The error of a JSON-protocol API call answered with `status` and
    /// `body` (`{"__type": "...#Code", "message": "..."}`), classified as the
    /// SDK's errors are (access denied, credentials, throttling).
    pub(crate) fn from_json_answer(
        operation: &'static str,
        resource: Option<&str>,
        status: u16,
        body: &str,
    ) -> DeployError {
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let code = json["__type"]
            .as_str()
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned());
        let message = json["message"].as_str().or(json["Message"].as_str()).map(str::to_owned);
        DeployError::classify(operation, None, resource, code.as_deref(), message.as_deref(), || {
            format!("HTTP {status}: {}", body.chars().take(300).collect::<String>())
        })
    }

    /// Wraps an SDK error with the operation and the stack: the service's
    /// code and message when there are some, else the chain of causes;
    /// credentials, permission and throttling errors get their own variant.
    pub(crate) fn aws<E>(operation: &'static str, stack: Option<&str>, err: &E) -> DeployError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        DeployError::classify(operation, stack, None, err.code(), err.message(), || causes(err))
    }

    /// [`DeployError::aws`] for a call about a named resource (a bucket, a role).
    pub(crate) fn aws_on<E>(operation: &'static str, stack: Option<&str>, resource: &str, err: &E) -> DeployError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        DeployError::classify(operation, stack, Some(resource), err.code(), err.message(), || {
            causes(err)
        })
    }

    fn classify(
        operation: &'static str,
        stack: Option<&str>,
        resource: Option<&str>,
        code: Option<&str>,
        message: Option<&str>,
        chain: impl FnOnce() -> String,
    ) -> DeployError {
        let stack = stack.map(str::to_owned);
        let text = match (code, message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => chain(),
        };
        match code {
            Some(c) if ACCESS_DENIED_CODES.contains(&c) => DeployError::AccessDenied {
                stack,
                operation,
                resource: resource.map(str::to_owned),
                message: text,
            },
            Some(c) if REJECTED_CODES.contains(&c) => DeployError::CredentialsRejected {
                stack,
                operation,
                code: c.to_owned(),
                message: message.unwrap_or_default().to_owned(),
            },
            Some(c) if THROTTLED_CODES.contains(&c) => DeployError::Throttled {
                stack,
                operation,
                message: text,
            },
            None if text.contains("credentials") || text.contains("credential provider") => {
                DeployError::NoCredentials {
                    reason: tried_providers(&text),
                }
            }
            _ => DeployError::Aws {
                stack,
                operation,
                message: text,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(code: &str) -> DeployError {
        DeployError::classify(
            "S3.PutObject",
            Some("App"),
            Some("cdk-hnb659fds-assets-1-eu-west-1"),
            Some(code),
            Some("no"),
            String::new,
        )
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn causes_leave_out_debug_dumps() {
        let err = Layer(
            "service error",
            Some(Box::new(Layer(
                "unhandled error",
                Some(Box::new(Layer("Error { aws_request_id: \"x\" }", None))),
            ))),
        );
        assert_eq!(causes(&err), "service error: unhandled error");
    }

    #[test]
    fn the_credential_chain_report_fits_one_line() {
        let report = "the credential provider was not enabled: no credentials found in chain. Attempted:
  Environment: the credential provider was not enabled: environment variable not set
  Profile: the credential provider was not enabled
  Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled";
        assert_eq!(
            tried_providers(report),
            "Environment (environment variable not set), Profile, Ec2InstanceMetadata (IMDS disabled)"
        );
    }

    #[test]
    fn aws_errors_are_told_apart_by_code() {
        let denied = classify("AccessDenied");
        assert!(matches!(denied, DeployError::AccessDenied { .. }), "{denied}");
        assert_eq!(
            denied.to_string(),
            "App: access denied: S3.PutObject on cdk-hnb659fds-assets-1-eu-west-1: AccessDenied: no; the identity \
             deploying needs permission for it (see `aws sts get-caller-identity` for who that is)"
        );
        assert!(matches!(
            classify("ExpiredToken"),
            DeployError::CredentialsRejected { .. }
        ));
        assert!(classify("ExpiredToken").to_string().contains("aws sso login"));
        assert!(matches!(classify("ThrottlingException"), DeployError::Throttled { .. }));
        assert!(matches!(classify("ValidationError"), DeployError::Aws { .. }));
        let none = DeployError::classify("STS.GetCallerIdentity", None, None, None, None, || {
            "dispatch failure: other: the credential provider was not enabled".to_owned()
        });
        assert!(matches!(none, DeployError::NoCredentials { .. }), "{none}");
        assert!(!none.to_string().contains('\n'), "one line: {none}");
    }
}
