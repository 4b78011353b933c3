//! The generated L1 layer: one resource of each of 20 services the seed never
//! used, across two stacks with a cross-stack attribute reference, synthesizes
//! and passes cfn-lint without an error or a warning.

use constructs::cfn::{
    apigateway, appsync, athena, batch, cloudfront, codebuild, cognito, dynamodb, ecr, ecs, efs, glue, iam, kinesis,
    kms, opensearchservice, pipes, route53, scheduler, sqs, wafv2,
};
use constructs::core::{App, Pseudo, Stack, StackProps, Value};
use serde_json::json;

use crate::support;

/// A shop's nightly export: a table streaming its changes through a pipe into a queue in another stack.
fn shop(app: &App) {
    let data = Stack::new(app, "ShopDataStack", StackProps::default());
    let table = dynamodb::CfnTable::new(
        &data,
        "Orders",
        dynamodb::CfnTableProps {
            key_schema: Some(Value::list([dynamodb::table::KeySchema {
                attribute_name: Some("orderId".into()),
                key_type: Some("HASH".into()),
            }])),
            attribute_definitions: Some(Value::list([dynamodb::table::AttributeDefinition {
                attribute_name: Some("orderId".into()),
                attribute_type: Some(dynamodb::table::AttributeDefinitionAttributeType::S.into()),
            }])),
            billing_mode: Some(dynamodb::table::TableBillingMode::PayPerRequest.into()),
            stream_specification: Some(
                dynamodb::table::StreamSpecification {
                    stream_view_type: Some(dynamodb::table::StreamSpecificationStreamViewType::NewImage.into()),
                    ..Default::default()
                }
                .into(),
            ),
            point_in_time_recovery_specification: Some(
                dynamodb::table::PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                }
                .into(),
            ),
            ..Default::default()
        },
    );
    kms::CfnKey::new(
        &data,
        "Key",
        kms::CfnKeyProps {
            enable_key_rotation: Some(true.into()),
            ..Default::default()
        },
    );
    efs::CfnFileSystem::new(
        &data,
        "Files",
        efs::CfnFileSystemProps {
            encrypted: Some(true.into()),
            ..Default::default()
        },
    );
    kinesis::CfnStream::new(
        &data,
        "Clicks",
        kinesis::CfnStreamProps {
            shard_count: Some(1.into()),
            ..Default::default()
        },
    );
    glue::CfnDatabase::new(
        &data,
        "Catalog",
        glue::CfnDatabaseProps {
            catalog_id: Some(Pseudo::AccountId.into()),
            database_input: Some(
                glue::database::DatabaseInput {
                    name: Some("shop".into()),
                    ..Default::default()
                }
                .into(),
            ),
            ..Default::default()
        },
    );
    athena::CfnWorkGroup::new(
        &data,
        "Analysts",
        athena::CfnWorkGroupProps {
            name: Some("shop-analysts".into()),
            ..Default::default()
        },
    );
    ecr::CfnRepository::new(&data, "Images", ecr::CfnRepositoryProps::default());
    opensearchservice::CfnDomain::new(&data, "Search", opensearchservice::CfnDomainProps::default());
    route53::CfnHostedZone::new(
        &data,
        "Zone",
        route53::CfnHostedZoneProps {
            name: Some("shop.example.com.".into()),
            ..Default::default()
        },
    );

    let consumers = Stack::new(app, "ShopConsumersStack", StackProps::default());
    let queue = sqs::CfnQueue::new(
        &consumers,
        "Exports",
        sqs::CfnQueueProps {
            visibility_timeout: Some(60.into()),
            sqs_managed_sse_enabled: Some(true.into()),
            ..Default::default()
        },
    );
    let role = iam::CfnRole::new(
        &consumers,
        "PipeRole",
        iam::CfnRoleProps {
            assume_role_policy_document: Some(Value::from(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "pipes.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                }]
            }))),
            ..Default::default()
        },
    );
    // The cross-stack reference: the table's stream ARN, a typed attribute of the other stack.
    let stream: dynamodb::TableStreamArn = table.attr_stream_arn();
    pipes::CfnPipe::new(
        &consumers,
        "OrdersToExports",
        pipes::CfnPipeProps {
            role_arn: Some(role.attr_arn().into()),
            source: Some(stream.into()),
            source_parameters: Some(
                pipes::pipe::PipeSourceParameters {
                    dynamo_db_stream_parameters: Some(
                        pipes::pipe::PipeSourceDynamoDBStreamParameters {
                            starting_position: Some(pipes::pipe::DynamoDBStreamStartPosition::Latest.into()),
                            ..Default::default()
                        }
                        .into(),
                    ),
                    ..Default::default()
                }
                .into(),
            ),
            target: Some(queue.attr_arn().into()),
            ..Default::default()
        },
    );
    ecs::CfnCluster::new(&consumers, "Workers", ecs::CfnClusterProps::default());
    apigateway::CfnRestApi::new(
        &consumers,
        "Api",
        apigateway::CfnRestApiProps {
            name: Some("shop".into()),
            ..Default::default()
        },
    );
    cloudfront::CfnOriginAccessControl::new(
        &consumers,
        "Oac",
        cloudfront::CfnOriginAccessControlProps {
            origin_access_control_config: Some(
                cloudfront::origin_access_control::OriginAccessControlConfig {
                    name: Some("shop".into()),
                    origin_access_control_origin_type: Some("s3".into()),
                    signing_behavior: Some("always".into()),
                    signing_protocol: Some("sigv4".into()),
                    ..Default::default()
                }
                .into(),
            ),
        },
    );
    appsync::CfnGraphQLApi::new(
        &consumers,
        "Graph",
        appsync::CfnGraphQLApiProps {
            name: Some("shop".into()),
            authentication_type: Some("AWS_IAM".into()),
            ..Default::default()
        },
    );
    cognito::CfnUserPool::new(&consumers, "Customers", cognito::CfnUserPoolProps::default());
    wafv2::CfnIPSet::new(
        &consumers,
        "Blocked",
        wafv2::CfnIPSetProps {
            addresses: Some(Value::list(["192.0.2.0/24"])),
            ip_address_version: Some("IPV4".into()),
            scope: Some("REGIONAL".into()),
            ..Default::default()
        },
    );
    batch::CfnSchedulingPolicy::new(&consumers, "Fair", batch::CfnSchedulingPolicyProps::default());
    codebuild::CfnReportGroup::new(
        &consumers,
        "Reports",
        codebuild::CfnReportGroupProps {
            type_: Some("TEST".into()),
            export_config: Some(
                codebuild::report_group::ReportExportConfig {
                    export_config_type: Some("NO_EXPORT".into()),
                    ..Default::default()
                }
                .into(),
            ),
            ..Default::default()
        },
    );
    scheduler::CfnScheduleGroup::new(&consumers, "Nightly", scheduler::CfnScheduleGroupProps::default());
}

#[test]
fn twenty_services_through_generated_types_pass_cfn_lint() {
    let (_dir, assembly) = support::synth(shop);
    let stacks = &assembly.synthesis.stacks;
    let templates: Vec<_> = stacks
        .iter()
        .map(|s| assembly.directory.join(format!("{}.template.json", s.artifact_id)))
        .collect();
    let types: std::collections::BTreeSet<String> = stacks
        .iter()
        .flat_map(|s| {
            s.template["Resources"]
                .as_object()
                .map(|r| {
                    r.values()
                        .filter_map(|v| v["Type"].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect();
    let services: std::collections::BTreeSet<&str> = types.iter().filter_map(|t| t.split("::").nth(1)).collect();
    for s in [
        "DynamoDB",
        "SQS",
        "ECS",
        "ApiGateway",
        "CloudFront",
        "KMS",
        "Route53",
        "EFS",
        "Kinesis",
        "Glue",
        "AppSync",
        "Cognito",
        "ECR",
        "WAFv2",
        "Batch",
        "CodeBuild",
        "Athena",
        "OpenSearchService",
        "Scheduler",
        "Pipes",
    ] {
        assert!(services.contains(s), "no {s} resource in {types:?}");
    }
    let consumers = assembly.stack("ShopConsumersStack").expect("the consumers stack");
    let pipe = consumers.template["Resources"]
        .as_object()
        .and_then(|r| r.values().find(|v| v["Type"] == "AWS::Pipes::Pipe"))
        .expect("a pipe");
    assert!(
        pipe["Properties"]["Source"].get("Fn::ImportValue").is_some(),
        "the stream ARN crosses stacks as an import: {}",
        pipe["Properties"]["Source"]
    );
    if let Some(lint) = support::cfn_lint(&templates) {
        lint.assert_clean();
    }
}

#[test]
fn a_raw_resource_of_the_type_has_a_typed_view() {
    let app = App::new();
    let stack = Stack::new(&app, "Shop", StackProps::default());
    let queue = constructs::core::CfnResource::new(&stack, "Queue", "AWS::SQS::Queue");
    let typed = sqs::CfnQueue::from_resource(queue.clone()).expect("a queue");
    assert_eq!(typed.logical_id(), queue.logical_id());
    assert!(dynamodb::CfnTable::from_resource(queue).is_none());
}

#[test]
fn a_required_property_left_unset_in_a_generated_type_is_a_synth_error() {
    let app = App::new();
    let stack = Stack::new(&app, "Shop", StackProps::default());
    pipes::CfnPipe::new(&stack, "Pipe", pipes::CfnPipeProps::default());
    let err = app.synth().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("Shop/Pipe: AWS::Pipes::Pipe requires `RoleArn`, `Source`, `Target`: set them"),
        "{err}"
    );
}
