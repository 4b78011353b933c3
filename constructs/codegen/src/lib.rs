//! Generates `constructs::cfn`, the L1 layer: one typed module per AWS service
//! and a table of facts for every resource type, from the CloudFormation
//! registry (resource provider) schemas.
//!
//! # Schema source
//!
//! The schemas are the ones cfn-lint ships in its Python package, at the
//! version pinned in `tests/harness/requirements-tools.txt` (CI installs that
//! exact package into `.venv-tools`): `cfnlint/data/schemas/providers/us-east-1.json`
//! maps each resource type of us-east-1 to a file under
//! `cfnlint/data/schemas/resources/`, the registry's own JSON
//! (`createOnlyProperties`, `readOnlyProperties`, `writeOnlyProperties`,
//! `primaryIdentifier`, `tagging`). No network is needed, and the version in
//! the generated files' header says which package produced them.
//!
//! # Regenerating
//!
//! ```sh
//! cargo run -p cfn-codegen            # finds the schemas in .venv-tools
//! cargo run -p cfn-codegen -- DIR     # or in DIR (…/cfnlint/data/schemas)
//! ```
//!
//! It rewrites `constructs/src/cfn/generated/` and the `cfn-*` features of
//! `constructs/Cargo.toml`; the output depends only on the schemas, so a test
//! (`cargo test -p cfn-codegen`) proves the checked-in files are a fresh generation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

/// The region whose resource types are generated.
pub const REGION: &str = "us-east-1";

/// Marks the start of the generated block of features in `constructs/Cargo.toml`.
pub const FEATURES_BEGIN: &str = "# @generated cfn features begin (cargo run -p cfn-codegen; do not edit)";
/// Marks the end of the generated block of features in `constructs/Cargo.toml`.
pub const FEATURES_END: &str = "# @generated cfn features end";

/// Services whose module is compiled by default: those the library's own
/// constructs use, and DynamoDB and SQS, which the README's L1 example (and the
/// Table and Queue constructs to come) build on.
pub const DEFAULT_SERVICES: &[&str] = &[
    "dynamodb",
    "ec2",
    "elasticloadbalancingv2",
    "events",
    "iam",
    "lambda",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
];

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A schema file is not valid JSON or not of the expected shape.
    #[error("{path}: {message}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn read_json(path: &Path) -> Result<Json, CodegenError> {
    let text = std::fs::read_to_string(path).map_err(|source| CodegenError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| CodegenError::Schema {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The schemas directory of the cfn-lint in the workspace's `.venv-tools`, if installed.
pub fn default_schemas_dir(workspace: &Path) -> Option<PathBuf> {
    let lib = workspace.join(".venv-tools/lib");
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    pythons.sort();
    pythons
        .into_iter()
        .map(|p| p.join("site-packages/cfnlint/data/schemas"))
        .find(|p| p.join("providers").join(format!("{REGION}.json")).is_file())
}

/// The cfn-lint version that shipped the schemas (from its `dist-info` next to the package).
fn cfn_lint_version(schemas: &Path) -> String {
    let site_packages = schemas.join("../../..");
    let mut versions: Vec<String> = std::fs::read_dir(site_packages)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_prefix("cfn_lint-")?
                        .strip_suffix(".dist-info")
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_else(|| "unknown".to_owned())
}

/// The generated files: paths relative to `constructs/src/cfn/generated/`, and
/// the block of features for `constructs/Cargo.toml`.
#[derive(Debug, Default)]
pub struct Output {
    /// File name -> content.
    pub files: BTreeMap<String, String>,
    /// The features block, between [`FEATURES_BEGIN`] and [`FEATURES_END`] (inclusive).
    pub features: String,
    /// Resource types generated.
    pub resource_types: usize,
    /// Property types (nested structs) generated.
    pub property_types: usize,
    /// Enums generated.
    pub enums: usize,
}

/// One resource type's schema, read.
struct Schema {
    type_name: String,
    json: Map<String, Json>,
}

/// Reads every resource type of [`REGION`] and generates the layer.
pub fn generate(schemas: &Path) -> Result<Output, CodegenError> {
    let providers = schemas.join("providers").join(format!("{REGION}.json"));
    let index = read_json(&providers)?;
    let Some(index) = index.as_object() else {
        return Err(CodegenError::Schema {
            path: providers,
            message: "expected an object of resource type -> schema file".into(),
        });
    };
    let version = cfn_lint_version(schemas);
    let header = format!(
        "@generated by cfn-codegen from the CloudFormation registry schemas of cfn-lint {version} ({REGION}); do not edit. Regenerate: cargo run -p cfn-codegen"
    );
    let mut by_service: BTreeMap<String, Vec<Schema>> = BTreeMap::new();
    for (type_name, file) in index {
        let Some(file) = file.as_str() else { continue };
        let path = schemas.join("resources").join(format!("{file}.json"));
        let json = match read_json(&path)? {
            Json::Object(m) => m,
            _ => {
                return Err(CodegenError::Schema {
                    path,
                    message: "a schema is a JSON object".into(),
                })
            }
        };
        let Some(service) = service_module(type_name) else {
            continue;
        };
        by_service.entry(service).or_default().push(Schema {
            type_name: type_name.clone(),
            json,
        });
    }

    let mut out = Output::default();
    let mut facts = format!(
        "# {header}\n# type\ttagging\tproperties\trequired\tcreate-only\twrite-only\tread-only\tprimary identifier\n"
    );
    let mut modules = format!("// {header}\n\n//! The generated service modules, one per cargo feature.\n\n");
    let mut features = format!("{FEATURES_BEGIN}\n");
    let all: Vec<String> = by_service.keys().map(|s| feature_name(s)).collect();
    let defaults: Vec<String> = DEFAULT_SERVICES.iter().map(|s| feature_name(s)).collect();
    let quoted = |v: &[String]| v.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        features,
        "## The services the library's own constructs use.\ncfn-default = [{}]",
        quoted(&defaults)
    );
    let _ = writeln!(features, "## Every service.\ncfn-all = [{}]", quoted(&all));
    for (service, schemas) in &by_service {
        let feature = feature_name(service);
        let namespace = schemas[0].type_name.rsplit_once("::").map_or("", |(ns, _)| ns);
        let _ = writeln!(
            features,
            "## `{namespace}::*` resource types, as `constructs::cfn::{service}`.\n{feature} = []"
        );
        let _ = writeln!(
            modules,
            "#[cfg(feature = \"{feature}\")]\n#[doc = \"`{namespace}::*` resource types (feature `{feature}`).\"]\npub mod {service};"
        );
        let mut module = ModuleWriter::new(&header);
        for s in schemas {
            facts.push_str(&facts_line(s));
            module.resource(s);
        }
        out.resource_types += schemas.len();
        out.property_types += module.structs;
        out.enums += module.enums;
        out.files.insert(format!("{service}.rs"), module.text);
    }
    features.push_str(FEATURES_END);
    out.files.insert("mod.rs".into(), modules);
    out.files.insert("facts.tsv".into(), facts);
    out.features = features;
    Ok(out)
}

/// `AWS::SQS::Queue` -> `sqs`; `Alexa::ASK::Skill` -> `alexa_ask`.
fn service_module(type_name: &str) -> Option<String> {
    let parts: Vec<&str> = type_name.split("::").collect();
    match parts.as_slice() {
        ["AWS", service, _] => Some(service.to_lowercase()),
        [vendor, service, _] => Some(format!("{}_{}", vendor.to_lowercase(), service.to_lowercase())),
        _ => None,
    }
}

fn feature_name(service: &str) -> String {
    format!("cfn-{}", service.replace('_', "-"))
}

// ---------------------------------------------------------------- facts

fn strip_pointer(p: &str) -> Option<&str> {
    p.strip_prefix("/properties/")
}

fn pointer_list(schema: &Map<String, Json>, key: &str) -> Vec<String> {
    let mut v: Vec<String> = schema
        .get(key)
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .filter_map(strip_pointer)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.dedup();
    v
}

fn resolve<'a>(schema: &'a Map<String, Json>, mut node: &'a Json) -> &'a Json {
    for _ in 0..8 {
        let Some(r) = node.get("$ref").and_then(Json::as_str) else {
            break;
        };
        let Some(name) = r.strip_prefix("#/definitions/") else {
            break;
        };
        match schema.get("definitions").and_then(|d| d.get(name)) {
            Some(d) => node = d,
            None => break,
        }
    }
    node
}

fn has_type(node: &Json, t: &str) -> bool {
    match node.get("type") {
        Some(Json::String(s)) => s == t,
        Some(Json::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

/// The tag property and its shape (`standard`, `map`, `autoscaling`), if the type is taggable.
fn tagging(schema: &Map<String, Json>) -> Option<(String, &'static str)> {
    let tagging = schema.get("tagging");
    let property = match tagging {
        Some(t) if t.get("taggable").and_then(Json::as_bool) == Some(false) => return None,
        Some(t) => t
            .get("tagProperty")
            .and_then(Json::as_str)
            .and_then(strip_pointer)
            .unwrap_or("Tags"),
        None => "Tags",
    };
    let node = resolve(schema, schema.get("properties")?.get(property)?);
    let shape = if has_type(node, "array") {
        let item = resolve(schema, node.get("items").unwrap_or(&Json::Null));
        if item
            .get("properties")
            .and_then(|p| p.get("PropagateAtLaunch"))
            .is_some()
        {
            "autoscaling"
        } else {
            "standard"
        }
    } else if has_type(node, "object") || node.get("patternProperties").is_some() {
        "map"
    } else {
        return None;
    };
    Some((property.to_owned(), shape))
}

fn facts_line(s: &Schema) -> String {
    let json = &s.json;
    let read_only = pointer_list(json, "readOnlyProperties");
    let properties: Vec<&str> = json
        .get("properties")
        .and_then(Json::as_object)
        .map(|p| {
            p.keys()
                .map(String::as_str)
                .filter(|k| !read_only.iter().any(|r| r == k))
                .collect()
        })
        .unwrap_or_default();
    let mut properties = properties;
    properties.sort_unstable();
    let mut required: Vec<&str> = json
        .get("required")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    required.sort_unstable();
    let tags = tagging(json).map_or_else(|| "-".to_owned(), |(p, shape)| format!("{p}:{shape}"));
    let join = |v: &[String]| v.join(",");
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
        s.type_name,
        tags,
        properties.join(","),
        required.join(","),
        join(&pointer_list(json, "createOnlyProperties")),
        join(&pointer_list(json, "writeOnlyProperties")),
        join(&read_only),
        json.get("primaryIdentifier")
            .and_then(Json::as_array)
            .map(|a| a
                .iter()
                .filter_map(Json::as_str)
                .filter_map(strip_pointer)
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default(),
    )
}

// ---------------------------------------------------------------- names

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "do", "dyn", "else", "enum", "extern",
    "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut",
    "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield", "abstract", "become",
];

/// Names a generated type must not take: they would shadow what the macros use.
const RESERVED_TYPES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Box",
    "String",
    "Vec",
    "Value",
    "Self",
    "Default",
    "Clone",
    "Debug",
    "From",
    "Into",
    "Scope",
    "CfnResource",
    "IndexMap",
];

/// `DBClusterIdentifier` -> `db_cluster_identifier`.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut s = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !s.ends_with('_') && !s.is_empty() {
                s.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if (prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower))
                && !s.ends_with('_')
            {
                s.push('_');
            }
        }
        s.push(c.to_ascii_lowercase());
    }
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("p_{s}")
    } else if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// `PAY_PER_REQUEST` -> `PayPerRequest`; `t2.micro` -> `T2Micro`; `KeySchema` stays.
fn camel(name: &str) -> String {
    let mut s = String::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let all_upper = part.chars().all(|c| !c.is_ascii_lowercase());
        let mut cs = part.chars();
        if let Some(first) = cs.next() {
            s.push(first.to_ascii_uppercase());
            if all_upper {
                s.extend(cs.map(|c| c.to_ascii_lowercase()));
            } else {
                s.extend(cs);
            }
        }
    }
    if s.is_empty() {
        "Empty".to_owned()
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{s}")
    } else {
        s
    }
}

fn type_ident(name: &str) -> String {
    let c = camel(name);
    if RESERVED_TYPES.contains(&c.as_str()) {
        format!("{c}Type")
    } else {
        c
    }
}

/// A unique name within a set: `name`, `name2`, `name3` ...
fn unique(taken: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// The first paragraph of a schema description, on one line, at most 300 characters:
/// no markdown block can start in it, so no doc test can either.
fn doc_text(description: Option<&str>) -> String {
    let text = description.unwrap_or("").split("\n\n").next().unwrap_or("");
    let mut one_line = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("```", "`");
    if one_line.chars().count() > 300 {
        let mut cut: String = one_line.chars().take(300).collect();
        if let Some(i) = cut.rfind(' ') {
            cut.truncate(i);
        }
        one_line = format!("{cut} …");
    }
    one_line
}

fn doc_attr(indent: &str, text: &str) -> String {
    format!("{indent}#[doc = {text:?}]\n")
}

// ---------------------------------------------------------------- modules

/// What a property position holds, for its documentation.
enum Kind {
    Scalar,
    Struct(String),
    Enum(String),
    ListOf(Box<Kind>),
    MapOf(Box<Kind>),
}

impl Kind {
    fn describe(&self, prefix: &str) -> Option<String> {
        match self {
            Kind::Scalar => None,
            Kind::Struct(n) => Some(format!("a [`{prefix}{n}`]")),
            Kind::Enum(n) => Some(format!("a [`{prefix}{n}`]")),
            Kind::ListOf(k) => Some(format!("a list of {}", k.describe(prefix)?.trim_start_matches("a "))),
            Kind::MapOf(k) => Some(format!(
                "a map of names to {}",
                k.describe(prefix)?.trim_start_matches("a ")
            )),
        }
    }
}

struct ModuleWriter {
    text: String,
    taken: BTreeSet<String>,
    structs: usize,
    enums: usize,
}

/// The nested types of one resource type: its submodule.
struct Nested<'a> {
    schema: &'a Map<String, Json>,
    /// Definition name -> Rust type name (structs and enums).
    defs: BTreeMap<String, String>,
    taken: BTreeSet<String>,
    /// Inline enums: (type name, values, doc), in order of discovery.
    inline_enums: Vec<(String, Vec<String>, String)>,
}

/// The variants of a closed set of string values, or `None` when they do not
/// make distinct Rust names.
fn variants(values: &[Json]) -> Option<Vec<(String, String)>> {
    let mut seen = BTreeSet::from(["Other".to_owned()]);
    let mut out = Vec::new();
    for v in values {
        let lit = v.as_str()?;
        let name = match camel(lit) {
            // `Self` is a keyword; every other keyword is lower case.
            n if n == "Self" => "SelfValue".to_owned(),
            n => n,
        };
        if !seen.insert(name.clone()) {
            return None;
        }
        out.push((name, lit.to_owned()));
    }
    (!out.is_empty()).then_some(out)
}

impl<'a> Nested<'a> {
    fn new(schema: &'a Map<String, Json>) -> Self {
        let mut n = Nested {
            schema,
            defs: BTreeMap::new(),
            taken: BTreeSet::new(),
            inline_enums: Vec::new(),
        };
        if let Some(defs) = schema.get("definitions").and_then(Json::as_object) {
            for (name, def) in defs {
                let is_struct = def
                    .get("properties")
                    .and_then(Json::as_object)
                    .is_some_and(|p| !p.is_empty());
                let is_enum = has_type(def, "string")
                    && def
                        .get("enum")
                        .and_then(Json::as_array)
                        .and_then(|v| variants(v))
                        .is_some();
                if is_struct || is_enum {
                    let rust = unique(&mut n.taken, type_ident(name));
                    n.defs.insert(name.clone(), rust);
                }
            }
        }
        n
    }

    /// The kind of a property position; inline string enums get a type named after the property.
    fn kind(&mut self, owner: &str, property: &str, node: &Json, depth: usize) -> Kind {
        if depth > 4 {
            return Kind::Scalar;
        }
        if let Some(name) = node
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            if let Some(rust) = self.defs.get(name) {
                let def = &self.schema["definitions"][name];
                return if def.get("properties").is_some() {
                    Kind::Struct(rust.clone())
                } else {
                    Kind::Enum(rust.clone())
                };
            }
            let def = resolve(self.schema, node);
            if std::ptr::eq(def, node) {
                return Kind::Scalar;
            }
            return self.kind(owner, property, def, depth + 1);
        }
        if has_type(node, "array") {
            if let Some(items) = node.get("items") {
                return match self.kind(owner, property, items, depth + 1) {
                    Kind::Scalar => Kind::Scalar,
                    k => Kind::ListOf(Box::new(k)),
                };
            }
        }
        if has_type(node, "object") {
            if let Some(inner) = node
                .get("patternProperties")
                .and_then(Json::as_object)
                .and_then(|p| p.values().next())
            {
                return match self.kind(owner, property, inner, depth + 1) {
                    Kind::Scalar => Kind::Scalar,
                    k => Kind::MapOf(Box::new(k)),
                };
            }
        }
        if has_type(node, "string") {
            if let Some(values) = node.get("enum").and_then(Json::as_array) {
                if variants(values).is_some() {
                    let name = if property.starts_with(owner) {
                        property.to_owned()
                    } else {
                        format!("{owner}{property}")
                    };
                    let rust = unique(&mut self.taken, type_ident(&name));
                    let values = values.iter().filter_map(Json::as_str).map(str::to_owned).collect();
                    let doc = doc_text(node.get("description").and_then(Json::as_str));
                    self.inline_enums.push((rust.clone(), values, doc));
                    return Kind::Enum(rust);
                }
            }
        }
        Kind::Scalar
    }
}

fn field_doc(description: Option<&str>, kind: &Kind, prefix: &str, required: bool, key: &str) -> String {
    let mut doc = doc_text(description);
    if doc.is_empty() {
        doc = format!("`{key}`.");
    }
    if !doc.ends_with(['.', '…', '?', '!']) {
        doc.push('.');
    }
    if let Some(k) = kind.describe(prefix) {
        let _ = write!(doc, " Takes {k}, or any `Value`.");
    }
    if required {
        doc.push_str(" Required.");
    }
    doc
}

impl ModuleWriter {
    fn new(header: &str) -> Self {
        ModuleWriter {
            text: format!("// {header}\n\nuse crate::cfn::macros::*;\n"),
            taken: BTreeSet::new(),
            structs: 0,
            enums: 0,
        }
    }

    fn resource(&mut self, s: &Schema) {
        let json = &s.json;
        let short = s.type_name.rsplit("::").next().unwrap_or(&s.type_name);
        let base = type_ident(short);
        let name = unique(&mut self.taken, format!("Cfn{base}"));
        let props_name = unique(&mut self.taken, format!("{name}Props"));
        let submodule = unique(&mut self.taken, snake(short));
        let read_only = pointer_list(json, "readOnlyProperties");
        let required: BTreeSet<&str> = json
            .get("required")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut nested = Nested::new(json);
        let prefix = format!("{submodule}::");

        // The resource's own properties.
        let mut fields = String::new();
        let mut field_names = BTreeSet::new();
        if let Some(props) = json.get("properties").and_then(Json::as_object) {
            let mut keys: Vec<&String> = props.keys().filter(|k| !read_only.contains(k)).collect();
            keys.sort();
            for key in keys {
                let node = &props[key.as_str()];
                let kind = nested.kind(&base, key, node, 0);
                let doc = field_doc(
                    node.get("description").and_then(Json::as_str),
                    &kind,
                    &prefix,
                    required.contains(key.as_str()),
                    key,
                );
                let field = unique(&mut field_names, snake(key));
                let _ = writeln!(fields, "{}        {field} = {key:?},", doc_attr("        ", &doc));
            }
        }
        // Attributes: the read-only properties, `Fn::GetAtt` names with dots.
        let mut attrs = String::new();
        let mut getters = BTreeSet::new();
        for path in &read_only {
            if path.contains('*') {
                continue;
            }
            let att = path.replace('/', ".");
            let getter = unique(
                &mut getters,
                format!("attr_{}", snake(&att.replace('.', "_"))).replace("attr_p_", "attr_"),
            );
            let att_ident = camel(&att);
            let attr_type = if att_ident.starts_with(&base) {
                att_ident
            } else {
                format!("{base}{att_ident}")
            };
            let attr_type = unique(&mut self.taken, attr_type);
            let node = att
                .split('.')
                .try_fold(json.get("properties"), |node, part| Some(node?.get(part)))
                .flatten();
            let node = node.map(|n| resolve(json, n));
            let mut doc = doc_text(node.and_then(|n| n.get("description")).and_then(Json::as_str));
            if doc.is_empty() {
                doc = format!("The `{att}` attribute.");
            }
            let _ = writeln!(
                attrs,
                "{}        {getter} -> {attr_type} = {att:?},",
                doc_attr("        ", &doc)
            );
        }

        let mut doc = doc_text(json.get("description").and_then(Json::as_str));
        if doc.is_empty() {
            doc = format!("A `{}`.", s.type_name);
        }
        let _ = write!(
            self.text,
            "\ncfn_resource! {{\n{}    {name}({props_name}) = {:?};\n    props {{\n{fields}    }}\n    attrs {{\n{attrs}    }}\n}}\n",
            doc_attr("    ", &format!("`{}`: {doc}", s.type_name)),
            s.type_name,
        );

        // The nested types, in a submodule named after the resource.
        let mut body = String::new();
        let defs: Vec<(String, String)> = nested.defs.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
        for (def_name, rust) in &defs {
            let def = &json["definitions"][def_name.as_str()];
            let doc = {
                let d = doc_text(def.get("description").and_then(Json::as_str));
                if d.is_empty() {
                    format!("`{def_name}` of `{}`.", s.type_name)
                } else {
                    d
                }
            };
            if let Some(props) = def.get("properties").and_then(Json::as_object) {
                let required: BTreeSet<&str> = def
                    .get("required")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().filter_map(Json::as_str).collect())
                    .unwrap_or_default();
                let mut fields = String::new();
                let mut names = BTreeSet::new();
                let mut keys: Vec<&String> = props.keys().collect();
                keys.sort();
                for key in keys {
                    let node = &props[key.as_str()];
                    let kind = nested.kind(rust, key, node, 0);
                    let doc = field_doc(
                        node.get("description").and_then(Json::as_str),
                        &kind,
                        "",
                        required.contains(key.as_str()),
                        key,
                    );
                    let field = unique(&mut names, snake(key));
                    let _ = writeln!(fields, "{}        {field} = {key:?},", doc_attr("        ", &doc));
                }
                let _ = write!(
                    body,
                    "\n    cfn_struct! {{\n{}        {rust} {{\n{fields}        }}\n    }}\n",
                    doc_attr("        ", &doc)
                );
                self.structs += 1;
            } else if let Some(values) = def.get("enum").and_then(Json::as_array).and_then(|v| variants(v)) {
                body.push_str(&enum_text(rust, &values, &doc));
                self.enums += 1;
            }
        }
        for (rust, values, doc) in std::mem::take(&mut nested.inline_enums) {
            let json_values: Vec<Json> = values.into_iter().map(Json::String).collect();
            if let Some(v) = variants(&json_values) {
                let doc = if doc.is_empty() {
                    format!("The values of `{rust}`.")
                } else {
                    doc
                };
                body.push_str(&enum_text(&rust, &v, &doc));
                self.enums += 1;
            }
        }
        if !body.is_empty() {
            let _ = write!(
                self.text,
                "\n#[doc = \"The property types and enums of [`{name}`].\"]\npub mod {submodule} {{\n    use crate::cfn::macros::*;\n{body}}}\n"
            );
        }
    }
}

fn enum_text(rust: &str, values: &[(String, String)], doc: &str) -> String {
    let mut v = String::new();
    for (variant, lit) in values {
        let _ = writeln!(v, "            {variant} = {lit:?},");
    }
    format!(
        "\n    cfn_enum! {{\n{}        {rust} {{\n{v}        }}\n    }}\n",
        doc_attr("        ", doc)
    )
}

/// Replaces the generated features block of a `Cargo.toml`'s text.
pub fn with_features(cargo_toml: &str, block: &str) -> Option<String> {
    let start = cargo_toml.find(FEATURES_BEGIN)?;
    let end = cargo_toml[start..].find(FEATURES_END)? + start + FEATURES_END.len();
    Some(format!("{}{}{}", &cargo_toml[..start], block, &cargo_toml[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        assert_eq!(snake("DBClusterIdentifier"), "db_cluster_identifier");
        assert_eq!(snake("VpcId"), "vpc_id");
        assert_eq!(snake("Type"), "type_");
        assert_eq!(camel("PAY_PER_REQUEST"), "PayPerRequest");
        assert_eq!(camel("t2.micro"), "T2Micro");
        assert_eq!(camel("1"), "V1");
        assert_eq!(type_ident("Value"), "ValueType");
        assert_eq!(service_module("AWS::SQS::Queue").as_deref(), Some("sqs"));
        assert_eq!(service_module("Alexa::ASK::Skill").as_deref(), Some("alexa_ask"));
    }

    #[test]
    fn docs_are_one_bounded_line() {
        let long = "word ".repeat(100);
        let d = doc_text(Some(&format!("First   line\n    indented\n\nsecond paragraph {long}")));
        assert_eq!(d, "First line indented");
        assert!(doc_text(Some(&long)).chars().count() <= 302);
    }
}
