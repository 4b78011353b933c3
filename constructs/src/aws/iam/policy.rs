//! Policy statements, documents, and the `AWS::IAM::Policy` construct.

use std::cell::RefCell;
use std::rc::Rc;

use indexmap::IndexMap;

use super::principal::Principal;
use super::role::{IRole, Role};
use crate::cfn::iam;
use crate::core::{CfnResource, Construct, Scope, Value};

/// Whether a statement allows or denies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Effect {
    /// Allow the actions.
    #[default]
    Allow,
    /// Deny the actions.
    Deny,
}

/// One statement of a policy: effect, actions, resources, and optionally principals and conditions.
///
/// ```
/// use constructs::aws::iam::PolicyStatement;
/// let s = PolicyStatement::allow(["ec2:StopInstances", "ec2:StartInstances"], ["*".into()]);
/// assert_eq!(s.actions().len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct PolicyStatement {
    /// Allow or deny. Default: allow.
    pub effect: Effect,
    /// Actions, e.g. `lambda:InvokeFunction`.
    pub actions: Vec<String>,
    /// Resources (ARNs as values). Empty means no `Resource` element (trust policies).
    pub resources: Vec<Value>,
    /// Principals (resource and trust policies only). Default: none.
    pub principals: Vec<Principal>,
    /// The `Condition` element. Default: none.
    pub conditions: Option<Value>,
    /// A statement id. Default: none.
    pub sid: Option<String>,
}

impl PolicyStatement {
    /// A statement allowing `actions` on `resources`.
    pub fn allow<A: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = Value>,
    ) -> Self {
        PolicyStatement {
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().collect(),
            ..Default::default()
        }
    }

    /// The statement's actions.
    pub fn actions(&self) -> &[String] {
        &self.actions
    }

    /// Renders the statement as the CDK does: keys in alphabetical order,
    /// single values not wrapped in a list, duplicates removed.
    pub fn to_value(&self) -> Value {
        let mut v = Value::map();
        let mut actions: Vec<&String> = Vec::new();
        for a in &self.actions {
            if !actions.contains(&a) {
                actions.push(a);
            }
        }
        if !actions.is_empty() {
            v = v.with(
                "Action",
                one_or_list(actions.into_iter().map(|a| Value::from(a.as_str())).collect()),
            );
        }
        if let Some(c) = &self.conditions {
            v = v.with("Condition", c.clone());
        }
        v = v.with(
            "Effect",
            match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            },
        );
        if !self.principals.is_empty() {
            let mut merged: IndexMap<String, Vec<Value>> = IndexMap::new();
            for p in &self.principals {
                if let Value::Map(m) = p.to_value() {
                    for (k, x) in m {
                        merged.entry(k).or_default().push(x);
                    }
                }
            }
            let mut principal = Value::map();
            for (k, xs) in merged {
                principal = principal.with(k, one_or_list(xs));
            }
            v = v.with("Principal", principal);
        }
        if !self.resources.is_empty() {
            v = v.with("Resource", one_or_list(self.resources.clone()));
        }
        if let Some(sid) = &self.sid {
            v = v.with("Sid", sid.as_str());
        }
        v
    }
}

fn one_or_list(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.pop().unwrap_or_default()
    } else {
        Value::List(values)
    }
}

/// A policy document that statements can be added to until synthesis.
#[derive(Clone, Debug, Default)]
pub struct PolicyDocument {
    statements: Rc<RefCell<Vec<PolicyStatement>>>,
}

impl PolicyDocument {
    /// A document with the given statements.
    pub fn new(statements: impl IntoIterator<Item = PolicyStatement>) -> Self {
        PolicyDocument {
            statements: Rc::new(RefCell::new(statements.into_iter().collect())),
        }
    }

    /// Adds a statement.
    pub fn add_statement(&self, statement: PolicyStatement) {
        self.statements.borrow_mut().push(statement);
    }

    /// True when there are no statements.
    pub fn is_empty(&self) -> bool {
        self.statements.borrow().is_empty()
    }

    /// A copy of the statements.
    pub fn statements(&self) -> Vec<PolicyStatement> {
        self.statements.borrow().clone()
    }

    /// The document as a value resolved at synthesis (so later statements are
    /// included); a statement identical to an earlier one is left out.
    pub fn to_value(&self) -> Value {
        let statements = Rc::clone(&self.statements);
        Value::lazy(move || {
            // Identical statements (two grants of the same access) are written
            // once, as the CDK does.
            let mut seen: Vec<String> = Vec::new();
            let mut rendered = Vec::new();
            for statement in statements.borrow().iter().map(PolicyStatement::to_value) {
                let key = format!("{statement:?}");
                if !key.contains("Lazy(") && seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                rendered.push(statement);
            }
            Value::map()
                .with("Statement", Value::List(rendered))
                .with("Version", "2012-10-17")
        })
    }
}

/// Properties of a [`Policy`].
#[derive(Clone, Debug, Default)]
pub struct PolicyProps {
    /// The statements. Default: none (add with [`Policy::add_statements`]).
    pub statements: Vec<PolicyStatement>,
    /// Roles the policy is attached to. Default: none (attach any role, owned
    /// or imported, with [`Policy::attach_to_role`]).
    pub roles: Vec<Role>,
    /// The policy name. Default: the logical id, as the CDK does.
    pub policy_name: Option<String>,
}

/// An inline policy attached to roles (`AWS::IAM::Policy`).
#[derive(Clone, Debug)]
pub struct Policy {
    node: Construct,
    document: PolicyDocument,
    /// The names of the roles attached to.
    roles: Rc<RefCell<Vec<Value>>>,
    resource: CfnResource,
}

impl Scope for Policy {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl Policy {
    /// Adds a policy; an empty policy at synthesis is an error (CloudFormation rejects it).
    pub fn new(scope: &impl Scope, id: &str, props: PolicyProps) -> Policy {
        let node = Construct::new_typed(scope, id, "constructs.aws.iam.Policy");
        let document = PolicyDocument::new(props.statements);
        let roles = Rc::new(RefCell::new(
            props.roles.iter().map(|r| r.name().value()).collect::<Vec<_>>(),
        ));
        let policy = iam::CfnPolicy::new(
            &node,
            "Resource",
            iam::CfnPolicyProps {
                policy_document: Some(document.to_value()),
                ..Default::default()
            },
        );
        let resource = policy.resource().clone();
        let name = match props.policy_name {
            Some(n) => Value::from(n),
            None => {
                let r = resource.clone();
                Value::lazy(move || {
                    let id = r.logical_id();
                    Value::from(id.chars().take(128).collect::<String>())
                })
            }
        };
        let roles_for_value = Rc::clone(&roles);
        policy.set_props(iam::CfnPolicyProps {
            policy_name: Some(name),
            roles: Some(Value::lazy(move || Value::List(roles_for_value.borrow().clone()))),
            ..Default::default()
        });
        let (d, r) = (document.clone(), Rc::clone(&roles));
        node.add_validation(move || {
            let mut errors = Vec::new();
            if d.is_empty() {
                errors.push("the policy has no statements: add at least one, or remove the policy".to_owned());
            }
            if r.borrow().is_empty() {
                errors.push("the policy is attached to no role: pass `roles` or call attach_to_role".to_owned());
            }
            errors
        });
        Policy {
            node,
            document,
            roles,
            resource,
        }
    }

    /// Adds statements.
    pub fn add_statements(&self, statements: impl IntoIterator<Item = PolicyStatement>) {
        for s in statements {
            self.document.add_statement(s);
        }
    }

    /// Attaches the policy to a role, owned or imported (by its name).
    pub fn attach_to_role(&self, role: &dyn IRole) {
        self.roles.borrow_mut().push(role.role_name().value());
    }

    /// The policy document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// The L1 resource (escape hatch).
    pub fn resource(&self) -> &CfnResource {
        &self.resource
    }
}
