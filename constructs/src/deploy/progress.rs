//! Progress output: stack events as they arrive and a bar of resources done per stack.
//!
//! On a terminal, bars are drawn with indicatif and lines are printed above
//! them; otherwise (CI logs, tests) lines go to stderr and there are no bars.

use aws_sdk_cloudformation::types::StackEvent;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where a run prints: shared by the stacks deploying at once.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    multi: MultiProgress,
    quiet: bool,
}

impl Progress {
    /// Output to stderr; `quiet` prints nothing.
    pub fn new(quiet: bool) -> Progress {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            quiet,
        }
    }

    /// Prints a line (above the bars on a terminal).
    pub fn line(&self, text: impl AsRef<str>) {
        if self.quiet {
            return;
        }
        if self.multi.is_hidden() {
            eprintln!("{}", text.as_ref());
        } else {
            let _ = self.multi.println(text);
        }
    }

    /// A bar of `total` resources for `stack` (hidden when not on a terminal).
    pub fn bar(&self, stack: &str, total: u64) -> ProgressBar {
        if self.multi.is_hidden() {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {pos}/{len} resources {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = self.multi.add(ProgressBar::new(total).with_style(style));
        bar.set_prefix(stack.to_owned());
        bar
    }

    /// Removes a finished bar.
    pub fn finish(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        self.multi.remove(bar);
    }
}

/// One event as a line: `Stack | 12:00:01 | CREATE_COMPLETE | AWS::SNS::Topic | Topic reason`.
pub(crate) fn event_line(display: &str, e: &StackEvent) -> String {
    let time = e
        .timestamp()
        .map(|t| {
            let s = t.secs().rem_euclid(86_400);
            format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        })
        .unwrap_or_default();
    let status = e.resource_status().map(|s| s.as_str()).unwrap_or_default();
    let mut line = format!(
        "{display} | {time} | {status:<30} | {} | {}",
        e.resource_type().unwrap_or_default(),
        e.logical_resource_id().unwrap_or_default()
    );
    if let Some(reason) = e.resource_status_reason().filter(|r| !r.is_empty()) {
        line.push(' ');
        line.push_str(reason);
    }
    line
}
