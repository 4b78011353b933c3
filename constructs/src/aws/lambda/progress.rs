//! The progress line of a Lambda build: what cargo is compiling, how many of
//! its units are done out of the total, and for how long it has run.
//!
//! Cargo's own progress bar is the count a user can trust (the units of its
//! build plan, build scripts included). Cargo draws it only on a terminal,
//! unless `term.progress.when` is `always`: the build is started with that
//! setting ([`PROGRESS_ENV`]) and its stderr is read here. The bar's frames
//! update the count; every other line goes to the build log untouched.

use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The environment that makes cargo draw its progress bar into a pipe.
pub const PROGRESS_ENV: [(&str, &str); 2] = [
    ("CARGO_TERM_PROGRESS_WHEN", "always"),
    ("CARGO_TERM_PROGRESS_WIDTH", "200"),
];

/// One frame of cargo's progress bar, e.g.
/// `    Building [=====>      ] 134/270: aws-sdk-ec2, aws-sdk-rds`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoProgress {
    /// Units finished.
    pub done: u32,
    /// Units in the build plan.
    pub total: u32,
    /// What is compiling now (crate names, as cargo lists them).
    pub compiling: String,
}

impl CargoProgress {
    /// Reads a frame of cargo's progress bar; `None` for any other text.
    pub fn parse(frame: &str) -> Option<CargoProgress> {
        let rest = frame.trim_start().strip_prefix("Building")?.trim_start();
        let rest = rest.strip_prefix('[')?;
        let (_, after) = rest.split_once(']')?;
        let after = after.trim_start();
        let (counts, compiling) = after.split_once(':').unwrap_or((after, ""));
        let (done, total) = counts.trim().split_once('/')?;
        Some(CargoProgress {
            done: done.parse().ok()?,
            total: total.parse().ok()?,
            compiling: compiling.trim().to_owned(),
        })
    }

    /// `134/270 crates` and, when known, what is compiling.
    fn describe(&self) -> String {
        if self.compiling.is_empty() {
            format!("{}/{} crates", self.done, self.total)
        } else {
            format!("{}/{} crates, compiling {}", self.done, self.total, self.compiling)
        }
    }
}

/// Copies the build's stderr into `log`, keeping the latest progress frame.
///
/// Frames end with `\r` (cargo redraws the line); log lines end with `\n`.
pub fn spawn_stderr_reader(
    stderr: impl Read + Send + 'static,
    mut log: impl Write + Send + 'static,
) -> (Arc<Mutex<Option<CargoProgress>>>, JoinHandle<()>) {
    let latest = Arc::new(Mutex::new(None));
    let shared = Arc::clone(&latest);
    let handle = std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut segment = Vec::new();
        loop {
            segment.clear();
            let read = read_segment(&mut reader, &mut segment);
            if !matches!(read, Ok(n) if n > 0) {
                break;
            }
            let text = String::from_utf8_lossy(&segment);
            let body = text.trim_end_matches(['\r', '\n']);
            if let Some(progress) = CargoProgress::parse(body) {
                *shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(progress);
            } else if !body.trim().is_empty() {
                let _ = writeln!(log, "{body}");
            }
        }
        let _ = log.flush();
    });
    (latest, handle)
}

/// Reads up to and including the next `\r` or `\n`.
fn read_segment(reader: &mut impl BufRead, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(total);
        }
        match buf.iter().position(|&b| b == b'\r' || b == b'\n') {
            Some(i) => {
                out.extend_from_slice(&buf[..=i]);
                reader.consume(i + 1);
                return Ok(total + i + 1);
            }
            None => {
                let n = buf.len();
                out.extend_from_slice(buf);
                reader.consume(n);
                total += n;
            }
        }
    }
}

/// `1m 05s`, or `12.3s` under a minute.
pub fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Waits for the build, showing what is built, cargo's count of units done
/// out of the total, and for how long: a line updated in place on a terminal,
/// otherwise a line at the start, one a minute, and one at the end.
pub fn wait_with_progress(
    child: &mut Child,
    what: &str,
    progress: &Mutex<Option<CargoProgress>>,
) -> std::io::Result<ExitStatus> {
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut err = std::io::stderr();
    if !tty {
        let _ = writeln!(err, "{what}…");
    }
    let mut last_report = Duration::ZERO;
    let mut width = 0;
    loop {
        let now = progress.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let counts = now.as_ref().map(CargoProgress::describe);
        if let Some(status) = child.try_wait()? {
            let elapsed = format_elapsed(start.elapsed());
            let outcome = if status.success() { "done" } else { "failed" };
            let line = format!("{what}… {outcome} in {elapsed}");
            if tty {
                let _ = writeln!(err, "\r{line:width$}");
            } else {
                let _ = writeln!(err, "{line}");
            }
            return Ok(status);
        }
        let elapsed = start.elapsed();
        if tty {
            let mut line = format!("{what}… {}", format_elapsed(elapsed));
            if let Some(c) = &counts {
                line.push_str(&format!(" ({c})"));
            }
            // Never wrap: a wrapped line cannot be redrawn in place.
            let columns = terminal_columns().saturating_sub(1);
            if line.chars().count() > columns {
                line = line.chars().take(columns.saturating_sub(1)).collect::<String>() + "…";
            }
            let _ = write!(err, "\r{line:width$}");
            width = line.chars().count();
            let _ = err.flush();
        } else if elapsed - last_report >= Duration::from_secs(60) {
            last_report = elapsed;
            let counts = counts.map(|c| format!(", {c}")).unwrap_or_default();
            let _ = writeln!(err, "{what}… still building ({}{counts})", format_elapsed(elapsed));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The terminal's width from `COLUMNS`, else 100.
fn terminal_columns() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c| c > 20)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_frame_gives_the_counts_and_what_compiles() {
        let p =
            CargoProgress::parse("    Building [=======>        ] 134/270: aws-sdk-ec2, aws-sdk-rds").expect("a frame");
        assert_eq!((p.done, p.total), (134, 270));
        assert_eq!(p.compiling, "aws-sdk-ec2, aws-sdk-rds");
        assert_eq!(p.describe(), "134/270 crates, compiling aws-sdk-ec2, aws-sdk-rds");
        let p = CargoProgress::parse("Building [   ] 0/12").expect("a frame without names");
        assert_eq!((p.done, p.total, p.compiling.as_str()), (0, 12, ""));
        assert_eq!(CargoProgress::parse("   Compiling serde v1.0.0"), None);
        assert_eq!(CargoProgress::parse("    Building [==>] many/12: x"), None);
    }

    #[test]
    fn the_reader_keeps_the_latest_frame_and_logs_the_rest() {
        let stderr = b"   Compiling a v1\n    Building [=>  ] 1/3: b\r    Building [==> ] 2/3: c\r\r                \r   Compiling c v1\nerror: boom\n".to_vec();
        let log = Arc::new(Mutex::new(Vec::new()));
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("log").extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (latest, handle) = spawn_stderr_reader(std::io::Cursor::new(stderr), Sink(Arc::clone(&log)));
        handle.join().expect("reader");
        let latest = latest.lock().expect("latest").clone().expect("a frame");
        assert_eq!((latest.done, latest.total, latest.compiling.as_str()), (2, 3, "c"));
        let log = String::from_utf8(log.lock().expect("log").clone()).expect("utf-8");
        assert_eq!(log, "   Compiling a v1\n   Compiling c v1\nerror: boom\n");
    }

    #[test]
    fn elapsed_time_reads_naturally() {
        assert_eq!(format_elapsed(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(format_elapsed(Duration::from_secs(65)), "1m 05s");
    }
}
