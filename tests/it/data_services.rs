//! The DynamoDB `Table` and SQS `Queue` constructs and their Step Functions
//! tasks, in one stack: the snapshot, cfn-lint, both ASL validators, the
//! execution role's least privilege, the simulator, and a deploy to the local
//! AWS harness in which the state machine writes, updates and reads back an
//! item and sends it to the queue. checkov runs on it in `security.rs`.

use std::time::Duration;

use constructs::aws::dynamodb::{Attribute, GlobalSecondaryIndex, Projection, StreamViewType, Table, TableProps};
use constructs::aws::iam::{Principal, Role, RoleProps};
use constructs::aws::sqs::{DeadLetterQueue, Queue, QueueProps};
use constructs::aws::stepfunctions::{
    Chainable, DynamoAttributeValue, DynamoGetItem, DynamoPutItem, DynamoReturnValues, DynamoUpdateItem, JsonPath,
    SqsSendMessage, StateGraph, StateMachine, StateMachineProps, TaskInput, TaskProps,
};
use constructs::core::{App, CfnOutput, CfnOutputProps, Stack, StackProps, Value};
use serde_json::{json, Value as Json};

use crate::support;

/// The stack's id in the snapshot and the validator tests.
pub const STACK: &str = "OrderExportStack";

/// An order export: orders in a table, a state machine saving an order, marking
/// it exported, reading it back and queueing it for a worker, which may read the
/// table and consume the queue (with a dead-letter queue).
pub fn order_export(app: &App, stack_id: &str) {
    let stack = Stack::new(app, stack_id, StackProps::default());
    let orders = Table::new(
        &stack,
        "Orders",
        TableProps {
            partition_key: Attribute::string("orderId"),
            stream: Some(StreamViewType::NewImage),
            time_to_live_attribute: Some("expiresAt".into()),
            global_secondary_indexes: vec![GlobalSecondaryIndex {
                index_name: "byCustomer".into(),
                partition_key: Attribute::string("customerId"),
                sort_key: Some(Attribute::number("total")),
                projection: Projection::KeysOnly,
                ..Default::default()
            }],
            ..Default::default()
        },
    );
    let failed = Queue::new(
        &stack,
        "FailedExports",
        QueueProps {
            retention_period: Some(Duration::from_secs(14 * 24 * 3600)),
            ..Default::default()
        },
    );
    let exports = Queue::new(
        &stack,
        "Exports",
        QueueProps {
            visibility_timeout: Some(Duration::from_secs(60)),
            dead_letter_queue: Some(DeadLetterQueue {
                queue: failed,
                max_receive_count: 3,
            }),
            ..Default::default()
        },
    );
    let worker = Role::new(
        &stack,
        "ExportWorker",
        RoleProps {
            assumed_by: Principal::service("lambda.amazonaws.com"),
            ..Default::default()
        },
    );
    orders.grant_read_data(&worker);
    exports.grant_consume_messages(&worker);

    let g = StateGraph::new();
    let save = g.task(
        "SaveOrder",
        DynamoPutItem::new(
            &orders,
            [
                ("orderId", DynamoAttributeValue::string_at("$.orderId")),
                ("customerId", DynamoAttributeValue::string_at("$.customerId")),
                ("total", DynamoAttributeValue::number_at("$.total")),
                ("status", DynamoAttributeValue::string("NEW")),
            ],
        ),
        TaskProps {
            result_path: Some(JsonPath::Null),
            ..Default::default()
        },
    );
    let mark = g.task(
        "MarkExported",
        DynamoUpdateItem {
            expression_attribute_names: [("#s".to_owned(), "status".to_owned())].into_iter().collect(),
            expression_attribute_values: [(":s".to_owned(), DynamoAttributeValue::string("EXPORTED"))]
                .into_iter()
                .collect(),
            return_values: DynamoReturnValues::UpdatedNew,
            ..DynamoUpdateItem::new(
                &orders,
                [("orderId", DynamoAttributeValue::string_at("$.orderId"))],
                "SET #s = :s",
            )
        },
        TaskProps {
            result_path: Some(JsonPath::Null),
            ..Default::default()
        },
    );
    let read = g.task(
        "ReadOrder",
        DynamoGetItem {
            consistent_read: true,
            ..DynamoGetItem::new(&orders, [("orderId", DynamoAttributeValue::string_at("$.orderId"))])
        },
        TaskProps {
            result_selector: Some(
                Value::map()
                    .with("orderId.$", "$.Item.orderId.S")
                    .with("status.$", "$.Item.status.S")
                    .with("total.$", "$.Item.total.N"),
            ),
            result_path: Some("$.Saved".into()),
            ..Default::default()
        },
    );
    let send = g.task(
        "QueueExport",
        SqsSendMessage::new(&exports, TaskInput::Path("$.Saved".into())),
        TaskProps {
            result_selector: Some(Value::map().with("messageId.$", "$.MessageId")),
            result_path: Some("$.Sent".into()),
            ..Default::default()
        },
    );
    save.next(&mark).next(&read).next(&send);
    send.end();
    StateMachine::new(
        &stack,
        "ExportOrder",
        StateMachineProps {
            definition: g,
            ..Default::default()
        },
    );
    for (id, value) in [
        ("OrdersTableName", orders.name().value()),
        ("ExportsQueueUrl", exports.url().value()),
    ] {
        CfnOutput::new(
            &stack,
            id,
            CfnOutputProps {
                value,
                ..Default::default()
            },
        );
    }
}

fn synth() -> (tempfile::TempDir, constructs::core::CloudAssembly) {
    support::synth(|app| order_export(app, STACK))
}

fn template(assembly: &constructs::core::CloudAssembly) -> &Json {
    &assembly.stack(STACK).expect("the stack").template
}

#[test]
fn the_template_matches_the_snapshot() {
    let (_dir, assembly) = synth();
    insta::assert_json_snapshot!(STACK, template(&assembly));
}

#[test]
fn cfn_lint_finds_no_errors_or_warnings() {
    let (_dir, assembly) = synth();
    let Some(lint) = support::cfn_lint(&[assembly.directory.join(format!("{STACK}.template.json"))]) else {
        return;
    };
    lint.assert_clean();
}

#[test]
fn the_definition_passes_our_validator_and_asl_validator() {
    let (dir, assembly) = synth();
    let defs = support::definitions(&assembly);
    assert_eq!(defs.len(), 1, "{defs:?}");
    let json: Json = serde_json::from_str(&defs[0].1).expect("JSON");
    let errors = constructs::aws::stepfunctions::validate_definition(&json);
    assert!(errors.is_empty(), "{errors:?}");
    for (state, resource) in [
        ("SaveOrder", "arn:aws:states:::dynamodb:putItem"),
        ("MarkExported", "arn:aws:states:::dynamodb:updateItem"),
        ("ReadOrder", "arn:aws:states:::dynamodb:getItem"),
        ("QueueExport", "arn:aws:states:::sqs:sendMessage"),
    ] {
        assert_eq!(json["States"][state]["Resource"], resource, "{json}");
    }
    let Some(rejected) = support::asl_validator_rejections(dir.path(), &defs) else {
        return;
    };
    assert!(rejected.is_empty(), "{}", rejected.join("\n"));
}

#[test]
fn the_machine_may_do_exactly_what_its_tasks_do_and_the_worker_what_it_was_granted() {
    let (_dir, assembly) = synth();
    let t = template(&assembly);
    let resources = t["Resources"].as_object().expect("resources");
    let id_of = |path: &str| {
        resources
            .iter()
            .find(|(_, r)| r["Metadata"]["aws:cdk:path"] == path)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no resource at {path}"))
    };
    let table = json!({"Fn::GetAtt": [id_of(&format!("{STACK}/Orders/Resource")), "Arn"]});
    let queue = json!({"Fn::GetAtt": [id_of(&format!("{STACK}/Exports/Resource")), "Arn"]});
    let statements = |policy_path: &str| -> Vec<Json> {
        let policy = &resources[&id_of(policy_path)];
        policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let machine: Vec<Json> = statements(&format!("{STACK}/ExportOrder/Role/DefaultPolicy/Resource"))
        .into_iter()
        .filter(|s| {
            s["Action"]
                .as_str()
                .is_some_and(|a| a.starts_with("dynamodb:") || a.starts_with("sqs:"))
        })
        .collect();
    assert_eq!(
        machine,
        [
            json!({"Action": "dynamodb:PutItem", "Effect": "Allow", "Resource": table}),
            json!({"Action": "dynamodb:UpdateItem", "Effect": "Allow", "Resource": table}),
            json!({"Action": "dynamodb:GetItem", "Effect": "Allow", "Resource": table}),
            json!({"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": queue}),
        ]
    );
    let index = json!({"Fn::Join": ["", [table, "/index/*"]]});
    assert_eq!(
        statements(&format!("{STACK}/ExportWorker/DefaultPolicy/Resource")),
        [
            json!({
                "Action": [
                    "dynamodb:BatchGetItem", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query",
                    "dynamodb:GetItem", "dynamodb:Scan", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"
                ],
                "Effect": "Allow",
                "Resource": [table, index]
            }),
            json!({
                "Action": [
                    "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes"
                ],
                "Effect": "Allow",
                "Resource": queue
            }),
        ]
    );
}

#[test]
fn the_simulator_runs_the_machine_from_mocks() {
    use constructs::aws::stepfunctions::simulate::{simulate, state_machine_definition, MockConfig, SimulateOptions};
    let (_dir, assembly) = synth();
    let definition =
        state_machine_definition(&assembly, &format!("{STACK}/ExportOrder")).unwrap_or_else(|e| panic!("{e}"));
    let mocks = MockConfig::from_json(
        json!({
            "StateMachines": { "ExportOrder": { "TestCases": { "Exported": {
                "SaveOrder": "Empty", "MarkExported": "Empty", "ReadOrder": "Item", "QueueExport": "Sent"
            } } } },
            "MockedResponses": {
                "Empty": { "0": { "Return": {} } },
                "Item": { "0": { "Return": { "Item": {
                    "orderId": {"S": "o-1"}, "status": {"S": "EXPORTED"}, "total": {"N": "42"}
                } } } },
                "Sent": { "0": { "Return": { "MessageId": "m-1" } } }
            }
        }),
        "mocks.json",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let case = mocks
        .test_case("ExportOrder", "Exported")
        .unwrap_or_else(|e| panic!("{e}"));
    let input = json!({"orderId": "o-1", "customerId": "c-7", "total": 42});
    let run = simulate(&definition, &input, &case, &SimulateOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.status, "SUCCEEDED", "{:?}: {:?}", run.error, run.cause);
    assert_eq!(run.path, ["SaveOrder", "MarkExported", "ReadOrder", "QueueExport"]);
    assert_eq!(
        run.output,
        Some(json!({
            "orderId": "o-1",
            "customerId": "c-7",
            "total": 42,
            "Saved": {"orderId": "o-1", "status": "EXPORTED", "total": "42"},
            "Sent": {"messageId": "m-1"}
        }))
    );
}

mod deploy {
    use std::time::Duration;

    use constructs::deploy::{ConnectOptions, DeployOptions, Deployer, DestroyOptions, RequireApproval, Selection};
    use serde_json::json;

    use crate::support;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_state_machine_writes_an_item_and_sends_a_message_on_the_harness() {
        let Some(endpoint) = support::harness_endpoint() else {
            return;
        };
        let region = "eu-central-2";
        let stack = format!("OrderExport{:x}", std::process::id());
        let d = Deployer::connect(ConnectOptions {
            region: Some(region.to_owned()),
            poll_interval: Some(Duration::from_millis(50)),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        d.bootstrap(true).await.unwrap_or_else(|e| panic!("{e}"));
        let (_dir, assembly) = support::synth(|app| super::order_export(app, &stack));
        let selection = Selection {
            stacks: vec![stack.clone()],
            exclusively: true,
            ..Default::default()
        };
        let report = d
            .deploy(
                &assembly,
                &DeployOptions {
                    selection: selection.clone(),
                    require_approval: RequireApproval::Never,
                    quiet: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_success(), "{report}");

        // The harness names the machine `<stack>-<logical id>-<suffix>`: this run's machine only.
        let machine = support::machine_arn(&endpoint, region, &format!("{stack}-ExportOrder"));
        let input = json!({"orderId": "o-1", "customerId": "c-7", "total": 42});
        let (execution, states) = support::execute(&endpoint, region, &machine, &input, Duration::from_secs(60));
        assert_eq!(execution["status"], "SUCCEEDED", "{execution}\n{states:?}");
        assert_eq!(states, ["SaveOrder", "MarkExported", "ReadOrder", "QueueExport"]);
        let output: serde_json::Value =
            serde_json::from_str(execution["output"].as_str().unwrap_or_default()).expect("JSON output");
        // The item read back is the one written, as updated.
        assert_eq!(
            output["Saved"],
            json!({"orderId": "o-1", "status": "EXPORTED", "total": "42"}),
            "{output}"
        );
        let message_id = output["Sent"]["messageId"].as_str().unwrap_or_default().to_owned();
        assert!(!message_id.is_empty(), "{output}");

        // The services' own APIs agree: the item is in the table, the message in the queue.
        let config = constructs::deploy::config_loader()
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        let described = aws_sdk_cloudformation::Client::new(&config)
            .describe_stacks()
            .stack_name(&stack)
            .send()
            .await
            .expect("DescribeStacks");
        let outputs: Vec<(String, String)> = described
            .stacks()
            .iter()
            .flat_map(|s| s.outputs())
            .map(|o| {
                (
                    o.output_key().unwrap_or_default().to_owned(),
                    o.output_value().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let output_of = |key: &str| {
            outputs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no output {key}: {outputs:?}"))
        };
        let item = support::harness_post(
            &endpoint,
            "/",
            region,
            "dynamodb",
            Some("DynamoDB_20120810.GetItem"),
            &json!({"TableName": output_of("OrdersTableName"), "Key": {"orderId": {"S": "o-1"}}, "ConsistentRead": true}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(item["Item"]["customerId"], json!({"S": "c-7"}), "{item}");
        assert_eq!(item["Item"]["status"], json!({"S": "EXPORTED"}), "{item}");
        let received = support::harness_post(
            &endpoint,
            "/",
            region,
            "sqs",
            Some("AmazonSQS.ReceiveMessage"),
            &json!({"QueueUrl": output_of("ExportsQueueUrl"), "MaxNumberOfMessages": 10}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let messages = received["Messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(messages.len(), 1, "{received}");
        assert_eq!(messages[0]["MessageId"], message_id.as_str());
        let body: serde_json::Value =
            serde_json::from_str(messages[0]["Body"].as_str().unwrap_or_default()).expect("a JSON body");
        assert_eq!(body, output["Saved"]);

        let destroyed = d
            .destroy(
                &assembly,
                &DestroyOptions {
                    selection,
                    force: true,
                    quiet: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(destroyed.is_success(), "{destroyed}");
    }
}
