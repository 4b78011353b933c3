//! The resolve phase: template values ([`Value`]) become CloudFormation JSON,
//! references become `Ref`/`Fn::GetAtt` within a stack and exports/imports
//! across stacks.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{json, Map, Value as Json};

use super::construct::{NodeKind, Tree};
use super::element::ElementKind;
use super::error::SynthError;
use super::logical_id::make_unique_id;
use super::stack::Environment;
use super::value::{ElementRef, Intrinsic, Value};

/// An output a producer stack exports for a consumer's `Fn::ImportValue`.
pub(crate) struct Export {
    pub output_id: String,
    pub export_name: String,
    pub value: Json,
}

/// Turns [`Value`]s into template JSON for one consuming stack: references
/// become `Ref`/`Fn::GetAtt`, or `Fn::ImportValue` of an export of the
/// producing stack (recorded, with the stack dependency and its reason).
pub(crate) struct Resolver<'a> {
    pub tree: &'a Tree,
    pub ids: &'a [Option<String>],
    pub stack_of: &'a [Option<usize>],
    pub consumer: usize,
    /// The element being resolved (for error messages and dependency reasons).
    pub source: usize,
    pub exports: &'a mut HashMap<usize, IndexMap<String, Export>>,
    pub deps: &'a mut Vec<(usize, usize, String)>,
    pub errors: &'a mut Vec<SynthError>,
    /// References into another app: (app, element) -> the elements referring to it.
    pub foreign: &'a mut IndexMap<ElementRef, Vec<usize>>,
}

impl Resolver<'_> {
    fn error(&mut self, message: String) {
        self.errors
            .push(SynthError::construct(self.tree.path(self.source), message));
    }

    pub fn target(&mut self, r: ElementRef) -> Option<(usize, String)> {
        if r.app != self.tree.app {
            // Reported once per referenced construct, after resolution.
            let sources = self.foreign.entry(r).or_default();
            if !sources.contains(&self.source) {
                sources.push(self.source);
            }
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

    pub fn condition_name(&mut self, v: &Value) -> Json {
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

    pub fn resolve(&mut self, v: &Value) -> Json {
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

pub(crate) fn stack_env(tree: &Tree, stack: usize) -> Environment {
    match &tree.nodes[stack].kind {
        NodeKind::Stack(s) => s.props.env.clone(),
        _ => Environment::default(),
    }
}

pub(crate) fn stack_name_of(tree: &Tree, stack: usize) -> String {
    match &tree.nodes[stack].kind {
        NodeKind::Stack(s) => s
            .props
            .stack_name
            .clone()
            .unwrap_or_else(|| tree.nodes[stack].id.clone()),
        _ => tree.nodes[stack].id.clone(),
    }
}

/// One error per construct of another app that constructs of this one refer to.
pub(crate) fn foreign_reference_errors(tree: &Tree, foreign: &IndexMap<ElementRef, Vec<usize>>) -> Vec<SynthError> {
    foreign
        .iter()
        .filter_map(|(target, sources)| {
            let first = *sources.first()?;
            let referenced = super::construct::path_in_app(target.app, target.idx)
                .map_or_else(|| "a construct of another App".to_owned(), |p| format!("'{p}' of another App"));
            let others = match sources.len() {
                1 => String::new(),
                2 => format!(" (and so does '{}')", tree.path(sources[1])),
                n => format!(" (and so do '{}' and {} more)", tree.path(sources[1]), n - 2),
            };
            Some(SynthError::construct(
                tree.path(first),
                format!("references {referenced}{others}: constructs of one app cannot refer to another app's; create the referenced construct in this app, or import it by name or ARN"),
            ))
        })
        .collect()
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
