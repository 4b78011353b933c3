//! Asset publishing: the files of a stack's asset manifest (`X.assets.json`),
//! the template included, copied to the bootstrap bucket.
//!
//! An object that already exists is skipped. Existence is checked with
//! ListObjectsV2 (Prefix = key, MaxKeys = 1) rather than HeadObject, as the CDK
//! does, and objects of 22 bytes or less (an empty zip) do not count.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;

use super::error::DeployError;
use super::stack::Run;
use crate::core::{deterministic_zip, AssetManifest, FileAssetPackaging, ZipEntry};

/// Objects this small are an empty zip, not a published asset.
const EMPTY_ZIP_SIZE: i64 = 22;

/// How the source becomes the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packaging {
    /// The file as it is.
    File,
    /// A directory zipped (deterministically) at publish time, or a file as it is.
    Zip,
}

/// One file of an asset manifest with one destination.
#[derive(Clone, Debug)]
pub(crate) struct AssetJob {
    /// The stack whose manifest lists it.
    pub stack: String,
    /// A name for people.
    pub display_name: String,
    /// The source, absolute.
    pub source: PathBuf,
    pub packaging: Packaging,
    /// The bucket; `${AWS::AccountId}`, `${AWS::Region}`, `${AWS::Partition}` until [`AssetJob::resolve`].
    pub bucket: String,
    pub key: String,
    /// The destination region, when not the deploy's.
    pub region: Option<String>,
    /// The role to publish as (`assumeRoleArn`, placeholders until resolved) and its external id.
    pub assume_role: Option<(String, Option<String>)>,
}

impl AssetJob {
    /// True when the bucket, key or role still has `${AWS::AccountId}`.
    pub fn needs_account(&self) -> bool {
        let role = self
            .assume_role
            .as_ref()
            .map(|(arn, _)| arn.as_str())
            .unwrap_or_default();
        [self.bucket.as_str(), &self.key, role]
            .iter()
            .any(|s| s.contains("${AWS::AccountId}"))
    }

    /// Fills in the placeholders.
    pub fn resolve(&mut self, account: &str, region: &str, partition: &str) {
        let region = self.region.clone().unwrap_or_else(|| region.to_owned());
        let role = self.assume_role.as_mut().map(|(arn, _)| arn);
        for s in [&mut self.bucket, &mut self.key].into_iter().chain(role) {
            *s = s
                .replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", &region)
                .replace("${AWS::Partition}", partition);
        }
    }
}

fn invalid(stack: &str, file: &str, message: impl Into<String>) -> DeployError {
    DeployError::InvalidAssembly {
        stack: stack.to_owned(),
        file: file.to_owned(),
        message: message.into(),
    }
}

/// Reads `<artifact>.assets.json` from the assembly; no file means no assets.
pub(crate) fn read_manifest(dir: &Path, artifact_id: &str) -> Result<Vec<AssetJob>, DeployError> {
    let file = format!("{artifact_id}.assets.json");
    let path = dir.join(&file);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let manifest = AssetManifest::read(&path).map_err(|e| invalid(artifact_id, &file, e.to_string()))?;
    if !manifest.docker_images.is_empty() {
        return Err(invalid(
            artifact_id,
            &file,
            "has docker image assets, which this deploy does not publish",
        ));
    }
    let mut jobs = Vec::new();
    for (id, asset) in &manifest.files {
        let Some(rel) = asset.source.path.as_deref() else {
            return Err(invalid(
                artifact_id,
                &file,
                format!("asset {id} has no source.path (executable sources are not supported)"),
            ));
        };
        let packaging = match asset.source.packaging {
            FileAssetPackaging::File => Packaging::File,
            FileAssetPackaging::Zip => Packaging::Zip,
        };
        let display_name = asset.display_name.clone().unwrap_or_else(|| id.clone());
        for d in asset.destinations.values() {
            jobs.push(AssetJob {
                stack: artifact_id.to_owned(),
                display_name: display_name.clone(),
                source: dir.join(rel),
                packaging,
                bucket: d.bucket_name.clone(),
                key: d.object_key.clone(),
                region: d.region.clone(),
                assume_role: d
                    .assume_role_arn
                    .clone()
                    .map(|arn| (arn, d.assume_role_external_id.clone())),
            });
        }
    }
    Ok(jobs)
}

fn asset_error(asset: &AssetJob, message: impl Into<String>) -> DeployError {
    DeployError::Asset {
        stack: asset.stack.clone(),
        asset: asset.display_name.clone(),
        message: message.into(),
    }
}

/// Publishes one asset unless its object exists. Returns true when it uploaded.
pub(crate) async fn publish(run: &Run, asset: &AssetJob) -> Result<bool, DeployError> {
    let s3 = match &asset.region {
        Some(r) if *r != run.clients.region => run.clients.s3_for(Some(r)),
        _ => run.clients.s3.clone(),
    };
    let listed = s3
        .list_objects_v2()
        .bucket(&asset.bucket)
        .prefix(&asset.key)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| {
            let base = s3_error("S3.ListObjectsV2", asset, &e);
            if e.as_service_error().is_some_and(|s| s.is_no_such_bucket()) {
                asset_error(
                    asset,
                    format!("the bucket {} does not exist; run `bootstrap` first", asset.bucket),
                )
            } else {
                base
            }
        })?;
    let exists = listed
        .contents()
        .iter()
        .any(|o| o.key() == Some(asset.key.as_str()) && o.size().unwrap_or(0) > EMPTY_ZIP_SIZE);
    if exists {
        return Ok(false);
    }
    let body = if asset.packaging == Packaging::Zip && asset.source.is_dir() {
        ByteStream::from(zip_directory(&asset.source).map_err(|m| asset_error(asset, m))?)
    } else {
        ByteStream::from_path(&asset.source)
            .await
            .map_err(|e| asset_error(asset, format!("cannot read {}: {e}", asset.source.display())))?
    };
    let content_type = match Path::new(&asset.key).extension().and_then(|e| e.to_str()) {
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    s3.put_object()
        .bucket(&asset.bucket)
        .key(&asset.key)
        .content_type(content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| s3_error("S3.PutObject", asset, &e))?;
    Ok(true)
}

/// An S3 error about an asset: a bare HTTP 403 (S3 answers some refusals
/// without a body, hence without a code) is access denied too.
fn s3_error<E>(
    operation: &'static str,
    asset: &AssetJob,
    err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> DeployError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let status = err.raw_response().map(|r| r.status().as_u16());
    if err.code().is_none() && status == Some(403) {
        return DeployError::AccessDenied {
            stack: Some(asset.stack.clone()),
            operation,
            resource: Some(asset_bucket(asset)),
            message: "HTTP 403 Forbidden".to_owned(),
        };
    }
    DeployError::aws_on(operation, Some(&asset.stack), &asset_bucket(asset), err)
}

/// The asset bucket as messages name it, with what to check when it refuses a request.
fn asset_bucket(asset: &AssetJob) -> String {
    format!(
        "the asset bucket {} (key {}; is it this account's bootstrap bucket, and may the identity \
         deploying list and write it?)",
        asset.bucket, asset.key
    )
}

/// Zips a directory deterministically (sorted entries, fixed timestamps, modes kept).
fn zip_directory(dir: &Path) -> Result<Vec<u8>, String> {
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let path = entry.path();
            // Follows symlinks, as the CDK does.
            let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .map_err(|e| e.to_string())?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let content = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            files.push((rel, content, file_mode(&meta)));
        }
    }
    let mut entries: Vec<ZipEntry<'_>> = files
        .iter()
        .map(|(name, content, mode)| ZipEntry {
            name,
            content,
            mode: *mode,
        })
        .collect();
    deterministic_zip(&mut entries).map_err(|e| format!("cannot zip {}: {e}", dir.display()))
}

#[cfg(unix)]
fn file_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn file_mode(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_manifest_and_resolves_placeholders() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = serde_json::json!({
            "version": "36.0.0",
            "files": {
                "abc": {
                    "displayName": "Fn/Code",
                    "source": {"path": "asset.abc.zip", "packaging": "file"},
                    "destinations": {"current_account-current_region": {
                        "bucketName": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}",
                        "objectKey": "abc.zip",
                        "assumeRoleArn": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"
                    }}
                }
            },
            "dockerImages": {}
        });
        std::fs::write(dir.path().join("S.assets.json"), manifest.to_string()).expect("write");
        let mut jobs = read_manifest(dir.path(), "S").expect("manifest");
        assert_eq!(jobs.len(), 1);
        assert!(jobs[0].needs_account());
        jobs[0].resolve("123456789012", "eu-west-1", "aws");
        assert_eq!(jobs[0].bucket, "cdk-hnb659fds-assets-123456789012-eu-west-1");
        assert_eq!(jobs[0].key, "abc.zip");
        assert_eq!(jobs[0].display_name, "Fn/Code");
        assert!(read_manifest(dir.path(), "Other").expect("no manifest").is_empty());
    }

    #[test]
    fn directory_zips_are_deterministic() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("b.txt"), "b").expect("write");
        std::fs::write(dir.path().join("sub/a.txt"), "a").expect("write");
        let a = zip_directory(dir.path()).expect("zip");
        let b = zip_directory(dir.path()).expect("zip");
        assert_eq!(a, b);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(a)).expect("valid zip");
        assert!(archive.by_name("sub/a.txt").is_ok());
    }
}
