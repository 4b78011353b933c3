//! `<stack>.assets.json`, the asset manifest of a stack (the CDK's schema):
//! each file asset, where it comes from in the assembly and where it is
//! published. Typed, for the deploy engine and for any tool reading an
//! assembly ours or the AWS CDK wrote.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value as Json;

use super::assembly_reader::ReadAssemblyError;

/// An asset manifest.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetManifest {
    /// The schema version, e.g. `36.0.0`.
    pub version: String,
    /// File assets by id (the source's hash).
    #[serde(default)]
    pub files: IndexMap<String, FileAssetEntry>,
    /// Container image assets by id (kept untyped: not published by this tool).
    #[serde(default)]
    pub docker_images: IndexMap<String, Json>,
}

/// One file asset.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileAssetEntry {
    /// A name for messages (the CDK writes e.g. `WebAppStack Template`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Where the content comes from.
    pub source: FileAssetSource,
    /// Where it is published, by destination id (`ACCOUNT-REGION`).
    #[serde(default)]
    pub destinations: IndexMap<String, FileAssetDestination>,
}

/// The source of a file asset.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileAssetSource {
    /// The file or directory, relative to the assembly directory.
    #[serde(default)]
    pub path: Option<String>,
    /// How the path is packaged. Default: [`FileAssetPackaging::File`].
    #[serde(default)]
    pub packaging: FileAssetPackaging,
    /// A command that writes the content (not run by this tool).
    #[serde(default)]
    pub executable: Option<Vec<String>>,
}

/// How a file asset's path is packaged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileAssetPackaging {
    /// The file as it is.
    #[default]
    File,
    /// A directory zipped at publish time (a `.zip` file as it is).
    Zip,
}

/// Where a file asset is published.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileAssetDestination {
    /// The bucket, with `${AWS::AccountId}`, `${AWS::Region}`, `${AWS::Partition}` placeholders.
    pub bucket_name: String,
    /// The object key.
    pub object_key: String,
    /// The bucket's region. Default: the deploy's.
    #[serde(default)]
    pub region: Option<String>,
    /// The role to publish as (the bootstrap's file-publishing role).
    #[serde(default)]
    pub assume_role_arn: Option<String>,
    /// The external id to assume it with.
    #[serde(default)]
    pub assume_role_external_id: Option<String>,
}

impl AssetManifest {
    /// Reads an asset manifest file.
    pub fn read(path: &Path) -> Result<AssetManifest, ReadAssemblyError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReadAssemblyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| ReadAssemblyError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a valid asset manifest: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cdks_asset_manifests_of_the_seed_read_typed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/it/fixtures/cdk-seed001");
        let m = AssetManifest::read(&dir.join("LambdaFunctionsStack.assets.json")).unwrap_or_else(|e| panic!("{e}"));
        let zips = m
            .files
            .values()
            .filter(|f| f.source.packaging == FileAssetPackaging::Zip)
            .count();
        assert_eq!(zips, 14, "the 14 Node.js bundles");
        let template = m
            .files
            .values()
            .find(|f| f.source.path.as_deref() == Some("LambdaFunctionsStack.template.json"))
            .expect("the template is an asset");
        let d = template.destinations.values().next().expect("a destination");
        assert_eq!(d.bucket_name, "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}");
        assert!(d
            .assume_role_arn
            .as_deref()
            .is_some_and(|r| r.contains("file-publishing-role")));
        assert!(m.docker_images.is_empty());

        let bad = tempfile::tempdir().expect("temp dir");
        let path = bad.path().join("S.assets.json");
        std::fs::write(
            &path,
            r#"{"version": "36.0.0", "files": {"h": {"source": {"path": "a", "packaging": "tar"}}}}"#,
        )
        .expect("write");
        let err = AssetManifest::read(&path).expect_err("unknown packaging").to_string();
        assert!(err.contains("S.assets.json") && err.contains("tar"), "{err}");
    }
}
