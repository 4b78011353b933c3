//! Cold start of a Lambda handler binary built for `provided.al2023` (the
//! seed's `lambdas` bootstrap, or any): from `exec` of `bootstrap` until its
//! first `GET /2018-06-01/runtime/invocation/next` reaches a local Runtime API
//! (what a Lambda init phase does before the first invocation: load the
//! binary, start tokio, load the AWS config, build the SDK clients).
//!
//! ```sh
//! cargo bench -p constructs --bench lambda_cold_start -- "$PWD/target/lambda/lambda/bootstrap"
//! ```
//!
//! The argument is the binary to start, as an absolute path (cargo runs
//! benches in the package directory), e.g. a built bundle's `bootstrap`
//! unzipped; the figure is the median of 31 starts, and the binary's size.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let Some(binary) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        eprintln!("usage: cargo bench -p constructs --bench lambda_cold_start -- PATH/TO/bootstrap");
        std::process::exit(2);
    };
    let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("the port").port();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..31 {
        let start = Instant::now();
        let mut child = Command::new(&binary)
            .env_clear()
            .env("_HANDLER", "describe-ec2-instance")
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "cold-start")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "ap-northeast-1")
            .env("AWS_ACCESS_KEY_ID", "cold")
            .env("AWS_SECRET_ACCESS_KEY", "start")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let (stream, _) = listener.accept().expect("the runtime's connection");
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).expect("a request line");
        times.push(start.elapsed());
        assert!(line.contains("/runtime/invocation/next"), "{line}");
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort();
    println!(
        "{binary}: {:.1} MB; exec to first /next: median {:.2} ms (min {:.2}, max {:.2}, {} starts)",
        size as f64 / 1e6,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}
