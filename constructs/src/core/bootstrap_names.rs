//! The names of the CDK bootstrap's resources for one qualifier, as the CDK's
//! `DefaultStackSynthesizer` writes them into templates and the manifest and
//! `cdk bootstrap --qualifier` creates them: one place for the asset bucket,
//! the four roles and the version parameter.

/// The context key of the app-wide qualifier (the CDK's own key).
pub const QUALIFIER_CONTEXT: &str = "@aws-cdk/core:bootstrapQualifier";

/// The CDK bootstrap's names for one qualifier. `${AWS::AccountId}`,
/// `${AWS::Region}` and `${AWS::Partition}` stay placeholders (the template's
/// `Fn::Sub`, or the deploy tool's substitution).
///
/// ```
/// use constructs::core::BootstrapNames;
/// let names = BootstrapNames::new("myapp").expect("a valid qualifier");
/// assert_eq!(names.version_parameter(), "/cdk-bootstrap/myapp/version");
/// assert_eq!(names.asset_bucket(), "cdk-myapp-assets-${AWS::AccountId}-${AWS::Region}");
/// assert!(BootstrapNames::new("My_App").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapNames {
    qualifier: String,
}

impl Default for BootstrapNames {
    /// The CDK's default qualifier, `hnb659fds`.
    fn default() -> Self {
        BootstrapNames {
            qualifier: super::stack::BOOTSTRAP_QUALIFIER.to_owned(),
        }
    }
}

impl BootstrapNames {
    /// The names for `qualifier`: 1 to 10 lower-case letters, digits or
    /// hyphens (it becomes part of an S3 bucket name); the reason otherwise.
    pub fn new(qualifier: &str) -> Result<BootstrapNames, String> {
        let valid = (1..=10).contains(&qualifier.len())
            && qualifier
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(BootstrapNames {
                qualifier: qualifier.to_owned(),
            })
        } else {
            Err(format!(
                "bootstrap qualifier '{qualifier}' is invalid: use 1 to 10 lower-case letters, digits or hyphens \
                 (it is part of the asset bucket's name), e.g. 'myapp'"
            ))
        }
    }

    /// The qualifier.
    pub fn qualifier(&self) -> &str {
        &self.qualifier
    }

    /// The asset bucket, `cdk-Q-assets-${AWS::AccountId}-${AWS::Region}`.
    pub fn asset_bucket(&self) -> String {
        format!("cdk-{}-assets-${{AWS::AccountId}}-${{AWS::Region}}", self.qualifier)
    }

    /// The prefix of the asset bucket's name before the account, `cdk-Q-assets-`.
    pub fn asset_bucket_prefix(&self) -> String {
        format!("cdk-{}-assets-", self.qualifier)
    }

    /// A role's name, `cdk-Q-KIND-role-${AWS::AccountId}-${AWS::Region}`
    /// (`KIND`: `deploy`, `file-publishing`, `cfn-exec`, `lookup`).
    pub fn role_name(&self, kind: &str) -> String {
        format!(
            "cdk-{}-{kind}-role-${{AWS::AccountId}}-${{AWS::Region}}",
            self.qualifier
        )
    }

    /// A role's ARN in the stack's account, with the partition placeholder.
    pub fn role_arn(&self, kind: &str) -> String {
        format!(
            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{}",
            self.role_name(kind)
        )
    }

    /// The SSM parameter holding the bootstrap version, `/cdk-bootstrap/Q/version`.
    pub fn version_parameter(&self) -> String {
        format!("/cdk-bootstrap/{}/version", self.qualifier)
    }

    /// The names a version parameter (`/cdk-bootstrap/Q/version`) belongs to.
    pub fn from_version_parameter(parameter: &str) -> Option<BootstrapNames> {
        let q = parameter.strip_prefix("/cdk-bootstrap/")?.strip_suffix("/version")?;
        BootstrapNames::new(q).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::BootstrapNames;
    use crate::core::{App, CfnResource, Stack, StackProps};

    /// The template and the manifest's stack properties and asset destination of one stack.
    fn synthesized(app: &App) -> (serde_json::Value, serde_json::Value, serde_json::Value) {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = app
            .synth_to(&dir.path().join("cdk.out"))
            .unwrap_or_else(|e| panic!("{e}"));
        let read = |name: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(a.directory.join(name)).expect("file")).expect("JSON")
        };
        let manifest = read("manifest.json");
        let assets = read("S.assets.json");
        (
            a.synthesis.stacks[0].template.clone(),
            manifest["artifacts"]["S"]["properties"].clone(),
            assets["files"]
                .as_object()
                .and_then(|f| f.values().next())
                .expect("template asset")["destinations"]
                .clone(),
        )
    }

    #[test]
    fn a_qualifier_from_the_props_or_the_context_names_every_bootstrap_resource() {
        let by_props = App::new();
        let stack = Stack::new(
            &by_props,
            "S",
            StackProps {
                bootstrap_qualifier: Some("myapp".into()),
                ..Default::default()
            },
        );
        CfnResource::new(&stack, "T", "AWS::SNS::Topic");
        let by_context = App::with_context(
            [(super::QUALIFIER_CONTEXT.to_owned(), serde_json::json!("myapp"))]
                .into_iter()
                .collect(),
        );
        CfnResource::new(
            &Stack::new(&by_context, "S", StackProps::default()),
            "T",
            "AWS::SNS::Topic",
        );
        for app in [by_props, by_context] {
            let (template, props, destinations) = synthesized(&app);
            assert_eq!(
                template["Parameters"]["BootstrapVersion"]["Default"],
                "/cdk-bootstrap/myapp/version"
            );
            assert_eq!(
                props["bootstrapStackVersionSsmParameter"],
                "/cdk-bootstrap/myapp/version"
            );
            assert!(
                props["assumeRoleArn"]
                    .as_str()
                    .is_some_and(|r| r.contains("role/cdk-myapp-deploy-role-")),
                "{props}"
            );
            assert!(
                props["stackTemplateAssetObjectUrl"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("s3://cdk-myapp-assets-")),
                "{props}"
            );
            let d = destinations
                .as_object()
                .and_then(|d| d.values().next())
                .expect("a destination");
            assert_eq!(d["bucketName"], "cdk-myapp-assets-${AWS::AccountId}-${AWS::Region}");
            assert!(d["assumeRoleArn"]
                .as_str()
                .is_some_and(|r| r.contains("cdk-myapp-file-publishing-role")));
        }
        let bad = App::new();
        Stack::new(
            &bad,
            "S",
            StackProps {
                bootstrap_qualifier: Some("My_App".into()),
                ..Default::default()
            },
        );
        let err = bad.synth().expect_err("invalid qualifier").to_string();
        assert!(
            err.contains("S") && err.contains("qualifier 'My_App' is invalid"),
            "{err}"
        );
    }

    #[test]
    fn the_default_names_are_the_cdks() {
        let n = BootstrapNames::default();
        assert_eq!(n.qualifier(), "hnb659fds");
        assert_eq!(
            n.role_arn("deploy"),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}"
        );
        assert_eq!(
            BootstrapNames::from_version_parameter("/cdk-bootstrap/hnb659fds/version"),
            Some(n)
        );
        for bad in ["", "elevenchars", "UPPER", "under_score"] {
            assert!(BootstrapNames::new(bad).is_err(), "{bad:?}");
        }
    }
}
