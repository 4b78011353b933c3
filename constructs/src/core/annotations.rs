//! Annotations: errors, warnings and infos recorded on constructs, reported
//! by synthesis with the construct's path (the AWS CDK's `Annotations`).

use super::construct::{Construct, Scope};

/// How serious an annotation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnnotationLevel {
    /// Information: printed by `synth`, never fails it.
    Info,
    /// A warning: printed by `synth`; fails it with `--strict` unless acknowledged.
    Warning,
    /// An error: synthesis fails.
    Error,
}

impl AnnotationLevel {
    /// The metadata type the Cloud Assembly manifest uses (`aws:cdk:warning` ...).
    pub fn metadata_type(self) -> &'static str {
        match self {
            AnnotationLevel::Info => "aws:cdk:info",
            AnnotationLevel::Warning => "aws:cdk:warning",
            AnnotationLevel::Error => "aws:cdk:error",
        }
    }
}

/// One annotation, as synthesis reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// How serious it is.
    pub level: AnnotationLevel,
    /// The construct path (`Jobs/Startup`); empty for a problem of the whole
    /// app (a dependency cycle between stacks).
    pub path: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The warning's id, by which it can be acknowledged (warnings only).
    pub id: Option<String>,
}

impl std::fmt::Display for Annotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            AnnotationLevel::Info => "info",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Error => "error",
        };
        write!(f, "[{level}] {}: {}", self.path, self.message)?;
        if let Some(id) = &self.id {
            write!(f, " [ack: {id}]")?;
        }
        Ok(())
    }
}

/// An annotation as recorded on a node.
#[derive(Clone, Debug)]
pub(crate) struct NodeAnnotation {
    pub level: AnnotationLevel,
    pub id: Option<String>,
    pub message: String,
}

impl NodeAnnotation {
    pub fn error(message: String) -> NodeAnnotation {
        NodeAnnotation {
            level: AnnotationLevel::Error,
            id: None,
            message,
        }
    }
}

/// Adds errors, warnings and infos to a construct.
///
/// Errors fail synthesis (all of them reported together); warnings and infos
/// are printed by `synth` with the construct's path and written to the Cloud
/// Assembly's manifest (where the official CDK CLI shows them too). `synth
/// --strict` fails on warnings. A warning has an id, so a team that decided
/// to live with it acknowledges it, on the construct or any scope above it,
/// with a reason:
///
/// ```
/// use constructs::core::{Annotations, App, Construct, Stack, StackProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Jobs", StackProps::default());
/// let job = Construct::new(&stack, "Nightly");
/// Annotations::of(&job).add_warning("shop:nightly:noAlarm", "the job has no alarm: add one before go-live");
/// Annotations::of(&job).add_info("runs at 02:00 JST");
/// let synthesis = app.synth().expect("warnings do not fail synthesis");
/// assert_eq!(synthesis.annotations.len(), 2);
///
/// Annotations::of(&stack).acknowledge_warning("shop:nightly:noAlarm", "the alarm comes in the next release");
/// let synthesis = app.synth().expect("valid");
/// assert_eq!(synthesis.annotations.len(), 1, "only the info is left");
/// ```
pub struct Annotations {
    node: Construct,
}

impl Annotations {
    /// The annotations of a construct.
    pub fn of(scope: &impl Scope) -> Annotations {
        Annotations {
            node: scope.node().clone(),
        }
    }

    /// An error: synthesis fails and reports it with the construct's path.
    pub fn add_error(&self, message: impl Into<String>) {
        self.node.add_annotation(AnnotationLevel::Error, None, message.into());
    }

    /// A warning with an id (e.g. `constructs:stepfunctions:unboundedLoop`), by
    /// which it can be acknowledged. The id is printed with the message.
    pub fn add_warning(&self, id: impl Into<String>, message: impl Into<String>) {
        self.node
            .add_annotation(AnnotationLevel::Warning, Some(id.into()), message.into());
    }

    /// Information for whoever runs `synth`.
    pub fn add_info(&self, message: impl Into<String>) {
        self.node.add_annotation(AnnotationLevel::Info, None, message.into());
    }

    /// Acknowledges the warning `id` on this construct and everything below
    /// it: it is no longer reported (and no longer fails `--strict`). The
    /// reason is kept in the tree for reviewers; write why the warning does
    /// not apply.
    pub fn acknowledge_warning(&self, id: impl Into<String>, reason: impl Into<String>) {
        let (id, reason) = (id.into(), reason.into());
        let mut tree = self.node.tree_mut();
        let acks = &mut tree.nodes[self.node.idx].acknowledged;
        acks.retain(|(i, _)| *i != id);
        acks.push((id, reason));
    }
}
