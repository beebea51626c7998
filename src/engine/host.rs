//! Where the engine is, found as the docker CLI finds it: flags,
//! `DOCKER_HOST`, contexts and their TLS files; the list of contexts.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::config::{config_dir, load_config};
use super::error::{Error, Result};
use super::transport::{redact, TlsFiles};

/// The engine used when nothing names one.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// What the command line said about the engine.
#[derive(Debug, Clone, Default)]
pub struct HostChoice {
    pub host: Option<String>,
    pub context: Option<String>,
}

/// The name of the context in use, as the docker CLI resolves it: the
/// context flag; `default` when the host flag or `DOCKER_HOST` is set; then
/// `DOCKER_CONTEXT`, `currentContext` of `config.json`, `default`. The host
/// flag with the context flag is an error, as in the docker CLI.
pub fn current_context(choice: &HostChoice) -> Result<String> {
    if choice.host.is_some() && choice.context.is_some() {
        return Err(Error::invalid(
            "conflicting options: either specify --host or --context, not both",
        ));
    }
    if let Some(name) = &choice.context {
        return Ok(name.clone());
    }
    if choice.host.is_some() || env("DOCKER_HOST").is_some() {
        return Ok(DEFAULT_CONTEXT.to_owned());
    }
    if let Some(name) = env("DOCKER_CONTEXT") {
        return Ok(name);
    }
    let current = load_config(&config_dir())?
        .get("currentContext")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    Ok(current.unwrap_or_else(|| DEFAULT_CONTEXT.to_owned()))
}

/// The context that stands for the flags and the environment.
pub const DEFAULT_CONTEXT: &str = "default";

/// The engine address, in the docker CLI's order (see [`current_context`]).
pub fn resolve_host(choice: &HostChoice) -> Result<String> {
    Ok(resolve_engine(choice)?.0)
}

/// The engine address and its TLS files, as the docker CLI finds them.
pub fn resolve_engine(choice: &HostChoice) -> Result<(String, Option<TlsFiles>)> {
    let name = current_context(choice)?;
    context_engine(&name, choice.host.as_deref())
}

/// The engine of the context `name`. The `default` context is the host flag
/// (`host`), else `DOCKER_HOST`, else the default socket. For a host from the
/// flag or `DOCKER_HOST`: `DOCKER_TLS_VERIFY` (verify the engine with
/// `ca.pem`, required) or `DOCKER_TLS` (TLS, with `ca.pem` when there is
/// one), the files taken from `DOCKER_CERT_PATH` (default: the config
/// directory), `cert.pem` and `key.pem` only when both exist. For a named
/// context: its endpoint and the TLS files stored with it, if any. An
/// unknown name is an error naming it.
pub fn context_engine(name: &str, host: Option<&str>) -> Result<(String, Option<TlsFiles>)> {
    if name != DEFAULT_CONTEXT {
        let dir = config_dir();
        let host = context_host(&dir, name)?;
        let tcp = host.starts_with("tcp://") || host.starts_with("https://");
        let tls = if tcp { context_tls(&dir, name) } else { None };
        return Ok((host, tls));
    }
    let Some(host) = host.map(str::to_owned).or_else(|| env("DOCKER_HOST")) else {
        return Ok((DEFAULT_HOST.to_owned(), None));
    };
    let tcp = host.starts_with("tcp://") || host.starts_with("https://");
    let verify = env("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0");
    let wanted = verify || env("DOCKER_TLS").is_some_and(|v| v != "0");
    if !tcp || !(wanted || host.starts_with("https://")) {
        return Ok((host, None));
    }
    let dir = env("DOCKER_CERT_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(config_dir);
    let ca = dir.join("ca.pem");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let pair = cert.is_file() && key.is_file();
    let tls = TlsFiles {
        // Verifying needs the CA: a missing one is then an error naming it.
        ca: (verify || ca.is_file()).then_some(ca),
        cert: pair.then_some(cert),
        key: pair.then_some(key),
    };
    Ok((host, Some(tls)))
}

/// One context as `docker context ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    /// The engine address, its password masked (it is shown and printed).
    pub host: String,
    pub description: String,
    pub current: bool,
}

/// Every context: `default` first (the flags' or `DOCKER_HOST`'s engine),
/// then those in the config folder by name. A context whose `meta.json`
/// cannot be read is skipped, as the docker CLI lists what it can.
pub fn list_contexts(choice: &HostChoice) -> Result<Vec<ContextInfo>> {
    let current = current_context(choice)?;
    let default_host = match choice.host.clone().or_else(|| env("DOCKER_HOST")) {
        Some(host) => host,
        None => DEFAULT_HOST.to_owned(),
    };
    let mut named = Vec::new();
    let meta = config_dir().join("contexts/meta");
    if let Ok(entries) = std::fs::read_dir(&meta) {
        for entry in entries.flatten() {
            let Ok(bytes) = std::fs::read(entry.path().join("meta.json")) else {
                continue;
            };
            let Ok(meta) = serde_json::from_slice::<Value>(&bytes) else {
                continue;
            };
            let text = |pointer: &str| {
                meta.pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let name = text("/Name");
            if name.is_empty() || name == DEFAULT_CONTEXT {
                continue;
            }
            named.push(ContextInfo {
                current: name == current,
                host: redact(&text("/Endpoints/docker/Host")),
                description: text("/Metadata/Description"),
                name,
            });
        }
    }
    named.sort_by(|a, b| a.name.cmp(&b.name));
    let mut all = vec![ContextInfo {
        name: DEFAULT_CONTEXT.to_owned(),
        host: redact(&default_host),
        description: "Current DOCKER_HOST based configuration".to_owned(),
        current: current == DEFAULT_CONTEXT,
    }];
    all.extend(named);
    Ok(all)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn context_hash(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The TLS files `docker context create --docker ca=...,cert=...,key=...`
/// stored for a context's engine.
fn context_tls(dir: &Path, name: &str) -> Option<TlsFiles> {
    let tls = dir
        .join("contexts/tls")
        .join(context_hash(name))
        .join("docker");
    let file = |f: &str| Some(tls.join(f)).filter(|p| p.is_file());
    let files = TlsFiles {
        ca: file("ca.pem"),
        cert: file("cert.pem"),
        key: file("key.pem"),
    };
    (files != TlsFiles::default()).then_some(files)
}

/// The docker endpoint of a named context, from its `meta.json`.
fn context_host(dir: &Path, name: &str) -> Result<String> {
    let path = dir
        .join("contexts/meta")
        .join(context_hash(name))
        .join("meta.json");
    // Quoted short: a name can be megabytes long.
    let name = super::error::excerpt(name, 100);
    let bytes = std::fs::read(&path).map_err(|_| {
        Error::invalid(format!(
            "context '{name}' not found (no '{}')",
            path.display()
        ))
    })?;
    let meta: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(format!("context '{name}': bad meta.json: {e}")))?;
    meta.pointer("/Endpoints/docker/Host")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(format!("context '{name}' has no docker endpoint")))
}
