//! Compose projects, without Lua: the model and what runs it.
//!
//! - [`yaml`]: YAML text to JSON values (anchors, merge keys, documents);
//! - [`load`]: finding and reading compose files, `.env`, overrides,
//!   `extends`, profiles; [`interpolate`]: `${VAR}`; [`env`]: env files;
//!   [`normalise`]: each document to the canonical model, checked, errors
//!   naming file, [`path`] and value; [`merge`]: overrides;
//! - [`graph`]: dependency order and cycles; [`labels`]: names, labels and
//!   the config hash `docker compose` uses;
//! - [`create`]: a service as `containers.create` options;
//! - [`run`]: up, down, ps, logs and the other project verbs on an engine.

pub mod create;
pub mod env;
pub mod graph;
pub mod interpolate;
pub mod labels;
pub mod load;
pub mod merge;
pub mod normalise;
pub mod path;
pub mod run;
pub mod yaml;

use std::path::PathBuf;

use serde_json::{Map, Value};

pub use load::{load, LoadOptions};
pub use path::Path;

/// A loaded project: its name, folder, files and normalised model.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub working_dir: PathBuf,
    pub config_files: Vec<String>,
    /// `{name, services, networks, volumes, secrets, configs}`, normalised.
    pub model: Map<String, Value>,
    /// What loading noticed (unset variables), for the caller to show.
    pub warnings: Vec<String>,
}

impl Project {
    pub fn services(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.model
            .get("services")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// The service names in dependency order (dependencies first).
    pub fn ordered_services(&self) -> Vec<String> {
        graph::order(self.services(), &Path::new("project"))
            .unwrap_or_else(|_| self.services().keys().cloned().collect())
    }

    /// How many containers a service runs: `scale`, else `deploy.replicas`, else 1.
    pub fn replicas(&self, service: &str) -> u32 {
        let s = &self.services()[service];
        s.get("scale")
            .or_else(|| s.pointer("/deploy/replicas"))
            .and_then(Value::as_u64)
            .map_or(1, |n| n as u32)
    }

    /// The model as a compose file (`p:config()`): without `name` (the
    /// project's name is the caller's) and with a port bound to a host
    /// address in the short form, so that docker-compose 1.x reads it too.
    pub fn config(&self) -> Value {
        let mut model = self.model.clone();
        model.remove("name");
        if let Some(Value::Object(services)) = model.get_mut("services") {
            for service in services.values_mut() {
                if let Some(Value::Array(ports)) = service.get_mut("ports") {
                    for port in ports.iter_mut() {
                        if let Some(ip) = port.get("host_ip").and_then(Value::as_str) {
                            let published =
                                port.get("published").and_then(Value::as_str).unwrap_or("");
                            let short = format!(
                                "{ip}:{published}:{}/{}",
                                port["target"],
                                port["protocol"].as_str().unwrap_or("tcp")
                            );
                            *port = Value::String(short);
                        }
                    }
                }
            }
        }
        Value::Object(model)
    }
}

/// Whether `s` is a Go duration.
fn units_ok(s: &str) -> bool {
    crate::engine::units::parse_nanos(s).is_some()
}
