//! AWS Identity and Access Management: roles, policies, statements and grants.
//!
//! Policies are generated from what constructs reference: a construct that
//! needs access calls a grant (`function.grant_invoke(&role)`), which adds a
//! statement naming exactly the resources and actions used.

mod policy;
mod principal;
mod role;

pub use policy::{Effect, Policy, PolicyDocument, PolicyProps, PolicyStatement};
pub use principal::Principal;
pub use role::{Grantable, ManagedPolicy, Role, RoleArn, RoleName, RoleProps};
