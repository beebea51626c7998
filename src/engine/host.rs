//! Where the engine is, found as the docker CLI finds it: flags,
//! `DOCKER_HOST`, contexts and their TLS files.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::config::{config_dir, load_config};
use super::error::{Error, Result};
use super::transport::TlsFiles;

/// The engine used when nothing names one.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// What the command line said about the engine.
#[derive(Debug, Clone, Default)]
pub struct HostChoice {
    pub host: Option<String>,
    pub context: Option<String>,
}

/// The engine address, in the order of the `docker` module's contract:
/// the host flag, `DOCKER_HOST`, the context flag, `DOCKER_CONTEXT`,
/// `currentContext` of `config.json`, then the default socket.
pub fn resolve_host(choice: &HostChoice) -> Result<String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(host) = choice.host.clone().or_else(|| env("DOCKER_HOST")) {
        return Ok(host);
    }
    let dir = config_dir();
    let context = match choice.context.clone().or_else(|| env("DOCKER_CONTEXT")) {
        Some(name) => Some(name),
        None => load_config(&dir)?
            .get("currentContext")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .map(str::to_owned),
    };
    match context {
        None => Ok(DEFAULT_HOST.to_owned()),
        Some(name) if name == "default" => Ok(DEFAULT_HOST.to_owned()),
        Some(name) => context_host(&dir, &name),
    }
}

/// The engine address and its TLS files, as the docker CLI finds them. For a
/// host from the flag or `DOCKER_HOST`: `DOCKER_TLS_VERIFY` (verify the
/// engine with `ca.pem`, required) or `DOCKER_TLS` (TLS, with `ca.pem` when
/// there is one), the files taken from `DOCKER_CERT_PATH` (default: the
/// config directory), `cert.pem` and `key.pem` only when both exist. For a
/// context: the files stored with it, if any.
pub fn resolve_engine(choice: &HostChoice) -> Result<(String, Option<TlsFiles>)> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let host = resolve_host(choice)?;
    let tcp = host.starts_with("tcp://") || host.starts_with("https://");
    if choice.host.is_none() && env("DOCKER_HOST").is_none() {
        let context = choice.context.clone().or_else(|| env("DOCKER_CONTEXT"));
        let context = match context {
            Some(name) => Some(name),
            None => load_config(&config_dir())?
                .get("currentContext")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        let tls = match context.filter(|n| !n.is_empty() && n != "default") {
            Some(name) if tcp => context_tls(&config_dir(), &name),
            _ => None,
        };
        return Ok((host, tls));
    }
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
    let bytes = std::fs::read(&path).map_err(|_| {
        Error::invalid(format!("context '{name}' not found ('{}')", path.display()))
    })?;
    let meta: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid(format!("context '{name}': bad meta.json: {e}")))?;
    meta.pointer("/Endpoints/docker/Host")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(format!("context '{name}' has no docker endpoint")))
}
