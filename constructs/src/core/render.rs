//! The render phase: resources and stack sections become template JSON
//! (tags, attributes, metadata, then raw overrides).

use indexmap::IndexMap;
use serde_json::{json, Map, Value as Json};

use super::construct::Tree;
use super::element::ResourceData;
use super::error::SynthError;
use super::resolve::Resolver;
use super::stack::{Synthesizer, REQUIRED_BOOTSTRAP_VERSION};
use super::tags::TagFormat;
use super::value::Value;

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

/// Renders one resource: properties, tags, attributes, metadata, then its overrides.
pub(crate) fn render_resource(r: &mut Resolver<'_>, idx: usize, res: &ResourceData) -> Json {
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
    let mut rendered = Json::Object(m);
    for (path, value) in &res.overrides {
        let value = value.as_ref().map(|v| r.resolve(v));
        if let Err(message) = apply_override(&mut rendered, path, value) {
            r.errors.push(SynthError::construct(r.tree.path(idx), message));
        }
    }
    rendered
}

/// Applies one override to a rendered resource: sets the value at `path`
/// (creating objects on the way), or deletes it (`None`), removing objects
/// the deletion leaves empty.
fn apply_override(target: &mut Json, path: &[String], value: Option<Json>) -> Result<(), String> {
    let Some((_, parents)) = path.split_last() else {
        return Ok(());
    };
    set_at(target, path, value)?;
    prune_empty(target, parents);
    Ok(())
}

fn set_at(target: &mut Json, path: &[String], value: Option<Json>) -> Result<(), String> {
    let shown = path.join(".");
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut cur = target;
    for (depth, key) in parents.iter().enumerate() {
        cur = match cur {
            Json::Array(items) => {
                let len = items.len();
                let i = key.parse::<usize>().ok().filter(|i| *i < len).ok_or_else(|| {
                    format!(
                        "override '{shown}': '{key}' is not an index of the list at '{}' (it has {len} items)",
                        path[..depth].join(".")
                    )
                })?;
                &mut items[i]
            }
            Json::Object(map) => {
                if value.is_none() && !map.contains_key(key) {
                    return Ok(()); // nothing to delete
                }
                map.entry(key.clone()).or_insert_with(|| Json::Object(Map::new()))
            }
            _ => {
                return Err(format!(
                    "override '{shown}': the value at '{}' is neither an object nor a list, so it has no '{key}'",
                    path[..depth].join(".")
                ))
            }
        };
    }
    match (cur, value) {
        (Json::Object(map), Some(v)) => {
            map.insert(last.clone(), v);
        }
        (Json::Object(map), None) => {
            map.remove(last);
        }
        (Json::Array(items), v) => {
            let len = items.len();
            let i = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < len || (*i == len && v.is_some()))
                .ok_or_else(|| {
                    format!("override '{shown}': '{last}' is not an index of the list (it has {len} items)")
                })?;
            match v {
                Some(v) if i == len => items.push(v),
                Some(v) => items[i] = v,
                None => {
                    items.remove(i);
                }
            }
        }
        _ => {
            return Err(format!(
                "override '{shown}': the value at '{}' is neither an object nor a list",
                parents.join(".")
            ))
        }
    }
    Ok(())
}

/// Removes the objects along `path` left empty (deepest first), as the CDK does after a deletion.
fn prune_empty(target: &mut Json, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let child = match target {
        Json::Object(map) => map.get_mut(first),
        _ => None,
    };
    let Some(child) = child else { return };
    prune_empty(child, rest);
    if child.as_object().is_some_and(Map::is_empty) {
        if let Json::Object(map) = target {
            map.remove(first);
        }
    }
}

#[derive(Default)]
/// The sections of one stack's template, filled element by element.
pub(crate) struct Sections {
    pub parameters: Map<String, Json>,
    pub mappings: Map<String, Json>,
    pub conditions: Map<String, Json>,
    pub resources: Map<String, Json>,
    pub outputs: Map<String, Json>,
    pub rules: Map<String, Json>,
}

impl Sections {
    pub fn into_template(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn overrides_set_index_create_and_delete() {
        let mut r = json!({ "Type": "T", "Properties": { "A": { "B": 1 }, "L": [{ "X": 1 }, { "X": 2 }] } });
        apply_override(&mut r, &path("Properties.L.1.X"), Some(json!(3))).expect("index");
        apply_override(&mut r, &path("Properties.New.Deep"), Some(json!("v"))).expect("create");
        apply_override(&mut r, &path("Properties.A.B"), None).expect("delete");
        apply_override(&mut r, &path("Properties.L.0"), None).expect("delete from a list");
        apply_override(&mut r, &path("Properties.Missing.Key"), None).expect("deleting nothing is fine");
        assert_eq!(
            r,
            json!({ "Type": "T", "Properties": { "L": [{ "X": 3 }], "New": { "Deep": "v" } } })
        );
        let err = apply_override(&mut r, &path("Properties.L.5.X"), Some(json!(1))).expect_err("out of range");
        assert!(err.contains("'5' is not an index"), "{err}");
        let err = apply_override(&mut r, &path("Type.X"), Some(json!(1))).expect_err("not a container");
        assert!(err.contains("neither an object nor a list"), "{err}");
    }
}
