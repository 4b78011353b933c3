//! Principals that take policy statements, and the grantables that own them
//! (the CDK's `IPrincipal` and `IGrantable`).

use std::rc::Rc;

use super::policy::PolicyStatement;
use super::principal::Principal;
use crate::core::Value;

/// An identity that policy statements can be added to: a role, owned or imported
/// (the CDK's `IPrincipal`).
///
/// ```
/// use constructs::aws::iam::{IPrincipal, PolicyStatement, Role, RoleProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let role = Role::new(&stack, "Runner", RoleProps::default());
/// assert!(role.add_to_principal_policy(PolicyStatement::allow(["sns:Publish"], ["*".into()])));
/// ```
pub trait IPrincipal {
    /// Adds `statement` to the identity's policy. Returns false when the
    /// principal cannot take statements (an [`UnknownPrincipal`]): then the
    /// permission must be granted outside this app.
    fn add_to_principal_policy(&self, statement: PolicyStatement) -> bool;

    /// The principal as a resource policy names it (`{"AWS": <role ARN>}`),
    /// or `None` when it is not known.
    fn policy_fragment(&self) -> Option<Principal>;
}

impl dyn IPrincipal + '_ {
    /// Allows `actions` on `resources` (one statement); what every `grant_*`
    /// method calls. Returns whether the statement was added (see
    /// [`IPrincipal::add_to_principal_policy`]).
    ///
    /// ```
    /// use constructs::aws::iam::{IGrantable, Role, RoleProps};
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "S", StackProps::default());
    /// let role = Role::new(&stack, "Runner", RoleProps::default());
    /// role.grant_principal().grant(["ssm:GetParameter"], ["*".into()]);
    /// assert!(role.default_policy().is_some());
    /// ```
    pub fn grant<A: Into<String>>(
        &self,
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = Value>,
    ) -> bool {
        self.add_to_principal_policy(PolicyStatement::allow(actions, resources))
    }
}

/// Something that can be granted permissions: a role, or a construct that acts
/// through one (a function, a state machine, an instance). The CDK's `IGrantable`.
///
/// Every `grant_*` method takes `&dyn IGrantable`, so owned and imported
/// resources are interchangeable.
///
/// ```
/// use constructs::aws::iam::{IGrantable, Role, RoleProps};
/// use constructs::aws::sns::{Topic, TopicProps};
/// use constructs::core::{App, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let role = Role::new(&stack, "Publisher", RoleProps::default());
/// let topic = Topic::new(&stack, "Alerts", TopicProps::default());
/// topic.grant_publish(&role);
/// ```
pub trait IGrantable {
    /// The principal statements are added to.
    fn grant_principal(&self) -> &dyn IPrincipal;
}

impl<T: IGrantable + ?Sized> IGrantable for Rc<T> {
    fn grant_principal(&self) -> &dyn IPrincipal {
        (**self).grant_principal()
    }
}

impl<T: IGrantable + ?Sized> IGrantable for &T {
    fn grant_principal(&self) -> &dyn IPrincipal {
        (**self).grant_principal()
    }
}

/// The principal of an imported resource whose role is not known (e.g. a
/// function imported by ARN without its role): statements given to it are
/// dropped, and [`IPrincipal::add_to_principal_policy`] returns false. The CDK
/// does the same (and warns); grant the permission where the role is defined.
///
/// ```
/// use constructs::aws::iam::{IGrantable, UnknownPrincipal};
/// let unknown = UnknownPrincipal;
/// assert!(!unknown.grant_principal().grant(["sns:Publish"], ["*".into()]));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct UnknownPrincipal;

impl IPrincipal for UnknownPrincipal {
    fn add_to_principal_policy(&self, _statement: PolicyStatement) -> bool {
        false
    }

    fn policy_fragment(&self) -> Option<Principal> {
        None
    }
}

impl IGrantable for UnknownPrincipal {
    fn grant_principal(&self) -> &dyn IPrincipal {
        self
    }
}
