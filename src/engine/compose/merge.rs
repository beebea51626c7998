//! Merging normalised documents as compose merges override files (and
//! `extends`): mappings key by key, later values winning; lists of mounts
//! (`volumes`, `secrets`, `configs`) by target; `ports` and the other
//! lists of a service appended without duplicates; a command replaced whole.

use serde_json::{Map, Value};

/// Lists replaced whole by an override, not appended to.
const REPLACED: &[&str] = &["command", "entrypoint", "test", "profiles_replace"];
/// Lists merged by an item's `target`.
const BY_TARGET: &[&str] = &["volumes", "secrets", "configs"];

/// Merges `over` into `base`.
pub fn merge(base: &mut Map<String, Value>, over: Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge(b, o),
            (Some(Value::Array(b)), Value::Array(o)) if !REPLACED.contains(&key.as_str()) => {
                if BY_TARGET.contains(&key.as_str()) {
                    for item in o {
                        let target = item.get("target").cloned();
                        match b
                            .iter_mut()
                            .find(|x| target.is_some() && x.get("target") == target.as_ref())
                        {
                            Some(slot) => *slot = item,
                            None => b.push(item),
                        }
                    }
                } else {
                    for item in o {
                        if !b.contains(&item) {
                            b.push(item);
                        }
                    }
                }
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn override_rules() {
        let mut base = json!({"services": {"web": {
            "image": "a", "command": ["x", "y"], "ports": [{"target": 80}],
            "environment": {"A": "1", "B": "1"},
            "volumes": [{"type": "volume", "source": "v", "target": "/d"}],
        }}});
        let over = json!({"services": {"web": {
            "image": "b", "command": ["z"], "ports": [{"target": 80}, {"target": 81}],
            "environment": {"B": "2"},
            "volumes": [{"type": "bind", "source": "/h", "target": "/d"}],
        }, "db": {"image": "c"}}});
        let Value::Object(b) = &mut base else {
            unreachable!()
        };
        let Value::Object(o) = over else {
            unreachable!()
        };
        merge(b, o);
        let web = &base["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["command"], json!(["z"]));
        assert_eq!(web["ports"], json!([{"target": 80}, {"target": 81}]));
        assert_eq!(web["environment"], json!({"A": "1", "B": "2"}));
        assert_eq!(
            web["volumes"],
            json!([{"type": "bind", "source": "/h", "target": "/d"}])
        );
        assert_eq!(base["services"]["db"]["image"], "c");
    }
}
