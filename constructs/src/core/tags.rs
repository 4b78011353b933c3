//! Tags applied to a scope and every taggable resource beneath it.

use super::construct::Scope;
use super::value::Value;
use super::Construct;

/// How a resource type takes tags in its `Tags` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagFormat {
    /// A list of `{"Key": .., "Value": ..}` (most resource types).
    Standard,
    /// An object of key -> value (e.g. `AWS::SSM::Parameter`).
    Map,
    /// A list of `{"Key", "Value", "PropagateAtLaunch": true}` (auto scaling groups).
    AutoScaling,
}

/// Resource types whose `Tags` is an object of key -> value.
const MAP_TAGGED: &[&str] = &[
    "AWS::SSM::Parameter",
    "AWS::Batch::ComputeEnvironment",
    "AWS::Glue::Job",
];

/// Resource types that take the standard tag list; others are left untagged
/// unless a construct sets a format with [`CfnResource::set_tag_format`](super::CfnResource::set_tag_format).
const STANDARD_TAGGED: &[&str] = &[
    "AWS::Backup::BackupVault",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::Instance",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::NatGateway",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Logs::LogGroup",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBSubnetGroup",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Document",
    "AWS::SSM::MaintenanceWindow",
    "AWS::StepFunctions::StateMachine",
    "AWS::DynamoDB::Table",
];

pub(crate) fn default_tag_format(type_: &str) -> Option<TagFormat> {
    if STANDARD_TAGGED.contains(&type_) {
        Some(TagFormat::Standard)
    } else if MAP_TAGGED.contains(&type_) {
        Some(TagFormat::Map)
    } else if type_ == "AWS::AutoScaling::AutoScalingGroup" {
        Some(TagFormat::AutoScaling)
    } else {
        None
    }
}

/// Applies tags to a scope: `Tags::of(&stack).add("stackId", Pseudo::StackId)`.
///
/// A tag applies to every taggable resource beneath the scope; a tag applied
/// closer to the resource wins over one with the same key further up. Tags are
/// rendered sorted by key, as the CDK does.
pub struct Tags {
    node: Construct,
}

impl Tags {
    /// The tags of a scope.
    pub fn of(scope: &impl Scope) -> Tags {
        Tags {
            node: scope.node().clone(),
        }
    }

    /// Adds (or replaces) a tag; the value may be a reference.
    pub fn add(&self, key: impl Into<String>, value: impl Into<Value>) {
        let key = key.into();
        let mut tree = self.node.tree_mut();
        let n = &mut tree.nodes[self.node.idx];
        n.tags.retain(|(k, _)| *k != key);
        n.removed_tags.retain(|k| *k != key);
        n.tags.push((key, value.into()));
    }

    /// Removes a tag applied further up from this scope's resources.
    pub fn remove(&self, key: impl Into<String>) {
        let key = key.into();
        let mut tree = self.node.tree_mut();
        let n = &mut tree.nodes[self.node.idx];
        n.tags.retain(|(k, _)| *k != key);
        n.removed_tags.push(key);
    }
}
