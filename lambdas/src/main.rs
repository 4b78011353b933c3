//! `bootstrap`: the Lambda runtime's entry point. Reads `_HANDLER`, builds
//! that function's client once, then serves invocations until the runtime
//! stops it. An unknown `_HANDLER` fails at init with the list of valid
//! names.

use std::process::ExitCode;

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use lambda_runtime::tracing;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use lambdas::input::{Env, ProcessEnv};
use lambdas::{error, Function, Handler, Output};
use serde_json::Value;

/// The variables the Lambda runtime API client needs (it panics without them).
const RUNTIME_ENV: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

async fn invoke(function: &Function, event: LambdaEvent<Value>) -> Result<Output, Diagnostic> {
    let handler = function.handler();
    function.invoke(&ProcessEnv, event.payload).await.map_err(|e| {
        if e.error_type() == error::COMMAND_NOT_YET_COMPLETE_ERROR {
            tracing::info!(%handler, error_type = e.error_type(), "{e}");
        } else {
            tracing::error!(%handler, error_type = e.error_type(), "{e}");
        }
        Diagnostic::from(e)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let handler = match Handler::from_env(&ProcessEnv) {
        Ok(handler) => handler,
        Err(e) => {
            eprintln!("bootstrap: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(missing) = RUNTIME_ENV.iter().find(|v| ProcessEnv.var(v).is_none()) {
        eprintln!(
            "bootstrap: handler {handler}: {missing} is not set: run this binary as a Lambda function's bootstrap"
        );
        return ExitCode::FAILURE;
    }
    tracing::init_default_subscriber();
    // The SDK's HTTPS client with rustls on `ring`: its default (aws-lc-rs)
    // is a long C build for no gain here, and is off in this workspace.
    let https_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client)
        .load()
        .await;
    let function = Function::new(handler, &config);
    tracing::info!(%handler, "ready");
    match lambda_runtime::run(service_fn(|event| invoke(&function, event))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(%handler, "the Lambda runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
