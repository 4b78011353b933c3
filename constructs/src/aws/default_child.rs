//! `default_child()` on every L2: its main L1 resource, typed (the CDK's
//! `node.defaultChild`, cast to its `Cfn*` class).

use crate::cfn;

macro_rules! default_child {
    ($($l2:ty => $l1:ty,)*) => {$(
        impl $l2 {
            #[doc = concat!(
                "The [`", stringify!($l1), "`] below this construct (its default child): every ",
                "property of the resource, overrides by path, dependencies and policies, as an escape hatch."
            )]
            pub fn default_child(&self) -> $l1 {
                <$l1>::from_resource(self.resource().clone()).unwrap_or_else(|| {
                    unreachable!("{} always creates its resource as a {}", stringify!($l2), <$l1>::CFN_RESOURCE_TYPE_NAME)
                })
            }
        }
    )*};
}

default_child! {
    super::dynamodb::Table => cfn::dynamodb::CfnTable,
    super::ec2::FlowLog => cfn::ec2::CfnFlowLog,
    super::ec2::Instance => cfn::ec2::CfnInstance,
    super::ec2::SecurityGroup => cfn::ec2::CfnSecurityGroup,
    super::ec2::Vpc => cfn::ec2::CfnVpc,
    super::elbv2::ApplicationListener => cfn::elasticloadbalancingv2::CfnListener,
    super::elbv2::ApplicationLoadBalancer => cfn::elasticloadbalancingv2::CfnLoadBalancer,
    super::elbv2::ApplicationTargetGroup => cfn::elasticloadbalancingv2::CfnTargetGroup,
    super::events::Rule => cfn::events::CfnRule,
    super::iam::Policy => cfn::iam::CfnPolicy,
    super::iam::Role => cfn::iam::CfnRole,
    super::lambda::Function => cfn::lambda::CfnFunction,
    super::logs::LogGroup => cfn::logs::CfnLogGroup,
    super::rds::DatabaseCluster => cfn::rds::CfnDBCluster,
    super::rds::SubnetGroup => cfn::rds::CfnDBSubnetGroup,
    super::s3::Bucket => cfn::s3::CfnBucket,
    super::s3::BucketPolicy => cfn::s3::CfnBucketPolicy,
    super::secretsmanager::Secret => cfn::secretsmanager::CfnSecret,
    super::sns::Subscription => cfn::sns::CfnSubscription,
    super::sns::Topic => cfn::sns::CfnTopic,
    super::sqs::Queue => cfn::sqs::CfnQueue,
    super::ssm::MaintenanceWindow => cfn::ssm::CfnMaintenanceWindow,
    super::ssm::StringParameter => cfn::ssm::CfnParameter,
    super::stepfunctions::StateMachine => cfn::stepfunctions::CfnStateMachine,
}

#[cfg(test)]
mod tests {
    use crate::aws::events::{Rule, RuleProps, Schedule};
    use crate::aws::sns::{Topic, TopicProps};
    use crate::core::{App, Stack, StackProps};

    #[test]
    fn default_child_is_the_typed_l1_and_takes_overrides() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let topic = Topic::new(&stack, "Alerts", TopicProps::default());
        let rule = Rule::new(
            &stack,
            "Nightly",
            RuleProps {
                schedule: Some(Schedule::cron("0 17 * * ? *")),
                ..Default::default()
            },
        );
        let l1 = topic.default_child();
        assert_eq!(l1.logical_id(), topic.resource().logical_id());
        l1.add_property_override("DisplayName", "Alerts");
        rule.default_child().add_property_override("State", "DISABLED");
        let t = &app.synth().expect("valid").stacks[0].template["Resources"];
        assert_eq!(t[topic.resource().logical_id()]["Properties"]["DisplayName"], "Alerts");
        assert_eq!(t[rule.resource().logical_id()]["Properties"]["State"], "DISABLED");
    }
}
