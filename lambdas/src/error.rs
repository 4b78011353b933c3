//! The one error type of every handler, and the stable `errorType` names
//! Step Functions sees.
//!
//! The Lambda runtime reports an error as `{"errorType": ..., "errorMessage": ...}`;
//! a state machine's `Retry` and `Catch` match on `errorType`. The runtime's
//! default is a Rust type name, which is neither stable nor meaningful, so
//! every error is converted into a [`Diagnostic`] whose type is one of the
//! names below.

use lambda_runtime::Diagnostic;

/// The event is not what the handler reads (a missing field, a wrong type, an unknown field).
pub const INVALID_INPUT_ERROR: &str = "InvalidInputError";
/// The function's environment is incomplete (the stack is wrong, not the event).
pub const CONFIGURATION_ERROR: &str = "ConfigurationError";
/// An AWS API call failed; the message names the operation, AWS's error code and message.
pub const AWS_API_ERROR: &str = "AwsApiError";
/// `wait-for-command`: the command has an invocation that is not final yet; retry.
pub const COMMAND_NOT_YET_COMPLETE_ERROR: &str = "CommandNotYetCompleteError";
/// `wait-for-command`: an invocation ended `Failed`, `TimedOut` or `Cancelled`.
pub const COMMAND_FAILED_ERROR: &str = "CommandFailedError";
/// `notice-slack`: the webhook did not accept the message.
pub const SLACK_POST_ERROR: &str = "SlackPostError";

/// Every `errorType` a handler can report.
pub const ERROR_TYPES: &[&str] = &[
    INVALID_INPUT_ERROR,
    CONFIGURATION_ERROR,
    AWS_API_ERROR,
    COMMAND_NOT_YET_COMPLETE_ERROR,
    COMMAND_FAILED_ERROR,
    SLACK_POST_ERROR,
];

/// Why a handler failed. [`HandlerError::error_type`] is what Step Functions matches on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The event is not a valid request; the message names the field.
    #[error("{0}")]
    InvalidInput(String),
    /// An environment variable is missing or invalid.
    #[error("environment variable {name} {problem}")]
    Configuration {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// An AWS API call failed.
    #[error("{operation} failed: {detail}")]
    AwsApi {
        /// The API operation, e.g. `StopInstances`.
        operation: &'static str,
        /// AWS's error code, e.g. `IncorrectInstanceState`, when the service gave one.
        code: Option<String>,
        /// The code and message, or the reason no response came back.
        detail: String,
    },
    /// The command has invocations that are not final yet.
    #[error("command {command_id} is not yet complete ({statuses}): retry")]
    CommandNotYetComplete {
        /// The command.
        command_id: String,
        /// Each invocation's instance and status, or why there is none yet.
        statuses: String,
    },
    /// An invocation of the command ended other than `Success`.
    #[error("command {command_id} did not succeed: {statuses}")]
    CommandFailed {
        /// The command.
        command_id: String,
        /// Each invocation's instance and status.
        statuses: String,
    },
    /// The Slack webhook refused the message or could not be reached.
    #[error("posting to the Slack webhook failed: {0}")]
    SlackPost(String),
}

impl HandlerError {
    /// The `errorType` reported to Step Functions (one of [`ERROR_TYPES`]).
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::InvalidInput(_) => INVALID_INPUT_ERROR,
            HandlerError::Configuration { .. } => CONFIGURATION_ERROR,
            HandlerError::AwsApi { .. } => AWS_API_ERROR,
            HandlerError::CommandNotYetComplete { .. } => COMMAND_NOT_YET_COMPLETE_ERROR,
            HandlerError::CommandFailed { .. } => COMMAND_FAILED_ERROR,
            HandlerError::SlackPost(_) => SLACK_POST_ERROR,
        }
    }

    /// An invalid event, with a message that names the field.
    pub fn invalid_input(message: impl Into<String>) -> HandlerError {
        HandlerError::InvalidInput(message.into())
    }

    /// A failed AWS call: AWS's error code and message when the service
    /// answered, else the whole chain of causes (timeout, no credentials ...).
    pub fn aws<E>(operation: &'static str, error: E) -> HandlerError
    where
        E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = error.code().map(str::to_owned);
        let detail = match (&code, error.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.clone(),
            _ => aws_sdk_ssm::error::DisplayErrorContext(&error).to_string(),
        };
        HandlerError::AwsApi {
            operation,
            code,
            detail,
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::error::ErrorMetadata;

    #[derive(Debug)]
    struct FakeServiceError(ErrorMetadata);

    impl std::fmt::Display for FakeServiceError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("service error")
        }
    }

    impl std::error::Error for FakeServiceError {}

    impl aws_sdk_ssm::error::ProvideErrorMetadata for FakeServiceError {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    #[test]
    fn aws_errors_carry_the_operation_code_and_message() {
        let error = HandlerError::aws(
            "StopInstances",
            FakeServiceError(
                ErrorMetadata::builder()
                    .code("IncorrectInstanceState")
                    .message("The instance 'i-0123' is not in a state from which it can be stopped.")
                    .build(),
            ),
        );
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "AwsApiError");
        assert_eq!(
            diagnostic.error_message,
            "StopInstances failed: IncorrectInstanceState: The instance 'i-0123' is not in a state from which it can be stopped."
        );
    }

    #[test]
    fn error_types_are_stable_names_not_rust_types() {
        let errors = [
            HandlerError::invalid_input("x"),
            HandlerError::Configuration {
                name: "COMMAND",
                problem: "missing".into(),
            },
            HandlerError::AwsApi {
                operation: "SendCommand",
                code: None,
                detail: "timeout".into(),
            },
            HandlerError::CommandNotYetComplete {
                command_id: "c".into(),
                statuses: "i-1 InProgress".into(),
            },
            HandlerError::CommandFailed {
                command_id: "c".into(),
                statuses: "i-1 Failed".into(),
            },
            HandlerError::SlackPost("HTTP 404".into()),
        ];
        let types: Vec<&str> = errors.iter().map(HandlerError::error_type).collect();
        assert_eq!(types, ERROR_TYPES);
        for t in types {
            assert!(t.ends_with("Error") && !t.contains("::"), "{t}");
        }
    }
}
