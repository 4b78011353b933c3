//! What every function is ([`IFunction`]), and functions imported from outside this app.

use std::rc::Rc;

use super::function::{create_permission, Function, FunctionArn, FunctionName, PermissionProps};
use crate::aws::iam::{IGrantable, IPrincipal, IRole, UnknownPrincipal};
use crate::core::{Annotations, Arn, ArnFormat, CfnResource, Construct, Scope, Stack, Value};

/// A Lambda function, owned ([`Function`]) or imported
/// ([`Function::from_function_arn`]): the CDK's `IFunction`. Step Functions
/// tasks, rule targets and grants take `&dyn IFunction`.
///
/// ```
/// use constructs::aws::lambda::{Function, IFunction};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let f = Function::from_function_name(&stack, "Hello", "hello");
/// let functions: Vec<&dyn IFunction> = vec![&f];
/// assert!(functions[0].can_create_permissions());
/// ```
pub trait IFunction: Scope + IGrantable + std::fmt::Debug {
    /// The function's ARN.
    fn function_arn(&self) -> FunctionArn;

    /// The function's name.
    fn function_name(&self) -> FunctionName;

    /// The execution role, when known (an imported function's only if given).
    fn role(&self) -> Option<&dyn IRole>;

    /// Whether this app may add statements to the function's resource policy
    /// (`AWS::Lambda::Permission`): true for owned functions, and for imported
    /// ones known to be in the stack's account.
    fn can_create_permissions(&self) -> bool;

    /// Lets a principal invoke the function ([`Function::add_permission`]).
    /// Returns `None` when no permission is created: for an imported function
    /// that was told the permissions exist (`skip_permissions`), or whose
    /// account is not known to be the stack's (a warning says how to import
    /// it, as the CDK's `UnclearLambdaEnvironment`).
    fn add_permission(&self, id: &str, props: PermissionProps) -> Option<CfnResource>;

    /// Allows `grantee` to invoke the function (and its versions and aliases):
    /// `lambda:InvokeFunction` on the ARN and `ARN:*`. Returns whether a
    /// statement was added (see [`IPrincipal::add_to_principal_policy`]).
    fn grant_invoke(&self, grantee: &dyn IGrantable) -> bool {
        let arn = self.function_arn().value();
        grantee.grant_principal().grant(
            ["lambda:InvokeFunction"],
            [arn.clone(), Value::concat([arn, Value::from(":*")])],
        )
    }
}

/// What is known of a function made outside this app (the CDK's `FunctionAttributes`).
#[derive(Clone, Debug, Default)]
pub struct FunctionAttributes {
    /// The function's ARN (a literal or a reference). Required.
    pub function_arn: Value,
    /// Its execution role, so grants to the function reach it. Default:
    /// unknown (grants to the function are dropped with a warning: see [`UnknownPrincipal`]).
    pub role: Option<Rc<dyn IRole>>,
    /// Whether the function is in the stack's account, so this app may add
    /// `AWS::Lambda::Permission`s to it. Default: true only when the ARN and
    /// the stack's account are both literals and equal (as the CDK).
    pub same_environment: Option<bool>,
    /// The function already allows every invoker this app adds (rule targets):
    /// add no permission and report nothing. Default: false.
    pub skip_permissions: bool,
}

/// A function imported by ARN or name: a construct in the tree that creates no resource.
///
/// ```
/// use constructs::aws::lambda::{Function, IFunction};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let f = Function::from_function_arn(&stack, "Report", "arn:aws:lambda:us-east-1:123456789012:function:report");
/// assert_eq!(f.function_name().value().as_str(), Some("report"));
/// ```
#[derive(Clone, Debug)]
pub struct ImportedFunction {
    node: Construct,
    arn: Value,
    name: Value,
    role: Option<Rc<dyn IRole>>,
    can_create_permissions: bool,
    skip_permissions: bool,
    unknown: UnknownPrincipal,
}

impl Scope for ImportedFunction {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Function {
    /// Imports a function by ARN (a literal or a reference); its name is
    /// taken from the ARN. Permissions are only added to it when the ARN and
    /// the stack's account are literals and equal: use
    /// [`Function::from_function_attributes`] to say otherwise or to give its role.
    pub fn from_function_arn(scope: &impl Scope, id: &str, function_arn: impl Into<Value>) -> ImportedFunction {
        Function::from_function_attributes(
            scope,
            id,
            FunctionAttributes {
                function_arn: function_arn.into(),
                ..Default::default()
            },
        )
    }

    /// Imports a function of the stack's account and region by name
    /// (`arn:${Partition}:lambda:${Region}:${AccountId}:function:<name>`).
    pub fn from_function_name(scope: &impl Scope, id: &str, function_name: &str) -> ImportedFunction {
        let arn = match Stack::of(scope) {
            Some(stack) => stack.format_arn("lambda", true, true, format!("function:{function_name}")),
            None => Value::from(format!("arn:aws:lambda:::function:{function_name}")),
        };
        let f = Function::from_function_attributes(
            scope,
            id,
            FunctionAttributes {
                function_arn: arn,
                same_environment: Some(true),
                ..Default::default()
            },
        );
        ImportedFunction {
            name: Value::from(function_name),
            ..f
        }
    }

    /// Imports a function from what is known of it.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use constructs::aws::iam::{FromRoleArnOptions, IGrantable, Role};
    /// use constructs::aws::lambda::{Function, FunctionAttributes, IFunction};
    /// use constructs::core::{App, Stack, StackProps, Value};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let role = Role::from_role_arn(&stack, "ReportRole", "arn:aws:iam::123456789012:role/report", FromRoleArnOptions::default());
    /// let f = Function::from_function_attributes(&stack, "Report", FunctionAttributes {
    ///     function_arn: Value::import_value("Shared:ReportFunctionArn"),
    ///     role: Some(Rc::new(role)),
    ///     same_environment: Some(true),
    ///     ..Default::default()
    /// });
    /// assert!(f.grant_principal().grant(["s3:GetObject"], ["arn:aws:s3:::reports/*".into()]));
    /// ```
    pub fn from_function_attributes(scope: &impl Scope, id: &str, attributes: FunctionAttributes) -> ImportedFunction {
        let node = Construct::new_typed(scope, id, "constructs.aws.lambda.ImportedFunction");
        let arn = attributes.function_arn;
        if let Some(s) = arn.as_str() {
            if !Arn::is_valid_literal(s) || !s.contains(":function:") {
                node.add_error(format!(
                    "'{s}' is not a function ARN: give arn:<partition>:lambda:<region>:<account>:function:<name>, or use Function::from_function_name"
                ));
            }
        }
        let parts = Arn::split(&arn, ArnFormat::ColonResourceName);
        let name = match parts.resource_name.as_ref().and_then(Value::as_str) {
            Some(n) => Value::from(n.split(':').next().unwrap_or(n)),
            None => parts.resource_name.clone().unwrap_or_default(),
        };
        let stack_account = Stack::of(&node).and_then(|s| s.environment().account);
        let same_account = match (parts.account.as_str(), stack_account) {
            (Some(a), Some(stack)) => a == stack,
            _ => false,
        };
        let unknown = UnknownPrincipal::new(&node);
        ImportedFunction {
            node,
            arn,
            name,
            role: attributes.role,
            can_create_permissions: attributes.same_environment.unwrap_or(same_account),
            skip_permissions: attributes.skip_permissions,
            unknown,
        }
    }
}

impl IGrantable for ImportedFunction {
    fn grant_principal(&self) -> &dyn IPrincipal {
        match &self.role {
            Some(r) => r.as_ref(),
            None => &self.unknown,
        }
    }
}

impl IFunction for ImportedFunction {
    fn function_arn(&self) -> FunctionArn {
        FunctionArn(self.arn.clone())
    }

    fn function_name(&self) -> FunctionName {
        FunctionName(self.name.clone())
    }

    fn role(&self) -> Option<&dyn IRole> {
        self.role.as_deref()
    }

    fn can_create_permissions(&self) -> bool {
        self.can_create_permissions
    }

    fn add_permission(&self, id: &str, props: PermissionProps) -> Option<CfnResource> {
        if self.skip_permissions {
            return None;
        }
        if !self.can_create_permissions {
            Annotations::of(&self.node).add_warning(
                "constructs:lambda:unclearLambdaEnvironment",
                format!(
                    "the permission '{id}' was not added to this imported function: its account is not known to be the stack's. If it is, import it with Function::from_function_attributes and same_environment: Some(true) (or give the stack an account); if the function already allows the invoker, set skip_permissions: true"
                ),
            );
            return None;
        }
        Some(create_permission(&self.node, self.arn.clone(), id, props))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assertions::{Match, Template};
    use crate::aws::iam::{Principal, Role, RoleProps};
    use crate::core::{App, Environment, StackProps};
    use serde_json::json;

    fn stack_in(app: &App, account: Option<&str>) -> Stack {
        Stack::new(
            app,
            "S",
            StackProps {
                env: Environment {
                    account: account.map(str::to_owned),
                    region: Some("us-east-1".into()),
                },
                ..Default::default()
            },
        )
    }

    #[test]
    fn names_and_permissions_follow_the_arn_and_the_stack_account() {
        let app = App::new();
        let stack = stack_in(&app, Some("123456789012"));
        let same = Function::from_function_arn(
            &stack,
            "Same",
            "arn:aws:lambda:us-east-1:123456789012:function:same:prod",
        );
        let other =
            Function::from_function_arn(&stack, "Other", "arn:aws:lambda:us-east-1:999999999999:function:other");
        let token = Function::from_function_arn(&stack, "Token", Value::import_value("X:Arn"));
        assert_eq!(same.function_name().value().as_str(), Some("same"));
        assert!(same.can_create_permissions());
        assert!(!other.can_create_permissions() && !token.can_create_permissions());
        let caller = Role::new(&stack, "Caller", RoleProps::default());
        assert!(!same.grant_principal().grant(["s3:GetObject"], ["*".into()]));
        same.grant_invoke(&caller);
        same.add_permission(
            "AllowSns",
            PermissionProps {
                principal: Principal::service("sns.amazonaws.com"),
                ..Default::default()
            },
        );
        let t = Template::from_stack(&stack);
        t.has_resource_properties(
            "AWS::Lambda::Permission",
            json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:same:prod", "Principal": "sns.amazonaws.com"}),
        );
        t.has_resource_properties(
            "AWS::IAM::Policy",
            json!({"PolicyDocument": {"Statement": [{
                "Action": "lambda:InvokeFunction",
                "Resource": [
                    "arn:aws:lambda:us-east-1:123456789012:function:same:prod",
                    "arn:aws:lambda:us-east-1:123456789012:function:same:prod:*"
                ]
            }]}, "Roles": [{"Ref": Match::any_value()}]}),
        );
        other.add_permission(
            "AllowSns",
            PermissionProps {
                principal: Principal::service("sns.amazonaws.com"),
                ..Default::default()
            },
        );
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = s.warnings().map(ToString::to_string).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("S/Other") && w.contains("'AllowSns' was not added")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("S/Same") && w.contains("s3:GetObject on *")),
            "the dropped grant: {warnings:?}"
        );
    }

    #[test]
    fn from_function_name_is_in_the_stack_account() {
        let app = App::new();
        let stack = stack_in(&app, None);
        let f = Function::from_function_name(&stack, "F", "report");
        assert!(f.can_create_permissions());
        assert_eq!(f.function_name().value().as_str(), Some("report"));
        assert!(f.function_arn().value().as_str().is_none());
    }
}
