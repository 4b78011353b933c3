//! The problems synthesis reports on constructs, to assert on.

use serde::Serialize;
use serde_json::Value as Json;

use super::matcher::{self, to_pattern};
pub use crate::core::{Annotation, AnnotationLevel};
use crate::core::{App, Scope, Stack};

/// The annotations of a stack or an app, as the AWS CDK's `Annotations`.
///
/// It holds every error, warning and info synthesis reports (acknowledged
/// warnings left out), each with the construct's path. Path patterns are construct paths in which `*` matches any
/// characters (`/` included): `"*"` is every path, `"Jobs/Startup*"` the
/// construct and everything below it. A message pattern is a string (the
/// whole message) or a [`Match`](super::Match) such as
/// `Match::string_like_regexp`.
///
/// ```
/// use constructs::assertions::{Annotations, Match};
/// use constructs::aws::sns::{Topic, TopicProps};
/// use constructs::core::{App, Stack, StackProps};
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Jobs", StackProps::default());
/// Topic::new(&stack, "Bad/Id", TopicProps::default());
///
/// let annotations = Annotations::from_stack(&stack);
/// annotations.has_error("Jobs/*", Match::string_like_regexp("must not contain '/'"));
/// annotations.has_no_error("Jobs/Other*", Match::any_value());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    entries: Vec<Annotation>,
}

impl Annotations {
    /// The annotations of the constructs of `stack` (the stack included),
    /// synthesizing its app as [`Template::from_stack`](super::Template::from_stack) does.
    pub fn from_stack(stack: &Stack) -> Annotations {
        let path = stack.node().path();
        let below = format!("{path}/");
        let mut all = Annotations::from_app(&App::of(stack));
        all.entries.retain(|a| a.path == path || a.path.starts_with(&below));
        all
    }

    /// The annotations of the whole app, with problems of no one construct
    /// (a dependency cycle between stacks) under the empty path.
    pub fn from_app(app: &App) -> Annotations {
        let node = app.node();
        let mut entries = match super::without_bundling(app, || crate::core::annotations(node)) {
            Ok(all) => all,
            Err(e) => vec![error_of(e)],
        };
        // Problems found after validation (logical ids, references, cycles).
        if !entries.iter().any(|a| a.level == AnnotationLevel::Error) {
            if let Err(errors) = super::synthesize(app) {
                entries.extend(errors.0.into_iter().map(error_of));
            }
        }
        Annotations { entries }
    }

    /// Every annotation, in the order synthesis reported them.
    pub fn all(&self) -> &[Annotation] {
        &self.entries
    }

    /// The errors at paths matching `path_pattern` whose message matches `message`.
    pub fn find_errors(&self, path_pattern: &str, message: impl Serialize) -> Vec<Annotation> {
        self.find(AnnotationLevel::Error, path_pattern, message)
    }

    /// The warnings at paths matching `path_pattern` whose message matches `message`.
    pub fn find_warnings(&self, path_pattern: &str, message: impl Serialize) -> Vec<Annotation> {
        self.find(AnnotationLevel::Warning, path_pattern, message)
    }

    /// The infos at paths matching `path_pattern` whose message matches `message`.
    pub fn find_infos(&self, path_pattern: &str, message: impl Serialize) -> Vec<Annotation> {
        self.find(AnnotationLevel::Info, path_pattern, message)
    }

    /// Asserts there is an info at a path matching `path_pattern` whose
    /// message matches `message`.
    #[track_caller]
    pub fn has_info(&self, path_pattern: &str, message: impl Serialize) {
        self.has(AnnotationLevel::Info, path_pattern, message);
    }

    /// Asserts there is an error at a path matching `path_pattern` whose
    /// message matches `message`.
    #[track_caller]
    pub fn has_error(&self, path_pattern: &str, message: impl Serialize) {
        self.has(AnnotationLevel::Error, path_pattern, message);
    }

    /// Asserts there is no error at a path matching `path_pattern` whose
    /// message matches `message` (`("*", Match::any_value())`: no error at all).
    #[track_caller]
    pub fn has_no_error(&self, path_pattern: &str, message: impl Serialize) {
        self.has_no(AnnotationLevel::Error, path_pattern, message);
    }

    /// Asserts there is a warning at a path matching `path_pattern` whose
    /// message matches `message`.
    #[track_caller]
    pub fn has_warning(&self, path_pattern: &str, message: impl Serialize) {
        self.has(AnnotationLevel::Warning, path_pattern, message);
    }

    /// Asserts there is no warning at a path matching `path_pattern` whose
    /// message matches `message`.
    #[track_caller]
    pub fn has_no_warning(&self, path_pattern: &str, message: impl Serialize) {
        self.has_no(AnnotationLevel::Warning, path_pattern, message);
    }

    fn find(&self, level: AnnotationLevel, path_pattern: &str, message: impl Serialize) -> Vec<Annotation> {
        let Ok(pattern) = to_pattern(message) else {
            return Vec::new();
        };
        self.entries
            .iter()
            .filter(|a| a.level == level && path_matches(path_pattern, &a.path))
            .filter(|a| matcher::test(&pattern, Some(&Json::from(a.message.as_str())), true).is_match())
            .cloned()
            .collect()
    }

    #[track_caller]
    fn has(&self, level: AnnotationLevel, path_pattern: &str, message: impl Serialize) {
        let pattern = to_pattern(message).unwrap_or_else(|e| panic!("{e}"));
        if !self.find(level, path_pattern, &pattern).is_empty() {
            return;
        }
        panic!(
            "expected {} at a path matching {path_pattern:?} with a message matching {}, but {}",
            level.with_article(),
            matcher::describe(&pattern),
            self.listing(level)
        );
    }

    #[track_caller]
    fn has_no(&self, level: AnnotationLevel, path_pattern: &str, message: impl Serialize) {
        let pattern = to_pattern(message).unwrap_or_else(|e| panic!("{e}"));
        let found = self.find(level, path_pattern, &pattern);
        if found.is_empty() {
            return;
        }
        panic!(
            "expected no {} at a path matching {path_pattern:?} with a message matching {}, but found {}:\n{}",
            level.word(),
            matcher::describe(&pattern),
            found.len(),
            lines(found.iter())
        );
    }

    fn listing(&self, level: AnnotationLevel) -> String {
        let same: Vec<&Annotation> = self.entries.iter().filter(|a| a.level == level).collect();
        if same.is_empty() {
            return format!(
                "there are none{}",
                if level == AnnotationLevel::Warning {
                    " (no construct reports warnings yet)"
                } else {
                    ""
                }
            );
        }
        format!("the {}s are:\n{}", level.word(), lines(same.into_iter()))
    }
}

impl AnnotationLevel {
    fn word(self) -> &'static str {
        match self {
            AnnotationLevel::Error => "error",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Info => "info",
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            AnnotationLevel::Error => "an error",
            AnnotationLevel::Warning => "a warning",
            AnnotationLevel::Info => "an info",
        }
    }
}

fn lines<'a>(annotations: impl Iterator<Item = &'a Annotation>) -> String {
    annotations
        .map(|a| {
            format!(
                "  - {}: {}",
                if a.path.is_empty() { "(app)" } else { &a.path },
                a.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Matches a construct path against a pattern in which `*` is any run of characters.
fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((head, rest)) => {
            let Some(tail) = path.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| path_matches(rest, &tail[i..]))
        }
    }
}

fn error_of(e: crate::core::SynthError) -> Annotation {
    match e {
        crate::core::SynthError::Construct { path, message } => Annotation {
            level: AnnotationLevel::Error,
            path,
            message,
            id: None,
        },
        other => Annotation {
            level: AnnotationLevel::Error,
            path: String::new(),
            message: other.to_string(),
            id: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn a_star_matches_any_characters_slashes_included() {
        assert!(path_matches("*", "Jobs/Startup"));
        assert!(path_matches("Jobs/*", "Jobs/Startup/Schedule"));
        assert!(path_matches("Jobs/Startup*", "Jobs/Startup"));
        assert!(path_matches("*/Schedule", "Jobs/Nightly/Schedule"));
        assert!(!path_matches("Jobs/*", "Jobs"));
        assert!(!path_matches("Jobs", "Jobs/Startup"));
        assert!(path_matches("", ""));
    }
}
