//! `WebAppStack`: the web system the job nets stop and start (seed 001,
//! `lib/webapp-stack.ts`), resource for resource.
//!
//! An S3 bucket for the ALB's access logs; a VPC over two AZs with Public,
//! Private and Isolated /24 subnets and two NAT gateways, whose flow logs go to
//! CloudWatch Logs; security groups for the ALB (HTTP from anywhere), the web
//! servers (HTTP from the ALB) and the database (MySQL from the web servers);
//! an internet-facing ALB with a listener on port 80 (with the context value
//! `certificate-arn`: HTTPS on 443, and 80 redirecting to it) and a target
//! group checking `/phpinfo.php`; one `t3.micro` web server per private subnet,
//! managed through SSM; an Aurora MySQL cluster whose credentials live in
//! Secrets Manager (`WebApp/DBLoginInfo`); and the CloudWatch agent's
//! configuration in the SSM parameter `AmazonCloudWatch-linux`. Not in the
//! seed: the SSM parameter `MaintenanceRuleParameter`, through which the stop
//! job net hands the start job net the maintenance rule it created.
//!
//! The user data script, the CloudWatch agent configuration and the
//! maintenance page are files in `app/assets/`, read at synthesis. The EC2 key
//! pair comes from the context value `key-pair`; without it the instances
//! have no key and are reached through SSM Session Manager only.
//!
//! Changes from the seed:
//! - The seed's VPC block is blank in the published source; this stack uses
//!   the CDK's default, `10.0.0.0/16`.
//! - Aurora MySQL 2.09.1 (MySQL 5.7) reached the end of standard support and
//!   can no longer be created: the cluster runs Aurora MySQL 3.10.0 (MySQL 8.0
//!   compatible, current in the engine data of cfn-lint 1.58). Its smallest
//!   burstable class is `db.t3.medium` (`db.t3.small` ran Aurora MySQL 2 only).
//! - IMDSv2 is required on the web servers (the seed left IMDSv1 on).
//! - The access log bucket refuses requests without TLS, and the ALB drops
//!   invalid HTTP header fields.
//! - The flow log depends on its role's policy, so delivery works from the start.
//! - The user data takes collectd from amazon-linux-extras (EPEL 7, which the
//!   seed installed it from, is archived) and PHP 8.2 (the `php8.0` topic
//!   reached its end of life).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use constructs::aws::ec2::{
    AggregationInterval, FlowLog, FlowLogDestination, FlowLogField, FlowLogProps, FlowLogResource, Instance,
    InstanceProps, MachineImage, Peer, Port, SecurityGroup, SecurityGroupProps, SubnetConfiguration, SubnetSelection,
    SubnetType, UserData, Vpc, VpcProps,
};
use constructs::aws::elbv2::{
    ApplicationListener, ApplicationListenerProps, ApplicationLoadBalancer, ApplicationLoadBalancerProps,
    ApplicationProtocol, ApplicationTargetGroup, ApplicationTargetGroupProps, HealthCheck, TargetType,
};
use constructs::aws::iam::{ManagedPolicy, Policy, PolicyProps, PolicyStatement, Principal, Role, RoleProps};
use constructs::aws::logs::{LogGroup, LogGroupProps, RetentionDays};
use constructs::aws::rds::{
    AuroraMysqlEngineVersion, ClusterEngine, Credentials, DatabaseCluster, DatabaseClusterProps, LogExport,
};
use constructs::aws::s3::{Bucket, BucketProps};
use constructs::aws::secretsmanager::{GenerateSecretString, Secret, SecretProps};
use constructs::aws::ssm::{StringParameter, StringParameterProps, StringValue};
use constructs::cfn::elasticloadbalancingv2::{self as elbv2, listener};
use constructs::core::{App, Scope, Stack, StackProps, Value};

/// The context key of the EC2 key pair of the web servers (optional).
pub const KEY_PAIR_CONTEXT: &str = "key-pair";
/// The user data script of the web servers, in the assets directory.
pub const USER_DATA_FILE: &str = "user-data-amazon-linux2.sh";
/// The CloudWatch agent configuration, in the assets directory.
pub const CLOUDWATCH_AGENT_CONFIG_FILE: &str = "amazon-cloudwatch-linux.json";
/// The maintenance page the stop state machine's ALB rule answers with, in
/// the assets directory (an ALB fixed response holds at most 1024 bytes).
pub const MAINTENANCE_PAGE_FILE: &str = "maintenance.html";
/// The context key of an ACM certificate ARN (optional): with it, the
/// listener serves HTTPS on 443 with
/// [`DEFAULT_SSL_POLICY`](constructs::aws::elbv2::DEFAULT_SSL_POLICY) (TLS 1.3 and 1.2)
/// and port 80 redirects to it; without it, the seed's HTTP listener on 80.
pub const CERTIFICATE_ARN_CONTEXT: &str = "certificate-arn";
/// The name of the secret with the database's master credentials.
pub const DB_SECRET_NAME: &str = "WebApp/DBLoginInfo";
/// The SSM parameter with the CloudWatch agent configuration.
pub const CLOUDWATCH_PARAMETER_NAME: &str = "AmazonCloudWatch-linux";
/// The value of the maintenance rule parameter until a stop execution writes
/// the ARN of the rule it created (see [`WebAppStack::maintenance_rule_parameter`]).
pub const NO_MAINTENANCE_RULE: &str = "none";

/// The directory of the files read at synthesis (`app/assets`).
pub fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// The maintenance page (`app/assets/maintenance.html`), for the fixed
/// response of the listener rule the stop state machine creates.
pub fn maintenance_page() -> std::io::Result<String> {
    std::fs::read_to_string(assets_dir().join(MAINTENANCE_PAGE_FILE))
}

/// Properties of [`WebAppStack`].
#[derive(Clone, Debug)]
pub struct WebAppStackProps {
    /// The stack's props. Default: the defaults (deployable to any region).
    pub stack: StackProps,
    /// Where the user data script and the CloudWatch agent configuration are
    /// read from. Default: [`assets_dir`].
    pub assets_dir: PathBuf,
    /// The VPC's block. Default: `10.0.0.0/16`.
    pub vpc_cidr: String,
}

impl Default for WebAppStackProps {
    fn default() -> Self {
        WebAppStackProps {
            stack: StackProps::default(),
            assets_dir: assets_dir(),
            vpc_cidr: "10.0.0.0/16".to_owned(),
        }
    }
}

/// The web system's stack.
#[derive(Clone, Debug)]
pub struct WebAppStack {
    stack: Stack,
    vpc: Vpc,
    load_balancer: ApplicationLoadBalancer,
    listener: ApplicationListener,
    target_group: ApplicationTargetGroup,
    instances: Vec<Instance>,
    db_cluster: DatabaseCluster,
    db_secret: Secret,
    maintenance_rule_parameter: StringParameter,
}

/// The HTTPS listener on 443 (child `Listener`, so the stop state machine's
/// maintenance rule goes to it) and a listener on 80 (child
/// `HttpRedirectListener`) that answers every request with a permanent
/// redirect to HTTPS.
fn https_listener(
    load_balancer: &ApplicationLoadBalancer,
    target_group: &ApplicationTargetGroup,
    certificate_arn: String,
) -> ApplicationListener {
    let listener = load_balancer.add_listener(
        "Listener",
        ApplicationListenerProps {
            port: 443,
            protocol: ApplicationProtocol::Https,
            certificate_arns: vec![certificate_arn.into()],
            default_target_groups: vec![target_group.clone()],
            ..Default::default()
        },
    );
    elbv2::CfnListener::new(
        load_balancer,
        "HttpRedirectListener",
        elbv2::CfnListenerProps {
            default_actions: Some(Value::list([listener::Action {
                redirect_config: Some(
                    listener::RedirectConfig {
                        port: Some("443".into()),
                        protocol: Some("HTTPS".into()),
                        status_code: Some("HTTP_301".into()),
                        ..Default::default()
                    }
                    .into(),
                ),
                type_: Some(listener::ActionType::Redirect.into()),
                ..Default::default()
            }])),
            load_balancer_arn: Some(load_balancer.arn().value()),
            port: Some(80.into()),
            protocol: Some("HTTP".into()),
            ..Default::default()
        },
    );
    listener
}

impl WebAppStack {
    /// Adds the stack to the app.
    pub fn new(app: &App, id: &str, props: WebAppStackProps) -> WebAppStack {
        let stack = Stack::new(app, id, props.stack);

        // S3 bucket for the ALB access logs.
        let alb_access_log_bucket = Bucket::new(&stack, "AlbAccessLogBucket", BucketProps::default());

        // CloudWatch Logs for the VPC flow logs, and the role that writes them.
        let flow_logs_log_group = LogGroup::new(
            &stack,
            "FlowLogsLogGroup",
            LogGroupProps {
                retention: RetentionDays::OneWeek,
                ..Default::default()
            },
        );
        let flow_logs_role = Role::new(
            &stack,
            "FlowLogsIamrole",
            RoleProps {
                assumed_by: Principal::service("vpc-flow-logs.amazonaws.com"),
                ..Default::default()
            },
        );

        // The web servers' role: SSM management, patching and the CloudWatch agent.
        let ssm_role = Role::new(
            &stack,
            "SsmIamRole",
            RoleProps {
                assumed_by: Principal::service("ec2.amazonaws.com"),
                managed_policies: vec![
                    ManagedPolicy::aws_managed("AmazonSSMManagedInstanceCore"),
                    ManagedPolicy::aws_managed("AmazonSSMPatchAssociation"),
                    ManagedPolicy::aws_managed("CloudWatchAgentAdminPolicy"),
                ],
                ..Default::default()
            },
        );

        let flow_logs_policy = Policy::new(
            &stack,
            "FlowLogsIamPolicy",
            PolicyProps {
                statements: vec![
                    PolicyStatement::allow(["iam:PassRole"], [flow_logs_role.arn().value()]),
                    PolicyStatement::allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [flow_logs_log_group.arn().value()],
                    ),
                ],
                roles: vec![flow_logs_role.clone()],
                ..Default::default()
            },
        );

        let vpc = Vpc::new(
            &stack,
            "Vpc",
            VpcProps {
                cidr: props.vpc_cidr,
                enable_dns_hostnames: true,
                enable_dns_support: true,
                nat_gateways: Some(2),
                max_azs: 2,
                subnet_configuration: vec![
                    SubnetConfiguration::new("Public", SubnetType::Public, 24),
                    SubnetConfiguration::new("Private", SubnetType::Private, 24),
                    SubnetConfiguration::new("Isolated", SubnetType::Isolated, 24),
                ],
                ..Default::default()
            },
        );

        let flow_log = FlowLog::new(
            &stack,
            "FlowLogToLogs",
            FlowLogResource::Vpc(vpc.vpc_id()),
            FlowLogDestination::CloudWatchLogs {
                log_group_arn: flow_logs_log_group.arn(),
                role_arn: flow_logs_role.arn(),
            },
            FlowLogProps {
                log_format: FlowLogField::V5.to_vec(),
                max_aggregation_interval: AggregationInterval::OneMinute,
                ..Default::default()
            },
        );
        flow_log.resource().add_depends_on(flow_logs_policy.resource());

        // Security groups: HTTP from anywhere to the ALB, HTTP from the ALB to
        // the web servers, MySQL from the web servers to the database.
        let alb_sg = SecurityGroup::new(&stack, "AlbSg", &vpc, SecurityGroupProps::default());
        alb_sg.add_ingress_rule(Peer::AnyIpv4, Port::Tcp(80), "Allow inbound HTTP");
        let web_sg = SecurityGroup::new(&stack, "WebSg", &vpc, SecurityGroupProps::default());
        web_sg.add_ingress_rule((&alb_sg).into(), Port::Tcp(80), "Allow web access from alb");
        let db_sg = SecurityGroup::new(&stack, "DbSg", &vpc, SecurityGroupProps::default());
        db_sg.add_ingress_rule((&web_sg).into(), Port::Tcp(3306), "Allow db access from web server");

        let load_balancer = ApplicationLoadBalancer::new(
            &stack,
            "Alb",
            &vpc,
            ApplicationLoadBalancerProps {
                internet_facing: true,
                vpc_subnets: Some(SubnetSelection::group("Public")),
                security_group: Some(Rc::new(alb_sg)),
                ..Default::default()
            },
        );
        load_balancer.log_access_logs(&alb_access_log_bucket, None);

        let target_group = ApplicationTargetGroup::new(
            &stack,
            "TargetGroup",
            &vpc,
            ApplicationTargetGroupProps {
                port: 80,
                protocol: ApplicationProtocol::Http,
                target_type: TargetType::Instance,
                health_check: HealthCheck {
                    path: Some("/phpinfo.php".into()),
                    healthy_http_codes: Some("200".into()),
                    healthy_threshold_count: Some(2),
                    interval: Some(Duration::from_secs(30)),
                    timeout: Some(Duration::from_secs(5)),
                    unhealthy_threshold_count: Some(2),
                },
                ..Default::default()
            },
        );
        let certificate_arn = stack
            .node()
            .context_str(CERTIFICATE_ARN_CONTEXT)
            .filter(|c| !c.is_empty());
        let listener = match certificate_arn {
            None => load_balancer.add_listener(
                "Listener",
                ApplicationListenerProps {
                    port: 80,
                    default_target_groups: vec![target_group.clone()],
                    ..Default::default()
                },
            ),
            Some(certificate_arn) => https_listener(&load_balancer, &target_group, certificate_arn),
        };

        // One web server per private subnet (so one per AZ), registered as targets.
        let key_name = stack.node().context_str(KEY_PAIR_CONTEXT).filter(|k| !k.is_empty());
        let user_data = UserData::from_file(props.assets_dir.join(USER_DATA_FILE));
        let private_subnets = vpc
            .select_subnets(&SubnetSelection::group("Private"))
            .unwrap_or_default();
        let instances: Vec<Instance> = private_subnets
            .iter()
            .enumerate()
            .map(|(index, _)| {
                let instance = Instance::new(
                    &stack,
                    &format!("Ec2Instance{index}"),
                    &vpc,
                    InstanceProps {
                        instance_type: "t3.micro".into(),
                        machine_image: MachineImage::LatestAmazonLinux2,
                        vpc_subnets: SubnetSelection::group("Private").in_az(index),
                        security_groups: vec![Rc::new(web_sg.clone())],
                        role: Some(ssm_role.clone()),
                        key_name: key_name.clone(),
                        user_data: Some(user_data.clone()),
                        ..Default::default()
                    },
                );
                target_group.add_instance_target(&instance, Some(80));
                instance
            })
            .collect();

        let db_secret = Secret::new(
            &stack,
            "DBSecret",
            SecretProps {
                secret_name: Some(DB_SECRET_NAME.into()),
                generate_secret_string: GenerateSecretString {
                    exclude_characters: Some(":@/\" ".into()),
                    generate_string_key: Some("password".into()),
                    secret_string_template: Some(r#"{"username": "admin"}"#.into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        );

        let db_cluster = DatabaseCluster::new(
            &stack,
            "DBCluster",
            &vpc,
            DatabaseClusterProps {
                engine: ClusterEngine::AuroraMysql(AuroraMysqlEngineVersion::V3_10_0),
                instance_class: "db.t3.medium".into(),
                vpc_subnets: SubnetSelection::of_type(SubnetType::Private),
                security_groups: vec![Rc::new(db_sg)],
                credentials: Credentials::FromSecret(db_secret.clone()),
                default_database_name: Some("testDB".into()),
                storage_encrypted: true,
                cloudwatch_logs_exports: vec![
                    LogExport::Error,
                    LogExport::General,
                    LogExport::SlowQuery,
                    LogExport::Audit,
                ],
                ..Default::default()
            },
        );

        StringParameter::new(
            &stack,
            "CloudWatchParameter",
            StringParameterProps {
                description: Some("CloudWatch parameters for Linux".into()),
                parameter_name: Some(CLOUDWATCH_PARAMETER_NAME.into()),
                string_value: StringValue::File(props.assets_dir.join(CLOUDWATCH_AGENT_CONFIG_FILE)),
                ..Default::default()
            },
        );

        let maintenance_rule_parameter = StringParameter::new(
            &stack,
            "MaintenanceRuleParameter",
            StringParameterProps {
                description: Some(
                    "The ARN of the ALB listener rule (the maintenance page) the stop state machine created last; \
                     the start state machine deletes that rule"
                        .into(),
                ),
                string_value: NO_MAINTENANCE_RULE.into(),
                ..Default::default()
            },
        );

        WebAppStack {
            stack,
            vpc,
            load_balancer,
            listener,
            target_group,
            instances,
            db_cluster,
            db_secret,
            maintenance_rule_parameter,
        }
    }

    /// The stack.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The VPC.
    pub fn vpc(&self) -> &Vpc {
        &self.vpc
    }

    /// The internet-facing load balancer.
    pub fn load_balancer(&self) -> &ApplicationLoadBalancer {
        &self.load_balancer
    }

    /// The listener the web servers are reached through: HTTP on 80, or HTTPS
    /// on 443 with `certificate-arn` (the stop state machine adds the
    /// maintenance rule to it).
    pub fn listener(&self) -> &ApplicationListener {
        &self.listener
    }

    /// The web servers' target group.
    pub fn target_group(&self) -> &ApplicationTargetGroup {
        &self.target_group
    }

    /// The web servers, one per AZ.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// The Aurora MySQL cluster.
    pub fn db_cluster(&self) -> &DatabaseCluster {
        &self.db_cluster
    }

    /// The secret with the database's master credentials.
    pub fn db_secret(&self) -> &Secret {
        &self.db_secret
    }

    /// The SSM parameter through which the stop job net hands the start job
    /// net the maintenance rule it created: the stop machine writes the rule's
    /// ARN (`ssm:PutParameter` on this parameter only), the start machine
    /// reads it (`ssm:GetParameter` on this parameter only) and deletes that
    /// rule. Its name is generated by CloudFormation; it holds
    /// [`NO_MAINTENANCE_RULE`] until the first stop.
    pub fn maintenance_rule_parameter(&self) -> &StringParameter {
        &self.maintenance_rule_parameter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintenance_page_fits_an_alb_fixed_response() {
        let page = maintenance_page().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            page.len() <= 1024,
            "{} bytes: an ALB fixed response holds 1024",
            page.len()
        );
        assert!(page.contains("<html"));
    }

    #[test]
    fn the_user_data_script_starts_with_a_shebang_and_writes_the_three_scripts() {
        let script = UserData::from_file(assets_dir().join(USER_DATA_FILE))
            .render()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(script.starts_with("#!/bin/bash\n"));
        for s in ["startHttpd.sh", "stopHttpd.sh", "checkHttpd.sh"] {
            assert!(script.contains(&format!("> /usr/local/sbin/{s}")), "{s}");
            assert!(script.contains(&format!("chmod 744 /usr/local/sbin/{s}")), "{s}");
        }
        assert!(
            script.contains("exit 3"),
            "checkHttpd.sh tells a stopped httpd by exit code 3"
        );
    }
}
