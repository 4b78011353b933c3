//! JSONata states: `{% %}` expressions evaluated with `jsonata-core`, the
//! reserved variable `$states`, workflow variables, Step Functions' own
//! functions, and the virtual clock.
//!
//! An expression reads `$states.input`, `$states.result` (Output and Assign
//! of a Task, Map or Parallel), `$states.errorOutput` (a catcher's Output and
//! Assign), `$states.context` (the context object) and every variable the
//! state can see, with the values from its entry. A failed evaluation, or one
//! that gives nothing (`undefined`), is the catchable
//! `States.QueryEvaluationError` naming the expression and the field.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use serde_json::Value as Json;

use super::paths::VARIABLES;
use super::rng::Rng;
use super::{intrinsics, Failure, SimulateError};

/// The error a failed JSONata evaluation raises.
pub(super) const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// What the expressions of a field read: the state's input and, where the
/// field has them, its result or the error caught; `context` is the
/// simulator's context object (the variables visible at the state's entry
/// under [`VARIABLES`]).
pub(super) struct Bindings<'a> {
    pub(super) input: &'a Json,
    pub(super) result: Option<&'a Json>,
    pub(super) error_output: Option<&'a Json>,
    pub(super) context: &'a Json,
}

impl<'a> Bindings<'a> {
    /// `$states.input` and `$states.context` only.
    pub(super) fn new(input: &'a Json, context: &'a Json) -> Bindings<'a> {
        Bindings {
            input,
            result: None,
            error_output: None,
            context,
        }
    }
}

/// The expression text of a `{% ... %}` string; `None` for a literal.
pub(super) fn expression(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

/// Whether `s` would be an expression but for white space around the
/// delimiters (`" {% x %}"`): the service's handling of such a string is
/// not documented, so the simulator refuses it rather than guess.
pub(super) fn is_ambiguous(s: &str) -> bool {
    expression(s).is_none() && expression(s.trim()).is_some()
}

/// Checks every `{% %}` string in `value` (a JSONata state's field) before
/// the execution starts: each must parse, and none may be ambiguous.
pub(super) fn check(state: &str, field: &str, value: &Json) -> Result<(), SimulateError> {
    match value {
        Json::String(s) => {
            if is_ambiguous(s) {
                return Err(SimulateError::Unsupported {
                    state: state.to_owned(),
                    feature: format!(
                        "the string {s:?} in {field}, with white space around {{% %}} (write \"{{%\" first and \"%}}\" last for an expression)"
                    ),
                });
            }
            if let Some(expr) = expression(s) {
                jsonata_core::parser::parse(expr).map_err(|e| {
                    SimulateError::Definition(format!(
                        "state '{state}': the JSONata expression '{}' in {field} does not parse: {e}",
                        expr.trim()
                    ))
                })?;
            }
            Ok(())
        }
        Json::Object(o) => o.iter().try_for_each(|(k, v)| check(state, &format!("{field}.{k}"), v)),
        Json::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check(state, &format!("{field}[{i}]"), v)),
        _ => Ok(()),
    }
}

/// Evaluates JSONata fields; keeps each expression parsed once.
#[derive(Default)]
pub(super) struct Engine {
    asts: HashMap<String, Rc<AstNode>>,
    /// Set when an expression used what the simulator does not run (the
    /// evaluation then fails with `States.Runtime`, which nothing catches,
    /// and the interpreter stops the simulation with this error).
    pub(super) aborted: Option<SimulateError>,
}

/// What the host functions share during one evaluation.
struct Host {
    rng: RefCell<Rng>,
    now_millis: i64,
    state: String,
    aborted: RefCell<Option<SimulateError>>,
}

impl Engine {
    /// `value` with every `{% %}` string (at any depth) replaced by the value
    /// of its expression; other strings are literals. `field` names the
    /// field in errors (`Arguments.Payload.id`); `now_millis` is the virtual
    /// clock, for `$now()` and `$millis()`.
    pub(super) fn evaluate(
        &mut self,
        state: &str,
        field: &str,
        value: &Json,
        bindings: &Bindings,
        rng: &mut Rng,
        now_millis: i64,
    ) -> Result<Json, Failure> {
        match value {
            Json::String(s) => match expression(s) {
                Some(expr) => self.expression(state, field, expr, bindings, rng, now_millis),
                None => Ok(value.clone()),
            },
            Json::Object(o) => {
                let mut out = serde_json::Map::new();
                for (k, v) in o {
                    let v = self.evaluate(state, &format!("{field}.{k}"), v, bindings, rng, now_millis)?;
                    out.insert(k.clone(), v);
                }
                Ok(Json::Object(out))
            }
            Json::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| self.evaluate(state, &format!("{field}[{i}]"), v, bindings, rng, now_millis))
                .collect::<Result<_, _>>()
                .map(Json::Array),
            other => Ok(other.clone()),
        }
    }

    fn expression(
        &mut self,
        state: &str,
        field: &str,
        expr: &str,
        bindings: &Bindings,
        rng: &mut Rng,
        now_millis: i64,
    ) -> Result<Json, Failure> {
        let failure = |message: String| {
            Failure::new(
                QUERY_EVALUATION_ERROR,
                format!(
                    "The JSONata expression '{}' specified for the field '{field}' {message}",
                    expr.trim()
                ),
            )
        };
        let ast = match self.asts.get(expr) {
            Some(ast) => Rc::clone(ast),
            None => {
                let ast =
                    Rc::new(jsonata_core::parser::parse(expr).map_err(|e| failure(format!("does not parse: {e}")))?);
                self.asts.insert(expr.to_owned(), Rc::clone(&ast));
                ast
            }
        };
        let mut context = Context::new();
        let visible = bindings.context.get(VARIABLES).and_then(Json::as_object);
        for (name, value) in visible.into_iter().flatten() {
            context.bind(name.clone(), JValue::from(value.clone()));
        }
        context.bind("states".to_owned(), states(bindings));
        let host = Rc::new(Host {
            rng: RefCell::new(rng.clone()),
            now_millis,
            state: state.to_owned(),
            aborted: RefCell::new(None),
        });
        let mut evaluator = Evaluator::with_context(context);
        register(&mut evaluator, &host).map_err(|e| failure(format!("could not be prepared: {e}")))?;
        let result = evaluator.evaluate(&ast, &JValue::Undefined);
        drop(evaluator);
        *rng = host.rng.borrow().clone();
        if let Some(e) = host.aborted.borrow_mut().take() {
            self.aborted = Some(e);
            return Err(Failure::runtime(format!(
                "The JSONata expression '{}' of state '{state}' uses what the simulator does not run",
                expr.trim()
            )));
        }
        match result {
            Ok(v) if v.is_undefined() => Err(failure(
                "returned nothing (undefined), which a JSON field cannot hold".to_owned(),
            )),
            Ok(v) => to_json(&v).map_err(|e| failure(format!("returned {e}"))),
            Err(e) => Err(failure(format!("failed: {}", e.message()))),
        }
    }
}

/// `$states`: `input`, `context` (the context object without the
/// simulator's variables), and `result` or `errorOutput` where given.
fn states(b: &Bindings) -> JValue {
    let mut context = b.context.clone();
    if let Some(o) = context.as_object_mut() {
        o.remove(VARIABLES);
    }
    let mut states = serde_json::Map::new();
    states.insert("input".into(), b.input.clone());
    states.insert("context".into(), context);
    if let Some(r) = b.result {
        states.insert("result".into(), r.clone());
    }
    if let Some(e) = b.error_output {
        states.insert("errorOutput".into(), e.clone());
    }
    JValue::from(Json::Object(states))
}

/// A JSONata value as JSON: integral numbers as integers, `undefined` in an
/// array or object left out; a function or a number JSON cannot hold is an
/// error.
fn to_json(v: &JValue) -> Result<Json, String> {
    Ok(match v {
        JValue::Null | JValue::Undefined => Json::Null,
        JValue::Bool(b) => Json::Bool(*b),
        JValue::Number(n) if !n.is_finite() => return Err(format!("the number {n}, which JSON cannot hold")),
        JValue::Number(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => Json::from(*n as i64),
        JValue::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
        JValue::String(s) => Json::String(s.to_string()),
        JValue::Array(a) => Json::Array(
            a.iter()
                .filter(|x| !x.is_undefined())
                .map(to_json)
                .collect::<Result<_, _>>()?,
        ),
        JValue::Object(o) => Json::Object(
            o.iter()
                .filter(|(_, x)| !x.is_undefined())
                .map(|(k, x)| to_json(x).map(|x| (k.clone(), x)))
                .collect::<Result<_, _>>()?,
        ),
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
            return Err("a function, which is not a JSON value".to_owned())
        }
    })
}

fn error(message: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(message.into())
}

/// The arguments as JSON, for the functions shared with the intrinsics.
fn json_args(args: &[JValue]) -> Result<Vec<Json>, EvaluatorError> {
    args.iter().map(|a| to_json(a).map_err(error)).collect()
}

/// `$name(args)` as the JSONPath intrinsic `intrinsic` computes it (the
/// same rules: `$partition` is `States.ArrayPartition` ...).
fn shared(name: &'static str, intrinsic: &'static str) -> impl Fn(&[JValue]) -> Result<JValue, EvaluatorError> {
    move |args: &[JValue]| {
        let values = json_args(args)?;
        intrinsics::call(intrinsic, &values, &mut Rng::new(intrinsic))
            .map(JValue::from)
            .map_err(|e| error(format!("${name}: {e}")))
    }
}

/// Evaluates a built-in JSONata call (`$fromMillis($a0, $a1)`) on its own,
/// in an evaluator with no host functions: the pure built-ins behind the
/// virtual clock's functions.
fn builtin(call: &str, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let names: Vec<String> = (0..args.len()).map(|i| format!("$a{i}")).collect();
    let text = format!("${call}({})", names.join(", "));
    let ast = jsonata_core::parser::parse(&text).map_err(|e| error(e.to_string()))?;
    let mut context = Context::new();
    for (i, a) in args.iter().enumerate() {
        context.bind(format!("a{i}"), a.clone());
    }
    Evaluator::with_context(context).evaluate(&ast, &JValue::Undefined)
}

/// Step Functions' own functions (`$partition`, `$range`, `$hash`,
/// `$random`, `$uuid`, `$parse`), the clock functions on the virtual clock,
/// `$shuffle` on the simulator's seeded randomness, and the refusals.
fn register(ev: &mut Evaluator, host: &Rc<Host>) -> Result<(), EvaluatorError> {
    ev.register_fn("partition", shared("partition", "States.ArrayPartition"))?;
    ev.register_fn("range", shared("range", "States.ArrayRange"))?;
    ev.register_fn("hash", shared("hash", "States.Hash"))?;
    ev.register_fn("parse", |args: &[JValue]| match args {
        [JValue::String(s)] => serde_json::from_str::<Json>(s)
            .map(JValue::from)
            .map_err(|e| error(format!("$parse: the string is not JSON: {e}"))),
        _ => Err(error("$parse takes one argument, a string of JSON")),
    })?;
    let h = Rc::clone(host);
    ev.register_fn("uuid", move |args: &[JValue]| {
        if !args.is_empty() {
            return Err(error("$uuid takes no arguments"));
        }
        Ok(JValue::from(h.rng.borrow_mut().uuid()))
    })?;
    let h = Rc::clone(host);
    ev.register_fn_override("random", move |args: &[JValue]| match args {
        [] => Ok(JValue::from(h.rng.borrow_mut().next_f64())),
        [seed] => {
            let seed = to_json(seed).map_err(error)?;
            Ok(JValue::from(Rng::new(&format!("$random:{seed}")).next_f64()))
        }
        _ => Err(error("$random takes at most one argument, a seed")),
    })?;
    let h = Rc::clone(host);
    ev.register_fn_override("shuffle", move |args: &[JValue]| match args {
        [JValue::Array(a)] => {
            let mut items: Vec<JValue> = a.iter().cloned().collect();
            let mut rng = h.rng.borrow_mut();
            for i in (1..items.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                items.swap(i, j);
            }
            Ok(JValue::array(items))
        }
        [JValue::Undefined] => Ok(JValue::Undefined),
        [other] => Ok(JValue::array(vec![other.clone()])),
        _ => Err(error("$shuffle takes one argument, an array")),
    })?;
    let h = Rc::clone(host);
    ev.register_fn_override("millis", move |_: &[JValue]| Ok(JValue::from(h.now_millis)))?;
    let h = Rc::clone(host);
    ev.register_fn_override("now", move |args: &[JValue]| {
        let mut all = vec![JValue::from(h.now_millis)];
        all.extend(args.iter().take(2).cloned());
        builtin("fromMillis", &all)
    })?;
    let h = Rc::clone(host);
    ev.register_fn_override("toMillis", move |args: &[JValue]| {
        if args.len() > 1 {
            *h.aborted.borrow_mut() = Some(SimulateError::Unsupported {
                state: h.state.clone(),
                feature: "$toMillis with a picture (the missing parts of the date come from the wall clock in the JSONata engine, not the virtual one)".into(),
            });
            return Err(error("$toMillis with a picture is not simulated"));
        }
        builtin("toMillis", args)
    })?;
    let h = Rc::clone(host);
    ev.register_fn_override("eval", move |_: &[JValue]| {
        *h.aborted.borrow_mut() = Some(SimulateError::Definition(format!(
            "state '{}': $eval is not available in Step Functions' JSONata: use $parse",
            h.state
        )));
        Err(error("$eval is not available"))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(value: Json, input: Json, context: Json) -> Result<Json, Failure> {
        let mut engine = Engine::default();
        let mut rng = Rng::new("t");
        engine.evaluate(
            "S",
            "Output",
            &value,
            &Bindings::new(&input, &context),
            &mut rng,
            1_767_225_600_000,
        )
    }

    #[test]
    fn strings_in_delimiters_are_expressions_anywhere_and_others_literals() {
        let out = eval(
            json!({"a": "{% $states.input.n + 1 %}", "b": ["$states.input.n", "{% $states.input.n * 2 %}"], "c": 3}),
            json!({"n": 20}),
            json!({}),
        )
        .expect("ok");
        assert_eq!(out, json!({"a": 21, "b": ["$states.input.n", 40], "c": 3}));
        assert!(is_ambiguous(" {% 1 %}") && !is_ambiguous("{% 1 %}") && !is_ambiguous("x"));
    }

    #[test]
    fn numbers_come_back_as_json_integers_when_whole() {
        let out = eval(json!("{% [1.5 * 2, 0.1 + 0.2, 7 / 2] %}"), json!({}), json!({})).expect("ok");
        assert_eq!(out.to_string(), "[3,0.30000000000000004,3.5]");
    }

    #[test]
    fn undefined_and_errors_are_query_evaluation_errors_naming_the_expression() {
        let f = eval(json!({"x": "{% $states.input.missing %}"}), json!({}), json!({})).expect_err("undefined");
        assert_eq!(f.error, QUERY_EVALUATION_ERROR);
        assert!(
            f.cause.contains("'$states.input.missing'") && f.cause.contains("'Output.x'"),
            "{}",
            f.cause
        );
        let f = eval(json!("{% 'a' + 1 %}"), json!({}), json!({})).expect_err("type error");
        assert_eq!(f.error, QUERY_EVALUATION_ERROR);
        assert!(f.cause.contains("failed"), "{}", f.cause);
    }

    #[test]
    fn variables_and_the_context_are_bound() {
        let context = json!({"Execution": {"Name": "run-1"}, VARIABLES: {"total": 4}});
        let out = eval(
            json!("{% $states.context.Execution.Name & ':' & $string($total) %}"),
            json!({}),
            context,
        )
        .expect("ok");
        assert_eq!(out, json!("run-1:4"));
        let hidden = eval(
            json!("{% $count($keys($states.context)) %}"),
            json!({}),
            json!({"A": 1, VARIABLES: {"v": 1}}),
        )
        .expect("ok");
        assert_eq!(
            hidden,
            json!(1),
            "the simulator's variables are not part of $states.context"
        );
    }

    #[test]
    fn step_functions_functions() {
        let ev = |e: &str| eval(json!(e), json!({}), json!({})).unwrap_or_else(|f| panic!("{e}: {}", f.cause));
        assert_eq!(ev("{% $partition([1,2,3,4,5], 2) %}"), json!([[1, 2], [3, 4], [5]]));
        assert_eq!(ev("{% $range(0, 10, 5) %}"), json!([0, 5, 10]));
        assert_eq!(ev("{% $range(3, 1, -1) %}"), json!([3, 2, 1]));
        assert_eq!(
            ev("{% $hash('abc', 'SHA-256') %}"),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(ev("{% $parse('{\"a\": [1]}') %}"), json!({"a": [1]}));
        let uuid = ev("{% $uuid() %}");
        assert_eq!(uuid.as_str().map(str::len), Some(36), "{uuid}");
        assert_eq!(uuid.as_str().and_then(|u| u.chars().nth(14)), Some('4'), "version 4");
        assert_eq!(ev("{% $uuid() %}"), uuid, "seeded: the same run gives the same UUID");
        let r = ev("{% $random() %}").as_f64().unwrap_or(-1.0);
        assert!((0.0..1.0).contains(&r), "{r}");
        assert_eq!(
            ev("{% $random(7) %}"),
            ev("{% $random(7) %}"),
            "a seed gives one number"
        );
        assert_ne!(ev("{% $random(7) %}"), ev("{% $random(8) %}"));
        let two = ev("{% [$uuid(), $uuid()] %}");
        assert_ne!(two[0], two[1], "each call draws anew");
        for bad in [
            "{% $partition([1], 0) %}",
            "{% $range(1, 2, 0) %}",
            "{% $hash('a', 'CRC32') %}",
            "{% $parse('{') %}",
        ] {
            let f = eval(json!(bad), json!({}), json!({})).expect_err(bad);
            assert_eq!(f.error, QUERY_EVALUATION_ERROR, "{bad}");
        }
        let mut shuffled = ev("{% $shuffle([1,2,3,4,5,6]) %}")
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            ev("{% $shuffle([1,2,3,4,5,6]) %}").as_array(),
            Some(&shuffled),
            "seeded"
        );
        shuffled.sort_by_key(|v| v.as_i64());
        assert_eq!(shuffled, (1..=6).map(|i| json!(i)).collect::<Vec<_>>());
    }

    #[test]
    fn the_clock_is_the_virtual_one() {
        let ev = |e: &str| eval(json!(e), json!({}), json!({})).unwrap_or_else(|f| panic!("{e}: {}", f.cause));
        assert_eq!(ev("{% $now() %}"), json!("2026-01-01T00:00:00.000Z"));
        assert_eq!(ev("{% $millis() %}"), json!(1_767_225_600_000_i64));
        assert_eq!(ev("{% $now('[Y0001]-[M01]-[D01]') %}"), json!("2026-01-01"));
        assert_eq!(
            ev("{% $toMillis('2026-01-01T00:00:01Z') %}"),
            json!(1_767_225_601_000_i64)
        );
        let mut engine = Engine::default();
        let f = engine
            .evaluate(
                "S",
                "Output",
                &json!("{% $toMillis('10:00', '[H]:[m]') %}"),
                &Bindings::new(&json!({}), &json!({})),
                &mut Rng::new("t"),
                0,
            )
            .expect_err("refused");
        assert_eq!(f.error, "States.Runtime", "nothing catches a refusal");
        assert!(
            matches!(&engine.aborted, Some(SimulateError::Unsupported { state, feature }) if state == "S" && feature.contains("$toMillis")),
            "{:?}",
            engine.aborted
        );
    }

    #[test]
    fn eval_is_not_step_functions_jsonata() {
        let mut engine = Engine::default();
        let r = engine.evaluate(
            "S",
            "Output",
            &json!("{% $eval('1 + 1') %}"),
            &Bindings::new(&json!({}), &json!({})),
            &mut Rng::new("t"),
            0,
        );
        assert!(r.is_err());
        assert!(
            matches!(&engine.aborted, Some(SimulateError::Definition(m)) if m.contains("$parse")),
            "{:?}",
            engine.aborted
        );
    }

    #[test]
    fn a_bad_expression_is_a_definition_error_before_the_run() {
        let e = check("S", "Output", &json!({"a": ["{% $states.input. %}"]})).expect_err("does not parse");
        assert!(
            matches!(&e, SimulateError::Definition(m) if m.contains("state 'S'") && m.contains("Output.a[0]")),
            "{e}"
        );
        assert!(check("S", "Output", &json!({"a": "{% 1 + 1 %}", "b": "plain"})).is_ok());
        assert!(matches!(
            check("S", "Output", &json!(" {% 1 %}")),
            Err(SimulateError::Unsupported { .. })
        ));
    }
}
