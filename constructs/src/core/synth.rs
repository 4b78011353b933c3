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
use super::order::order_stacks;
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
    /// The bootstrap's names for the stack's qualifier.
    pub bootstrap: super::bootstrap_names::BootstrapNames,
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
    /// Context values constructs needed and did not find (the manifest's
    /// `missing`): the templates hold dummy values until they are looked up.
    pub missing: Vec<super::context::MissingContext>,
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

/// Where every element lives: stacks, each node's stack, logical ids.
struct Layout {
    /// The stacks, in creation order.
    stacks: Vec<usize>,
    /// Each node's stack.
    stack_of: Vec<Option<usize>>,
    /// Each element's logical id.
    ids: Vec<Option<String>>,
    /// The elements of each stack, in tree order.
    elements_of: HashMap<usize, Vec<usize>>,
}

/// Allocates the logical ids, reporting missing, invalid and clashing ones
/// (a clash below a duplicate construct id is that error's consequence, not another).
fn allocate_ids(tree: &Tree, errors: &mut Vec<SynthError>) -> Layout {
    let n = tree.nodes.len();
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
        let Some(id) = logical_id_of(tree, i) else {
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
        if let Some(prev) = seen.insert((s, id.clone()), i).filter(|_| !below_duplicate_id(tree, i)) {
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
    Layout {
        stacks,
        stack_of,
        ids,
        elements_of,
    }
}

/// The rendered sections of every stack, the exports the references need and
/// the dependencies between stacks (consumer, producer, reason).
struct Rendered {
    sections: HashMap<usize, Sections>,
    deps: Vec<(usize, usize, String)>,
}

/// Resolves and renders every element of every stack; exports become outputs of their producers.
fn render_stacks(tree: &Tree, layout: &Layout, errors: &mut Vec<SynthError>) -> Rendered {
    let mut exports: HashMap<usize, IndexMap<String, Export>> = HashMap::new();
    let mut deps: Vec<(usize, usize, String)> = Vec::new();
    let mut foreign: IndexMap<ElementRef, Vec<usize>> = IndexMap::new();
    let mut sections: HashMap<usize, Sections> = HashMap::new();
    for &s in &layout.stacks {
        if let NodeKind::Stack(data) = &tree.nodes[s].kind {
            for (d, reason) in &data.dependencies {
                deps.push((s, *d, reason.clone()));
            }
        }
        let mut sec = Sections::default();
        for &e in layout.elements_of.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
            let NodeKind::Element(data) = &tree.nodes[e].kind else {
                continue;
            };
            let mut r = Resolver {
                tree,
                ids: &layout.ids,
                stack_of: &layout.stack_of,
                consumer: s,
                source: e,
                exports: &mut exports,
                deps: &mut deps,
                errors,
                foreign: &mut foreign,
            };
            let id = layout.ids[e].clone().unwrap_or_default();
            render_element(&mut r, e, id, &data.kind, &mut sec);
        }
        sections.insert(s, sec);
    }
    errors.extend(foreign_reference_errors(tree, &foreign));
    for (producer, ex) in &exports {
        if let Some(sec) = sections.get_mut(producer) {
            for e in ex.values() {
                if !sec.outputs.contains_key(&e.output_id) {
                    sec.outputs.insert(
                        e.output_id.clone(),
                        json!({ "Value": e.value, "Export": { "Name": e.export_name } }),
                    );
                }
            }
        }
    }
    Rendered { sections, deps }
}

/// Renders one element into its section of the template.
fn render_element(r: &mut Resolver<'_>, e: usize, id: String, kind: &ElementKind, sec: &mut Sections) {
    match kind {
        ElementKind::Resource(res) => {
            let body = render_resource(r, e, res);
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

/// Synthesizes every stack of the tree. All problems are reported together.
pub(crate) fn synthesize(root: &Construct) -> Result<Synthesis, SynthErrors> {
    let (errors, annotations): (Vec<Annotation>, Vec<Annotation>) = annotations(root)?
        .into_iter()
        .partition(|a| a.level == AnnotationLevel::Error);
    let mut errors: Vec<SynthError> = errors
        .into_iter()
        .map(|a| SynthError::construct(a.path, a.message))
        .collect();
    let tree = root.tree();
    let layout = allocate_ids(&tree, &mut errors);
    let Rendered { mut sections, deps } = render_stacks(&tree, &layout, &mut errors);
    let (order, stack_deps) = match order_stacks(&tree, &layout.stacks, deps) {
        Ok(ordered) => ordered,
        Err(cycle) => {
            errors.push(cycle);
            return Err(SynthErrors(errors));
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
        let template = sec.into_template(
            data.props.description.as_deref(),
            &data.props.synthesizer,
            &data.bootstrap,
        );
        let logical_ids = layout
            .elements_of
            .get(&s)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|&e| Some((format!("/{}", tree.path(e)), layout.ids[e].clone()?)))
            .collect();
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
            bootstrap: data.bootstrap.clone(),
            logical_ids,
        });
    }
    Ok(Synthesis {
        stacks: out,
        tree: ConstructTree::of(&tree, &layout.ids),
        annotations,
        missing: tree.missing.values().cloned().collect(),
    })
}
