use std::time::Duration;

use serde_json::{json, Value as Json};

use super::*;
use crate::aws::ec2::{Instance, InstanceProps, SubnetConfiguration, SubnetSelection, SubnetType, Vpc, VpcProps};
use crate::aws::s3::{Bucket, BucketEncryption, BucketProps};
use crate::core::{App, Environment, Stack, StackProps};

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

fn web(region: Option<&str>) -> Json {
    let app = App::new();
    let stack = Stack::new(
        &app,
        "S",
        StackProps {
            env: Environment {
                region: region.map(str::to_owned),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let vpc = vpc(&stack);
    let bucket = Bucket::new(&stack, "Logs", BucketProps::default());
    let alb = ApplicationLoadBalancer::new(
        &stack,
        "Alb",
        &vpc,
        ApplicationLoadBalancerProps {
            internet_facing: true,
            ..Default::default()
        },
    );
    alb.log_access_logs(&bucket, None);
    let tg = ApplicationTargetGroup::new(
        &stack,
        "TargetGroup",
        &vpc,
        ApplicationTargetGroupProps {
            port: 80,
            health_check: HealthCheck {
                path: Some("/phpinfo.php".into()),
                healthy_http_codes: Some("200".into()),
                interval: Some(Duration::from_secs(30)),
                timeout: Some(Duration::from_secs(5)),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let i = Instance::new(
        &stack,
        "Web",
        &vpc,
        InstanceProps {
            instance_type: "t3.micro".into(),
            ..Default::default()
        },
    );
    tg.add_instance_target(&i, Some(80));
    alb.add_listener(
        "Listener",
        ApplicationListenerProps {
            port: 80,
            default_target_groups: vec![tg],
            ..Default::default()
        },
    );
    let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
    s.stacks[0].template.clone()
}

fn by_path<'a>(t: &'a Json, path: &str) -> &'a Json {
    t["Resources"]
        .as_object()
        .and_then(|r| r.values().find(|v| v["Metadata"]["aws:cdk:path"] == path))
        .unwrap_or_else(|| panic!("no {path}"))
}

#[test]
fn internet_facing_alb_with_access_logs_listener_and_instance_targets() {
    let t = web(None);
    let alb = by_path(&t, "S/Alb/Resource");
    let p = &alb["Properties"];
    assert_eq!(p["Scheme"], "internet-facing");
    assert_eq!(p["Type"], "application");
    assert_eq!(
        p["LoadBalancerAttributes"],
        json!([
            {"Key": "deletion_protection.enabled", "Value": "false"},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Logs6819BB44"}},
            {"Key": "access_logs.s3.prefix", "Value": ""},
        ])
    );
    let depends: Vec<&str> = alb["DependsOn"]
        .as_array()
        .map(|d| d.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    assert!(depends.iter().any(|d| d.starts_with("LogsPolicy")), "{depends:?}");
    assert_eq!(
        depends.iter().filter(|d| d.contains("DefaultRoute")).count(),
        2,
        "{depends:?}"
    );
    assert_eq!(
        depends.iter().filter(|d| d.contains("RouteTableAssociation")).count(),
        2,
        "{depends:?}"
    );

    // The regional ELB account, looked up at deploy in the stack's mapping.
    let statement = &by_path(&t, "S/Logs/Policy/Resource")["Properties"]["PolicyDocument"]["Statement"][1];
    assert_eq!(
        statement["Principal"],
        json!({"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Fn::FindInMap": ["ElbAccessLogsAccounts", {"Ref": "AWS::Region"}, "account"]}, ":root"]]}})
    );
    assert_eq!(statement["Action"], "s3:PutObject");
    assert_eq!(
        statement["Resource"],
        json!({"Fn::Join": ["", [{"Fn::GetAtt": ["Logs6819BB44", "Arn"]}, "/AWSLogs/", {"Ref": "AWS::AccountId"}, "/*"]]})
    );
    assert_eq!(
        t["Mappings"]["ElbAccessLogsAccounts"]["ap-northeast-1"]["account"],
        "582318560864"
    );

    let listener = by_path(&t, "S/Alb/Listener/Resource");
    assert_eq!(listener["Properties"]["Port"], 80);
    assert_eq!(listener["Properties"]["DefaultActions"][0]["Type"], "forward");
    let sg = by_path(&t, "S/Alb/SecurityGroup/Resource");
    assert_eq!(
        sg["Properties"]["SecurityGroupIngress"][0]["Description"],
        "Allow from anyone on port 80"
    );
    let tg = by_path(&t, "S/TargetGroup/Resource");
    assert_eq!(tg["Properties"]["Targets"][0]["Port"], 80);
    assert_eq!(tg["Properties"]["Matcher"], json!({"HttpCode": "200"}));
    assert_eq!(tg["Properties"]["HealthCheckPath"], "/phpinfo.php");
}

#[test]
fn known_regions_use_their_account_or_the_service_principal() {
    let statement = |t: &Json| {
        by_path(t, "S/Logs/Policy/Resource")["Properties"]["PolicyDocument"]["Statement"][1]["Principal"].clone()
    };
    let tokyo = web(Some("ap-northeast-1"));
    assert_eq!(
        statement(&tokyo),
        json!({"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::582318560864:root"]]}})
    );
    assert!(tokyo.get("Mappings").is_none());
    let hyderabad = web(Some("ap-south-2"));
    assert_eq!(
        statement(&hyderabad),
        json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"})
    );
}

#[test]
fn bad_ports_health_checks_buckets_and_subnets_name_their_construct() {
    let app = App::new();
    let stack = Stack::new(&app, "S", StackProps::default());
    let vpc = vpc(&stack);
    let kms = Bucket::new(
        &stack,
        "Kms",
        BucketProps {
            encryption: BucketEncryption::KmsManaged,
            ..Default::default()
        },
    );
    let alb = ApplicationLoadBalancer::new(
        &stack,
        "Alb",
        &vpc,
        ApplicationLoadBalancerProps {
            internet_facing: true,
            vpc_subnets: Some(SubnetSelection::group("Private")),
            ..Default::default()
        },
    );
    alb.log_access_logs(&kms, Some("/logs"));
    let tg = ApplicationTargetGroup::new(
        &stack,
        "Tg",
        &vpc,
        ApplicationTargetGroupProps {
            health_check: HealthCheck {
                interval: Some(Duration::from_secs(5)),
                timeout: Some(Duration::from_secs(5)),
                healthy_threshold_count: Some(11),
                healthy_http_codes: Some("200-".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    alb.add_listener(
        "Listener",
        ApplicationListenerProps {
            port: 0,
            default_target_groups: vec![tg],
            ..Default::default()
        },
    );
    alb.add_listener(
        "Empty",
        ApplicationListenerProps {
            port: 443,
            protocol: ApplicationProtocol::Https,
            ..Default::default()
        },
    );
    let e = app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string());
    for expected in [
        "S/Alb: vpc_subnets: an internet-facing load balancer goes in public subnets",
        "S/Alb: access logs: bucket 'S/Kms' is encrypted with KMS",
        "S/Alb: access logs: prefix '/logs' is invalid",
        "S/Tg: port 0 is out of range 1-65535",
        "S/Tg: health_check.timeout 5s must be less than the interval 5s",
        "S/Tg: health_check.healthy_threshold_count 11 is out of range 2-10",
        "S/Tg: health_check.healthy_http_codes '200-' is invalid",
        "S/Alb/Listener: port 0 is out of range 1-65535",
        "S/Alb/Empty: an HTTPS listener needs a certificate",
        "S/Alb/Empty: the listener has no default action",
    ] {
        assert!(e.contains(expected), "{expected}\n{e}");
    }
}
