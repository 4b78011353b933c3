//! The workspace's dependency graph stays lean: what `cargo run -p app -- synth`
//! and the Lambda build compile on a fresh machine (README, "Benchmarks").

use crate::support;

/// The `(name, version)` of every package in `Cargo.lock`.
fn locked_packages() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(support::workspace().join("Cargo.lock")).expect("Cargo.lock");
    let field = |block: &str, key: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .map(|v| v.trim_end_matches('"').to_owned())
    };
    lock.split("[[package]]")
        .filter_map(|block| Some((field(block, "name")?, field(block, "version")?)))
        .collect()
}

#[test]
fn no_aws_lc_and_no_legacy_http_client_in_the_build() {
    let packages = locked_packages();
    assert!(packages.len() > 100, "read {} packages", packages.len());
    assert!(packages.iter().any(|(n, _)| n == "ring"), "TLS is rustls on ring");
    // aws-lc-sys is a long C build (the SDK's default TLS crypto); hyper 0.14 and
    // rustls 0.21 come with aws-config's legacy client. A crate that turns the
    // SDK's `default-https-client` or `rustls` feature back on brings them back.
    for (name, version) in [
        ("aws-lc-sys", ""),
        ("aws-lc-rs", ""),
        ("hyper", "0."),
        ("rustls", "0.21"),
    ] {
        assert!(
            !packages.iter().any(|(n, v)| n == name && v.starts_with(version)),
            "{name} {version} is back in Cargo.lock: find who enables it with `cargo tree -i {name}`"
        );
    }
}
