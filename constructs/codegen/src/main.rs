//! `cargo run -p cfn-codegen [-- SCHEMAS_DIR]`: regenerates `constructs/src/cfn/generated/`
//! and the `cfn-*` features of `constructs/Cargo.toml` from the registry schemas
//! (by default those of the cfn-lint in the workspace's `.venv-tools`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn run() -> Result<String, String> {
    let constructs = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = constructs.join("..");
    let schemas = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => cfn_codegen::default_schemas_dir(&workspace).ok_or(
            "no schemas found: install cfn-lint into .venv-tools (pip install -r tests/harness/requirements-tools.txt), \
             or pass the directory `…/site-packages/cfnlint/data/schemas`",
        )?,
    };
    let out = cfn_codegen::generate(&schemas).map_err(|e| e.to_string())?;
    let dir = constructs.join("src/cfn/generated");
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    for (name, text) in &out.files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }
    let manifest = constructs.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).map_err(|e| io(&manifest, e))?;
    let toml = cfn_codegen::with_features(&toml, &out.features).ok_or_else(|| {
        format!(
            "{}: the generated features block is missing; add the lines `{}` and `{}` under [features]",
            manifest.display(),
            cfn_codegen::FEATURES_BEGIN,
            cfn_codegen::FEATURES_END
        )
    })?;
    std::fs::write(&manifest, toml).map_err(|e| io(&manifest, e))?;
    Ok(format!(
        "generated {} resource types ({} property types, {} enums) in {} files from {}",
        out.resource_types,
        out.property_types,
        out.enums,
        out.files.len(),
        schemas.display()
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cfn-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
