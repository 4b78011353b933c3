//! Synthesis: validate the tree, allocate logical IDs, resolve references
//! (creating exports for cross-stack ones), order the stacks and render templates.

use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use serde_json::{json, Map, Value as Json};

use super::assets::FileAsset;
use super::construct::{NodeKind, Tree};
use super::element::{ElementKind, ResourceData};
use super::error::{SynthError, SynthErrors};
use super::logical_id::{is_valid_logical_id, make_unique_id};
use super::stack::{Environment, Synthesizer, REQUIRED_BOOTSTRAP_VERSION};
use super::tags::TagFormat;
use super::tree_json::ConstructTree;
use super::value::{ElementRef, Intrinsic, Value};

/// A synthesized stack: its template and what the assembly needs to know.
#[derive(Clone, Debug)]
pub struct SynthesizedStack {
    /// The artifact id in the assembly (the construct id of the stack).
    pub artifact_id: String,
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
    /// Context values constructs needed and did not find (the manifest's
    /// `missing`): the templates hold dummy values until they are looked up.
    pub missing: Vec<super::context::MissingContext>,
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

struct Export {
    output_id: String,
    export_name: String,
    value: Json,
}

struct Resolver<'a> {
    tree: &'a Tree,
    ids: &'a [Option<String>],
    stack_of: &'a [Option<usize>],
    consumer: usize,
    /// The element being resolved (for error messages and dependency reasons).
    source: usize,
    exports: &'a mut HashMap<usize, IndexMap<String, Export>>,
    deps: &'a mut Vec<(usize, usize, String)>,
    errors: &'a mut Vec<SynthError>,
}

impl Resolver<'_> {
    fn error(&mut self, message: String) {
        self.errors
            .push(SynthError::construct(self.tree.path(self.source), message));
    }

    fn target(&mut self, r: ElementRef) -> Option<(usize, String)> {
        if r.app != self.tree.app {
            self.error(
                "references a construct of another App: constructs of one app cannot refer to another app's".into(),
            );
            return None;
        }
        let id = self.ids.get(r.idx).cloned().flatten();
        match id {
            Some(id) => Some((self.stack_of[r.idx].unwrap_or(usize::MAX), id)),
            None => {
                self.error(format!(
                    "references '{}', which has no logical id",
                    self.tree.path(r.idx)
                ));
                None
            }
        }
    }

    fn reference(&mut self, r: ElementRef, attr: Option<&str>) -> Json {
        let Some((producer, id)) = self.target(r) else {
            return Json::Null;
        };
        let local = match attr {
            None => json!({ "Ref": id }),
            Some(a) => json!({ "Fn::GetAtt": [id, a] }),
        };
        if producer == self.consumer {
            return local;
        }
        let kind_ok = matches!(
            &self.tree.nodes[r.idx].kind,
            NodeKind::Element(e) if matches!(e.kind, ElementKind::Resource(_) | ElementKind::Parameter(_))
        );
        if !kind_ok {
            self.error(format!(
                "references '{}' of another stack; only resources and parameters can be referenced across stacks",
                self.tree.path(r.idx)
            ));
            return Json::Null;
        }
        let (producer_env, consumer_env) = (stack_env(self.tree, producer), stack_env(self.tree, self.consumer));
        if producer_env.account.is_some()
            && consumer_env.account.is_some()
            && producer_env.account != consumer_env.account
            || producer_env.region.is_some()
                && consumer_env.region.is_some()
                && producer_env.region != consumer_env.region
        {
            self.error(format!(
                "references '{}' in stack '{}', which deploys to {} while this stack deploys to {}: exports work only within one account and region; pass the value as a parameter instead",
                self.tree.path(r.idx),
                self.tree.path(producer),
                producer_env.to_uri(),
                consumer_env.to_uri()
            ));
            return Json::Null;
        }
        let reason = format!(
            "{} -> {}{}",
            self.tree.path(self.source),
            self.tree.path(r.idx),
            attr.map(|a| format!(".{a}")).unwrap_or_default()
        );
        self.deps.push((self.consumer, producer, reason));
        let compact = serde_json::to_string(&local).unwrap_or_default();
        let output_id = make_unique_id(&["Exports".to_owned(), format!("Output{compact}")]).unwrap_or_default();
        let stack_name = stack_name_of(self.tree, producer);
        let exports = self.exports.entry(producer).or_default();
        let export_name = exports
            .entry(output_id.clone())
            .or_insert_with(|| {
                let mut name = format!("{stack_name}:{output_id}");
                if name.len() > 255 {
                    name = name[name.len() - 255..].to_owned();
                }
                Export {
                    output_id: output_id.clone(),
                    export_name: name,
                    value: local,
                }
            })
            .export_name
            .clone();
        json!({ "Fn::ImportValue": export_name })
    }

    fn condition_name(&mut self, v: &Value) -> Json {
        match v {
            Value::Ref(r) => match self.target(*r) {
                Some((stack, id)) if stack == self.consumer => Json::String(id),
                Some(_) => {
                    self.error("uses a condition of another stack: conditions are local to their stack".into());
                    Json::Null
                }
                None => Json::Null,
            },
            other => self.resolve(other),
        }
    }

    fn resolve(&mut self, v: &Value) -> Json {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::Str(s) => Json::String(s.clone()),
            Value::List(l) => Json::Array(l.iter().map(|x| self.resolve(x)).filter(|x| !x.is_null()).collect()),
            Value::Map(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, x) in m {
                    let r = self.resolve(x);
                    if !r.is_null() {
                        out.insert(k.clone(), r);
                    }
                }
                Json::Object(out)
            }
            Value::Ref(r) => self.reference(*r, None),
            Value::GetAtt(r, a) => self.reference(*r, Some(a)),
            Value::Pseudo(p) => json!({ "Ref": p.name() }),
            Value::Lazy(l) => {
                let v = (l.0)();
                self.resolve(&v)
            }
            Value::Fn(f) => self.intrinsic(f),
        }
    }

    fn intrinsic(&mut self, f: &Intrinsic) -> Json {
        match f {
            Intrinsic::Join(delim, parts) => {
                let parts: Vec<Json> = parts.iter().map(|p| self.resolve(p)).collect();
                minimal_join(delim, parts)
            }
            Intrinsic::Sub(template, vars) => {
                if vars.is_empty() {
                    json!({ "Fn::Sub": template })
                } else {
                    let vars: Map<String, Json> = vars.iter().map(|(k, v)| (k.clone(), self.resolve(v))).collect();
                    json!({ "Fn::Sub": [template, vars] })
                }
            }
            Intrinsic::Select(i, l) => json!({ "Fn::Select": [i, self.resolve(l)] }),
            Intrinsic::Split(d, s) => json!({ "Fn::Split": [d, self.resolve(s)] }),
            Intrinsic::ImportValue(n) => json!({ "Fn::ImportValue": self.resolve(n) }),
            Intrinsic::If(c, a, b) => {
                json!({ "Fn::If": [self.condition_name(c), self.resolve(a), self.resolve(b)] })
            }
            Intrinsic::Equals(a, b) => json!({ "Fn::Equals": [self.resolve(a), self.resolve(b)] }),
            Intrinsic::Not(c) => json!({ "Fn::Not": [self.condition_operand(c)] }),
            Intrinsic::And(cs) => {
                let cs: Vec<Json> = cs.iter().map(|c| self.condition_operand(c)).collect();
                json!({ "Fn::And": cs })
            }
            Intrinsic::Or(cs) => {
                let cs: Vec<Json> = cs.iter().map(|c| self.condition_operand(c)).collect();
                json!({ "Fn::Or": cs })
            }
            Intrinsic::Base64(v) => json!({ "Fn::Base64": self.resolve(v) }),
            Intrinsic::GetAzs(r) => json!({ "Fn::GetAZs": self.resolve(r) }),
            Intrinsic::FindInMap(m, a, b) => {
                json!({ "Fn::FindInMap": [self.resolve(m), self.resolve(a), self.resolve(b)] })
            }
            Intrinsic::Cidr(a, b, c) => json!({ "Fn::Cidr": [self.resolve(a), self.resolve(b), self.resolve(c)] }),
            Intrinsic::Contains(a, b) => json!({ "Fn::Contains": [self.resolve(a), self.resolve(b)] }),
        }
    }

    /// An operand of `Fn::Not`/`And`/`Or`: a condition reference is `{"Condition": name}`.
    fn condition_operand(&mut self, c: &Value) -> Json {
        match c {
            Value::Ref(r) if is_condition(self.tree, r.idx) => {
                let name = self.condition_name(c);
                json!({ "Condition": name })
            }
            other => self.resolve(other),
        }
    }
}

fn is_condition(tree: &Tree, idx: usize) -> bool {
    matches!(&tree.nodes.get(idx).map(|n| &n.kind), Some(NodeKind::Element(e)) if matches!(e.kind, ElementKind::Condition(_)))
}

/// `Fn::Join` with nested joins of the same delimiter spliced in and adjacent
/// literals merged; all-literal joins become a plain string.
fn minimal_join(delim: &str, parts: Vec<Json>) -> Json {
    let mut flat: Vec<Json> = Vec::with_capacity(parts.len());
    let push = |flat: &mut Vec<Json>, p: Json| match (flat.last_mut(), p) {
        (Some(Json::String(prev)), Json::String(s)) => {
            prev.push_str(delim);
            prev.push_str(&s);
        }
        (_, p) => flat.push(p),
    };
    for p in parts {
        if p.is_null() {
            continue;
        }
        let nested = match &p {
            Json::Object(o) if o.len() == 1 => match o.get("Fn::Join") {
                Some(Json::Array(a)) if a.len() == 2 && a[0].as_str() == Some(delim) => a[1].as_array().cloned(),
                _ => None,
            },
            _ => None,
        };
        match nested {
            Some(inner) => inner.into_iter().for_each(|x| push(&mut flat, x)),
            None => push(&mut flat, p),
        }
    }
    match flat.len() {
        0 => Json::String(String::new()),
        1 if flat[0].is_string() || delim.is_empty() => flat.pop().unwrap_or_default(),
        _ => json!({ "Fn::Join": [delim, flat] }),
    }
}

fn stack_env(tree: &Tree, stack: usize) -> Environment {
    match &tree.nodes[stack].kind {
        NodeKind::Stack(s) => s.props.env.clone(),
        _ => Environment::default(),
    }
}

fn stack_name_of(tree: &Tree, stack: usize) -> String {
    match &tree.nodes[stack].kind {
        NodeKind::Stack(s) => s
            .props
            .stack_name
            .clone()
            .unwrap_or_else(|| tree.nodes[stack].id.clone()),
        _ => tree.nodes[stack].id.clone(),
    }
}

/// The tags that apply to a node: from the app down, nearer scopes winning.
fn effective_tags(tree: &Tree, idx: usize) -> IndexMap<String, Value> {
    let mut chain = Vec::new();
    let mut cur = Some(idx);
    while let Some(i) = cur {
        chain.push(i);
        cur = tree.nodes[i].parent;
    }
    let mut tags: IndexMap<String, Value> = IndexMap::new();
    for &i in chain.iter().rev() {
        let n = &tree.nodes[i];
        for k in &n.removed_tags {
            tags.shift_remove(k);
        }
        for (k, v) in &n.tags {
            tags.insert(k.clone(), v.clone());
        }
    }
    tags
}

/// Runs validations and collects every error recorded on nodes.
fn collect_errors(tree_rc: &std::rc::Rc<std::cell::RefCell<Tree>>) -> Vec<SynthError> {
    let validations: Vec<(usize, super::construct::Validation)> = {
        let tree = tree_rc.borrow();
        tree.nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.validations.iter().map(move |v| (i, v.clone())))
            .collect()
    };
    let mut found: Vec<(usize, String)> = Vec::new();
    for (i, v) in validations {
        found.extend(v().into_iter().map(|m| (i, m)));
    }
    let tree = tree_rc.borrow();
    let mut errors = Vec::new();
    for (i, n) in tree.nodes.iter().enumerate() {
        for e in &n.errors {
            errors.push(SynthError::construct(tree.display_path(i), e.clone()));
        }
        // A construct that already reported a problem (e.g. a missing value) is
        // not checked again against the schema: one root cause, one error.
        let reported = !n.errors.is_empty() || n.parent.is_some_and(|p| !tree.nodes[p].errors.is_empty());
        if let (NodeKind::Element(e), false) = (&n.kind, reported) {
            if let ElementKind::Resource(res) = &e.kind {
                for m in super::schema_check::check_resource(res) {
                    errors.push(SynthError::construct(tree.display_path(i), m));
                }
            }
        }
        for (j, m) in &found {
            if *j == i {
                errors.push(SynthError::construct(tree.display_path(i), m.clone()));
            }
        }
    }
    errors
}

/// Synthesizes every stack of the tree. All problems are reported together.
pub(crate) fn synthesize(tree_rc: &std::rc::Rc<std::cell::RefCell<Tree>>) -> Result<Synthesis, SynthErrors> {
    let mut errors = collect_errors(tree_rc);
    let tree = tree_rc.borrow();
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
        if let Some(prev) = seen.insert((s, id.clone()), i) {
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
        let template = sec.into_template(
            data.props.description.as_deref(),
            &data.props.synthesizer,
            &data.bootstrap,
        );
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
        tree: ConstructTree::of(&tree, &ids),
        missing: tree.missing.values().cloned().collect(),
    })
}

fn render_resource(r: &mut Resolver<'_>, idx: usize, res: &ResourceData) -> Json {
    let mut m = Map::new();
    m.insert("Type".into(), Json::String(res.type_.clone()));
    let mut props = Map::with_capacity(res.properties.len() + 1);
    for (k, v) in &res.properties {
        let j = r.resolve(v);
        if !j.is_null() {
            props.insert(k.clone(), j);
        }
    }
    if let Some(format) = res.tag_format {
        let applied = effective_tags(r.tree, idx);
        if !applied.is_empty() {
            let mut tags: IndexMap<String, Json> = IndexMap::new();
            // Tags the construct set itself come first; applied tags override them.
            match props.get(res.tag_property) {
                Some(Json::Array(existing)) => {
                    for t in existing {
                        if let (Some(k), Some(v)) = (t.get("Key").and_then(Json::as_str), t.get("Value")) {
                            tags.insert(k.to_owned(), v.clone());
                        }
                    }
                }
                Some(Json::Object(existing)) => {
                    for (k, v) in existing {
                        tags.insert(k.clone(), v.clone());
                    }
                }
                _ => {}
            }
            for (k, v) in &applied {
                let j = r.resolve(v);
                tags.insert(k.clone(), j);
            }
            tags.sort_by(|a, _, b, _| super::tags::cdk_key_order(a, b));
            let rendered = match format {
                TagFormat::Standard => {
                    Json::Array(tags.into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
                }
                TagFormat::AutoScaling => Json::Array(
                    tags.into_iter()
                        .map(|(k, v)| json!({ "Key": k, "PropagateAtLaunch": true, "Value": v }))
                        .collect(),
                ),
                TagFormat::Map => Json::Object(tags.into_iter().collect()),
            };
            props.insert(res.tag_property.into(), rendered);
        }
    }
    if !props.is_empty() {
        m.insert("Properties".into(), Json::Object(props));
    }
    let mut depends: Vec<String> = Vec::new();
    for d in &res.depends_on {
        match r.target(*d) {
            Some((stack, id)) if stack == r.consumer => depends.push(id),
            Some((stack, _)) => {
                let reason = format!("{} -> {} (DependsOn)", r.tree.path(idx), r.tree.path(d.idx));
                r.deps.push((r.consumer, stack, reason));
            }
            None => {}
        }
    }
    if !depends.is_empty() {
        depends.sort();
        depends.dedup();
        m.insert("DependsOn".into(), json!(depends));
    }
    if let Some(c) = &res.creation_policy {
        m.insert("CreationPolicy".into(), r.resolve(c));
    }
    if let Some(u) = &res.update_policy {
        m.insert("UpdatePolicy".into(), r.resolve(u));
    }
    if let Some(p) = res.update_replace_policy {
        m.insert("UpdateReplacePolicy".into(), p.as_str().into());
    }
    if let Some(p) = res.deletion_policy {
        m.insert("DeletionPolicy".into(), p.as_str().into());
    }
    let mut meta = Map::new();
    meta.insert("aws:cdk:path".into(), Json::String(r.tree.path(idx)));
    for (k, v) in &res.metadata {
        meta.insert(k.clone(), r.resolve(v));
    }
    m.insert("Metadata".into(), Json::Object(meta));
    if let Some(c) = res.condition {
        m.insert("Condition".into(), r.condition_name(&Value::Ref(c)));
    }
    Json::Object(m)
}

#[derive(Default)]
struct Sections {
    parameters: Map<String, Json>,
    mappings: Map<String, Json>,
    conditions: Map<String, Json>,
    resources: Map<String, Json>,
    outputs: Map<String, Json>,
    rules: Map<String, Json>,
}

impl Sections {
    fn into_template(
        mut self,
        description: Option<&str>,
        synthesizer: &Synthesizer,
        bootstrap: &super::bootstrap_names::BootstrapNames,
    ) -> Json {
        if *synthesizer == Synthesizer::Default {
            self.parameters.insert(
                "BootstrapVersion".into(),
                json!({
                    "Type": "AWS::SSM::Parameter::Value<String>",
                    "Default": bootstrap.version_parameter(),
                    "Description": "Version of the CDK Bootstrap resources in this environment, automatically retrieved from SSM Parameter Store. [cdk:skip]"
                }),
            );
            let old: Vec<String> = (1..REQUIRED_BOOTSTRAP_VERSION).map(|v| v.to_string()).collect();
            self.rules.insert(
                "CheckBootstrapVersion".into(),
                json!({
                    "Assertions": [{
                        "Assert": { "Fn::Not": [{ "Fn::Contains": [old, { "Ref": "BootstrapVersion" }] }] },
                        "AssertDescription": format!("CDK bootstrap stack version {REQUIRED_BOOTSTRAP_VERSION} required. Please run 'cdk bootstrap' with a recent version of the CDK CLI.")
                    }]
                }),
            );
        }
        let mut t = Map::new();
        if let Some(d) = description {
            t.insert("Description".into(), d.into());
        }
        for (key, section) in [
            ("Parameters", self.parameters),
            ("Mappings", self.mappings),
            ("Conditions", self.conditions),
            ("Resources", self.resources),
            ("Outputs", self.outputs),
            ("Rules", self.rules),
        ] {
            if !section.is_empty() {
                t.insert(key.into(), Json::Object(section));
            }
        }
        Json::Object(t)
    }
}

/// Orders stacks so each comes after its dependencies, keeping creation order
/// otherwise. On a cycle, returns the cycle (first stack repeated at the end).
fn topo_order(
    stacks: &[usize],
    deps: &IndexMap<usize, IndexMap<usize, Vec<String>>>,
) -> Result<Vec<usize>, Vec<usize>> {
    let mut done: IndexSet<usize> = IndexSet::new();
    while done.len() < stacks.len() {
        let next = stacks
            .iter()
            .find(|s| !done.contains(*s) && deps[*s].keys().all(|d| done.contains(d)));
        match next {
            Some(&s) => {
                done.insert(s);
            }
            None => return Err(find_cycle(stacks, deps, &done)),
        }
    }
    Ok(done.into_iter().collect())
}

fn find_cycle(
    stacks: &[usize],
    deps: &IndexMap<usize, IndexMap<usize, Vec<String>>>,
    done: &IndexSet<usize>,
) -> Vec<usize> {
    // Every remaining stack has an unfinished dependency: walk until a stack repeats.
    let Some(&start) = stacks.iter().find(|s| !done.contains(*s)) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let Some(&next) = deps[&cur].keys().find(|d| !done.contains(*d)) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
        cur = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_join_merges_literals_and_splices_nested_joins() {
        let nested = json!({ "Fn::Join": ["", ["b", { "Ref": "X" }]] });
        let got = minimal_join("", vec![json!("a"), nested, json!("c")]);
        assert_eq!(got, json!({ "Fn::Join": ["", ["ab", { "Ref": "X" }, "c"]] }));
        assert_eq!(minimal_join("", vec![json!("a"), json!("b")]), json!("ab"));
        assert_eq!(minimal_join(",", vec![json!("a"), json!("b")]), json!("a,b"));
        assert_eq!(minimal_join("", vec![json!({ "Ref": "X" })]), json!({ "Ref": "X" }));
    }
}
