//! File assets: files (e.g. Lambda zips) that deploy publishes to the bootstrap bucket.

use std::io::Write;
use std::path::PathBuf;

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use super::bootstrap_names::BootstrapNames;
use super::value::Value;

/// A file registered with a stack, named by the sha256 of its content.
#[derive(Clone, Debug)]
pub struct FileAsset {
    /// The file to copy into the assembly.
    pub source: PathBuf,
    /// The sha256 (hex) of the content: the asset's identity and object key.
    pub hash: String,
    /// A name for people, e.g. the construct path of the function.
    pub display_name: String,
    /// The extension of the file, with the dot (e.g. `.zip`).
    pub extension: String,
}

/// Where a file asset lives once published.
#[derive(Clone, Debug)]
pub struct AssetLocation {
    /// The bucket, `cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}` as `Fn::Sub`.
    pub bucket_name: Value,
    /// The object key, `<sha256><extension>`.
    pub object_key: String,
}

impl FileAsset {
    /// The file name inside the assembly, `asset.<hash><extension>`.
    pub fn assembly_file_name(&self) -> String {
        format!("asset.{}{}", self.hash, self.extension)
    }

    /// The object key in the asset bucket.
    pub fn object_key(&self) -> String {
        format!("{}{}", self.hash, self.extension)
    }

    pub(crate) fn location(&self, names: &BootstrapNames) -> AssetLocation {
        AssetLocation {
            bucket_name: Value::sub(names.asset_bucket(), IndexMap::new()),
            object_key: self.object_key(),
        }
    }
}

/// The sha256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_digest(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
pub(crate) fn hex_digest(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One file to put into a deterministic zip.
pub struct ZipEntry<'a> {
    /// The name inside the archive.
    pub name: &'a str,
    /// The content.
    pub content: &'a [u8],
    /// The Unix mode, e.g. `0o755` for an executable.
    pub mode: u32,
}

/// Packs files into a zip that is byte-identical for identical input:
/// entries sorted by name, every timestamp 1980-01-01 00:00, fixed modes.
pub fn deterministic_zip(entries: &mut [ZipEntry<'_>]) -> zip::result::ZipResult<Vec<u8>> {
    entries.sort_by(|a, b| a.name.cmp(b.name));
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries.iter() {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(e.mode);
        writer.start_file(e.name, options)?;
        writer.write_all(e.content)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_is_deterministic_and_keeps_the_mode() {
        let make = |order: bool| {
            let mut entries = vec![
                ZipEntry {
                    name: "bootstrap",
                    content: b"binary",
                    mode: 0o755,
                },
                ZipEntry {
                    name: "a.txt",
                    content: b"text",
                    mode: 0o644,
                },
            ];
            if order {
                entries.reverse();
            }
            deterministic_zip(&mut entries).unwrap_or_default()
        };
        let a = make(false);
        let b = make(true);
        assert!(!a.is_empty());
        assert_eq!(sha256_hex(&a), sha256_hex(&b));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(a)).expect("valid zip");
        let f = archive.by_name("bootstrap").expect("bootstrap entry");
        assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o755));
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
