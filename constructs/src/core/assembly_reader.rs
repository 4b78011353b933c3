//! Reading a Cloud Assembly from disk: `manifest.json` through typed structs,
//! then each stack's template. For deploying an assembly synthesized earlier,
//! by another process or by the AWS CDK, without building any construct.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use indexmap::IndexMap;

use super::annotations::{Annotation, AnnotationLevel};
use super::assembly::CloudAssembly;
use super::bootstrap_names::BootstrapNames;
use super::stack::{Environment, Synthesizer};
use super::synth::{Synthesis, SynthesizedStack};
use super::tree_json::ConstructTree;

/// The newest manifest schema (major version) the reader accepts: 55, what
/// the AWS CDK 2.276 writes and the pinned aws-cdk CLI 2.1148.1 reads. The
/// reader uses only fields that exist unchanged since schema 36.
pub const MAX_READ_MANIFEST_MAJOR: u32 = 55;

/// Why an assembly directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadAssemblyError {
    /// A file could not be read.
    #[error("cannot read {}: {source}; is it a Cloud Assembly directory (e.g. cdk.out, written by `synth`)?", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not what the schema says.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A newer schema than this reader knows.
    #[error(
        "{}: manifest schema {version} is newer than this tool reads ({MAX_READ_MANIFEST_MAJOR}.x); \
         synthesize with an older CDK or upgrade this tool", path.display()
    )]
    NewerSchema {
        /// The manifest.
        path: PathBuf,
        /// Its version.
        version: String,
    },
}

/// `manifest.json`: the artifacts of a Cloud Assembly.
#[derive(Clone, Debug, Deserialize)]
pub struct AssemblyManifest {
    /// The schema version, e.g. `36.0.0`.
    pub version: String,
    /// The artifacts by id, in the order written.
    #[serde(default)]
    pub artifacts: indexmap::IndexMap<String, ArtifactManifest>,
    /// Context values the app needed and did not have when it was synthesized.
    #[serde(default)]
    pub missing: Vec<super::context::MissingContext>,
}

/// One artifact of the manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    /// `aws:cloudformation:stack`, `cdk:asset-manifest`, `cdk:tree`, `cdk:cloud-assembly` ...
    #[serde(rename = "type")]
    pub artifact_type: String,
    /// `aws://ACCOUNT/REGION` (`unknown-account`, `unknown-region` when agnostic).
    #[serde(default)]
    pub environment: Option<String>,
    /// The ids of the artifacts this one depends on (stacks and asset manifests).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The type's properties (for a stack: [`StackProperties`]).
    #[serde(default)]
    pub properties: Option<Json>,
    /// Construct path (`/Stack/...`) -> metadata entries (`{"type": "aws:cdk:warning", "data": ...}`).
    #[serde(default)]
    pub metadata: IndexMap<String, Vec<Json>>,
}

/// The properties of an `aws:cloudformation:stack` artifact that a deploy reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackProperties {
    /// The template file, relative to the assembly directory.
    pub template_file: String,
    /// The stack name. Default: the artifact id.
    #[serde(default)]
    pub stack_name: Option<String>,
    /// Parameter values for the deploy.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Stack tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Termination protection.
    #[serde(default)]
    pub termination_protection: Option<bool>,
    /// The role to deploy with (the CDK bootstrap's deploy role).
    #[serde(default)]
    pub assume_role_arn: Option<String>,
    /// The external id to assume it with.
    #[serde(default)]
    pub assume_role_external_id: Option<String>,
    /// The role CloudFormation runs as.
    #[serde(default)]
    pub cloud_formation_execution_role_arn: Option<String>,
    /// The bootstrap version the stack needs.
    #[serde(default)]
    pub requires_bootstrap_stack_version: Option<u32>,
    /// The SSM parameter holding the environment's bootstrap version
    /// (`/cdk-bootstrap/QUALIFIER/version`: it names the qualifier).
    #[serde(default)]
    pub bootstrap_stack_version_ssm_parameter: Option<String>,
}

impl AssemblyManifest {
    /// Reads `manifest.json` of an assembly directory.
    pub fn read(dir: &Path) -> Result<AssemblyManifest, ReadAssemblyError> {
        read_json(&dir.join("manifest.json"))
    }

    /// The properties of the stack artifact `id`, when it is one and they parse.
    pub fn stack_properties(&self, id: &str) -> Option<StackProperties> {
        let artifact = self.artifacts.get(id)?;
        serde_json::from_value(artifact.properties.clone()?).ok()
    }
}

fn invalid(path: &Path, message: impl Into<String>) -> ReadAssemblyError {
    ReadAssemblyError::Invalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReadAssemblyError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadAssemblyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, format!("not a valid Cloud Assembly file: {e}")))
}

fn environment(uri: Option<&str>) -> Environment {
    uri.and_then(Environment::from_uri).unwrap_or_default()
}

impl CloudAssembly {
    /// Reads an assembly directory (ours, or one the AWS CDK wrote with a
    /// manifest schema up to [`MAX_READ_MANIFEST_MAJOR`]): its stacks, in
    /// dependency order, with their templates. Nested assemblies (CDK stages)
    /// are refused.
    pub fn read(dir: &Path) -> Result<CloudAssembly, ReadAssemblyError> {
        let path = dir.join("manifest.json");
        if !dir.is_dir() {
            return Err(invalid(
                dir,
                "is not a directory: --app takes a Cloud Assembly directory (e.g. cdk.out, written by `synth`)",
            ));
        }
        let manifest: AssemblyManifest = read_json(&path)?;
        let major = manifest.version.split('.').next().and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(m) if m <= MAX_READ_MANIFEST_MAJOR => {}
            Some(_) => {
                return Err(ReadAssemblyError::NewerSchema {
                    path,
                    version: manifest.version,
                })
            }
            None => {
                return Err(invalid(
                    &path,
                    format!("version '{}' is not a schema version", manifest.version),
                ))
            }
        }
        let mut stacks = Vec::new();
        let mut annotations = Vec::new();
        for (id, artifact) in &manifest.artifacts {
            match artifact.artifact_type.as_str() {
                "aws:cloudformation:stack" => {}
                "cdk:cloud-assembly" => {
                    return Err(invalid(
                        &path,
                        format!("artifact '{id}' is a nested assembly (a CDK stage), which this tool does not deploy"),
                    ))
                }
                _ => continue,
            }
            let properties: StackProperties = artifact
                .properties
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| invalid(&path, format!("artifact '{id}': {e}")))?
                .ok_or_else(|| invalid(&path, format!("artifact '{id}' has no properties")))?;
            annotations.extend(annotations_of(&artifact.metadata));
            let template_path = dir.join(&properties.template_file);
            let template: Json = read_json(&template_path)?;
            stacks.push(SynthesizedStack {
                artifact_id: id.clone(),
                path: id.clone(),
                stack_name: properties.stack_name.clone().unwrap_or_else(|| id.clone()),
                template,
                dependencies: artifact.dependencies.clone(),
                dependency_reasons: Vec::new(),
                assets: Vec::new(),
                environment: environment(artifact.environment.as_deref()),
                synthesizer: Synthesizer::default(),
                termination_protection: properties.termination_protection.unwrap_or(false),
                bootstrap: properties
                    .bootstrap_stack_version_ssm_parameter
                    .as_deref()
                    .and_then(BootstrapNames::from_version_parameter)
                    .unwrap_or_default(),
                logical_ids: Vec::new(),
            });
        }
        let ids: Vec<String> = stacks.iter().map(|s| s.artifact_id.clone()).collect();
        for s in &mut stacks {
            // Dependencies on asset manifests are not stacks.
            s.dependencies.retain(|d| ids.contains(d));
        }
        let stacks =
            dependency_order(stacks).map_err(|cycle| invalid(&path, format!("stack dependency cycle: {cycle}")))?;
        Ok(CloudAssembly {
            directory: dir.to_path_buf(),
            synthesis: Synthesis {
                stacks,
                tree: ConstructTree::default(),
                annotations,
                missing: manifest.missing.clone(),
            },
        })
    }
}

/// The warnings and infos of an artifact's metadata (as `synth` wrote them, or the CDK).
fn annotations_of(metadata: &IndexMap<String, Vec<Json>>) -> Vec<Annotation> {
    let mut out = Vec::new();
    for (path, entries) in metadata {
        for e in entries {
            let level = match e.get("type").and_then(Json::as_str) {
                Some("aws:cdk:warning") => AnnotationLevel::Warning,
                Some("aws:cdk:info") => AnnotationLevel::Info,
                Some("aws:cdk:error") => AnnotationLevel::Error,
                _ => continue,
            };
            let data = e.get("data").and_then(Json::as_str).unwrap_or_default();
            let (message, id) = match data.rsplit_once(" [ack: ") {
                Some((m, rest)) if rest.ends_with(']') => (m.to_owned(), Some(rest.trim_end_matches(']').to_owned())),
                _ => (data.to_owned(), None),
            };
            out.push(Annotation {
                level,
                path: path.trim_start_matches('/').to_owned(),
                message,
                id,
            });
        }
    }
    out
}

/// The stacks with each after those it depends on, otherwise in manifest order.
fn dependency_order(mut pending: Vec<SynthesizedStack>) -> Result<Vec<SynthesizedStack>, String> {
    let mut out: Vec<SynthesizedStack> = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|s| s.dependencies.iter().all(|d| out.iter().any(|o| &o.artifact_id == d)))
            .ok_or_else(|| {
                pending
                    .iter()
                    .map(|s| s.artifact_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })?;
        out.push(pending.remove(ready));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, CfnResource, Stack, StackProps};

    #[test]
    fn reads_back_what_synth_wrote() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = App::new();
        let a = Stack::new(&app, "A", StackProps::default());
        let topic = CfnResource::new(&a, "Topic", "AWS::SNS::Topic");
        let b = Stack::new(
            &app,
            "B",
            StackProps {
                stack_name: Some("bee".into()),
                termination_protection: true,
                ..Default::default()
            },
        );
        let p = CfnResource::new(&b, "P", "AWS::SSM::Parameter");
        p.set("Type", "String");
        p.set("Value", topic.get_att("TopicName"));
        let written = app.synth_to(&dir.path().join("out")).expect("synth");
        let read = CloudAssembly::read(&written.directory).expect("read");
        let ids: Vec<&str> = read.synthesis.stacks.iter().map(|s| s.artifact_id.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
        let bee = read.stack("bee").expect("by stack name");
        assert_eq!(bee.dependencies, ["A"]);
        assert!(bee.termination_protection);
        assert_eq!(bee.template, written.stack("B").expect("B").template);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = CloudAssembly::read(dir.path()).expect_err("no manifest");
        assert!(err.to_string().contains("manifest.json"), "{err}");
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"version": "99.0.0", "artifacts": {}}"#,
        )
        .expect("write");
        let err = CloudAssembly::read(dir.path()).expect_err("too new");
        assert!(err.to_string().contains("schema 99.0.0 is newer"), "{err}");
        let file = dir.path().join("manifest.json");
        let err = CloudAssembly::read(&file).expect_err("a file");
        assert!(err.to_string().contains("not a directory"), "{err}");
        assert_eq!(
            environment(Some("aws://unknown-account/eu-west-1")).region.as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(environment(Some("aws://unknown-account/eu-west-1")).account, None);
    }
}
