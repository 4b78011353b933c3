//! Principals that take policy statements, and the grantables that own them
//! (the CDK's `IPrincipal` and `IGrantable`).

use std::rc::Rc;

use super::policy::PolicyStatement;
use super::principal::Principal;
use crate::core::{Annotations, Construct, Scope, Value};

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
/// function imported by ARN without its role): a statement given to it is
/// dropped with a warning on that resource (`constructs:iam:unknownPrincipal`,
/// naming the actions and resources to grant where the role is defined), and
/// [`IPrincipal::add_to_principal_policy`] returns false. The CDK also warns.
///
/// ```
/// use constructs::aws::iam::{IGrantable, UnknownPrincipal};
/// use constructs::core::{App, Construct, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "S", StackProps::default());
/// let imported = Construct::new(&stack, "Report");
/// let unknown = UnknownPrincipal::new(&imported);
/// assert!(!unknown.grant_principal().grant(["sns:Publish"], ["*".into()]));
/// let synthesis = app.synth().expect("a warning, not an error");
/// assert_eq!(synthesis.warnings().count(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct UnknownPrincipal {
    node: Construct,
}

impl UnknownPrincipal {
    /// The unknown principal of the (imported) construct `scope`.
    pub fn new(scope: &impl Scope) -> UnknownPrincipal {
        UnknownPrincipal {
            node: scope.node().clone(),
        }
    }
}

impl IPrincipal for UnknownPrincipal {
    fn add_to_principal_policy(&self, statement: PolicyStatement) -> bool {
        let shown = |v: &Value| v.as_str().map_or_else(|| "(a reference)".to_owned(), str::to_owned);
        Annotations::of(&self.node).add_warning(
            "constructs:iam:unknownPrincipal",
            format!(
                "the role of this imported resource is unknown, so {} on {} was not granted: grant it where the role is defined, or import the resource with its role",
                statement.actions.join(", "),
                statement.resources.iter().map(shown).collect::<Vec<_>>().join(", ")
            ),
        );
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
