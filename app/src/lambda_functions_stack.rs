//! `LambdaFunctionsStack`: the 14 Lambda functions the job nets call, and
//! their roles (seed 001, `lib/lambda-function-stack.ts`).
//!
//! Every function runs the one handler binary of the `lambdas` package
//! (`bootstrap`, which dispatches on the function's `Handler`), so the stack
//! has one code asset and synthesis builds it once. Five roles with inline
//! policies, as in the seed (EC2, DB, SSM, ALB, Backup); `NoticeSlackFunction`
//! has a role of its own that may read the Slack webhook parameter only.
//!
//! Changes from the seed:
//! - The Backup policy passed the ALB role by mistake; it passes only
//!   `service-role/AWSBackupDefaultServiceRole`, and only to AWS Backup.
//! - The ALB policy allowed `elasticloadbalancing:DeleteRule` on every
//!   resource besides the listener rules; it keeps `DeleteRule` on listener
//!   rules only.
//! - The Slack webhook URL is a secret: it is not in the template or an
//!   environment variable. `notice-slack` reads it at run time from the SSM
//!   SecureString parameter named by `HOOK_URL_PARAMETER_NAME` (context
//!   `hook-url-parameter`, default [`DEFAULT_HOOK_URL_PARAMETER`]). Create it once:
//!   `aws ssm put-parameter --name /webapp/slack/hook-url --type SecureString --value 'https://hooks.slack.com/services/...'`
//!   (with the default key `alias/aws/ssm` the role needs no KMS permission:
//!   that key's policy lets the account's principals decrypt through SSM).
//! - ARNs use the stack's partition instead of a literal `aws`.
//! - Runtime `provided.al2023` with the Rust handlers; 128 MB and a 30 s
//!   timeout (the seed's 3 s default leaves no room for a cold start plus an
//!   AWS API call or the Slack POST).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use constructs::aws::iam::{IRole, ManagedPolicy, Policy, PolicyProps, PolicyStatement, Principal, Role, RoleProps};
use constructs::aws::lambda::{Code, Function, FunctionProps, RustBinary};
use constructs::core::{App, Pseudo, Scope, Stack, StackProps, Value};

/// The context key naming the SSM parameter that holds the Slack webhook URL.
pub const HOOK_URL_PARAMETER_CONTEXT: &str = "hook-url-parameter";
/// The parameter name used when the context does not give one (as in cdk.json).
pub const DEFAULT_HOOK_URL_PARAMETER: &str = "/webapp/slack/hook-url";
/// The context key of the Slack member id the notices mention.
pub const SLACK_USER_ID_CONTEXT: &str = "slack-user-id";

/// The workspace root (where `Cargo.toml` with `[workspace]` is).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The handler binary: `bootstrap` of the `lambdas` package, one binary that
/// serves every function by dispatching on its `Handler`.
pub fn handler_binary() -> RustBinary {
    RustBinary {
        package_dir: workspace_dir().join("lambdas"),
        package: "lambdas".to_owned(),
        bin: "bootstrap".to_owned(),
        ..Default::default()
    }
}

/// The code of every function: [`handler_binary`], built with cargo-lambda at
/// synthesis (cached by source fingerprint).
pub fn handler_code() -> Code {
    Code::rust_binary(handler_binary())
}

/// Properties of [`LambdaFunctionsStack`].
#[derive(Clone, Debug)]
pub struct LambdaFunctionsStackProps {
    /// The stack's props. Default: the defaults.
    pub stack: StackProps,
    /// The code of every function (the handler binary dispatches on `Handler`).
    /// Default: [`handler_code`], the `lambdas` package's `bootstrap`.
    pub code: Code,
}

impl Default for LambdaFunctionsStackProps {
    fn default() -> Self {
        LambdaFunctionsStackProps {
            stack: StackProps::default(),
            code: handler_code(),
        }
    }
}

/// The seed's `LambdaFunctionsStack`: the functions other stacks invoke.
#[derive(Clone, Debug)]
pub struct LambdaFunctionsStack {
    stack: Stack,
    stop_ec2_instance: Function,
    start_ec2_instance: Function,
    describe_status_ec2_instance: Function,
    describe_ec2_instance: Function,
    stop_db_cluster: Function,
    start_db_cluster: Function,
    describe_db_cluster: Function,
    run_command_ec2_instance: Function,
    describe_result_run_command: Function,
    create_alb_rule: Function,
    delete_alb_rule: Function,
    describe_health_target: Function,
    start_backup_job: Function,
    notice_slack: Function,
}

impl Scope for LambdaFunctionsStack {
    fn node(&self) -> &constructs::core::Construct {
        self.stack.node()
    }
}

/// A role Lambda assumes, with the basic execution policy (logs), as the seed's five.
fn lambda_role(stack: &Stack, id: &str) -> Role {
    Role::new(
        stack,
        id,
        RoleProps {
            assumed_by: Principal::service("lambda.amazonaws.com"),
            managed_policies: vec![ManagedPolicy::aws_managed("service-role/AWSLambdaBasicExecutionRole")],
            ..Default::default()
        },
    )
}

/// An inline policy attached to `role`.
fn inline_policy(stack: &Stack, id: &str, role: &Role, statements: Vec<PolicyStatement>) -> Policy {
    Policy::new(
        stack,
        id,
        PolicyProps {
            statements,
            roles: vec![role.clone()],
            ..Default::default()
        },
    )
}

/// The ARN of an SSM parameter from its name (`/a/b` or `a/b`).
fn parameter_arn(stack: &Stack, name: &str) -> Value {
    stack.format_arn("ssm", true, true, format!("parameter/{}", name.trim_start_matches('/')))
}

impl LambdaFunctionsStack {
    /// Adds the stack to the app. Reads the context `hook-url-parameter`
    /// (default [`DEFAULT_HOOK_URL_PARAMETER`]) and `slack-user-id` (required).
    pub fn new(app: &App, id: &str, props: LambdaFunctionsStackProps) -> LambdaFunctionsStack {
        let stack = Stack::new(app, id, props.stack);
        let arn = |service: &str, resource: &str| stack.format_arn(service, true, true, resource);

        let ec2_role = lambda_role(&stack, "LambdaEc2IamRole");
        let db_role = lambda_role(&stack, "LambdaDbIamRole");
        let ssm_role = lambda_role(&stack, "LambdaSsmIamRole");
        let alb_role = lambda_role(&stack, "LambdaAlbIamRole");
        let backup_role = lambda_role(&stack, "LambdaBackupIamRole");

        inline_policy(
            &stack,
            "LambdaEc2IamPolicy",
            &ec2_role,
            vec![
                PolicyStatement::allow(["iam:PassRole"], [ec2_role.arn().into()]),
                PolicyStatement::allow(["ec2:StartInstances", "ec2:StopInstances"], [arn("ec2", "instance/*")]),
                PolicyStatement::allow(["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"], ["*".into()]),
            ],
        );
        inline_policy(
            &stack,
            "LambdaDbIamPolicy",
            &db_role,
            vec![
                PolicyStatement::allow(["iam:PassRole"], [db_role.arn().into()]),
                PolicyStatement::allow(
                    ["rds:StartDBCluster", "rds:StopDBCluster", "rds:DescribeDBClusters"],
                    [arn("rds", "cluster:*")],
                ),
            ],
        );
        inline_policy(
            &stack,
            "LambdaSsmIamPolicy",
            &ssm_role,
            vec![
                PolicyStatement::allow(["iam:PassRole"], [ssm_role.arn().into()]),
                PolicyStatement::allow(
                    ["ssm:SendCommand"],
                    [
                        arn("ssm", "managed-instance/*"),
                        // Documents: AWS-owned ones have no account in their ARN.
                        constructs::cfn_concat!("arn:", Pseudo::Partition, ":ssm:", Pseudo::Region, ":*:document/*"),
                        arn("ec2", "instance/*"),
                    ],
                ),
                PolicyStatement::allow(["ssm:ListCommandInvocations"], ["*".into()]),
            ],
        );
        inline_policy(
            &stack,
            "LambdaAlbIamPolicy",
            &alb_role,
            vec![
                PolicyStatement::allow(["iam:PassRole"], [alb_role.arn().into()]),
                PolicyStatement::allow(
                    ["elasticloadbalancing:DeleteRule", "elasticloadbalancing:CreateRule"],
                    [
                        arn("elasticloadbalancing", "listener-rule/net/*/*/*/*"),
                        arn("elasticloadbalancing", "listener-rule/app/*/*/*/*"),
                        arn("elasticloadbalancing", "listener/net/*/*/*"),
                        arn("elasticloadbalancing", "listener/app/*/*/*"),
                    ],
                ),
                PolicyStatement::allow(["elasticloadbalancing:DescribeTargetHealth"], ["*".into()]),
            ],
        );
        let backup_service_role = stack.format_arn("iam", false, true, "role/service-role/AWSBackupDefaultServiceRole");
        inline_policy(
            &stack,
            "LambdaBackupIamPolicy",
            &backup_role,
            vec![
                PolicyStatement {
                    conditions: Some(Value::map().with(
                        "StringEquals",
                        Value::map().with("iam:PassedToService", "backup.amazonaws.com"),
                    )),
                    ..PolicyStatement::allow(["iam:PassRole"], [backup_service_role])
                },
                PolicyStatement::allow(["backup:StartBackupJob"], [arn("backup", "backup-vault:*")]),
            ],
        );

        let function = |id: &str, handler: &str, description: &str, role: Option<&Role>| {
            Function::new(
                &stack,
                id,
                FunctionProps {
                    code: props.code.clone(),
                    handler: handler.to_owned(),
                    description: Some(description.to_owned()),
                    memory_size: 128,
                    timeout: Duration::from_secs(30),
                    environment: [("ACCOUNT_ID".to_owned(), Value::Pseudo(Pseudo::AccountId))]
                        .into_iter()
                        .collect(),
                    role: role.map(|r| Rc::new(r.clone()) as Rc<dyn IRole>),
                    ..Default::default()
                },
            )
        };

        let stop_ec2_instance = function(
            "StopEc2InstanceFunction",
            "stop-ec2-instance",
            "Stops EC2 instances (StopInstances)",
            Some(&ec2_role),
        );
        let start_ec2_instance = function(
            "StartEc2InstanceFunction",
            "start-ec2-instance",
            "Starts EC2 instances (StartInstances)",
            Some(&ec2_role),
        );
        let describe_status_ec2_instance = function(
            "DescribeStatusEc2InstanceFunction",
            "describe-status-ec2-instance",
            "Describes the status of EC2 instances (DescribeInstanceStatus)",
            Some(&ec2_role),
        );
        let describe_ec2_instance = function(
            "DescribeEc2InstanceFunction",
            "describe-ec2-instance",
            "Describes EC2 instances (DescribeInstances)",
            Some(&ec2_role),
        );
        let stop_db_cluster = function(
            "StopDbClusterFunction",
            "stop-db-cluster",
            "Stops a DB cluster (StopDBCluster)",
            Some(&db_role),
        );
        // The seed's id has a typo ("Clusterce"); kept so the logical id stays the seed's.
        let start_db_cluster = function(
            "StartDbClusterceFunction",
            "start-db-cluster",
            "Starts a DB cluster (StartDBCluster)",
            Some(&db_role),
        );
        let describe_db_cluster = function(
            "DescribeDbClusterFunction",
            "describe-db-cluster",
            "Describes DB clusters (DescribeDBClusters)",
            Some(&db_role),
        );
        let run_command_ec2_instance = function(
            "RunCommandEc2InstanceFunction",
            "run-command",
            "Runs a shell script on EC2 instances with Run Command (AWS-RunShellScript)",
            Some(&ssm_role),
        );
        let describe_result_run_command = function(
            "DescribeResultRunCommandFunction",
            "describe-run-command-result",
            "Lists the invocations of a Run Command with their output (ListCommandInvocations)",
            Some(&ssm_role),
        );
        let create_alb_rule = function(
            "CreateAlbRuleFunction",
            "create-alb-rule",
            "Creates an ALB listener rule (CreateRule)",
            Some(&alb_role),
        );
        let delete_alb_rule = function(
            "DeleteAlbRuleFunction",
            "delete-alb-rule",
            "Deletes an ALB listener rule (DeleteRule)",
            Some(&alb_role),
        );
        let describe_health_target = function(
            "DescribeHealthTargetFunction",
            "describe-target-health",
            "Describes the health of a target group's targets (DescribeTargetHealth)",
            Some(&alb_role),
        );
        let start_backup_job = function(
            "StartBackupJobFunction",
            "start-backup-job",
            "Starts an on-demand AWS Backup job (StartBackupJob)",
            Some(&backup_role),
        );
        let notice_slack = function(
            "NoticeSlackFunction",
            "notice-slack",
            "Notifies Slack of the result of a Step Functions execution",
            None,
        );

        let node = notice_slack.node();
        let hook_parameter = node
            .context_str(HOOK_URL_PARAMETER_CONTEXT)
            .unwrap_or_else(|| DEFAULT_HOOK_URL_PARAMETER.to_owned());
        if !hook_parameter.starts_with('/') && hook_parameter.contains('/') {
            node.add_error(format!(
                "context '{HOOK_URL_PARAMETER_CONTEXT}' is '{hook_parameter}': a parameter name with '/' must start with '/'"
            ));
        }
        notice_slack.add_environment("HOOK_URL_PARAMETER_NAME", hook_parameter.as_str());
        if let Some(user) = node.require_context_str(SLACK_USER_ID_CONTEXT) {
            notice_slack.add_environment("SLACK_USER_ID", user);
        }
        notice_slack
            .role()
            .grant(["ssm:GetParameter"], [parameter_arn(&stack, &hook_parameter)]);

        LambdaFunctionsStack {
            stack,
            stop_ec2_instance,
            start_ec2_instance,
            describe_status_ec2_instance,
            describe_ec2_instance,
            stop_db_cluster,
            start_db_cluster,
            describe_db_cluster,
            run_command_ec2_instance,
            describe_result_run_command,
            create_alb_rule,
            delete_alb_rule,
            describe_health_target,
            start_backup_job,
            notice_slack,
        }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// Stops EC2 instances (input: `StopInstances` request, e.g. `{"InstanceIds": [...]}`).
    pub fn stop_ec2_instance_function(&self) -> &Function {
        &self.stop_ec2_instance
    }

    /// Starts EC2 instances (input: `StartInstances` request).
    pub fn start_ec2_instance_function(&self) -> &Function {
        &self.start_ec2_instance
    }

    /// Describes the status of EC2 instances (`DescribeInstanceStatus`).
    pub fn describe_status_ec2_instance_function(&self) -> &Function {
        &self.describe_status_ec2_instance
    }

    /// Describes EC2 instances (`DescribeInstances`).
    pub fn describe_ec2_instance_function(&self) -> &Function {
        &self.describe_ec2_instance
    }

    /// Stops a DB cluster (`StopDBCluster`).
    pub fn stop_db_cluster_function(&self) -> &Function {
        &self.stop_db_cluster
    }

    /// Starts a DB cluster (`StartDBCluster`).
    pub fn start_db_cluster_function(&self) -> &Function {
        &self.start_db_cluster
    }

    /// Describes DB clusters (`DescribeDBClusters`).
    pub fn describe_db_cluster_function(&self) -> &Function {
        &self.describe_db_cluster
    }

    /// Runs a shell script on instances with Run Command (`SendCommand`).
    pub fn run_command_ec2_instance_function(&self) -> &Function {
        &self.run_command_ec2_instance
    }

    /// Lists a Run Command's invocations with output (`ListCommandInvocations`).
    pub fn describe_result_run_command_function(&self) -> &Function {
        &self.describe_result_run_command
    }

    /// Creates an ALB listener rule (`CreateRule`).
    pub fn create_alb_rule_function(&self) -> &Function {
        &self.create_alb_rule
    }

    /// Deletes an ALB listener rule (`DeleteRule`).
    pub fn delete_alb_rule_function(&self) -> &Function {
        &self.delete_alb_rule
    }

    /// Describes the health of a target group's targets (`DescribeTargetHealth`).
    pub fn describe_health_target_function(&self) -> &Function {
        &self.describe_health_target
    }

    /// Starts an on-demand AWS Backup job (`StartBackupJob`).
    pub fn start_backup_job_function(&self) -> &Function {
        &self.start_backup_job
    }

    /// Notifies Slack of a Step Functions execution's result (target of the
    /// job nets' EventBridge rules).
    pub fn notice_slack_function(&self) -> &Function {
        &self.notice_slack
    }
}
