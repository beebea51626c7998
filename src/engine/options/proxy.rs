//! Proxies from the docker CLI's `config.json` (`proxies.default`, or the
//! entry of the engine's own address), put into the environment of created
//! containers and execs and into build arguments as the CLI and the Python
//! SDK do: each variable in upper and lower case, an explicit one winning.

use serde_json::Value;

use crate::engine::config::{config_dir, load_config};

/// `(config.json key, variable)`.
const PROXIES: &[(&str, &str)] = &[
    ("httpProxy", "HTTP_PROXY"),
    ("httpsProxy", "HTTPS_PROXY"),
    ("noProxy", "NO_PROXY"),
    ("ftpProxy", "FTP_PROXY"),
    ("allProxy", "ALL_PROXY"),
];

/// The proxy variables for an engine at `host` (its address as given), in
/// upper and lower case; empty without a configuration (or an unreadable
/// one: proxies are a convenience, not a reason to fail a create).
pub fn variables(host: &str) -> Vec<(String, String)> {
    let config = load_config(&config_dir()).unwrap_or(Value::Null);
    let Some(proxies) = config.get("proxies") else {
        return Vec::new();
    };
    let entry = proxies
        .get(host)
        .or_else(|| proxies.get("default"))
        .unwrap_or(&Value::Null);
    let mut out = Vec::new();
    for (key, var) in PROXIES {
        if let Some(value) = entry
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            out.push(((*var).to_owned(), value.to_owned()));
            out.push((var.to_ascii_lowercase(), value.to_owned()));
        }
    }
    out
}

/// `env` (`"K=V"` items) with the proxy variables it does not set itself
/// put first.
pub fn inject(env: Option<&Value>, variables: &[(String, String)]) -> Vec<Value> {
    let given: Vec<Value> = env.and_then(Value::as_array).cloned().unwrap_or_default();
    let named = |var: &str| {
        given.iter().any(|item| {
            item.as_str()
                .is_some_and(|s| s.split_once('=').map_or(s, |(k, _)| k) == var)
        })
    };
    let mut out: Vec<Value> = variables
        .iter()
        .filter(|(var, _)| !named(var))
        .map(|(var, value)| Value::String(format!("{var}={value}")))
        .collect();
    out.extend(given);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_explicit_variable_wins() {
        let vars = vec![
            ("HTTP_PROXY".to_owned(), "http://p:3128".to_owned()),
            ("http_proxy".to_owned(), "http://p:3128".to_owned()),
        ];
        let env = json!(["http_proxy=http://mine", "A=1"]);
        assert_eq!(
            inject(Some(&env), &vars),
            vec![
                json!("HTTP_PROXY=http://p:3128"),
                json!("http_proxy=http://mine"),
                json!("A=1")
            ]
        );
    }
}
