//! Amazon EC2 and VPC: networks, security groups, flow logs and instances.
//!
//! A VPC or security group made outside this app is imported with
//! [`Vpc::from_attributes`] or [`SecurityGroup::from_security_group_id`];
//! constructs take either through [`IVpc`] and [`ISecurityGroup`].

mod cidr;
mod flow_log;
mod imported_vpc;
mod instance;
mod machine_image;
mod security_group;
mod user_data;
mod vpc;

pub use cidr::Ipv4Cidr;
pub use flow_log::{
    AggregationInterval, FlowLog, FlowLogDestination, FlowLogField, FlowLogProps, FlowLogResource, TrafficType,
};
pub use imported_vpc::{IVpc, ImportedVpc, VpcAttributes};
pub use instance::{Instance, InstanceId, InstanceProps};
pub use machine_image::{MachineImage, AMAZON_LINUX_2023_PARAMETER, AMAZON_LINUX_2_PARAMETER};
pub use security_group::{
    ISecurityGroup, ImportedSecurityGroup, Peer, Port, SecurityGroup, SecurityGroupId, SecurityGroupImportOptions,
    SecurityGroupProps,
};
pub use user_data::{UserData, MAX_USER_DATA_BYTES};
pub use vpc::{
    Subnet, SubnetConfiguration, SubnetId, SubnetSelection, SubnetType, Vpc, VpcId, VpcProps,
    AVAILABILITY_ZONES_CONTEXT,
};
