//! AWS Identity and Access Management: roles, policies, statements and grants.
//!
//! Policies are generated from what constructs reference: a construct that
//! needs access calls a grant (`function.grant_invoke(&role)`), which adds a
//! statement naming exactly the resources and actions used.
//!
//! Grants take `&dyn IGrantable` ([`IGrantable`]): a role, or anything acting
//! through one, owned or imported ([`Role::from_role_arn`]).

mod grant;
mod imported_role;
mod policy;
mod principal;
mod role;

pub use grant::{IGrantable, IPrincipal, UnknownPrincipal};
pub use imported_role::{FromRoleArnOptions, ImportedRole};
pub use policy::{Effect, Policy, PolicyDocument, PolicyProps, PolicyStatement};
pub use principal::Principal;
pub use role::{IRole, ManagedPolicy, Role, RoleArn, RoleName, RoleProps};
