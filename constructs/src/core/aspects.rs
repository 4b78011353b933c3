//! Aspects: tree-wide rules applied in the prepare phase of synthesis (the
//! AWS CDK's `Aspects`).

use std::rc::Rc;

use super::construct::{Construct, Scope};

/// A rule applied to every construct below the scope it is added to.
///
/// An aspect may change what it visits (properties, overrides, tags, removal
/// policies), add children, add annotations, and add further aspects: those
/// run too, on everything below their scope. Every aspect visits every
/// construct once, parents before children, before any validation runs.
/// A closure `Fn(&Construct)` is an aspect.
pub trait Aspect {
    /// Visits one construct.
    fn visit(&self, node: &Construct);
}

impl<F: Fn(&Construct)> Aspect for F {
    fn visit(&self, node: &Construct) {
        self(node)
    }
}

/// The aspects of a scope.
///
/// ```
/// use constructs::core::{Aspects, App, CfnResource, Construct, RemovalPolicy, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Data", StackProps::default());
/// CfnResource::new(&stack, "Bucket", "AWS::S3::Bucket");
/// CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
///
/// // Every bucket of the app is retained when its stack is deleted.
/// Aspects::of(&app).add(|node: &Construct| {
///     if let Some(r) = node.as_resource().filter(|r| r.resource_type() == "AWS::S3::Bucket") {
///         r.apply_removal_policy(RemovalPolicy::Retain);
///     }
/// });
/// let template = &app.synth().expect("valid").stacks[0].template;
/// let resources = &template["Resources"];
/// assert_eq!(resources["Bucket"]["DeletionPolicy"], "Retain");
/// assert!(resources["Topic"].get("DeletionPolicy").is_none());
/// ```
pub struct Aspects {
    node: Construct,
}

impl Aspects {
    /// The aspects of a scope: they apply to it and to everything below it.
    pub fn of(scope: &impl Scope) -> Aspects {
        Aspects {
            node: scope.node().clone(),
        }
    }

    /// Adds an aspect.
    pub fn add(&self, aspect: impl Aspect + 'static) {
        self.node.tree_mut().nodes[self.node.idx].aspects.push(Rc::new(aspect));
    }

    /// How many aspects this scope has (not counting its parents').
    pub fn len(&self) -> usize {
        self.node.tree().nodes[self.node.idx].aspects.len()
    }

    /// Whether this scope has no aspects of its own.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The most rounds aspects may add aspects in before synthesis gives up.
const MAX_ROUNDS: usize = 100;

/// Invokes every aspect on every construct below its scope, once, until no
/// aspect is left to invoke (aspects added by aspects run in a later round).
/// Returns an error message when aspects keep adding aspects.
pub(crate) fn invoke_aspects(root: &Construct) -> Result<(), String> {
    if root.tree().nodes.iter().all(|n| n.aspects.is_empty()) {
        return Ok(());
    }
    for _ in 0..MAX_ROUNDS {
        if !invoke_round(root) {
            return Ok(());
        }
    }
    Err(format!(
        "aspects were still adding aspects after {MAX_ROUNDS} rounds: an aspect must not add a new aspect on every visit"
    ))
}

/// One walk of the tree; returns whether any aspect ran.
fn invoke_round(root: &Construct) -> bool {
    let mut ran = false;
    // (construct, the aspects inherited from above: (scope, index))
    let mut pending: Vec<(usize, Vec<(usize, usize)>)> = vec![(root.idx, Vec::new())];
    while let Some((idx, inherited)) = pending.pop() {
        let own = root.tree().nodes[idx].aspects.len();
        let mut here = inherited;
        here.extend((0..own).map(|i| (idx, i)));
        for &(scope, i) in &here {
            let key = (idx, scope, i);
            if root.tree().invoked_aspects.contains(&key) {
                continue;
            }
            let aspect = Rc::clone(&root.tree().nodes[scope].aspects[i]);
            root.tree_mut().invoked_aspects.insert(key);
            aspect.visit(&Construct {
                tree: Rc::clone(&root.tree),
                idx,
            });
            ran = true;
        }
        let children: Vec<usize> = root.tree().nodes[idx].children.values().rev().copied().collect();
        pending.extend(children.into_iter().map(|c| (c, here.clone())));
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, CfnResource, Stack, StackProps, Tags};

    #[test]
    fn aspects_added_by_aspects_run_and_every_aspect_visits_each_construct_once() {
        let app = App::new();
        let stack = Stack::new(&app, "S", StackProps::default());
        CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
        let visits = Rc::new(std::cell::Cell::new(0));
        let v = Rc::clone(&visits);
        Aspects::of(&app).add(move |node: &Construct| {
            if node.as_resource().is_some() {
                v.set(v.get() + 1);
                // An aspect adding another aspect (on the resource itself) and a child.
                let tagger = |n: &Construct| Tags::of(n).add("cost-centre", "shop");
                Aspects::of(node).add(tagger);
            }
            if node.id() == "S" && node.child("Queue").is_none() {
                CfnResource::new(node, "Queue", "AWS::SQS::Queue");
            }
        });
        let synthesis = app.synth().expect("valid");
        let resources = &synthesis.stacks[0].template["Resources"];
        assert_eq!(resources["Topic"]["Properties"]["Tags"][0]["Value"], "shop");
        assert_eq!(
            resources["Queue"]["Properties"]["Tags"][0]["Value"], "shop",
            "the child added by the aspect is visited"
        );
        assert_eq!(visits.get(), 2);
        app.synth().expect("valid again");
        assert_eq!(visits.get(), 2, "a second synthesis does not visit again");
    }

    #[test]
    fn an_aspect_that_adds_an_aspect_on_every_visit_is_an_error() {
        fn forever(node: &Construct) {
            Aspects::of(node).add(forever);
        }
        let app = App::new();
        Stack::new(&app, "S", StackProps::default());
        Aspects::of(&app).add(forever);
        let err = app.synth().expect_err("never settles").to_string();
        assert!(err.contains("aspects were still adding aspects"), "{err}");
    }
}
