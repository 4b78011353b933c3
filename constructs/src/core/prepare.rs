//! The prepare phase: aspects visit the tree, then constructs finish what
//! depends on the rest of it (the work added with [`Construct::add_prepare`]).
//! Everything that changes the tree at synthesis happens here, before
//! validation.

use std::rc::Rc;

use super::aspects::invoke_aspects;
use super::construct::{Construct, Prepare};
use super::error::SynthError;

/// Runs the aspects (each visits a construct once, whatever the number of
/// syntheses), then every prepare hook (on every synthesis: hooks read the
/// context, which may differ between syntheses, and must be idempotent),
/// hooks added by hooks too, in the order the constructs were created.
pub(crate) fn prepare(root: &Construct) -> Result<(), SynthError> {
    invoke_aspects(root).map_err(|message| SynthError::construct("<app>", message))?;
    // How many hooks of each node ran in this synthesis.
    let mut done: Vec<usize> = Vec::new();
    loop {
        let mut ran = false;
        let mut idx = 0;
        while idx < root.tree().nodes.len() {
            if done.len() <= idx {
                done.resize(idx + 1, 0);
            }
            let next: Option<Prepare> = root.tree().nodes[idx].prepares.get(done[idx]).map(Rc::clone);
            match next {
                Some(hook) => {
                    done[idx] += 1;
                    hook();
                    ran = true;
                }
                None => idx += 1,
            }
        }
        if !ran {
            return Ok(());
        }
    }
}
