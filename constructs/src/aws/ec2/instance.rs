//! EC2 instances, with an instance profile for their role, placed in a
//! subnet of a VPC, requiring IMDSv2 by default.

use std::rc::Rc;

use super::imported_vpc::IVpc;
use super::machine_image::MachineImage;
use super::security_group::{ISecurityGroup, SecurityGroup, SecurityGroupProps};
use super::user_data::UserData;
use super::vpc::SubnetSelection;
use crate::aws::iam::{IGrantable, IPrincipal, Principal, Role, RoleProps};
use crate::cfn::{ec2, iam};
use crate::core::{CfnResource, Construct, Scope, Tags, Value};

crate::typed_value!(
    /// The id of an EC2 instance (`i-...`).
    InstanceId
);

/// Properties of an [`Instance`].
#[derive(Clone, Debug)]
pub struct InstanceProps {
    /// The instance type, e.g. `t3.micro`. Required.
    pub instance_type: String,
    /// The AMI. Default: the latest Amazon Linux 2023.
    pub machine_image: MachineImage,
    /// Where the instance goes: the first subnet of the selection. Default:
    /// the VPC's private subnets (the first AZ).
    pub vpc_subnets: SubnetSelection,
    /// The security groups. Default: a new group (child
    /// `InstanceSecurityGroup`) that allows all outbound traffic and no inbound.
    pub security_groups: Vec<Rc<dyn ISecurityGroup>>,
    /// The role the instance's software acts as. Default: a new role (child
    /// `InstanceRole`) assumed by `ec2.amazonaws.com`, with no permissions.
    pub role: Option<Role>,
    /// An EC2 key pair for SSH. Default: none (reach the instance through SSM
    /// Session Manager, which needs `AmazonSSMManagedInstanceCore` on the role).
    pub key_name: Option<String>,
    /// The first-boot script. Default: none.
    pub user_data: Option<UserData>,
    /// Require IMDSv2 (session tokens) for the instance metadata service,
    /// which blocks SSRF-style credential theft through IMDSv1. Default: true.
    pub require_imdsv2: bool,
    /// The `Name` tag. Default: the construct path, as the CDK.
    pub instance_name: Option<String>,
}

impl Default for InstanceProps {
    fn default() -> Self {
        InstanceProps {
            instance_type: String::new(),
            machine_image: MachineImage::default(),
            vpc_subnets: SubnetSelection::default(),
            security_groups: Vec::new(),
            role: None,
            key_name: None,
            user_data: None,
            require_imdsv2: true,
            instance_name: None,
        }
    }
}

/// An EC2 instance (`AWS::EC2::Instance`) with its instance profile
/// (`InstanceProfile`), as the CDK's `Instance`.
///
/// IMDSv2 is required through the instance's own `MetadataOptions` (the CDK
/// uses a launch template for this; CloudFormation now takes the option on
/// the instance, which saves a resource and its name).
#[derive(Clone, Debug)]
pub struct Instance {
    node: Construct,
    resource: CfnResource,
    profile: CfnResource,
    role: Role,
    security_groups: Vec<Rc<dyn ISecurityGroup>>,
    availability_zone: Value,
}

impl Scope for Instance {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl IGrantable for Instance {
    fn grant_principal(&self) -> &dyn IPrincipal {
        &self.role
    }
}

impl Instance {
    /// Adds an instance in a subnet of `vpc`.
    pub fn new(scope: &impl Scope, id: &str, vpc: &dyn IVpc, props: InstanceProps) -> Instance {
        let node = Construct::new_typed(scope, id, "constructs.aws.ec2.Instance");
        let security_groups = if props.security_groups.is_empty() {
            vec![Rc::new(SecurityGroup::new(
                &node,
                "InstanceSecurityGroup",
                vpc,
                SecurityGroupProps::default(),
            )) as Rc<dyn ISecurityGroup>]
        } else {
            props.security_groups
        };
        let role = props.role.unwrap_or_else(|| {
            Role::new(
                &node,
                "InstanceRole",
                RoleProps {
                    assumed_by: Principal::service("ec2.amazonaws.com"),
                    ..Default::default()
                },
            )
        });
        Tags::of(&node).add("Name", props.instance_name.unwrap_or_else(|| node.path()));
        let profile: CfnResource = iam::CfnInstanceProfile::new(
            &node,
            "InstanceProfile",
            iam::CfnInstanceProfileProps {
                roles: Some(Value::list([role.name()])),
                ..Default::default()
            },
        )
        .into();

        let instance = ec2::CfnInstance::new(&node, "Resource", Default::default());
        let subnet = match vpc.select_subnets(&props.vpc_subnets) {
            Ok(subnets) => subnets.into_iter().next(),
            Err(e) => {
                node.add_error(format!("vpc_subnets: {e}"));
                None
            }
        };
        let availability_zone = subnet.as_ref().map(|s| s.availability_zone()).unwrap_or_default();
        let image_id = props.machine_image.image_id(&node);
        if !is_instance_type(&props.instance_type) {
            node.add_error(format!(
                "instance_type '{}' is invalid: give a type such as t3.micro",
                props.instance_type
            ));
        }
        let user_data = props.user_data.and_then(|ud| match ud.render() {
            Ok(text) => Some(Value::base64(text)),
            Err(e) => {
                node.add_error(format!("user_data: {e}"));
                None
            }
        });
        instance.set_props(ec2::CfnInstanceProps {
            availability_zone: Some(availability_zone.clone()),
            iam_instance_profile: Some(profile.ref_()),
            image_id: Some(image_id),
            instance_type: Some(props.instance_type.as_str().into()),
            key_name: props.key_name.map(Value::from),
            metadata_options: props.require_imdsv2.then(|| {
                ec2::instance::MetadataOptions {
                    http_tokens: Some("required".into()),
                    ..Default::default()
                }
                .into()
            }),
            security_group_ids: Some(Value::list(security_groups.iter().map(|g| g.security_group_id()))),
            subnet_id: subnet.as_ref().map(|s| s.subnet_id().value()),
            user_data,
            ..Default::default()
        });
        let resource: CfnResource = instance.into();
        // The instance boots with its permissions in place, as the CDK's, and
        // with its subnet's routes, so the user data can reach the internet.
        resource.add_depends_on(role.resource());
        for c in subnet.iter().flat_map(|s| s.internet_connectivity().to_vec()) {
            resource.add_depends_on(&c);
        }
        if let Some(p) = role.default_policy() {
            resource.add_depends_on(p.resource());
        }
        Instance {
            node,
            resource,
            profile,
            role,
            security_groups,
            availability_zone,
        }
    }

    /// The instance's id.
    pub fn instance_id(&self) -> InstanceId {
        InstanceId(self.resource.ref_())
    }

    /// The private IPv4 address.
    pub fn private_ip(&self) -> Value {
        self.resource.get_att("PrivateIp")
    }

    /// The AZ the instance runs in.
    pub fn availability_zone(&self) -> Value {
        self.availability_zone.clone()
    }

    /// The instance's role.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The instance's security groups.
    pub fn security_groups(&self) -> &[Rc<dyn ISecurityGroup>] {
        &self.security_groups
    }

    /// The instance profile (`AWS::IAM::InstanceProfile`).
    pub fn instance_profile(&self) -> &CfnResource {
        &self.profile
    }

    /// The L1 instance (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

fn is_instance_type(t: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    matches!(t.split_once('.'), Some((family, size)) if ok(family) && ok(size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::{SubnetConfiguration, SubnetType, Vpc, VpcProps};
    use crate::core::{App, Stack, StackProps};
    use serde_json::json;

    fn vpc(stack: &Stack) -> Vpc {
        Vpc::new(
            stack,
            "Vpc",
            VpcProps {
                max_azs: 2,
                subnet_configuration: vec![
                    SubnetConfiguration::new("Public", SubnetType::Public, 24),
                    SubnetConfiguration::new("Private", SubnetType::Private, 24),
                ],
                ..Default::default()
            },
        )
    }

    #[test]
    fn defaults_make_a_role_a_group_a_profile_and_require_imdsv2() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = vpc(&stack);
        Instance::new(
            &stack,
            "Web",
            &vpc,
            InstanceProps {
                instance_type: "t3.micro".into(),
                ..Default::default()
            },
        );
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        let find = |path: &str| {
            t["Resources"]
                .as_object()
                .and_then(|r| r.values().find(|v| v["Metadata"]["aws:cdk:path"] == path).cloned())
                .unwrap_or_else(|| panic!("no {path}"))
        };
        let i = find("S/Web/Resource");
        let p = &i["Properties"];
        assert_eq!(p["MetadataOptions"], json!({"HttpTokens": "required"}));
        assert_eq!(p["InstanceType"], "t3.micro");
        assert!(p.get("KeyName").is_none());
        assert!(p.get("UserData").is_none());
        assert_eq!(
            p["ImageId"],
            json!({"Ref": "SsmParameterValueawsserviceamiamazonlinuxlatestal2023amikerneldefaultx8664C96584B6F00A464EAD1953AFF4B05118Parameter"})
        );
        assert_eq!(
            p["SubnetId"]["Ref"]
                .as_str()
                .map(|s| s.starts_with("VpcPrivateSubnet1Subnet")),
            Some(true)
        );
        assert_eq!(p["Tags"], json!([{"Key": "Name", "Value": "S/Web"}]));
        let role = find("S/Web/InstanceRole/Resource");
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"Service": "ec2.amazonaws.com"})
        );
        find("S/Web/InstanceSecurityGroup/Resource");
        let profile = find("S/Web/InstanceProfile");
        assert_eq!(profile["Type"], "AWS::IAM::InstanceProfile");
        let depends: Vec<&str> = i["DependsOn"]
            .as_array()
            .map(|d| d.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(depends.len(), 3, "{depends:?}");
        assert!(depends[0].starts_with("VpcPrivateSubnet1DefaultRoute"), "{depends:?}");
        assert!(
            depends[1].starts_with("VpcPrivateSubnet1RouteTableAssociation"),
            "{depends:?}"
        );
        assert!(depends[2].starts_with("WebInstanceRole"), "{depends:?}");
        assert_eq!(
            t["Parameters"]["SsmParameterValueawsserviceamiamazonlinuxlatestal2023amikerneldefaultx8664C96584B6F00A464EAD1953AFF4B05118Parameter"],
            json!({"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"})
        );
    }

    #[test]
    fn two_instances_share_the_image_parameter() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = vpc(&stack);
        for i in 0..2 {
            Instance::new(
                &stack,
                &format!("Web{i}"),
                &vpc,
                InstanceProps {
                    instance_type: "t3.micro".into(),
                    machine_image: MachineImage::LatestAmazonLinux2,
                    vpc_subnets: SubnetSelection::group("Private").in_az(i),
                    ..Default::default()
                },
            );
        }
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let params = s.stacks[0].template["Parameters"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(params.contains_key(
            "SsmParameterValueawsserviceamiamazonlinuxlatestamzn2amikernel510hvmx8664gp2C96584B6F00A464EAD1953AFF4B05118Parameter"
        ));
        assert_eq!(params.len(), 2, "the image parameter and BootstrapVersion");
    }

    #[test]
    fn bad_type_unknown_az_missing_group_and_unreadable_user_data_name_the_instance() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let vpc = vpc(&stack);
        Instance::new(
            &stack,
            "Web",
            &vpc,
            InstanceProps {
                instance_type: "t3micro".into(),
                vpc_subnets: SubnetSelection::group("Private").in_az(5),
                user_data: Some(UserData::from_file("/nonexistent/user-data.sh")),
                ..Default::default()
            },
        );
        Instance::new(
            &stack,
            "Db",
            &vpc,
            InstanceProps {
                instance_type: "t3.micro".into(),
                vpc_subnets: SubnetSelection::group("Isolated"),
                ..Default::default()
            },
        );
        let e = app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(e.contains("S/Web: instance_type 't3micro' is invalid"), "{e}");
        assert!(
            e.contains("S/Web: vpc_subnets: AZ index 5 is unknown: VPC 'S/Vpc' has 2 AZs"),
            "{e}"
        );
        assert!(
            e.contains("S/Web: user_data: cannot read the user data file /nonexistent/user-data.sh"),
            "{e}"
        );
        assert!(
            e.contains("S/Db: vpc_subnets: there is no subnet group named 'Isolated' in VPC 'S/Vpc'"),
            "{e}"
        );
    }
}
