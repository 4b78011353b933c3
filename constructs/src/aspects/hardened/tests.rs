use serde_json::{json, Value as Json};

use super::*;
use crate::assertions::{Match, Template};
use crate::aws::ec2::{SubnetConfiguration, SubnetType, VpcProps};
use crate::aws::lambda::{Code, Function, FunctionProps};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::rds::{DatabaseCluster, DatabaseClusterProps};
use crate::aws::secretsmanager::{Secret, SecretProps};
use crate::core::{App, Aspects, StackProps};

/// A function of `stack` with its own role (code: a file that exists).
fn function(stack: &Stack, id: &str, dir: &std::path::Path) -> Function {
    let zip = dir.join("code.zip");
    std::fs::write(&zip, b"not read by a template test").expect("write");
    Function::new(
        stack,
        id,
        FunctionProps {
            code: Code::from_zip_file(&zip),
            handler: "handler".into(),
            ..Default::default()
        },
    )
}

/// The logical ids of the resources of a type.
fn ids(template: &Template, resource_type: &str) -> Vec<String> {
    template
        .find_resources(resource_type, json!({}))
        .keys()
        .cloned()
        .collect()
}

fn get_att(id: &str) -> Json {
    json!({"Fn::GetAtt": [id, "Arn"]})
}

fn vpc(stack: &Stack) -> Vpc {
    Vpc::new(
        stack,
        "Vpc",
        VpcProps {
            max_azs: 2,
            subnet_configuration: vec![
                SubnetConfiguration::new("Public", SubnetType::Public, 24),
                SubnetConfiguration::new("Private", SubnetType::Private, 24),
            ],
            ..Default::default()
        },
    )
}

#[test]
fn one_rotated_key_per_stack_encrypts_log_groups_secrets_and_function_environments() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    LogGroup::new(&stack, "Logs", LogGroupProps::default());
    Secret::new(&stack, "Secret", SecretProps::default());
    function(&stack, "Fn", dir.path());
    let other = Stack::new(&app, "Other", StackProps::default());
    LogGroup::new(&other, "Logs", LogGroupProps::default());
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));

    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::KMS::Key", 1);
    let key = ids(&template, "AWS::KMS::Key").remove(0);
    assert!(key.starts_with("HardenedKey"), "{key}");
    template.has_resource(
        "AWS::KMS::Key",
        json!({"Properties": {"EnableKeyRotation": true}, "DeletionPolicy": "Retain"}),
    );
    // The key policy: the account's IAM decides, and CloudWatch Logs may use it for the account's groups.
    template.has_resource_properties(
        "AWS::KMS::Key",
        json!({"KeyPolicy": {"Statement": [
            {"Action": "kms:*", "Principal": {"AWS": Match::any_value()}, "Resource": "*"},
            {"Principal": {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match::any_value()}}}
        ]}}),
    );
    template.has_resource_properties("AWS::Logs::LogGroup", json!({"KmsKeyId": get_att(&key)}));
    template.has_resource_properties("AWS::SecretsManager::Secret", json!({"KmsKeyId": get_att(&key)}));
    template.has_resource_properties("AWS::Lambda::Function", json!({"KmsKeyArn": get_att(&key)}));
    // Reserved concurrency is off without the prop; no VPC without one.
    template.has_resource_properties(
        "AWS::Lambda::Function",
        json!({"ReservedConcurrentExecutions": Match::absent(), "VpcConfig": Match::absent()}),
    );

    let other = Template::from_stack(&other);
    other.resource_count_is("AWS::KMS::Key", 1);
    let other_key = ids(&other, "AWS::KMS::Key").remove(0);
    other.has_resource_properties("AWS::Logs::LogGroup", json!({"KmsKeyId": get_att(&other_key)}));
    other.resource_count_is("AWS::SQS::Queue", 0);
    other.resource_count_is("AWS::S3::Bucket", 0);
}

#[test]
fn what_you_set_yourself_is_kept_and_a_stack_with_nothing_to_harden_gets_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let logs = LogGroup::new(&stack, "Logs", LogGroupProps::default());
    CfnResource::of(&logs)
        .expect("L1")
        .set("KmsKeyId", "arn:aws:kms:us-east-1:111111111111:key/mine");
    let f = function(&stack, "Fn", dir.path());
    f.resource().set("ReservedConcurrentExecutions", 3);
    f.resource()
        .set("KmsKeyArn", "arn:aws:kms:us-east-1:111111111111:key/mine");
    let empty = Stack::new(&app, "Empty", StackProps::default());
    CfnResource::new(&empty, "Topic", "AWS::SNS::Topic");
    Aspects::of(&app).add(Hardened::new(HardenedProps {
        lambda_reserved_concurrency: Some(10),
        ..Default::default()
    }));

    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::KMS::Key", 1); // for the dead-letter queue
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        json!({"KmsKeyId": "arn:aws:kms:us-east-1:111111111111:key/mine"}),
    );
    template.has_resource_properties(
        "AWS::Lambda::Function",
        json!({"ReservedConcurrentExecutions": 3, "KmsKeyArn": "arn:aws:kms:us-east-1:111111111111:key/mine"}),
    );
    let empty = Template::from_stack(&empty);
    empty.resource_count_is("AWS::KMS::Key", 0);
    empty.has_resource_properties("AWS::SNS::Topic", json!({"KmsMasterKeyId": "alias/aws/sns"}));
}

#[test]
fn functions_get_reserved_concurrency_and_a_dead_letter_queue_their_roles_may_send_to() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let a = function(&stack, "A", dir.path());
    let b = function(&stack, "B", dir.path());
    // A third function sharing A's role: the role is listed once.
    Function::new(
        &stack,
        "C",
        FunctionProps {
            code: Code::from_zip_file(dir.path().join("code.zip")),
            handler: "handler".into(),
            role: Some(a.role().clone()),
            ..Default::default()
        },
    );
    Aspects::of(&app).add(Hardened::new(HardenedProps {
        lambda_reserved_concurrency: Some(5),
        ..Default::default()
    }));

    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::SQS::Queue", 1);
    let queue = ids(&template, "AWS::SQS::Queue").remove(0);
    let key = ids(&template, "AWS::KMS::Key").remove(0);
    template.has_resource_properties(
        "AWS::SQS::Queue",
        json!({"KmsMasterKeyId": get_att(&key), "MessageRetentionPeriod": 1_209_600}),
    );
    let policies = template.find_resources(
        "AWS::IAM::Policy",
        json!({"Properties": {"PolicyDocument": {"Statement": [
            {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": get_att(&queue)},
            {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Effect": "Allow", "Resource": get_att(&key)}
        ]}}}),
    );
    assert_eq!(policies.len(), 1, "one policy for the stack's functions");
    let (policy, body) = policies.into_iter().next().expect("one");
    let role_id = |f: &Function| {
        CfnResource::of(f.role().node())
            .map(|r| r.logical_id())
            .unwrap_or_default()
    };
    assert_eq!(
        body["Properties"]["Roles"],
        json!([{"Ref": role_id(&a)}, {"Ref": role_id(&b)}])
    );
    template.all_resources(
        "AWS::Lambda::Function",
        json!({
            "Properties": {"ReservedConcurrentExecutions": 5, "DeadLetterConfig": {"TargetArn": get_att(&queue)}},
            "DependsOn": Match::array_with(json!([policy]))
        }),
    );
}

#[test]
fn buckets_are_versioned_and_log_to_the_stack_access_log_bucket_which_is_not_logged_itself() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let data = Bucket::new(&stack, "Data", BucketProps::default());
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));

    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::S3::Bucket", 2);
    template.all_resources_properties(
        "AWS::S3::Bucket",
        json!({"VersioningConfiguration": {"Status": "Enabled"}}),
    );
    let logs: Vec<String> = ids(&template, "AWS::S3::Bucket")
        .into_iter()
        .filter(|id| id.starts_with("HardenedAccessLogsBucket"))
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let data_id = data.resource().logical_id();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"LoggingConfiguration": {"DestinationBucketName": {"Ref": logs[0]}, "LogFilePrefix": format!("{data_id}/")}}),
    );
    template.resource_properties_count_is("AWS::S3::Bucket", json!({"LoggingConfiguration": Match::absent()}), 1);
    // The log bucket lets this account's S3 logging write, and refuses plain HTTP.
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({"Bucket": {"Ref": logs[0]}, "PolicyDocument": {"Statement": Match::array_with(json!([
            {"Action": "s3:PutObject", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}
        ]))}}),
    );
}

#[test]
fn server_access_logs_go_to_a_bucket_you_name_or_nowhere() {
    let named = App::new();
    let stack = Stack::new(&named, "S", StackProps::default());
    Bucket::new(&stack, "Data", BucketProps::default());
    Aspects::of(&named).add(Hardened::new(HardenedProps {
        server_access_logs: ServerAccessLogs::Bucket(BucketName::from_value("central-logs".into())),
        ..Default::default()
    }));
    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::S3::Bucket", 1);
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"LoggingConfiguration": {"DestinationBucketName": "central-logs"}}),
    );

    let off = App::new();
    let stack = Stack::new(&off, "S", StackProps::default());
    Bucket::new(&stack, "Data", BucketProps::default());
    Aspects::of(&off).add(Hardened::new(HardenedProps {
        server_access_logs: ServerAccessLogs::Off,
        ..Default::default()
    }));
    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::S3::Bucket", 1);
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"LoggingConfiguration": Match::absent(), "VersioningConfiguration": {"Status": "Enabled"}}),
    );
}

#[test]
fn database_instances_get_enhanced_monitoring_and_clusters_iam_authentication() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let vpc = vpc(&stack);
    DatabaseCluster::new(&stack, "Db", &vpc, DatabaseClusterProps::default());
    Aspects::of(&app).add(Hardened::new(HardenedProps {
        rds_monitoring_interval: MonitoringInterval::ThirtySeconds,
        ..Default::default()
    }));

    let template = Template::from_stack(&stack);
    template.has_resource_properties("AWS::RDS::DBCluster", json!({"EnableIAMDatabaseAuthentication": true}));
    let roles = template.find_resources(
        "AWS::IAM::Role",
        json!({"Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Service": "monitoring.rds.amazonaws.com"}}]},
            "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]]}]
        }}),
    );
    assert_eq!(roles.len(), 1);
    let role = roles.keys().next().expect("one");
    template.resource_count_is("AWS::RDS::DBInstance", 2);
    template.all_resources_properties(
        "AWS::RDS::DBInstance",
        json!({"MonitoringInterval": 30, "MonitoringRoleArn": get_att(role), "EnableIAMDatabaseAuthentication": Match::absent()}),
    );
}

#[test]
fn functions_go_into_the_given_vpc_of_another_stack_with_https_out_only() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::new();
    let network = Stack::new(&app, "Network", StackProps::default());
    let vpc = vpc(&network);
    let stack = Stack::new(&app, "Fns", StackProps::default());
    let a = function(&stack, "A", dir.path());
    Function::new(
        &stack,
        "B",
        FunctionProps {
            code: Code::from_zip_file(dir.path().join("code.zip")),
            handler: "handler".into(),
            role: Some(a.role().clone()),
            ..Default::default()
        },
    );
    Aspects::of(&app).add(Hardened::new(HardenedProps {
        lambda_vpc: Some(LambdaVpc {
            vpc,
            subnets: SubnetSelection::group("Private"),
        }),
        ..Default::default()
    }));

    let template = Template::from_stack(&stack);
    template.resource_count_is("AWS::EC2::SecurityGroup", 1);
    let group = ids(&template, "AWS::EC2::SecurityGroup").remove(0);
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "VpcId": {"Fn::ImportValue": Match::any_value()},
            "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"}],
            "SecurityGroupIngress": Match::absent()
        }),
    );
    template.all_resources_properties(
        "AWS::Lambda::Function",
        json!({"VpcConfig": {
            "SecurityGroupIds": [{"Fn::GetAtt": [group, "GroupId"]}],
            "SubnetIds": [{"Fn::ImportValue": Match::any_value()}, {"Fn::ImportValue": Match::any_value()}]
        }}),
    );
    // The shared role gets the VPC access policy once, after its own.
    template.has_resource_properties(
        "AWS::IAM::Role",
        json!({"ManagedPolicyArns": [
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]},
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]]}
        ]}),
    );
}

#[test]
fn a_subnet_selection_the_vpc_lacks_is_an_error_naming_the_function() {
    let dir = tempfile::tempdir().expect("dir");
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let vpc = vpc(&stack);
    function(&stack, "Fn", dir.path());
    Aspects::of(&app).add(Hardened::new(HardenedProps {
        lambda_vpc: Some(LambdaVpc {
            vpc,
            subnets: SubnetSelection::group("Database"),
        }),
        ..Default::default()
    }));
    let err = app.synth().expect_err("no such group").to_string();
    assert!(err.contains("S/Fn/Resource"), "{err}");
    assert!(err.contains("lambda_vpc.subnets") && err.contains("Database"), "{err}");
}

#[test]
fn a_function_whose_role_is_not_in_the_app_is_warned_about_and_gets_no_dead_letter_queue() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let f = CfnResource::new(&stack, "Fn", "AWS::Lambda::Function");
    f.set("Role", "arn:aws:iam::111111111111:role/existing");
    f.set(
        "Code",
        Value::map().with("ZipFile", "exports.handler = async () => {};"),
    );
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));
    let synthesis = app.synth().expect("a warning only");
    let resource = &synthesis.stacks[0].template["Resources"]["Fn"]["Properties"];
    assert!(resource.get("DeadLetterConfig").is_none());
    assert!(resource["KmsKeyArn"].is_object(), "the key needs no role permission");
    let warnings = crate::assertions::Annotations::from_stack(&stack);
    warnings.has_warning("S/Fn", Match::string_like_regexp("role is not a role of this app"));
}

#[test]
fn an_http_listener_is_warned_about_unless_it_redirects_to_https() {
    use crate::cfn::elasticloadbalancingv2::{self as elbv2, listener};
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let listener = |id: &str, action: Value| {
        elbv2::CfnListener::new(
            &stack,
            id,
            elbv2::CfnListenerProps {
                default_actions: Some(Value::list([action])),
                load_balancer_arn: Some(
                    "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/a/b".into(),
                ),
                port: Some(80.into()),
                protocol: Some("HTTP".into()),
                ..Default::default()
            },
        )
    };
    listener(
        "Plain",
        listener::Action {
            type_: Some(listener::ActionType::Forward.into()),
            target_group_arn: Some("arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/t/c".into()),
            ..Default::default()
        }
        .into(),
    );
    listener(
        "Redirect",
        listener::Action {
            type_: Some(listener::ActionType::Redirect.into()),
            redirect_config: Some(
                listener::RedirectConfig {
                    protocol: Some("HTTPS".into()),
                    port: Some("443".into()),
                    status_code: Some("HTTP_301".into()),
                    ..Default::default()
                }
                .into(),
            ),
            ..Default::default()
        }
        .into(),
    );
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));
    let annotations = crate::assertions::Annotations::from_stack(&stack);
    annotations.has_warning("S/Plain", Match::string_like_regexp("serves plain HTTP"));
    assert!(
        annotations.find_warnings("S/Redirect", Match::any_value()).is_empty(),
        "{:?}",
        annotations.all()
    );
}

#[test]
fn queues_get_the_key_and_stand_alone_db_instances_iam_authentication() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    CfnResource::new(&stack, "Queue", "AWS::SQS::Queue");
    let managed = CfnResource::new(&stack, "ManagedSse", "AWS::SQS::Queue");
    managed.set("SqsManagedSseEnabled", true);
    let db = CfnResource::new(&stack, "Db", "AWS::RDS::DBInstance");
    db.set("DBInstanceClass", "db.t3.micro");
    db.set("Engine", "mysql");
    db.set("AllocatedStorage", "20");
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));

    let template = Template::from_stack(&stack);
    let key = ids(&template, "AWS::KMS::Key").remove(0);
    let resources = &template.to_json()["Resources"];
    assert_eq!(resources["Queue"]["Properties"]["KmsMasterKeyId"], get_att(&key));
    assert!(
        resources["ManagedSse"]["Properties"].get("KmsMasterKeyId").is_none(),
        "a queue encrypted by SQS is left as it is"
    );
    assert_eq!(resources["Db"]["Properties"]["EnableIAMDatabaseAuthentication"], true);
    assert_eq!(resources["Db"]["Properties"]["MonitoringInterval"], 60);
    // The parts are found below the stack's `Hardened` scope.
    assert!(stack.node().find_child(&format!("{HARDENED_SCOPE_ID}/Key")).is_some());
    assert!(stack
        .node()
        .find_child(&format!("{HARDENED_SCOPE_ID}/RdsMonitoringRole"))
        .is_some());
}

#[test]
fn a_second_hardened_aspect_is_one_error_naming_the_stack() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    LogGroup::new(&stack, "Logs", LogGroupProps::default());
    Bucket::new(&stack, "Data", BucketProps::default());
    Aspects::of(&app).add(Hardened::new(HardenedProps::default()));
    Aspects::of(&stack).add(Hardened::new(HardenedProps::default()));
    let errors = app.synth().expect_err("added twice").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0].to_string();
    assert!(message.starts_with("S:") || message.contains("S: "), "{message}");
    assert!(message.contains("add the Hardened aspect once"), "{message}");
}
