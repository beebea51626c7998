//! The names and labels `docker compose` gives what it creates, so that it
//! and dockerlua act on each other's projects; the config hash that tells a
//! changed service from an unchanged one.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub const VERSION: &str = "com.docker.compose.version";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";
pub const IMAGE: &str = "com.docker.compose.image";

/// The `docker compose` release whose labels and names we follow (written
/// in the version label, which docker-compose 1.x parses as a version).
pub const COMPOSE_VERSION: &str = "2.24.0";

/// `<project>-<service>-<n>`, as `docker compose` v2 names containers.
pub fn container_name(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

/// `<project>_<name>`: a network's or volume's engine name, unless the
/// model gives one (`name:`, or `external: {name:}`).
pub fn scoped_name(project: &str, key: &str, spec: &Value) -> String {
    if let Some(n) = spec.get("name").and_then(Value::as_str) {
        return n.to_owned();
    }
    if let Some(n) = spec.pointer("/external/name").and_then(Value::as_str) {
        return n.to_owned();
    }
    if is_external(spec) {
        return key.to_owned();
    }
    format!("{project}_{key}")
}

pub fn is_external(spec: &Value) -> bool {
    match spec.get("external") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Object(_)) => true,
        _ => false,
    }
}

/// A hash of what the service's containers are made from: the same model
/// gives the same hash, any change another. Its scale is left out (scaling
/// does not recreate).
pub fn config_hash(service: &Value) -> String {
    let mut s = service.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("scale");
        if let Some(Value::Object(d)) = m.get_mut("deploy") {
            d.remove("replicas");
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(canonical(&s).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON text with keys sorted at every level.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

/// The labels of a project's network or volume.
pub fn resource_labels(project: &str, label: &str, key: &str, own: Option<&Value>) -> Value {
    let mut m = Map::new();
    if let Some(Value::Object(own)) = own {
        m.extend(own.clone());
    }
    m.insert(PROJECT.into(), project.into());
    m.insert(label.into(), key.into());
    m.insert(VERSION.into(), COMPOSE_VERSION.into());
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_ignore_key_order_and_scale() {
        let a = json!({"image": "x", "environment": {"A": "1", "B": "2"}, "scale": 1});
        let b = json!({"environment": {"B": "2", "A": "1"}, "image": "x", "scale": 3});
        assert_eq!(config_hash(&a), config_hash(&b));
        assert_ne!(config_hash(&a), config_hash(&json!({"image": "y"})));
        assert_eq!(scoped_name("p", "data", &json!({})), "p_data");
        assert_eq!(scoped_name("p", "data", &json!({"external": true})), "data");
        assert_eq!(scoped_name("p", "data", &json!({"name": "mine"})), "mine");
    }
}
