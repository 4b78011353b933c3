//! Application listeners: the port and protocol a load balancer accepts,
//! and the target groups it forwards to.

use super::target_group::{ApplicationProtocol, ApplicationTargetGroup};
use crate::cfn::elasticloadbalancingv2::{self as elbv2, listener};
use crate::core::{CfnResource, Construct, Scope, Value};

crate::typed_value!(
    /// The ARN of a listener.
    ListenerArn
);

/// The TLS policy of HTTPS listeners by default: TLS 1.3 and 1.2 only.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Properties of an [`ApplicationListener`], see
/// [`ApplicationLoadBalancer::add_listener`](super::ApplicationLoadBalancer::add_listener).
#[derive(Clone, Debug)]
pub struct ApplicationListenerProps {
    /// The port, 1 to 65535. Required.
    pub port: u16,
    /// The protocol. Default: HTTP.
    pub protocol: ApplicationProtocol,
    /// The target groups requests are forwarded to (weighted equally).
    /// Required: at least one.
    pub default_target_groups: Vec<ApplicationTargetGroup>,
    /// Certificate ARNs (HTTPS only, then at least one). Default: none.
    pub certificate_arns: Vec<Value>,
    /// Allow anyone (`0.0.0.0/0`) to reach the port through the load
    /// balancer's security group, as the CDK's `open`. Default: true.
    pub open: bool,
}

impl Default for ApplicationListenerProps {
    fn default() -> Self {
        ApplicationListenerProps {
            port: 0,
            protocol: ApplicationProtocol::Http,
            default_target_groups: Vec::new(),
            certificate_arns: Vec::new(),
            open: true,
        }
    }
}

/// A listener (`AWS::ElasticLoadBalancingV2::Listener`) of an application load balancer.
#[derive(Clone, Debug)]
pub struct ApplicationListener {
    node: Construct,
    resource: CfnResource,
}

impl Scope for ApplicationListener {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl ApplicationListener {
    pub(crate) fn new(
        scope: &impl Scope,
        id: &str,
        load_balancer_arn: Value,
        props: &ApplicationListenerProps,
    ) -> Self {
        let node = Construct::new_typed(scope, id, "constructs.aws.elbv2.ApplicationListener");
        let https = props.protocol == ApplicationProtocol::Https;
        if https && props.certificate_arns.is_empty() {
            node.add_error("an HTTPS listener needs a certificate: give certificate_arns");
        }
        if !https && !props.certificate_arns.is_empty() {
            node.add_error("certificate_arns are for HTTPS listeners only");
        }
        let forward = || Some(listener::ActionType::Forward.into());
        let action = match props.default_target_groups.as_slice() {
            [] => {
                node.add_error("the listener has no default action: give default_target_groups");
                Value::Null
            }
            [one] => listener::Action {
                target_group_arn: Some(one.arn().into()),
                type_: forward(),
                ..Default::default()
            }
            .into(),
            many => listener::Action {
                forward_config: Some(
                    listener::ForwardConfig {
                        target_groups: Some(Value::list(many.iter().map(|tg| listener::TargetGroupTuple {
                            target_group_arn: Some(tg.arn().into()),
                            weight: Some(1.into()),
                        }))),
                        ..Default::default()
                    }
                    .into(),
                ),
                type_: forward(),
                ..Default::default()
            }
            .into(),
        };
        if props.port == 0 {
            node.add_error("port 0 is out of range 1-65535");
        }
        let resource: CfnResource = elbv2::CfnListener::new(
            &node,
            "Resource",
            elbv2::CfnListenerProps {
                certificates: (!props.certificate_arns.is_empty()).then(|| {
                    Value::list(props.certificate_arns.iter().map(|c| listener::Certificate {
                        certificate_arn: Some(c.clone()),
                    }))
                }),
                default_actions: Some(Value::list([action])),
                load_balancer_arn: Some(load_balancer_arn),
                port: Some(props.port.into()),
                protocol: Some(props.protocol.as_str().into()),
                ssl_policy: https.then(|| DEFAULT_SSL_POLICY.into()),
                ..Default::default()
            },
        )
        .into();
        ApplicationListener { node, resource }
    }

    /// The listener's ARN.
    pub fn arn(&self) -> ListenerArn {
        ListenerArn(self.resource.ref_())
    }

    /// The L1 listener (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}
