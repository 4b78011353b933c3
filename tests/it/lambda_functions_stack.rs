//! `LambdaFunctionsStack` and Rust Lambda bundling: the template snapshot,
//! golden logical IDs, least-privilege policies, cfn-lint, and real
//! cargo-lambda builds of a tiny crate (identical zips, cache, glibc, errors).

use std::fs;
use std::path::{Path, PathBuf};

use app::lambda_functions_stack::{handler_binary, LambdaFunctionsStack, LambdaFunctionsStackProps};
use constructs::assertions::{Annotations, Capture, Match, Template};
use constructs::aws::lambda::glibc::{glibc_requirement, MAX_GLIBC};
use constructs::aws::lambda::{
    Architecture, BuildTool, BundleProfile, Code, Function, FunctionProps, OptLevel, RustBinary,
};
use constructs::core::{deterministic_zip, sha256_hex, App, Pseudo, Stack, StackProps, Tags, ZipEntry};
use serde_json::{json, Value as Json};

use crate::support;

const STACK: &str = "LambdaFunctionsStack";

/// A stand-in package for template tests: a zip with an executable `bootstrap`.
fn fixture_zip(dir: &Path) -> (PathBuf, String) {
    let zip = deterministic_zip(&mut [ZipEntry {
        name: "bootstrap",
        content: b"#!/bin/sh\necho template tests only\n",
        mode: 0o755,
    }])
    .expect("zip");
    let path = dir.join("bootstrap.zip");
    fs::write(&path, &zip).expect("write fixture zip");
    (path, sha256_hex(&zip))
}

/// The stack as `app::build` makes it, with the code from `code`.
fn build_stack(app: &App, code: Code) -> LambdaFunctionsStack {
    let s = LambdaFunctionsStack::new(
        app,
        STACK,
        LambdaFunctionsStackProps {
            code,
            ..Default::default()
        },
    );
    Tags::of(s.stack()).add("stackId", Pseudo::StackId);
    s
}

/// Synthesizes the stack with the fixture zip; returns the template with the
/// zip's hash replaced by `<asset-hash>` (the snapshot is about the template).
fn template() -> (Json, String) {
    let dir = tempfile::tempdir().expect("dir");
    let (zip, hash) = fixture_zip(dir.path());
    let app = App::with_context(support::app_context());
    build_stack(&app, Code::from_zip_file(zip));
    let synthesis = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let stack = synthesis
        .stacks
        .iter()
        .find(|s| s.artifact_id == STACK)
        .expect("the stack");
    assert_eq!(stack.assets.len(), 1, "one asset for all 14 functions");
    let text = serde_json::to_string(&stack.template)
        .expect("json")
        .replace(&hash, "<asset-hash>");
    (serde_json::from_str(&text).expect("json"), hash)
}

#[test]
fn template_matches_the_snapshot() {
    let (t, _) = template();
    insta::assert_json_snapshot!("lambda_functions_stack", t);
}

#[test]
fn logical_ids_match_the_cdk_seed_app() {
    let (t, _) = template();
    let tsv = include_str!("fixtures/cdk-logical-ids-seed001.tsv");
    let mut checked = 0;
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, id, ty] = cols[..] else { continue };
        if !path.starts_with(&format!("{STACK}/")) {
            continue;
        }
        let resource = &t["Resources"][id];
        assert_eq!(resource["Type"], ty, "{path}: no {ty} with logical id {id}");
        assert_eq!(resource["Metadata"]["aws:cdk:path"], path, "{id}");
        checked += 1;
    }
    assert_eq!(checked, 25, "the TSV has 25 rows for {STACK}");
}

#[test]
fn every_function_runs_the_one_handler_binary_with_its_handler() {
    let t = Template::from_json(template().0);
    t.resource_count_is("AWS::Lambda::Function", 14);
    let handler = Capture::new();
    t.all_resources(
        "AWS::Lambda::Function",
        json!({
            "Properties": {
                "Handler": handler,
                "Runtime": "provided.al2023",
                "Code": {
                    "S3Key": "<asset-hash>.zip",
                    "S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
                },
                "Environment": {"Variables": {"ACCOUNT_ID": {"Ref": "AWS::AccountId"}}},
            },
            "Metadata": {"aws:asset:property": "Code"},
        }),
    );
    let mut handlers: Vec<String> = handler
        .values()
        .iter()
        .map(|h| h.as_str().unwrap_or_default().to_owned())
        .collect();
    handlers.sort_unstable();
    assert_eq!(
        handlers,
        [
            "create-alb-rule",
            "delete-alb-rule",
            "describe-db-cluster",
            "describe-ec2-instance",
            "describe-run-command-result",
            "describe-status-ec2-instance",
            "describe-target-health",
            "notice-slack",
            "run-command",
            "start-backup-job",
            "start-db-cluster",
            "start-ec2-instance",
            "stop-db-cluster",
            "stop-ec2-instance",
        ]
    );
}

#[test]
fn the_slack_webhook_is_read_from_ssm_and_only_that_parameter_is_readable() {
    let t = Template::from_json(template().0);
    t.has_resource_properties(
        "AWS::Lambda::Function",
        json!({
            "Handler": "notice-slack",
            "Environment": {"Variables": {
                "HOOK_URL_PARAMETER_NAME": "/webapp/slack/hook-url",
                "SLACK_USER_ID": "U0000000000",
                // The webhook URL must not be in the template.
                "HOOK_URL": Match::absent(),
            }},
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{"Ref": Match::string_like_regexp("^NoticeSlackFunctionServiceRole")}],
            "PolicyDocument": {"Statement": Match::exact(json!([{
                "Action": "ssm:GetParameter",
                "Effect": "Allow",
                "Resource": {"Fn::Join": ["", [
                    "arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, ":",
                    {"Ref": "AWS::AccountId"}, ":parameter/webapp/slack/hook-url"
                ]]}
            }]))},
        }),
    );
}

#[test]
fn the_backup_policy_passes_only_the_backup_service_role() {
    let t = Template::from_json(template().0);
    let pass_role = json!({
        "Action": "iam:PassRole",
        "Resource": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"},
            ":role/service-role/AWSBackupDefaultServiceRole"
        ]]},
        "Condition": Match::exact(json!({"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}})),
    });
    t.template_matches(
        json!({"Resources": {"LambdaBackupIamPolicyEA1B8156": {"Properties": {"PolicyDocument": {
            // One PassRole statement, on that role only.
            "Statement": Match::array_with(json!([pass_role])),
        }}}}}),
    );
    t.template_matches(
        json!({"Resources": {"LambdaBackupIamPolicyEA1B8156": {"Properties": {"PolicyDocument": {
            "Statement": Match::not(Match::array_with(json!([{"Action": "iam:PassRole"}, {"Action": "iam:PassRole"}]))),
        }}}}}),
    );
    let text = t.to_json()["Resources"]["LambdaBackupIamPolicyEA1B8156"].to_string();
    assert!(!text.contains("LambdaAlbIamRole"), "{text}");
}

#[test]
fn the_context_sets_the_parameter_and_a_missing_user_id_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let (zip, _) = fixture_zip(dir.path());
    let mut context = support::app_context();
    context.insert("hook-url-parameter".into(), json!("/other/hook"));
    let app = App::with_context(context);
    let s = build_stack(&app, Code::from_zip_file(&zip));
    Template::from_stack(s.stack()).has_resource_properties(
        "AWS::Lambda::Function",
        json!({"Handler": "notice-slack", "Environment": {"Variables": {"HOOK_URL_PARAMETER_NAME": "/other/hook"}}}),
    );

    let app = App::new();
    let s = build_stack(&app, Code::from_zip_file(&zip));
    Annotations::from_stack(s.stack()).has_error(
        "LambdaFunctionsStack/NoticeSlackFunction",
        Match::string_like_regexp("^context value 'slack-user-id' is required"),
    );
}

#[test]
fn skipped_bundling_keeps_a_stable_placeholder_and_no_asset() {
    let (_dir, assembly) = support::synth(app::build);
    let stack = assembly.stack(STACK).expect("the stack");
    assert!(stack.assets.is_empty());
    let key = format!("{}.zip", sha256_hex(b"skipped:lambdas/bootstrap (x86_64, release)"));
    Template::from_json(stack.template.clone()).template_matches(
        json!({"Resources": {"StopEc2InstanceFunction46E84D48": {
            "Properties": {"Code": {"S3Key": key}},
            "Metadata": {"aws:asset:is-bundled": false},
        }}}),
    );
}

#[test]
fn the_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().expect("dir");
    let (zip, _) = fixture_zip(dir.path());
    let app = App::with_context(support::app_context());
    build_stack(&app, Code::from_zip_file(zip));
    let out = dir.path().join("cdk.out");
    app.synth_to(&out).unwrap_or_else(|e| panic!("{e}"));
    let Some(lint) = support::cfn_lint(&[out.join(format!("{STACK}.template.json"))]) else {
        return;
    };
    lint.assert_clean();
}

// --- Real builds with cargo-lambda ------------------------------------------

/// A tiny package in a temporary directory: `fn main` printing a line.
fn tiny_package(dir: &Path, main_rs: &str) -> RustBinary {
    fs::create_dir_all(dir.join("src")).expect("mkdir");
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"bootstrap\"\npath = \"src/main.rs\"\n\n[profile.release]\nstrip = true\n",
    )
    .expect("write Cargo.toml");
    fs::write(dir.join("src/main.rs"), main_rs).expect("write main.rs");
    RustBinary {
        package_dir: dir.to_path_buf(),
        package: "tiny".into(),
        bin: "bootstrap".into(),
        tool: support::tool("cargo-lambda").map_or(BuildTool::Auto, BuildTool::CargoLambda),
        ..Default::default()
    }
}

fn bootstrap_of(zip_path: &Path) -> Vec<u8> {
    let bytes = fs::read(zip_path).expect("zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    assert_eq!(archive.len(), 1, "only bootstrap");
    let mut f = archive.by_name("bootstrap").expect("bootstrap");
    assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o755));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut f, &mut out).expect("read bootstrap");
    out
}

#[test]
fn two_builds_give_an_identical_zip_and_the_second_synth_reuses_the_cache() {
    if support::tool("cargo-lambda").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let main_rs = "fn main() { println!(\"hello from a tiny lambda\"); }\n";
    let package = tiny_package(&dir.path().join("tiny"), main_rs);
    let first = RustBinary {
        target_dir: Some(dir.path().join("target-a")),
        ..package.clone()
    };
    let second = RustBinary {
        target_dir: Some(dir.path().join("target-b")),
        ..package.clone()
    };
    let a = first.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    let b = second.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert!(a.built && b.built);
    assert_eq!(a.hash, b.hash, "two builds of the same sources give the same zip");
    assert_eq!(fs::read(&a.zip_path).expect("a"), fs::read(&b.zip_path).expect("b"));
    eprintln!("tiny crate: cold build {:?}", a.build_time);

    // A second synth: the cache, not cargo.
    let again = first.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.built);
    assert_eq!(again.hash, a.hash);

    // Through a Function: the asset is the cached zip.
    let app = App::new();
    let stack = Stack::new(&app, "Tiny", StackProps::default());
    Function::new(
        &stack,
        "Fn",
        FunctionProps {
            code: Code::rust_binary(first.clone()),
            ..Default::default()
        },
    );
    let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.stacks[0].assets[0].hash, a.hash);
    Template::from_json(s.stacks[0].template.clone()).has_resource_properties(
        "AWS::Lambda::Function",
        json!({"Code": {"S3Key": format!("{}.zip", a.hash)}}),
    );

    // A changed source changes the fingerprint and is built again.
    fs::write(
        dir.path().join("tiny/src/main.rs"),
        "fn main() { println!(\"changed\"); }\n",
    )
    .expect("write");
    let changed = first.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert!(changed.built);
    assert_ne!(changed.fingerprint, a.fingerprint);
    assert_ne!(changed.hash, a.hash);

    // The binary needs no glibc newer than the runtime's.
    let needed = glibc_requirement(&bootstrap_of(&a.zip_path)).expect("an ELF binary");
    assert!(needed.is_some_and(|v| v <= MAX_GLIBC), "{needed:?}");
}

#[test]
fn an_arm64_build_is_an_aarch64_binary_within_the_glibc_limit() {
    if support::tool("cargo-lambda").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let package = tiny_package(&dir.path().join("tiny"), "fn main() { println!(\"arm\"); }\n");
    let built = package.build(Architecture::Arm64).unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = bootstrap_of(&built.zip_path);
    // ELF e_machine (little endian, offset 18): 183 = EM_AARCH64.
    assert_eq!(bootstrap.get(18..20), Some(&[183u8, 0][..]));
    let needed = glibc_requirement(&bootstrap).expect("an ELF binary");
    assert!(needed.is_some_and(|v| v <= MAX_GLIBC), "{needed:?}");
}

#[test]
fn without_cargo_lambda_the_host_cargo_builds_an_x86_64_binary_within_the_glibc_limit() {
    // No tool needed: the host's cargo. (This host's glibc is newer than the
    // runtime's; the binary still needs nothing newer than 2.34, which the
    // build itself checks and this test checks again.)
    if !cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")) {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let package = RustBinary {
        tool: BuildTool::HostCargo,
        ..tiny_package(&dir.path().join("tiny"), "fn main() { println!(\"host\"); }\n")
    };
    let built = package.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert!(built.built);
    let bootstrap = bootstrap_of(&built.zip_path);
    // ELF e_machine (little endian, offset 18): 62 = EM_X86_64.
    assert_eq!(bootstrap.get(18..20), Some(&[62u8, 0][..]));
    let needed = glibc_requirement(&bootstrap).expect("an ELF binary");
    assert!(needed.is_some_and(|v| v <= MAX_GLIBC), "{needed:?}");
    // The host's cargo builds x86_64 only.
    let err = package
        .build(Architecture::Arm64)
        .expect_err("no arm64 without cargo-lambda");
    assert!(err.to_string().contains("use cargo-lambda"), "{err}");
}

/// Runs a built x86_64 `bootstrap` on this host and returns what it printed.
fn run_bootstrap(zip_path: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let exe = dir.path().join("bootstrap");
    fs::write(&exe, bootstrap_of(zip_path)).expect("write bootstrap");
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = std::process::Command::new(&exe).output().expect("run bootstrap");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The bundle profile reaches the compiler, with either tool: the binary
/// reports the panic strategy and optimization it was built with.
#[test]
fn the_bundle_profile_is_what_the_binary_is_built_with() {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")) {
        return;
    }
    let main_rs = "fn main() { println!(\"{} {}\", if cfg!(panic = \"abort\") { \"abort\" } else { \"unwind\" }, if cfg!(debug_assertions) { \"debug\" } else { \"optimized\" }); }\n";
    let dir = tempfile::tempdir().expect("dir");
    let package = tiny_package(&dir.path().join("tiny"), main_rs);
    let default = package.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run_bootstrap(&default.zip_path), "unwind optimized");
    let abort = RustBinary {
        profile: BundleProfile {
            panic_abort: true,
            opt_level: OptLevel::Z,
            ..Default::default()
        },
        ..package
    };
    let built = abort.build(Architecture::X86_64).unwrap_or_else(|e| panic!("{e}"));
    assert!(built.built, "another profile is another fingerprint");
    assert_ne!(built.fingerprint, default.fingerprint);
    assert_eq!(run_bootstrap(&built.zip_path), "abort optimized");
}

#[test]
fn a_build_failure_names_the_function_and_shows_the_compiler_output() {
    if support::tool("cargo-lambda").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let package = tiny_package(
        &dir.path().join("broken"),
        "fn main() { let x: u32 = \"not a number\"; }\n",
    );
    let app = App::new();
    let stack = Stack::new(&app, "Broken", StackProps::default());
    for id in ["First", "Second"] {
        Function::new(
            &stack,
            id,
            FunctionProps {
                code: Code::rust_binary(package.clone()),
                ..Default::default()
            },
        );
    }
    let errors = app.synth().expect_err("does not compile").0;
    assert_eq!(errors.len(), 1, "one build, one error: {errors:?}");
    let message = errors[0].to_string();
    assert!(
        message.starts_with("Broken/First: the function's code could not be staged (shared by 2 functions"),
        "{message}"
    );
    assert!(message.contains("error[E0308]"), "{message}");
    assert!(
        message.contains(
            "cargo lambda build --disable-optimizations --x86-64 --package tiny --bin bootstrap --profile lambda"
        ),
        "{message}"
    );
}

#[test]
fn a_missing_cargo_lambda_says_how_to_install_it() {
    let dir = tempfile::tempdir().expect("dir");
    let package = RustBinary {
        tool: BuildTool::CargoLambda(dir.path().join("bin/cargo-lambda")),
        ..tiny_package(&dir.path().join("tiny"), "fn main() {}\n")
    };
    let app = App::new();
    let stack = Stack::new(&app, "NoTool", StackProps::default());
    Function::new(
        &stack,
        "Fn",
        FunctionProps {
            code: Code::rust_binary(package),
            ..Default::default()
        },
    );
    let err = app.synth().expect_err("no cargo-lambda").to_string();
    assert!(
        err.contains("NoTool/Fn: the function's code could not be staged"),
        "{err}"
    );
    assert!(err.contains("pip install cargo-lambda ziglang"), "{err}");
    assert!(err.contains("aws:cdk:bundling-stacks"), "{err}");
}

/// The real handler binary (`lambdas`' `bootstrap`): built under
/// `REQUIRE_TOOLS=1` (once; later runs and synths reuse the cache), else
/// checked only when a synth already built it.
#[test]
fn the_handler_bootstrap_needs_no_glibc_newer_than_the_runtime() {
    let binary = handler_binary();
    let fingerprint = binary
        .fingerprint(Architecture::X86_64)
        .unwrap_or_else(|e| panic!("{e}"));
    let cached = binary.cache_path(&fingerprint);
    let zip = if support::tools_required() {
        binary
            .bundle(Architecture::X86_64)
            .unwrap_or_else(|e| panic!("{e}"))
            .zip_path
    } else if cached.is_file() {
        cached
    } else {
        eprintln!(
            "skipping: the handler zip is not built yet (run `cargo run -p app -- synth`, or set REQUIRE_TOOLS=1 to build it here)"
        );
        return;
    };
    let needed = glibc_requirement(&bootstrap_of(&zip)).expect("an ELF binary");
    assert!(needed.is_some_and(|v| v <= MAX_GLIBC), "the handler needs {needed:?}");
}
