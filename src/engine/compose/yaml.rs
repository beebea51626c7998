//! YAML to JSON values and back, as compose files need them: anchors and
//! aliases (expanded by the parser), merge keys (`<<`, applied here, nested
//! ones too), several documents in one text, and keys that are not strings
//! (`80: x`) turned into strings.

use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

use crate::engine::error::excerpt;
use crate::engine::{Error, Result};

/// Every document of `text` as a JSON value, merge keys applied; `origin`
/// names the text in errors (a file name).
pub fn decode_all(origin: &str, text: &str) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let yaml = <Yaml as serde::Deserialize>::deserialize(document)
            .map_err(|e| Error::invalid(format!("{origin}: invalid YAML: {e}")))?;
        out.push(to_json(origin, yaml, &mut String::new())?);
    }
    Ok(out)
}

/// One document (an empty text is `null`); several is an error.
pub fn decode(origin: &str, text: &str) -> Result<Value> {
    let mut all = decode_all(origin, text)?;
    match all.len() {
        0 => Ok(Value::Null),
        1 => Ok(all.remove(0)),
        n => Err(Error::invalid(format!(
            "{origin}: {n} YAML documents where one was expected"
        ))),
    }
}

/// A JSON value as YAML text (keys in the value's order).
pub fn encode(value: &Value) -> Result<String> {
    serde_yaml_ng::to_string(value).map_err(|e| Error::invalid(format!("yaml.encode: {e}")))
}

fn to_json(origin: &str, yaml: Yaml, path: &mut String) -> Result<Value> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Number::from_f64(f).map(Value::Number).ok_or_else(|| {
                    Error::invalid(format!(
                        "{origin}: {}: {f} is not a finite number",
                        at(path)
                    ))
                })?
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(to_json(origin, item, path)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            let mut merges = Vec::new();
            for (k, v) in map {
                let key = key_text(origin, &k, path)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                let value = to_json(origin, v, path)?;
                path.truncate(len);
                if key == "<<" && matches!(k, Yaml::String(_)) {
                    merges.push(value);
                } else {
                    out.insert(key, value);
                }
            }
            // `<<: *a` or `<<: [*a, *b]`: keys of the mapping itself win,
            // then the earlier merged mappings over the later ones.
            for merge in merges {
                let sources = match merge {
                    Value::Array(list) => list,
                    other => vec![other],
                };
                for source in sources {
                    let Value::Object(source) = source else {
                        return Err(Error::invalid(format!(
                            "{origin}: {}: a merge key (<<) takes a mapping or a list of mappings, got {}",
                            at(path),
                            excerpt(&source.to_string(), 40)
                        )));
                    };
                    for (k, v) in source {
                        out.entry(k).or_insert(v);
                    }
                }
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => to_json(origin, tagged.value, path)?,
    })
}

fn key_text(origin: &str, key: &Yaml, path: &str) -> Result<String> {
    Ok(match key {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Null => "null".to_owned(),
        _ => {
            return Err(Error::invalid(format!(
                "{origin}: {}: a mapping key must be a scalar",
                at(path)
            )))
        }
    })
}

fn at(path: &str) -> &str {
    if path.is_empty() {
        "(top level)"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anchors_and_merge_keys() {
        let text = "\
x-base: &base
  image: alpine
  environment: {A: '1'}
x-more: &more
  <<: *base
  user: nobody
services:
  a:
    <<: *more
    environment: {B: '2'}
  b:
    <<: [*base, {image: busybox, tty: true}]
";
        let v = decode("c.yaml", text).unwrap();
        assert_eq!(v["services"]["a"]["image"], "alpine");
        assert_eq!(v["services"]["a"]["user"], "nobody");
        assert_eq!(v["services"]["a"]["environment"], json!({"B": "2"}));
        assert_eq!(v["services"]["b"]["image"], "alpine");
        assert_eq!(v["services"]["b"]["tty"], true);
    }

    #[test]
    fn documents_keys_and_errors() {
        let all = decode_all("c.yaml", "a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(all, vec![json!({"a": 1}), json!({"b": 2})]);
        assert!(decode("c.yaml", "a: 1\n---\nb: 2\n").is_err());
        assert_eq!(decode("c.yaml", "").unwrap(), Value::Null);
        assert_eq!(decode("c.yaml", "80: x\n").unwrap(), json!({"80": "x"}));
        let e = decode("c.yaml", "a: [1\n").unwrap_err();
        assert!(
            e.message.starts_with("c.yaml: invalid YAML"),
            "{}",
            e.message
        );
        let e = decode("c.yaml", "s:\n  a:\n    <<: 3\n").unwrap_err();
        assert!(
            e.message.starts_with("c.yaml: s.a: a merge key"),
            "{}",
            e.message
        );
        let dup = decode("c.yaml", "a: 1\na: 2\n").unwrap_err();
        assert!(dup.message.contains("duplicate"), "{}", dup.message);
    }

    #[test]
    fn encodes_round_trip() {
        let v = json!({"services": {"web": {"image": "alpine", "ports": ["80:80"], "x": "yes"}}});
        let text = encode(&v).unwrap();
        assert_eq!(decode("t", &text).unwrap(), v);
    }
}
