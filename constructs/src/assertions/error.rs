//! The error of a failed assertion.

/// Why an assertion failed: the message a panicking assertion shows, and the
/// JSON Pointer of the first mismatch when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AssertionError {
    message: String,
    path: Option<String>,
}

impl AssertionError {
    pub(crate) fn new(message: impl Into<String>, path: Option<String>) -> AssertionError {
        AssertionError {
            message: message.into(),
            path,
        }
    }

    /// The whole message: what was asked, the closest candidate, its
    /// mismatches and the expected-against-actual diff.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON Pointer (RFC 6901) of the first mismatch in the closest
    /// candidate, from the top of what was matched (e.g.
    /// `/Properties/Environment/Variables/STAGE` for a resource). Below a
    /// [`Match::serialized_json`](super::Match::serialized_json) it continues
    /// into the decoded document.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
}
