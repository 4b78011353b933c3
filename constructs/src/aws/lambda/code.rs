//! The code of a function, and how it becomes an asset at synthesis.
//!
//! Code is staged when the app is synthesized (construction never fails or
//! builds): a [`RustBinary`] is bundled (built or taken from the cache), a zip
//! file is hashed, and the file is registered as an asset of every stack whose
//! functions use it. Functions of one app that use the same code share one
//! asset and one build, and a failure is reported once, on the first of them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use super::bundling::RustBinary;
use super::function::Architecture;
use crate::core::{sha256_hex, AssetLocation, Construct, Scope, Stack, Value};

/// The context key (the CDK's) listing the stacks whose assets are bundled:
/// construct-path patterns (`*` within a path component, `**` across), default
/// `["**"]`. Functions of other stacks keep a placeholder object key and no
/// asset: their templates are complete but not deployable. `list` sets it to `[]`.
pub const BUNDLING_STACKS_CONTEXT: &str = "aws:cdk:bundling-stacks";

/// The deployment package of a function.
///
/// ```
/// use constructs::aws::lambda::{Code, RustBinary};
/// let code = Code::rust_binary(RustBinary {
///     package_dir: "lambdas".into(),
///     package: "lambdas".into(),
///     bin: "bootstrap".into(),
///     ..Default::default()
/// });
/// # let _ = code;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Code(CodeSource);

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
enum CodeSource {
    /// No code given: an error at synthesis.
    #[default]
    Missing,
    Rust(RustBinary),
    ZipFile(PathBuf),
}

impl Code {
    /// A binary of a Rust package, built for Lambda at synthesis with
    /// cargo-lambda (see [`RustBinary`]) and cached by source fingerprint.
    pub fn rust_binary(binary: RustBinary) -> Code {
        Code(CodeSource::Rust(binary))
    }

    /// A zip file that already holds the deployment package (for the
    /// `provided` runtimes: an executable `bootstrap`). Hashed at synthesis.
    pub fn from_zip_file(path: impl Into<PathBuf>) -> Code {
        Code(CodeSource::ZipFile(path.into()))
    }
}

/// Where the code ended up: the template's `Code` and the asset metadata.
#[derive(Clone, Debug)]
pub(crate) struct StagedCode {
    pub location: AssetLocation,
    pub asset_path: String,
    pub is_bundled: bool,
}

/// One code + architecture of one app, shared by the functions that use it.
pub(crate) struct CodeSlot {
    code: Code,
    architecture: Architecture,
    /// The stacks of the functions that use it, with the asset's display name there.
    users: RefCell<Vec<(Stack, String)>>,
    /// The paths of the functions that use it.
    paths: RefCell<Vec<String>>,
    staged: RefCell<Option<StagedCode>>,
    /// Why the last staging failed.
    problem: RefCell<Option<String>>,
}

impl CodeSlot {
    /// The staged code, once synthesis has staged it.
    pub fn staged(&self) -> Option<StagedCode> {
        self.staged.borrow().clone()
    }
}

/// The code slots of one app (kept in the app's tree, see [`Construct::app_state`]).
#[derive(Default)]
struct CodeSlots(RefCell<HashMap<(Code, Architecture), Rc<CodeSlot>>>);

/// Registers `function` as a user of `code` and returns the shared slot. The
/// first user of a slot stages the code in the prepare phase of synthesis
/// (bundling once for all users; a failure is reported by its validation).
pub(crate) fn use_code(function: &Construct, code: &Code, architecture: Architecture) -> Rc<CodeSlot> {
    let slots = function.app_state::<CodeSlots>();
    let key = (code.clone(), architecture);
    let existing = slots.0.borrow().get(&key).map(Rc::clone);
    let (slot, first) = match existing {
        Some(s) => (s, false),
        None => {
            let s = Rc::new(CodeSlot {
                code: code.clone(),
                architecture,
                users: RefCell::new(Vec::new()),
                paths: RefCell::new(Vec::new()),
                staged: RefCell::new(None),
                problem: RefCell::new(None),
            });
            slots.0.borrow_mut().insert(key, Rc::clone(&s));
            (s, true)
        }
    };
    if let Some(stack) = function.stack() {
        let stack_path = stack.node().path();
        let below = function
            .path()
            .strip_prefix(&format!("{stack_path}/"))
            .map(str::to_owned)
            .unwrap_or_else(|| function.path());
        let mut users = slot.users.borrow_mut();
        if !users.iter().any(|(s, _)| s.node().same(stack.node())) {
            users.push((stack, format!("{below}/Code")));
        }
    }
    slot.paths.borrow_mut().push(function.path());
    if first {
        let s = Rc::clone(&slot);
        function.add_prepare(move || {
            let result = stage(&s);
            *s.problem.borrow_mut() = result.err();
        });
        let s = Rc::clone(&slot);
        function.add_validation(move || match s.problem.borrow().clone() {
            None => Vec::new(),
            Some(message) => {
                let paths = s.paths.borrow();
                let shared = if paths.len() > 1 {
                    let shown: Vec<&str> = paths.iter().skip(1).take(2).map(String::as_str).collect();
                    let more = if paths.len() > 3 { ", ..." } else { "" };
                    format!(
                        " (shared by {} functions, also {}{more})",
                        paths.len(),
                        shown.join(", ")
                    )
                } else {
                    String::new()
                };
                vec![format!("the function's code could not be staged{shared}: {message}")]
            }
        });
    }
    slot
}

fn stage(slot: &CodeSlot) -> Result<(), String> {
    let users = slot.users.borrow().clone();
    let (file, hash, is_bundled) = match &slot.code.0 {
        CodeSource::Missing => {
            return Err("no code: set `code` to `Code::rust_binary(..)` or `Code::from_zip_file(..)`".into());
        }
        CodeSource::ZipFile(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read the zip file {}: {e}", path.display()))?;
            (Some(path.clone()), sha256_hex(&bytes), false)
        }
        CodeSource::Rust(binary) => {
            if users.iter().any(|(stack, _)| bundling_required(stack)) {
                let asset = binary.bundle(slot.architecture).map_err(|e| e.to_string())?;
                (Some(asset.zip_path), asset.hash, true)
            } else {
                // Bundling skipped: a stable placeholder key, no asset (as the CDK's skipped bundling).
                // The label names the binary and architecture only, so build settings never move it.
                let id = format!(
                    "skipped:{}/{} ({}, release)",
                    binary.package,
                    binary.bin,
                    slot.architecture.name()
                );
                (None, sha256_hex(id.as_bytes()), false)
            }
        }
    };
    let mut location = None;
    for (stack, display_name) in &users {
        location = Some(match &file {
            Some(f) => stack.add_file_asset(f.clone(), &hash, display_name),
            None => AssetLocation {
                bucket_name: stack.asset_bucket(),
                object_key: format!("{hash}.zip"),
            },
        });
    }
    let location = location.unwrap_or_else(|| AssetLocation {
        bucket_name: Value::Null,
        object_key: format!("{hash}.zip"),
    });
    *slot.staged.borrow_mut() = Some(StagedCode {
        location,
        asset_path: format!("asset.{hash}.zip"),
        is_bundled,
    });
    Ok(())
}

/// Whether the stack's assets are bundled at this synthesis (context
/// [`BUNDLING_STACKS_CONTEXT`], default all).
pub fn bundling_required(stack: &Stack) -> bool {
    let patterns: Vec<String> = match stack.node().try_get_context(BUNDLING_STACKS_CONTEXT) {
        None => return true,
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(serde_json::Value::String(s)) => match serde_json::from_str::<Vec<String>>(&s) {
            Ok(list) => list,
            Err(_) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        Some(_) => return true,
    };
    let path = stack.node().path();
    patterns.iter().any(|p| glob_match(p, &path))
}

/// Matches a construct path against a pattern: `**` matches anything, `*` any
/// run of characters except `/`.
fn glob_match(pattern: &str, text: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("**") {
        return (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| glob_match(rest, &text[i..]));
    }
    if let Some(rest) = pattern.strip_prefix('*') {
        let end = text.find('/').unwrap_or(text.len());
        return (0..=end)
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| glob_match(rest, &text[i..]));
    }
    match (pattern.chars().next(), text.chars().next()) {
        (None, None) => true,
        (Some(p), Some(t)) if p == t => glob_match(&pattern[p.len_utf8()..], &text[t.len_utf8()..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_construct_paths() {
        assert!(glob_match("**", "LambdaFunctionsStack"));
        assert!(glob_match("*", "LambdaFunctionsStack"));
        assert!(glob_match("Lambda*", "LambdaFunctionsStack"));
        assert!(!glob_match("Web*", "LambdaFunctionsStack"));
        assert!(!glob_match("*", "Stage/Stack"));
        assert!(glob_match("**/Stack", "Stage/Stack"));
        assert!(glob_match("LambdaFunctionsStack", "LambdaFunctionsStack"));
        assert!(!glob_match("", "LambdaFunctionsStack"));
    }
}
