//! `Node:update{...}`: the Python SDK's `NodeSpec` fields (or the engine's
//! spelling) onto a node's current spec.

use serde_json::{json, Value};

use super::{bad, labels, string, Fields};
use crate::engine::Result;

/// Sets the given fields of `spec` (a node's `Spec`); the rest is kept.
pub fn apply(spec: &mut Value, opts: &Value) -> Result<()> {
    const FIELDS: &[(&str, &str)] = &[
        ("availability", "Availability"),
        ("role", "Role"),
        ("labels", "Labels"),
        ("name", "Name"),
    ];
    if let Some(map) = opts.as_object() {
        let names: Vec<&str> = FIELDS.iter().flat_map(|(s, e)| [*s, *e]).collect();
        if let Some(k) = map.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(super::unknown("option", k, &names));
        }
    }
    let f = Fields::read("opts", opts, FIELDS)?;
    if !spec.is_object() {
        *spec = json!({});
    }
    if let Some(a) = f.with("availability", string)? {
        if !["active", "pause", "drain"].contains(&a.as_str()) {
            return Err(bad(
                "availability",
                "\"active\", \"pause\" or \"drain\"",
                &json!(a),
            ));
        }
        spec["Availability"] = json!(a);
    }
    if let Some(r) = f.with("role", string)? {
        if !["worker", "manager"].contains(&r.as_str()) {
            return Err(bad("role", "\"worker\" or \"manager\"", &json!(r)));
        }
        spec["Role"] = json!(r);
    }
    if let Some(n) = f.with("name", string)? {
        spec["Name"] = json!(n);
    }
    if let Some(l) = f.with("labels", labels)? {
        spec["Labels"] = l;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_spec_in_either_spelling() {
        let mut spec = json!({"Role": "worker", "Availability": "active"});
        apply(
            &mut spec,
            &json!({"Labels": {"zone": "a"}, "Availability": "drain"}),
        )
        .unwrap();
        assert_eq!(
            spec,
            json!({"Role": "worker", "Availability": "drain", "Labels": {"zone": "a"}})
        );
        let err = apply(&mut spec, &json!({"role": "manager", "Role": "worker"})).unwrap_err();
        assert!(err.message.contains("'role'"), "{}", err.message);
        let err = apply(&mut spec, &json!({"availabilty": "drain"})).unwrap_err();
        assert!(
            err.message.contains("did you mean 'availability'"),
            "{}",
            err.message
        );
    }
}
