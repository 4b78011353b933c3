//! Roles that exist outside this app, imported by ARN or name.

use std::cell::RefCell;
use std::rc::Rc;

use super::grant::{IGrantable, IPrincipal};
use super::policy::{Policy, PolicyProps, PolicyStatement};
use super::principal::Principal;
use super::role::{IRole, Role, RoleArn, RoleName};
use crate::core::logical_id::make_unique_id;
use crate::core::{Arn, ArnFormat, Construct, Scope, Stack, Value};

/// The longest IAM policy name.
const MAX_POLICY_NAME_LEN: usize = 128;

/// Options of [`Role::from_role_arn`] and [`Role::from_role_name`] (the CDK's `FromRoleArnOptions`).
#[derive(Clone, Debug)]
pub struct FromRoleArnOptions {
    /// Whether grants may change the role: statements go to an
    /// `AWS::IAM::Policy` in this stack attached to the role by name. When
    /// false the role is used as it is and every statement given to it is
    /// silently dropped, as the CDK does: the role must already have the
    /// permissions. A role of another account than the stack's (both known)
    /// is never changed. Default: true.
    pub mutable: bool,
    /// The id (and policy name) of the policy that takes the statements.
    /// Default: `Policy<unique id of the import>`, unique across stacks (the
    /// CDK's `@aws-cdk/aws-iam:importedRoleStackSafeDefaultPolicyName`), so two
    /// stacks importing one role do not overwrite each other's policy.
    pub default_policy_name: Option<String>,
}

impl Default for FromRoleArnOptions {
    fn default() -> Self {
        FromRoleArnOptions {
            mutable: true,
            default_policy_name: None,
        }
    }
}

/// A role imported by ARN or name: a construct in the tree that creates no
/// resource until a statement is given to it (mutable roles only).
///
/// ```
/// use constructs::aws::iam::{FromRoleArnOptions, IRole, Role};
/// use constructs::aws::sns::{Topic, TopicProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let role = Role::from_role_arn(&stack, "Runner", "arn:aws:iam::123456789012:role/ops/runner", FromRoleArnOptions::default());
/// assert_eq!(role.role_name().value().as_str(), Some("runner"));
/// Topic::new(&stack, "Alerts", TopicProps::default()).grant_publish(&role);
/// assert!(role.policy().is_some()); // an AWS::IAM::Policy attached to "runner"
/// ```
#[derive(Clone, Debug)]
pub struct ImportedRole {
    node: Construct,
    arn: Value,
    name: Value,
    mutable: bool,
    default_policy_name: Option<String>,
    policy: Rc<RefCell<Option<Policy>>>,
}

impl Scope for ImportedRole {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Role {
    /// Imports a role by ARN (a literal or a reference). Its name is the last
    /// `/`-separated part of the ARN (a role path is dropped); for an ARN that
    /// is a reference, the part after the first `/`, so give the ARN of a role
    /// with a path as a literal. See [`FromRoleArnOptions`] for what grants do.
    pub fn from_role_arn(
        scope: &impl Scope,
        id: &str,
        role_arn: impl Into<Value>,
        options: FromRoleArnOptions,
    ) -> ImportedRole {
        let node = Construct::new_typed(scope, id, "constructs.aws.iam.ImportedRole");
        let arn = role_arn.into();
        if let Some(s) = arn.as_str() {
            if !Arn::is_valid_literal(s) || !s.contains(":role/") {
                node.add_error(format!(
                    "'{s}' is not a role ARN: give arn:<partition>:iam::<account>:role/<name>, or use Role::from_role_name"
                ));
            }
        }
        let parts = Arn::split(&arn, ArnFormat::SlashResourceName);
        let name = match parts.resource_name.as_ref().and_then(Value::as_str) {
            Some(n) => Value::from(n.rsplit('/').next().unwrap_or(n)),
            None => parts.resource_name.clone().unwrap_or_default(),
        };
        let stack_account = Stack::of(&node).and_then(|s| s.environment().account);
        let other_account = match (parts.account.as_str(), stack_account) {
            (Some(role), Some(stack)) => !role.is_empty() && role != stack,
            _ => false,
        };
        ImportedRole {
            node,
            arn,
            name,
            mutable: options.mutable && !other_account,
            default_policy_name: options.default_policy_name,
            policy: Rc::new(RefCell::new(None)),
        }
    }

    /// Imports a role of the stack's account by name (`arn:${Partition}:iam::${AccountId}:role/<name>`).
    ///
    /// ```
    /// use constructs::aws::iam::{FromRoleArnOptions, IRole, Role};
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let role = Role::from_role_name(&stack, "Runner", "runner", FromRoleArnOptions::default());
    /// assert_eq!(role.role_name().value().as_str(), Some("runner"));
    /// ```
    pub fn from_role_name(scope: &impl Scope, id: &str, role_name: &str, options: FromRoleArnOptions) -> ImportedRole {
        let arn = match Stack::of(scope) {
            Some(stack) => stack.format_arn("iam", false, true, format!("role/{role_name}")),
            None => Value::from(format!("arn:aws:iam:::role/{role_name}")),
        };
        let role = Role::from_role_arn(scope, id, arn, options);
        ImportedRole {
            name: Value::from(role_name),
            ..role
        }
    }
}

impl ImportedRole {
    /// Whether statements given to the role are added (see [`FromRoleArnOptions::mutable`]).
    pub fn is_mutable(&self) -> bool {
        self.mutable
    }
}

impl IPrincipal for ImportedRole {
    fn add_to_principal_policy(&self, statement: PolicyStatement) -> bool {
        if !self.mutable {
            // As the CDK's ImmutableRole: the statement is dropped, and reported as added.
            return true;
        }
        let mut slot = self.policy.borrow_mut();
        let policy = slot.get_or_insert_with(|| {
            let id = self.default_policy_name.clone().unwrap_or_else(|| {
                let components: Vec<String> = self.node.path().split('/').map(str::to_owned).collect();
                let unique = format!("Policy{}", make_unique_id(&components).unwrap_or_default());
                let skip = unique.len().saturating_sub(MAX_POLICY_NAME_LEN);
                unique[skip..].to_owned()
            });
            let policy = Policy::new(
                &self.node,
                &id,
                PolicyProps {
                    policy_name: Some(id.clone()),
                    ..Default::default()
                },
            );
            policy.attach_to_role(self);
            policy
        });
        policy.add_statements([statement]);
        true
    }

    fn policy_fragment(&self) -> Option<Principal> {
        Some(Principal::Aws(self.arn.clone()))
    }
}

impl IGrantable for ImportedRole {
    fn grant_principal(&self) -> &dyn IPrincipal {
        self
    }
}

impl IRole for ImportedRole {
    fn role_arn(&self) -> RoleArn {
        RoleArn(self.arn.clone())
    }

    fn role_name(&self) -> RoleName {
        RoleName(self.name.clone())
    }

    fn policy(&self) -> Option<Policy> {
        self.policy.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertions::{Match, Template};
    use crate::aws::iam::{IGrantable, RoleProps};
    use crate::core::{App, Environment, StackProps};
    use serde_json::json;

    #[test]
    fn a_mutable_import_gets_a_stack_safe_policy_attached_by_name() {
        let app = App::new();
        let stack = Stack::new(&app, "Jobs", StackProps::default());
        let role = Role::from_role_arn(
            &stack,
            "Runner",
            "arn:aws:iam::123456789012:role/service-role/runner",
            FromRoleArnOptions::default(),
        );
        role.grant_principal()
            .grant(["sns:Publish"], [Value::from("arn:aws:sns:us-east-1:123456789012:t")]);
        role.grant_principal().grant(
            ["sqs:SendMessage"],
            [Value::from("arn:aws:sqs:us-east-1:123456789012:q")],
        );
        // The same access granted twice is written once.
        role.grant_principal()
            .grant(["sns:Publish"], [Value::from("arn:aws:sns:us-east-1:123456789012:t")]);
        let t = Template::from_stack(&stack);
        t.resource_count_is("AWS::IAM::Policy", 1);
        t.has_resource_properties(
            "AWS::IAM::Policy",
            json!({
                // `Policy` + the CDK's unique id of Jobs/Runner (md5 of the path).
                "PolicyName": "PolicyJobsRunner39C4FDEC",
                "Roles": ["runner"],
                "PolicyDocument": {"Statement": [
                    {"Action": "sns:Publish", "Effect": "Allow", "Resource": "arn:aws:sns:us-east-1:123456789012:t"},
                    {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}
                ]}
            }),
        );
    }

    #[test]
    fn immutable_and_other_account_imports_take_no_statements() {
        let app = App::new();
        let stack = Stack::new(
            &app,
            "Jobs",
            StackProps {
                env: Environment {
                    account: Some("111111111111".into()),
                    region: Some("us-east-1".into()),
                },
                ..Default::default()
            },
        );
        let fixed = Role::from_role_arn(
            &stack,
            "Fixed",
            "arn:aws:iam::111111111111:role/fixed",
            FromRoleArnOptions {
                mutable: false,
                ..Default::default()
            },
        );
        let foreign = Role::from_role_arn(
            &stack,
            "Foreign",
            "arn:aws:iam::222222222222:role/foreign",
            FromRoleArnOptions::default(),
        );
        assert!(!foreign.is_mutable());
        for role in [&fixed, &foreign] {
            assert!(role.grant_principal().grant(["sns:Publish"], ["*".into()]));
            assert!(role.policy().is_none());
        }
        let owned = Role::new(&stack, "Owned", RoleProps::default());
        fixed.grant_pass_role(&owned);
        let t = Template::from_stack(&stack);
        t.resource_count_is("AWS::IAM::Policy", 1);
        t.has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": [
                {"Action": "iam:PassRole", "Resource": "arn:aws:iam::111111111111:role/fixed"}
            ]}, "Roles": [{"Ref": Match::any_value()}]}),
        );
    }

    #[test]
    fn a_role_arn_that_is_not_one_is_an_error_naming_the_import() {
        let app = App::new();
        let stack = Stack::new(&app, "Jobs", StackProps::default());
        Role::from_role_arn(&stack, "Runner", "runner", FromRoleArnOptions::default());
        let e = app.synth().expect_err("invalid arn").to_string();
        assert!(e.contains("Jobs/Runner: 'runner' is not a role ARN"), "{e}");
    }
}
