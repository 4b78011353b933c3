//! The expected-against-actual diff of a failed match.

use serde_json::Value as Json;

use super::matcher::{array_with, compact, count, decode, describe, test, Kind};

/// The pattern against the value, as lines: `  ` where they agree, `- ` what
/// the pattern expects and `+ ` what is there where they differ. Objects and
/// arrays are opened down to the differences; keys an object-like pattern
/// does not mention are counted, not shown.
pub(crate) fn diff(pattern: &Json, actual: Option<&Json>, partial: bool) -> String {
    let mut lines = Vec::new();
    Diff { lines: &mut lines }.node(0, None, pattern, actual, partial);
    lines.join("\n")
}

struct Diff<'a> {
    lines: &'a mut Vec<String>,
}

impl Diff<'_> {
    fn line(&mut self, sign: char, indent: usize, key: Option<&str>, text: &str) {
        let key = key.map(|k| format!("{}: ", Json::from(k))).unwrap_or_default();
        self.lines.push(format!("{sign} {}{key}{text}", "  ".repeat(indent)));
    }

    fn node(&mut self, indent: usize, key: Option<&str>, pattern: &Json, actual: Option<&Json>, partial: bool) {
        if test(pattern, actual, partial).is_match() {
            let text = actual.map_or_else(|| "(absent)".to_owned(), compact);
            return self.line(' ', indent, key, &text);
        }
        let kind = decode(pattern);
        let (object, array, partial) = match &kind {
            Some(Kind::ObjectLike(p)) => (p.as_object(), None, true),
            Some(Kind::ObjectEquals(p)) => (p.as_object(), None, false),
            Some(Kind::Exact(p)) => (p.as_object(), p.as_array(), false),
            Some(Kind::ArrayEquals(p)) => (None, p.as_array(), partial),
            Some(_) => (None, None, partial),
            None => (pattern.as_object(), pattern.as_array(), partial),
        };
        match (object, array, actual) {
            (Some(p), _, Some(Json::Object(a))) => {
                self.line(' ', indent, key, "{");
                for (k, v) in p {
                    self.node(indent + 1, Some(k), v, a.get(k), partial);
                }
                let others: Vec<(&String, &Json)> = a.iter().filter(|(k, _)| !p.contains_key(*k)).collect();
                if partial {
                    if !others.is_empty() {
                        self.line(
                            ' ',
                            indent + 1,
                            None,
                            &format!("… {}", count(others.len(), "other key")),
                        );
                    }
                } else {
                    for (k, v) in others {
                        self.line('+', indent + 1, Some(k), &compact(v));
                    }
                }
                self.line(' ', indent, None, "}");
            }
            (_, Some(p), Some(Json::Array(a))) => {
                self.line(' ', indent, key, "[");
                for (p, v) in p.iter().zip(a) {
                    self.node(indent + 1, None, p, Some(v), partial);
                }
                for v in a.iter().skip(p.len()) {
                    self.line('+', indent + 1, None, &compact(v));
                }
                for v in p.iter().skip(a.len()) {
                    self.line('-', indent + 1, None, &describe(v));
                }
                self.line(' ', indent, None, "]");
            }
            _ => match (&kind, actual) {
                (Some(Kind::ArrayWith(Json::Array(p))), Some(Json::Array(a))) => {
                    let Err(miss) = array_with(p, a, partial, &[]) else {
                        return;
                    };
                    self.line(' ', indent, key, "[  (array_with)");
                    match &miss.closest {
                        Some((i, _)) => {
                            if *i > 0 {
                                self.line(' ', indent + 1, None, &format!("… {}", count(*i, "element")));
                            }
                            self.node(indent + 1, None, &p[miss.element], a.get(*i), partial);
                            let after = a.len() - i - 1;
                            if after > 0 {
                                self.line(' ', indent + 1, None, &format!("… {}", count(after, "element")));
                            }
                        }
                        None => {
                            self.line('-', indent + 1, None, &describe(&p[miss.element]));
                            if !a.is_empty() {
                                self.line(' ', indent + 1, None, &format!("… {}", count(a.len(), "element")));
                            }
                        }
                    }
                    self.line(' ', indent, None, "]");
                }
                (Some(Kind::SerializedJson(p)), Some(a)) => match super::serialized::decode(a, &|v| v.clone()) {
                    Ok(doc) => {
                        self.line(' ', indent, key, "(serialized JSON)");
                        self.node(indent + 1, None, p, Some(&doc), partial);
                    }
                    Err(_) => self.leaf(indent, key, pattern, actual),
                },
                (Some(Kind::Capture(_, Some(p))), Some(_)) => self.node(indent, key, p, actual, partial),
                _ => self.leaf(indent, key, pattern, actual),
            },
        }
    }

    fn leaf(&mut self, indent: usize, key: Option<&str>, pattern: &Json, actual: Option<&Json>) {
        let expected = match decode(pattern) {
            Some(Kind::Absent) => "(absent)".to_owned(),
            _ => describe(pattern),
        };
        self.line('-', indent, key, &expected);
        self.line(
            '+',
            indent,
            key,
            &actual.map_or_else(|| "(missing)".to_owned(), compact),
        );
    }
}
