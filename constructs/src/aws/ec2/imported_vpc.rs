//! What every VPC is ([`IVpc`]), and VPCs imported from their attributes.

use std::rc::Rc;

use super::vpc::{select_subnets, Subnet, SubnetSelection, SubnetType, Vpc, VpcId};
use crate::core::{Construct, Scope, Value};

/// A VPC, owned ([`Vpc`]) or imported ([`Vpc::from_attributes`]): the CDK's
/// `IVpc`. Security groups, instances, load balancers, target groups and
/// database clusters take `&dyn IVpc`.
///
/// ```
/// use constructs::aws::ec2::{IVpc, SubnetSelection, SubnetType, Vpc, VpcProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let vpc = Vpc::new(&stack, "Vpc", VpcProps::default());
/// let any: &dyn IVpc = &vpc;
/// assert!(any.select_subnets(&SubnetSelection::of_type(SubnetType::Private)).is_ok());
/// ```
pub trait IVpc: Scope + std::fmt::Debug {
    /// The VPC's id.
    fn vpc_id(&self) -> VpcId;

    /// The VPC's IPv4 block, when known (an import's only if given).
    fn vpc_cidr_block(&self) -> Option<Value>;

    /// The AZs the VPC spans, in order.
    fn availability_zones(&self) -> Vec<Value>;

    /// Every subnet, group by group, AZ by AZ.
    fn subnets(&self) -> Vec<Subnet>;

    /// The subnets a selection denotes, or why it denotes none (for the
    /// caller to record on its own node, so the error names the consumer).
    fn select_subnets(&self, selection: &SubnetSelection) -> Result<Vec<Subnet>, String>;

    /// The subnets of one type.
    fn subnets_of_type(&self, subnet_type: SubnetType) -> Vec<Subnet> {
        self.subnets()
            .into_iter()
            .filter(|s| s.subnet_type() == subnet_type)
            .collect()
    }
}

impl IVpc for Vpc {
    fn vpc_id(&self) -> VpcId {
        Vpc::vpc_id(self)
    }

    fn vpc_cidr_block(&self) -> Option<Value> {
        Some(self.cidr_block())
    }

    fn availability_zones(&self) -> Vec<Value> {
        Vpc::availability_zones(self)
    }

    fn subnets(&self) -> Vec<Subnet> {
        Vpc::subnets(self)
    }

    fn select_subnets(&self, selection: &SubnetSelection) -> Result<Vec<Subnet>, String> {
        Vpc::select_subnets(self, selection)
    }
}

/// What is known of a VPC made outside this app (the CDK's `VpcAttributes`).
///
/// Subnet ids of a type are given AZ by AZ, group by group: with AZs `[a, b]`,
/// `private_subnet_ids: [p1, p2, p3, p4]` are two groups (`Private` in `a`,
/// `b`, then `Private2` in `a`, `b`), so their count must be a multiple of the
/// AZs' (as the CDK).
#[derive(Clone, Debug, Default)]
pub struct VpcAttributes {
    /// The VPC's id. Required.
    pub vpc_id: Value,
    /// The AZs, in the order the subnet ids follow. Required when any subnet id is given.
    pub availability_zones: Vec<Value>,
    /// The public subnets' ids. Default: none.
    pub public_subnet_ids: Vec<Value>,
    /// The private subnets' (with egress) ids. Default: none.
    pub private_subnet_ids: Vec<Value>,
    /// The isolated subnets' ids. Default: none.
    pub isolated_subnet_ids: Vec<Value>,
    /// The route table ids of the public subnets, one per subnet. Default: unknown.
    pub public_subnet_route_table_ids: Vec<Value>,
    /// The route table ids of the private subnets, one per subnet. Default: unknown.
    pub private_subnet_route_table_ids: Vec<Value>,
    /// The route table ids of the isolated subnets, one per subnet. Default: unknown.
    pub isolated_subnet_route_table_ids: Vec<Value>,
    /// The VPC's IPv4 block. Default: unknown.
    pub vpc_cidr_block: Option<Value>,
}

#[derive(Debug)]
struct ImportedVpcInner {
    vpc_id: Value,
    cidr: Option<Value>,
    availability_zones: Vec<Value>,
    subnets: Vec<Subnet>,
    groups: Vec<(String, SubnetType)>,
}

/// A VPC imported from its attributes ([`Vpc::from_attributes`]): a construct
/// in the tree, with a construct per subnet (`PublicSubnet1` ...), that creates no resource.
#[derive(Clone, Debug)]
pub struct ImportedVpc {
    node: Construct,
    inner: Rc<ImportedVpcInner>,
}

impl Scope for ImportedVpc {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Vpc {
    /// Imports a VPC from its attributes. Subnet ids whose count is not a
    /// multiple of the AZs', and route table ids whose count differs from the
    /// subnets', are errors at synthesis naming the import.
    ///
    /// ```
    /// use constructs::aws::ec2::{IVpc, SecurityGroup, SecurityGroupProps, SubnetSelection, SubnetType, Vpc, VpcAttributes};
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let vpc = Vpc::from_attributes(&stack, "Shared", VpcAttributes {
    ///     vpc_id: "vpc-0123".into(),
    ///     availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
    ///     private_subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
    ///     ..Default::default()
    /// });
    /// let private = vpc.select_subnets(&SubnetSelection::of_type(SubnetType::Private)).unwrap_or_default();
    /// assert_eq!(private[1].subnet_id().value().as_str(), Some("subnet-b"));
    /// SecurityGroup::new(&stack, "Sg", &vpc, SecurityGroupProps::default());
    /// assert!(app.synth().is_ok());
    /// ```
    pub fn from_attributes(scope: &impl Scope, id: &str, attributes: VpcAttributes) -> ImportedVpc {
        let node = Construct::new_typed(scope, id, "constructs.aws.ec2.ImportedVpc");
        let azs = attributes.availability_zones;
        let mut subnets = Vec::new();
        let mut groups = Vec::new();
        for (subnet_type, ids, tables) in [
            (
                SubnetType::Public,
                &attributes.public_subnet_ids,
                &attributes.public_subnet_route_table_ids,
            ),
            (
                SubnetType::Private,
                &attributes.private_subnet_ids,
                &attributes.private_subnet_route_table_ids,
            ),
            (
                SubnetType::Isolated,
                &attributes.isolated_subnet_ids,
                &attributes.isolated_subnet_route_table_ids,
            ),
        ] {
            if ids.is_empty() {
                continue;
            }
            let label = subnet_type.label();
            if azs.is_empty() || ids.len() % azs.len() != 0 {
                node.add_error(format!(
                    "{} {label} subnet ids are not a multiple of the {} availability zones: give the ids AZ by AZ, one group after another",
                    ids.len(),
                    azs.len()
                ));
                continue;
            }
            if !tables.is_empty() && tables.len() != ids.len() {
                node.add_error(format!(
                    "{} {label} route table ids for {} {label} subnets: give one per subnet, or none",
                    tables.len(),
                    ids.len()
                ));
            }
            let base = subnet_type.label();
            for (i, subnet_id) in ids.iter().enumerate() {
                let group = i / azs.len();
                let group_name = if group == 0 {
                    base.to_owned()
                } else {
                    format!("{base}{}", group + 1)
                };
                if i % azs.len() == 0 {
                    groups.push((group_name.clone(), subnet_type));
                }
                let subnet_node = Construct::new_typed(
                    &node,
                    &format!("{group_name}Subnet{}", i % azs.len() + 1),
                    "constructs.aws.ec2.ImportedSubnet",
                );
                subnets.push(Subnet::imported(
                    subnet_node,
                    subnet_id.clone(),
                    tables.get(i).cloned(),
                    azs[i % azs.len()].clone(),
                    i % azs.len(),
                    &group_name,
                    subnet_type,
                ));
            }
        }
        ImportedVpc {
            node,
            inner: Rc::new(ImportedVpcInner {
                vpc_id: attributes.vpc_id,
                cidr: attributes.vpc_cidr_block,
                availability_zones: azs,
                subnets,
                groups,
            }),
        }
    }
}

impl IVpc for ImportedVpc {
    fn vpc_id(&self) -> VpcId {
        VpcId(self.inner.vpc_id.clone())
    }

    fn vpc_cidr_block(&self) -> Option<Value> {
        self.inner.cidr.clone()
    }

    fn availability_zones(&self) -> Vec<Value> {
        self.inner.availability_zones.clone()
    }

    fn subnets(&self) -> Vec<Subnet> {
        self.inner.subnets.clone()
    }

    fn select_subnets(&self, selection: &SubnetSelection) -> Result<Vec<Subnet>, String> {
        select_subnets(
            &self.node.path(),
            &self.inner.subnets,
            &self.inner.groups,
            self.inner.availability_zones.len(),
            selection,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, Stack, StackProps};

    #[test]
    fn subnets_follow_the_azs_group_by_group_and_counts_are_checked() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = Vpc::from_attributes(
            &stack,
            "Shared",
            VpcAttributes {
                vpc_id: "vpc-1".into(),
                availability_zones: vec!["a".into(), "b".into()],
                private_subnet_ids: ["p1", "p2", "p3", "p4"].map(Value::from).to_vec(),
                public_subnet_ids: vec!["pub1".into()],
                ..Default::default()
            },
        );
        let second = vpc
            .select_subnets(&SubnetSelection::group("Private2").in_az(1))
            .unwrap_or_default();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].subnet_id().value().as_str(), Some("p4"));
        assert_eq!(second[0].availability_zone().as_str(), Some("b"));
        assert_eq!(second[0].node().path(), "S/Shared/Private2Subnet2");
        assert!(second[0].resource().is_none() && second[0].route_table_id().is_none());
        let e = vpc
            .select_subnets(&SubnetSelection::of_type(SubnetType::Isolated))
            .expect_err("no isolated");
        assert!(e.contains("VPC 'S/Shared' has no Isolated subnets"), "{e}");
        let e = app.synth().expect_err("public count").to_string();
        assert!(
            e.contains("S/Shared: 1 Public subnet ids are not a multiple of the 2 availability zones"),
            "{e}"
        );
    }
}
