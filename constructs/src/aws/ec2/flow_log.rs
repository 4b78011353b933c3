//! VPC flow logs: IP traffic records of a VPC, subnet or network interface,
//! delivered to CloudWatch Logs or S3.

use super::vpc::{SubnetId, VpcId};
use crate::aws::iam::RoleArn;
use crate::aws::logs::LogGroupArn;
use crate::cfn::ec2::{self, flow_log};
use crate::core::{CfnResource, Construct, Scope, Value};

/// What a flow log records.
#[derive(Clone, Debug)]
pub enum FlowLogResource {
    /// Every network interface of a VPC.
    Vpc(VpcId),
    /// Every network interface of a subnet.
    Subnet(SubnetId),
    /// One network interface, by id (`eni-...`).
    NetworkInterface(Value),
}

/// Where a flow log delivers its records.
#[derive(Clone, Debug)]
pub enum FlowLogDestination {
    /// A CloudWatch Logs log group, written through a role that
    /// `vpc-flow-logs.amazonaws.com` assumes and that may
    /// `logs:CreateLogStream`, `logs:PutLogEvents` and `logs:DescribeLogStreams`
    /// on the group.
    CloudWatchLogs {
        /// The log group's ARN.
        log_group_arn: LogGroupArn,
        /// The delivery role's ARN.
        role_arn: RoleArn,
    },
    /// An S3 bucket (or a folder of it), by ARN; the bucket policy must allow
    /// `delivery.logs.amazonaws.com` to write.
    S3 {
        /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/folder`.
        bucket_arn: Value,
    },
}

/// Which traffic is recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrafficType {
    /// Accepted and rejected traffic.
    #[default]
    All,
    /// Accepted traffic only.
    Accept,
    /// Rejected traffic only.
    Reject,
}

/// The longest time traffic is aggregated into one record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AggregationInterval {
    /// 10 minutes.
    #[default]
    TenMinutes,
    /// 1 minute (more records, finer timing).
    OneMinute,
}

/// A field of a flow log record (the `${...}` names of a custom log format).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowLogField {
    /// `${version}`: the record version.
    Version,
    /// `${account-id}`: the account of the interface.
    AccountId,
    /// `${interface-id}`: the network interface.
    InterfaceId,
    /// `${srcaddr}`: the source address.
    SrcAddr,
    /// `${dstaddr}`: the destination address.
    DstAddr,
    /// `${srcport}`: the source port.
    SrcPort,
    /// `${dstport}`: the destination port.
    DstPort,
    /// `${protocol}`: the IANA protocol number.
    Protocol,
    /// `${packets}`: packets in the record.
    Packets,
    /// `${bytes}`: bytes in the record.
    Bytes,
    /// `${start}`: first packet time.
    Start,
    /// `${end}`: last packet time.
    End,
    /// `${action}`: ACCEPT or REJECT.
    Action,
    /// `${log-status}`: the logging status.
    LogStatus,
    /// `${vpc-id}`: the VPC.
    VpcId,
    /// `${subnet-id}`: the subnet.
    SubnetId,
    /// `${instance-id}`: the instance.
    InstanceId,
    /// `${tcp-flags}`: TCP flags seen.
    TcpFlags,
    /// `${type}`: IPv4, IPv6 or EFA.
    Type,
    /// `${pkt-srcaddr}`: the packet-level source address.
    PktSrcAddr,
    /// `${pkt-dstaddr}`: the packet-level destination address.
    PktDstAddr,
    /// `${region}`: the region.
    Region,
    /// `${az-id}`: the AZ id.
    AzId,
    /// `${sublocation-type}`: the sublocation type (wavelength, outpost, localzone).
    SublocationType,
    /// `${sublocation-id}`: the sublocation.
    SublocationId,
    /// `${pkt-src-aws-service}`: the AWS service of the source.
    PktSrcAwsService,
    /// `${pkt-dst-aws-service}`: the AWS service of the destination.
    PktDstAwsService,
    /// `${flow-direction}`: ingress or egress.
    FlowDirection,
    /// `${traffic-path}`: the path egress traffic takes.
    TrafficPath,
    /// `${ecs-cluster-arn}`: the ECS cluster ARN.
    EcsClusterArn,
    /// `${ecs-cluster-name}`: the ECS cluster name.
    EcsClusterName,
    /// `${ecs-container-instance-arn}`: the ECS container instance ARN.
    EcsContainerInstanceArn,
    /// `${ecs-container-instance-id}`: the ECS container instance.
    EcsContainerInstanceId,
    /// `${ecs-container-id}`: the first container of the task.
    EcsContainerId,
    /// `${ecs-second-container-id}`: the second container of the task.
    EcsSecondContainerId,
    /// `${ecs-service-name}`: the ECS service.
    EcsServiceName,
    /// `${ecs-task-definition-arn}`: the ECS task definition.
    EcsTaskDefinitionArn,
    /// `${ecs-task-arn}`: the ECS task ARN.
    EcsTaskArn,
    /// `${ecs-task-id}`: the ECS task.
    EcsTaskId,
    /// `${reject-reason}`: why traffic was rejected.
    RejectReason,
}

impl FlowLogField {
    /// Every field of record versions 2 to 5, in their documented order.
    pub const V5: [FlowLogField; 29] = [
        FlowLogField::Version,
        FlowLogField::AccountId,
        FlowLogField::InterfaceId,
        FlowLogField::SrcAddr,
        FlowLogField::DstAddr,
        FlowLogField::SrcPort,
        FlowLogField::DstPort,
        FlowLogField::Protocol,
        FlowLogField::Packets,
        FlowLogField::Bytes,
        FlowLogField::Start,
        FlowLogField::End,
        FlowLogField::Action,
        FlowLogField::LogStatus,
        FlowLogField::VpcId,
        FlowLogField::SubnetId,
        FlowLogField::InstanceId,
        FlowLogField::TcpFlags,
        FlowLogField::Type,
        FlowLogField::PktSrcAddr,
        FlowLogField::PktDstAddr,
        FlowLogField::Region,
        FlowLogField::AzId,
        FlowLogField::SublocationType,
        FlowLogField::SublocationId,
        FlowLogField::PktSrcAwsService,
        FlowLogField::PktDstAwsService,
        FlowLogField::FlowDirection,
        FlowLogField::TrafficPath,
    ];

    /// The field's name in a log format, e.g. `account-id`.
    pub fn name(self) -> &'static str {
        match self {
            FlowLogField::Version => "version",
            FlowLogField::AccountId => "account-id",
            FlowLogField::InterfaceId => "interface-id",
            FlowLogField::SrcAddr => "srcaddr",
            FlowLogField::DstAddr => "dstaddr",
            FlowLogField::SrcPort => "srcport",
            FlowLogField::DstPort => "dstport",
            FlowLogField::Protocol => "protocol",
            FlowLogField::Packets => "packets",
            FlowLogField::Bytes => "bytes",
            FlowLogField::Start => "start",
            FlowLogField::End => "end",
            FlowLogField::Action => "action",
            FlowLogField::LogStatus => "log-status",
            FlowLogField::VpcId => "vpc-id",
            FlowLogField::SubnetId => "subnet-id",
            FlowLogField::InstanceId => "instance-id",
            FlowLogField::TcpFlags => "tcp-flags",
            FlowLogField::Type => "type",
            FlowLogField::PktSrcAddr => "pkt-srcaddr",
            FlowLogField::PktDstAddr => "pkt-dstaddr",
            FlowLogField::Region => "region",
            FlowLogField::AzId => "az-id",
            FlowLogField::SublocationType => "sublocation-type",
            FlowLogField::SublocationId => "sublocation-id",
            FlowLogField::PktSrcAwsService => "pkt-src-aws-service",
            FlowLogField::PktDstAwsService => "pkt-dst-aws-service",
            FlowLogField::FlowDirection => "flow-direction",
            FlowLogField::TrafficPath => "traffic-path",
            FlowLogField::EcsClusterArn => "ecs-cluster-arn",
            FlowLogField::EcsClusterName => "ecs-cluster-name",
            FlowLogField::EcsContainerInstanceArn => "ecs-container-instance-arn",
            FlowLogField::EcsContainerInstanceId => "ecs-container-instance-id",
            FlowLogField::EcsContainerId => "ecs-container-id",
            FlowLogField::EcsSecondContainerId => "ecs-second-container-id",
            FlowLogField::EcsServiceName => "ecs-service-name",
            FlowLogField::EcsTaskDefinitionArn => "ecs-task-definition-arn",
            FlowLogField::EcsTaskArn => "ecs-task-arn",
            FlowLogField::EcsTaskId => "ecs-task-id",
            FlowLogField::RejectReason => "reject-reason",
        }
    }
}

/// Options of a [`FlowLog`].
#[derive(Clone, Debug, Default)]
pub struct FlowLogProps {
    /// Which traffic to record. Default: all.
    pub traffic_type: TrafficType,
    /// The fields of each record, in order. Default: empty, AWS's default
    /// format (the version 2 fields).
    pub log_format: Vec<FlowLogField>,
    /// The aggregation interval. Default: 10 minutes.
    pub max_aggregation_interval: AggregationInterval,
}

/// A VPC flow log (`AWS::EC2::FlowLog`).
///
/// As the CDK's `CfnFlowLog` (which the seed uses), the resource is the
/// construct itself, with no `Resource` child: created directly in a stack, its
/// logical ID is its id.
#[derive(Clone, Debug)]
pub struct FlowLog {
    resource: CfnResource,
}

impl Scope for FlowLog {
    fn node(&self) -> &Construct {
        self.resource.node()
    }
}

impl FlowLog {
    /// Adds a flow log of `resource` delivered to `destination`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        resource: FlowLogResource,
        destination: FlowLogDestination,
        props: FlowLogProps,
    ) -> FlowLog {
        let (deliver_logs_permission_arn, log_destination, log_destination_type) = match destination {
            FlowLogDestination::CloudWatchLogs {
                log_group_arn,
                role_arn,
            } => (
                Some(role_arn.value()),
                log_group_arn.value(),
                flow_log::FlowLogLogDestinationType::CloudWatchLogs,
            ),
            FlowLogDestination::S3 { bucket_arn } => (None, bucket_arn, flow_log::FlowLogLogDestinationType::S3),
        };
        let log_format = (!props.log_format.is_empty()).then(|| {
            let format: Vec<String> = props.log_format.iter().map(|f| format!("${{{}}}", f.name())).collect();
            Value::from(format.join(" "))
        });
        let (resource_id, resource_type) = match resource {
            FlowLogResource::Vpc(v) => (v.value(), flow_log::FlowLogResourceType::Vpc),
            FlowLogResource::Subnet(s) => (s.value(), flow_log::FlowLogResourceType::Subnet),
            FlowLogResource::NetworkInterface(n) => (n, flow_log::FlowLogResourceType::NetworkInterface),
        };
        let r = ec2::CfnFlowLog::new(
            scope,
            id,
            ec2::CfnFlowLogProps {
                deliver_logs_permission_arn,
                log_destination: Some(log_destination),
                log_destination_type: Some(log_destination_type.into()),
                log_format,
                max_aggregation_interval: Some(
                    match props.max_aggregation_interval {
                        AggregationInterval::TenMinutes => 600,
                        AggregationInterval::OneMinute => 60,
                    }
                    .into(),
                ),
                resource_id: Some(resource_id),
                resource_type: Some(resource_type.into()),
                traffic_type: Some(
                    match props.traffic_type {
                        TrafficType::All => flow_log::FlowLogTrafficType::All,
                        TrafficType::Accept => flow_log::FlowLogTrafficType::Accept,
                        TrafficType::Reject => flow_log::FlowLogTrafficType::Reject,
                    }
                    .into(),
                ),
                ..Default::default()
            },
        )
        .into();
        FlowLog { resource: r }
    }

    /// The flow log's id (`fl-...`).
    pub fn flow_log_id(&self) -> Value {
        self.resource.ref_()
    }

    /// The L1 flow log (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::{Vpc, VpcProps};
    use crate::aws::iam::{Principal, Role, RoleProps};
    use crate::aws::logs::{LogGroup, LogGroupProps};
    use crate::core::{App, Stack, StackProps};
    use serde_json::json;

    #[test]
    fn seed_flow_log_sits_at_its_id_with_the_v5_format() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
        let group = LogGroup::new(&stack, "Logs", LogGroupProps::default());
        let role = Role::new(
            &stack,
            "Role",
            RoleProps {
                assumed_by: Principal::service("vpc-flow-logs.amazonaws.com"),
                ..Default::default()
            },
        );
        FlowLog::new(
            &stack,
            "FlowLogToLogs",
            FlowLogResource::Vpc(vpc.vpc_id()),
            FlowLogDestination::CloudWatchLogs {
                log_group_arn: group.arn(),
                role_arn: role.arn(),
            },
            FlowLogProps {
                log_format: FlowLogField::V5.to_vec(),
                max_aggregation_interval: AggregationInterval::OneMinute,
                ..Default::default()
            },
        );
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let f = &s.stacks[0].template["Resources"]["FlowLogToLogs"];
        let p = &f["Properties"];
        assert_eq!(p["LogDestinationType"], "cloud-watch-logs");
        assert_eq!(p["MaxAggregationInterval"], 60);
        assert_eq!(p["ResourceType"], "VPC");
        assert_eq!(p["TrafficType"], "ALL");
        assert_eq!(p["ResourceId"], json!({"Ref": "Vpc8378EB38"}));
        let format = p["LogFormat"].as_str().unwrap_or_default();
        assert!(
            format.starts_with("${version} ${account-id} ${interface-id}"),
            "{format}"
        );
        assert!(format.ends_with("${flow-direction} ${traffic-path}"), "{format}");
    }
}
