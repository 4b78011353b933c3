//! Reading what a handler is given: the event (as JSON, into a typed request,
//! with errors that name the field) and the function's environment.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::HandlerError;

/// Reads the event into `T`. A missing field, a wrong type or an unknown
/// field is an [`HandlerError::InvalidInput`] whose message gives the path of
/// the field, e.g. `input field InstanceIds[0]: invalid type: integer `1`,
/// expected a string`; never a panic.
pub fn parse<T: DeserializeOwned>(event: Value) -> Result<T, HandlerError> {
    serde_path_to_error::deserialize(event).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            HandlerError::invalid_input(format!("input: {inner}"))
        } else {
            HandlerError::invalid_input(format!("input field {path}: {inner}"))
        }
    })
}

/// The environment a handler reads, as a function from a name to its value,
/// so tests need not touch the process environment.
pub trait Env {
    /// The value of `name`, if it is set.
    fn var(&self, name: &str) -> Option<String>;

    /// The value of `name`, which must be set and not blank.
    fn required(&self, name: &'static str) -> Result<String, HandlerError> {
        match self.var(name) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            Some(_) => Err(HandlerError::Configuration {
                name,
                problem: "is empty: the function's configuration is incomplete".to_owned(),
            }),
            None => Err(HandlerError::Configuration {
                name,
                problem: "is not set: the function's configuration is incomplete".to_owned(),
            }),
        }
    }
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers the handlers' tests share.

    /// An environment holding exactly `pairs`.
    pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Evaluates a tiny JSONPath such as `$.Reservations[0].Instances[0].State.Code`
    /// the way a Choice state reads the function's result.
    pub fn at<'a>(value: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
        let mut current = value;
        let rest = path.strip_prefix('$').unwrap_or(path);
        for part in rest.split('.').filter(|p| !p.is_empty()) {
            let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
            if !name.is_empty() {
                current = &current[name];
            }
            for index in indexes.split('[').filter(|i| !i.is_empty()) {
                let i: usize = index.trim_end_matches(']').parse().unwrap_or(usize::MAX);
                current = &current[i];
            }
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    #[expect(dead_code, reason = "the fields are only parsed")]
    struct Request {
        instance_ids: Vec<String>,
        force: Option<bool>,
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err = parse::<Request>(json!({})).expect_err("missing");
        assert_eq!(err.to_string(), "input: missing field `InstanceIds`");
        assert_eq!(err.error_type(), "InvalidInputError");
        let err = parse::<Request>(json!({"InstanceIds": ["i-1", 2]})).expect_err("wrong type");
        assert_eq!(
            err.to_string(),
            "input field InstanceIds[1]: invalid type: integer `2`, expected a string"
        );
        let err = parse::<Request>(json!({"InstanceIds": [], "Forse": true})).expect_err("unknown");
        assert!(err.to_string().contains("unknown field `Forse`"), "{err}");
        let err = parse::<Request>(json!("i-1")).expect_err("not an object");
        assert!(err.to_string().starts_with("input: invalid type: string"), "{err}");
    }

    #[test]
    fn required_variables_must_be_set_and_not_blank() {
        let env = test_support::env(&[("A", "x"), ("B", " ")]);
        assert_eq!(env.required("A"), Ok("x".to_owned()));
        let err = env.required("B").expect_err("blank");
        assert_eq!(err.error_type(), "ConfigurationError");
        assert!(err.to_string().starts_with("environment variable B is empty"), "{err}");
        assert!(env
            .required("C")
            .expect_err("unset")
            .to_string()
            .contains("C is not set"));
    }
}
