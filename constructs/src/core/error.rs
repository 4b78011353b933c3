//! Errors of synthesis: every one names the construct path and what to do.

use std::fmt;
use std::path::PathBuf;

/// One problem found during synthesis.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A construct is invalid (recorded on the node or returned by a validation).
    #[error("{path}: {message}")]
    Construct {
        /// The construct path, e.g. `WebAppStack/Vpc/PublicSubnet1`.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Stacks depend on each other in a cycle.
    #[error("stack dependency cycle {cycle}: {reasons}. Move the shared resource into a stack of its own, or pass the value by name instead of by reference")]
    DependencyCycle {
        /// The cycle, e.g. `A -> B -> A`.
        cycle: String,
        /// The references that close the cycle, with their construct paths.
        reasons: String,
    },
    /// The assembly could not be written.
    #[error("cannot write the cloud assembly at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SynthError {
    /// A construct error.
    pub fn construct(path: impl Into<String>, message: impl Into<String>) -> Self {
        SynthError::Construct {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// All problems of one synthesis, reported together.
#[derive(Debug)]
pub struct SynthErrors(pub Vec<SynthError>);

impl fmt::Display for SynthErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "synthesis failed with {n} error{}:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SynthErrors {}

impl From<SynthError> for SynthErrors {
    fn from(e: SynthError) -> Self {
        SynthErrors(vec![e])
    }
}
