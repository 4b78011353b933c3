//! Machine images: the AMI an instance boots from.

use crate::core::{CfnParameter, CfnParameterProps, Construct, ElementRef, ParameterType, Scope, Value};

/// The public SSM parameter of the latest Amazon Linux 2 AMI (kernel 5.10, x86_64, gp2): the one
/// the CDK's current `MachineImage.latestAmazonLinux2()` reads, so a stack the CDK deployed keeps
/// its instances (`ImageId` is create-only: another parameter would replace them).
pub const AMAZON_LINUX_2_PARAMETER: &str = "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2";
/// The public SSM parameter of the latest Amazon Linux 2023 AMI (x86_64).
pub const AMAZON_LINUX_2023_PARAMETER: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/// The AMI of an instance.
///
/// The `Latest*` and `SsmParameter` images are resolved at deploy time from a
/// stack parameter of type `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`,
/// named as the CDK names it (`SsmParameterValue...Parameter`), so each
/// deploy picks the AMI that is current then.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MachineImage {
    /// The latest Amazon Linux 2023 (x86_64).
    #[default]
    LatestAmazonLinux2023,
    /// The latest Amazon Linux 2 (kernel 5.10, x86_64, gp2), as the CDK's
    /// `MachineImage.latestAmazonLinux2()`.
    LatestAmazonLinux2,
    /// The AMI id held by a (public or own) SSM parameter, by name.
    SsmParameter(String),
    /// A fixed AMI id (`ami-...`), valid in one region only.
    Ami(String),
}

impl MachineImage {
    /// The SSM parameter the image is read from, if any.
    pub fn parameter_name(&self) -> Option<&str> {
        match self {
            MachineImage::LatestAmazonLinux2023 => Some(AMAZON_LINUX_2023_PARAMETER),
            MachineImage::LatestAmazonLinux2 => Some(AMAZON_LINUX_2_PARAMETER),
            MachineImage::SsmParameter(name) => Some(name),
            MachineImage::Ami(_) => None,
        }
    }

    /// The `ImageId` value, adding the stack parameter on first use.
    pub(crate) fn image_id(&self, scope: &Construct) -> Value {
        let Some(name) = self.parameter_name() else {
            return match self {
                MachineImage::Ami(id) => Value::from(id.as_str()),
                _ => Value::Null,
            };
        };
        let Some(stack) = scope.stack() else {
            return Value::Null;
        };
        // The CDK's `makeIdentityForImportedValue`, with '/' escaped as the constructs library does.
        let id = format!(
            "SsmParameterValue:{}:C96584B6-F00A-464E-AD19-53AFF4B05118.Parameter",
            name.replace('/', "--")
        );
        let node = match stack.node().child(&id) {
            Some(existing) => existing,
            None => CfnParameter::new(
                &stack,
                &id,
                CfnParameterProps {
                    type_: ParameterType::Other("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>".to_owned()),
                    default: Some(Value::from(name)),
                    ..Default::default()
                },
            )
            .node()
            .clone(),
        };
        let app = node.tree().app;
        Value::Ref(ElementRef { app, idx: node.idx })
    }
}
