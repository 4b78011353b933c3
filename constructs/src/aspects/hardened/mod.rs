//! The `Hardened` aspect: the security settings checkov asks for, turned on
//! wherever a resource has a setting for them.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::aws::ec2::{Peer, Port, SecurityGroup, SecurityGroupProps, SubnetSelection, Vpc};
use crate::aws::iam::{ManagedPolicy, PolicyDocument, PolicyStatement, Principal, Role, RoleProps};
use crate::aws::s3::{Bucket, BucketName, BucketProps};
use crate::cfn::sqs;
use crate::core::{
    Annotations, Aspect, CfnResource, Construct, ElementRef, Pseudo, RemovalPolicy, Scope, Stack, Value,
};

#[cfg(test)]
mod tests;

/// The id of the scope, below each stack, that holds what the aspect adds.
pub const HARDENED_SCOPE_ID: &str = "Hardened";

/// The id of the warning on an HTTP listener that does not redirect to HTTPS.
const HTTP_LISTENER_WARNING: &str = "constructs:hardened:httpListener";

/// The id of the warning on a function whose role is not a role of this app
/// (the aspect cannot grant it what a dead-letter queue or a VPC needs).
const FOREIGN_ROLE_WARNING: &str = "constructs:hardened:functionRoleNotInApp";

/// How often RDS enhanced monitoring collects metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MonitoringInterval {
    /// Every second.
    OneSecond,
    /// Every 5 seconds.
    FiveSeconds,
    /// Every 10 seconds.
    TenSeconds,
    /// Every 15 seconds.
    FifteenSeconds,
    /// Every 30 seconds.
    ThirtySeconds,
    /// Every minute (the cheapest).
    #[default]
    OneMinute,
}

impl MonitoringInterval {
    /// The interval in seconds, as `MonitoringInterval` takes it.
    pub fn seconds(self) -> u32 {
        match self {
            MonitoringInterval::OneSecond => 1,
            MonitoringInterval::FiveSeconds => 5,
            MonitoringInterval::TenSeconds => 10,
            MonitoringInterval::FifteenSeconds => 15,
            MonitoringInterval::ThirtySeconds => 30,
            MonitoringInterval::OneMinute => 60,
        }
    }
}

/// Where S3 server access logs of the buckets go.
#[derive(Clone, Debug, Default)]
pub enum ServerAccessLogs {
    /// A bucket per stack, added by the aspect (`<stack>/Hardened/AccessLogsBucket`:
    /// versioned, SSE-S3, public access blocked, TLS only, writable by the S3
    /// logging service of this account). That bucket's own access is not
    /// logged: logging a log bucket into itself or into a bucket it logs
    /// loops, so checkov's CKV_AWS_18 stays on it.
    #[default]
    StackBucket,
    /// An existing bucket (e.g. the organisation's central log bucket), which
    /// must allow `logging.s3.amazonaws.com` to write to it.
    Bucket(BucketName),
    /// No server access logging (CKV_AWS_18 stays).
    Off,
}

/// The VPC functions are put in (CKV_AWS_117).
#[derive(Clone, Debug)]
pub struct LambdaVpc {
    /// The VPC. It may belong to another stack of the app (its ids are then exported).
    pub vpc: Vpc,
    /// The subnets of the functions: private ones with a NAT gateway, or
    /// isolated ones with interface endpoints for the AWS APIs the functions call.
    pub subnets: SubnetSelection,
}

/// Properties of [`Hardened`]. The default turns on everything that needs no
/// decision of yours; the rest is off until you give it.
#[derive(Clone, Debug, Default)]
pub struct HardenedProps {
    /// Reserved concurrency for every function that has none
    /// (`ReservedConcurrentExecutions`, CKV_AWS_115). It is taken from the
    /// account's unreserved pool, which must keep 100: new accounts (a limit
    /// of 10) cannot reserve any. Default: none (CKV_AWS_115 stays).
    pub lambda_reserved_concurrency: Option<u32>,
    /// The VPC every function without a `VpcConfig` runs in, with a security
    /// group per stack that allows HTTPS out only, and the
    /// `AWSLambdaVPCAccessExecutionRole` managed policy on the function's role.
    /// Default: none (CKV_AWS_117 stays).
    pub lambda_vpc: Option<LambdaVpc>,
    /// Where the buckets' server access logs go (CKV_AWS_18). Default: a
    /// bucket per stack ([`ServerAccessLogs::StackBucket`]).
    pub server_access_logs: ServerAccessLogs,
    /// The interval of RDS enhanced monitoring (CKV_AWS_118). Default: a minute.
    pub rds_monitoring_interval: MonitoringInterval,
}

/// An aspect that turns on the security settings checkov asks for, wherever
/// a resource has a setting for them and you left it unset. What you set
/// yourself is never changed.
///
/// Per stack, it adds below `<stack>/Hardened` only what the stack needs:
/// - `Key`: a customer managed KMS key with yearly rotation (retained on
///   deletion). Its policy delegates to the account's IAM (the root
///   principal) and lets CloudWatch Logs of the stack's region use it for
///   the account's log groups. It encrypts log groups (`KmsKeyId`,
///   CKV_AWS_158), Lambda environments (`KmsKeyArn`, CKV_AWS_173), Secrets
///   Manager secrets (`KmsKeyId`, CKV_AWS_149) and SQS queues. A principal
///   that reads such a secret or queue needs `kms:Decrypt` on the key.
/// - `DeadLetterQueue` and `FunctionPolicy`: every function without a
///   dead-letter configuration gets one (CKV_AWS_116), an SQS queue
///   encrypted with the key keeping messages 14 days; the policy lets the
///   functions' roles send to it (and use the key), and each function
///   depends on it, as Lambda checks the permission when it creates the function.
/// - `AccessLogsBucket` (see [`ServerAccessLogs`]): every other bucket is
///   versioned (CKV_AWS_21) and logs its access there (CKV_AWS_18).
/// - `RdsMonitoringRole`: every DB instance gets enhanced monitoring with
///   this role (CKV_AWS_118); clusters and stand-alone instances get IAM
///   database authentication (CKV_AWS_162).
/// - `LambdaSecurityGroup` with [`HardenedProps::lambda_vpc`].
///
/// SNS topics without a key are encrypted with the AWS managed `alias/aws/sns`
/// (a customer managed key would need every publisher's role changed).
/// Not fixed by a setting, and so left to you: a listener's protocol (HTTPS
/// needs your certificate; an HTTP listener that does not redirect to HTTPS
/// gets a warning, `constructs:hardened:httpListener`) and security group
/// rules open to the internet. Add the aspect once: a second one (or a
/// construct with id `Hardened` directly below a stack) is a synthesis error
/// naming the stack.
///
/// ```
/// use constructs::aspects::{Hardened, HardenedProps};
/// use constructs::aws::logs::{LogGroup, LogGroupProps};
/// use constructs::aws::s3::{Bucket, BucketProps};
/// use constructs::core::{App, Aspects, Stack, StackProps};
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Shop", StackProps::default());
/// LogGroup::new(&stack, "Orders", LogGroupProps::default());
/// Bucket::new(&stack, "Invoices", BucketProps::default());
///
/// Aspects::of(&app).add(Hardened::new(HardenedProps::default()));
///
/// let synthesis = app.synth().expect("valid");
/// let resources = &synthesis.stacks[0].template["Resources"];
/// let (_, key) = resources.as_object().into_iter().flatten()
///     .find(|(_, r)| r["Type"] == "AWS::KMS::Key").expect("a key for the stack");
/// assert_eq!(key["Properties"]["EnableKeyRotation"], true);
/// let (_, bucket) = resources.as_object().into_iter().flatten()
///     .find(|(id, _)| id.starts_with("Invoices")).expect("the bucket");
/// assert_eq!(bucket["Properties"]["VersioningConfiguration"]["Status"], "Enabled");
/// assert!(bucket["Properties"]["LoggingConfiguration"].is_object());
/// ```
pub struct Hardened {
    props: HardenedProps,
    /// What the aspect added, per stack (by the stack's node).
    stacks: RefCell<HashMap<usize, Parts>>,
    /// Roles that already got the VPC access policy.
    vpc_roles: RefCell<HashSet<ElementRef>>,
    /// Stacks whose `Hardened` id something else holds (reported once).
    conflicts: RefCell<HashSet<usize>>,
}

/// What the aspect added to one stack, each created on first need.
#[derive(Default)]
struct Parts {
    scope: Option<Construct>,
    key: Option<CfnResource>,
    dead_letter_queue: Option<CfnResource>,
    function_policy: Option<FunctionPolicy>,
    access_logs_bucket: Option<Bucket>,
    monitoring_role: Option<Role>,
    lambda_security_group: Option<SecurityGroup>,
}

/// The policy that lets the functions' roles use the dead-letter queue.
#[derive(Clone)]
struct FunctionPolicy {
    resource: CfnResource,
    roles: Rc<RefCell<Vec<ElementRef>>>,
}

impl Hardened {
    /// The aspect; add it with `Aspects::of(&app).add(..)` (or to one stack).
    pub fn new(props: HardenedProps) -> Hardened {
        Hardened {
            props,
            stacks: RefCell::new(HashMap::new()),
            vpc_roles: RefCell::new(HashSet::new()),
            conflicts: RefCell::new(HashSet::new()),
        }
    }

    /// A part of the stack's hardening, made on first use. The map is not
    /// borrowed while `make` runs, as making one part may need another.
    fn part<T: Clone>(
        &self,
        stack: &Stack,
        slot: impl Fn(&mut Parts) -> &mut Option<T>,
        make: impl FnOnce(&Construct) -> T,
    ) -> T {
        let key = stack.node().idx;
        if let Some(existing) = self.stacks.borrow_mut().get_mut(&key).and_then(|p| slot(p).clone()) {
            return existing;
        }
        let scope = self.scope(stack);
        let made = make(&scope);
        *slot(self.stacks.borrow_mut().entry(key).or_default()) = Some(made.clone());
        made
    }

    /// `<stack>/Hardened`, the scope of everything the aspect adds to a stack.
    fn scope(&self, stack: &Stack) -> Construct {
        let key = stack.node().idx;
        if let Some(scope) = self.stacks.borrow().get(&key).and_then(|p| p.scope.clone()) {
            return scope;
        }
        let scope = Construct::new_typed(stack, HARDENED_SCOPE_ID, "constructs.aspects.Hardened");
        self.stacks.borrow_mut().entry(key).or_default().scope = Some(scope.clone());
        scope
    }

    /// Whether `<stack>/Hardened` is free or this aspect's. When something
    /// else holds the id, an error on the stack says so (once), and the stack
    /// is left alone.
    fn owns_scope_of(&self, stack: &Stack) -> bool {
        let key = stack.node().idx;
        let ours = self
            .stacks
            .borrow()
            .get(&key)
            .and_then(|p| p.scope.as_ref().map(|s| s.idx));
        match (stack.node().child(HARDENED_SCOPE_ID), ours) {
            (None, _) => true,
            (Some(found), Some(ours)) => found.idx == ours,
            (Some(_), None) => {
                if self.conflicts.borrow_mut().insert(key) {
                    stack.node().add_error(format!(
                        "the stack already has a child '{HARDENED_SCOPE_ID}' (a second Hardened aspect, or a \
                         construct of yours): add the Hardened aspect once, or give that construct another id"
                    ));
                }
                false
            }
        }
    }

    /// Whether the construct is one the aspect added (made compliant when added).
    fn is_own(&self, node: &Construct) -> bool {
        let scopes: Vec<usize> = self
            .stacks
            .borrow()
            .values()
            .filter_map(|p| p.scope.as_ref().map(|s| s.idx))
            .collect();
        std::iter::successors(node.scope(), Construct::scope).any(|s| scopes.contains(&s.idx))
    }

    /// The stack's key, with rotation and a policy for CloudWatch Logs.
    fn key(&self, stack: &Stack) -> CfnResource {
        self.part(
            stack,
            |p| &mut p.key,
            |scope| {
                let key = CfnResource::new(scope, "Key", "AWS::KMS::Key");
                let account_root = Value::join(
                    "",
                    [
                        Value::from("arn:"),
                        Pseudo::Partition.into(),
                        Value::from(":iam::"),
                        Pseudo::AccountId.into(),
                        Value::from(":root"),
                    ],
                );
                let account_log_groups = Value::join(
                    "",
                    [
                        Value::from("arn:"),
                        Pseudo::Partition.into(),
                        Value::from(":logs:"),
                        Pseudo::Region.into(),
                        Value::from(":"),
                        Pseudo::AccountId.into(),
                        Value::from(":*"),
                    ],
                );
                let logs = Value::join(
                    "",
                    [
                        Value::from("logs."),
                        Pseudo::Region.into(),
                        Value::from(".amazonaws.com"),
                    ],
                );
                let policy = Value::map().with("Version", "2012-10-17").with(
                    "Statement",
                    Value::list([
                        Value::map()
                            .with("Action", "kms:*")
                            .with("Effect", "Allow")
                            .with("Principal", Value::map().with("AWS", account_root))
                            .with("Resource", "*"),
                        Value::map()
                            .with(
                                "Action",
                                Value::list([
                                    "kms:Encrypt*",
                                    "kms:Decrypt*",
                                    "kms:ReEncrypt*",
                                    "kms:GenerateDataKey*",
                                    "kms:Describe*",
                                ]),
                            )
                            .with(
                                "Condition",
                                Value::map().with(
                                    "ArnLike",
                                    Value::map().with("kms:EncryptionContext:aws:logs:arn", account_log_groups),
                                ),
                            )
                            .with("Effect", "Allow")
                            .with("Principal", Value::map().with("Service", logs))
                            .with("Resource", "*"),
                    ]),
                );
                key.set(
                    "Description",
                    "Hardened: encrypts this stack's logs, Lambda environments, secrets and queues",
                );
                key.set("EnableKeyRotation", true);
                key.set("KeyPolicy", policy);
                key.apply_removal_policy(RemovalPolicy::Retain);
                key
            },
        )
    }

    fn key_arn(&self, stack: &Stack) -> Value {
        self.key(stack).get_att("Arn")
    }

    /// The stack's dead-letter queue for functions, encrypted with the key.
    fn dead_letter_queue(&self, stack: &Stack) -> CfnResource {
        let key = self.key_arn(stack);
        self.part(
            stack,
            |p| &mut p.dead_letter_queue,
            |scope| {
                sqs::CfnQueue::new(
                    scope,
                    "DeadLetterQueue",
                    sqs::CfnQueueProps {
                        kms_master_key_id: Some(key),
                        message_retention_period: Some(1_209_600.into()),
                        ..Default::default()
                    },
                )
                .into()
            },
        )
    }

    /// The policy of the functions' roles: send to the dead-letter queue.
    fn function_policy(&self, stack: &Stack) -> FunctionPolicy {
        let queue = self.dead_letter_queue(stack).get_att("Arn");
        let key = self.key_arn(stack);
        self.part(
            stack,
            |p| &mut p.function_policy,
            |scope| {
                let resource = CfnResource::new(scope, "FunctionPolicy", "AWS::IAM::Policy");
                let document = PolicyDocument::new([
                    PolicyStatement::allow(["sqs:SendMessage"], [queue]),
                    PolicyStatement::allow(["kms:Decrypt", "kms:GenerateDataKey"], [key]),
                ]);
                resource.set("PolicyDocument", document.to_value());
                let r = resource.clone();
                resource.set(
                    "PolicyName",
                    Value::lazy(move || Value::from(r.logical_id().chars().take(128).collect::<String>())),
                );
                let roles: Rc<RefCell<Vec<ElementRef>>> = Rc::default();
                let names = Rc::clone(&roles);
                resource.set(
                    "Roles",
                    Value::lazy(move || Value::List(names.borrow().iter().map(|e| Value::Ref(*e)).collect())),
                );
                FunctionPolicy { resource, roles }
            },
        )
    }

    /// The stack's bucket for server access logs.
    fn access_logs_bucket(&self, stack: &Stack) -> Bucket {
        self.part(
            stack,
            |p| &mut p.access_logs_bucket,
            |scope| {
                let bucket = Bucket::new(
                    scope,
                    "AccessLogsBucket",
                    BucketProps {
                        versioned: true,
                        ..Default::default()
                    },
                );
                bucket.add_to_resource_policy(PolicyStatement {
                    actions: vec!["s3:PutObject".into()],
                    resources: vec![bucket.arn_for_objects("*")],
                    principals: vec![Principal::service("logging.s3.amazonaws.com")],
                    conditions: Some(Value::map().with(
                        "StringEquals",
                        Value::map().with("aws:SourceAccount", Pseudo::AccountId),
                    )),
                    ..Default::default()
                });
                bucket
            },
        )
    }

    /// The stack's role for RDS enhanced monitoring.
    fn monitoring_role(&self, stack: &Stack) -> Role {
        self.part(
            stack,
            |p| &mut p.monitoring_role,
            |scope| {
                Role::new(
                    scope,
                    "RdsMonitoringRole",
                    RoleProps {
                        assumed_by: Principal::service("monitoring.rds.amazonaws.com"),
                        managed_policies: vec![ManagedPolicy::aws_managed(
                            "service-role/AmazonRDSEnhancedMonitoringRole",
                        )],
                        ..Default::default()
                    },
                )
            },
        )
    }

    /// The stack's security group for functions: HTTPS out, nothing in.
    fn lambda_security_group(&self, stack: &Stack, vpc: &Vpc) -> SecurityGroup {
        self.part(
            stack,
            |p| &mut p.lambda_security_group,
            |scope| {
                let group = SecurityGroup::new(
                    scope,
                    "LambdaSecurityGroup",
                    vpc,
                    SecurityGroupProps {
                        description: Some("Hardened: the Lambda functions of this stack (HTTPS out only)".into()),
                        allow_all_outbound: false,
                        ..Default::default()
                    },
                );
                group.add_egress_rule(Peer::AnyIpv4, Port::Tcp(443), "HTTPS to the AWS APIs and the internet");
                group
            },
        )
    }

    fn harden_function(&self, node: &Construct, stack: &Stack, function: &CfnResource) {
        if is_unset(function, "KmsKeyArn") {
            function.set("KmsKeyArn", self.key_arn(stack));
        }
        if let Some(n) = self.props.lambda_reserved_concurrency {
            if is_unset(function, "ReservedConcurrentExecutions") {
                function.set("ReservedConcurrentExecutions", n);
            }
        }
        let wants_dlq = is_unset(function, "DeadLetterConfig");
        let vpc = self
            .props
            .lambda_vpc
            .as_ref()
            .filter(|_| is_unset(function, "VpcConfig"));
        if !wants_dlq && vpc.is_none() {
            return;
        }
        let Some(role) = role_of(node, function) else {
            Annotations::of(node).add_warning(
                FOREIGN_ROLE_WARNING,
                "Hardened: the function's role is not a role of this app, so it gets no dead-letter queue or VPC \
                 (they need permissions on the role): set DeadLetterConfig and VpcConfig yourself",
            );
            return;
        };
        if wants_dlq {
            let queue = self.dead_letter_queue(stack);
            function.set("DeadLetterConfig", Value::map().with("TargetArn", queue.get_att("Arn")));
            let policy = self.function_policy(stack);
            if !policy.roles.borrow().contains(&role.element()) {
                policy.roles.borrow_mut().push(role.element());
            }
            function.add_depends_on(&policy.resource);
        }
        if let Some(LambdaVpc { vpc, subnets }) = vpc {
            let subnet_ids: Vec<Value> = match vpc.select_subnets(subnets) {
                Ok(found) => found.iter().map(|s| s.subnet_id().value()).collect(),
                Err(problem) => {
                    node.add_error(format!("Hardened: lambda_vpc.subnets: {problem}"));
                    return;
                }
            };
            let group = self.lambda_security_group(stack, vpc);
            function.set(
                "VpcConfig",
                Value::map()
                    .with("SecurityGroupIds", Value::list([group.security_group_id().value()]))
                    .with("SubnetIds", Value::List(subnet_ids)),
            );
            if self.vpc_roles.borrow_mut().insert(role.element()) {
                append_lazily(
                    &role,
                    "ManagedPolicyArns",
                    ManagedPolicy::aws_managed("service-role/AWSLambdaVPCAccessExecutionRole").arn(),
                );
            }
        }
    }

    fn harden_bucket(&self, stack: &Stack, bucket: &CfnResource) {
        if is_unset(bucket, "VersioningConfiguration") {
            bucket.set("VersioningConfiguration", Value::map().with("Status", "Enabled"));
        }
        if !is_unset(bucket, "LoggingConfiguration") {
            return;
        }
        let destination = match &self.props.server_access_logs {
            ServerAccessLogs::Off => return,
            ServerAccessLogs::Bucket(name) => name.value(),
            ServerAccessLogs::StackBucket => self.access_logs_bucket(stack).name().value(),
        };
        let source = bucket.clone();
        bucket.set(
            "LoggingConfiguration",
            Value::map().with("DestinationBucketName", destination).with(
                "LogFilePrefix",
                Value::lazy(move || Value::from(format!("{}/", source.logical_id()))),
            ),
        );
    }

    fn harden_db_instance(&self, stack: &Stack, instance: &CfnResource) {
        if is_unset(instance, "MonitoringInterval") {
            instance.set("MonitoringInterval", self.props.rds_monitoring_interval.seconds());
            if is_unset(instance, "MonitoringRoleArn") {
                instance.set("MonitoringRoleArn", self.monitoring_role(stack).arn().value());
            }
        }
        // A cluster's instances take IAM authentication from the cluster.
        if is_unset(instance, "DBClusterIdentifier") && is_unset(instance, "EnableIAMDatabaseAuthentication") {
            instance.set("EnableIAMDatabaseAuthentication", true);
        }
    }
}

impl Aspect for Hardened {
    fn visit(&self, node: &Construct) {
        let Some(resource) = node.as_resource() else {
            return;
        };
        let Some(stack) = node.stack() else {
            return;
        };
        if self.is_own(node) || !self.owns_scope_of(&stack) {
            return;
        }
        let set_key = |property: &str| {
            if is_unset(&resource, property) {
                resource.set(property, self.key_arn(&stack));
            }
        };
        match resource.resource_type().as_str() {
            "AWS::Logs::LogGroup" | "AWS::SecretsManager::Secret" => set_key("KmsKeyId"),
            "AWS::SQS::Queue" if is_unset(&resource, "SqsManagedSseEnabled") => set_key("KmsMasterKeyId"),
            "AWS::SNS::Topic" if is_unset(&resource, "KmsMasterKeyId") => {
                resource.set("KmsMasterKeyId", "alias/aws/sns");
            }
            "AWS::Lambda::Function" => self.harden_function(node, &stack, &resource),
            "AWS::S3::Bucket" => self.harden_bucket(&stack, &resource),
            "AWS::RDS::DBInstance" => self.harden_db_instance(&stack, &resource),
            "AWS::RDS::DBCluster" if is_unset(&resource, "EnableIAMDatabaseAuthentication") => {
                resource.set("EnableIAMDatabaseAuthentication", true);
            }
            "AWS::ElasticLoadBalancingV2::Listener" if serves_plain_http(&resource) => {
                Annotations::of(node).add_warning(
                    HTTP_LISTENER_WARNING,
                    "Hardened: this listener serves plain HTTP, which no setting can fix (HTTPS needs your \
                     certificate): serve HTTPS with a certificate and make this listener redirect to it \
                     (checkov CKV_AWS_2, CKV_AWS_103)",
                );
            }
            _ => {}
        }
    }
}

/// Whether a property is missing (or `null`).
fn is_unset(resource: &CfnResource, property: &str) -> bool {
    matches!(resource.get(property), None | Some(Value::Null))
}

/// Whether a listener takes plain HTTP and does not redirect it all to HTTPS.
fn serves_plain_http(listener: &CfnResource) -> bool {
    let field = |value: &Value, key: &str| match evaluate(value) {
        Value::Map(map) => map.get(key).map(evaluate),
        _ => None,
    };
    let redirects_to_https = |action: &Value| {
        field(action, "Type").as_ref().and_then(Value::as_str) == Some("redirect")
            && field(action, "RedirectConfig")
                .and_then(|config| field(&config, "Protocol"))
                .as_ref()
                .and_then(Value::as_str)
                == Some("HTTPS")
    };
    let http = listener
        .get("Protocol")
        .map(|p| evaluate(&p))
        .as_ref()
        .and_then(Value::as_str)
        == Some("HTTP");
    let actions = match listener.get("DefaultActions").map(|a| evaluate(&a)) {
        Some(Value::List(actions)) => actions,
        _ => Vec::new(),
    };
    http && (actions.is_empty() || !actions.iter().all(redirects_to_https))
}

/// The role of a function, when it is a role resource of this app (`Role` is
/// its `Fn::GetAtt Arn`).
fn role_of(node: &Construct, function: &CfnResource) -> Option<CfnResource> {
    let Some(Value::GetAtt(element, attribute)) = function.get("Role") else {
        return None;
    };
    if attribute != "Arn" || element.app != node.tree().app {
        return None;
    }
    let role = Construct {
        tree: Rc::clone(&node.tree),
        idx: element.idx,
    }
    .as_resource()?;
    (role.resource_type() == "AWS::IAM::Role").then_some(role)
}

/// Appends an item to a list property when the template is rendered, after
/// whatever the property computes by then.
fn append_lazily(resource: &CfnResource, property: &str, item: Value) {
    let before = resource.get(property);
    resource.set(
        property,
        Value::lazy(move || {
            let mut items = match before.as_ref().map(evaluate) {
                Some(Value::List(items)) => items,
                None | Some(Value::Null) => Vec::new(),
                Some(other) => vec![other],
            };
            items.push(item.clone());
            Value::List(items)
        }),
    );
}

/// A value with its outer lazy layers computed.
fn evaluate(value: &Value) -> Value {
    match value {
        Value::Lazy(lazy) => evaluate(&(lazy.0)()),
        other => other.clone(),
    }
}
