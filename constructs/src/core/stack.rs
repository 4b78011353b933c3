//! Stacks: the unit of deployment, one CloudFormation template each.

use std::path::PathBuf;

use indexmap::IndexMap;

use super::assets::{AssetLocation, FileAsset};
use super::bootstrap_names::{BootstrapNames, QUALIFIER_CONTEXT};
use super::construct::{Construct, NodeKind, Scope};
use super::value::{Pseudo, Value};
use super::App;

/// The account and region a stack deploys to. `None` means "whatever the
/// deploying credentials point at" (`aws://unknown-account/unknown-region`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// The AWS account id. Default: the deploying credentials' account.
    pub account: Option<String>,
    /// The region. Default: the deploying credentials' region.
    pub region: Option<String>,
}

impl Environment {
    /// Parses the Cloud Assembly form `aws://ACCOUNT/REGION`
    /// (`unknown-account` and `unknown-region` leave a part unset); `None`
    /// when `uri` is not of that form.
    ///
    /// ```
    /// use constructs::core::Environment;
    /// let env = Environment::from_uri("aws://123456789012/ap-northeast-1").expect("an environment");
    /// assert_eq!(env.region.as_deref(), Some("ap-northeast-1"));
    /// assert!(Environment::from_uri("123456789012/ap-northeast-1").is_none());
    /// ```
    pub fn from_uri(uri: &str) -> Option<Environment> {
        let (account, region) = uri.strip_prefix("aws://")?.split_once('/')?;
        let known = |s: &str| (!s.is_empty() && !s.starts_with("unknown-")).then(|| s.to_owned());
        Some(Environment {
            account: known(account),
            region: known(region),
        })
    }

    /// The Cloud Assembly form, `aws://ACCOUNT/REGION`.
    pub fn to_uri(&self) -> String {
        format!(
            "aws://{}/{}",
            self.account.as_deref().unwrap_or("unknown-account"),
            self.region.as_deref().unwrap_or("unknown-region")
        )
    }
}

/// How a stack's assets and deploy roles are set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Synthesizer {
    /// As the CDK's `DefaultStackSynthesizer`: assets in the bootstrap bucket
    /// `cdk-hnb659fds-assets-ACCOUNT-REGION`, the bootstrap version check in the
    /// template, the CDK's deploy roles in the manifest. Works with the official
    /// CDK CLI and with accounts bootstrapped by it.
    #[default]
    Default,
    /// Like `Default`, but without the `BootstrapVersion` parameter and rule and
    /// without deploy roles: for deploys with the caller's own credentials to
    /// environments without the bootstrap's roles.
    CliCredentials,
}

/// Properties of a [`Stack`].
#[derive(Clone, Debug, Default)]
pub struct StackProps {
    /// The template description. Default: none.
    pub description: Option<String>,
    /// The CloudFormation stack name. Default: the construct id.
    pub stack_name: Option<String>,
    /// Where the stack deploys. Default: the deploying credentials' account and region.
    pub env: Environment,
    /// Protect the stack from deletion. Default: false.
    pub termination_protection: bool,
    /// Assets and deploy roles. Default: [`Synthesizer::Default`].
    pub synthesizer: Synthesizer,
    /// The qualifier of the bootstrap the stack deploys with (the CDK's
    /// `DefaultStackSynthesizer({ qualifier })`): it names the asset bucket,
    /// the roles and the version parameter ([`BootstrapNames`]). Default: the
    /// context value `@aws-cdk/core:bootstrapQualifier`, else `hnb659fds`.
    pub bootstrap_qualifier: Option<String>,
}

pub(crate) struct StackData {
    pub props: StackProps,
    /// Explicit dependencies on other stacks, with the reason.
    pub dependencies: Vec<(usize, String)>,
    pub assets: Vec<FileAsset>,
    /// The bootstrap's names for the stack's qualifier.
    pub bootstrap: BootstrapNames,
}

/// A CloudFormation stack.
///
/// ```
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "WebAppStack", StackProps::default());
/// assert_eq!(stack.stack_name(), "WebAppStack");
/// ```
#[derive(Clone, Debug)]
pub struct Stack {
    node: Construct,
}

impl Scope for Stack {
    fn node(&self) -> &Construct {
        &self.node
    }
}

/// The qualifier of the CDK's default bootstrap.
pub const BOOTSTRAP_QUALIFIER: &str = "hnb659fds";
/// The bootstrap stack version the default synthesizer requires.
pub const REQUIRED_BOOTSTRAP_VERSION: u32 = 6;

impl Stack {
    /// Adds a stack to the app.
    pub fn new(app: &App, id: &str, props: StackProps) -> Stack {
        let qualifier = props
            .bootstrap_qualifier
            .clone()
            .or_else(|| app.node().context_str(QUALIFIER_CONTEXT));
        let (bootstrap, problem) = match qualifier.as_deref().map(BootstrapNames::new) {
            None => (BootstrapNames::default(), None),
            Some(Ok(names)) => (names, None),
            Some(Err(e)) => (BootstrapNames::default(), Some(e)),
        };
        let node = app.node().add_child(
            id,
            NodeKind::Stack(Box::new(StackData {
                props,
                dependencies: Vec::new(),
                assets: Vec::new(),
                bootstrap,
            })),
            "constructs.Stack",
        );
        let stack = Stack { node };
        if let Some(e) = problem {
            stack.node.add_error(e);
        }
        let name = stack.stack_name();
        if !is_valid_stack_name(&name) {
            stack.node.add_error(format!(
                "stack name '{name}' is invalid: it must start with a letter and contain only letters, digits and '-' (at most 128 characters)"
            ));
        }
        stack
    }

    pub(crate) fn from_node(node: Construct) -> Stack {
        Stack { node }
    }

    pub(crate) fn with_data<R>(&self, f: impl FnOnce(&mut StackData) -> R) -> R {
        let mut tree = self.node.tree_mut();
        match &mut tree.nodes[self.node.idx].kind {
            NodeKind::Stack(s) => f(s),
            _ => unreachable!("stack handles always point at stacks"),
        }
    }

    /// The stack of any construct (the nearest stack above it).
    ///
    /// Returns `None` for the app and constructs outside stacks.
    pub fn of(scope: &impl Scope) -> Option<Stack> {
        scope.node().stack()
    }

    /// The CloudFormation stack name.
    pub fn stack_name(&self) -> String {
        let id = self.node.id();
        self.with_data(|s| s.props.stack_name.clone()).unwrap_or(id)
    }

    /// The stack's environment.
    pub fn environment(&self) -> Environment {
        self.with_data(|s| s.props.env.clone())
    }

    /// The account: the literal from `env`, or `AWS::AccountId`.
    pub fn account(&self) -> Value {
        self.environment()
            .account
            .map_or(Value::Pseudo(Pseudo::AccountId), Value::Str)
    }

    /// The region: the literal from `env`, or `AWS::Region`.
    pub fn region(&self) -> Value {
        self.environment()
            .region
            .map_or(Value::Pseudo(Pseudo::Region), Value::Str)
    }

    /// `AWS::Partition`.
    pub fn partition(&self) -> Value {
        Value::Pseudo(Pseudo::Partition)
    }

    /// `AWS::StackId` (the stack's ARN at deploy time).
    pub fn stack_id(&self) -> Value {
        Value::Pseudo(Pseudo::StackId)
    }

    /// `AWS::URLSuffix`.
    pub fn url_suffix(&self) -> Value {
        Value::Pseudo(Pseudo::UrlSuffix)
    }

    /// An ARN in this stack's partition, account and region:
    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. Give `regional: false`
    /// for global services such as IAM (empty region).
    pub fn format_arn(&self, service: &str, regional: bool, with_account: bool, resource: impl Into<Value>) -> Value {
        let mut parts = vec![
            Value::from("arn:"),
            self.partition(),
            Value::from(format!(":{service}:")),
        ];
        if regional {
            parts.push(self.region());
        }
        parts.push(":".into());
        if with_account {
            parts.push(self.account());
        }
        parts.push(":".into());
        parts.push(resource.into());
        Value::concat(parts)
    }

    /// Makes this stack deploy after `other`, with a reason shown by `list`.
    pub fn add_dependency(&self, other: &Stack, reason: impl Into<String>) {
        let target = other.node.idx;
        let reason = reason.into();
        if target == self.node.idx {
            self.node.add_error("a stack cannot depend on itself");
            return;
        }
        self.with_data(|s| s.dependencies.push((target, reason)));
    }

    /// The synthesizer chosen in the props.
    pub fn synthesizer(&self) -> Synthesizer {
        self.with_data(|s| s.props.synthesizer.clone())
    }

    /// Registers a file asset (e.g. a Lambda zip) and returns where it will be
    /// in the bootstrap bucket. The file is copied into the assembly at synthesis
    /// and published by `deploy` (or by the official CDK CLI).
    pub fn add_file_asset(&self, source: PathBuf, hash: &str, display_name: &str) -> AssetLocation {
        let extension = source
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let asset = FileAsset {
            source,
            hash: hash.to_owned(),
            display_name: display_name.to_owned(),
            extension,
        };
        let location = asset.location(&self.bootstrap_names());
        self.with_data(|s| {
            if !s.assets.iter().any(|a| a.hash == asset.hash) {
                s.assets.push(asset);
            }
        });
        location
    }

    /// The stacks this stack depends on explicitly.
    pub fn explicit_dependencies(&self) -> Vec<Stack> {
        let deps = self.with_data(|s| s.dependencies.iter().map(|(d, _)| *d).collect::<Vec<_>>());
        deps.into_iter()
            .map(|idx| {
                Stack::from_node(Construct {
                    tree: self.node.tree.clone(),
                    idx,
                })
            })
            .collect()
    }

    /// The asset bucket of the default synthesizer, as `Fn::Sub`.
    pub fn asset_bucket(&self) -> Value {
        Value::sub(self.bootstrap_names().asset_bucket(), IndexMap::new())
    }

    /// The bootstrap's names for this stack's qualifier
    /// ([`StackProps::bootstrap_qualifier`]).
    pub fn bootstrap_names(&self) -> BootstrapNames {
        self.with_data(|s| s.bootstrap.clone())
    }
}

fn is_valid_stack_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && name.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}
