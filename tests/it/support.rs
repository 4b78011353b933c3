//! Shared helpers: the workspace root, external tools (cfn-lint, asl-validator,
//! the CDK CLI), and synthesizing an app into a temporary directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// True when CI demands every external tool (`REQUIRE_TOOLS=1`).
pub fn tools_required() -> bool {
    std::env::var("REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Finds a tool on PATH, in the project's Python venv or in `node_modules/.bin`.
/// When it is missing: `None` on a developer machine (the test skips), a
/// failure under `REQUIRE_TOOLS=1`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let ws = workspace();
    let mut dirs: Vec<PathBuf> = vec![ws.join(".venv-tools/bin"), ws.join("node_modules/.bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    let found = dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !tools_required(),
            "{name} is required (REQUIRE_TOOLS=1) but was not found"
        );
        eprintln!("skipping: {name} not found (run .ci/run, or set REQUIRE_TOOLS=1 to make this a failure)");
    }
    found
}

/// The result of a cfn-lint run.
#[derive(Debug)]
pub struct Lint {
    /// Rule ids of errors (`E...`).
    pub errors: Vec<String>,
    /// Rule ids of warnings (`W...`).
    pub warnings: Vec<String>,
    /// The full output, for messages.
    pub output: String,
}

impl Lint {
    /// Asserts cfn-lint found neither errors nor warnings.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(
            self.errors.is_empty() && self.warnings.is_empty(),
            "cfn-lint found {} errors and {} warnings:\n{}",
            self.errors.len(),
            self.warnings.len(),
            self.output
        );
    }
}

/// Runs cfn-lint on templates; `None` when cfn-lint is not installed.
pub fn cfn_lint(templates: &[PathBuf]) -> Option<Lint> {
    let bin = tool("cfn-lint")?;
    let out = Command::new(bin)
        .args(["--format", "parseable"])
        .args(templates)
        .output()
        .expect("cfn-lint runs");
    let output = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let rule = |line: &str| line.split(':').nth(5).map(str::to_owned);
    let errors = output.lines().filter_map(rule).filter(|r| r.starts_with('E')).collect();
    let warnings = output.lines().filter_map(rule).filter(|r| r.starts_with('W')).collect();
    Some(Lint {
        errors,
        warnings,
        output,
    })
}

/// The context of template tests: the workspace's `cdk.json` context, with
/// Lambda bundling skipped (`aws:cdk:bundling-stacks: []`), so a test that
/// only reads templates does not build the handlers (the bundling tests do).
pub fn app_context() -> indexmap::IndexMap<String, serde_json::Value> {
    let mut context = constructs::cli::load_context(&workspace(), &[]).unwrap_or_else(|e| panic!("{e}"));
    context.insert(
        constructs::aws::lambda::BUNDLING_STACKS_CONTEXT.to_owned(),
        serde_json::json!([]),
    );
    context
}

/// Synthesizes an app built by `build` into a fresh temporary directory, with
/// [`app_context`].
pub fn synth(build: impl Fn(&constructs::core::App)) -> (tempfile::TempDir, constructs::core::CloudAssembly) {
    synth_with(&[], build)
}

/// [`synth`] with more context values (e.g. `("examples", json!(true))`).
pub fn synth_with(
    context: &[(&str, serde_json::Value)],
    build: impl Fn(&constructs::core::App),
) -> (tempfile::TempDir, constructs::core::CloudAssembly) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = app_context();
    all.extend(context.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let app = constructs::core::App::with_context(all);
    build(&app);
    let out = dir.path().join("cdk.out");
    let assembly = app.synth_to(&out).unwrap_or_else(|e| panic!("{e}"));
    (dir, assembly)
}

/// The template of one stack of the app `app::build` makes with
/// [`app_context`] and `context`, to assert on with `constructs::assertions`.
pub fn app_template(context: &[(&str, serde_json::Value)], stack: &str) -> constructs::assertions::Template {
    use constructs::core::Scope;
    let mut all = app_context();
    all.extend(context.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let app = constructs::core::App::with_context(all);
    app::build(&app);
    let stack = app
        .stacks()
        .into_iter()
        .find(|s| s.node().id() == stack)
        .unwrap_or_else(|| panic!("the app has no stack {stack}"));
    constructs::assertions::Template::from_stack(&stack)
}

/// Every state machine of the assembly as (`stack/logical id`, definition
/// text), for the validators, which want plain strings: the partition is
/// `aws`, every other reference a placeholder Lambda ARN.
pub fn definitions(assembly: &constructs::core::CloudAssembly) -> Vec<(String, String)> {
    let placeholder = |reference: &serde_json::Value| match reference.get("Ref").and_then(|r| r.as_str()) {
        Some("AWS::Partition") => "aws".to_owned(),
        _ => "arn:aws:lambda:us-east-1:123456789012:function:x".to_owned(),
    };
    let mut out = Vec::new();
    for s in &assembly.synthesis.stacks {
        for machine in constructs::assertions::Template::from_json(s.template.clone()).state_machines() {
            out.push((
                format!("{}/{}", s.artifact_id, machine.logical_id()),
                machine.resolved(placeholder).to_string(),
            ));
        }
    }
    out
}

/// Runs asl-validator on each definition (written into `dir`); returns the
/// rejections (name, validator output, definition), or `None` when
/// asl-validator is not installed.
pub fn asl_validator_rejections(dir: &Path, definitions: &[(String, String)]) -> Option<Vec<String>> {
    let validator = tool("asl-validator")?;
    let mut rejected = Vec::new();
    for (name, text) in definitions {
        let file = dir.join(format!("{}.asl.json", name.replace('/', "-")));
        std::fs::write(&file, text).expect("write definition");
        let out = Command::new(&validator)
            .arg("--json-path")
            .arg(&file)
            .output()
            .expect("asl-validator runs");
        if !out.status.success() {
            rejected.push(format!(
                "asl-validator rejects {name}:\n{}{}\n{text}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Some(rejected)
}

/// The local AWS harness's endpoint (`AWS_ENDPOINT_URL`), or `None` (and a
/// note) when end-to-end tests must skip.
pub fn harness_endpoint() -> Option<String> {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(e) if !e.is_empty() => Some(e),
        _ => {
            eprintln!("skipping: AWS_ENDPOINT_URL is not set (start the local AWS harness, or run .ci/run)");
            None
        }
    }
}

/// POSTs `body` to the local harness (plain HTTP, no SDK): an AWS JSON-protocol
/// call when `target` is given (`AWSStepFunctions.StartExecution`), routed to
/// `service` in `region` by the credential scope (the harness checks no
/// signature), or a `/moto-api/...` call when `path` is not `/`.
pub fn harness_post(
    endpoint: &str,
    path: &str,
    region: &str,
    service: &str,
    target: Option<&str>,
    body: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let payload = body.to_string();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n",
        payload.len()
    );
    match target {
        Some(t) => {
            let json_version = if service == "states" { "1.0" } else { "1.1" };
            request.push_str(&format!(
                "X-Amz-Target: {t}\r\nContent-Type: application/x-amz-json-{json_version}\r\n"
            ));
        }
        None => request.push_str("Content-Type: application/json\r\n"),
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    let mut stream = std::net::TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send to {host}: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("read from {host}: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    if !status.starts_with('2') {
        return Err(format!("{} {path}: HTTP {status}: {body}", target.unwrap_or("POST")));
    }
    if body.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(&body).map_err(|e| format!("{}: not JSON ({e}): {body}", target.unwrap_or(path)))
}

/// The ARN of the one state machine whose (generated) name holds `logical_id_prefix`.
pub fn machine_arn(endpoint: &str, region: &str, logical_id_prefix: &str) -> String {
    let machines = harness_post(
        endpoint,
        "/",
        region,
        "states",
        Some("AWSStepFunctions.ListStateMachines"),
        &serde_json::json!({}),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let arns: Vec<String> = machines["stateMachines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["name"].as_str().is_some_and(|n| n.contains(logical_id_prefix)))
        .filter_map(|m| m["stateMachineArn"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(arns.len(), 1, "{machines}");
    arns[0].clone()
}

/// Starts an execution of `machine` on the local harness with `input` and waits until it ends
/// (at most `limit`); returns its description and the names of the states it went through, in order.
pub fn execute(
    endpoint: &str,
    region: &str,
    machine: &str,
    input: &serde_json::Value,
    limit: std::time::Duration,
) -> (serde_json::Value, Vec<String>) {
    let call = |target: &str, body: serde_json::Value| {
        harness_post(endpoint, "/", region, "states", Some(target), &body).unwrap_or_else(|e| panic!("{e}"))
    };
    let started = call(
        "AWSStepFunctions.StartExecution",
        serde_json::json!({ "stateMachineArn": machine, "input": input.to_string() }),
    );
    let execution = started["executionArn"].as_str().expect("an execution").to_owned();
    let deadline = std::time::Instant::now() + limit;
    let description = loop {
        let d = call(
            "AWSStepFunctions.DescribeExecution",
            serde_json::json!({ "executionArn": execution }),
        );
        if d["status"] != "RUNNING" {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after {limit:?}: {d}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    let history = call(
        "AWSStepFunctions.GetExecutionHistory",
        serde_json::json!({ "executionArn": execution, "maxResults": 1000 }),
    );
    let entered = history["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.ends_with("StateEntered")))
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str().map(str::to_owned))
        .collect();
    (description, entered)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let (Some(chunk), Some(after)) = (rest.get(..n), rest.get(n..)) else {
            break;
        };
        if n == 0 {
            break;
        }
        out.push_str(chunk);
        body = after.trim_start_matches("\r\n");
    }
    out
}

/// One failed checkov check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckovFinding {
    /// The check, e.g. `CKV_AWS_158`.
    pub check_id: String,
    /// The template file, e.g. `WebAppStack.template.json`.
    pub template: String,
    /// `Type.LogicalId`, e.g. `AWS::Logs::LogGroup.FlowLogsLogGroup7A9FC8F5`.
    pub resource: String,
    /// What the check wants.
    pub check_name: String,
}

/// Runs checkov (CloudFormation checks only) on the templates of an assembly
/// directory; `None` when checkov is not installed.
pub fn checkov(dir: &Path) -> Option<Vec<CheckovFinding>> {
    let bin = tool("checkov")?;
    let out = Command::new(bin)
        .args([
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--skip-download",
        ])
        .arg("--directory")
        .arg(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .expect("checkov runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "checkov printed no JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // One report per framework: an object, or a list of them.
    let reports = match json {
        serde_json::Value::Array(list) => list,
        one => vec![one],
    };
    let text = |v: &serde_json::Value, key: &str| v.get(key).and_then(|s| s.as_str()).unwrap_or_default().to_owned();
    let findings = reports
        .iter()
        .filter_map(|r| r.pointer("/results/failed_checks").and_then(|f| f.as_array()))
        .flatten()
        .map(|f| CheckovFinding {
            check_id: text(f, "check_id"),
            template: text(f, "file_path").trim_start_matches('/').to_owned(),
            resource: text(f, "resource"),
            check_name: text(f, "check_name"),
        })
        .collect();
    Some(findings)
}

/// Deploy options for every stack of an assembly: no approval asked, no progress printed.
pub fn deploy_all() -> constructs::deploy::DeployOptions {
    constructs::deploy::DeployOptions {
        selection: constructs::deploy::Selection {
            all: true,
            ..Default::default()
        },
        require_approval: constructs::deploy::RequireApproval::Never,
        quiet: true,
        ..Default::default()
    }
}

/// Destroy options for every stack of an assembly, forced (no prompt) and quiet: a test leaves its
/// region as it found it.
pub fn destroy_all() -> constructs::deploy::DestroyOptions {
    constructs::deploy::DestroyOptions {
        selection: constructs::deploy::Selection {
            all: true,
            ..Default::default()
        },
        force: true,
        quiet: true,
        ..Default::default()
    }
}
