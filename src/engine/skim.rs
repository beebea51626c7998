//! Reading a JSON answer only as far as it is needed. A container's inspect
//! is 4-8 KB of JSON whose whole tree costs about 200,000 instructions and
//! 30 KB of heap to build, and the reload after `c:stop()` is then read for
//! a name and a status. A skim builds only the members a [`Keep`] names,
//! checks that the rest is valid JSON without building it, and leaves the
//! text to be parsed whole by whoever asks for more.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use super::{body, Error, ErrorKind, Result};

/// What a skim builds of a value.
#[derive(Debug)]
pub enum Keep {
    /// The whole value.
    All,
    /// Of an object, these members only, each as far as its own `Keep`
    /// says; any other value (an array, a string, null) whole.
    Members(&'static [(&'static str, Keep)]),
}

/// The value of `text` as far as `keep` says, after the checks of
/// [`body::parse_json`]: an answer that one would refuse is refused here.
pub fn skim(text: &[u8], keep: &Keep) -> Result<Value> {
    body::check_values(text)?;
    // One check of the whole text spares serde_json one per string.
    let skimmed = match std::str::from_utf8(text) {
        Ok(text) => read(&mut serde_json::Deserializer::from_str(text), keep),
        Err(_) => read(&mut serde_json::Deserializer::from_slice(text), keep),
    };
    skimmed.map_err(|e| {
        Error::new(
            ErrorKind::Api,
            format!("the engine answered invalid json: {e}"),
        )
    })
}

fn read<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    keep: &Keep,
) -> serde_json::Result<Value> {
    let value = Seed(keep).deserialize(&mut *de)?;
    // Trailing garbage fails as it does for a whole parse.
    de.end()?;
    Ok(value)
}

struct Seed<'k>(&'k Keep);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        match self.0 {
            Keep::All => Value::deserialize(d),
            Keep::Members(members) => d.deserialize_any(Members(members)),
        }
    }
}

/// Builds the named members of an object; any other value is built whole.
struct Members(&'static [(&'static str, Keep)]);

impl<'de> Visitor<'de> for Members {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut kept = Map::new();
        while let Some(found) = map.next_key_seed(Name(self.0))? {
            match found {
                Some((name, keep)) => {
                    let value = map.next_value_seed(Seed(keep))?;
                    kept.insert((*name).to_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }
}

/// A member's name, looked up among the kept ones without being copied.
struct Name(&'static [(&'static str, Keep)]);

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Option<&'static (&'static str, Keep)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Option<&'static (&'static str, Keep)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
        Ok(self.0.iter().find(|(name, _)| *name == v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEEP: Keep = Keep::Members(&[
        ("Id", Keep::All),
        ("State", Keep::All),
        ("Config", Keep::Members(&[("Image", Keep::All)])),
    ]);

    #[test]
    fn only_the_named_members_are_built() {
        let text = br#"{"Id":"abc","Name":"/web","State":{"Status":"exited","Pid":0},
            "Config":{"Image":"alpine","Env":["A=1"],"Labels":{"x":"y"}},"Mounts":[{"Type":"bind"}]}"#;
        let skimmed = skim(text, &KEEP).unwrap();
        assert_eq!(
            skimmed,
            json!({"Id": "abc", "State": {"Status": "exited", "Pid": 0}, "Config": {"Image": "alpine"}})
        );
    }

    #[test]
    fn values_of_other_shapes_are_kept_whole() {
        assert_eq!(
            skim(b"[1, {\"a\": 2}]", &KEEP).unwrap(),
            json!([1, {"a": 2}])
        );
        assert_eq!(skim(b"null", &KEEP).unwrap(), Value::Null);
        assert_eq!(
            skim(br#"{"Config": null, "Id": 1.5, "State": "running"}"#, &KEEP).unwrap(),
            json!({"Config": null, "Id": 1.5, "State": "running"})
        );
        assert_eq!(
            skim(br#"{"Id": "a\"b\u00e9"}"#, &KEEP).unwrap(),
            json!({"Id": "a\"bé"})
        );
    }

    #[test]
    fn what_is_not_built_is_still_checked() {
        for bad in [
            &br#"{"Id":"a","Mounts":[1,]}"#[..],
            br#"{"Id":"a","Env":"unterminated}"#,
            br#"{"Id":"a"} trailing"#,
            br#"{"Id":"a","Other":tru}"#,
        ] {
            let err = skim(bad, &KEEP).unwrap_err();
            assert!(err.message.contains("invalid json"), "{}", err.message);
        }
    }

    #[test]
    fn the_value_cap_holds_for_a_skim_too() {
        let many = format!("[{}0]", "0,".repeat(body::MAX_VALUES));
        let err = skim(many.as_bytes(), &KEEP).unwrap_err();
        assert!(err.message.contains("json values"), "{}", err.message);
    }
}
