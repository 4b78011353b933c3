//! Matchers: the patterns a template value is tested against, and the test.
//!
//! A pattern is JSON: a literal value matches an equal value, and a
//! [`Matcher`] (from [`Match`] or a [`Capture`](super::Capture)) stands
//! anywhere in it, inside `serde_json::json!` like any other value. A matcher
//! serializes to a reserved one-key object that no CloudFormation template
//! holds, which is how it travels inside `json!`.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

/// The reserved key of a serialized matcher (a private-use character first,
/// so no template key can collide with it).
const MATCHER_KEY: &str = "\u{E000}constructs::assertions::Matcher";

/// A pattern more flexible than a literal value, made by [`Match`] or a
/// [`Capture`](super::Capture). Put it anywhere in a pattern, including
/// inside `serde_json::json!`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher(Json);

impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl Matcher {
    pub(crate) fn new(kind: &str, fields: impl IntoIterator<Item = (&'static str, Json)>) -> Matcher {
        let mut body = Map::new();
        body.insert("kind".into(), Json::from(kind));
        body.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let mut outer = Map::new();
        outer.insert(MATCHER_KEY.into(), Json::Object(body));
        Matcher(Json::Object(outer))
    }

    fn with_pattern(kind: &str, pattern: impl Serialize) -> Matcher {
        Matcher::new(kind, [("pattern", pattern_or_invalid(pattern))])
    }
}

/// A value as a pattern.
pub(crate) fn to_pattern(value: impl Serialize) -> Result<Json, String> {
    serde_json::to_value(value).map_err(|e| format!("the pattern is not JSON: {e}"))
}

/// A value as a pattern; one that is not JSON becomes a pattern that never
/// matches, whose mismatch says why.
pub(crate) fn pattern_or_invalid(value: impl Serialize) -> Json {
    to_pattern(value).unwrap_or_else(|e| Matcher::new("invalid", [("message", Json::from(e))]).0)
}

/// The matchers, named as the AWS CDK's `Match` names them.
///
/// How literal objects match depends on where they stand: inside
/// [`Match::object_like`] (which is what `has_resource_properties`,
/// `has_resource` and `template_matches` apply to the pattern you give) a
/// literal object matches any object with at least its keys, at every depth;
/// inside [`Match::object_equals`] or [`Match::exact`] it must have exactly
/// its keys. Literal arrays always match arrays of the same length, element by
/// element. Numbers are compared by value (`2` matches `2.0`).
///
/// ```
/// use constructs::assertions::{Match, Template};
/// use serde_json::json;
///
/// let template = Template::from_json(json!({"Resources": {"Topic": {
///     "Type": "AWS::SNS::Topic",
///     "Properties": {"TopicName": "jobs-failures", "KmsMasterKeyId": "alias/aws/sns", "Tags": [{"Key": "team", "Value": "ops"}]}
/// }}}));
/// template.has_resource_properties("AWS::SNS::Topic", json!({
///     "TopicName": Match::string_like_regexp("^jobs-"),
///     "Tags": Match::array_with(json!([{"Key": "team"}])),
///     "FifoTopic": Match::absent(),
/// }));
/// ```
#[derive(Debug)]
pub struct Match;

impl Match {
    /// An object with at least the pattern's keys, each matching; literal
    /// objects below match the same way.
    pub fn object_like(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("object_like", pattern)
    }

    /// An object with exactly the pattern's keys, each matching; literal
    /// objects below must have exactly their keys too.
    pub fn object_equals(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("object_equals", pattern)
    }

    /// An array holding elements matching the pattern's elements, in that
    /// order, with any other elements around and between them.
    pub fn array_with(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("array_with", pattern)
    }

    /// An array of exactly the pattern's length, element matching element.
    pub fn array_equals(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("array_equals", pattern)
    }

    /// The value exactly: literal objects at every depth must have exactly
    /// their keys (matchers inside still apply).
    pub fn exact(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("exact", pattern)
    }

    /// The key is absent (as the value of an object's key).
    pub fn absent() -> Matcher {
        Matcher::new("absent", [])
    }

    /// Any value present and not `null`.
    pub fn any_value() -> Matcher {
        Matcher::new("any_value", [])
    }

    /// A string in which the regular expression finds a match (anchor it with
    /// `^...$` to match the whole string). The syntax is the `regex` crate's.
    pub fn string_like_regexp(regexp: &str) -> Matcher {
        Matcher::new("string_like_regexp", [("regexp", Json::from(regexp))])
    }

    /// A string holding JSON that matches the pattern (a policy document, a
    /// state machine's definition). A `Fn::Join` of strings and intrinsics,
    /// which is how a definition with references is carried, is decoded too:
    /// each reference becomes its intrinsic (`{"Fn::GetAtt": [...]}`, or an
    /// `Fn::Join` when it sits inside a longer string).
    pub fn serialized_json(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("serialized_json", pattern)
    }

    /// Any value that does not match the pattern.
    pub fn not(pattern: impl Serialize) -> Matcher {
        Matcher::with_pattern("not", pattern)
    }
}

/// A matcher decoded from its JSON form.
pub(crate) enum Kind<'a> {
    ObjectLike(&'a Json),
    ObjectEquals(&'a Json),
    ArrayWith(&'a Json),
    ArrayEquals(&'a Json),
    Exact(&'a Json),
    Absent,
    AnyValue,
    Regexp(&'a str),
    SerializedJson(&'a Json),
    Not(&'a Json),
    Capture(u64, Option<&'a Json>),
    Invalid(&'a str),
}

pub(crate) fn decode(pattern: &Json) -> Option<Kind<'_>> {
    let Json::Object(outer) = pattern else { return None };
    if outer.len() != 1 {
        return None;
    }
    let body = outer.get(MATCHER_KEY)?;
    let field = |k: &str| body.get(k);
    let p = field("pattern");
    let null = &Json::Null;
    Some(match field("kind").and_then(Json::as_str).unwrap_or_default() {
        "object_like" => Kind::ObjectLike(p.unwrap_or(null)),
        "object_equals" => Kind::ObjectEquals(p.unwrap_or(null)),
        "array_with" => Kind::ArrayWith(p.unwrap_or(null)),
        "array_equals" => Kind::ArrayEquals(p.unwrap_or(null)),
        "exact" => Kind::Exact(p.unwrap_or(null)),
        "absent" => Kind::Absent,
        "any_value" => Kind::AnyValue,
        "string_like_regexp" => Kind::Regexp(field("regexp").and_then(Json::as_str).unwrap_or_default()),
        "serialized_json" => Kind::SerializedJson(p.unwrap_or(null)),
        "not" => Kind::Not(p.unwrap_or(null)),
        "capture" => Kind::Capture(field("id").and_then(Json::as_u64).unwrap_or_default(), p),
        "invalid" => Kind::Invalid(field("message").and_then(Json::as_str).unwrap_or_default()),
        _ => Kind::Invalid("an unknown matcher"),
    })
}

/// One place where the value differs from the pattern.
#[derive(Clone, Debug)]
pub(crate) struct Mismatch {
    /// The JSON Pointer of the place (`/Properties/Tags/0/Key`).
    pub path: String,
    /// What was expected and what is there.
    pub message: String,
}

/// The result of testing a value: its mismatches, and what captures saw.
#[derive(Default, Debug)]
pub(crate) struct Outcome {
    pub mismatches: Vec<Mismatch>,
    pub captures: Vec<(u64, Json)>,
}

impl Outcome {
    pub fn is_match(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// How far the value is from the pattern, to pick the closest candidate:
    /// fewer mismatches first, then a deeper first mismatch (more agreed on).
    pub fn distance(&self) -> (usize, std::cmp::Reverse<usize>) {
        let depth = self.mismatches.first().map_or(0, |m| m.path.matches('/').count());
        (self.mismatches.len(), std::cmp::Reverse(depth))
    }
}

/// Tests `actual` (`None`: the key is missing) against `pattern`; `partial`
/// is how literal objects match (object-like when true).
pub(crate) fn test(pattern: &Json, actual: Option<&Json>, partial: bool) -> Outcome {
    let mut out = Outcome::default();
    Tester { path: Vec::new() }.test(pattern, actual, partial, &mut out);
    out
}

/// Tests as [`test`] does, with mismatch paths below `path`.
pub(crate) fn test_at(pattern: &Json, actual: Option<&Json>, partial: bool, path: &[String]) -> Outcome {
    let mut out = Outcome::default();
    Tester { path: path.to_vec() }.test(pattern, actual, partial, &mut out);
    out
}

/// A JSON Pointer (RFC 6901) from path segments.
pub(crate) fn pointer(path: &[String]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

struct Tester {
    path: Vec<String>,
}

impl Tester {
    fn fail(&self, out: &mut Outcome, message: String) {
        out.mismatches.push(Mismatch {
            path: pointer(&self.path),
            message,
        });
    }

    fn at<R>(&mut self, segment: impl ToString, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(segment.to_string());
        let r = f(self);
        self.path.pop();
        r
    }

    fn test(&mut self, pattern: &Json, actual: Option<&Json>, partial: bool, out: &mut Outcome) {
        if let Some(kind) = decode(pattern) {
            return self.test_matcher(pattern, kind, actual, partial, out);
        }
        let Some(actual) = actual else {
            return self.fail(out, format!("expected {} but the key is missing", describe(pattern)));
        };
        match pattern {
            Json::Object(p) => self.test_object(p, actual, partial, out),
            Json::Array(p) => self.test_array(p, actual, partial, out),
            _ if scalars_equal(pattern, actual) => {}
            _ => self.fail(
                out,
                format!("expected {} but received {}", describe(pattern), compact(actual)),
            ),
        }
    }

    fn test_matcher(
        &mut self,
        pattern: &Json,
        kind: Kind<'_>,
        actual: Option<&Json>,
        partial: bool,
        out: &mut Outcome,
    ) {
        if let Kind::Absent = kind {
            if let Some(a) = actual {
                self.fail(
                    out,
                    format!("expected the key to be absent but received {}", compact(a)),
                );
            }
            return;
        }
        if let Kind::Invalid(message) = kind {
            return self.fail(out, format!("invalid pattern: {message}"));
        }
        let Some(actual) = actual else {
            return self.fail(out, format!("expected {} but the key is missing", describe(pattern)));
        };
        match kind {
            Kind::ObjectLike(p) | Kind::ObjectEquals(p) => {
                let partial = matches!(kind, Kind::ObjectLike(_));
                match p {
                    Json::Object(p) => self.test_object(p, actual, partial, out),
                    _ => self.fail(out, format!("invalid pattern: {} needs an object", describe(pattern))),
                }
            }
            Kind::ArrayEquals(p) => match p {
                Json::Array(p) => self.test_array(p, actual, partial, out),
                _ => self.fail(out, format!("invalid pattern: {} needs an array", describe(pattern))),
            },
            Kind::ArrayWith(p) => match p {
                Json::Array(p) => self.test_array_with(p, actual, partial, out),
                _ => self.fail(out, format!("invalid pattern: {} needs an array", describe(pattern))),
            },
            Kind::Exact(p) => self.test(p, Some(actual), false, out),
            Kind::AnyValue => {
                if actual.is_null() {
                    self.fail(out, "expected any value but received null".into());
                }
            }
            Kind::Regexp(re) => match regex::Regex::new(re) {
                Err(e) => self.fail(
                    out,
                    format!("invalid pattern: the regular expression /{re}/ does not parse: {e}"),
                ),
                Ok(regex) => {
                    if !actual.as_str().is_some_and(|s| regex.is_match(s)) {
                        self.fail(
                            out,
                            format!("expected a string matching /{re}/ but received {}", compact(actual)),
                        );
                    }
                }
            },
            Kind::SerializedJson(p) => match super::serialized::decode(actual, &|v| v.clone()) {
                Ok(doc) => self.test(p, Some(&doc), partial, out),
                Err(e) => self.fail(out, format!("expected serialized JSON but {e}")),
            },
            Kind::Not(p) => {
                if !test(p, Some(actual), partial).is_match() {
                    return;
                }
                // For an array, the elements that matched say more than the whole array.
                let matched = match (decode(p), actual) {
                    (Some(Kind::ArrayWith(Json::Array(items))), Json::Array(a)) => array_with(items, a, partial, &[])
                        .map(|found| found.indices)
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let received = match matched.as_slice() {
                    [] => format!("received {}", compact(actual)),
                    at => format!(
                        "these elements match it: {}",
                        at.iter()
                            .map(|&i| format!("[{i}] {}", compact(&actual[i])))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                self.fail(
                    out,
                    format!("expected a value not matching {} but {received}", describe(p)),
                );
            }
            Kind::Capture(id, p) => {
                let mut inner = Outcome::default();
                if let Some(p) = p {
                    self.test(p, Some(actual), partial, &mut inner);
                }
                if inner.is_match() {
                    out.captures.extend(inner.captures);
                    out.captures.push((id, actual.clone()));
                } else {
                    out.mismatches.extend(inner.mismatches);
                }
            }
            Kind::Absent | Kind::Invalid(_) => {}
        }
    }

    fn test_object(&mut self, pattern: &Map<String, Json>, actual: &Json, partial: bool, out: &mut Outcome) {
        let Json::Object(a) = actual else {
            return self.fail(out, format!("expected an object but received {}", compact(actual)));
        };
        for (key, p) in pattern {
            self.at(key, |t| t.test(p, a.get(key), partial, out));
        }
        if !partial {
            for (key, v) in a.iter().filter(|(k, _)| !pattern.contains_key(*k)) {
                self.at(key, |t| t.fail(out, format!("unexpected key, with {}", compact(v))));
            }
        }
    }

    fn test_array(&mut self, pattern: &[Json], actual: &Json, partial: bool, out: &mut Outcome) {
        let Json::Array(a) = actual else {
            return self.fail(out, format!("expected an array but received {}", compact(actual)));
        };
        if pattern.len() != a.len() {
            let detail = if a.len() > pattern.len() {
                format!("unexpected {}", elements(&a[pattern.len()..], pattern.len(), compact))
            } else {
                format!("missing {}", elements(&pattern[a.len()..], a.len(), describe))
            };
            return self.fail(
                out,
                format!(
                    "expected an array of {} but received {}: {detail}",
                    count(pattern.len(), "element"),
                    count(a.len(), "element"),
                ),
            );
        }
        for (i, (p, v)) in pattern.iter().zip(a).enumerate() {
            self.at(i, |t| t.test(p, Some(v), partial, out));
        }
    }

    fn test_array_with(&mut self, pattern: &[Json], actual: &Json, partial: bool, out: &mut Outcome) {
        let Json::Array(a) = actual else {
            return self.fail(out, format!("expected an array but received {}", compact(actual)));
        };
        match array_with(pattern, a, partial, &self.path) {
            Ok(found) => out.captures.extend(found.captures),
            Err(miss) => {
                let from = if miss.from > 0 {
                    format!(
                        " (after the match of element [{}] at [{}])",
                        miss.element - 1,
                        miss.from - 1
                    )
                } else {
                    String::new()
                };
                let closest = match &miss.closest {
                    Some((i, first)) => format!("; the closest is [{i}], at {}: {}", first.path, first.message),
                    None => String::new(),
                };
                self.fail(
                    out,
                    format!(
                        "no element matches element [{}] of the array_with pattern, {}{from}{closest}",
                        miss.element,
                        describe(&pattern[miss.element])
                    ),
                );
            }
        }
    }
}

/// How an `array_with` pattern matched: what its captures saw, and the
/// index of the element each pattern element matched.
pub(crate) struct ArrayWithMatch {
    pub captures: Vec<(u64, Json)>,
    pub indices: Vec<usize>,
}

/// Why an `array_with` pattern failed: the pattern element that matched
/// nothing, where the search for it started, and the closest element with
/// its first mismatch.
pub(crate) struct ArrayWithMiss {
    pub element: usize,
    pub from: usize,
    pub closest: Option<(usize, Mismatch)>,
}

/// Matches the pattern's elements in order, each at the first element after
/// the previous match; the captures and the indices of the matches, or why it failed.
pub(crate) fn array_with(
    pattern: &[Json],
    actual: &[Json],
    partial: bool,
    path: &[String],
) -> Result<ArrayWithMatch, ArrayWithMiss> {
    let mut captures = Vec::new();
    let mut matched = Vec::new();
    let mut from = 0;
    for (element, p) in pattern.iter().enumerate() {
        let mut closest: Option<(usize, Outcome)> = None;
        let mut found = None;
        for (i, v) in actual.iter().enumerate().skip(from) {
            let mut at = path.to_vec();
            at.push(i.to_string());
            let outcome = test_at(p, Some(v), partial, &at);
            if outcome.is_match() {
                found = Some((i, outcome));
                break;
            }
            if closest.as_ref().is_none_or(|(_, c)| outcome.distance() < c.distance()) {
                closest = Some((i, outcome));
            }
        }
        match found {
            Some((i, outcome)) => {
                captures.extend(outcome.captures);
                matched.push(i);
                from = i + 1;
            }
            None => {
                return Err(ArrayWithMiss {
                    element,
                    from,
                    closest: closest.and_then(|(i, o)| o.mismatches.into_iter().next().map(|m| (i, m))),
                })
            }
        }
    }
    Ok(ArrayWithMatch {
        captures,
        indices: matched,
    })
}

fn scalars_equal(pattern: &Json, actual: &Json) -> bool {
    match (pattern, actual) {
        (Json::Number(p), Json::Number(a)) => p == a || (p.as_f64().is_some() && p.as_f64() == a.as_f64()),
        _ => pattern == actual,
    }
}

/// `1 element`, `2 elements`, `2 mismatches`.
pub(crate) fn count(n: usize, what: &str) -> String {
    let suffix = match (n, what.ends_with("ch")) {
        (1, _) => "",
        (_, true) => "es",
        _ => "s",
    };
    format!("{n} {what}{suffix}")
}

fn elements(list: &[Json], first: usize, show: fn(&Json) -> String) -> String {
    list.iter()
        .enumerate()
        .map(|(i, v)| format!("[{}] {}", first + i, show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The longest rendering of one value in a message.
const SHOWN: usize = 160;

fn truncate(mut s: String) -> String {
    if s.chars().count() > SHOWN {
        s = s.chars().take(SHOWN - 1).collect();
        s.push('…');
    }
    s
}

/// A value on one line, shortened when long.
pub(crate) fn compact(v: &Json) -> String {
    truncate(serde_json::to_string(v).unwrap_or_default())
}

/// A pattern on one line, matchers written as their constructors.
pub(crate) fn describe(pattern: &Json) -> String {
    let mut s = String::new();
    describe_into(pattern, &mut s);
    truncate(s)
}

fn describe_into(p: &Json, s: &mut String) {
    let call = |s: &mut String, name: &str, inner: &Json| {
        s.push_str(&format!("Match::{name}("));
        describe_into(inner, s);
        s.push(')');
    };
    match decode(p) {
        Some(Kind::ObjectLike(i)) => call(s, "object_like", i),
        Some(Kind::ObjectEquals(i)) => call(s, "object_equals", i),
        Some(Kind::ArrayWith(i)) => call(s, "array_with", i),
        Some(Kind::ArrayEquals(i)) => call(s, "array_equals", i),
        Some(Kind::Exact(i)) => call(s, "exact", i),
        Some(Kind::SerializedJson(i)) => call(s, "serialized_json", i),
        Some(Kind::Not(i)) => call(s, "not", i),
        Some(Kind::Absent) => s.push_str("Match::absent()"),
        Some(Kind::AnyValue) => s.push_str("Match::any_value()"),
        Some(Kind::Regexp(re)) => s.push_str(&format!("Match::string_like_regexp({})", Json::from(re))),
        Some(Kind::Capture(_, None)) => s.push_str("Capture::new()"),
        Some(Kind::Capture(_, Some(i))) => call(s, "Capture::with_pattern", i),
        Some(Kind::Invalid(m)) => s.push_str(&format!("<invalid pattern: {m}>")),
        None => match p {
            Json::Object(o) => {
                s.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&Json::from(k.as_str()).to_string());
                    s.push(':');
                    describe_into(v, s);
                }
                s.push('}');
            }
            Json::Array(a) => {
                s.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    describe_into(v, s);
                }
                s.push(']');
            }
            other => s.push_str(&other.to_string()),
        },
    }
}
