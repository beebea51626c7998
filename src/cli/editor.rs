//! `--init-editor [DIR]`: one step to editor support. Writes the LuaLS
//! definitions under `DIR/.dockerlua/types` and points `DIR/.luarc.json` at
//! them, keeping what an existing `.luarc.json` already says.

use std::path::Path;

use serde_json::{Map, Value};

/// Where the definitions go, relative to the project folder.
pub const TYPES_DIR: &str = ".dockerlua/types";

/// Writes the types and the settings; what was done, one line each.
pub fn init(dir: &Path) -> Result<Vec<String>, String> {
    let types = dir.join(TYPES_DIR);
    super::flags::write_types(&types)
        .map_err(|e| format!("cannot write the types into {}: {e}", types.display()))?;
    let mut done = vec![format!(
        "wrote the LuaLS definitions into {}",
        types.display()
    )];
    let rc = dir.join(".luarc.json");
    let old = match std::fs::read_to_string(&rc) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", rc.display())),
    };
    let settings = match &old {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Err(format!(
                    "{} is not a JSON object (comments?): add \"{TYPES_DIR}\" to its \
                     workspace.library yourself",
                    rc.display()
                ))
            }
        },
    };
    let settings = luarc(settings);
    let mut text = serde_json::to_string_pretty(&Value::Object(settings))
        .map_err(|e| format!("cannot write {}: {e}", rc.display()))?;
    text.push('\n');
    if old.as_deref() != Some(text.as_str()) {
        std::fs::write(&rc, text).map_err(|e| format!("cannot write {}: {e}", rc.display()))?;
        let verb = if old.is_some() { "updated" } else { "wrote" };
        done.push(format!("{verb} {}", rc.display()));
    }
    Ok(done)
}

/// The settings with ours added: the types folder in `workspace.library`,
/// Lua 5.4, the `docker` global. A key written nested
/// (`{"workspace": {"library": [...]}}`) is kept nested; a value the user
/// chose (another runtime version) is left alone.
pub fn luarc(mut settings: Map<String, Value>) -> Map<String, Value> {
    settings.entry("$schema").or_insert_with(|| {
        "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json".into()
    });
    add_to_list(&mut settings, "workspace", "library", TYPES_DIR);
    add_to_list(&mut settings, "diagnostics", "globals", "docker");
    if lookup(&mut settings, "runtime", "version").is_none() {
        settings.insert("runtime.version".into(), "Lua 5.4".into());
    }
    settings
}

fn lookup<'a>(
    settings: &'a mut Map<String, Value>,
    group: &str,
    key: &str,
) -> Option<&'a mut Value> {
    let flat = format!("{group}.{key}");
    if settings.contains_key(&flat) {
        return settings.get_mut(&flat);
    }
    settings.get_mut(group)?.as_object_mut()?.get_mut(key)
}

fn add_to_list(settings: &mut Map<String, Value>, group: &str, key: &str, item: &str) {
    match lookup(settings, group, key) {
        Some(Value::Array(list)) => {
            if !list.iter().any(|v| v.as_str() == Some(item)) {
                list.push(item.into());
            }
        }
        Some(other) => *other = Value::Array(vec![other.clone(), item.into()]),
        None => {
            settings.insert(format!("{group}.{key}"), Value::Array(vec![item.into()]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn new_settings_point_at_the_types() {
        let s = luarc(Map::new());
        assert_eq!(s["workspace.library"], json!([TYPES_DIR]));
        assert_eq!(s["runtime.version"], json!("Lua 5.4"));
        assert_eq!(s["diagnostics.globals"], json!(["docker"]));
    }

    #[test]
    fn existing_settings_are_kept_flat_or_nested_and_not_repeated() {
        let s = luarc(obj(json!({
            "workspace": {"library": ["lib"], "checkThirdParty": false},
            "runtime.version": "Lua 5.3",
            "diagnostics.globals": ["docker", "ngx"],
        })));
        assert_eq!(s["workspace"]["library"], json!(["lib", TYPES_DIR]));
        assert_eq!(s["workspace"]["checkThirdParty"], json!(false));
        assert!(!s.contains_key("workspace.library"));
        assert_eq!(s["runtime.version"], json!("Lua 5.3"));
        assert_eq!(s["diagnostics.globals"], json!(["docker", "ngx"]));
        assert_eq!(luarc(s.clone()), s);
    }
}
