//! The validate phase: runs every validation and collects the annotations
//! recorded on the tree (errors, warnings, infos), with acknowledged warnings
//! left out and each root cause reported once.

use std::collections::HashMap;

use super::annotations::{Annotation, AnnotationLevel};
use super::construct::{Construct, NodeKind, Tree};
use super::element::ElementKind;

/// Every annotation of the tree, in tree order: per construct its recorded
/// annotations, then the schema check of a resource, then its validations.
pub(crate) fn validate(root: &Construct) -> Vec<Annotation> {
    let validations: Vec<(usize, super::construct::Validation)> = root
        .tree()
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.validations.iter().map(move |v| (i, v.clone())))
        .collect();
    let mut found: HashMap<usize, Vec<String>> = HashMap::new();
    for (i, v) in validations {
        let problems = v();
        if !problems.is_empty() {
            found.entry(i).or_default().extend(problems);
        }
    }
    let checks: Vec<(usize, String, super::construct::Validation)> = root
        .tree()
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.warning_checks.iter().map(move |(id, c)| (i, id.clone(), c.clone())))
        .collect();
    let mut warned: HashMap<usize, Vec<(String, String)>> = HashMap::new();
    for (i, id, check) in checks {
        for message in check() {
            warned.entry(i).or_default().push((id.clone(), message));
        }
    }
    let tree = root.tree();
    let mut out: Vec<Annotation> = Vec::new();
    for (i, n) in tree.nodes.iter().enumerate() {
        let error = |message: String| Annotation {
            level: AnnotationLevel::Error,
            path: tree.display_path(i),
            message,
            id: None,
        };
        for a in &n.annotations {
            match (&a.level, &a.id) {
                (AnnotationLevel::Warning, Some(id)) => out.extend(warning(&tree, i, id, a.message.clone())),
                _ => out.push(Annotation {
                    level: a.level,
                    path: tree.display_path(i),
                    message: a.message.clone(),
                    id: a.id.clone(),
                }),
            }
        }
        // A construct that already reported a problem (e.g. a missing value) is
        // not checked again against the schema: one root cause, one error.
        let has_error = |j: usize| {
            tree.nodes[j]
                .annotations
                .iter()
                .any(|a| a.level == AnnotationLevel::Error)
        };
        let reported = has_error(i) || n.parent.is_some_and(has_error);
        if let NodeKind::Element(e) = &n.kind {
            if let ElementKind::Resource(res) = &e.kind {
                if !reported {
                    out.extend(super::schema_check::check_resource(res).into_iter().map(&error));
                }
                if let Some(message) = super::schema_check::unknown_type_warning(&res.type_) {
                    out.extend(warning(&tree, i, super::schema_check::UNKNOWN_TYPE_WARNING, message));
                }
            }
        }
        if found.is_empty() && warned.is_empty() {
            continue;
        }
        if let Some(problems) = found.remove(&i) {
            out.extend(problems.into_iter().map(&error));
        }
        for (id, message) in warned.remove(&i).unwrap_or_default() {
            out.extend(warning(&tree, i, &id, message));
        }
    }
    // The same message on the same construct twice is one problem.
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| seen.insert((a.level, a.path.clone(), a.message.clone())));
    out
}

/// Warning `id` on node `idx`, unless it is acknowledged there or on a scope above it.
fn warning(tree: &Tree, idx: usize, id: &str, message: String) -> Option<Annotation> {
    (!acknowledged(tree, idx, id)).then(|| Annotation {
        level: AnnotationLevel::Warning,
        path: tree.display_path(idx),
        message,
        id: Some(id.to_owned()),
    })
}

/// Whether warning `id` is acknowledged on node `idx` or a scope above it.
fn acknowledged(tree: &Tree, idx: usize, id: &str) -> bool {
    let mut cur = Some(idx);
    while let Some(i) = cur {
        if tree.nodes[i].acknowledged.iter().any(|(a, _)| a == id) {
            return true;
        }
        cur = tree.nodes[i].parent;
    }
    false
}

/// Whether the node, or a scope above it, has an id its siblings already use
/// (its logical ids then clash with the first one's; that is not another problem).
pub(crate) fn below_duplicate_id(tree: &Tree, idx: usize) -> bool {
    let mut cur = idx;
    while let Some(p) = tree.nodes[cur].parent {
        if tree.nodes[p].children.get(&tree.nodes[cur].id) != Some(&cur) {
            return true;
        }
        cur = p;
    }
    false
}
