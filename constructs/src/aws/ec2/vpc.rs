//! The VPC: subnet groups across availability zones, route tables, the
//! internet gateway and NAT gateways, laid out with the same construct ids as
//! the CDK's `Vpc` so the logical IDs are the same.

use std::rc::Rc;

use super::cidr::{Ipv4Cidr, SubnetAllocator};
use crate::cfn::ec2;
use crate::core::{
    availability_zones_key, CfnResource, Construct, MissingContext, Scope, Tags, Value, DUMMY_AVAILABILITY_ZONES,
};

crate::typed_value!(
    /// The id of a VPC (`vpc-...`).
    VpcId
);
crate::typed_value!(
    /// The id of a subnet (`subnet-...`).
    SubnetId
);

/// The kind of a subnet group: how its subnets reach the internet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubnetType {
    /// Routed to the internet gateway; instances may get public IP addresses.
    #[default]
    Public,
    /// Outbound internet access through a NAT gateway in a public subnet
    /// (the CDK's `PRIVATE_WITH_EGRESS`, formerly `PRIVATE`).
    Private,
    /// No route to the internet at all (the CDK's `PRIVATE_ISOLATED`).
    Isolated,
}

impl SubnetType {
    /// The value of the `aws-cdk:subnet-type` tag, as the CDK writes it.
    pub fn label(self) -> &'static str {
        match self {
            SubnetType::Public => "Public",
            SubnetType::Private => "Private",
            SubnetType::Isolated => "Isolated",
        }
    }
}

/// One subnet group: a subnet of this type in every AZ of the VPC.
#[derive(Clone, Debug, Default)]
pub struct SubnetConfiguration {
    /// The group name; subnets are named `{name}Subnet1`, `{name}Subnet2` ...
    /// (one per AZ). Required.
    pub name: String,
    /// The kind of subnet. Default: public.
    pub subnet_type: SubnetType,
    /// The prefix length of each subnet (`/16` to `/28`). Default: the space
    /// left after the groups with a mask, split equally, as the CDK does.
    pub cidr_mask: Option<u8>,
    /// Give instances launched here a public IP address. Default: true for
    /// public subnets, false otherwise.
    pub map_public_ip_on_launch: Option<bool>,
}

impl SubnetConfiguration {
    /// A group of `subnet_type` subnets named `name`, each a `/cidr_mask`.
    pub fn new(name: &str, subnet_type: SubnetType, cidr_mask: u8) -> Self {
        SubnetConfiguration {
            name: name.to_owned(),
            subnet_type,
            cidr_mask: Some(cidr_mask),
            map_public_ip_on_launch: None,
        }
    }
}

/// Properties of a [`Vpc`].
#[derive(Clone, Debug)]
pub struct VpcProps {
    /// The VPC's IPv4 block, `/16` to `/28`. Default: `10.0.0.0/16`.
    pub cidr: String,
    /// The most AZs to use. Without [`VpcProps::availability_zones`], a stack
    /// pinned to an account and region takes the AZ names of the CDK's context
    /// key `availability-zones:account=ACCOUNT:region=REGION` (literal names,
    /// as the CDK writes them); otherwise the AZs are
    /// `Fn::Select [i, Fn::GetAZs ""]` of the deploy region and, as the CDK
    /// does for a stack whose region is unknown, at most 2 are used (every
    /// region offers at least two). Default: 3.
    pub max_azs: usize,
    /// The AZ names to use, e.g. `["ap-northeast-1a", "ap-northeast-1c"]`
    /// (ties the template to one region). Default: none (see `max_azs`).
    pub availability_zones: Vec<String>,
    /// The subnet groups. Default: a `Public` and a `Private` group, as the CDK.
    pub subnet_configuration: Vec<SubnetConfiguration>,
    /// The number of NAT gateways, each in a public subnet of its own AZ;
    /// private subnets route through the one in their AZ, or the first.
    /// Default: one per AZ when there are private subnets, else none.
    pub nat_gateways: Option<usize>,
    /// DNS hostnames for instances with public IPs. Default: true.
    pub enable_dns_hostnames: bool,
    /// DNS resolution through the Amazon provided server. Default: true.
    pub enable_dns_support: bool,
    /// The `Name` tag of the VPC and its resources. Default: the construct path.
    pub vpc_name: Option<String>,
}

impl Default for VpcProps {
    fn default() -> Self {
        VpcProps {
            cidr: "10.0.0.0/16".to_owned(),
            max_azs: 3,
            availability_zones: Vec::new(),
            subnet_configuration: vec![
                SubnetConfiguration {
                    name: "Public".to_owned(),
                    subnet_type: SubnetType::Public,
                    ..Default::default()
                },
                SubnetConfiguration {
                    name: "Private".to_owned(),
                    subnet_type: SubnetType::Private,
                    ..Default::default()
                },
            ],
            nat_gateways: None,
            enable_dns_hostnames: true,
            enable_dns_support: true,
            vpc_name: None,
        }
    }
}

/// Which subnets of a VPC a resource is placed in.
///
/// ```
/// use constructs::aws::ec2::{SubnetSelection, SubnetType};
/// let web = SubnetSelection::group("Private").in_az(0);
/// let db = SubnetSelection::of_type(SubnetType::Private);
/// assert_eq!(web.availability_zones, [0]);
/// assert!(db.subnet_group_name.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SubnetSelection {
    /// The subnets of this type. Default: none (see `subnet_group_name`; when
    /// both are unset: the private subnets, else the isolated, else the public).
    pub subnet_type: Option<SubnetType>,
    /// The subnets of the group with this name. Default: none.
    pub subnet_group_name: Option<String>,
    /// Only the subnets in these AZs, by index into the VPC's AZs (0 is the
    /// first). Default: all AZs.
    pub availability_zones: Vec<usize>,
}

impl SubnetSelection {
    /// The subnets of a group, e.g. `SubnetSelection::group("Private")`.
    pub fn group(name: &str) -> Self {
        SubnetSelection {
            subnet_group_name: Some(name.to_owned()),
            ..Default::default()
        }
    }

    /// The subnets of a type.
    pub fn of_type(subnet_type: SubnetType) -> Self {
        SubnetSelection {
            subnet_type: Some(subnet_type),
            ..Default::default()
        }
    }

    /// Narrows the selection to the AZ with this index (0 is the first).
    #[must_use]
    pub fn in_az(mut self, index: usize) -> Self {
        self.availability_zones.push(index);
        self
    }
}

/// A subnet of a VPC, owned (with its route table) or imported (`Vpc::from_attributes`).
#[derive(Clone, Debug)]
pub struct Subnet {
    node: Construct,
    id: Value,
    resource: Option<CfnResource>,
    route_table_id: Option<Value>,
    availability_zone: Value,
    az_index: usize,
    group_name: String,
    subnet_type: SubnetType,
    connectivity: Vec<CfnResource>,
}

impl Scope for Subnet {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Subnet {
    /// The subnet's id.
    pub fn subnet_id(&self) -> SubnetId {
        SubnetId(self.id.clone())
    }

    /// The subnet's AZ (a name, or `Fn::Select` of `Fn::GetAZs`).
    pub fn availability_zone(&self) -> Value {
        self.availability_zone.clone()
    }

    /// The index of the subnet's AZ among the VPC's AZs.
    pub fn az_index(&self) -> usize {
        self.az_index
    }

    /// The name of the subnet's group.
    pub fn group_name(&self) -> &str {
        &self.group_name
    }

    /// The kind of subnet.
    pub fn subnet_type(&self) -> SubnetType {
        self.subnet_type
    }

    /// The id of the subnet's route table (`None` for an imported subnet whose table was not given).
    pub fn route_table_id(&self) -> Option<Value> {
        self.route_table_id.clone()
    }

    /// The resources that give the subnet its routes (the route table
    /// association and the default route): a resource that needs the network
    /// from its first boot depends on them, as the CDK's
    /// `internetConnectivityEstablished`.
    pub fn internet_connectivity(&self) -> &[CfnResource] {
        &self.connectivity
    }

    /// The L1 subnet (escape hatch); `None` for an imported subnet.
    pub fn resource(&self) -> Option<&CfnResource> {
        self.resource.as_ref()
    }

    /// An imported subnet (no resource), for `Vpc::from_attributes`.
    pub(crate) fn imported(
        node: Construct,
        id: Value,
        route_table_id: Option<Value>,
        availability_zone: Value,
        az_index: usize,
        group_name: &str,
        subnet_type: SubnetType,
    ) -> Subnet {
        Subnet {
            node,
            id,
            resource: None,
            route_table_id,
            availability_zone,
            az_index,
            group_name: group_name.to_owned(),
            subnet_type,
            connectivity: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct VpcInner {
    subnets: Vec<Subnet>,
    availability_zones: Vec<Value>,
    groups: Vec<(String, SubnetType)>,
    internet_gateway: Option<CfnResource>,
    nat_gateways: Vec<CfnResource>,
}

/// A VPC (`AWS::EC2::VPC`) with its subnet groups, route tables, internet
/// gateway and NAT gateways.
///
/// Child ids follow the CDK's `Vpc` (`PublicSubnet1/Subnet`, `IGW`, `VPCGW`
/// ...), so the logical IDs match a CDK app's. Subnets are allocated in the
/// order of the configuration, as the CDK does.
///
/// ```
/// use constructs::aws::ec2::{SubnetConfiguration, SubnetType, Vpc, VpcProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Network", StackProps::default());
/// let vpc = Vpc::new(&stack, "Vpc", VpcProps {
///     max_azs: 2,
///     nat_gateways: Some(1),
///     subnet_configuration: vec![
///         SubnetConfiguration::new("Public", SubnetType::Public, 24),
///         SubnetConfiguration::new("Private", SubnetType::Private, 24),
///     ],
///     ..Default::default()
/// });
/// assert_eq!(vpc.private_subnets().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Vpc {
    node: Construct,
    resource: CfnResource,
    inner: Rc<VpcInner>,
}

impl Scope for Vpc {
    fn node(&self) -> &Construct {
        &self.node
    }
}

/// The subnets `selection` denotes among `subnets` of the VPC at `path`, or why it denotes none.
pub(crate) fn select_subnets(
    path: &str,
    subnets: &[Subnet],
    groups: &[(String, SubnetType)],
    az_count: usize,
    selection: &SubnetSelection,
) -> Result<Vec<Subnet>, String> {
    let groups: Vec<&str> = groups.iter().map(|(n, _)| n.as_str()).collect();
    let candidates: Vec<&Subnet> = match (&selection.subnet_group_name, selection.subnet_type) {
        (Some(_), Some(_)) => {
            return Err("give subnet_type or subnet_group_name in a subnet selection, not both".to_owned());
        }
        (Some(group), None) => {
            if !groups.contains(&group.as_str()) {
                return Err(format!(
                    "there is no subnet group named '{group}' in VPC '{path}' (its groups: {})",
                    groups.join(", ")
                ));
            }
            subnets.iter().filter(|s| &s.group_name == group).collect()
        }
        (None, Some(t)) => {
            let found: Vec<&Subnet> = subnets.iter().filter(|s| s.subnet_type == t).collect();
            if found.is_empty() {
                return Err(format!(
                    "VPC '{path}' has no {} subnets (its groups: {})",
                    t.label(),
                    groups.join(", ")
                ));
            }
            found
        }
        (None, None) => {
            let by_preference = [SubnetType::Private, SubnetType::Isolated, SubnetType::Public];
            by_preference
                .iter()
                .map(|t| subnets.iter().filter(|s| s.subnet_type == *t).collect::<Vec<_>>())
                .find(|v| !v.is_empty())
                .unwrap_or_default()
        }
    };
    if let Some(bad) = selection.availability_zones.iter().find(|i| **i >= az_count) {
        return Err(format!(
            "AZ index {bad} is unknown: VPC '{path}' has {az_count} AZs (indexes 0 to {})",
            az_count.saturating_sub(1)
        ));
    }
    let chosen: Vec<Subnet> = candidates
        .into_iter()
        .filter(|s| selection.availability_zones.is_empty() || selection.availability_zones.contains(&s.az_index))
        .cloned()
        .collect();
    if chosen.is_empty() {
        return Err(format!("no subnet of VPC '{path}' matches the selection {selection:?}"));
    }
    Ok(chosen)
}

struct Planned {
    config: SubnetConfiguration,
    prefix: Option<u8>,
}

impl Vpc {
    /// Adds a VPC. Invalid CIDR blocks and masks, and subnet groups that do
    /// not fit, are reported at synthesis with the VPC's path.
    pub fn new(scope: &impl Scope, id: &str, props: VpcProps) -> Vpc {
        let node = Construct::new_typed(scope, id, "constructs.aws.ec2.Vpc");
        let resource: CfnResource = ec2::CfnVpc::new(
            &node,
            "Resource",
            ec2::CfnVpcProps {
                cidr_block: Some(props.cidr.as_str().into()),
                enable_dns_hostnames: Some(props.enable_dns_hostnames.into()),
                enable_dns_support: Some(props.enable_dns_support.into()),
                instance_tenancy: Some("default".into()),
                ..Default::default()
            },
        )
        .into();
        Tags::of(&node).add("Name", props.vpc_name.clone().unwrap_or_else(|| node.path()));

        let block = match Ipv4Cidr::parse(&props.cidr) {
            Ok(c) if (16..=28).contains(&c.prefix()) => Some(c),
            Ok(c) => {
                node.add_error(format!(
                    "cidr {c} is out of range: a VPC block is /16 (65,536 addresses) to /28 (16 addresses)"
                ));
                None
            }
            Err(e) => {
                node.add_error(format!("cidr: {e}"));
                None
            }
        };

        let availability_zones = availability_zones(&node, &props);
        let planned = plan_subnets(&node, &props, block, availability_zones.len());

        // Subnets, their route tables and associations.
        let blocks = allocate_blocks(&node, block, &planned, availability_zones.len());
        let mut subnets: Vec<Subnet> = Vec::new();
        for (p, group_blocks) in planned.iter().zip(blocks) {
            for (az_index, az) in availability_zones.iter().enumerate() {
                let subnet_id = format!("{}Subnet{}", p.config.name, az_index + 1);
                let subnet_node = Construct::new_typed(&node, &subnet_id, "constructs.aws.ec2.Subnet");
                Tags::of(&subnet_node).add("Name", subnet_node.path());
                let public_ip = p
                    .config
                    .map_public_ip_on_launch
                    .unwrap_or(p.config.subnet_type == SubnetType::Public);
                let tag = |key: &str, value: &str| {
                    Value::from(ec2::subnet::Tag {
                        key: Some(key.into()),
                        value: Some(value.into()),
                    })
                };
                let subnet: CfnResource = ec2::CfnSubnet::new(
                    &subnet_node,
                    "Subnet",
                    ec2::CfnSubnetProps {
                        availability_zone: Some(az.clone()),
                        cidr_block: group_blocks
                            .get(az_index)
                            .copied()
                            .flatten()
                            .map(|c| c.to_string().into()),
                        map_public_ip_on_launch: Some(public_ip.into()),
                        tags: Some(Value::list([
                            tag("aws-cdk:subnet-name", &p.config.name),
                            tag("aws-cdk:subnet-type", p.config.subnet_type.label()),
                        ])),
                        vpc_id: Some(resource.ref_()),
                        ..Default::default()
                    },
                )
                .into();
                let route_table = ec2::CfnRouteTable::new(
                    &subnet_node,
                    "RouteTable",
                    ec2::CfnRouteTableProps {
                        vpc_id: Some(resource.ref_()),
                        ..Default::default()
                    },
                );
                let association: CfnResource = ec2::CfnSubnetRouteTableAssociation::new(
                    &subnet_node,
                    "RouteTableAssociation",
                    ec2::CfnSubnetRouteTableAssociationProps {
                        route_table_id: Some(route_table.ref_()),
                        subnet_id: Some(subnet.ref_()),
                    },
                )
                .into();
                subnets.push(Subnet {
                    node: subnet_node,
                    id: subnet.ref_(),
                    resource: Some(subnet),
                    route_table_id: Some(route_table.ref_()),
                    availability_zone: az.clone(),
                    az_index,
                    group_name: p.config.name.clone(),
                    subnet_type: p.config.subnet_type,
                    connectivity: vec![association],
                });
            }
        }

        // The internet gateway and the public default routes.
        let has_public = subnets.iter().any(|s| s.subnet_type == SubnetType::Public);
        let mut internet_gateway = None;
        if has_public {
            let igw: CfnResource = ec2::CfnInternetGateway::new(&node, "IGW", Default::default()).into();
            let attachment = ec2::CfnVPCGatewayAttachment::new(
                &node,
                "VPCGW",
                ec2::CfnVPCGatewayAttachmentProps {
                    internet_gateway_id: Some(igw.ref_()),
                    vpc_id: Some(resource.ref_()),
                    ..Default::default()
                },
            );
            for s in subnets.iter_mut().filter(|s| s.subnet_type == SubnetType::Public) {
                let route = ec2::CfnRoute::new(
                    &s.node,
                    "DefaultRoute",
                    ec2::CfnRouteProps {
                        destination_cidr_block: Some("0.0.0.0/0".into()),
                        gateway_id: Some(igw.ref_()),
                        route_table_id: s.route_table_id.clone(),
                        ..Default::default()
                    },
                );
                route.add_depends_on(&attachment);
                s.connectivity.push(route.into());
            }
            internet_gateway = Some(igw);
        }

        // NAT gateways in the first public group, one per AZ.
        let has_private = subnets.iter().any(|s| s.subnet_type == SubnetType::Private);
        let nat_count = props
            .nat_gateways
            .unwrap_or(if has_private { availability_zones.len() } else { 0 });
        validate_nat(&node, has_public, has_private, nat_count, availability_zones.len());
        let first_public_group = planned
            .iter()
            .find(|p| p.config.subnet_type == SubnetType::Public)
            .map(|p| p.config.name.clone());
        let mut nat_gateways: Vec<(usize, CfnResource)> = Vec::new();
        for s in &subnets {
            if Some(&s.group_name) != first_public_group.as_ref() || nat_gateways.len() >= nat_count {
                continue;
            }
            let eip = ec2::CfnEip::new(
                &s.node,
                "EIP",
                ec2::CfnEipProps {
                    domain: Some("vpc".into()),
                    ..Default::default()
                },
            );
            let nat: CfnResource = ec2::CfnNatGateway::new(
                &s.node,
                "NATGateway",
                ec2::CfnNatGatewayProps {
                    allocation_id: Some(eip.attr_allocation_id().value()),
                    subnet_id: Some(s.id.clone()),
                    ..Default::default()
                },
            )
            .into();
            for dependency in &s.connectivity {
                nat.add_depends_on(dependency);
            }
            nat_gateways.push((s.az_index, nat));
        }
        for s in subnets.iter_mut().filter(|s| s.subnet_type == SubnetType::Private) {
            let nat = nat_gateways
                .iter()
                .find(|(az, _)| *az == s.az_index)
                .or(nat_gateways.first())
                .map(|(_, n)| n.clone());
            if let Some(nat) = nat {
                let route = ec2::CfnRoute::new(
                    &s.node,
                    "DefaultRoute",
                    ec2::CfnRouteProps {
                        destination_cidr_block: Some("0.0.0.0/0".into()),
                        nat_gateway_id: Some(nat.ref_()),
                        route_table_id: s.route_table_id.clone(),
                        ..Default::default()
                    },
                );
                s.connectivity.push(route.into());
            }
        }

        let groups = planned
            .iter()
            .map(|p| (p.config.name.clone(), p.config.subnet_type))
            .collect();
        Vpc {
            node,
            resource,
            inner: Rc::new(VpcInner {
                subnets,
                availability_zones,
                groups,
                internet_gateway,
                nat_gateways: nat_gateways.into_iter().map(|(_, n)| n).collect(),
            }),
        }
    }

    /// The VPC's id.
    pub fn vpc_id(&self) -> VpcId {
        VpcId(self.resource.ref_())
    }

    /// The VPC's IPv4 block (`Fn::GetAtt CidrBlock`).
    pub fn cidr_block(&self) -> Value {
        self.resource.get_att("CidrBlock")
    }

    /// The AZs the VPC spans, in order.
    pub fn availability_zones(&self) -> Vec<Value> {
        self.inner.availability_zones.clone()
    }

    /// Every subnet, group by group, AZ by AZ.
    pub fn subnets(&self) -> Vec<Subnet> {
        self.inner.subnets.clone()
    }

    /// The public subnets.
    pub fn public_subnets(&self) -> Vec<Subnet> {
        self.of_type(SubnetType::Public)
    }

    /// The private subnets (with NAT egress).
    pub fn private_subnets(&self) -> Vec<Subnet> {
        self.of_type(SubnetType::Private)
    }

    /// The isolated subnets.
    pub fn isolated_subnets(&self) -> Vec<Subnet> {
        self.of_type(SubnetType::Isolated)
    }

    fn of_type(&self, t: SubnetType) -> Vec<Subnet> {
        self.inner
            .subnets
            .iter()
            .filter(|s| s.subnet_type == t)
            .cloned()
            .collect()
    }

    /// The internet gateway (present when there are public subnets).
    pub fn internet_gateway(&self) -> Option<CfnResource> {
        self.inner.internet_gateway.clone()
    }

    /// The NAT gateways.
    pub fn nat_gateways(&self) -> Vec<CfnResource> {
        self.inner.nat_gateways.clone()
    }

    /// The subnets a selection denotes, or why it denotes none (for the
    /// caller to record on its own node, so the error names the consumer).
    pub fn select_subnets(&self, selection: &SubnetSelection) -> Result<Vec<Subnet>, String> {
        select_subnets(
            &self.node.path(),
            &self.inner.subnets,
            &self.inner.groups,
            self.inner.availability_zones.len(),
            selection,
        )
    }

    /// The L1 VPC (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

fn availability_zones(node: &Construct, props: &VpcProps) -> Vec<Value> {
    if props.max_azs == 0 {
        node.add_error("max_azs is 0: a VPC needs at least one AZ");
        return Vec::new();
    }
    if props.availability_zones.is_empty() {
        if let Some(names) = context_availability_zones(node) {
            return names.into_iter().take(props.max_azs).map(Value::Str).collect();
        }
        (0..props.max_azs.min(2))
            .map(|i| Value::select(u32::try_from(i).unwrap_or(0), Value::get_azs()))
            .collect()
    } else {
        props
            .availability_zones
            .iter()
            .take(props.max_azs)
            .map(|a| Value::from(a.as_str()))
            .collect()
    }
}

/// The AZ names the CDK's context holds for the stack's environment, when the
/// stack is pinned to an account and a region: the key
/// `availability-zones:account=ACCOUNT:region=REGION` the CDK CLI fills (and
/// `cdk.context.json` keeps), so a stack the CDK deployed keeps its subnets.
/// When the key is missing, it is reported as missing context (the CLI looks
/// it up and synthesizes again) and the CDK's dummy names stand in meanwhile.
fn context_availability_zones(node: &Construct) -> Option<Vec<String>> {
    let stack = node.stack()?;
    let env = stack.environment();
    let (account, region) = (env.account?, env.region?);
    let key = availability_zones_key(&account, &region);
    let Some(value) = node.try_get_context(&key) else {
        node.report_missing_context(MissingContext::availability_zones(
            &account,
            &region,
            &stack.bootstrap_names(),
        ));
        return Some(DUMMY_AVAILABILITY_ZONES.map(str::to_owned).to_vec());
    };
    let names: Option<Vec<String>> = value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect());
    match names {
        Some(names) if !names.is_empty() => Some(names),
        _ => {
            node.add_error(format!(
                "context value '{key}' must be a non-empty list of AZ names, e.g. [\"{region}a\", \"{region}c\"], not {value}: fix it in cdk.context.json (or delete it there to look it up again)"
            ));
            None
        }
    }
}

/// The prefix of the CDK's context key of an environment's AZ names.
pub const AVAILABILITY_ZONES_CONTEXT: &str = crate::core::AVAILABILITY_ZONES_PROVIDER;

/// Checks the subnet configuration and gives each group its prefix: the
/// configured masks first, then the rest of the space split equally.
fn plan_subnets(node: &Construct, props: &VpcProps, block: Option<Ipv4Cidr>, az_count: usize) -> Vec<Planned> {
    if props.subnet_configuration.is_empty() {
        node.add_error("subnet_configuration is empty: give at least one subnet group");
    }
    let mut seen: Vec<&str> = Vec::new();
    for c in &props.subnet_configuration {
        if c.name.is_empty() || !c.name.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            node.add_error(format!(
                "subnet group name '{}' is invalid: use letters and digits only (it becomes part of the subnets' ids)",
                c.name
            ));
        }
        if seen.contains(&c.name.as_str()) {
            node.add_error(format!(
                "subnet group name '{}' is used twice: group names must be unique",
                c.name
            ));
        }
        seen.push(&c.name);
        if let Some(mask) = c.cidr_mask {
            if let Some(b) = block.filter(|b| mask < b.prefix()) {
                node.add_error(format!(
                    "cidr_mask /{mask} of subnet group '{}' is larger than the VPC block {b}: use /{} or a longer prefix",
                    c.name,
                    b.prefix().max(16)
                ));
            } else if !(16..=28).contains(&mask) {
                node.add_error(format!(
                    "cidr_mask /{mask} of subnet group '{}' is out of range: a subnet is /16 to /28",
                    c.name
                ));
            }
        }
    }
    // The CDK creates the groups with a mask first, then the others.
    let mut planned: Vec<Planned> = props
        .subnet_configuration
        .iter()
        .filter(|c| c.cidr_mask.is_some())
        .map(|c| Planned {
            config: c.clone(),
            prefix: c.cidr_mask.filter(|m| (16..=28).contains(m)),
        })
        .collect();
    let rest: Vec<&SubnetConfiguration> = props
        .subnet_configuration
        .iter()
        .filter(|c| c.cidr_mask.is_none())
        .collect();
    let rest_prefix = match block {
        Some(b) if !rest.is_empty() => {
            let mut allocator = SubnetAllocator::new(b);
            for p in &planned {
                for _ in 0..az_count {
                    if let Some(prefix) = p.prefix {
                        let _ = allocator.allocate(prefix);
                    }
                }
            }
            match allocator.prefix_for_remaining(rest.len() * az_count) {
                Some(prefix) if prefix <= 28 => Some(prefix.max(16)),
                _ => {
                    node.add_error(format!(
                        "there is no room left in {b} for the subnet groups without a cidr_mask ({}): give them masks or use a larger VPC block",
                        rest.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                    None
                }
            }
        }
        _ => None,
    };
    planned.extend(rest.into_iter().map(|c| Planned {
        config: c.clone(),
        prefix: rest_prefix,
    }));
    planned
}

/// The block of every subnet, group by group, AZ by AZ (`None` where the
/// VPC block or the group's prefix is invalid, or the group does not fit).
fn allocate_blocks(
    node: &Construct,
    block: Option<Ipv4Cidr>,
    planned: &[Planned],
    az_count: usize,
) -> Vec<Vec<Option<Ipv4Cidr>>> {
    let mut allocator = block.map(SubnetAllocator::new);
    planned
        .iter()
        .map(|p| {
            let (Some(a), Some(prefix), Some(b)) = (allocator.as_mut(), p.prefix, block) else {
                return vec![None; az_count];
            };
            let group: Vec<Option<Ipv4Cidr>> = (0..az_count).map(|_| a.allocate(prefix).ok()).collect();
            if group.iter().any(Option::is_none) {
                node.add_error(format!(
                    "subnet group '{}' (a /{prefix} per AZ) does not fit in {b} after the groups before it: use a larger VPC block or longer masks",
                    p.config.name
                ));
            }
            group
        })
        .collect()
}

fn validate_nat(node: &Construct, has_public: bool, has_private: bool, nat_count: usize, az_count: usize) {
    if has_private && nat_count == 0 {
        node.add_error(
            "there are Private subnets but no NAT gateway (nat_gateways is 0): make them Isolated, or allow NAT gateways",
        );
    }
    if nat_count > 0 && !has_public {
        node.add_error(
            "NAT gateways need a Public subnet group to live in: add one, or make the Private subnets Isolated",
        );
    }
    if nat_count > az_count && has_public {
        node.add_error(format!(
            "nat_gateways is {nat_count} but the VPC has {az_count} AZs: at most one NAT gateway per AZ"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, Stack, StackProps};
    use serde_json::json;

    fn seed_props() -> VpcProps {
        VpcProps {
            max_azs: 2,
            nat_gateways: Some(2),
            subnet_configuration: vec![
                SubnetConfiguration::new("Public", SubnetType::Public, 24),
                SubnetConfiguration::new("Private", SubnetType::Private, 24),
                SubnetConfiguration::new("Isolated", SubnetType::Isolated, 24),
            ],
            ..Default::default()
        }
    }

    fn synth_errors(props: VpcProps) -> String {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        Vpc::new(&stack, "Vpc", props);
        app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    }

    fn template(props: VpcProps) -> serde_json::Value {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        Vpc::new(&stack, "Vpc", props);
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        s.stacks[0].template.clone()
    }

    #[test]
    fn a_pinned_stack_takes_its_azs_from_the_cdk_context_key() {
        use crate::core::Environment;
        let key = "availability-zones:account=123456789012:region=ap-northeast-1";
        let azs = |pinned: bool| {
            let app = App::with_context(
                [(
                    key.to_owned(),
                    json!(["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]),
                )]
                .into_iter()
                .collect(),
            );
            let env = Environment {
                account: Some("123456789012".into()),
                region: Some("ap-northeast-1".into()),
            };
            let stack = Stack::new(
                &app,
                "S",
                StackProps {
                    env: if pinned { env } else { Environment::default() },
                    ..Default::default()
                },
            );
            Vpc::new(&stack, "Vpc", seed_props());
            let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
            let r = &s.stacks[0].template["Resources"];
            [
                r["VpcPublicSubnet1Subnet5C2D37C4"]["Properties"]["AvailabilityZone"].clone(),
                r["VpcPrivateSubnet2Subnet3788AAA1"]["Properties"]["AvailabilityZone"].clone(),
            ]
        };
        assert_eq!(azs(true), [json!("ap-northeast-1a"), json!("ap-northeast-1c")]);
        assert_eq!(
            azs(false)[0],
            json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
            "an environment-agnostic stack keeps Fn::GetAZs"
        );
    }

    #[test]
    fn a_pinned_stack_without_the_key_reports_it_missing_and_uses_the_cdks_dummy_names() {
        use crate::core::Environment;
        let app = App::new();
        let stack = Stack::new(
            &app,
            "S",
            StackProps {
                env: Environment {
                    account: Some("123456789012".into()),
                    region: Some("eu-west-1".into()),
                },
                ..Default::default()
            },
        );
        Vpc::new(&stack, "Vpc", seed_props());
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = s.missing.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["availability-zones:account=123456789012:region=eu-west-1"]);
        assert_eq!(s.missing[0].provider, "availability-zones");
        assert_eq!(s.missing[0].prop("region"), Some("eu-west-1"));
        let r = &s.stacks[0].template["Resources"];
        assert_eq!(
            r["VpcPrivateSubnet2Subnet3788AAA1"]["Properties"]["AvailabilityZone"],
            json!("dummy1b")
        );

        let bad = App::with_context([(keys[0].to_owned(), json!("eu-west-1a"))].into_iter().collect());
        let stack = Stack::new(
            &bad,
            "S",
            StackProps {
                env: Environment {
                    account: Some("123456789012".into()),
                    region: Some("eu-west-1".into()),
                },
                ..Default::default()
            },
        );
        Vpc::new(&stack, "Vpc", seed_props());
        let err = bad.synth().expect_err("a string is not a list").to_string();
        assert!(
            err.contains("S/Vpc") && err.contains("non-empty list of AZ names"),
            "{err}"
        );
    }

    #[test]
    fn seed_layout_has_the_cdk_ids_blocks_and_routes() {
        let t = template(seed_props());
        let r = &t["Resources"];
        let subnet = &r["VpcPublicSubnet1Subnet5C2D37C4"]["Properties"];
        assert_eq!(subnet["CidrBlock"], "10.0.0.0/24");
        assert_eq!(subnet["MapPublicIpOnLaunch"], true);
        assert_eq!(
            subnet["AvailabilityZone"],
            json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(
            r["VpcPrivateSubnet2Subnet3788AAA1"]["Properties"]["CidrBlock"],
            "10.0.3.0/24"
        );
        assert_eq!(
            r["VpcIsolatedSubnet2Subnet16364B91"]["Properties"]["CidrBlock"],
            "10.0.5.0/24"
        );
        assert_eq!(
            r["VpcPrivateSubnet2DefaultRoute060D2087"]["Properties"]["NatGatewayId"],
            json!({"Ref": "VpcPublicSubnet2NATGateway9182C01D"})
        );
        assert_eq!(
            r["VpcPublicSubnet1DefaultRoute3DA9E72A"]["DependsOn"],
            json!(["VpcVPCGWBF912B6E"])
        );
        assert_eq!(
            r["VpcPublicSubnet1NATGateway4D7517AA"]["DependsOn"],
            json!([
                "VpcPublicSubnet1DefaultRoute3DA9E72A",
                "VpcPublicSubnet1RouteTableAssociation97140677"
            ])
        );
        assert!(r.get("VpcIsolatedSubnet1DefaultRoute").is_none());
        assert_eq!(r["VpcIGWD7BA715C"]["Type"], "AWS::EC2::InternetGateway");
        let tags = &subnet["Tags"];
        assert_eq!(
            *tags,
            json!([
                {"Key": "aws-cdk:subnet-name", "Value": "Public"},
                {"Key": "aws-cdk:subnet-type", "Value": "Public"},
                {"Key": "Name", "Value": "S/Vpc/PublicSubnet1"},
            ])
        );
        assert_eq!(
            r["Vpc8378EB38"]["Properties"]["Tags"],
            json!([{"Key": "Name", "Value": "S/Vpc"}])
        );
    }

    #[test]
    fn defaults_are_the_cdks_public_and_private_halves() {
        let t = template(VpcProps::default());
        let r = t["Resources"].as_object().expect("resources");
        let blocks: Vec<&str> = r
            .values()
            .filter(|v| v["Type"] == "AWS::EC2::Subnet")
            .filter_map(|v| v["Properties"]["CidrBlock"].as_str())
            .collect();
        assert_eq!(
            blocks,
            ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"]
        );
        assert_eq!(r.values().filter(|v| v["Type"] == "AWS::EC2::NatGateway").count(), 2);
    }

    #[test]
    fn a_bad_cidr_names_the_vpc() {
        let e = synth_errors(VpcProps {
            cidr: "10.0.0/16".into(),
            ..seed_props()
        });
        assert!(e.contains("S/Vpc: cidr: '10.0.0/16' is not an IPv4 CIDR block"), "{e}");
    }

    #[test]
    fn a_mask_larger_than_the_vpc_is_refused() {
        let mut props = seed_props();
        props.cidr = "10.0.0.0/24".into();
        props.subnet_configuration[0].cidr_mask = Some(20);
        let e = synth_errors(props);
        assert!(
            e.contains("S/Vpc: cidr_mask /20 of subnet group 'Public' is larger than the VPC block 10.0.0.0/24"),
            "{e}"
        );
    }

    #[test]
    fn a_mask_out_of_range_and_groups_that_do_not_fit_are_refused() {
        let mut props = seed_props();
        props.subnet_configuration[0].cidr_mask = Some(29);
        let e = synth_errors(props);
        assert!(
            e.contains("S/Vpc: cidr_mask /29 of subnet group 'Public' is out of range"),
            "{e}"
        );

        let e = synth_errors(VpcProps {
            cidr: "10.0.0.0/22".into(),
            ..seed_props()
        });
        assert!(
            e.contains("S/Vpc: subnet group 'Isolated' (a /24 per AZ) does not fit"),
            "{e}"
        );
    }

    #[test]
    fn private_subnets_need_nat_gateways_and_public_subnets() {
        let e = synth_errors(VpcProps {
            nat_gateways: Some(0),
            ..seed_props()
        });
        assert!(e.contains("S/Vpc: there are Private subnets but no NAT gateway"), "{e}");
        let e = synth_errors(VpcProps {
            subnet_configuration: vec![SubnetConfiguration::new("App", SubnetType::Private, 24)],
            ..seed_props()
        });
        assert!(e.contains("S/Vpc: NAT gateways need a Public subnet group"), "{e}");
        let e = synth_errors(VpcProps {
            nat_gateways: Some(3),
            ..seed_props()
        });
        assert!(e.contains("S/Vpc: nat_gateways is 3 but the VPC has 2 AZs"), "{e}");
    }

    #[test]
    fn selection_by_group_type_and_az() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::new(&stack, "Vpc", seed_props());
        let got = vpc
            .select_subnets(&SubnetSelection::group("Private").in_az(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].node().path(), "S/Vpc/PrivateSubnet2");
        let default = vpc
            .select_subnets(&SubnetSelection::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(default.iter().all(|s| s.subnet_type() == SubnetType::Private));
        assert_eq!(
            vpc.select_subnets(&SubnetSelection::of_type(SubnetType::Isolated))
                .map(|s| s.len()),
            Ok(2)
        );
        let e = vpc
            .select_subnets(&SubnetSelection::group("Privat"))
            .expect_err("unknown group");
        assert!(
            e.contains("no subnet group named 'Privat' in VPC 'S/Vpc' (its groups: Public, Private, Isolated)"),
            "{e}"
        );
        let e = vpc
            .select_subnets(&SubnetSelection::group("Private").in_az(2))
            .expect_err("unknown az");
        assert!(e.contains("AZ index 2 is unknown: VPC 'S/Vpc' has 2 AZs"), "{e}");
    }

    #[test]
    fn explicit_azs_are_used_as_names() {
        let t = template(VpcProps {
            availability_zones: vec![
                "ap-northeast-1a".into(),
                "ap-northeast-1c".into(),
                "ap-northeast-1d".into(),
            ],
            max_azs: 3,
            nat_gateways: Some(1),
            ..seed_props()
        });
        let r = &t["Resources"];
        let third = r
            .as_object()
            .expect("resources")
            .values()
            .find(|v| v["Metadata"]["aws:cdk:path"] == "S/Vpc/PublicSubnet3/Subnet")
            .expect("third public subnet");
        assert_eq!(third["Properties"]["AvailabilityZone"], "ap-northeast-1d");
        // One NAT gateway: every private subnet routes through it.
        let nat = json!({"Ref": "VpcPublicSubnet1NATGateway4D7517AA"});
        for (id, v) in r.as_object().expect("resources") {
            if id.starts_with("VpcPrivateSubnet") && v["Type"] == "AWS::EC2::Route" {
                assert_eq!(v["Properties"]["NatGatewayId"], nat, "{id}");
            }
        }
    }
}
