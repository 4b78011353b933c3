//! Synthesis, phase by phase: prepare (aspects, then what constructs finish
//! at synthesis) -> validate (annotations) -> allocate logical IDs -> resolve
//! and render every element (exports for cross-stack references) -> order
//! the stacks. Writing the assembly is [`super::assembly`]'s.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{json, Map, Value as Json};

use super::annotations::{Annotation, AnnotationLevel};
use super::assets::FileAsset;
use super::construct::{Construct, NodeKind, Tree};
use super::element::ElementKind;
use super::error::{SynthError, SynthErrors};
use super::logical_id::{is_valid_logical_id, make_unique_id};
use super::order::topo_order;
use super::render::{render_resource, Sections};
use super::resolve::{foreign_reference_errors, stack_name_of, Export, Resolver};
use super::stack::{Environment, Synthesizer};
use super::tree_json::ConstructTree;
use super::validate::{below_duplicate_id, validate};
use super::value::{ElementRef, Value};

/// A synthesized stack: its template and what the assembly needs to know.
#[derive(Clone, Debug)]
pub struct SynthesizedStack {
    /// The artifact id in the assembly (the construct id of the stack).
    pub artifact_id: String,
    /// The stack's construct path (its id, for a stack directly below the app).
    pub path: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// The template.
    pub template: Json,
    /// Artifact ids of the stacks this one depends on.
    pub dependencies: Vec<String>,
    /// Why each dependency exists (`consumer path -> producer path.attr`).
    pub dependency_reasons: Vec<(String, String)>,
    /// The file assets of the stack.
    pub assets: Vec<FileAsset>,
    /// Where the stack deploys.
    pub environment: Environment,
    /// The synthesizer.
    pub synthesizer: Synthesizer,
    /// Termination protection.
    pub termination_protection: bool,
    /// Construct path (`/Stack/...`) -> logical id of every element, for manifest metadata.
    pub logical_ids: Vec<(String, String)>,
}

/// The result of synthesis, before it is written to disk.
#[derive(Clone, Debug)]
pub struct Synthesis {
    /// Stacks in dependency order (a stack comes after all it depends on).
    pub stacks: Vec<SynthesizedStack>,
    /// The construct tree (`tree.json`).
    pub tree: ConstructTree,
    /// The warnings and infos of the app (acknowledged warnings left out), in tree order.
    pub annotations: Vec<Annotation>,
}

impl Synthesis {
    /// The warnings (not acknowledged).
    pub fn warnings(&self) -> impl Iterator<Item = &Annotation> {
        self.annotations.iter().filter(|a| a.level == AnnotationLevel::Warning)
    }
}

/// The logical id of an element: override, or the CDK algorithm over the path below its stack.
pub(crate) fn logical_id_of(tree: &Tree, idx: usize) -> Option<String> {
    if let NodeKind::Element(e) = &tree.nodes[idx].kind {
        if let Some(o) = &e.logical_id_override {
            return Some(o.clone());
        }
    }
    let stack = tree.stack_of(idx)?;
    make_unique_id(&tree.components_below(stack, idx))
}

/// Prepares and validates the tree: every annotation (errors included), or
/// the error that stopped the prepare phase.
pub(crate) fn annotations(root: &Construct) -> Result<Vec<Annotation>, SynthError> {
    super::prepare::prepare(root)?;
    Ok(validate(root))
}

/// Synthesizes every stack of the tree. All problems are reported together.
pub(crate) fn synthesize(root: &Construct) -> Result<Synthesis, SynthErrors> {
    let (mut errors, annotations): (Vec<Annotation>, Vec<Annotation>) = annotations(root)?
        .into_iter()
        .partition(|a| a.level == AnnotationLevel::Error);
    let mut errors: Vec<SynthError> = errors
        .drain(..)
        .map(|a| SynthError::construct(a.path, a.message))
        .collect();
    let tree = root.tree();
    let n = tree.nodes.len();

    // Stacks, owning stack per node, logical ids.
    let stacks: Vec<usize> = (0..n)
        .filter(|&i| matches!(tree.nodes[i].kind, NodeKind::Stack(_)))
        .collect();
    let mut stack_of: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        stack_of[i] = match tree.nodes[i].kind {
            NodeKind::Stack(_) => Some(i),
            NodeKind::Root => None,
            _ => tree.nodes[i].parent.and_then(|p| stack_of[p]),
        };
    }
    let mut ids: Vec<Option<String>> = vec![None; n];
    let mut elements_of: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut seen: HashMap<(usize, String), usize> = HashMap::new();
    for i in 0..n {
        let NodeKind::Element(_) = tree.nodes[i].kind else {
            continue;
        };
        let Some(s) = stack_of[i] else { continue };
        let Some(id) = logical_id_of(&tree, i) else {
            errors.push(SynthError::construct(
                tree.path(i),
                "has no logical id: its path below the stack is only 'Default' components; give it another id",
            ));
            continue;
        };
        if !is_valid_logical_id(&id) {
            errors.push(SynthError::construct(
                tree.path(i),
                format!("logical id '{id}' is invalid: it must be 1-255 letters and digits"),
            ));
        }
        if let Some(prev) = seen
            .insert((s, id.clone()), i)
            .filter(|_| !below_duplicate_id(&tree, i))
        {
            errors.push(SynthError::construct(
                tree.path(i),
                format!(
                    "logical id '{id}' is already used by '{}' in the same stack; override one of them",
                    tree.path(prev)
                ),
            ));
        }
        ids[i] = Some(id);
        elements_of.entry(s).or_default().push(i);
    }

    // Resolve every element of every stack.
    let mut exports: HashMap<usize, IndexMap<String, Export>> = HashMap::new();
    let mut deps: Vec<(usize, usize, String)> = Vec::new();
    let mut foreign: IndexMap<ElementRef, Vec<usize>> = IndexMap::new();
    let mut sections: HashMap<usize, Sections> = HashMap::new();
    for &s in &stacks {
        if let NodeKind::Stack(data) = &tree.nodes[s].kind {
            for (d, reason) in &data.dependencies {
                deps.push((s, *d, reason.clone()));
            }
        }
        let mut sec = Sections::default();
        for &e in elements_of.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
            let NodeKind::Element(data) = &tree.nodes[e].kind else {
                continue;
            };
            let id = ids[e].clone().unwrap_or_default();
            let mut r = Resolver {
                tree: &tree,
                ids: &ids,
                stack_of: &stack_of,
                consumer: s,
                source: e,
                exports: &mut exports,
                deps: &mut deps,
                errors: &mut errors,
                foreign: &mut foreign,
            };
            match &data.kind {
                ElementKind::Resource(res) => {
                    let body = render_resource(&mut r, e, res);
                    sec.resources.insert(id, body);
                }
                ElementKind::Output(o) => {
                    let mut m = Map::new();
                    if let Some(d) = &o.description {
                        m.insert("Description".into(), d.clone().into());
                    }
                    m.insert("Value".into(), r.resolve(&o.value));
                    if let Some(name) = &o.export_name {
                        m.insert("Export".into(), json!({ "Name": r.resolve(name) }));
                    }
                    if let Some(c) = o.condition {
                        m.insert("Condition".into(), r.condition_name(&Value::Ref(c)));
                    }
                    sec.outputs.insert(id, Json::Object(m));
                }
                ElementKind::Parameter(p) => {
                    sec.parameters.insert(id, r.resolve(&Value::Map(p.clone())));
                }
                ElementKind::Condition(c) => {
                    sec.conditions.insert(id, r.resolve(c));
                }
                ElementKind::Mapping(m) => {
                    let m: Map<String, Json> = m
                        .iter()
                        .map(|(k, inner)| (k.clone(), r.resolve(&Value::Map(inner.clone()))))
                        .collect();
                    sec.mappings.insert(id, Json::Object(m));
                }
                ElementKind::Rule(body) => {
                    sec.rules.insert(id, r.resolve(body));
                }
            }
        }
        sections.insert(s, sec);
    }

    errors.extend(foreign_reference_errors(&tree, &foreign));

    // Exports become outputs of their producers.
    for (producer, ex) in &exports {
        if let Some(sec) = sections.get_mut(producer) {
            for e in ex.values() {
                if sec.outputs.contains_key(&e.output_id) {
                    continue;
                }
                sec.outputs.insert(
                    e.output_id.clone(),
                    json!({ "Value": e.value, "Export": { "Name": e.export_name } }),
                );
            }
        }
    }

    // Stack dependencies, order, cycles.
    let mut stack_deps: IndexMap<usize, IndexMap<usize, Vec<String>>> =
        stacks.iter().map(|&s| (s, IndexMap::new())).collect();
    for (c, p, reason) in deps {
        if c == p {
            continue;
        }
        if let Some(m) = stack_deps.get_mut(&c) {
            m.entry(p).or_default().push(reason);
        }
    }
    let order = match topo_order(&stacks, &stack_deps) {
        Ok(o) => o,
        Err(cycle) => {
            let names: Vec<String> = cycle.iter().map(|&s| tree.path(s)).collect();
            let mut reasons = Vec::new();
            for w in cycle.windows(2) {
                let why = stack_deps[&w[0]].get(&w[1]).map(|r| r.join("; ")).unwrap_or_default();
                reasons.push(format!(
                    "'{}' depends on '{}' ({why})",
                    tree.path(w[0]),
                    tree.path(w[1])
                ));
            }
            errors.push(SynthError::DependencyCycle {
                cycle: names.join(" -> "),
                reasons: reasons.join(", "),
            });
            stacks.clone()
        }
    };

    if !errors.is_empty() {
        return Err(SynthErrors(errors));
    }

    let mut out = Vec::with_capacity(order.len());
    for s in order {
        let NodeKind::Stack(data) = &tree.nodes[s].kind else {
            continue;
        };
        let sec = sections.remove(&s).unwrap_or_default();
        let template = sec.into_template(data.props.description.as_deref(), &data.props.synthesizer);
        let mut logical_ids = Vec::new();
        for &e in elements_of.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(id) = &ids[e] {
                logical_ids.push((format!("/{}", tree.path(e)), id.clone()));
            }
        }
        let mut dependencies = Vec::new();
        let mut dependency_reasons = Vec::new();
        for (d, reasons) in &stack_deps[&s] {
            dependencies.push(tree.nodes[*d].id.clone());
            for r in reasons {
                dependency_reasons.push((tree.nodes[*d].id.clone(), r.clone()));
            }
        }
        out.push(SynthesizedStack {
            artifact_id: tree.nodes[s].id.clone(),
            path: tree.path(s),
            stack_name: stack_name_of(&tree, s),
            template,
            dependencies,
            dependency_reasons,
            assets: data.assets.clone(),
            environment: data.props.env.clone(),
            synthesizer: data.props.synthesizer.clone(),
            termination_protection: data.props.termination_protection,
            logical_ids,
        });
    }
    Ok(Synthesis {
        stacks: out,
        tree: ConstructTree::of(&tree, &ids),
        annotations,
    })
}
