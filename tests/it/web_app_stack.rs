//! `WebAppStack` (seed 001): the template snapshot, golden logical IDs from
//! the CDK's synthesis of the seed, references that resolve, cfn-lint, and
//! the seed's settings resource by resource.

use std::collections::BTreeSet;

use app::web_app_stack::{
    assets_dir, WebAppStack, WebAppStackProps, CERTIFICATE_ARN_CONTEXT, CLOUDWATCH_AGENT_CONFIG_FILE, KEY_PAIR_CONTEXT,
};
use constructs::assertions::{Match, Template};
use constructs::aws::elbv2::DEFAULT_SSL_POLICY;
use constructs::core::{App, Pseudo, Tags};
use serde_json::{json, Value as Json};

use crate::support;

const STACK: &str = "WebAppStack";

/// The stack as `app::build` makes it, synthesized with extra context.
fn template_with(context: &[(&str, Json)]) -> Json {
    let mut all = support::app_context();
    all.extend(context.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let app = App::with_context(all);
    let web = WebAppStack::new(&app, STACK, WebAppStackProps::default());
    Tags::of(web.stack()).add("stackId", Pseudo::StackId);
    let synthesis = app.synth().unwrap_or_else(|e| panic!("{e}"));
    synthesis
        .stacks
        .into_iter()
        .find(|s| s.artifact_id == STACK)
        .expect("the stack")
        .template
}

fn template() -> Json {
    template_with(&[])
}

fn resources(t: &Json) -> &serde_json::Map<String, Json> {
    t["Resources"].as_object().expect("resources")
}

fn of_type<'a>(t: &'a Json, ty: &str) -> Vec<(&'a String, &'a Json)> {
    resources(t).iter().filter(|(_, r)| r["Type"] == ty).collect()
}

#[test]
fn template_matches_the_snapshot() {
    insta::assert_json_snapshot!("web_app_stack", template());
}

/// Every WebAppStack row of the CDK's own logical IDs for the seed app
/// (`fixtures/cdk-logical-ids-seed001.tsv`) names a resource of our template
/// with that logical ID, type and path.
#[test]
fn logical_ids_match_the_cdk_seed_app() {
    let t = template();
    let tsv = include_str!("fixtures/cdk-logical-ids-seed001.tsv");
    let mut checked = 0;
    let mut missing = Vec::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, id, ty] = cols[..] else { continue };
        if !path.starts_with(&format!("{STACK}/")) {
            continue;
        }
        checked += 1;
        let resource = &t["Resources"][id];
        if resource["Type"] != ty || resource["Metadata"]["aws:cdk:path"] != path {
            missing.push(format!("{path}: no {ty} with logical id {id}"));
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {checked} rows do not match:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert_eq!(checked, 55, "the TSV has 55 rows for {STACK}");
}

/// Collects the targets of every `Ref`, `Fn::GetAtt` and `Fn::FindInMap`.
fn references(v: &Json, refs: &mut Vec<String>, atts: &mut Vec<String>, maps: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            if let Some(Json::String(r)) = o.get("Ref") {
                refs.push(r.clone());
            }
            if let Some(Json::Array(a)) = o.get("Fn::GetAtt") {
                if let Some(Json::String(r)) = a.first() {
                    atts.push(r.clone());
                }
            }
            if let Some(Json::Array(a)) = o.get("Fn::FindInMap") {
                if let Some(Json::String(m)) = a.first() {
                    maps.push(m.clone());
                }
            }
            o.values().for_each(|x| references(x, refs, atts, maps));
        }
        Json::Array(a) => a.iter().for_each(|x| references(x, refs, atts, maps)),
        _ => {}
    }
}

#[test]
fn every_reference_targets_an_element_of_the_template() {
    let t = template();
    let (mut refs, mut atts, mut maps) = (Vec::new(), Vec::new(), Vec::new());
    references(&t["Resources"], &mut refs, &mut atts, &mut maps);
    references(&t["Outputs"], &mut refs, &mut atts, &mut maps);
    let names = |section: &str| -> BTreeSet<String> {
        t[section]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (res, params, mappings) = (names("Resources"), names("Parameters"), names("Mappings"));
    for r in &refs {
        assert!(
            res.contains(r) || params.contains(r) || r.starts_with("AWS::"),
            "Ref {r} targets nothing in the template"
        );
    }
    for a in &atts {
        assert!(
            res.contains(a),
            "Fn::GetAtt of {a}, which is not a resource of the template"
        );
    }
    for m in &maps {
        assert!(
            mappings.contains(m),
            "Fn::FindInMap in {m}, which is not a mapping of the template"
        );
    }
    for (id, r) in resources(&t) {
        for d in r["DependsOn"].as_array().into_iter().flatten() {
            let d = d.as_str().unwrap_or_default();
            assert!(
                res.contains(d),
                "{id} depends on {d}, which is not a resource of the template"
            );
        }
    }
    assert!(
        refs.len() > 50 && atts.len() > 10,
        "{} Refs, {} GetAtts",
        refs.len(),
        atts.len()
    );
}

#[test]
fn the_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join(format!("{STACK}.template.json"));
    std::fs::write(&file, serde_json::to_string_pretty(&template()).expect("json")).expect("write");
    let Some(lint) = support::cfn_lint(&[file]) else {
        return;
    };
    lint.assert_clean();
}

#[test]
fn the_app_builds_the_web_stack_tagged_with_its_stack_id() {
    let (_dir, assembly) = support::synth(app::build);
    let t = &assembly.stack(STACK).expect("WebAppStack in app::build").template;
    let vpc = &t["Resources"]["Vpc8378EB38"]["Properties"]["Tags"];
    assert_eq!(
        *vpc,
        json!([{"Key": "Name", "Value": "WebAppStack/Vpc"}, {"Key": "stackId", "Value": {"Ref": "AWS::StackId"}}])
    );
    let parameter = &t["Resources"]["CloudWatchParameter5CE1798A"]["Properties"]["Tags"];
    assert_eq!(*parameter, json!({"stackId": {"Ref": "AWS::StackId"}}));
}

#[test]
fn web_servers_one_per_private_subnet_registered_with_the_target_group() {
    let t = template();
    let instances = of_type(&t, "AWS::EC2::Instance");
    assert_eq!(instances.len(), 2);
    for (i, (id, r)) in instances.iter().enumerate() {
        let p = &r["Properties"];
        assert_eq!(p["InstanceType"], "t3.micro", "{id}");
        assert_eq!(p["MetadataOptions"], json!({"HttpTokens": "required"}), "{id}");
        assert_eq!(
            p["SecurityGroupIds"],
            json!([{"Fn::GetAtt": ["WebSg75AA54D5", "GroupId"]}]),
            "{id}"
        );
        assert_eq!(
            p["AvailabilityZone"],
            json!({"Fn::Select": [i, {"Fn::GetAZs": ""}]}),
            "{id}"
        );
        assert!(
            p.get("KeyName").is_none(),
            "{id}: no key pair without the context value"
        );
        assert_eq!(
            p["ImageId"],
            json!({"Ref": "SsmParameterValueawsserviceamiamazonlinuxlatestamzn2amikernel510hvmx8664gp2C96584B6F00A464EAD1953AFF4B05118Parameter"})
        );
        let user_data = p["UserData"]["Fn::Base64"].as_str().unwrap_or_default();
        assert!(user_data.starts_with("#!/bin/bash\n"), "{id}");
        let route = [
            "VpcPrivateSubnet1DefaultRouteBE02A9ED",
            "VpcPrivateSubnet2DefaultRoute060D2087",
        ][i];
        let association = [
            "VpcPrivateSubnet1RouteTableAssociation70C59FA6",
            "VpcPrivateSubnet2RouteTableAssociationA89CAD56",
        ][i];
        assert_eq!(
            r["DependsOn"],
            json!(["SsmIamRole2DEDED82", route, association]),
            "{id}"
        );
    }
    let subnets: Vec<&Json> = instances.iter().map(|(_, r)| &r["Properties"]["SubnetId"]).collect();
    assert_eq!(
        subnets,
        [
            &json!({"Ref": "VpcPrivateSubnet1Subnet536B997A"}),
            &json!({"Ref": "VpcPrivateSubnet2Subnet3788AAA1"})
        ]
    );
    let tg = &t["Resources"]["TargetGroup3D7CD9B8"]["Properties"];
    assert_eq!(
        tg["Targets"],
        json!([
            {"Id": {"Ref": "Ec2Instance0648B0054"}, "Port": 80},
            {"Id": {"Ref": "Ec2Instance10294B140"}, "Port": 80}
        ])
    );
    assert_eq!(tg["HealthCheckPath"], "/phpinfo.php");
    assert_eq!(tg["Matcher"], json!({"HttpCode": "200"}));
    assert_eq!(
        (
            &tg["HealthyThresholdCount"],
            &tg["UnhealthyThresholdCount"],
            &tg["HealthCheckIntervalSeconds"],
            &tg["HealthCheckTimeoutSeconds"]
        ),
        (&json!(2), &json!(2), &json!(30), &json!(5))
    );
    let profile = &t["Resources"]["Ec2Instance0InstanceProfile93D2088A"]["Properties"];
    assert_eq!(profile["Roles"], json!([{"Ref": "SsmIamRole2DEDED82"}]));
}

#[test]
fn the_key_pair_comes_from_the_context() {
    let t = Template::from_json(template_with(&[(KEY_PAIR_CONTEXT, json!("web-key"))]));
    t.resource_count_is("AWS::EC2::Instance", 2);
    t.all_resources_properties("AWS::EC2::Instance", json!({"KeyName": "web-key"}));
}

#[test]
fn with_a_certificate_the_listener_serves_https_and_port_80_redirects_to_it() {
    let certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100";
    let t = Template::from_json(template_with(&[(CERTIFICATE_ARN_CONTEXT, json!(certificate))]));
    t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 2);
    let https = t.find_resources(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Properties": {
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": DEFAULT_SSL_POLICY,
            "Certificates": [{"CertificateArn": certificate}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": Match::string_like_regexp("^TargetGroup")}}]
        }}),
    );
    assert_eq!(
        https.keys().collect::<Vec<_>>(),
        ["AlbListener86261768"],
        "the listener keeps its logical id"
    );
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
        }),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": [
            {"CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80, "IpProtocol": "tcp"},
            {"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"}
        ]}),
    );
    // Without the context value, the seed's HTTP listener only (the snapshot pins the rest).
    let plain = Template::from_json(template());
    plain.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1);
    plain.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Port": 80, "Protocol": "HTTP", "SslPolicy": Match::absent()}),
    );
}

#[test]
fn security_groups_allow_http_to_the_alb_http_from_it_and_mysql_from_the_web_servers() {
    let t = template();
    let r = &t["Resources"];
    assert_eq!(
        r["AlbSg1155C1BE"]["Properties"]["SecurityGroupIngress"],
        json!([{"CidrIp": "0.0.0.0/0", "Description": "Allow inbound HTTP", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80}]),
        "one rule: the listener's own 'open' rule is the same rule"
    );
    let web = &r["WebSgfromWebAppStackAlbSg55C35BB080900B07C8"]["Properties"];
    assert_eq!(
        web["SourceSecurityGroupId"],
        json!({"Fn::GetAtt": ["AlbSg1155C1BE", "GroupId"]})
    );
    assert_eq!(web["GroupId"], json!({"Fn::GetAtt": ["WebSg75AA54D5", "GroupId"]}));
    let db = &r["DbSgfromWebAppStackWebSgAF684AE13306E1B4F354"]["Properties"];
    assert_eq!((&db["FromPort"], &db["ToPort"]), (&json!(3306), &json!(3306)));
    assert_eq!(
        db["SourceSecurityGroupId"],
        json!({"Fn::GetAtt": ["WebSg75AA54D5", "GroupId"]})
    );
}

#[test]
fn the_alb_logs_to_its_bucket_which_only_the_regional_elb_account_may_write() {
    let t = template();
    let r = &t["Resources"];
    let alb = &r["Alb16C2F182"];
    assert_eq!(alb["Properties"]["Scheme"], "internet-facing");
    assert_eq!(
        alb["Properties"]["Subnets"],
        json!([{"Ref": "VpcPublicSubnet1Subnet5C2D37C4"}, {"Ref": "VpcPublicSubnet2Subnet691E08A3"}])
    );
    assert!(alb["DependsOn"]
        .as_array()
        .is_some_and(|d| d.contains(&json!("AlbAccessLogBucketPolicy5067FD6E"))));
    let statements = &r["AlbAccessLogBucketPolicy5067FD6E"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(statements[0]["Effect"], "Deny", "TLS only");
    assert_eq!(statements[1]["Action"], "s3:PutObject");
    assert_eq!(
        t["Mappings"]["ElbAccessLogsAccounts"]["ap-northeast-1"]["account"],
        "582318560864"
    );
    let bucket = &r["AlbAccessLogBucket2FC90506"]["Properties"];
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256"
    );
    let listener = &r["AlbListener86261768"]["Properties"];
    assert_eq!(
        listener["DefaultActions"],
        json!([{"TargetGroupArn": {"Ref": "TargetGroup3D7CD9B8"}, "Type": "forward"}])
    );
}

#[test]
fn the_database_runs_current_aurora_mysql_with_the_seed_settings() {
    let t = template();
    let r = &t["Resources"];
    let c = &r["DBCluster15AF587F"]["Properties"];
    assert_eq!(c["Engine"], "aurora-mysql");
    assert_eq!(c["EngineVersion"], "8.0.mysql_aurora.3.10.0");
    assert_eq!(c["DatabaseName"], "testDB");
    assert_eq!(c["StorageEncrypted"], true);
    assert_eq!(
        c["EnableCloudwatchLogsExports"],
        json!(["error", "general", "slowquery", "audit"])
    );
    assert_eq!(
        c["VpcSecurityGroupIds"],
        json!([{"Fn::GetAtt": ["DbSg495F8305", "GroupId"]}])
    );
    assert_eq!(
        c["MasterUsername"],
        json!({"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "DBSecretD58955BC"}, ":SecretString:username::}}"]]})
    );
    assert_eq!(
        r["DBClusterSubnets1338ED0E"]["Properties"]["SubnetIds"],
        json!([{"Ref": "VpcPrivateSubnet1Subnet536B997A"}, {"Ref": "VpcPrivateSubnet2Subnet3788AAA1"}])
    );
    for id in ["DBClusterInstance160268105", "DBClusterInstance2E3B28A27"] {
        assert_eq!(r[id]["Properties"]["DBInstanceClass"], "db.t3.medium", "{id}");
    }
    let secret = &r["DBSecretD58955BC"]["Properties"];
    assert_eq!(secret["Name"], "WebApp/DBLoginInfo");
    assert_eq!(
        secret["GenerateSecretString"],
        json!({"ExcludeCharacters": ":@/\" ", "GenerateStringKey": "password", "SecretStringTemplate": "{\"username\": \"admin\"}"})
    );
    assert_eq!(
        r["DBSecretAttachmentC565A14F"]["Properties"]["TargetId"],
        json!({"Ref": "DBCluster15AF587F"})
    );
}

#[test]
fn flow_logs_and_the_cloudwatch_agent_parameter() {
    let t = template();
    let r = &t["Resources"];
    let f = &r["FlowLogToLogs"]["Properties"];
    assert_eq!(
        f["DeliverLogsPermissionArn"],
        json!({"Fn::GetAtt": ["FlowLogsIamrole2064894C", "Arn"]})
    );
    assert_eq!(
        f["LogDestination"],
        json!({"Fn::GetAtt": ["FlowLogsLogGroup7A9FC8F5", "Arn"]})
    );
    assert_eq!(f["MaxAggregationInterval"], 60);
    assert_eq!(f["LogFormat"].as_str().map(|s| s.split(' ').count()), Some(29));
    assert_eq!(r["FlowLogsLogGroup7A9FC8F5"]["Properties"]["RetentionInDays"], 7);
    assert_eq!(
        r["FlowLogsIamPolicy698B93E4"]["Properties"]["Roles"],
        json!([{"Ref": "FlowLogsIamrole2064894C"}])
    );
    let parameter = &r["CloudWatchParameter5CE1798A"]["Properties"];
    let config = std::fs::read_to_string(assets_dir().join(CLOUDWATCH_AGENT_CONFIG_FILE)).expect("config");
    assert_eq!(parameter["Value"], config);
    assert_eq!(parameter["Name"], "AmazonCloudWatch-linux");
    let agent: Json = serde_json::from_str(&config).expect("the agent configuration is JSON");
    assert_eq!(agent["agent"]["run_as_user"], "root");
}
