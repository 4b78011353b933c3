//! Building Rust Lambda code at synthesis, without Docker.
//!
//! A [`RustBinary`] names a package and binary of a Cargo workspace. Bundling
//! runs `cargo lambda build --release` (cargo-lambda with zig, from PyPI) into a
//! target directory of its own — or, without cargo-lambda, for x86_64 on an
//! x86_64 Linux glibc host, `cargo build --release` — checks that the binary
//! needs no glibc newer than the runtime's, and packs it as `bootstrap` (mode
//! 0755) into a deterministic zip whose sha256 names the asset.
//!
//! The result is cached by a fingerprint of the sources (every file of the
//! package except `target/`, the workspace's `Cargo.toml` and `Cargo.lock`, the
//! toolchain files, and the build options): a synth with unchanged sources
//! reuses `<target>/assets/<fingerprint>.zip` without running cargo, and within
//! one process every function that shares a binary shares one build. The
//! fingerprint is of the sources, not of the tool: the first build that passes
//! the checks is the asset of those sources.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::function::Architecture;
use super::glibc::{glibc_versions, GlibcVersion, MAX_GLIBC};
use super::progress::{spawn_stderr_reader, wait_with_progress, PROGRESS_ENV};
use crate::core::{deterministic_zip, hex_digest, sha256_hex, ZipEntry};

/// How to install the build tool, for error messages.
pub const INSTALL_HINT: &str = "install it with `python3 -m venv .venv-tools && .venv-tools/bin/pip install cargo-lambda ziglang` in the workspace (or `pip install cargo-lambda ziglang` onto PATH)";

/// A binary of a Rust package, built for Lambda at synthesis.
///
/// ```
/// use constructs::aws::lambda::RustBinary;
/// let binary = RustBinary {
///     package_dir: "lambdas".into(),
///     package: "lambdas".into(),
///     ..Default::default()
/// };
/// assert_eq!(binary.bin, "bootstrap");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RustBinary {
    /// The package's directory (the one holding its `Cargo.toml`). Required.
    /// The workspace is the nearest directory at or above it whose `Cargo.toml`
    /// has a `[workspace]` table (the package itself when there is none).
    pub package_dir: PathBuf,
    /// The package name, as for `cargo build -p`. Required.
    pub package: String,
    /// The binary target, as for `cargo build --bin`. Default: `bootstrap`.
    pub bin: String,
    /// The Cargo target directory of Lambda builds, kept apart from the
    /// workspace's own so the two builds do not wait on each other's lock.
    /// Built zips are cached in its `assets/` directory.
    /// Default: `<workspace>/target/lambda`.
    pub target_dir: Option<PathBuf>,
    /// More files or directories the build depends on (e.g. path dependencies
    /// outside the package), relative to the workspace or absolute; they are
    /// part of the source fingerprint. Default: none.
    pub extra_sources: Vec<PathBuf>,
    /// The tool that builds it. Default: [`BuildTool::Auto`].
    pub tool: BuildTool,
    /// The optimization settings of the build. Default: [`BundleProfile::default`].
    pub profile: BundleProfile,
}

impl Default for RustBinary {
    fn default() -> Self {
        RustBinary {
            package_dir: PathBuf::new(),
            package: String::new(),
            bin: "bootstrap".to_owned(),
            target_dir: None,
            extra_sources: Vec::new(),
            tool: BuildTool::Auto,
            profile: BundleProfile::default(),
        }
    }
}

/// The Cargo profile a Lambda bundle is built with: `release` with these
/// settings, given to cargo as a profile named `lambda` on its command line
/// (`--config profile.lambda.…`, which wins over a `[profile.lambda]` of the
/// workspace), so a workspace needs no profile of its own and the settings
/// are part of the source fingerprint. Symbols are always stripped and debug
/// info is off: nobody attaches a debugger to a Lambda function.
///
/// The default is measured for Lambda handlers on a 2-core machine (README,
/// "Benchmarks"): handlers spend their time waiting on AWS APIs, and the AWS
/// SDK's service crates are huge generated code (aws-sdk-ec2 alone took more
/// than 10 CPU-minutes at `opt-level = 1`). So the package's own code is
/// optimized for size (`"s"`, which also loads faster at a cold start) and the
/// dependencies are not optimized, with parallel code generation and no LTO —
/// where cargo-lambda's `--release` (LTO, one codegen unit, everything at
/// `opt-level = 3`) spends many minutes. For a CPU-bound handler, ask for more:
///
/// ```
/// use constructs::aws::lambda::{BundleProfile, Lto, OptLevel, RustBinary};
/// let binary = RustBinary {
///     package_dir: "lambdas".into(),
///     package: "lambdas".into(),
///     profile: BundleProfile {
///         opt_level: OptLevel::O3,
///         dependency_opt_level: OptLevel::O3,
///         codegen_units: 1,
///         lto: Lto::Thin,
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert_eq!(
///     binary.profile.describe(),
///     "opt-level 3 (dependencies 3), 1 codegen unit, thin LTO, panic unwind"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BundleProfile {
    /// `opt-level` of the workspace's own packages. Default: [`OptLevel::S`].
    pub opt_level: OptLevel,
    /// `opt-level` of every dependency (`profile.lambda.package."*"`).
    /// Default: [`OptLevel::O0`].
    pub dependency_opt_level: OptLevel,
    /// `codegen-units` (1 or more; more builds faster on more cores, fewer
    /// optimizes across more code). Default: 16, as cargo's `release`.
    pub codegen_units: u32,
    /// `lto`. Default: [`Lto::Off`].
    pub lto: Lto,
    /// `panic = "abort"` instead of unwinding (smaller; the Lambda runtime
    /// then cannot report a panic as an error of the invocation). Default: false.
    pub panic_abort: bool,
}

impl Default for BundleProfile {
    fn default() -> Self {
        BundleProfile {
            opt_level: OptLevel::S,
            dependency_opt_level: OptLevel::O0,
            codegen_units: 16,
            lto: Lto::Off,
            panic_abort: false,
        }
    }
}

/// Cargo's `opt-level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptLevel {
    /// No optimization.
    O0,
    /// Basic optimizations.
    O1,
    /// Some optimizations.
    O2,
    /// All optimizations (cargo's `release`).
    O3,
    /// Optimize for size.
    S,
    /// Optimize for size, and turn off loop vectorization.
    Z,
}

impl OptLevel {
    /// The value as cargo writes it (`0` … `3`, `s`, `z`).
    pub fn as_str(self) -> &'static str {
        match self {
            OptLevel::O0 => "0",
            OptLevel::O1 => "1",
            OptLevel::O2 => "2",
            OptLevel::O3 => "3",
            OptLevel::S => "s",
            OptLevel::Z => "z",
        }
    }
}

/// Cargo's `lto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lto {
    /// No link-time optimization across crates.
    Off,
    /// Thin LTO.
    Thin,
    /// Fat LTO (slowest to build).
    Fat,
}

impl Lto {
    /// The value as cargo writes it (`off`, `thin`, `fat`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lto::Off => "off",
            Lto::Thin => "thin",
            Lto::Fat => "fat",
        }
    }
}

impl BundleProfile {
    /// The name of the Cargo profile the build uses.
    pub const NAME: &'static str = "lambda";

    /// The `--config` values that define the profile for cargo (and for
    /// cargo-lambda, which passes them on).
    pub fn cargo_config(&self) -> Vec<String> {
        let lto = self.lto.as_str();
        let panic = if self.panic_abort { "abort" } else { "unwind" };
        let opt = |level: OptLevel| match level {
            OptLevel::S | OptLevel::Z => format!("\"{}\"", level.as_str()),
            other => other.as_str().to_owned(),
        };
        [
            ("inherits", "\"release\"".to_owned()),
            ("opt-level", opt(self.opt_level)),
            ("package.\"*\".opt-level", opt(self.dependency_opt_level)),
            ("codegen-units", self.codegen_units.max(1).to_string()),
            ("lto", format!("\"{lto}\"")),
            ("panic", format!("\"{panic}\"")),
            ("strip", "\"symbols\"".to_owned()),
            ("debug", "false".to_owned()),
            ("incremental", "false".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| format!("profile.{}.{key}={value}", Self::NAME))
        .collect()
    }

    /// A short description, e.g. `opt-level s (dependencies 0), 16 codegen units, no LTO, panic unwind`.
    pub fn describe(&self) -> String {
        let units = match self.codegen_units.max(1) {
            1 => "1 codegen unit".to_owned(),
            n => format!("{n} codegen units"),
        };
        let lto = match self.lto {
            Lto::Off => "no LTO",
            Lto::Thin => "thin LTO",
            Lto::Fat => "fat LTO",
        };
        let panic = if self.panic_abort { "abort" } else { "unwind" };
        format!(
            "opt-level {} (dependencies {}), {units}, {lto}, panic {panic}",
            self.opt_level.as_str(),
            self.dependency_opt_level.as_str()
        )
    }
}

/// The tool that builds a [`RustBinary`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum BuildTool {
    /// cargo-lambda from `PATH` or `<workspace>/.venv-tools/bin`; without it,
    /// for x86_64 on an x86_64 Linux glibc host, [`BuildTool::HostCargo`].
    #[default]
    Auto,
    /// This cargo-lambda executable (`cargo lambda build` with zig: either
    /// architecture, linked against the runtime's glibc); a missing file is an error.
    CargoLambda(PathBuf),
    /// The host's `cargo build --release`: x86_64 functions on an x86_64 Linux
    /// glibc host only, and the binary is refused if the host's glibc gave it
    /// symbols newer than the runtime's.
    HostCargo,
}

/// A built (or cached) Lambda zip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundledAsset {
    /// The zip, in the cache directory.
    pub zip_path: PathBuf,
    /// The sha256 of the zip (hex): the asset hash and object key.
    pub hash: String,
    /// The source fingerprint that names the cache entry.
    pub fingerprint: String,
    /// True when this call ran the build, false when it reused the cache.
    pub built: bool,
    /// How long the build took (zero for a cache hit).
    pub build_time: Duration,
}

/// Why bundling failed. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BundlingError {
    /// The binary description is incomplete.
    #[error("{0}")]
    Invalid(String),
    /// cargo-lambda is not installed.
    #[error("cargo-lambda was not found ({searched}): {INSTALL_HINT}; or synthesize without building with `-c aws:cdk:bundling-stacks=[]` (templates only, not deployable)")]
    ToolMissing {
        /// Where it was looked for.
        searched: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// The build failed: the command, its exit status and the tail of its output.
    #[error("`{command}` failed ({status}); the last lines of its output (full log: {log}):\n{tail}")]
    BuildFailed {
        /// The command line.
        command: String,
        /// The exit status.
        status: String,
        /// The log file with the whole output.
        log: PathBuf,
        /// The last lines of the output.
        tail: String,
    },
    /// The binary needs a glibc newer than the runtime has.
    #[error("the built binary needs {found}, but the Lambda runtime has glibc {}.{} (needs: {all}); build with cargo-lambda, which links against the runtime's glibc ({INSTALL_HINT}), or without the dependency that needs it", MAX_GLIBC.major, MAX_GLIBC.minor)]
    GlibcTooNew {
        /// The newest version needed.
        found: GlibcVersion,
        /// All versions needed.
        all: String,
    },
}

fn io_error(path: &Path, e: impl fmt::Display) -> BundlingError {
    BundlingError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl RustBinary {
    /// The Cargo workspace that holds the package.
    pub fn workspace_dir(&self) -> PathBuf {
        let mut dir = Some(self.package_dir.as_path());
        while let Some(d) = dir {
            if let Ok(text) = fs::read_to_string(d.join("Cargo.toml")) {
                if text.lines().any(|l| l.trim() == "[workspace]") {
                    return d.to_path_buf();
                }
            }
            dir = d.parent().filter(|p| !p.as_os_str().is_empty());
        }
        self.package_dir.clone()
    }

    /// The Cargo target directory of the Lambda build.
    pub fn effective_target_dir(&self) -> PathBuf {
        self.target_dir
            .clone()
            .unwrap_or_else(|| self.workspace_dir().join("target").join("lambda"))
    }

    /// A short description, e.g. `lambdas/bootstrap (x86_64, opt-level s)`.
    pub fn describe(&self, architecture: Architecture) -> String {
        format!(
            "{}/{} ({}, opt-level {})",
            self.package,
            self.bin,
            architecture.name(),
            self.profile.opt_level.as_str()
        )
    }

    fn check(&self) -> Result<(), BundlingError> {
        if self.package.is_empty() {
            return Err(BundlingError::Invalid(
                "the Rust binary has no package: set `RustBinary.package` to the package name".into(),
            ));
        }
        if self.bin.is_empty() {
            return Err(BundlingError::Invalid(
                "the Rust binary has no binary target: set `RustBinary.bin` (e.g. `bootstrap`)".into(),
            ));
        }
        if !self.package_dir.join("Cargo.toml").is_file() {
            return Err(BundlingError::Invalid(format!(
                "{} has no Cargo.toml: set `RustBinary.package_dir` to the directory of package '{}'",
                self.package_dir.display(),
                self.package
            )));
        }
        Ok(())
    }

    /// The source fingerprint (sha256 hex) of a build for `architecture`:
    /// every file of the package except `target/` and `.git/`, the extra
    /// sources, the workspace's `Cargo.toml`, `Cargo.lock`, toolchain and
    /// `.cargo/config` files, and the build options.
    pub fn fingerprint(&self, architecture: Architecture) -> Result<String, BundlingError> {
        self.check()?;
        let ws = self.workspace_dir();
        let mut h = Sha256::new();
        let field = |h: &mut Sha256, label: &str, bytes: &[u8]| {
            h.update((label.len() as u64).to_le_bytes());
            h.update(label.as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(&mut h, "format", b"rust-lambda-v2");
        field(&mut h, "package", self.package.as_bytes());
        field(&mut h, "bin", self.bin.as_bytes());
        field(&mut h, "architecture", architecture.name().as_bytes());
        for setting in self.profile.cargo_config() {
            field(&mut h, "profile", setting.as_bytes());
        }
        for name in [
            "Cargo.toml",
            "Cargo.lock",
            "rust-toolchain",
            "rust-toolchain.toml",
            ".cargo/config",
            ".cargo/config.toml",
        ] {
            let p = ws.join(name);
            if p.is_file() {
                let bytes = fs::read(&p).map_err(|e| io_error(&p, e))?;
                field(&mut h, &format!("workspace/{name}"), &bytes);
            }
        }
        let mut roots = vec![("package".to_owned(), self.package_dir.clone())];
        for (i, extra) in self.extra_sources.iter().enumerate() {
            let p = if extra.is_absolute() {
                extra.clone()
            } else {
                ws.join(extra)
            };
            roots.push((format!("extra{i}"), p));
        }
        for (label, root) in roots {
            let mut files = Vec::new();
            if root.is_file() {
                files.push((String::new(), root.clone()));
            } else {
                collect_files(&root, &root, &mut files)?;
            }
            files.sort();
            for (rel, path) in files {
                let bytes = fs::read(&path).map_err(|e| io_error(&path, e))?;
                field(&mut h, &format!("{label}/{rel}"), &bytes);
            }
        }
        Ok(hex_digest(&h.finalize()))
    }

    /// Where the cached zip of a fingerprint lives.
    pub fn cache_path(&self, fingerprint: &str) -> PathBuf {
        self.effective_target_dir()
            .join("assets")
            .join(format!("{fingerprint}.zip"))
    }

    /// Builds the zip for `architecture`, or reuses the cached zip of the same
    /// source fingerprint. Shows a progress line on stderr while building.
    ///
    /// Within one process, prefer [`RustBinary::bundle`], which also shares one
    /// build among every caller.
    pub fn build(&self, architecture: Architecture) -> Result<BundledAsset, BundlingError> {
        let fingerprint = self.fingerprint(architecture)?;
        let zip_path = self.cache_path(&fingerprint);
        if zip_path.is_file() {
            let bytes = fs::read(&zip_path).map_err(|e| io_error(&zip_path, e))?;
            return Ok(BundledAsset {
                hash: sha256_hex(&bytes),
                zip_path,
                fingerprint,
                built: false,
                build_time: Duration::ZERO,
            });
        }
        let start = Instant::now();
        let bootstrap = self.run_build(architecture, &fingerprint)?;
        let versions = glibc_versions(&bootstrap).map_err(|e| io_error(Path::new("bootstrap"), e))?;
        if let Some(&found) = versions.last() {
            if found > MAX_GLIBC {
                let all = versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                return Err(BundlingError::GlibcTooNew { found, all });
            }
        }
        let zip = deterministic_zip(&mut [ZipEntry {
            name: "bootstrap",
            content: &bootstrap,
            mode: 0o755,
        }])
        .map_err(|e| io_error(&zip_path, e))?;
        write_atomically(&zip_path, &zip)?;
        // The build may have changed the sources (e.g. written a missing
        // Cargo.lock): file the zip under what the sources are now, too.
        let after = self.fingerprint(architecture)?;
        if after != fingerprint {
            write_atomically(&self.cache_path(&after), &zip)?;
        }
        Ok(BundledAsset {
            hash: sha256_hex(&zip),
            zip_path,
            fingerprint,
            built: true,
            build_time: start.elapsed(),
        })
    }

    /// Like [`RustBinary::build`], but at most one build per fingerprint and
    /// target directory per process: every function that uses the same binary
    /// (and every synth of the process) gets the first result, success or failure.
    pub fn bundle(&self, architecture: Architecture) -> Result<BundledAsset, Arc<BundlingError>> {
        let fingerprint = self.fingerprint(architecture).map_err(Arc::new)?;
        let key = format!("{}|{fingerprint}", self.effective_target_dir().display());
        static BUILDS: OnceLock<Mutex<HashMap<String, Arc<OnceLock<BundleResult>>>>> = OnceLock::new();
        let cell = {
            let mut map = BUILDS
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            Arc::clone(map.entry(key).or_default())
        };
        cell.get_or_init(|| self.build(architecture).map_err(Arc::new)).clone()
    }

    /// The tool that builds for `architecture`, resolved from [`RustBinary::tool`].
    fn builder(&self, architecture: Architecture) -> Result<Builder, BundlingError> {
        let ws = self.workspace_dir();
        let host_cargo = architecture == Architecture::X86_64 && NATIVE_X86_64_GNU;
        match &self.tool {
            BuildTool::CargoLambda(t) if t.is_file() => Ok(Builder::CargoLambda(t.clone())),
            BuildTool::CargoLambda(t) => Err(BundlingError::ToolMissing {
                searched: t.display().to_string(),
            }),
            BuildTool::HostCargo if host_cargo => Ok(Builder::Cargo),
            BuildTool::HostCargo => Err(BundlingError::Invalid(format!(
                "the host's cargo builds x86_64 functions on an x86_64 Linux (glibc) host only, not {}: use cargo-lambda ({INSTALL_HINT})",
                architecture.name()
            ))),
            BuildTool::Auto => match find_cargo_lambda(&ws) {
                Some(t) => Ok(Builder::CargoLambda(t)),
                None if host_cargo => Ok(Builder::Cargo),
                None => Err(BundlingError::ToolMissing {
                    searched: format!("PATH, {}", ws.join(".venv-tools/bin").display()),
                }),
            },
        }
    }

    /// Builds the binary and returns its bytes.
    fn run_build(&self, architecture: Architecture, fingerprint: &str) -> Result<Vec<u8>, BundlingError> {
        let ws = self.workspace_dir();
        let builder = self.builder(architecture)?;
        let target_dir = self.effective_target_dir();
        let assets = target_dir.join("assets");
        fs::create_dir_all(&assets).map_err(|e| io_error(&assets, e))?;
        let out_dir = target_dir.join("out").join(&fingerprint[..16]);
        let log_path = assets.join(format!("{fingerprint}.log"));
        let log = fs::File::create(&log_path).map_err(|e| io_error(&log_path, e))?;
        let log_err = log.try_clone().map_err(|e| io_error(&log_path, e))?;

        let config = self.profile.cargo_config();
        let mut target_args = vec![
            "--package",
            self.package.as_str(),
            "--bin",
            self.bin.as_str(),
            "--profile",
            BundleProfile::NAME,
        ];
        for setting in &config {
            target_args.extend(["--config", setting.as_str()]);
        }
        let (mut command, command_line, binary) = match &builder {
            Builder::CargoLambda(tool) => {
                let arch_flag = match architecture {
                    Architecture::X86_64 => "--x86-64",
                    Architecture::Arm64 => "--arm64",
                };
                // Our profile, not cargo-lambda's release optimizations (LTO, one codegen unit).
                let mut args = vec!["lambda", "build", "--disable-optimizations", arch_flag];
                args.extend(&target_args);
                let lambda_dir = out_dir.display().to_string();
                args.extend(["--lambda-dir", lambda_dir.as_str()]);
                // The tool's directory first on PATH: a venv's python with ziglang is how cargo-lambda finds zig.
                let mut path = vec![tool.parent().map(Path::to_path_buf).unwrap_or_default()];
                if let Some(p) = std::env::var_os("PATH") {
                    path.extend(std::env::split_paths(&p));
                }
                let path = std::env::join_paths(path).map_err(|e| io_error(tool, e))?;
                let mut command = Command::new(tool);
                command.args(&args).env("PATH", path);
                let line = format!("cargo {}", args.join(" "));
                (command, line, out_dir.join(&self.bin).join("bootstrap"))
            }
            Builder::Cargo => {
                let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
                let mut args = vec!["build"];
                args.extend(&target_args);
                let mut command = Command::new(&cargo);
                command.args(&args);
                let line = format!("cargo {}", args.join(" "));
                (command, line, target_dir.join(BundleProfile::NAME).join(&self.bin))
            }
        };
        let mut child = command
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("CARGO_TERM_COLOR", "never")
            .envs(PROGRESS_ENV)
            .env_remove("CARGO_BUILD_TARGET")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io_error(Path::new(&command_line), e))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| io_error(Path::new(&command_line), "no stderr pipe"))?;
        let (progress, reader) = spawn_stderr_reader(stderr, log_err);

        let what = match builder {
            Builder::CargoLambda(_) => format!("Building Rust Lambda {}", self.describe(architecture)),
            Builder::Cargo => format!(
                "Building Rust Lambda {} with the host's cargo (not cargo-lambda; the glibc limit is checked after)",
                self.describe(architecture)
            ),
        };
        let status =
            wait_with_progress(&mut child, &what, &progress).map_err(|e| io_error(Path::new(&command_line), e))?;
        // The log is complete once the reader has seen the end of stderr.
        let _ = reader.join();
        if !status.success() {
            let text = fs::read_to_string(&log_path).unwrap_or_default();
            return Err(BundlingError::BuildFailed {
                command: command_line,
                status: status.to_string(),
                log: log_path,
                tail: tail(&text, 40),
            });
        }
        let bytes = fs::read(&binary).map_err(|e| io_error(&binary, e))?;
        let _ = fs::remove_dir_all(&out_dir);
        Ok(bytes)
    }
}

/// True when this process runs on x86_64 Linux with glibc: there, a plain
/// `cargo build` makes an x86_64 Lambda binary (and the glibc check decides
/// whether the host's glibc was old enough for the runtime).
const NATIVE_X86_64_GNU: bool = cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"));

/// The tool a build runs.
enum Builder {
    /// `cargo lambda build` with zig: any architecture, glibc pinned to the runtime's.
    CargoLambda(PathBuf),
    /// `cargo build` for the host (x86_64 Linux glibc only).
    Cargo,
}

type BundleResult = Result<BundledAsset, Arc<BundlingError>>;

/// Finds `cargo-lambda` on `PATH`, else in `<workspace>/.venv-tools/bin`.
pub fn find_cargo_lambda(workspace: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(workspace.join(".venv-tools").join("bin"));
    dirs.into_iter().map(|d| d.join("cargo-lambda")).find(|p| p.is_file())
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), BundlingError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let meta = fs::metadata(&path).map_err(|e| io_error(&path, e))?;
        if meta.is_dir() {
            collect_files(root, &path, out)?;
        } else if meta.is_file() {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BundlingError> {
    let tmp = path.with_extension(format!("zip.tmp-{}", std::process::id()));
    fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_error(path, e))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(dir: &Path) -> RustBinary {
        fs::create_dir_all(dir.join("src")).expect("mkdir");
        fs::write(dir.join("Cargo.toml"), "[package]\nname = \"p\"\nversion = \"0.1.0\"\n").expect("write");
        fs::write(dir.join("src/main.rs"), "fn main() {}\n").expect("write");
        RustBinary {
            package_dir: dir.to_path_buf(),
            package: "p".into(),
            ..Default::default()
        }
    }

    #[test]
    fn fingerprint_follows_sources_and_options_but_not_target() {
        let dir = tempfile::tempdir().expect("dir");
        let b = package(dir.path());
        let a = b.fingerprint(Architecture::X86_64).expect("fingerprint");
        assert_eq!(a, b.fingerprint(Architecture::X86_64).expect("fingerprint"));
        assert_ne!(a, b.fingerprint(Architecture::Arm64).expect("fingerprint"));
        fs::create_dir_all(dir.path().join("target/x")).expect("mkdir");
        fs::write(dir.path().join("target/x/junk"), "built").expect("write");
        assert_eq!(a, b.fingerprint(Architecture::X86_64).expect("fingerprint"));
        fs::write(dir.path().join("src/main.rs"), "fn main() { println!(); }\n").expect("write");
        assert_ne!(a, b.fingerprint(Architecture::X86_64).expect("fingerprint"));
        let other_bin = RustBinary {
            bin: "other".into(),
            ..b.clone()
        };
        assert_ne!(
            b.fingerprint(Architecture::X86_64).expect("fingerprint"),
            other_bin.fingerprint(Architecture::X86_64).expect("fingerprint")
        );
    }

    #[test]
    fn the_workspace_is_the_nearest_workspace_manifest() {
        let dir = tempfile::tempdir().expect("dir");
        fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = [\"p\"]\n").expect("write");
        let b = package(&dir.path().join("p"));
        assert_eq!(b.workspace_dir(), dir.path());
        assert_eq!(b.effective_target_dir(), dir.path().join("target/lambda"));
        fs::write(dir.path().join("Cargo.lock"), "# lock 1\n").expect("write");
        let a = b.fingerprint(Architecture::X86_64).expect("fingerprint");
        fs::write(dir.path().join("Cargo.lock"), "# lock 2\n").expect("write");
        assert_ne!(a, b.fingerprint(Architecture::X86_64).expect("fingerprint"));
    }

    #[test]
    fn a_cached_zip_is_reused_without_building() {
        let dir = tempfile::tempdir().expect("dir");
        let b = RustBinary {
            // A tool that does not exist: reaching the build would fail.
            tool: BuildTool::CargoLambda(dir.path().join("no-such-cargo-lambda")),
            ..package(dir.path())
        };
        let fp = b.fingerprint(Architecture::X86_64).expect("fingerprint");
        let err = b.build(Architecture::X86_64).expect_err("no tool");
        assert!(matches!(err, BundlingError::ToolMissing { .. }), "{err}");
        assert!(err.to_string().contains("pip install cargo-lambda ziglang"), "{err}");
        let cached = b.cache_path(&fp);
        fs::create_dir_all(cached.parent().expect("parent")).expect("mkdir");
        fs::write(&cached, b"zip bytes").expect("write");
        let hit = b.build(Architecture::X86_64).expect("cache hit");
        assert!(!hit.built);
        assert_eq!(hit.hash, sha256_hex(b"zip bytes"));
        assert_eq!(hit.fingerprint, fp);
    }

    #[test]
    fn incomplete_descriptions_say_what_to_set() {
        let err = RustBinary::default()
            .fingerprint(Architecture::X86_64)
            .expect_err("no package");
        assert!(err.to_string().contains("RustBinary.package"), "{err}");
        let err = RustBinary {
            package: "p".into(),
            package_dir: "/nonexistent".into(),
            ..Default::default()
        }
        .fingerprint(Architecture::X86_64)
        .expect_err("no manifest");
        assert!(err.to_string().contains("package_dir"), "{err}");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
