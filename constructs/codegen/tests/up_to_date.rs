//! The checked-in L1 layer is exactly what the generator makes of the pinned schemas.

use std::path::Path;

#[test]
fn checked_in_output_is_a_fresh_generation() {
    let constructs = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Some(schemas) = cfn_codegen::default_schemas_dir(&constructs.join("..")) else {
        assert!(
            std::env::var("REQUIRE_TOOLS").as_deref() != Ok("1"),
            "the cfn-lint schemas are required (REQUIRE_TOOLS=1) but .venv-tools has no cfn-lint"
        );
        eprintln!("skipping: cfn-lint is not installed in .venv-tools (run .ci/run, or set REQUIRE_TOOLS=1 to make this a failure)");
        return;
    };
    let out = cfn_codegen::generate(&schemas).unwrap_or_else(|e| panic!("{e}"));
    let dir = constructs.join("src/cfn/generated");
    let stale = "is not a fresh generation: run `cargo run -p cfn-codegen` and commit the result";
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    on_disk.sort();
    let generated: Vec<String> = out.files.keys().cloned().collect();
    assert_eq!(on_disk, generated, "the files of {} differ: it {stale}", dir.display());
    for (name, text) in &out.files {
        let path = dir.join(name);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(checked_in == *text, "{} {stale}", path.display());
    }
    let manifest = constructs.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    assert!(
        cfn_codegen::with_features(&toml, &out.features).as_deref() == Some(toml.as_str()),
        "the cfn features of {} are not a fresh generation: run `cargo run -p cfn-codegen`",
        manifest.display()
    );
    assert!(out.resource_types > 1000, "{} resource types", out.resource_types);
}
