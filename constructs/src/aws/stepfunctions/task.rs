//! Task integrations: what a Task state calls, and the permissions it needs.

use crate::aws::iam::PolicyStatement;
use crate::aws::lambda::{FunctionArn, IFunction};
use crate::aws::sns::{ITopic, TopicArn};
use crate::core::{Pseudo, Value};

use super::retry::{JitterStrategy, Retry};
use super::tasks_dynamodb::{DynamoGetItem, DynamoPutItem, DynamoTask, DynamoUpdateItem};
use super::tasks_sqs::SqsSendMessage;

/// The input a task passes to the service: a path into the state input, or a value.
///
/// Rendered as `"Key.$": path` or `"Key": value`.
#[derive(Clone, Debug)]
pub enum TaskInput {
    /// A JSONPath into the state input (`$` is the whole input).
    Path(String),
    /// A value; a map may hold `key.$` fields to pick parts of the input.
    Value(Value),
}

impl TaskInput {
    /// The whole state input (`$`).
    pub fn whole_input() -> TaskInput {
        TaskInput::Path("$".to_owned())
    }

    pub(crate) fn entry(&self, key: &str) -> (String, Value) {
        match self {
            TaskInput::Path(p) => (format!("{key}.$"), Value::from(p.as_str())),
            TaskInput::Value(v) => (key.to_owned(), v.clone()),
        }
    }
}

/// How Lambda runs an invocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InvocationType {
    /// Wait for the function's result (the default).
    #[default]
    RequestResponse,
    /// Queue the invocation and go on without the result.
    Event,
    /// Only check the parameters and permissions.
    DryRun,
}

/// Invokes a Lambda function (`arn:aws:states:::lambda:invoke`).
///
/// The state's result is the invocation's response: the function's return
/// value is under `Payload` (so a later state reads `$.Output.Payload...` when
/// `result_path` is `$.Output`), unless `payload_response_only` is set.
#[derive(Clone, Debug)]
pub struct LambdaInvoke {
    /// The function's ARN (from [`LambdaInvoke::new`]); a reference to a
    /// function of another stack becomes an import.
    pub function: FunctionArn,
    /// The event passed to the function. Default: the whole state input.
    pub payload: TaskInput,
    /// Use the function ARN as `Resource` and return only the function's
    /// result (the legacy integration). Default: false.
    pub payload_response_only: bool,
    /// Synchronous or asynchronous invocation. Default: `RequestResponse`.
    pub invocation_type: InvocationType,
    /// A version or alias to invoke. Default: `$LATEST` (none given).
    pub qualifier: Option<String>,
    /// Retry Lambda's transient service errors (`Lambda.ServiceException`,
    /// `Lambda.AWSLambdaException`, `Lambda.SdkClientException`,
    /// `Lambda.ClientExecutionTimeoutException`) 6 times, 2 s apart and doubling,
    /// as the AWS CDK does, and throttling (`Lambda.TooManyRequestsException`)
    /// 8 times from 2 s, doubling up to 60 s, with full jitter. Default: true.
    pub retry_on_service_exceptions: bool,
}

impl LambdaInvoke {
    /// Invokes the function (owned or imported) with the whole state input as the event.
    ///
    /// ```
    /// use constructs::aws::lambda::Function;
    /// use constructs::aws::stepfunctions::LambdaInvoke;
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let report = Function::from_function_name(&stack, "Report", "report");
    /// let invoke = LambdaInvoke::new(&report);
    /// assert!(invoke.retry_on_service_exceptions);
    /// ```
    pub fn new(function: &dyn IFunction) -> LambdaInvoke {
        LambdaInvoke::with_arn(&function.function_arn())
    }

    /// Invokes a function known only by an ARN value (an escape hatch: prefer
    /// [`LambdaInvoke::new`] with `Function::from_function_arn`, which checks the ARN).
    pub fn with_arn(function: &FunctionArn) -> LambdaInvoke {
        LambdaInvoke {
            function: function.clone(),
            payload: TaskInput::whole_input(),
            payload_response_only: false,
            invocation_type: InvocationType::RequestResponse,
            qualifier: None,
            retry_on_service_exceptions: true,
        }
    }
}

/// Publishes a message to an SNS topic (`arn:aws:states:::sns:publish`).
#[derive(Clone, Debug)]
pub struct SnsPublish {
    /// The topic's ARN (from [`SnsPublish::new`]).
    pub topic: TopicArn,
    /// The message.
    pub message: TaskInput,
    /// The subject of e-mail deliveries. Default: none.
    pub subject: Option<TaskInput>,
    /// Message attributes (a map as the SNS API takes it). Default: none.
    pub message_attributes: Option<Value>,
}

impl SnsPublish {
    /// Publishes `message` to the topic (owned or imported).
    ///
    /// ```
    /// use constructs::aws::sns::Topic;
    /// use constructs::aws::stepfunctions::{SnsPublish, TaskInput};
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let alerts = Topic::from_topic_arn(&stack, "Alerts", "arn:aws:sns:us-east-1:123456789012:alerts");
    /// let publish = SnsPublish::new(&alerts, TaskInput::whole_input());
    /// assert!(publish.subject.is_none());
    /// ```
    pub fn new(topic: &dyn ITopic, message: TaskInput) -> SnsPublish {
        SnsPublish::with_arn(&topic.topic_arn(), message)
    }

    /// Publishes to a topic known only by an ARN value (an escape hatch:
    /// prefer [`SnsPublish::new`] with `Topic::from_topic_arn`).
    pub fn with_arn(topic: &TopicArn, message: TaskInput) -> SnsPublish {
        SnsPublish {
            topic: topic.clone(),
            message,
            subject: None,
            message_attributes: None,
        }
    }
}

/// Calls any AWS API through the SDK integration
/// (`arn:aws:states:::aws-sdk:<service>:<action>`).
///
/// The execution role gets the IAM action derived from the service and action
/// (`ec2` + `describeInstances` -> `ec2:DescribeInstances`, with the SDK names
/// that differ from IAM prefixes mapped: `sfn` -> `states`,
/// `elasticloadbalancingv2` -> `elasticloadbalancing`, ...) on `iam_resources` only.
#[derive(Clone, Debug)]
pub struct AwsSdkCall {
    /// The SDK service name in lower case, e.g. `ec2`, `rds`, `ssm`.
    pub service: String,
    /// The API action in camel case, e.g. `describeInstances`.
    pub action: String,
    /// The API parameters (a map; `key.$` fields pick parts of the input). Default: none.
    pub parameters: Option<Value>,
    /// The resources the call acts on, for the execution role's policy.
    /// Required: give `["*".into()]` explicitly for actions without
    /// resource-level permissions.
    pub iam_resources: Vec<Value>,
    /// The IAM action when it cannot be derived. Default: derived.
    pub iam_action: Option<String>,
}

impl AwsSdkCall {
    /// A call of `service:action` allowed on `iam_resources`.
    pub fn new(service: &str, action: &str, iam_resources: impl IntoIterator<Item = Value>) -> AwsSdkCall {
        AwsSdkCall {
            service: service.to_owned(),
            action: action.to_owned(),
            parameters: None,
            iam_resources: iam_resources.into_iter().collect(),
            iam_action: None,
        }
    }

    /// The IAM action this call needs, e.g. `ec2:DescribeInstances`.
    pub fn derived_iam_action(&self) -> String {
        if let Some(a) = &self.iam_action {
            return a.clone();
        }
        let prefix = match self.service.as_str() {
            "cloudwatchlogs" => "logs",
            "efs" => "elasticfilesystem",
            "elasticloadbalancingv2" => "elasticloadbalancing",
            "mediapackagevod" => "mediapackage-vod",
            "mwaa" => "airflow",
            "sfn" => "states",
            other => other,
        };
        let mut chars = self.action.chars();
        let action: String = chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default();
        format!("{prefix}:{action}")
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.service.is_empty()
            || !self
                .service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            out.push(format!(
                "aws-sdk service '{}' must be the SDK service name in lower case, e.g. 'ec2' or 'elasticloadbalancingv2'",
                self.service
            ));
        }
        if !self.action.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            || !self.action.chars().all(|c| c.is_ascii_alphanumeric())
        {
            out.push(format!(
                "aws-sdk action '{}' must be the API action in camel case, e.g. 'describeInstances'",
                self.action
            ));
        }
        if self.iam_resources.is_empty() {
            out.push(format!(
                "aws-sdk call {}:{} has no iam_resources: name the resources it acts on (use [\"*\"] only for actions without resource-level permissions)",
                self.service, self.action
            ));
        }
        out
    }
}

/// Any other service integration: the `Resource` and `Parameters` as given,
/// and the policy statements the execution role needs.
#[derive(Clone, Debug, Default)]
pub struct CustomIntegration {
    /// The `Resource` ARN, e.g. `arn:aws:states:::dynamodb:putItem`.
    pub resource: Value,
    /// The `Parameters`. Default: none.
    pub parameters: Option<Value>,
    /// Statements added to the execution role. Default: none.
    pub policy_statements: Vec<PolicyStatement>,
}

/// What a Task state calls.
#[derive(Clone, Debug)]
pub enum Integration {
    /// A Lambda function.
    LambdaInvoke(LambdaInvoke),
    /// An SNS topic.
    SnsPublish(SnsPublish),
    /// Any AWS API through the SDK integration.
    AwsSdk(AwsSdkCall),
    /// Writes a DynamoDB item.
    DynamoPutItem(DynamoPutItem),
    /// Reads a DynamoDB item.
    DynamoGetItem(DynamoGetItem),
    /// Updates a DynamoDB item.
    DynamoUpdateItem(DynamoUpdateItem),
    /// Sends an SQS message.
    SqsSendMessage(SqsSendMessage),
    /// Anything else.
    Custom(CustomIntegration),
}

impl From<LambdaInvoke> for Integration {
    fn from(v: LambdaInvoke) -> Self {
        Integration::LambdaInvoke(v)
    }
}
impl From<SnsPublish> for Integration {
    fn from(v: SnsPublish) -> Self {
        Integration::SnsPublish(v)
    }
}
impl From<AwsSdkCall> for Integration {
    fn from(v: AwsSdkCall) -> Self {
        Integration::AwsSdk(v)
    }
}
impl From<DynamoPutItem> for Integration {
    fn from(v: DynamoPutItem) -> Self {
        Integration::DynamoPutItem(v)
    }
}
impl From<DynamoGetItem> for Integration {
    fn from(v: DynamoGetItem) -> Self {
        Integration::DynamoGetItem(v)
    }
}
impl From<DynamoUpdateItem> for Integration {
    fn from(v: DynamoUpdateItem) -> Self {
        Integration::DynamoUpdateItem(v)
    }
}
impl From<SqsSendMessage> for Integration {
    fn from(v: SqsSendMessage) -> Self {
        Integration::SqsSendMessage(v)
    }
}
impl From<CustomIntegration> for Integration {
    fn from(v: CustomIntegration) -> Self {
        Integration::Custom(v)
    }
}

/// Throttling is retried with backoff and full jitter, so executions throttled
/// together do not retry together: 8 attempts from 2 s, doubling, at most 60 s apart.
fn throttling_retry<S: Into<String>>(errors: impl IntoIterator<Item = S>) -> Retry {
    Retry {
        errors: errors.into_iter().map(Into::into).collect(),
        interval_seconds: Some(2),
        max_attempts: Some(8),
        backoff_rate: Some(2.0),
        max_delay_seconds: Some(60),
        jitter: JitterStrategy::Full,
    }
}

fn states_arn(rest: &str) -> Value {
    Value::concat([
        Value::from("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::from(format!(":states:::{rest}")),
    ])
}

/// A permission the execution role needs for an integration.
#[derive(Clone, Debug)]
pub(crate) enum Need {
    /// `lambda:InvokeFunction` on the function (and its versions).
    Invoke(Value),
    /// `sns:Publish` on the topic.
    Publish(Value),
    /// An action on resources.
    Action(String, Vec<Value>),
    /// A statement as given.
    Statement(PolicyStatement),
}

impl Integration {
    pub(crate) fn resource(&self) -> Value {
        match self {
            Integration::LambdaInvoke(l) if l.payload_response_only => l.function.value(),
            Integration::LambdaInvoke(_) => states_arn("lambda:invoke"),
            Integration::SnsPublish(_) => states_arn("sns:publish"),
            Integration::AwsSdk(c) => states_arn(&format!("aws-sdk:{}:{}", c.service, c.action)),
            Integration::DynamoPutItem(_) => states_arn(&format!("dynamodb:{}", DynamoPutItem::API)),
            Integration::DynamoGetItem(_) => states_arn(&format!("dynamodb:{}", DynamoGetItem::API)),
            Integration::DynamoUpdateItem(_) => states_arn(&format!("dynamodb:{}", DynamoUpdateItem::API)),
            Integration::SqsSendMessage(_) => states_arn("sqs:sendMessage"),
            Integration::Custom(c) => c.resource.clone(),
        }
    }

    pub(crate) fn parameters(&self) -> Option<Value> {
        match self {
            Integration::LambdaInvoke(l) if l.payload_response_only => match &l.payload {
                TaskInput::Path(p) if p == "$" => None,
                TaskInput::Path(p) => Some(Value::map().with("Payload.$", p.as_str())),
                TaskInput::Value(v) => Some(v.clone()),
            },
            Integration::LambdaInvoke(l) => {
                let mut v = Value::map().with("FunctionName", l.function.value());
                let (k, p) = l.payload.entry("Payload");
                v = v.with(k, p);
                match l.invocation_type {
                    InvocationType::RequestResponse => {}
                    InvocationType::Event => v = v.with("InvocationType", "Event"),
                    InvocationType::DryRun => v = v.with("InvocationType", "DryRun"),
                }
                if let Some(q) = &l.qualifier {
                    v = v.with("Qualifier", q.as_str());
                }
                Some(v)
            }
            Integration::SnsPublish(s) => {
                let mut v = Value::map().with("TopicArn", s.topic.value());
                let (k, m) = s.message.entry("Message");
                v = v.with(k, m);
                if let Some(subject) = &s.subject {
                    let (k, m) = subject.entry("Subject");
                    v = v.with(k, m);
                }
                if let Some(a) = &s.message_attributes {
                    v = v.with("MessageAttributes", a.clone());
                }
                Some(v)
            }
            Integration::AwsSdk(c) => Some(c.parameters.clone().unwrap_or_else(Value::map)),
            Integration::DynamoPutItem(t) => Some(t.parameters()),
            Integration::DynamoGetItem(t) => Some(t.parameters()),
            Integration::DynamoUpdateItem(t) => Some(t.parameters()),
            Integration::SqsSendMessage(t) => Some(t.parameters()),
            Integration::Custom(c) => c.parameters.clone(),
        }
    }

    pub(crate) fn default_retries(&self) -> Vec<Retry> {
        match self {
            Integration::LambdaInvoke(l) if l.retry_on_service_exceptions => vec![
                Retry {
                    errors: [
                        "Lambda.ClientExecutionTimeoutException",
                        "Lambda.ServiceException",
                        "Lambda.AWSLambdaException",
                        "Lambda.SdkClientException",
                    ]
                    .map(String::from)
                    .to_vec(),
                    interval_seconds: Some(2),
                    max_attempts: Some(6),
                    backoff_rate: Some(2.0),
                    ..Default::default()
                },
                throttling_retry(["Lambda.TooManyRequestsException"]),
            ],
            Integration::LambdaInvoke(_) => Vec::new(),
            Integration::AwsSdk(c) => {
                // Step Functions names an SDK error `<Service>.<Name>Exception`,
                // the service in PascalCase (`Ec2`, `Ecs`, `Ssm`): the service
                // name with its first letter upper-cased. (A service of several
                // words, e.g. `AcmPca`, needs its own retrier.)
                let mut chars = c.service.chars();
                let service: String = chars
                    .next()
                    .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default();
                vec![throttling_retry(
                    [
                        "ThrottlingException",
                        "TooManyRequestsException",
                        "RequestLimitExceededException",
                    ]
                    .map(|e| format!("{service}.{e}")),
                )]
            }
            // DynamoDB's throttling errors, as Step Functions names them.
            Integration::DynamoPutItem(_) | Integration::DynamoGetItem(_) | Integration::DynamoUpdateItem(_) => {
                vec![throttling_retry([
                    "DynamoDB.ProvisionedThroughputExceededException",
                    "DynamoDB.RequestLimitExceeded",
                    "DynamoDB.ThrottlingException",
                ])]
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn needs(&self) -> Vec<Need> {
        match self {
            Integration::LambdaInvoke(l) => vec![Need::Invoke(l.function.value())],
            Integration::SnsPublish(s) => vec![Need::Publish(s.topic.value())],
            Integration::AwsSdk(c) => vec![Need::Action(c.derived_iam_action(), c.iam_resources.clone())],
            Integration::DynamoPutItem(t) => dynamo_needs(t),
            Integration::DynamoGetItem(t) => dynamo_needs(t),
            Integration::DynamoUpdateItem(t) => dynamo_needs(t),
            Integration::SqsSendMessage(t) => {
                let mut needs = vec![Need::Action("sqs:SendMessage".into(), vec![t.queue.arn.value()])];
                if let Some(key) = &t.queue.key_arn {
                    needs.extend(
                        ["kms:Decrypt", "kms:GenerateDataKey*"].map(|a| Need::Action(a.into(), vec![key.clone()])),
                    );
                }
                needs
            }
            Integration::Custom(c) => c.policy_statements.iter().cloned().map(Need::Statement).collect(),
        }
    }

    pub(crate) fn problems(&self) -> Vec<String> {
        match self {
            Integration::AwsSdk(c) => c.problems(),
            Integration::DynamoPutItem(t) => t.problems(),
            Integration::DynamoGetItem(t) => t.problems(),
            Integration::DynamoUpdateItem(t) => t.problems(),
            Integration::SqsSendMessage(t) => t.problems(),
            _ => Vec::new(),
        }
    }
}

/// A DynamoDB task's one action on its one table.
fn dynamo_needs<T: DynamoTask>(task: &T) -> Vec<Need> {
    vec![Need::Action(T::IAM_ACTION.into(), vec![task.table().arn.value()])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_iam_actions_are_derived() {
        let c = AwsSdkCall::new("ec2", "describeInstances", ["*".into()]);
        assert_eq!(c.derived_iam_action(), "ec2:DescribeInstances");
        let c = AwsSdkCall::new("elasticloadbalancingv2", "describeTargetHealth", ["*".into()]);
        assert_eq!(c.derived_iam_action(), "elasticloadbalancing:DescribeTargetHealth");
        let c = AwsSdkCall::new("sfn", "startExecution", ["*".into()]);
        assert_eq!(c.derived_iam_action(), "states:StartExecution");
    }

    #[test]
    fn throttling_is_retried_with_jitter_by_default() {
        let arn = FunctionArn::from_value(crate::core::Value::from("arn:aws:lambda:::function:f"));
        let lambda = Integration::from(LambdaInvoke::with_arn(&arn)).default_retries();
        let throttle = lambda
            .iter()
            .find(|r| r.errors.iter().any(|e| e == "Lambda.TooManyRequestsException"))
            .expect("a throttling retrier");
        assert_eq!(throttle.jitter, JitterStrategy::Full);
        let sdk = Integration::from(AwsSdkCall::new("ec2", "describeInstances", ["*".into()])).default_retries();
        assert!(
            sdk[0].errors.contains(&"Ec2.RequestLimitExceededException".to_owned()),
            "{sdk:?}"
        );
        assert_eq!(sdk[0].jitter, JitterStrategy::Full);
    }

    #[test]
    fn sdk_call_problems_are_reported() {
        assert!(AwsSdkCall::new("ec2", "describeInstances", ["*".into()])
            .problems()
            .is_empty());
        let p = AwsSdkCall::new("EC2", "DescribeInstances", []).problems();
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
