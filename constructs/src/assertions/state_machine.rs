//! State machines in a template: each definition as JSON, with every
//! reference in its CloudFormation form, and its states with their
//! transitions.

use serde::Serialize;
use serde_json::Value as Json;

use super::error::AssertionError;
use super::serialized;
use super::template::{check, panic_on, pattern_of, Template};

const STATE_MACHINE: &str = "AWS::StepFunctions::StateMachine";

impl Template {
    /// Every state machine (`AWS::StepFunctions::StateMachine`) of the
    /// template, in template order.
    ///
    /// # Panics
    /// When a definition cannot be read (see [`Template::try_state_machines`]).
    #[track_caller]
    pub fn state_machines(&self) -> Vec<StateMachineDefinition> {
        self.try_state_machines().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Template::state_machines`], with an error for a definition that is
    /// neither a `Definition` object nor a `DefinitionString` holding JSON.
    pub fn try_state_machines(&self) -> Result<Vec<StateMachineDefinition>, AssertionError> {
        self.of_type(STATE_MACHINE)
            .map(|(id, resource)| StateMachineDefinition::read(id, resource))
            .collect()
    }

    /// The template's only state machine.
    ///
    /// # Panics
    /// When the template has none or several (pick one of
    /// [`Template::state_machines`] by [`StateMachineDefinition::path`] then).
    #[track_caller]
    pub fn state_machine(&self) -> StateMachineDefinition {
        let mut all = self.state_machines();
        if all.len() != 1 {
            let names: Vec<String> = all.iter().map(StateMachineDefinition::name).collect();
            panic!(
                "expected the template to have exactly one {STATE_MACHINE} but it has {}{}{}",
                all.len(),
                if names.is_empty() { "" } else { ": " },
                names.join(", ")
            );
        }
        all.remove(0)
    }
}

/// A state machine's definition, read from a template.
///
/// References are in their CloudFormation form: a state's `Resource` of
/// `arn:${AWS::Partition}:states:::lambda:invoke` is
/// `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke"]]}`,
/// a function name `{"Fn::GetAtt": ["Fn1234ABCD", "Arn"]}`, an import
/// `{"Fn::ImportValue": "..."}`.
///
/// ```
/// use constructs::assertions::{Match, Template};
/// use constructs::aws::stepfunctions::{Chainable, StateGraph, StateMachine, StateMachineProps, WaitTime};
/// use constructs::core::{App, Stack, StackProps};
/// use serde_json::json;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Jobs", StackProps::default());
/// let g = StateGraph::new();
/// g.wait("Pause", WaitTime::Seconds(10)).next(&g.succeed("Done"));
/// StateMachine::new(&stack, "Machine", StateMachineProps { definition: g, ..Default::default() });
///
/// let machine = Template::from_stack(&stack).state_machine();
/// machine.has_state("Pause", json!({"Type": "Wait", "Seconds": 10, "Next": "Done"}));
/// let states = machine.states();
/// let states: Vec<(&str, Vec<&str>)> = states.iter().map(|s| (s.name.as_str(), s.targets())).collect();
/// assert_eq!(states, [("Pause", vec!["Done"]), ("Done", vec![])]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StateMachineDefinition {
    logical_id: String,
    path: Option<String>,
    /// `DefinitionString` as the template has it, or `Definition`.
    source: Source,
    definition: Json,
}

#[derive(Clone, Debug, PartialEq)]
enum Source {
    Serialized(Json),
    Object(Json),
}

/// One state of a definition, from [`StateMachineDefinition::states`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateSummary {
    /// The state's name.
    pub name: String,
    /// Its `Type` (`Task`, `Choice`, `Wait`, `Map` ...).
    pub state_type: String,
    /// The `Map` or `Parallel` state whose states it is one of (`None` at the top).
    pub parent: Option<String>,
    /// Where it goes, in the order of the definition: `Choices`, `Default`, `Next`, `Catch`.
    pub transitions: Vec<Transition>,
    /// True when it ends its scope (`"End": true`, `Succeed` or `Fail`).
    pub end: bool,
}

impl StateSummary {
    /// The names of the states it can go to, in the order of its transitions.
    pub fn targets(&self) -> Vec<&str> {
        self.transitions.iter().map(|t| t.target.as_str()).collect()
    }
}

/// A transition of a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// What takes it.
    pub on: TransitionOn,
    /// The state it goes to.
    pub target: String,
}

/// What takes a transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransitionOn {
    /// `Next`: the state completed.
    Next,
    /// The `Choices` rule at this index matched.
    Choice(usize),
    /// A `Choice` state's `Default`.
    Default,
    /// A `Catch` of these errors.
    Catch(Vec<String>),
}

impl StateMachineDefinition {
    fn read(logical_id: &str, resource: &Json) -> Result<StateMachineDefinition, AssertionError> {
        let properties = &resource["Properties"];
        let path = resource
            .pointer("/Metadata/aws:cdk:path")
            .and_then(Json::as_str)
            .map(str::to_owned);
        let (source, definition) = if let Some(s) = properties.get("DefinitionString") {
            let definition = serialized::decode(s, &|v| v.clone()).map_err(|e| {
                AssertionError::new(
                    format!("the DefinitionString of {logical_id} is not serialized JSON: {e}"),
                    Some("/Properties/DefinitionString".into()),
                )
            })?;
            (Source::Serialized(s.clone()), definition)
        } else if let Some(d) = properties.get("Definition") {
            (Source::Object(d.clone()), d.clone())
        } else {
            return Err(AssertionError::new(
                format!("the state machine {logical_id} has neither a DefinitionString nor a Definition (a DefinitionS3Location is not read)"),
                None,
            ));
        };
        Ok(StateMachineDefinition {
            logical_id: logical_id.to_owned(),
            path,
            source,
            definition,
        })
    }

    /// The logical id of the state machine resource.
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// The construct path of the resource (`aws:cdk:path`), when the template has it.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    fn name(&self) -> String {
        match &self.path {
            Some(p) => format!("{} ({p})", self.logical_id),
            None => self.logical_id.clone(),
        }
    }

    /// The definition (Amazon States Language), references in their CloudFormation form.
    pub fn definition(&self) -> &Json {
        &self.definition
    }

    /// The definition with every reference replaced by `resolve(reference)`:
    /// what a deployed state machine would see, e.g. placeholder ARNs for a
    /// validator that needs plain strings. A string mixing text and
    /// references becomes one string.
    pub fn resolved(&self, resolve: impl Fn(&Json) -> String) -> Json {
        match &self.source {
            Source::Serialized(s) => serialized::decode(s, &|v| Json::String(resolve(v))).unwrap_or_default(),
            Source::Object(d) => d.clone(),
        }
    }

    /// The state named `name`, also inside `Map` and `Parallel` states (the first found).
    pub fn state(&self, name: &str) -> Option<&Json> {
        fn find<'a>(scope: &'a Json, name: &str) -> Option<&'a Json> {
            let states = scope.get("States")?.as_object()?;
            states.get(name).or_else(|| {
                states
                    .values()
                    .find_map(|s| nested(s).into_iter().find_map(|n| find(n, name)))
            })
        }
        find(&self.definition, name)
    }

    /// Every state, in definition order, each followed by the states of its
    /// `Map` processor or `Parallel` branches.
    pub fn states(&self) -> Vec<StateSummary> {
        let mut out = Vec::new();
        summarize(&self.definition, None, &mut out);
        out
    }

    /// Asserts the state `name` exists and matches `pattern` (object-like).
    #[track_caller]
    pub fn has_state(&self, name: &str, pattern: impl Serialize) {
        panic_on(self.try_has_state(name, pattern));
    }

    /// [`StateMachineDefinition::has_state`] without panicking.
    pub fn try_has_state(&self, name: &str, pattern: impl Serialize) -> Result<(), AssertionError> {
        let pattern = pattern_of(pattern)?;
        let Some(state) = self.state(name) else {
            let names: Vec<String> = self.states().into_iter().map(|s| s.name).collect();
            return Err(AssertionError::new(
                format!(
                    "the state machine {} has no state {name:?}; its states: {}",
                    self.name(),
                    names.join(", ")
                ),
                None,
            ));
        };
        check(&pattern, state, || {
            format!("the state {name:?} of the state machine {} does not match", self.name())
        })
    }

    /// Asserts the whole definition matches `pattern` (object-like).
    #[track_caller]
    pub fn definition_matches(&self, pattern: impl Serialize) {
        panic_on(self.try_definition_matches(pattern));
    }

    /// [`StateMachineDefinition::definition_matches`] without panicking.
    pub fn try_definition_matches(&self, pattern: impl Serialize) -> Result<(), AssertionError> {
        let pattern = pattern_of(pattern)?;
        check(&pattern, &self.definition, || {
            format!("the definition of the state machine {} does not match", self.name())
        })
    }
}

/// The scopes nested in a state: a `Map`'s processor, a `Parallel`'s branches.
fn nested(state: &Json) -> Vec<&Json> {
    let mut out: Vec<&Json> = ["ItemProcessor", "Iterator"]
        .iter()
        .filter_map(|k| state.get(*k))
        .collect();
    out.extend(state.get("Branches").and_then(Json::as_array).into_iter().flatten());
    out
}

fn summarize(scope: &Json, parent: Option<&str>, out: &mut Vec<StateSummary>) {
    let text = |v: &Json, k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
    for (name, state) in scope.get("States").and_then(Json::as_object).into_iter().flatten() {
        let mut transitions = Vec::new();
        for (i, choice) in state
            .get("Choices")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            transitions.extend(text(choice, "Next").map(|target| Transition {
                on: TransitionOn::Choice(i),
                target,
            }));
        }
        transitions.extend(text(state, "Default").map(|target| Transition {
            on: TransitionOn::Default,
            target,
        }));
        transitions.extend(text(state, "Next").map(|target| Transition {
            on: TransitionOn::Next,
            target,
        }));
        for catch in state.get("Catch").and_then(Json::as_array).into_iter().flatten() {
            let errors = catch
                .get("ErrorEquals")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect();
            transitions.extend(text(catch, "Next").map(|target| Transition {
                on: TransitionOn::Catch(errors),
                target,
            }));
        }
        let state_type = text(state, "Type").unwrap_or_default();
        out.push(StateSummary {
            name: name.clone(),
            end: state.get("End") == Some(&Json::Bool(true)) || state_type == "Succeed" || state_type == "Fail",
            state_type,
            parent: parent.map(str::to_owned),
            transitions,
        });
        for inner in nested(state) {
            summarize(inner, Some(name), out);
        }
    }
}
