//! Podman's compat API in Docker's words, where the two differ in what a
//! script reads. Each rule only rewrites values Docker never sends, so it is
//! applied to every engine's answers without asking which engine it is.

use serde_json::Value;

/// A container list entry or inspect: Podman's own states (`stopped` is
/// exited but not yet cleaned up, `configured` is created but not
/// initialised) and its empty `Name` in list entries next to `Names`.
pub fn normalize_container(attrs: &mut Value) {
    fn docker_state(state: &mut Value) {
        let docker = match state.as_str() {
            Some("stopped") => "exited",
            Some("configured") => "created",
            _ => return,
        };
        *state = Value::from(docker);
    }
    if let Some(state) = attrs.get_mut("State") {
        match state.get_mut("Status") {
            Some(status) => docker_state(status),
            None => docker_state(state),
        }
    }
    let empty_name = attrs
        .get("Name")
        .is_some_and(|n| n.as_str().is_some_and(str::is_empty));
    if empty_name {
        if let Some(object) = attrs.as_object_mut() {
            object.remove("Name");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn podman_states_and_names_read_as_docker_ones() {
        let mut entry = json!({"State": "stopped", "Name": "", "Names": ["/web"]});
        normalize_container(&mut entry);
        assert_eq!(entry, json!({"State": "exited", "Names": ["/web"]}));
        let mut inspect = json!({"State": {"Status": "configured"}, "Name": "/db"});
        normalize_container(&mut inspect);
        assert_eq!(inspect["State"]["Status"], "created");
        let mut docker = json!({"State": {"Status": "running"}, "Name": "/x"});
        let before = docker.clone();
        normalize_container(&mut docker);
        assert_eq!(docker, before);
    }
}
