//! Where the engine is and who we are to registries, found as the docker CLI
//! finds them: flags, `DOCKER_HOST`, contexts and `config.json`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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
fn load_config(dir: &Path) -> Result<Value> {
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

/// The registry a reference lives in, as `config.json` keys it.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first.to_owned(),
        _ => "https://index.docker.io/v1/".to_owned(),
    }
}

/// Credentials for `registry` from `config.json`: `credHelpers[registry]`,
/// then `credsStore`, then `auths`. `None` when there are none.
pub async fn credentials(registry: &str) -> Result<Option<Value>> {
    let dir = config_dir();
    let config = load_config(&dir)?;
    let helper = config
        .pointer(&format!(
            "/credHelpers/{}",
            registry.replace('~', "~0").replace('/', "~1")
        ))
        .or_else(|| config.get("credsStore"))
        .and_then(Value::as_str);
    if let Some(helper) = helper {
        if let Some(creds) = credential_helper(helper, registry).await? {
            return Ok(Some(creds));
        }
    }
    let auths = config.get("auths").and_then(Value::as_object);
    let entry = auths.and_then(|auths| {
        auths.get(registry).or_else(|| {
            // Keys are often full URLs ("https://localhost:5000/v1/").
            auths
                .iter()
                .find_map(|(key, v)| (strip_url(key) == registry).then_some(v))
        })
    });
    let Some(entry) = entry else { return Ok(None) };
    if let Some(token) = entry.get("identitytoken").and_then(Value::as_str) {
        return Ok(Some(
            json!({ "identitytoken": token, "serveraddress": registry }),
        ));
    }
    let Some(encoded) = entry.get("auth").and_then(Value::as_str) else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::invalid(format!("config.json: bad auth for '{registry}'")))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| Error::invalid(format!("config.json: bad auth for '{registry}'")))?;
    Ok(Some(json!({
        "username": username,
        "password": password,
        "serveraddress": registry,
    })))
}

fn strip_url(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// Asks `docker-credential-NAME get`; it answers `{ServerURL, Username, Secret}`.
async fn credential_helper(name: &str, registry: &str) -> Result<Option<Value>> {
    use tokio::io::AsyncWriteExt;
    let program = format!("docker-credential-{name}");
    let mut child = tokio::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::invalid(format!("cannot run '{program}': {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes()).await;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| Error::invalid(format!("'{program}' failed: {e}")))?;
    if !out.status.success() {
        // "credentials not found in native keychain" is not an error for us.
        return Ok(None);
    }
    let answer: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::invalid(format!("'{program}' answered no json: {e}")))?;
    let user = answer.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = answer.get("Secret").and_then(Value::as_str).unwrap_or("");
    Ok(Some(if user == "<token>" {
        json!({ "identitytoken": secret, "serveraddress": registry })
    } else {
        json!({ "username": user, "password": secret, "serveraddress": registry })
    }))
}

/// The `X-Registry-Auth` header value: base64url of the JSON credentials.
pub fn encode_auth(credentials: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(credentials.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_of_references() {
        assert_eq!(registry_of("alpine"), "https://index.docker.io/v1/");
        assert_eq!(
            registry_of("library/alpine:3"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(registry_of("localhost:5000/x/y"), "localhost:5000");
        assert_eq!(registry_of("ghcr.io/a/b"), "ghcr.io");
        assert_eq!(registry_of("localhost/a"), "localhost");
    }

    #[test]
    fn auth_is_base64url() {
        // '?>' encodes with '/' and '+' in the standard alphabet.
        let header = encode_auth(&json!({ "password": "??>>" }));
        assert!(!header.contains('+') && !header.contains('/'), "{header}");
    }
}
