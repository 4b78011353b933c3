//! The Cloud Assembly: `cdk.out/` with `manifest.json`, templates, asset
//! manifests and `tree.json`, in the AWS CDK's schema so its CLI reads it.
//!
//! The assembly is written into a sibling temporary directory and swapped in
//! at the end: a failed synthesis leaves the previous assembly as it was.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use sha2::{Digest, Sha256};

use super::assets::hex_digest;
use super::error::SynthError;
use super::stack::{Synthesizer, REQUIRED_BOOTSTRAP_VERSION};
use super::synth::{Synthesis, SynthesizedStack};

/// The schema version written to `manifest.json`. 36 is read by every CDK
/// CLI since 2.1000, and by the npm `latest` 3.0.0 (which reads up to 43).
pub const MANIFEST_VERSION: &str = "36.0.0";

/// What was written, for the CLI to report.
#[derive(Clone, Debug)]
pub struct CloudAssembly {
    /// The assembly directory.
    pub directory: PathBuf,
    /// The synthesized stacks, in dependency order.
    pub synthesis: Synthesis,
}

impl CloudAssembly {
    /// The stack with the given artifact id (construct id) or stack name.
    pub fn stack(&self, name: &str) -> Option<&SynthesizedStack> {
        self.synthesis
            .stacks
            .iter()
            .find(|s| s.artifact_id == name || s.stack_name == name)
    }
}

/// Serializes JSON as the CDK does: one-space indentation, keys in insertion order.
pub fn to_cdk_json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut buf = Vec::new();
    // Serializing JSON values and plain data into memory cannot fail.
    let _ = value.serialize(&mut cdk_serializer(&mut buf));
    String::from_utf8(buf).unwrap_or_default()
}

/// The CDK's JSON layout (one-space indentation) over `out`.
fn cdk_serializer<W: std::io::Write>(out: W) -> serde_json::Serializer<W, serde_json::ser::PrettyFormatter<'static>> {
    serde_json::Serializer::with_formatter(out, serde_json::ser::PrettyFormatter::with_indent(b" "))
}

fn destination(stack: &SynthesizedStack, object_key: &str) -> Json {
    let env = &stack.environment;
    let id = format!(
        "{}-{}",
        env.account.as_deref().unwrap_or("current_account"),
        env.region.as_deref().unwrap_or("current_region")
    );
    let mut d = Map::new();
    d.insert("bucketName".into(), stack.bootstrap.asset_bucket().into());
    d.insert("objectKey".into(), object_key.into());
    if let Some(r) = &env.region {
        d.insert("region".into(), r.clone().into());
    }
    if stack.synthesizer == Synthesizer::Default {
        d.insert(
            "assumeRoleArn".into(),
            stack.bootstrap.role_arn("file-publishing").into(),
        );
    }
    json!({ id: Json::Object(d) })
}

/// Writes the assembly of a synthesis into `outdir`, replacing it atomically.
pub fn write_assembly(
    synthesis: Synthesis,
    outdir: &Path,
    extra_files: &[(String, String)],
) -> Result<CloudAssembly, SynthError> {
    let name = outdir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cdk.out".to_owned());
    let parent = match outdir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path, source }
    };
    if outdir.exists() && !outdir.is_dir() {
        return Err(SynthError::Io {
            path: outdir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it is a file, not a directory: name another output directory (-o DIR) or remove the file",
            ),
        });
    }
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let result = write_into(&synthesis, &tmp, extra_files);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if outdir.exists() {
        fs::rename(outdir, &old).map_err(io(outdir))?;
    }
    if let Err(e) = fs::rename(&tmp, outdir) {
        // Put the previous assembly back.
        let _ = fs::rename(&old, outdir);
        let _ = fs::remove_dir_all(&tmp);
        return Err(SynthError::Io {
            path: outdir.to_path_buf(),
            source: e,
        });
    }
    if old.exists() {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(CloudAssembly {
        directory: outdir.to_path_buf(),
        synthesis,
    })
}

/// Serializes `value` as [`to_cdk_json`] would, straight into `dir/name`
/// (no text in memory); with `hash`, returns the sha256 (hex) of what was
/// written.
fn write_json_file<T: Serialize + ?Sized>(
    dir: &Path,
    name: &str,
    value: &T,
    hash: bool,
) -> Result<Option<String>, SynthError> {
    /// Hashes what passes on to the file (below the buffer, so in large chunks).
    struct Hashing {
        file: fs::File,
        sha: Option<Sha256>,
    }
    impl Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = self.file.write(buf)?;
            if let Some(sha) = &mut self.sha {
                sha.update(&buf[..n]);
            }
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }
    let path = dir.join(name);
    let io = |source| SynthError::Io {
        path: path.clone(),
        source,
    };
    let file = fs::File::create(&path).map_err(io)?;
    let sha = hash.then(Sha256::new);
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, Hashing { file, sha });
    value
        .serialize(&mut cdk_serializer(&mut out))
        .map_err(|e| io(std::io::Error::other(e)))?;
    let hashing = out.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(hashing.sha.map(|sha| hex_digest(&sha.finalize())))
}

fn write_file(dir: &Path, name: &str, content: &str) -> Result<(), SynthError> {
    let path = dir.join(name);
    fs::write(&path, content).map_err(|source| SynthError::Io { path, source })
}

/// What [`write_stack_files`] wrote for a stack.
struct StackFiles {
    template_file: String,
    template_hash: String,
    assets_file: String,
}

/// Writes a stack's template and asset manifest (its file assets are already
/// in the directory).
fn write_stack_files(stack: &SynthesizedStack, dir: &Path) -> Result<StackFiles, SynthError> {
    let template_file = format!("{}.template.json", stack.artifact_id);
    let template_hash = write_json_file(dir, &template_file, &stack.template, true)?.unwrap_or_default();

    // Asset manifest: the template itself, then the file assets.
    let mut files = Map::new();
    for asset in &stack.assets {
        files.insert(
            asset.hash.clone(),
            json!({
                "displayName": asset.display_name,
                "source": { "path": asset.assembly_file_name(), "packaging": "file" },
                "destinations": destination(stack, &asset.object_key()),
            }),
        );
    }
    files.insert(
        template_hash.clone(),
        json!({
            "displayName": format!("{} Template", stack.artifact_id),
            "source": { "path": template_file, "packaging": "file" },
            "destinations": destination(stack, &format!("{template_hash}.json")),
        }),
    );
    let assets_file = format!("{}.assets.json", stack.artifact_id);
    let assets_manifest = json!({ "version": MANIFEST_VERSION, "files": files, "dockerImages": {} });
    write_file(dir, &assets_file, &to_cdk_json(&assets_manifest))?;
    Ok(StackFiles {
        template_file,
        template_hash,
        assets_file,
    })
}

/// `f` over `items` on up to as many threads as the machine has cores;
/// results in the order of `items`. A panic in `f` is resumed here.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(done) => done.into_iter().for_each(|(i, r)| results[i] = Some(r)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().flatten().collect()
}

fn write_into(synthesis: &Synthesis, dir: &Path, extra_files: &[(String, String)]) -> Result<(), SynthError> {
    // File assets first, one at a time: stacks may share one.
    for asset in synthesis.stacks.iter().flat_map(|s| &s.assets) {
        let target = dir.join(asset.assembly_file_name());
        if !target.exists() {
            fs::hard_link(&asset.source, &target)
                .or_else(|_| fs::copy(&asset.source, &target).map(|_| ()))
                .map_err(|source| SynthError::Io {
                    path: asset.source.clone(),
                    source,
                })?;
        }
    }
    // Templates (serialized, hashed, written) and tree.json in parallel: at
    // scale these are most of the work.
    let (written, tree) = std::thread::scope(|scope| {
        let tree = scope.spawn(|| write_json_file(dir, "tree.json", &synthesis.tree, false).map(|_| ()));
        let written = parallel_map(&synthesis.stacks, |stack| write_stack_files(stack, dir));
        (written, tree.join())
    });
    match tree {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    }
    let mut artifacts = Map::new();
    for (stack, files) in synthesis.stacks.iter().zip(written) {
        let StackFiles {
            template_file,
            template_hash,
            assets_file,
        } = files?;
        let assets_artifact = format!("{}.assets", stack.artifact_id);
        artifacts.insert(
            assets_artifact.clone(),
            json!({
                "type": "cdk:asset-manifest",
                "properties": {
                    "file": assets_file,
                    "requiresBootstrapStackVersion": REQUIRED_BOOTSTRAP_VERSION,
                    "bootstrapStackVersionSsmParameter": stack.bootstrap.version_parameter(),
                }
            }),
        );

        let mut props = Map::new();
        props.insert("templateFile".into(), template_file.into());
        props.insert("terminationProtection".into(), stack.termination_protection.into());
        if stack.stack_name != stack.artifact_id {
            props.insert("stackName".into(), stack.stack_name.clone().into());
        }
        if stack.synthesizer == Synthesizer::Default {
            props.insert("assumeRoleArn".into(), stack.bootstrap.role_arn("deploy").into());
            props.insert(
                "cloudFormationExecutionRoleArn".into(),
                stack.bootstrap.role_arn("cfn-exec").into(),
            );
            props.insert(
                "requiresBootstrapStackVersion".into(),
                REQUIRED_BOOTSTRAP_VERSION.into(),
            );
            props.insert(
                "bootstrapStackVersionSsmParameter".into(),
                stack.bootstrap.version_parameter().into(),
            );
        }
        props.insert(
            "stackTemplateAssetObjectUrl".into(),
            format!("s3://{}/{template_hash}.json", stack.bootstrap.asset_bucket()).into(),
        );
        props.insert("additionalDependencies".into(), json!([assets_artifact]));

        let mut deps: Vec<Json> = stack.dependencies.iter().map(|d| Json::String(d.clone())).collect();
        deps.push(assets_artifact.into());
        let mut metadata = Map::new();
        for (path, id) in &stack.logical_ids {
            metadata.insert(path.clone(), json!([{ "type": "aws:cdk:logicalId", "data": id }]));
        }
        // Warnings and infos, as the CDK writes them (the official CLI prints them too).
        let stack_path = format!("/{}", stack.path);
        for a in synthesis.annotations.iter().filter(|a| {
            let p = format!("/{}", a.path);
            p == stack_path || p.starts_with(&format!("{stack_path}/"))
        }) {
            let data = match &a.id {
                Some(id) => format!("{} [ack: {id}]", a.message),
                None => a.message.clone(),
            };
            let entry = json!({ "type": a.level.metadata_type(), "data": data });
            match metadata.entry(format!("/{}", a.path)).or_insert_with(|| json!([])) {
                Json::Array(entries) => entries.push(entry),
                other => *other = json!([entry]),
            }
        }
        artifacts.insert(
            stack.artifact_id.clone(),
            json!({
                "type": "aws:cloudformation:stack",
                "environment": stack.environment.to_uri(),
                "properties": props,
                "dependencies": deps,
                "metadata": metadata,
                "displayName": stack.artifact_id,
            }),
        );
    }
    artifacts.insert(
        "Tree".into(),
        json!({ "type": "cdk:tree", "properties": { "file": "tree.json" } }),
    );
    for (name, content) in extra_files {
        write_file(dir, name, content)?;
    }
    write_file(dir, "cdk.out", &to_cdk_json(&json!({ "version": MANIFEST_VERSION })))?;
    let mut manifest = json!({ "version": MANIFEST_VERSION, "artifacts": artifacts });
    if !synthesis.missing.is_empty() {
        // As the CDK: the CLI looks these up and synthesizes again.
        manifest["missing"] = json!(synthesis.missing);
    }
    write_file(dir, "manifest.json", &to_cdk_json(&manifest))
}
