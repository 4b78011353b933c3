//! JSON carried in a string, as a template carries a state machine's
//! definition: a plain string, or an `Fn::Join` of literal JSON text and
//! intrinsics (`{"Fn::GetAtt": ...}`, `{"Ref": ...}`) that CloudFormation
//! resolves at deploy time.

use serde_json::{Map, Value as Json};

/// Stands for intrinsic `n` while the text is parsed: `MARK n MARK`.
const MARK: char = '\u{E000}';

/// Decodes serialized JSON. Each intrinsic becomes `resolve(intrinsic)`: a
/// string value made of one intrinsic becomes the resolved value itself; one
/// that mixes literal text and intrinsics becomes a string when every part
/// resolves to a string, else `{"Fn::Join": ["", [parts...]]}`.
pub(crate) fn decode(value: &Json, resolve: &dyn Fn(&Json) -> Json) -> Result<Json, String> {
    let parts: Vec<&Json> = match value {
        Json::String(_) => vec![value],
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::Join") => match &o["Fn::Join"] {
            Json::Array(j) if j.len() == 2 => {
                let (Some(delimiter), Some(list)) = (j[0].as_str(), j[1].as_array()) else {
                    return Err(format!("the Fn::Join is malformed: {}", super::matcher::compact(value)));
                };
                if !delimiter.is_empty() {
                    return Err(format!(
                        "the Fn::Join has the delimiter {delimiter:?}, not \"\": {}",
                        super::matcher::compact(value)
                    ));
                }
                list.iter().collect()
            }
            _ => return Err(format!("the Fn::Join is malformed: {}", super::matcher::compact(value))),
        },
        other => {
            return Err(format!(
                "received {}, neither a string nor an Fn::Join",
                super::matcher::compact(other)
            ))
        }
    };
    let mut text = String::new();
    let mut intrinsics = Vec::new();
    let mut scan = Scan::default();
    for part in parts {
        match part {
            Json::String(s) => {
                scan.feed(s);
                text.push_str(s);
            }
            intrinsic => {
                let mark = format!("{MARK}{}{MARK}", intrinsics.len());
                intrinsics.push(resolve(intrinsic));
                if scan.in_string {
                    text.push_str(&mark);
                } else {
                    text.push_str(&format!("\"{mark}\""));
                }
            }
        }
    }
    let doc: Json = serde_json::from_str(&text).map_err(|e| format!("the text does not parse as JSON ({e})"))?;
    Ok(substitute(doc, &intrinsics))
}

/// Whether the text fed so far ends inside a JSON string.
#[derive(Default)]
struct Scan {
    in_string: bool,
    escaped: bool,
}

impl Scan {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            if self.escaped {
                self.escaped = false;
            } else if self.in_string && c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_string = !self.in_string;
            }
        }
    }
}

fn substitute(doc: Json, intrinsics: &[Json]) -> Json {
    match doc {
        Json::String(s) if s.contains(MARK) => string_value(&s, intrinsics),
        Json::Array(a) => Json::Array(a.into_iter().map(|v| substitute(v, intrinsics)).collect()),
        Json::Object(o) => Json::Object(
            o.into_iter()
                .map(|(k, v)| {
                    // A key cannot hold an intrinsic: it shows as the intrinsic's JSON text.
                    let key = match string_value(&k, intrinsics) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, substitute(v, intrinsics))
                })
                .collect::<Map<String, Json>>(),
        ),
        other => other,
    }
}

/// A string holding marks, as its parts: literal text and resolved intrinsics.
fn string_value(s: &str, intrinsics: &[Json]) -> Json {
    let mut parts: Vec<Json> = Vec::new();
    let push_text = |parts: &mut Vec<Json>, t: &str| {
        if t.is_empty() {
            return;
        }
        match parts.last_mut() {
            Some(Json::String(prev)) => prev.push_str(t),
            _ => parts.push(Json::from(t)),
        }
    };
    // Pieces alternate: text, index, text, index, ..., text.
    let mut is_index = false;
    for piece in s.split(MARK) {
        if is_index {
            match piece.parse::<usize>().ok().and_then(|n| intrinsics.get(n)) {
                Some(Json::String(t)) => push_text(&mut parts, t),
                Some(v) => parts.push(v.clone()),
                None => push_text(&mut parts, piece),
            }
        } else {
            push_text(&mut parts, piece);
        }
        is_index = !is_index;
    }
    match parts.len() {
        0 => Json::from(""),
        1 => parts.remove(0),
        _ => serde_json::json!({ "Fn::Join": ["", parts] }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cfn(v: &Json) -> Json {
        v.clone()
    }

    #[test]
    fn a_join_of_text_and_intrinsics_decodes_with_each_intrinsic_in_its_cloudformation_form() {
        let joined = json!({"Fn::Join": ["", [
            "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"arn:",
            {"Ref": "AWS::Partition"},
            ":states:::lambda:invoke\",\"Parameters\":{\"FunctionName\":\"",
            {"Fn::GetAtt": ["Fn", "Arn"]},
            "\",\"Retries\":",
            {"Ref": "Retries"},
            "},\"End\":true}}}"
        ]]});
        let doc = decode(&joined, &cfn).expect("decodes");
        assert_eq!(
            doc["States"]["A"]["Resource"],
            json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":states:::lambda:invoke"]]})
        );
        assert_eq!(
            doc["States"]["A"]["Parameters"]["FunctionName"],
            json!({"Fn::GetAtt": ["Fn", "Arn"]})
        );
        // An intrinsic outside any string (a number at deploy time) stands alone.
        assert_eq!(doc["States"]["A"]["Parameters"]["Retries"], json!({"Ref": "Retries"}));
    }

    #[test]
    fn intrinsics_resolved_to_strings_join_into_one_string() {
        let joined = json!({"Fn::Join": ["", ["{\"R\":\"arn:", {"Ref": "AWS::Partition"}, ":x\\\"y\"}"]]});
        let doc = decode(&joined, &|_| json!("aws")).expect("decodes");
        assert_eq!(doc, json!({"R": "arn:aws:x\"y"}));
    }

    #[test]
    fn what_is_not_serialized_json_is_explained() {
        let err = decode(&json!(3), &cfn).expect_err("a number");
        assert_eq!(err, "received 3, neither a string nor an Fn::Join");
        let err = decode(&json!("{\"a\":"), &cfn).expect_err("cut short");
        assert!(
            err.starts_with("the text does not parse as JSON (EOF while parsing"),
            "{err}"
        );
        let err = decode(&json!({"Fn::Join": [",", ["a", "b"]]}), &cfn).expect_err("a delimiter");
        assert!(err.starts_with("the Fn::Join has the delimiter \",\""), "{err}");
    }
}
