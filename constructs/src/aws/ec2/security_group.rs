//! Security groups and their rules: rules from a CIDR block are inline in the
//! group, rules from another group are `AWS::EC2::SecurityGroupIngress`
//! resources (as the CDK renders them, so a group can refer to itself or to a
//! group that refers back without a dependency cycle).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use super::cidr::Ipv4Cidr;
use super::imported_vpc::IVpc;
use crate::cfn::ec2::{self, security_group};
use crate::core::logical_id::make_unique_id;
use crate::core::{CfnResource, Construct, Scope, Value};

crate::typed_value!(
    /// The id of a security group (`sg-...`).
    SecurityGroupId
);

/// The protocol and ports of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// One TCP port, e.g. `Port::Tcp(443)`.
    Tcp(u16),
    /// A range of TCP ports, both ends included.
    TcpRange(u16, u16),
    /// Every TCP port.
    AllTcp,
    /// One UDP port.
    Udp(u16),
    /// A range of UDP ports, both ends included.
    UdpRange(u16, u16),
    /// Every protocol and port.
    AllTraffic,
}

impl Port {
    fn protocol(self) -> &'static str {
        match self {
            Port::Tcp(_) | Port::TcpRange(..) | Port::AllTcp => "tcp",
            Port::Udp(_) | Port::UdpRange(..) => "udp",
            Port::AllTraffic => "-1",
        }
    }

    fn range(self) -> Option<(u16, u16)> {
        match self {
            Port::Tcp(p) | Port::Udp(p) => Some((p, p)),
            Port::TcpRange(a, b) | Port::UdpRange(a, b) => Some((a, b)),
            Port::AllTcp => Some((0, 65535)),
            Port::AllTraffic => None,
        }
    }

    fn problem(self) -> Option<String> {
        match self.range() {
            Some((a, b)) if a > b => Some(format!(
                "port range {a}-{b} is empty: the first port must not exceed the last"
            )),
            _ => None,
        }
    }

    /// The rule's protocol and port range: `IpProtocol`, and `FromPort`/`ToPort` unless all traffic.
    fn fields(self) -> RuleFields {
        let (from_port, to_port) = match self.range() {
            Some((a, b)) => (Some(a.into()), Some(b.into())),
            None => (None, None),
        };
        RuleFields {
            ip_protocol: self.protocol().into(),
            from_port,
            to_port,
            ..Default::default()
        }
    }
}

/// The fields of one rule, rendered inline (`SecurityGroupIngress`/`Egress` of
/// the group) or as a rule resource of its own.
#[derive(Default)]
struct RuleFields {
    cidr_ip: Option<Value>,
    cidr_ipv6: Option<Value>,
    description: Value,
    from_port: Option<Value>,
    ip_protocol: Value,
    to_port: Option<Value>,
}

impl RuleFields {
    fn with_peer(mut self, peer: &InlinePeer) -> Self {
        match peer {
            InlinePeer::Ipv4(c) => self.cidr_ip = Some(c.as_str().into()),
            InlinePeer::Ipv6(c) => self.cidr_ipv6 = Some(c.as_str().into()),
        }
        self
    }

    fn ingress(self) -> Value {
        security_group::Ingress {
            cidr_ip: self.cidr_ip,
            cidr_ipv6: self.cidr_ipv6,
            description: Some(self.description),
            from_port: self.from_port,
            ip_protocol: Some(self.ip_protocol),
            to_port: self.to_port,
            ..Default::default()
        }
        .into()
    }

    fn egress(self) -> Value {
        security_group::Egress {
            cidr_ip: self.cidr_ip,
            cidr_ipv6: self.cidr_ipv6,
            description: Some(self.description),
            from_port: self.from_port,
            ip_protocol: Some(self.ip_protocol),
            to_port: self.to_port,
            ..Default::default()
        }
        .into()
    }

    /// A rule resource of its own (`AWS::EC2::SecurityGroupIngress`/`Egress`) on `group_id`,
    /// the peer a group (`peer_group`) or a block (in the fields).
    fn add_resource(self, scope: &Construct, id: &str, ingress: bool, group_id: Value, peer_group: Option<Value>) {
        if ingress {
            ec2::CfnSecurityGroupIngress::new(
                scope,
                id,
                ec2::CfnSecurityGroupIngressProps {
                    cidr_ip: self.cidr_ip,
                    cidr_ipv6: self.cidr_ipv6,
                    description: Some(self.description),
                    from_port: self.from_port,
                    group_id: Some(group_id),
                    ip_protocol: Some(self.ip_protocol),
                    source_security_group_id: peer_group,
                    to_port: self.to_port,
                    ..Default::default()
                },
            );
        } else {
            ec2::CfnSecurityGroupEgress::new(
                scope,
                id,
                ec2::CfnSecurityGroupEgressProps {
                    cidr_ip: self.cidr_ip,
                    cidr_ipv6: self.cidr_ipv6,
                    description: Some(self.description),
                    destination_security_group_id: peer_group,
                    from_port: self.from_port,
                    group_id: Some(group_id),
                    ip_protocol: Some(self.ip_protocol),
                    to_port: self.to_port,
                    ..Default::default()
                },
            );
        }
    }
}

/// The address block of a rule whose peer is not a security group.
enum InlinePeer {
    Ipv4(String),
    Ipv6(String),
}

impl InlinePeer {
    fn cidr(&self) -> &str {
        match self {
            InlinePeer::Ipv4(c) | InlinePeer::Ipv6(c) => c,
        }
    }

    /// The rule's identity among the group's inline rules (same peer, protocol and ports).
    fn identity(&self, port: Port) -> String {
        let family = match self {
            InlinePeer::Ipv4(_) => "CidrIp",
            InlinePeer::Ipv6(_) => "CidrIpv6",
        };
        format!("{family}={} {}", self.cidr(), port_key(port))
    }
}

/// As the CDK's `Port.toString()`, part of a rule resource's construct id.
impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Tcp(p) => write!(f, "{p}"),
            Port::TcpRange(a, b) => write!(f, "{a}-{b}"),
            Port::AllTcp => f.write_str("ALL PORTS"),
            Port::Udp(p) => write!(f, "UDP {p}"),
            Port::UdpRange(a, b) => write!(f, "UDP {a}-{b}"),
            Port::AllTraffic => f.write_str("ALL TRAFFIC"),
        }
    }
}

/// Where traffic of a rule comes from (ingress) or goes to (egress).
#[derive(Clone, Debug)]
pub enum Peer {
    /// An IPv4 block, e.g. `Peer::Ipv4("10.0.0.0/16".into())`.
    Ipv4(String),
    /// Any IPv4 address (`0.0.0.0/0`).
    AnyIpv4,
    /// Any IPv6 address (`::/0`).
    AnyIpv6,
    /// The members of another security group, owned or imported.
    SecurityGroup(Rc<dyn ISecurityGroup>),
}

impl From<&SecurityGroup> for Peer {
    fn from(sg: &SecurityGroup) -> Self {
        Peer::SecurityGroup(Rc::new(sg.clone()))
    }
}

impl From<&ImportedSecurityGroup> for Peer {
    fn from(sg: &ImportedSecurityGroup) -> Self {
        Peer::SecurityGroup(Rc::new(sg.clone()))
    }
}

impl Peer {
    /// The peer as the id of a rule resource names it (a group's unique id, or the block).
    fn unique_id(&self) -> String {
        match self {
            Peer::SecurityGroup(sg) => sg.unique_id(),
            other => other.inline().map(|c| c.cidr().to_owned()).unwrap_or_default(),
        }
    }

    /// The peer part of an inline rule, or `None` for a security group peer.
    fn inline(&self) -> Option<InlinePeer> {
        match self {
            Peer::Ipv4(c) => Some(InlinePeer::Ipv4(c.clone())),
            Peer::AnyIpv4 => Some(InlinePeer::Ipv4("0.0.0.0/0".to_owned())),
            Peer::AnyIpv6 => Some(InlinePeer::Ipv6("::/0".to_owned())),
            Peer::SecurityGroup(_) => None,
        }
    }
}

/// Properties of a [`SecurityGroup`].
#[derive(Clone, Debug)]
pub struct SecurityGroupProps {
    /// The description (255 characters at most; changing it replaces the
    /// group). Default: the construct path, as the CDK.
    pub description: Option<String>,
    /// The group name. Default: generated by CloudFormation.
    pub security_group_name: Option<String>,
    /// Allow all outbound traffic. When false, no egress rule is allowed until
    /// one is added (a rule that matches nothing replaces EC2's default
    /// allow-all rule, as the CDK does). Default: true.
    pub allow_all_outbound: bool,
}

impl Default for SecurityGroupProps {
    fn default() -> Self {
        SecurityGroupProps {
            description: None,
            security_group_name: None,
            allow_all_outbound: true,
        }
    }
}

#[derive(Debug, Default)]
struct Rules {
    /// Inline ingress rules with the key that identifies them (peer, protocol, ports).
    ingress: Vec<(String, Value)>,
    egress: Vec<(String, Value)>,
}

/// A security group (`AWS::EC2::SecurityGroup`) of a VPC.
///
/// ```
/// use constructs::aws::ec2::{Peer, Port, SecurityGroup, SecurityGroupProps, Vpc, VpcProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
/// let alb = SecurityGroup::new(&stack, "AlbSg", &vpc, SecurityGroupProps::default());
/// alb.add_ingress_rule(Peer::AnyIpv4, Port::Tcp(80), "Allow inbound HTTP");
/// let web = SecurityGroup::new(&stack, "WebSg", &vpc, SecurityGroupProps::default());
/// web.add_ingress_rule((&alb).into(), Port::Tcp(80), "Allow web access from alb");
/// ```
#[derive(Clone, Debug)]
pub struct SecurityGroup {
    node: Construct,
    resource: CfnResource,
    rules: Rc<RefCell<Rules>>,
}

impl Scope for SecurityGroup {
    fn node(&self) -> &Construct {
        &self.node
    }
}

const ALLOW_ALL_DESCRIPTION: &str = "Allow all outbound traffic by default";

impl SecurityGroup {
    /// Adds a security group to a VPC.
    pub fn new(scope: &impl Scope, id: &str, vpc: &dyn IVpc, props: SecurityGroupProps) -> SecurityGroup {
        let node = Construct::new_typed(scope, id, "constructs.aws.ec2.SecurityGroup");
        let description = props.description.unwrap_or_else(|| node.path());
        if description.len() > 255 || !description.is_ascii() {
            node.add_error(format!(
                "description '{description}' is invalid: at most 255 ASCII characters"
            ));
        }
        let rules = Rc::new(RefCell::new(Rules::default()));
        let (r, allow_all) = (Rc::clone(&rules), props.allow_all_outbound);
        let egress = Value::lazy(move || {
            let rules = r.borrow();
            if allow_all {
                Value::list([RuleFields {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: ALLOW_ALL_DESCRIPTION.into(),
                    ip_protocol: "-1".into(),
                    ..Default::default()
                }
                .egress()])
            } else if rules.egress.is_empty() {
                // Replaces EC2's default allow-all egress rule with one that matches nothing.
                Value::list([RuleFields {
                    cidr_ip: Some("255.255.255.255/32".into()),
                    description: "Disallow all traffic".into(),
                    from_port: Some(252.into()),
                    ip_protocol: "icmp".into(),
                    to_port: Some(86.into()),
                    ..Default::default()
                }
                .egress()])
            } else {
                Value::List(rules.egress.iter().map(|(_, v)| v.clone()).collect())
            }
        });
        let r = Rc::clone(&rules);
        let ingress = Value::lazy(move || {
            let rules = r.borrow();
            if rules.ingress.is_empty() {
                Value::Null
            } else {
                Value::List(rules.ingress.iter().map(|(_, v)| v.clone()).collect())
            }
        });
        let resource = ec2::CfnSecurityGroup::new(
            &node,
            "Resource",
            ec2::CfnSecurityGroupProps {
                group_description: Some(description.into()),
                group_name: props.security_group_name.map(Value::from),
                security_group_egress: Some(egress),
                security_group_ingress: Some(ingress),
                vpc_id: Some(vpc.vpc_id().value()),
                ..Default::default()
            },
        )
        .into();
        SecurityGroup { node, resource, rules }
    }

    /// The group's id.
    pub fn security_group_id(&self) -> SecurityGroupId {
        SecurityGroupId(self.resource.get_att("GroupId"))
    }

    /// The CDK's unique id of the group (`Names.nodeUniqueId`), used in the ids
    /// of rules that refer to it, e.g. `WebAppStackAlbSg55C35BB0`.
    pub fn unique_id(&self) -> String {
        ISecurityGroup::unique_id(self)
    }

    /// Imports a security group by id: a construct that creates no resource
    /// until a rule is added (see [`SecurityGroupImportOptions`]).
    ///
    /// ```
    /// use constructs::aws::ec2::{ISecurityGroup, Peer, Port, SecurityGroup, SecurityGroupImportOptions};
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let shared = SecurityGroup::from_security_group_id(&stack, "Shared", "sg-0123", SecurityGroupImportOptions::default());
    /// shared.add_ingress_rule(Peer::Ipv4("10.0.0.0/16".into()), Port::Tcp(443), "HTTPS from the VPC");
    /// assert!(app.synth().is_ok()); // an AWS::EC2::SecurityGroupIngress on sg-0123
    /// ```
    pub fn from_security_group_id(
        scope: &impl Scope,
        id: &str,
        security_group_id: impl Into<Value>,
        options: SecurityGroupImportOptions,
    ) -> ImportedSecurityGroup {
        let node = Construct::new_typed(scope, id, "constructs.aws.ec2.ImportedSecurityGroup");
        ImportedSecurityGroup {
            node,
            id: security_group_id.into(),
            options,
        }
    }

    /// Allows inbound traffic from `peer` on `port`. A rule equal to an
    /// existing one (same peer, protocol and ports) is not added again.
    pub fn add_ingress_rule(&self, peer: Peer, port: Port, description: &str) {
        self.add_rule(true, peer, port, description);
    }

    /// Allows outbound traffic to `peer` on `port` (meaningful when
    /// `allow_all_outbound` is false).
    pub fn add_egress_rule(&self, peer: Peer, port: Port, description: &str) {
        self.add_rule(false, peer, port, description);
    }

    fn add_rule(&self, ingress: bool, peer: Peer, port: Port, description: &str) {
        if let Some(p) = port.problem() {
            self.node.add_error(p);
            return;
        }
        if let Peer::Ipv4(c) = &peer {
            if let Err(e) = Ipv4Cidr::parse(c) {
                self.node.add_error(format!("rule peer: {e}"));
                return;
            }
        }
        let direction = if ingress { "from" } else { "to" };
        let fields = RuleFields {
            description: description.into(),
            ..port.fields()
        };
        match peer.inline() {
            Some(inline) => {
                let identity = inline.identity(port);
                let mut rules = self.rules.borrow_mut();
                let list = if ingress { &mut rules.ingress } else { &mut rules.egress };
                if list.iter().any(|(k, _)| *k == identity) {
                    return;
                }
                let fields = fields.with_peer(&inline);
                list.push((identity, if ingress { fields.ingress() } else { fields.egress() }));
            }
            None => {
                let Peer::SecurityGroup(other) = &peer else { return };
                let id = format!("{direction} {}:{port}", other.unique_id()).replacen('/', "_", 1);
                if self.node.child(&id).is_some() {
                    return;
                }
                fields.add_resource(
                    &self.node,
                    &id,
                    ingress,
                    self.security_group_id().value(),
                    Some(other.security_group_id().value()),
                );
            }
        }
    }

    /// The L1 security group (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

/// A security group, owned ([`SecurityGroup`]) or imported
/// ([`SecurityGroup::from_security_group_id`]): the CDK's `ISecurityGroup`.
/// A rule's peer may be either (`Peer::from(&group)`).
pub trait ISecurityGroup: Scope + std::fmt::Debug {
    /// The group's id.
    fn security_group_id(&self) -> SecurityGroupId;

    /// Allows inbound traffic from `peer` on `port`.
    fn add_ingress_rule(&self, peer: Peer, port: Port, description: &str);

    /// Allows outbound traffic to `peer` on `port`.
    fn add_egress_rule(&self, peer: Peer, port: Port, description: &str);

    /// The CDK's unique id of the group (`Names.nodeUniqueId`), used in the ids
    /// of rules that refer to it.
    fn unique_id(&self) -> String {
        let path = self.node().path();
        make_unique_id(&path.split('/').collect::<Vec<_>>()).unwrap_or_default()
    }
}

impl ISecurityGroup for SecurityGroup {
    fn security_group_id(&self) -> SecurityGroupId {
        SecurityGroup::security_group_id(self)
    }

    fn add_ingress_rule(&self, peer: Peer, port: Port, description: &str) {
        SecurityGroup::add_ingress_rule(self, peer, port, description);
    }

    fn add_egress_rule(&self, peer: Peer, port: Port, description: &str) {
        SecurityGroup::add_egress_rule(self, peer, port, description);
    }
}

/// Options of [`SecurityGroup::from_security_group_id`] (as the CDK's `SecurityGroupImportOptions`).
#[derive(Clone, Copy, Debug)]
pub struct SecurityGroupImportOptions {
    /// Whether rules may be added: each becomes an `AWS::EC2::SecurityGroupIngress`
    /// (or `Egress`) resource in this stack. When false, rules are silently
    /// dropped, as in the CDK. Default: true.
    pub mutable: bool,
    /// The group already allows all outbound traffic, so egress rules are
    /// dropped (as in the CDK). Default: true.
    pub allow_all_outbound: bool,
}

impl Default for SecurityGroupImportOptions {
    fn default() -> Self {
        SecurityGroupImportOptions {
            mutable: true,
            allow_all_outbound: true,
        }
    }
}

/// A security group imported by id ([`SecurityGroup::from_security_group_id`]):
/// a construct in the tree; its rules are resources of their own.
#[derive(Clone, Debug)]
pub struct ImportedSecurityGroup {
    node: Construct,
    id: Value,
    options: SecurityGroupImportOptions,
}

impl Scope for ImportedSecurityGroup {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl ImportedSecurityGroup {
    fn add_rule(&self, ingress: bool, peer: Peer, port: Port, description: &str) {
        if !self.options.mutable || (!ingress && self.options.allow_all_outbound) {
            return;
        }
        if let Some(p) = port.problem() {
            self.node.add_error(p);
            return;
        }
        if let Peer::Ipv4(c) = &peer {
            if let Err(e) = Ipv4Cidr::parse(c) {
                self.node.add_error(format!("rule peer: {e}"));
                return;
            }
        }
        let direction = if ingress { "from" } else { "to" };
        // As the CDK, which turns '/' in a construct id into "--".
        let id = format!("{direction} {}:{port}", peer.unique_id()).replace('/', "--");
        if self.node.child(&id).is_some() {
            return;
        }
        let mut fields = RuleFields {
            description: description.into(),
            ..port.fields()
        };
        let peer_group = match (&peer, peer.inline()) {
            (Peer::SecurityGroup(other), _) => Some(other.security_group_id().value()),
            (_, Some(inline)) => {
                fields = fields.with_peer(&inline);
                None
            }
            (_, None) => None,
        };
        fields.add_resource(&self.node, &id, ingress, self.id.clone(), peer_group);
    }
}

impl ISecurityGroup for ImportedSecurityGroup {
    fn security_group_id(&self) -> SecurityGroupId {
        SecurityGroupId(self.id.clone())
    }

    fn add_ingress_rule(&self, peer: Peer, port: Port, description: &str) {
        self.add_rule(true, peer, port, description);
    }

    fn add_egress_rule(&self, peer: Peer, port: Port, description: &str) {
        self.add_rule(false, peer, port, description);
    }
}

fn port_key(port: Port) -> String {
    match port.range() {
        Some((a, b)) => format!("{} {a}-{b}", port.protocol()),
        None => port.protocol().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::{Vpc, VpcProps};
    use crate::core::{App, Stack, StackProps};
    use serde_json::json;

    #[test]
    fn inline_cidr_rules_and_separate_group_rules_as_the_cdk() {
        let app = App::new();
        let stack = Stack::new(&app, "WebAppStack", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
        let alb = SecurityGroup::new(&stack, "AlbSg", &vpc, SecurityGroupProps::default());
        alb.add_ingress_rule(Peer::AnyIpv4, Port::Tcp(80), "Allow inbound HTTP");
        alb.add_ingress_rule(Peer::AnyIpv4, Port::Tcp(80), "Allow from anyone on port 80");
        let web = SecurityGroup::new(&stack, "WebSg", &vpc, SecurityGroupProps::default());
        web.add_ingress_rule((&alb).into(), Port::Tcp(80), "Allow web access from alb");
        web.add_ingress_rule((&alb).into(), Port::Tcp(80), "again");
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let r = &s.stacks[0].template["Resources"];
        let sg = &r["AlbSg1155C1BE"]["Properties"];
        assert_eq!(sg["GroupDescription"], "WebAppStack/AlbSg");
        assert_eq!(
            sg["SecurityGroupIngress"],
            json!([{"CidrIp": "0.0.0.0/0", "Description": "Allow inbound HTTP", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80}])
        );
        assert_eq!(
            sg["SecurityGroupEgress"],
            json!([{"CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1"}])
        );
        let rule = &r["WebSgfromWebAppStackAlbSg55C35BB080900B07C8"];
        assert_eq!(rule["Type"], "AWS::EC2::SecurityGroupIngress");
        assert_eq!(
            rule["Properties"],
            json!({
                "Description": "Allow web access from alb",
                "FromPort": 80,
                "GroupId": {"Fn::GetAtt": ["WebSg75AA54D5", "GroupId"]},
                "IpProtocol": "tcp",
                "SourceSecurityGroupId": {"Fn::GetAtt": ["AlbSg1155C1BE", "GroupId"]},
                "ToPort": 80
            })
        );
        assert!(r["WebSg75AA54D5"]["Properties"].get("SecurityGroupIngress").is_none());
    }

    #[test]
    fn no_outbound_replaces_the_default_egress_and_bad_rules_name_the_group() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
        let sg = SecurityGroup::new(
            &stack,
            "Sg",
            &vpc,
            SecurityGroupProps {
                allow_all_outbound: false,
                ..Default::default()
            },
        );
        sg.add_ingress_rule(Peer::Ipv4("10.0.0.1/16".into()), Port::Tcp(22), "ssh");
        sg.add_ingress_rule(Peer::AnyIpv4, Port::TcpRange(90, 80), "backwards");
        let e = app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(e.contains("S/Sg: rule peer: '10.0.0.1/16' has host bits set"), "{e}");
        assert!(e.contains("S/Sg: port range 90-80 is empty"), "{e}");

        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
        let sg = SecurityGroup::new(
            &stack,
            "Sg",
            &vpc,
            SecurityGroupProps {
                allow_all_outbound: false,
                ..Default::default()
            },
        );
        sg.add_ingress_rule(Peer::AnyIpv6, Port::Udp(53), "dns");
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let resources = s.stacks[0].template["Resources"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let sg = resources
            .values()
            .find(|r| r["Metadata"]["aws:cdk:path"] == "S/Sg/Resource")
            .expect("the group");
        let p = &sg["Properties"];
        assert_eq!(p["SecurityGroupEgress"][0]["Description"], "Disallow all traffic");
        assert_eq!(p["SecurityGroupIngress"][0]["CidrIpv6"], "::/0");
        assert_eq!(p["SecurityGroupIngress"][0]["IpProtocol"], "udp");
    }

    #[test]
    fn port_strings_are_the_cdks() {
        assert_eq!(Port::Tcp(80).to_string(), "80");
        assert_eq!(Port::TcpRange(80, 90).to_string(), "80-90");
        assert_eq!(Port::Udp(53).to_string(), "UDP 53");
        assert_eq!(Port::AllTraffic.to_string(), "ALL TRAFFIC");
    }

    #[test]
    fn imported_groups_get_rules_as_resources_unless_immutable() {
        use crate::assertions::{Match, Template};
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
        let web = SecurityGroup::new(&stack, "WebSg", &vpc, SecurityGroupProps::default());
        let shared =
            SecurityGroup::from_security_group_id(&stack, "Shared", "sg-0123", SecurityGroupImportOptions::default());
        shared.add_ingress_rule(Peer::Ipv4("10.0.0.0/16".into()), Port::Tcp(443), "HTTPS from the VPC");
        shared.add_ingress_rule((&web).into(), Port::Tcp(3306), "MySQL from the web servers");
        shared.add_egress_rule(Peer::AnyIpv4, Port::Tcp(80), "dropped: the group allows all outbound");
        // An imported group as the peer of an owned group's rule.
        web.add_ingress_rule((&shared).into(), Port::Tcp(80), "HTTP from the shared group");
        let fixed = SecurityGroup::from_security_group_id(
            &stack,
            "Fixed",
            "sg-fixed",
            SecurityGroupImportOptions {
                mutable: false,
                ..Default::default()
            },
        );
        fixed.add_ingress_rule(Peer::AnyIpv4, Port::Tcp(22), "dropped: immutable");
        let t = Template::from_stack(&stack);
        t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0);
        t.resource_count_is("AWS::EC2::SecurityGroupIngress", 3);
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!(Match::object_equals(json!({
                "CidrIp": "10.0.0.0/16",
                "Description": "HTTPS from the VPC",
                "FromPort": 443,
                "GroupId": "sg-0123",
                "IpProtocol": "tcp",
                "ToPort": 443
            }))),
        );
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!({"GroupId": "sg-0123", "SourceSecurityGroupId": {"Fn::GetAtt": [web.resource().logical_id(), "GroupId"]}}),
        );
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!({"GroupId": {"Fn::GetAtt": [web.resource().logical_id(), "GroupId"]}, "SourceSecurityGroupId": "sg-0123"}),
        );
    }
}
