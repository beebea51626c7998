//! One typed option model for every call that takes Docker options, as the
//! Python SDK's `docker/types` serves containers and services alike: each
//! option is read here once, with one meaning, from the options as JSON
//! (the way the Lua layer hands them over). Containers ([`container`]),
//! services ([`super::service_spec`]), swarms and nodes map their names
//! onto these readers.
//!
//! - durations: a Go duration string (`"1m30s"`, `"500ms"`) or a number of
//!   **nanoseconds**, everywhere;
//! - counts and integers: floats past the integer range are refused, never
//!   clamped;
//! - tables the Python SDK passes through to the engine accept the engine's
//!   own spelling (`Aliases`, `Replicas`) beside the snake_case one; both in
//!   one table is an error naming the field;
//! - unknown names get a "did you mean".

pub mod container;
pub mod node;
pub mod ports;
pub mod proxy;
pub mod types;

use serde_json::{json, Map, Value};

use super::error::excerpt;
use super::{Error, Result};

/// A value as an error message quotes it: numbers as written, an excerpt of
/// a string, the type of anything else.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", excerpt(s, 40)),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "table".into(),
    }
}

/// `bad option 'name' (expected expected, got <value>)`.
pub fn bad(name: &str, expected: &str, got: &Value) -> Error {
    Error::invalid(format!(
        "bad option '{name}' ({expected} expected, got {})",
        describe(got)
    ))
}

/// `unknown option 'x' (did you mean 'y'?)`.
pub fn unknown(what: &str, name: &str, known: &[&str]) -> Error {
    Error::invalid(format!(
        "unknown {what} '{}'{}",
        excerpt(name, 40),
        suggestion(name, known)
    ))
}

pub fn string(name: &str, v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad(name, "string", v))
}

/// A string or a number, as text (user ids, signals).
pub fn text(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) => Ok(integer(name, v).map_or_else(|_| v.to_string(), |n| n.to_string())),
        _ => Err(bad(name, "string or number", v)),
    }
}

pub fn boolean(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| bad(name, "boolean", v))
}

/// The one integer reader: an integer, or a float with an integral value
/// inside the 64-bit range (`1e300` is refused, never clamped).
pub fn integer(name: &str, v: &Value) -> Result<i64> {
    let Value::Number(n) = v else {
        return Err(bad(name, "integer", v));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // 2^63 itself does not fit: the bound is exclusive.
        Some(f) if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 => Ok(f as i64),
        _ => Err(bad(name, "integer", v)),
    }
}

/// A non-negative integer (a count of replicas, retries, attempts...).
pub fn count(name: &str, v: &Value) -> Result<i64> {
    match integer(name, v) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(bad(name, "non-negative integer", v)),
    }
}

/// An integer in `range`.
pub fn ranged(name: &str, v: &Value, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
    match integer(name, v) {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(bad(
            name,
            &format!("integer from {} to {}", range.start(), range.end()),
            v,
        )),
    }
}

pub fn number(name: &str, v: &Value) -> Result<f64> {
    v.as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| bad(name, "number", v))
}

/// The one duration reader: Go duration text (`"1m30s"`, `"500ms"`) or a
/// number of nanoseconds (a float is rounded: `3e9` is a float in Lua), as
/// the Python SDK and the engine count them.
pub fn duration(name: &str, v: &Value) -> Result<i64> {
    const EXPECTED: &str = "nanoseconds or a duration such as \"1m30s\"";
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) if i >= 0 => Ok(i),
            (None, Some(f)) if (0.0..9.2e18).contains(&f) => Ok(f.round() as i64),
            _ => Err(bad(name, EXPECTED, v)),
        },
        Value::String(s) => super::units::parse_nanos(s).ok_or_else(|| bad(name, EXPECTED, v)),
        _ => Err(bad(name, EXPECTED, v)),
    }
}

/// Bytes: a number, or text with a unit (`"64m"`, `"1.5g"`); `-1` (a plain
/// number) means "unlimited" where the engine allows it.
pub fn size(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(_) => integer(name, v),
        Value::String(s) => {
            if let Ok(n) = s.trim().parse::<i64>() {
                return Ok(n);
            }
            super::units::parse_bytes(s).map_err(|too_large| {
                if too_large {
                    Error::invalid(format!("bad option '{name}' (too large: {})", describe(v)))
                } else {
                    bad(name, "a size such as \"64m\"", v)
                }
            })
        }
        _ => Err(bad(name, "a size such as \"64m\"", v)),
    }
}

/// A string or an array of strings (numbers as their text).
pub fn strings(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|item| text(name, item)).collect(),
        // An empty Lua table reaches us as `{}`: an empty list.
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        _ => Err(bad(name, "string or array of strings", v)),
    }
}

/// A command: an array of words, or a string split as a POSIX shell would
/// (quotes respected, nothing expanded).
pub fn words(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => shlex::split(s).ok_or_else(|| {
            Error::invalid(format!(
                "bad option '{name}' (unbalanced quotes in {})",
                describe(v)
            ))
        }),
        _ => strings(name, v),
    }
}

fn scalar_text(name: &str, key: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        _ => Err(bad(&format!("{name}.{key}"), "string", value)),
    }
}

/// A map of strings (`sysctls`, `driver_opts`, `log options`...): values
/// may be numbers or booleans, written as text.
pub fn string_map(name: &str, v: &Value) -> Result<Value> {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, value) in map {
                out.insert(k.clone(), Value::String(scalar_text(name, k, value)?));
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) if a.is_empty() => Ok(json!({})),
        _ => Err(bad(name, "table of strings", v)),
    }
}

/// The one label reader, for every kind: `{team = "ops", tier = 2}`, or a
/// list of names (`{"managed"}`, each with the value `""`), or of
/// `"key=value"` items, as the Python SDK and the CLI take them.
pub fn labels(name: &str, v: &Value) -> Result<Value> {
    match v {
        Value::Array(items) => {
            let mut out = Map::new();
            for item in items {
                let item = text(name, item)?;
                let (k, v) = item.split_once('=').unwrap_or((&item, ""));
                if k.is_empty() {
                    return Err(bad(name, "label names", &Value::String(item.clone())));
                }
                out.insert(k.to_owned(), json!(v));
            }
            Ok(Value::Object(out))
        }
        Value::Object(map) if map.keys().any(String::is_empty) => Err(Error::invalid(format!(
            "bad option '{name}' (an empty label name)"
        ))),
        _ => string_map(name, v),
    }
}

/// `env`/`environment`: a map `{K = "v"}` (sorted, for a stable order) or an
/// array of `"K=V"`.
pub fn key_values(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let mut out = Vec::with_capacity(map.len());
            for (k, value) in map {
                out.push(format!("{k}={}", scalar_text(name, k, value)?));
            }
            out.sort();
            Ok(out)
        }
        _ => strings(name, v),
    }
}

/// Each item of an array option through `item`.
pub fn array(name: &str, v: &Value, item: impl Fn(&str, &Value) -> Result<Value>) -> Result<Value> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| item(name, i))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
        Value::Object(map) if map.is_empty() => Ok(json!([])),
        _ => Err(bad(name, "array", v)),
    }
}

/// The fields of an option table, read by their snake_case names whichever
/// of the two spellings the table uses: `(snake, Engine)` pairs.
pub struct Fields<'a> {
    name: String,
    /// `(snake, the key as given, value)`.
    found: Vec<(&'static str, &'a str, &'a Value)>,
}

impl<'a> Fields<'a> {
    /// `v` must be a table whose keys are all known in one spelling or the
    /// other, each field named once.
    pub fn read(
        name: &str,
        v: &'a Value,
        known: &[(&'static str, &'static str)],
    ) -> Result<Fields<'a>> {
        let map = match v {
            Value::Object(map) => map,
            Value::Array(a) if a.is_empty() => {
                return Ok(Fields {
                    name: name.to_owned(),
                    found: Vec::new(),
                })
            }
            _ => return Err(bad(name, "table", v)),
        };
        let mut found: Vec<(&'static str, &'a str, &'a Value)> = Vec::new();
        let mut spelled: Vec<(&'static str, &'a str)> = Vec::new();
        for (key, value) in map {
            let Some(&(snake, engine)) = known.iter().find(|(s, e)| s == key || e == key) else {
                let mut names: Vec<&str> = known.iter().map(|(s, _)| *s).collect();
                names.extend(known.iter().map(|(_, e)| *e));
                let snake: Vec<&str> = known.iter().map(|(s, _)| *s).collect();
                return Err(Error::invalid(format!(
                    "bad option '{name}' (unknown field '{}'{}; known: {})",
                    excerpt(key, 40),
                    suggestion(key, &names),
                    snake.join(", ")
                )));
            };
            if let Some((_, other)) = spelled.iter().find(|(s, _)| *s == snake) {
                return Err(Error::invalid(format!(
                    "bad option '{name}' (field '{snake}' given twice: as '{other}' and as '{key}'; \
                     '{snake}' and '{engine}' are one field)"
                )));
            }
            spelled.push((snake, key));
            if !value.is_null() {
                found.push((snake, key, value));
            }
        }
        Ok(Fields {
            name: name.to_owned(),
            found,
        })
    }

    pub fn get(&self, snake: &str) -> Option<&'a Value> {
        self.found
            .iter()
            .find(|(s, ..)| *s == snake)
            .map(|(.., v)| *v)
    }

    /// `option.field`, for messages, as the caller spelled the field.
    pub fn path(&self, snake: &str) -> String {
        let given = self
            .found
            .iter()
            .find(|(s, ..)| *s == snake)
            .map_or(snake, |(_, key, _)| *key);
        format!("{}.{given}", self.name)
    }

    /// The field through `read`, if given.
    pub fn with<T>(
        &self,
        snake: &str,
        read: impl Fn(&str, &Value) -> Result<T>,
    ) -> Result<Option<T>> {
        self.get(snake)
            .map(|v| read(&self.path(snake), v))
            .transpose()
    }
}

/// `" (did you mean 'x'?)"` when one of `known` is close to `name` (a typo
/// or a different spelling), else `""`.
pub fn suggestion(name: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= (name.chars().count() / 3).max(2) => {
            format!(" (did you mean '{k}'?)")
        }
        _ => String::new(),
    }
}

/// Levenshtein distance, where `_` and `-` count as the same character and
/// case is ignored.
fn edit_distance(a: &str, b: &str) -> usize {
    let norm = |c: char| {
        if c == '-' {
            '_'
        } else {
            c.to_ascii_lowercase()
        }
    };
    // Long input is no typo of a short name: skip the quadratic work.
    if a.len() > 200 || b.len() > 200 {
        return usize::MAX;
    }
    let a: Vec<char> = a.chars().map(norm).collect();
    let b: Vec<char> = b.chars().map(norm).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_name_is_suggested() {
        let known = ["detach", "mem_limit", "auto_remove", "environment", "to"];
        assert_eq!(suggestion("detatch", &known), " (did you mean 'detach'?)");
        assert_eq!(
            suggestion("memlimit", &known),
            " (did you mean 'mem_limit'?)"
        );
        assert_eq!(
            suggestion("auto-remove", &known),
            " (did you mean 'auto_remove'?)"
        );
        assert_eq!(suggestion("too", &known), " (did you mean 'to'?)");
        assert_eq!(suggestion("zzz", &known), "");
        assert_eq!(suggestion("x", &[]), "");
    }

    #[test]
    fn one_integer_reader_refuses_what_does_not_fit() {
        assert_eq!(integer("n", &json!(3)).unwrap(), 3);
        assert_eq!(integer("n", &json!(3e9)).unwrap(), 3_000_000_000);
        for bad in [
            json!(1e300),
            json!(-1e300),
            json!(9.3e18),
            json!(1.5),
            json!("3"),
        ] {
            let err = integer("replicas", &bad).unwrap_err();
            assert!(err.message.contains("'replicas'"), "{}", err.message);
        }
        assert!(count("n", &json!(-1)).is_err());
        assert!(ranged("blkio_weight", &json!(-1), 0..=1000).is_err());
    }

    #[test]
    fn durations_are_nanoseconds_or_text() {
        assert_eq!(duration("d", &json!(5)).unwrap(), 5);
        assert_eq!(duration("d", &json!(3e9)).unwrap(), 3_000_000_000);
        assert_eq!(duration("d", &json!(1.6)).unwrap(), 2);
        assert_eq!(duration("d", &json!("1m30s")).unwrap(), 90_000_000_000);
        assert_eq!(duration("d", &json!("500ms")).unwrap(), 500_000_000);
        for bad in [json!(-1), json!(1e300), json!("soon"), json!(true)] {
            assert!(duration("d", &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_in_either_spelling_but_not_both() {
        const KNOWN: &[(&str, &str)] = &[("aliases", "Aliases"), ("driver_opts", "DriverOpts")];
        let v = json!({"Aliases": ["a"], "driver_opts": {}});
        let f = Fields::read("net", &v, KNOWN).unwrap();
        assert_eq!(f.get("aliases"), Some(&json!(["a"])));
        let v = json!({"Aliases": ["a"], "aliases": ["b"]});
        let err = Fields::read("net", &v, KNOWN).err().unwrap().message;
        assert!(
            err.contains("'aliases'") && err.contains("'Aliases'"),
            "{err}"
        );
        let v = json!({"alias": ["a"]});
        let err = Fields::read("net", &v, KNOWN).err().unwrap().message;
        assert!(err.contains("did you mean 'aliases'"), "{err}");
    }

    #[test]
    fn labels_in_every_form() {
        assert_eq!(
            labels("l", &json!({"a": 1, "b": true})).unwrap(),
            json!({"a": "1", "b": "true"})
        );
        assert_eq!(
            labels("l", &json!(["x", "y=z"])).unwrap(),
            json!({"x": "", "y": "z"})
        );
        assert!(labels("l", &json!({"a": {}})).is_err());
        assert!(labels("l", &json!(5)).is_err());
    }
}
