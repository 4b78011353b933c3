//! The app: the root of the construct tree, holding context and stacks.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use indexmap::IndexMap;

use super::assembly::{write_assembly, CloudAssembly};
use super::construct::{Construct, NodeKind, Scope, Tree};
use super::error::SynthErrors;
use super::synth::{synthesize, Synthesis};
use super::Stack;

/// The root of a construct tree. Stacks are created with the app as their scope.
///
/// ```
/// use constructs::core::{App, Stack, StackProps, CfnResource};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", StackProps::default());
/// CfnResource::new(&stack, "Topic", "AWS::SNS::Topic");
/// let synthesis = app.synth().expect("valid app");
/// assert_eq!(synthesis.stacks[0].artifact_id, "Demo");
/// ```
#[derive(Clone)]
pub struct App {
    node: Construct,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl Scope for App {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl App {
    /// An app with no context.
    pub fn new() -> App {
        App::with_context(IndexMap::new())
    }

    /// An app with context values (what `-c key=value` and `cdk.json` give).
    pub fn with_context(context: IndexMap<String, serde_json::Value>) -> App {
        let tree = Rc::new(RefCell::new(Tree::new(context)));
        super::construct::register_app(&tree);
        App {
            node: Construct { tree, idx: 0 },
        }
    }

    /// Records where a context value came from (e.g. `` `-c batch-size=250` ``
    /// or `cdk.json`), so that an error about a bad value can say so.
    pub fn set_context_source(&self, key: &str, source: &str) {
        self.node
            .tree_mut()
            .context_sources
            .insert(key.to_owned(), source.to_owned());
    }

    /// The app a construct belongs to.
    ///
    /// ```
    /// use constructs::core::{App, Stack, StackProps};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", StackProps::default());
    /// assert_eq!(App::of(&stack).stacks()[0].stack_name(), "Demo");
    /// ```
    pub fn of(scope: &impl Scope) -> App {
        App {
            node: Construct {
                tree: Rc::clone(&scope.node().tree),
                idx: 0,
            },
        }
    }

    /// The stacks of the app, in the order they were created.
    pub fn stacks(&self) -> Vec<Stack> {
        self.node
            .children()
            .into_iter()
            .filter(|c| matches!(c.tree().nodes[c.idx].kind, NodeKind::Stack(_)))
            .map(Stack::from_node)
            .collect()
    }

    /// Synthesizes every stack in memory (nothing is written).
    pub fn synth(&self) -> Result<Synthesis, SynthErrors> {
        synthesize(&self.node)
    }

    /// Synthesizes and writes the Cloud Assembly to `outdir`, replacing what
    /// was there only when synthesis succeeds.
    pub fn synth_to(&self, outdir: &Path) -> Result<CloudAssembly, SynthErrors> {
        let (synthesis, files) = self.synth_with_files()?;
        Ok(write_assembly(synthesis, outdir, &files)?)
    }

    /// Like [`App::synth_to`], but consumes the app: its construct tree is
    /// freed before the assembly is written, which lowers the peak memory of
    /// a large app (the CLI's `synth` does this). The tree is freed only when
    /// no construct handle of it is alive any more.
    pub fn synth_into(self, outdir: &Path) -> Result<CloudAssembly, SynthErrors> {
        let synthesis = self.synth()?;
        self.write_into(synthesis, outdir)
    }

    /// Writes a synthesis of this app (from [`App::synth`], e.g. after looking
    /// at its warnings) and the app's extra files to `outdir`, as [`App::synth_into`]
    /// does: the tree is freed first when no other handle holds it.
    pub fn write_into(self, synthesis: Synthesis, outdir: &Path) -> Result<CloudAssembly, SynthErrors> {
        let files = self.render_files();
        drop(self);
        Ok(write_assembly(synthesis, outdir, &files)?)
    }

    /// The extra files of the assembly, rendered from the tree.
    fn render_files(&self) -> Vec<(String, String)> {
        let renders: Vec<(String, Rc<dyn Fn() -> String>)> = self
            .node
            .tree()
            .files
            .iter()
            .map(|(k, v)| (k.clone(), Rc::clone(v)))
            .collect();
        renders.into_iter().map(|(k, f)| (k, f())).collect()
    }

    /// The synthesis and the extra files of the assembly (rendered from the tree).
    fn synth_with_files(&self) -> Result<(Synthesis, Vec<(String, String)>), SynthErrors> {
        let synthesis = self.synth()?;
        Ok((synthesis, self.render_files()))
    }
}
