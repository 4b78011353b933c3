//! The intrinsic functions (`States.Format`, `States.Array` ...) of a `key.$`
//! field's value.

use base64::Engine as _;
use serde_json::{json, Value as Json};

use super::paths::{self, compact};
use super::rng::Rng;
use super::Failure;

/// One argument of an intrinsic call, as written.
#[derive(Debug, PartialEq)]
enum Arg {
    Literal(Json),
    Path(String),
    Call(String, Vec<Arg>),
}

/// Evaluates an intrinsic function call `text` against the state's input and
/// the context object.
pub(super) fn evaluate(text: &str, input: &Json, context: &Json, rng: &mut Rng) -> Result<Json, Failure> {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut pos = 0;
    let call = parse_arg(&chars, &mut pos)
        .map_err(|e| Failure::runtime(format!("'{text}' is not a valid intrinsic function call: {e}")))?;
    if pos != chars.len() || !matches!(call, Arg::Call(..)) {
        return Err(Failure::runtime(format!(
            "'{text}' is not a single intrinsic function call"
        )));
    }
    eval(&call, input, context, rng)
}

fn parse_arg(chars: &[char], pos: &mut usize) -> Result<Arg, String> {
    skip_ws(chars, pos);
    match chars.get(*pos) {
        None => Err("an argument is missing".into()),
        Some('\'') => {
            *pos += 1;
            let mut s = String::new();
            loop {
                match chars.get(*pos) {
                    None => return Err("a quoted string is not closed".into()),
                    Some('\\') => {
                        let c = chars.get(*pos + 1).ok_or("a string ends with '\\'")?;
                        // `\{` and `\}` stay escaped for States.Format to see.
                        if *c == '{' || *c == '}' {
                            s.push('\\');
                        }
                        s.push(*c);
                        *pos += 2;
                    }
                    Some('\'') => {
                        *pos += 1;
                        return Ok(Arg::Literal(Json::String(s)));
                    }
                    Some(c) => {
                        s.push(*c);
                        *pos += 1;
                    }
                }
            }
        }
        Some('$') => {
            let start = *pos;
            let (mut depth, mut quote) = (0i32, None::<char>);
            while let Some(&c) = chars.get(*pos) {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None => match c {
                        '\'' | '"' => quote = Some(c),
                        '[' | '(' => depth += 1,
                        ']' => depth -= 1,
                        ')' if depth > 0 => depth -= 1,
                        ',' | ')' if depth == 0 => break,
                        c if c.is_whitespace() && depth == 0 => break,
                        _ => {}
                    },
                }
                *pos += 1;
            }
            Ok(Arg::Path(chars[start..*pos].iter().collect()))
        }
        Some(_) => {
            let start = *pos;
            while chars
                .get(*pos)
                .is_some_and(|c| !matches!(c, ',' | ')' | '(') && !c.is_whitespace())
            {
                *pos += 1;
            }
            let word: String = chars[start..*pos].iter().collect();
            skip_ws(chars, pos);
            if chars.get(*pos) == Some(&'(') {
                *pos += 1;
                let mut args = Vec::new();
                skip_ws(chars, pos);
                if chars.get(*pos) == Some(&')') {
                    *pos += 1;
                    return Ok(Arg::Call(word, args));
                }
                loop {
                    args.push(parse_arg(chars, pos)?);
                    skip_ws(chars, pos);
                    match chars.get(*pos) {
                        Some(',') => *pos += 1,
                        Some(')') => {
                            *pos += 1;
                            return Ok(Arg::Call(word, args));
                        }
                        _ => return Err(format!("'{word}(' is not closed")),
                    }
                }
            }
            serde_json::from_str::<Json>(&word)
                .ok()
                .filter(|v| !v.is_object() && !v.is_array() && !v.is_string())
                .map(Arg::Literal)
                .ok_or_else(|| {
                    format!("'{word}' is not a number, true, false, null, a quoted string, a path or a call")
                })
        }
    }
}

fn skip_ws(chars: &[char], pos: &mut usize) {
    while chars.get(*pos).is_some_and(|c| c.is_whitespace()) {
        *pos += 1;
    }
}

fn eval(arg: &Arg, input: &Json, context: &Json, rng: &mut Rng) -> Result<Json, Failure> {
    let (name, args) = match arg {
        Arg::Literal(v) => return Ok(v.clone()),
        Arg::Path(p) => return paths::read(p, input, context),
        Arg::Call(name, args) => (name, args),
    };
    let values = args
        .iter()
        .map(|a| eval(a, input, context, rng))
        .collect::<Result<Vec<_>, _>>()?;
    call(name, &values, rng)
        .map_err(|e| Failure::runtime(format!("The function '{name}' had the following error: {e}")))
}

fn arity(values: &[Json], range: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    if range.contains(&values.len()) {
        Ok(())
    } else if range.start() == range.end() {
        Err(format!("it takes {} argument(s), got {}", range.start(), values.len()))
    } else {
        Err(format!(
            "it takes {} to {} arguments, got {}",
            range.start(),
            range.end(),
            values.len()
        ))
    }
}

fn string(v: &Json, what: &str) -> Result<String, String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} must be a string, not {}", compact(v)))
}

fn array<'a>(v: &'a Json, what: &str) -> Result<&'a Vec<Json>, String> {
    v.as_array()
        .ok_or_else(|| format!("{what} must be an array, not {}", compact(v)))
}

fn integer(v: &Json, what: &str) -> Result<i64, String> {
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        .ok_or_else(|| format!("{what} must be an integer, not {}", compact(v)))
}

/// Calls intrinsic `name` on evaluated arguments (also the JSONata functions
/// Step Functions defines alike: `$partition`, `$range`, `$hash`).
pub(super) fn call(name: &str, v: &[Json], rng: &mut Rng) -> Result<Json, String> {
    match name {
        "States.Format" => {
            let template = string(v.first().ok_or("it needs a template string")?, "the template")?;
            format(&template, &v[1..])
        }
        "States.StringToJson" => {
            arity(v, 1..=1)?;
            serde_json::from_str(&string(&v[0], "the argument")?).map_err(|e| format!("the string is not JSON: {e}"))
        }
        "States.JsonToString" => {
            arity(v, 1..=1)?;
            Ok(Json::String(v[0].to_string()))
        }
        "States.Array" => Ok(Json::Array(v.to_vec())),
        "States.ArrayPartition" => {
            arity(v, 2..=2)?;
            let size = integer(&v[1], "the chunk size")?;
            if size <= 0 {
                return Err("the chunk size must be positive".into());
            }
            let a = array(&v[0], "the first argument")?;
            Ok(Json::Array(
                a.chunks(size as usize).map(|c| Json::Array(c.to_vec())).collect(),
            ))
        }
        "States.ArrayContains" => {
            arity(v, 2..=2)?;
            Ok(Json::Bool(array(&v[0], "the first argument")?.contains(&v[1])))
        }
        "States.ArrayRange" => {
            arity(v, 3..=3)?;
            let (start, end, step) = (
                integer(&v[0], "start")?,
                integer(&v[1], "end")?,
                integer(&v[2], "step")?,
            );
            if step == 0 {
                return Err("the step must not be 0".into());
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                out.push(json!(i));
                if out.len() > 1000 {
                    return Err("the range has more than 1000 items".into());
                }
                i += step;
            }
            Ok(Json::Array(out))
        }
        "States.ArrayGetItem" => {
            arity(v, 2..=2)?;
            let a = array(&v[0], "the first argument")?;
            let i = integer(&v[1], "the index")?;
            usize::try_from(i)
                .ok()
                .and_then(|i| a.get(i))
                .cloned()
                .ok_or_else(|| format!("the index {i} is out of bounds (length {})", a.len()))
        }
        "States.ArrayLength" => {
            arity(v, 1..=1)?;
            Ok(json!(array(&v[0], "the argument")?.len()))
        }
        "States.ArrayUnique" => {
            arity(v, 1..=1)?;
            let mut out: Vec<Json> = Vec::new();
            for x in array(&v[0], "the argument")? {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Ok(Json::Array(out))
        }
        "States.Base64Encode" => {
            arity(v, 1..=1)?;
            Ok(Json::String(
                base64::engine::general_purpose::STANDARD.encode(string(&v[0], "the argument")?),
            ))
        }
        "States.Base64Decode" => {
            arity(v, 1..=1)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(string(&v[0], "the argument")?)
                .map_err(|e| format!("the argument is not base64: {e}"))?;
            String::from_utf8(bytes)
                .map(Json::String)
                .map_err(|_| "the decoded data is not UTF-8 text".into())
        }
        "States.Hash" => {
            arity(v, 2..=2)?;
            let data = match &v[0] {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            Ok(Json::String(hash(data.as_bytes(), &string(&v[1], "the algorithm")?)?))
        }
        "States.JsonMerge" => {
            arity(v, 3..=3)?;
            if v[2] != Json::Bool(false) {
                return Err("only a shallow merge (false) is supported, as in Step Functions".into());
            }
            let (Some(a), Some(b)) = (v[0].as_object(), v[1].as_object()) else {
                return Err("both arguments must be objects".into());
            };
            let mut out = a.clone();
            out.extend(b.iter().map(|(k, x)| (k.clone(), x.clone())));
            Ok(Json::Object(out))
        }
        "States.MathRandom" => {
            arity(v, 2..=3)?;
            let (start, end) = (integer(&v[0], "start")?, integer(&v[1], "end")?);
            if end <= start {
                return Err("end must be greater than start".into());
            }
            let r = match v.get(2) {
                Some(seed) => Rng::new(&seed.to_string()).next_u64(),
                None => rng.next_u64(),
            };
            Ok(json!(start + (r % (end - start) as u64) as i64))
        }
        "States.MathAdd" => {
            arity(v, 2..=2)?;
            let (a, b) = (
                integer(&v[0], "the first argument")?,
                integer(&v[1], "the second argument")?,
            );
            a.checked_add(b)
                .map(|s| json!(s))
                .ok_or_else(|| "the sum overflows".into())
        }
        "States.StringSplit" => {
            arity(v, 2..=2)?;
            let (s, d) = (string(&v[0], "the string")?, string(&v[1], "the delimiters")?);
            Ok(Json::Array(
                s.split(|c| d.contains(c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Json::String(p.to_owned()))
                    .collect(),
            ))
        }
        "States.UUID" => {
            arity(v, 0..=0)?;
            Ok(Json::String(rng.uuid()))
        }
        other => Err(format!("'{other}' is not an intrinsic function")),
    }
}

fn format(template: &str, args: &[Json]) -> Result<Json, String> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let arg = next.next().ok_or("the template has more {} than arguments")?;
                match arg {
                    Json::String(s) => out.push_str(s),
                    Json::Object(_) | Json::Array(_) => {
                        return Err(format!(
                            "an argument is not a string, number, boolean or null: {}",
                            compact(arg)
                        ))
                    }
                    other => out.push_str(&other.to_string()),
                }
            }
            c => out.push(c),
        }
    }
    if next.next().is_some() {
        return Err("there are more arguments than {} in the template".into());
    }
    Ok(Json::String(out))
}

fn hash(data: &[u8], algorithm: &str) -> Result<String, String> {
    use sha2::Digest as _;
    let bytes: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(data).to_vec(),
        "SHA-1" => sha1::Sha1::digest(data).to_vec(),
        "SHA-256" => sha2::Sha256::digest(data).to_vec(),
        "SHA-384" => sha2::Sha384::digest(data).to_vec(),
        "SHA-512" => sha2::Sha512::digest(data).to_vec(),
        other => return Err(format!("'{other}' is not MD5, SHA-1, SHA-256, SHA-384 or SHA-512")),
    };
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(text: &str) -> Result<Json, Failure> {
        let input = json!({"name": "web", "n": 3, "list": [1, 2, 2, 3], "obj": {"a": 1}, "s": "{\"k\":[1]}"});
        evaluate(
            text,
            &input,
            &json!({"Execution": {"Name": "exec"}}),
            &mut Rng::new("t"),
        )
    }

    #[test]
    fn format_and_json_conversions() {
        assert_eq!(
            ev("States.Format('{}-{} in {}', $.name, $.n, $$.Execution.Name)").expect("ok"),
            json!("web-3 in exec")
        );
        assert_eq!(ev(r"States.Format('\{\} {}', 'x')").expect("ok"), json!("{} x"));
        assert_eq!(ev(r"States.Format('it\'s {}', true)").expect("ok"), json!("it's true"));
        assert!(ev("States.Format('{}', $.obj)").is_err());
        assert!(ev("States.Format('{} {}', 'a')").is_err());
        assert_eq!(ev("States.StringToJson($.s)").expect("ok"), json!({"k": [1]}));
        assert_eq!(ev("States.JsonToString($.obj)").expect("ok"), json!("{\"a\":1}"));
        assert_eq!(
            ev("States.StringToJson(States.JsonToString($.obj))").expect("ok"),
            json!({"a": 1})
        );
    }

    #[test]
    fn array_functions() {
        assert_eq!(
            ev("States.Array('a', 1, $.n, null)").expect("ok"),
            json!(["a", 1, 3, null])
        );
        assert_eq!(
            ev("States.ArrayPartition($.list, 3)").expect("ok"),
            json!([[1, 2, 2], [3]])
        );
        assert_eq!(ev("States.ArrayContains($.list, 3)").expect("ok"), json!(true));
        assert_eq!(ev("States.ArrayContains($.list, 9)").expect("ok"), json!(false));
        assert_eq!(ev("States.ArrayRange(1, 9, 2)").expect("ok"), json!([1, 3, 5, 7, 9]));
        assert_eq!(ev("States.ArrayGetItem($.list, 3)").expect("ok"), json!(3));
        assert!(ev("States.ArrayGetItem($.list, 4)").is_err());
        assert_eq!(ev("States.ArrayLength($.list)").expect("ok"), json!(4));
        assert_eq!(ev("States.ArrayUnique($.list)").expect("ok"), json!([1, 2, 3]));
    }

    #[test]
    fn encoding_hashing_math_and_strings() {
        assert_eq!(
            ev("States.Base64Encode('Data to encode')").expect("ok"),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        assert_eq!(
            ev("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')").expect("ok"),
            json!("Data to encode")
        );
        assert_eq!(
            ev("States.Hash('abc', 'SHA-256')").expect("ok"),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            ev("States.Hash('abc', 'MD5')").expect("ok"),
            json!("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            ev("States.Hash('abc', 'SHA-1')").expect("ok"),
            json!("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert!(ev("States.Hash('abc', 'CRC32')").is_err());
        assert_eq!(
            ev("States.JsonMerge($.obj, States.StringToJson($.s), false)").expect("ok"),
            json!({"a": 1, "k": [1]})
        );
        assert_eq!(ev("States.MathAdd($.n, -5)").expect("ok"), json!(-2));
        let r = ev("States.MathRandom(10, 20)").expect("ok").as_i64().expect("ok");
        assert!((10..20).contains(&r), "{r}");
        assert_eq!(
            ev("States.MathRandom(1, 1000, 7)").expect("ok"),
            ev("States.MathRandom(1, 1000, 7)").expect("ok")
        );
        assert_eq!(
            ev("States.StringSplit('a,b;;c', ',;')").expect("ok"),
            json!(["a", "b", "c"])
        );
        let id = ev("States.UUID()").expect("ok");
        let id = id.as_str().expect("ok");
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4", "a version 4 UUID: {id}");
    }

    #[test]
    fn errors_name_the_function() {
        let f = ev("States.ArrayLength($.name)").expect_err("an error");
        assert_eq!(f.error, "States.Runtime");
        assert!(f.cause.contains("'States.ArrayLength'"), "{}", f.cause);
        assert!(ev("States.Nope(1)").is_err());
        assert!(ev("States.Format('x'").is_err());
        assert!(ev("States.ArrayLength($.missing)").is_err());
    }
}
