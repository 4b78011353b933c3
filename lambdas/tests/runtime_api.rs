//! The real `bootstrap` binary against a fake Lambda Runtime API: what Step
//! Functions would see (the `errorType` of `/error`, the body of `/response`)
//! comes out of the runtime glue, the dispatch on `_HANDLER` and the real SDK
//! client (its endpoint pointed at the same fake server, which answers as
//! Systems Manager does).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What the fake server hands out and what it was told.
#[derive(Default)]
struct State {
    /// Events `/next` hands out, in order (then it holds the request).
    events: VecDeque<Value>,
    /// Answers to Systems Manager calls, in order.
    ssm_answers: VecDeque<Value>,
    /// Systems Manager calls: (X-Amz-Target, body).
    ssm_calls: Vec<(String, Value)>,
    /// Reports: ("response" or "error", body).
    reports: Vec<(String, Value)>,
}

struct Server {
    port: u16,
    state: Arc<(Mutex<State>, Condvar)>,
}

struct Request {
    method: String,
    path: String,
    target: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let (mut length, mut target) = (0, String::new());
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().ok()?,
                "x-amz-target" => target = value.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        target,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &str) -> std::io::Result<()> {
    let mut response = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(body);
    stream.write_all(response.as_bytes())
}

fn serve(mut stream: TcpStream, state: Arc<(Mutex<State>, Condvar)>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_id = 0;
    while let Some(request) = read_request(&mut reader) {
        let (lock, changed) = &*state;
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        if request.method == "GET" && request.path.ends_with("/runtime/invocation/next") {
            let event = lock.lock().ok().and_then(|mut s| s.events.pop_front());
            let Some(event) = event else {
                // No more events: hold the runtime here until the test ends.
                thread::sleep(Duration::from_secs(60));
                return Ok(());
            };
            request_id += 1;
            let headers = [
                ("lambda-runtime-aws-request-id", format!("request-{request_id}")),
                ("lambda-runtime-deadline-ms", "9999999999999".to_owned()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:ap-northeast-1:123456789012:function:f".to_owned(),
                ),
                ("content-type", "application/json".to_owned()),
            ];
            respond(&mut stream, "200 OK", &headers, &event.to_string())?;
        } else if request.path.contains("/runtime/invocation/") {
            let kind = if request.path.ends_with("/error") {
                "error"
            } else {
                "response"
            };
            if let Ok(mut s) = lock.lock() {
                s.reports.push((kind.to_owned(), body));
            }
            changed.notify_all();
            respond(&mut stream, "202 Accepted", &[], "")?;
        } else if request.target.starts_with("AmazonSSM.") {
            let answer = lock.lock().ok().and_then(|mut s| {
                s.ssm_calls.push((request.target.clone(), body));
                s.ssm_answers.pop_front()
            });
            let answer = answer.unwrap_or_else(|| json!({"__type": "InternalServerError", "message": "no answer"}));
            let status = if answer.get("__type").is_some() {
                "400 Bad Request"
            } else {
                "200 OK"
            };
            let headers = [("content-type", "application/x-amz-json-1.1".to_owned())];
            respond(&mut stream, status, &headers, &answer.to_string())?;
        } else {
            respond(&mut stream, "404 Not Found", &[], "")?;
        }
    }
    Ok(())
}

impl Server {
    fn start(events: Vec<Value>, ssm_answers: Vec<Value>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new((
            Mutex::new(State {
                events: events.into(),
                ssm_answers: ssm_answers.into(),
                ..Default::default()
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, state));
            }
        });
        Server { port, state }
    }

    /// The bootstrap with `handler`, talking to this server for everything.
    fn bootstrap(&self, handler: &str, env: &[(&str, &str)]) -> Child {
        let endpoint = format!("http://127.0.0.1:{}", self.port);
        let mut command = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        command
            .env_clear()
            .env("_HANDLER", handler)
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{}", self.port))
            .env("AWS_LAMBDA_FUNCTION_NAME", "f")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "ap-northeast-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        command.spawn().expect("bootstrap starts")
    }

    /// The reports, once there are `count` of them (or after 30 s).
    fn reports(&self, count: usize) -> Vec<(String, Value)> {
        let (lock, changed) = &*self.state;
        let deadline = Instant::now() + Duration::from_secs(30);
        let Ok(mut state) = lock.lock() else { return Vec::new() };
        while state.reports.len() < count && Instant::now() < deadline {
            match changed.wait_timeout(state, Duration::from_millis(200)) {
                Ok((s, _)) => state = s,
                Err(_) => return Vec::new(),
            }
        }
        state.reports.clone()
    }

    fn ssm_calls(&self) -> Vec<(String, Value)> {
        self.state.0.lock().map(|s| s.ssm_calls.clone()).unwrap_or_default()
    }
}

#[test]
fn errors_reach_the_runtime_api_with_stable_error_types_and_results_in_the_apis_shape() {
    let server = Server::start(
        vec![
            json!({"unexpected": true}),
            json!({"Command": {"CommandId": "c-1"}}),
            json!({"Command": {"CommandId": "c-1"}}),
        ],
        vec![
            json!({"CommandInvocations": [{"CommandId": "c-1", "InstanceId": "i-1", "Status": "InProgress"}]}),
            json!({"CommandInvocations": [
                {"CommandId": "c-1", "InstanceId": "i-1", "Status": "Success", "StatusDetails": "Success"}
            ]}),
        ],
    );
    let mut bootstrap = server.bootstrap("wait-for-command", &[]);
    let reports = server.reports(3);
    let _ = bootstrap.kill();
    let _ = bootstrap.wait();

    assert_eq!(reports.len(), 3, "{reports:?}");
    assert_eq!(reports[0].0, "error");
    assert_eq!(reports[0].1["errorType"], "InvalidInputError", "{reports:?}");
    assert_eq!(reports[1].0, "error");
    assert_eq!(reports[1].1["errorType"], "CommandNotYetCompleteError", "{reports:?}");
    assert_eq!(
        reports[1].1["errorMessage"],
        "command c-1 is not yet complete (i-1 InProgress): retry"
    );
    assert_eq!(reports[2].0, "response");
    assert_eq!(
        reports[2].1,
        json!({
            "CommandId": "c-1",
            "Status": "Success",
            "CommandInvocations": [{"CommandId": "c-1", "InstanceId": "i-1", "Status": "Success", "StatusDetails": "Success", "CommandPlugins": []}]
        })
    );
    let calls = server.ssm_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].0, "AmazonSSM.ListCommandInvocations");
    assert_eq!(calls[0].1["CommandId"], "c-1");
}

#[test]
fn aws_errors_are_aws_api_errors_and_configuration_errors_come_before_any_call() {
    let server = Server::start(
        vec![json!({}), json!({})],
        vec![json!({"__type": "InvalidDocument", "message": "Document AWS-RunShellScript does not exist."})],
    );
    let env = [
        ("COMMAND", "uptime"),
        ("TAG_KEY", "Name"),
        ("TAG_VALUES", "[\"batch\"]"),
    ];
    let mut bootstrap = server.bootstrap("send-command-by-tag", &env);
    let reports = server.reports(1);
    let _ = bootstrap.kill();
    let _ = bootstrap.wait();
    assert_eq!(
        reports.first().map(|r| r.1["errorType"].clone()),
        Some(json!("AwsApiError")),
        "{reports:?}"
    );
    assert_eq!(
        reports[0].1["errorMessage"],
        "SendCommand failed: InvalidDocument: Document AWS-RunShellScript does not exist."
    );
    let calls = server.ssm_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].0, "AmazonSSM.SendCommand");
    assert_eq!(calls[0].1["Targets"], json!([{"Key": "tag:Name", "Values": ["batch"]}]));
    assert_eq!(calls[0].1["Parameters"]["commands"], json!(["uptime"]));

    let server = Server::start(vec![json!({})], vec![]);
    let mut bootstrap = server.bootstrap("send-command-by-tag", &[("TAG_KEY", "Name")]);
    let reports = server.reports(1);
    let _ = bootstrap.kill();
    let _ = bootstrap.wait();
    assert_eq!(
        reports.first().map(|r| r.1["errorType"].clone()),
        Some(json!("ConfigurationError")),
        "{reports:?}"
    );
    assert!(server.ssm_calls().is_empty());
}

#[test]
fn an_unknown_handler_fails_at_init_with_the_valid_names() {
    let output = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("_HANDLER", "index.handler")
        .output()
        .expect("bootstrap runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown handler 'index.handler'"), "{stderr}");
    assert!(
        stderr.contains("stop-ec2-instance") && stderr.contains("wait-for-command"),
        "{stderr}"
    );
}
