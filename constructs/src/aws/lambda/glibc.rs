//! The glibc a Linux binary needs: the highest `GLIBC_x.y` in its ELF version needs.
//!
//! Lambda's `provided.al2023` runtime has glibc 2.34; a binary linked against
//! a newer symbol version fails at start with "version `GLIBC_2.35' not found".

use std::fmt;

use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::FileHeader;
use object::Endianness;

/// The newest glibc the `provided.al2023` runtime has.
pub const MAX_GLIBC: GlibcVersion = GlibcVersion { major: 2, minor: 34 };

/// A glibc symbol version such as `GLIBC_2.34`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion {
    /// The major version (2 for every glibc in use).
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl GlibcVersion {
    /// Parses a version-need name such as `GLIBC_2.34` (`GLIBC_PRIVATE` and
    /// other names give `None`).
    pub fn parse(name: &str) -> Option<GlibcVersion> {
        let rest = name.strip_prefix("GLIBC_")?;
        let mut parts = rest.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(GlibcVersion { major, minor })
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GLIBC_{}.{}", self.major, self.minor)
    }
}

/// Why the glibc requirement of a file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the ELF version needs: {0}")]
pub struct ElfError(String);

/// The glibc versions an ELF binary needs (from `.gnu.version_r`), sorted and
/// without duplicates. Empty for a static binary.
pub fn glibc_versions(elf: &[u8]) -> Result<Vec<GlibcVersion>, ElfError> {
    let mut names = match elf.get(4) {
        Some(1) => version_needs::<FileHeader32<Endianness>>(elf)?,
        Some(2) => version_needs::<FileHeader64<Endianness>>(elf)?,
        _ => return Err(ElfError("not an ELF file".into())),
    };
    names.sort();
    names.dedup();
    Ok(names)
}

/// The newest glibc version an ELF binary needs, `None` when it needs none.
pub fn glibc_requirement(elf: &[u8]) -> Result<Option<GlibcVersion>, ElfError> {
    Ok(glibc_versions(elf)?.last().copied())
}

fn version_needs<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Result<Vec<GlibcVersion>, ElfError> {
    let err = |e: object::read::Error| ElfError(e.to_string());
    let header = Elf::parse(data).map_err(err)?;
    let endian = header.endian().map_err(err)?;
    let sections = header.sections(endian, data).map_err(err)?;
    let mut out = Vec::new();
    let Some((mut needs, link)) = sections.gnu_verneed(endian, data).map_err(err)? else {
        return Ok(out);
    };
    let strings = sections.strings(endian, data, link).map_err(err)?;
    while let Some((_, mut aux)) = needs.next().map_err(err)? {
        while let Some(entry) = aux.next().map_err(err)? {
            let name = entry.name(endian, strings).map_err(err)?;
            if let Some(v) = std::str::from_utf8(name).ok().and_then(GlibcVersion::parse) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_versions() {
        let a = GlibcVersion::parse("GLIBC_2.34");
        let b = GlibcVersion::parse("GLIBC_2.4");
        assert_eq!(a, Some(GlibcVersion { major: 2, minor: 34 }));
        assert!(b < a);
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::parse("GCC_3.0"), None);
        assert_eq!(MAX_GLIBC.to_string(), "GLIBC_2.34");
    }

    #[test]
    fn reads_the_needs_of_this_test_binary() {
        let exe = std::env::current_exe().expect("test binary path");
        let bytes = std::fs::read(exe).expect("read test binary");
        let versions = glibc_versions(&bytes).expect("an ELF file");
        // Every dynamically linked Rust binary on glibc needs at least GLIBC_2.2.5 (x86_64) or 2.17 (arm64).
        assert!(!versions.is_empty());
        assert!(versions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn rejects_what_is_not_elf() {
        assert!(glibc_versions(b"PK\x03\x04 not an elf").is_err());
        assert!(glibc_versions(b"\x7fELF").is_err());
    }
}
