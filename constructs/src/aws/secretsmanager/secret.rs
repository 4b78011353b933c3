//! Secrets Manager secrets with a generated value, and their attachment to
//! the database that uses them.

use std::cell::RefCell;
use std::rc::Rc;

use crate::cfn::secretsmanager::{self, secret};
use crate::core::{CfnResource, Construct, RemovalPolicy, Scope, Value};

crate::typed_value!(
    /// The ARN of a secret.
    SecretArn
);

/// How Secrets Manager generates the secret's value.
#[derive(Clone, Debug, Default)]
pub struct GenerateSecretString {
    /// A JSON object the generated string is added to, e.g.
    /// `{"username": "admin"}`; needs `generate_string_key`. Default: none (the
    /// secret is the generated string alone).
    pub secret_string_template: Option<String>,
    /// The key the generated string goes under in the template, e.g.
    /// `password`. Default: none.
    pub generate_string_key: Option<String>,
    /// Characters the generated string must not contain (for a database
    /// password, those the engine refuses: `:@/" `). Default: none.
    pub exclude_characters: Option<String>,
    /// The length. Default: Secrets Manager's, 32.
    pub password_length: Option<u32>,
    /// No punctuation. Default: false.
    pub exclude_punctuation: bool,
}

/// Properties of a [`Secret`].
#[derive(Clone, Debug)]
pub struct SecretProps {
    /// The secret's name (`/`-separated paths allowed). Default: generated
    /// by CloudFormation.
    pub secret_name: Option<String>,
    /// A description. Default: none.
    pub description: Option<String>,
    /// How the value is generated. Default: a 32-character string.
    pub generate_secret_string: GenerateSecretString,
    /// A KMS key ARN to encrypt the value with. Default: `aws/secretsmanager`.
    pub kms_key_arn: Option<Value>,
    /// What happens to the secret when it leaves the stack. Default: `Delete`,
    /// as the CDK (Secrets Manager keeps it recoverable for 30 days).
    pub removal_policy: RemovalPolicy,
}

impl Default for SecretProps {
    fn default() -> Self {
        SecretProps {
            secret_name: None,
            description: None,
            generate_secret_string: GenerateSecretString::default(),
            kms_key_arn: None,
            removal_policy: RemovalPolicy::Delete,
        }
    }
}

/// What a secret is attached to (the attachment adds the connection details
/// to the secret, for rotation and clients).
#[derive(Clone, Debug)]
pub enum AttachmentTarget {
    /// An RDS DB cluster, by its identifier (`Ref`).
    RdsDbCluster(Value),
    /// An RDS DB instance, by its identifier (`Ref`).
    RdsDbInstance(Value),
}

/// A secret (`AWS::SecretsManager::Secret`) whose value Secrets Manager
/// generates, so it never appears in the template.
///
/// ```
/// use constructs::aws::secretsmanager::{GenerateSecretString, Secret, SecretProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let secret = Secret::new(&stack, "DBSecret", SecretProps {
///     secret_name: Some("WebApp/DBLoginInfo".into()),
///     generate_secret_string: GenerateSecretString {
///         secret_string_template: Some(r#"{"username": "admin"}"#.into()),
///         generate_string_key: Some("password".into()),
///         exclude_characters: Some(":@/\" ".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// });
/// let _username = secret.secret_value_from_json("username");
/// ```
#[derive(Clone, Debug)]
pub struct Secret {
    node: Construct,
    resource: CfnResource,
    attachment: Rc<RefCell<Option<CfnResource>>>,
}

impl Scope for Secret {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Secret {
    /// Adds a secret.
    pub fn new(scope: &impl Scope, id: &str, props: SecretProps) -> Secret {
        let node = Construct::new_typed(scope, id, "constructs.aws.secretsmanager.Secret");
        let g = props.generate_secret_string;
        if g.secret_string_template.is_some() != g.generate_string_key.is_some() {
            node.add_error(
                "generate_secret_string: give secret_string_template and generate_string_key together, or neither",
            );
        }
        if let Some(t) = &g.secret_string_template {
            if !matches!(
                serde_json::from_str::<serde_json::Value>(t),
                Ok(serde_json::Value::Object(_))
            ) {
                node.add_error(format!(
                    "generate_secret_string: secret_string_template '{t}' is not a JSON object"
                ));
            }
        }
        if let Some(n) = g.password_length {
            if !(1..=4096).contains(&n) {
                node.add_error(format!(
                    "generate_secret_string: password_length {n} is out of range 1-4096"
                ));
            }
        }
        if let Some(n) = &props.secret_name {
            if n.is_empty() || n.len() > 512 {
                node.add_error(format!("secret_name '{n}' is invalid: 1-512 characters"));
            }
        }
        let generate = secret::GenerateSecretString {
            exclude_characters: g.exclude_characters.map(Into::into),
            exclude_punctuation: g.exclude_punctuation.then_some(true.into()),
            generate_string_key: g.generate_string_key.map(Into::into),
            password_length: g.password_length.map(Into::into),
            secret_string_template: g.secret_string_template.map(Into::into),
            ..Default::default()
        };
        let resource: CfnResource = secretsmanager::CfnSecret::new(
            &node,
            "Resource",
            secretsmanager::CfnSecretProps {
                description: props.description.map(Into::into),
                generate_secret_string: Some(generate.into()),
                kms_key_id: props.kms_key_arn,
                name: props.secret_name.map(Into::into),
                ..Default::default()
            },
        )
        .into();
        resource.apply_removal_policy(props.removal_policy);
        Secret {
            node,
            resource,
            attachment: Rc::new(RefCell::new(None)),
        }
    }

    /// The secret's ARN.
    pub fn arn(&self) -> SecretArn {
        SecretArn(self.resource.ref_())
    }

    /// A dynamic reference to a JSON key of the secret's value
    /// (`{{resolve:secretsmanager:ARN:SecretString:KEY::}}`): CloudFormation
    /// resolves it at deploy, so the value never appears in the template.
    pub fn secret_value_from_json(&self, key: &str) -> Value {
        Value::concat([
            Value::from("{{resolve:secretsmanager:"),
            self.resource.ref_(),
            Value::from(format!(":SecretString:{key}::}}}}")),
        ])
    }

    /// Attaches the secret to a database (child `Attachment`, an
    /// `AWS::SecretsManager::SecretTargetAttachment` with an L1 child
    /// `Resource`, as the CDK). A secret has one attachment: a second call
    /// is an error reported at synthesis.
    pub fn attach(&self, target: AttachmentTarget) -> CfnResource {
        let mut slot = self.attachment.borrow_mut();
        if let Some(existing) = slot.as_ref() {
            self.node
                .add_error("the secret is attached twice: a secret can be attached to one database only");
            return existing.clone();
        }
        let scope = Construct::new_typed(
            &self.node,
            "Attachment",
            "constructs.aws.secretsmanager.SecretTargetAttachment",
        );
        let (id, type_) = match target {
            AttachmentTarget::RdsDbCluster(v) => (v, "AWS::RDS::DBCluster"),
            AttachmentTarget::RdsDbInstance(v) => (v, "AWS::RDS::DBInstance"),
        };
        let attachment: CfnResource = secretsmanager::CfnSecretTargetAttachment::new(
            &scope,
            "Resource",
            secretsmanager::CfnSecretTargetAttachmentProps {
                secret_id: Some(self.resource.ref_()),
                target_id: Some(id),
                target_type: Some(type_.into()),
            },
        )
        .into();
        *slot = Some(attachment.clone());
        attachment
    }

    /// The L1 secret (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, Stack, StackProps};
    use serde_json::json;

    #[test]
    fn generated_value_dynamic_references_and_attachment() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let secret = Secret::new(
            &stack,
            "DBSecret",
            SecretProps {
                secret_name: Some("WebApp/DBLoginInfo".into()),
                generate_secret_string: GenerateSecretString {
                    secret_string_template: Some(r#"{"username": "admin"}"#.into()),
                    generate_string_key: Some("password".into()),
                    exclude_characters: Some(":@/\" ".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        let db = crate::cfn::rds::CfnDBCluster::new(
            &stack,
            "Db",
            crate::cfn::rds::CfnDBClusterProps {
                master_username: Some(secret.secret_value_from_json("username")),
                ..Default::default()
            },
        );
        secret.attach(AttachmentTarget::RdsDbCluster(db.ref_()));
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let r = &s.stacks[0].template["Resources"];
        assert_eq!(
            r["DBSecretD58955BC"]["Properties"],
            json!({
                "GenerateSecretString": {"ExcludeCharacters": ":@/\" ", "GenerateStringKey": "password", "SecretStringTemplate": "{\"username\": \"admin\"}"},
                "Name": "WebApp/DBLoginInfo"
            })
        );
        assert_eq!(r["DBSecretD58955BC"]["DeletionPolicy"], "Delete");
        assert_eq!(
            r["DBSecretAttachmentC565A14F"]["Properties"],
            json!({"SecretId": {"Ref": "DBSecretD58955BC"}, "TargetId": {"Ref": "Db"}, "TargetType": "AWS::RDS::DBCluster"})
        );
        assert_eq!(
            r["Db"]["Properties"]["MasterUsername"],
            json!({"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "DBSecretD58955BC"}, ":SecretString:username::}}"]]})
        );
    }

    #[test]
    fn template_without_key_and_a_second_attachment_are_errors() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        let secret = Secret::new(
            &stack,
            "Secret",
            SecretProps {
                generate_secret_string: GenerateSecretString {
                    secret_string_template: Some("[1]".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        secret.attach(AttachmentTarget::RdsDbInstance("db".into()));
        secret.attach(AttachmentTarget::RdsDbInstance("db".into()));
        let e = app.synth().map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(
            e.contains(
                "S/Secret: generate_secret_string: give secret_string_template and generate_string_key together"
            ),
            "{e}"
        );
        assert!(
            e.contains("S/Secret: generate_secret_string: secret_string_template '[1]' is not a JSON object"),
            "{e}"
        );
        assert!(e.contains("S/Secret: the secret is attached twice"), "{e}");
    }
}
