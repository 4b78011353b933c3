//! A synthesized template and the assertions on it.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::capture;
use super::diff;
use super::error::AssertionError;
use super::matcher::{self, count, to_pattern, Outcome};
use crate::core::{App, Scope, Stack, SynthErrors};

/// A CloudFormation template to assert on, as the AWS CDK's `Template`.
///
/// Every assertion panics with a message saying what it looked for, the
/// closest candidate, each mismatch with its JSON Pointer, and a diff of the
/// expected (`-`) against the actual (`+`); each has a `try_` form returning
/// an [`AssertionError`] instead, and the `find_*` queries never panic.
///
/// Patterns are JSON (`serde_json::json!`) with [`Match`](super::Match)
/// matchers and [`Capture`](super::Capture)s anywhere in them.
///
/// ```
/// use constructs::assertions::{Match, Template};
/// use constructs::aws::sns::{Topic, TopicProps};
/// use constructs::core::{App, Stack, StackProps};
/// use serde_json::json;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Jobs", StackProps::default());
/// Topic::new(&stack, "Failures", TopicProps::default());
///
/// let template = Template::from_stack(&stack);
/// template.resource_count_is("AWS::SNS::Topic", 1);
/// template.has_resource_properties("AWS::SNS::Topic", json!({"KmsMasterKeyId": Match::any_value()}));
/// let err = template
///     .try_has_resource_properties("AWS::SNS::Topic", json!({"FifoTopic": true}))
///     .unwrap_err();
/// assert_eq!(err.path(), Some("/Properties/FifoTopic"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    json: Json,
}

/// The most mismatches a message lists.
const LISTED: usize = 10;

impl Template {
    /// The template of `stack`, synthesizing its whole app once, in memory.
    ///
    /// Lambda bundling is skipped (as `-c aws:cdk:bundling-stacks=[]` does:
    /// code is a placeholder object key, nothing is built) unless the app's
    /// context sets `aws:cdk:bundling-stacks` itself.
    ///
    /// # Panics
    /// When synthesis fails; its errors are in the message (assert on them
    /// with [`Annotations`](super::Annotations) instead).
    #[track_caller]
    pub fn from_stack(stack: &Stack) -> Template {
        Template::try_from_stack(stack).unwrap_or_else(|e| {
            panic!(
                "Template::from_stack({}): {e}(to assert on these errors, use Annotations::from_stack)",
                stack.node().path()
            )
        })
    }

    /// [`Template::from_stack`], returning the synthesis errors instead of panicking.
    pub fn try_from_stack(stack: &Stack) -> Result<Template, SynthErrors> {
        let synthesis = super::synthesize(&App::of(stack))?;
        let id = stack.node().id();
        let json = synthesis
            .stacks
            .into_iter()
            .find(|s| s.artifact_id == id)
            .map_or(Json::Null, |s| s.template);
        Ok(Template { json })
    }

    /// A template given as JSON (e.g. a `SynthesizedStack`'s `template`).
    pub fn from_json(template: Json) -> Template {
        Template { json: template }
    }

    /// A template file on disk (e.g. `cdk.out/MyStack.template.json`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Template, AssertionError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| AssertionError::new(format!("cannot read the template {}: {e}", path.display()), None))?;
        let json = serde_json::from_str(&text)
            .map_err(|e| AssertionError::new(format!("the template {} is not JSON: {e}", path.display()), None))?;
        Ok(Template { json })
    }

    /// The whole template.
    pub fn to_json(&self) -> &Json {
        &self.json
    }

    // --- Resources ---------------------------------------------------------------------------

    /// Asserts the template has exactly `count` resources of type `resource_type`.
    #[track_caller]
    pub fn resource_count_is(&self, resource_type: &str, count: usize) {
        panic_on(self.try_resource_count_is(resource_type, count));
    }

    /// [`Template::resource_count_is`] without panicking.
    pub fn try_resource_count_is(&self, resource_type: &str, count: usize) -> Result<(), AssertionError> {
        let ids: Vec<&String> = self.of_type(resource_type).map(|(id, _)| id).collect();
        if ids.len() == count {
            return Ok(());
        }
        Err(AssertionError::new(
            format!(
                "expected {} of type {resource_type} but the template has {}{}",
                matcher::count(count, "resource"),
                ids.len(),
                listed(&ids)
            ),
            None,
        ))
    }

    /// Asserts exactly `count` resources of type `resource_type` have
    /// properties matching `properties` (object-like).
    #[track_caller]
    pub fn resource_properties_count_is(&self, resource_type: &str, properties: impl Serialize, count: usize) {
        panic_on(self.try_resource_properties_count_is(resource_type, properties, count));
    }

    /// [`Template::resource_properties_count_is`] without panicking.
    pub fn try_resource_properties_count_is(
        &self,
        resource_type: &str,
        properties: impl Serialize,
        count: usize,
    ) -> Result<(), AssertionError> {
        let pattern = properties_pattern(properties)?;
        let found = self.search_resources(resource_type, &pattern);
        if found.matches.len() == count {
            return Ok(());
        }
        let ids: Vec<&String> = found.matches.iter().map(|(id, _)| *id).collect();
        Err(AssertionError::new(
            format!(
                "expected {} of type {resource_type} matching {} but {} of {} match{}",
                matcher::count(count, "resource"),
                matcher::describe(&pattern["Properties"]),
                found.matches.len(),
                found.candidates,
                listed(&ids)
            ),
            None,
        ))
    }

    /// Asserts some resource of type `resource_type` has properties matching
    /// `properties` (object-like: other properties may exist).
    #[track_caller]
    pub fn has_resource_properties(&self, resource_type: &str, properties: impl Serialize) {
        panic_on(self.try_has_resource_properties(resource_type, properties));
    }

    /// [`Template::has_resource_properties`] without panicking.
    pub fn try_has_resource_properties(
        &self,
        resource_type: &str,
        properties: impl Serialize,
    ) -> Result<(), AssertionError> {
        let pattern = properties_pattern(properties)?;
        self.search_resources(resource_type, &pattern).at_least_one(
            "resource",
            &format!(" of type {resource_type}"),
            &pattern,
        )
    }

    /// Asserts some resource of type `resource_type` matches `definition` as
    /// a whole (object-like), e.g. `{"DependsOn": [...], "DeletionPolicy": "Retain"}`.
    #[track_caller]
    pub fn has_resource(&self, resource_type: &str, definition: impl Serialize) {
        panic_on(self.try_has_resource(resource_type, definition));
    }

    /// [`Template::has_resource`] without panicking.
    pub fn try_has_resource(&self, resource_type: &str, definition: impl Serialize) -> Result<(), AssertionError> {
        let pattern = pattern_of(definition)?;
        self.search_resources(resource_type, &pattern).at_least_one(
            "resource",
            &format!(" of type {resource_type}"),
            &pattern,
        )
    }

    /// The resources of type `resource_type` whose whole definition matches
    /// `definition` (object-like; `json!({})` for all), by logical id.
    pub fn find_resources(&self, resource_type: &str, definition: impl Serialize) -> IndexMap<String, Json> {
        match pattern_of(definition) {
            Ok(pattern) => self.search_resources(resource_type, &pattern).into_map(),
            Err(_) => IndexMap::new(),
        }
    }

    /// Asserts there is a resource of type `resource_type` and every one
    /// matches `definition` as a whole (object-like).
    #[track_caller]
    pub fn all_resources(&self, resource_type: &str, definition: impl Serialize) {
        panic_on(self.try_all_resources(resource_type, definition));
    }

    /// [`Template::all_resources`] without panicking.
    pub fn try_all_resources(&self, resource_type: &str, definition: impl Serialize) -> Result<(), AssertionError> {
        let pattern = pattern_of(definition)?;
        self.search_resources(resource_type, &pattern)
            .all("resource", &format!(" of type {resource_type}"), &pattern)
    }

    /// Asserts there is a resource of type `resource_type` and every one has
    /// properties matching `properties` (object-like).
    #[track_caller]
    pub fn all_resources_properties(&self, resource_type: &str, properties: impl Serialize) {
        panic_on(self.try_all_resources_properties(resource_type, properties));
    }

    /// [`Template::all_resources_properties`] without panicking.
    pub fn try_all_resources_properties(
        &self,
        resource_type: &str,
        properties: impl Serialize,
    ) -> Result<(), AssertionError> {
        let pattern = properties_pattern(properties)?;
        self.search_resources(resource_type, &pattern)
            .all("resource", &format!(" of type {resource_type}"), &pattern)
    }

    // --- Outputs, parameters, mappings, conditions -------------------------------------------

    /// Asserts the output `logical_id` (`"*"`: any) matches `output` (object-like),
    /// e.g. `{"Value": {"Ref": "Topic"}, "Export": {"Name": "..."}}`.
    #[track_caller]
    pub fn has_output(&self, logical_id: &str, output: impl Serialize) {
        panic_on(self.try_has_in("Outputs", "output", logical_id, output));
    }

    /// The outputs whose logical id is `logical_id` (`"*"`: any) matching `output`.
    pub fn find_outputs(&self, logical_id: &str, output: impl Serialize) -> IndexMap<String, Json> {
        self.find_in("Outputs", logical_id, output)
    }

    /// Asserts the parameter `logical_id` (`"*"`: any) matches `parameter`
    /// (object-like), e.g. `{"Type": "String", "Default": "..."}`.
    #[track_caller]
    pub fn has_parameter(&self, logical_id: &str, parameter: impl Serialize) {
        panic_on(self.try_has_in("Parameters", "parameter", logical_id, parameter));
    }

    /// The parameters whose logical id is `logical_id` (`"*"`: any) matching `parameter`.
    pub fn find_parameters(&self, logical_id: &str, parameter: impl Serialize) -> IndexMap<String, Json> {
        self.find_in("Parameters", logical_id, parameter)
    }

    /// Asserts the mapping `logical_id` (`"*"`: any) matches `mapping` (object-like).
    #[track_caller]
    pub fn has_mapping(&self, logical_id: &str, mapping: impl Serialize) {
        panic_on(self.try_has_in("Mappings", "mapping", logical_id, mapping));
    }

    /// The mappings whose logical id is `logical_id` (`"*"`: any) matching `mapping`.
    pub fn find_mappings(&self, logical_id: &str, mapping: impl Serialize) -> IndexMap<String, Json> {
        self.find_in("Mappings", logical_id, mapping)
    }

    /// Asserts the condition `logical_id` (`"*"`: any) matches `condition`,
    /// e.g. `{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}`.
    #[track_caller]
    pub fn has_condition(&self, logical_id: &str, condition: impl Serialize) {
        panic_on(self.try_has_in("Conditions", "condition", logical_id, condition));
    }

    /// The conditions whose logical id is `logical_id` (`"*"`: any) matching `condition`.
    pub fn find_conditions(&self, logical_id: &str, condition: impl Serialize) -> IndexMap<String, Json> {
        self.find_in("Conditions", logical_id, condition)
    }

    /// Asserts the whole template matches `pattern` (object-like).
    #[track_caller]
    pub fn template_matches(&self, pattern: impl Serialize) {
        panic_on(self.try_template_matches(pattern));
    }

    /// [`Template::template_matches`] without panicking.
    pub fn try_template_matches(&self, pattern: impl Serialize) -> Result<(), AssertionError> {
        check(&pattern_of(pattern)?, &self.json, || {
            "the template does not match".to_owned()
        })
    }

    // --- Searching ---------------------------------------------------------------------------

    /// The resources of one type, in template order.
    pub(crate) fn of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = (&'a String, &'a Json)> {
        self.section("Resources")
            .filter(move |(_, r)| r.get("Type").and_then(Json::as_str) == Some(resource_type))
    }

    fn section(&self, name: &str) -> impl Iterator<Item = (&String, &Json)> {
        self.json.get(name).and_then(Json::as_object).into_iter().flatten()
    }

    fn search_resources<'a>(&'a self, resource_type: &'a str, pattern: &Json) -> Search<'a> {
        let mut search = Search::run(self.of_type(resource_type), pattern);
        if search.candidates == 0 {
            let mut types: IndexMap<&str, usize> = IndexMap::new();
            for (_, r) in self.section("Resources") {
                *types
                    .entry(r.get("Type").and_then(Json::as_str).unwrap_or("?"))
                    .or_default() += 1;
            }
            let mut types: Vec<String> = types.into_iter().map(|(t, n)| format!("{t} ({n})")).collect();
            types.sort();
            search.empty_note = if types.is_empty() {
                "; it has no resources at all".to_owned()
            } else {
                format!("; its resource types: {}", types.join(", "))
            };
        }
        search
    }

    fn try_has_in(
        &self,
        section: &str,
        noun: &str,
        logical_id: &str,
        pattern: impl Serialize,
    ) -> Result<(), AssertionError> {
        let pattern = pattern_of(pattern)?;
        let entries = self
            .section(section)
            .filter(|(id, _)| logical_id == "*" || *id == logical_id);
        let qualifier = if logical_id == "*" {
            String::new()
        } else {
            format!(" named {logical_id}")
        };
        Search::run(entries, &pattern).at_least_one(noun, &qualifier, &pattern)
    }

    fn find_in(&self, section: &str, logical_id: &str, pattern: impl Serialize) -> IndexMap<String, Json> {
        let Ok(pattern) = pattern_of(pattern) else {
            return IndexMap::new();
        };
        let entries = self
            .section(section)
            .filter(|(id, _)| logical_id == "*" || *id == logical_id);
        Search::run(entries, &pattern).into_map()
    }
}

/// Panics with the error's message, at the caller of the assertion.
#[track_caller]
pub(crate) fn panic_on(result: Result<(), AssertionError>) {
    if let Err(e) = result {
        panic!("{e}");
    }
}

pub(crate) fn pattern_of(value: impl Serialize) -> Result<Json, AssertionError> {
    to_pattern(value).map_err(|e| AssertionError::new(e, None))
}

/// The pattern of a resource whose `Properties` match `properties`.
fn properties_pattern(properties: impl Serialize) -> Result<Json, AssertionError> {
    Ok(json!({ "Properties": pattern_of(properties)? }))
}

/// `, e.g. A, B, C` for a message (at most a few).
fn listed(ids: &[&String]) -> String {
    match ids.len() {
        0 => String::new(),
        n if n <= 5 => format!(": {}", ids.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")),
        n => format!(
            ": {} and {} more",
            ids[..5].iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            n - 5
        ),
    }
}

/// Entries (resources, outputs ...) tested against one pattern.
struct Search<'a> {
    candidates: usize,
    matches: Vec<(&'a String, &'a Json)>,
    /// Entries that do not match, with their outcomes.
    misses: Vec<(&'a String, Json, Outcome)>,
    /// Said after "has no ..." (e.g. the resource types there are).
    empty_note: String,
}

impl<'a> Search<'a> {
    /// Tests each entry; records the captures of those that match. A
    /// resource without `Properties` is tested as if it had `{}`.
    fn run(entries: impl Iterator<Item = (&'a String, &'a Json)>, pattern: &Json) -> Search<'a> {
        let mut search = Search {
            candidates: 0,
            matches: Vec::new(),
            misses: Vec::new(),
            empty_note: String::new(),
        };
        for (id, entry) in entries {
            search.candidates += 1;
            let amended = match entry {
                Json::Object(o) if pattern.get("Properties").is_some() && !o.contains_key("Properties") => {
                    let mut o = o.clone();
                    o.insert("Properties".into(), json!({}));
                    Json::Object(o)
                }
                other => other.clone(),
            };
            let outcome = matcher::test(pattern, Some(&amended), true);
            if outcome.is_match() {
                capture::record(outcome.captures);
                search.matches.push((id, entry));
            } else {
                search.misses.push((id, amended, outcome));
            }
        }
        search
    }

    fn into_map(self) -> IndexMap<String, Json> {
        self.matches
            .into_iter()
            .map(|(id, e)| (id.clone(), e.clone()))
            .collect()
    }

    /// `noun` (singular) and `qualifier` say what the entries are: `resource`, ` of type X`.
    fn at_least_one(&self, noun: &str, qualifier: &str, pattern: &Json) -> Result<(), AssertionError> {
        if !self.matches.is_empty() {
            return Ok(());
        }
        let Some((id, entry, outcome)) = self.misses.iter().min_by_key(|(_, _, o)| o.distance()) else {
            return Err(self.none(noun, qualifier));
        };
        let head = if self.candidates == 1 {
            format!(
                "the template has 1 {noun}{qualifier}, and it does not match.\nIt is {}",
                named(id, entry)
            )
        } else {
            format!(
                "the template has {}{qualifier}, but none matches.\nThe closest is {}",
                count(self.candidates, noun),
                named(id, entry)
            )
        };
        Err(mismatch_error(head, pattern, entry, outcome))
    }

    fn all(&self, noun: &str, qualifier: &str, pattern: &Json) -> Result<(), AssertionError> {
        if self.candidates == 0 {
            return Err(self.none(noun, qualifier));
        }
        let Some((id, entry, outcome)) = self.misses.first() else {
            return Ok(());
        };
        let head = format!(
            "{} of the {}{qualifier} do not match.\nThe first is {}",
            self.misses.len(),
            count(self.candidates, noun),
            named(id, entry)
        );
        Err(mismatch_error(head, pattern, entry, outcome))
    }

    fn none(&self, noun: &str, qualifier: &str) -> AssertionError {
        AssertionError::new(
            format!("the template has no {noun}s{qualifier}{}", self.empty_note),
            None,
        )
    }
}

/// `Id (Stack/Path/Resource)`: the logical id and, when known, the construct path.
fn named(id: &str, entry: &Json) -> String {
    match entry.pointer("/Metadata/aws:cdk:path").and_then(Json::as_str) {
        Some(path) => format!("{id} ({path})"),
        None => id.to_owned(),
    }
}

/// Tests `actual` against `pattern` (object-like): records the captures of
/// a match, or says why it does not match, after `head`.
pub(crate) fn check(pattern: &Json, actual: &Json, head: impl FnOnce() -> String) -> Result<(), AssertionError> {
    let outcome = matcher::test(pattern, Some(actual), true);
    if outcome.is_match() {
        capture::record(outcome.captures);
        return Ok(());
    }
    Err(mismatch_error(head(), pattern, actual, &outcome))
}

/// The message of a failed match: the head, each mismatch, and the diff.
fn mismatch_error(head: String, pattern: &Json, actual: &Json, outcome: &Outcome) -> AssertionError {
    let n = outcome.mismatches.len();
    let mut message = format!("{head}, with {}:\n", count(n, "mismatch"));
    for m in outcome.mismatches.iter().take(LISTED) {
        message.push_str(&format!("  at {}: {}\n", m.path, m.message));
    }
    if n > LISTED {
        message.push_str(&format!("  … and {} more\n", n - LISTED));
    }
    message.push_str("Expected (-) against actual (+):\n");
    message.push_str(&diff::diff(pattern, Some(actual), true));
    AssertionError::new(message, outcome.mismatches.first().map(|m| m.path.clone()))
}
