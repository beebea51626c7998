//! Text helpers of the guard: printed lines (paths, bodies), query
//! strings, ids and times.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Map, Value};

/// The body as one short line: JSON without its empty fields, secrets
/// hidden, cut at a length; other bodies by size and type.
pub(super) fn essential_body(path: &str, content_type: &str, body: &Bytes) -> String {
    const MAX: usize = 300;
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return format!("<{} bytes of {content_type}>", body.len());
    };
    hide_secrets(path, &mut value);
    let text = prune(value)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "{}".into());
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Fields whose value is a secret wherever they are (the engine decodes
/// JSON keys in any case, so they are matched in any case).
const SECRET_FIELDS: &[&str] = &[
    "unlockkey",
    "jointoken",
    "password",
    "identitytoken",
    "registrytoken",
];

/// Replaces secret values in a request body with `<hidden>`: the fields
/// above at any depth, and the content (`Data`) of a secret or config.
fn hide_secrets(path: &str, value: &mut Value) {
    fn walk(value: &mut Value, also: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    let key = key.to_ascii_lowercase();
                    if SECRET_FIELDS.contains(&key.as_str()) || also.contains(&key.as_str()) {
                        if !field.is_null() {
                            *field = json!("<hidden>");
                        }
                    } else {
                        walk(field, &[]);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, &[])),
            _ => {}
        }
    }
    let swarm_data = path.starts_with("/secrets") || path.starts_with("/configs");
    walk(value, if swarm_data { &["data"] } else { &[] });
}

/// `value` without nulls, `false`, empty strings, arrays and objects.
pub(super) fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

/// The path and query as a person reads them: percent-decoded, full ids
/// cut to their 12-character short form.
pub(super) fn display_path(path: &str, query: &str) -> String {
    short_ids(&percent_decode(&format!("{path}{query}")))
}

/// `text` with full 64-hex ids cut to their 12-character short form.
pub(super) fn short_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('/')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        let long = run.len() == 64;
        out.push_str(if long { &run[..12] } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

pub(super) fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
}

pub(super) fn query_value(query: &str, key: &str) -> Option<String> {
    query_pairs(query).find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(super) fn query_values(query: &str, key: &str) -> Vec<String> {
    query_pairs(query)
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

/// Whether the engine reads a flag's `value` as true (moby's `BoolValue`):
/// trimmed, anything but empty, `0`, `no`, `false` or `none` (in any case),
/// so `stdin=yes` or `stdin=2` attach stdin.
pub(super) fn engine_bool(value: &str) -> bool {
    let value = value.trim().to_ascii_lowercase();
    !matches!(value.as_str(), "" | "0" | "no" | "false" | "none")
}

/// The first value of `key` in a form (a query string or an
/// `application/x-www-form-urlencoded` body), decoded as Go decodes forms:
/// `+` is a space.
pub(super) fn form_value(form: &str, key: &str) -> Option<String> {
    form.trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| percent_decode(&k.replace('+', " ")) == key)
        .map(|(_, v)| percent_decode(&v.replace('+', " ")))
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Now as RFC 3339 in UTC, as the engine writes times.
pub(super) fn rfc3339_now() -> String {
    let secs = unix_now();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_short_and_hide_secrets() {
        let body = Bytes::from(r#"{"Name":"s","Data":"c2VjcmV0","Labels":{},"X":null,"On":false}"#);
        assert_eq!(
            essential_body("/secrets/create", "application/json", &body),
            r#"{"Data":"<hidden>","Name":"s"}"#
        );
        // Keys in any case, as the engine reads them; wherever they are.
        for (path, body) in [
            ("/secrets/create", r#"{"Name":"s","data":"c2VjcmV0"}"#),
            ("/secrets/abc/update", r#"{"Name":"s","DATA":"c2VjcmV0"}"#),
            ("/swarm/unlock", r#"{"UnlockKey":"SWMKEY-1-c2VjcmV0"}"#),
            ("/swarm/unlock", r#"{"unlockkey":"SWMKEY-1-c2VjcmV0"}"#),
            (
                "/swarm/join",
                r#"{"RemoteAddrs":["h:2377"],"JoinToken":"SWMTKN-1-c2VjcmV0"}"#,
            ),
            ("/plugins/p/set", r#"[{"auth":{"Password":"c2VjcmV0"}}]"#),
        ] {
            let line = essential_body(path, "application/json", &Bytes::from(body));
            assert!(!line.contains("c2VjcmV0"), "{path}: {line}");
            assert!(line.contains("<hidden>"), "{path}: {line}");
        }
        // Data is a secret only for secrets and configs.
        let line = essential_body("/x", "application/json", &Bytes::from(r#"{"Data":"d"}"#));
        assert_eq!(line, r#"{"Data":"d"}"#);
        let tar = Bytes::from_static(b"\0\0\0");
        assert_eq!(
            essential_body("/x", "application/x-tar", &tar),
            "<3 bytes of application/x-tar>"
        );
        assert_eq!(
            display_path("/containers/create", "?name=a%20b"),
            "/containers/create?name=a b"
        );
        let id = "886abbd02f50d1cf3d1a9420aad4aaa3d01f1f67d178ff448e3ec3083d21bd07";
        assert_eq!(
            display_path(&format!("/containers/{id}/start"), ""),
            "/containers/886abbd02f50/start"
        );
        assert_eq!(
            display_path("/commit", &format!("?container={id}")),
            "/commit?container=886abbd02f50"
        );
    }

    #[test]
    fn times_are_rfc3339() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
