//! `config.json` in the docker CLI's configuration folder: where it is and
//! how it is read. [`super::host`] and [`super::credentials`] use it.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::error::{Error, Result};

/// `$DOCKER_CONFIG`, or `~/.docker`.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".docker")
}

/// `config.json`, or an empty object when there is none.
pub fn load_config(dir: &Path) -> Result<Value> {
    let path = dir.join("config.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(format!("cannot read '{}': {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(Error::invalid(format!(
            "cannot read '{}': {e}",
            path.display()
        ))),
    }
}
