//! Who we are to registries: credentials from `config.json` (`credHelpers`,
//! `credsStore`, `auths`) and the `X-Registry-Auth` header that carries them.

use base64::Engine as _;
use serde_json::{json, Value};

use super::config::{config_dir, load_config};
use super::error::{Error, Result};

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
                .find_map(|(key, v)| (strip_url(key) == strip_url(registry)).then_some(v))
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
    fn auth_is_base64url() {
        // '?>' encodes with '/' and '+' in the standard alphabet.
        let header = encode_auth(&json!({ "password": "??>>" }));
        assert!(!header.contains('+') && !header.contains('/'), "{header}");
    }
}
