//! One compose document to the canonical model: every key checked (an
//! unknown one or a wrong type is an error naming the file, the path and
//! the value), every short form turned into its long form (ports, volumes,
//! environment, depends_on, networks...), relative paths made absolute.
//! Documents are normalised one by one, before they are merged, so that an
//! error names the file it is in.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

use serde_json::{json, Map, Value};

use super::path::Path;
use super::{env, units_ok};
use crate::engine::Result;

/// What normalising needs besides the document.
pub struct Ctx<'a> {
    /// The project's folder: relative paths start there.
    pub dir: &'a FsPath,
    /// The variables (the environment over `.env`).
    pub env: &'a HashMap<String, String>,
}

const TOP: &[&str] = &[
    "name", "version", "services", "networks", "volumes", "secrets", "configs",
];

/// A whole document (`null`: an empty file).
pub fn document(ctx: &Ctx<'_>, doc: Value, p: &Path) -> Result<Map<String, Value>> {
    let doc = match doc {
        Value::Null => return Ok(Map::new()),
        Value::Object(m) => m,
        other => return Err(p.expected("a mapping at the top", &other)),
    };
    let mut out = Map::new();
    for (key, v) in doc {
        let kp = p.key(&key);
        if key.starts_with("x-") {
            continue;
        }
        let v = match key.as_str() {
            "name" => Value::String(string(&kp, v)?),
            "version" => continue,
            "services" => named(&kp, v, |p, v| service(ctx, p, v))?,
            "networks" => named(&kp, v, network)?,
            "volumes" => named(&kp, v, volume)?,
            "secrets" | "configs" => named(&kp, v, |p, v| file_object(ctx, p, v))?,
            _ => return Err(unknown(&kp, &key, TOP)),
        };
        out.insert(key, v);
    }
    Ok(out)
}

fn unknown(p: &Path, key: &str, known: &[&str]) -> crate::engine::Error {
    let close = known
        .iter()
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= (key.len() / 3).max(2))
        .min_by_key(|(d, _)| *d);
    match close {
        Some((_, k)) => p.error(format!("unknown key '{key}' (did you mean '{k}'?)")),
        None => p.error(format!("unknown key '{key}'")),
    }
}

/// The edit distance of two keys, `-` and `_` counted as one character.
fn distance(a: &str, b: &str) -> usize {
    let norm =
        |s: &str| -> Vec<char> { s.chars().map(|c| if c == '-' { '_' } else { c }).collect() };
    let (a, b) = (norm(a), norm(b));
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A mapping of named items, each read by `item` (a `null` item is `{}`).
fn named(p: &Path, v: Value, mut item: impl FnMut(&Path, Value) -> Result<Value>) -> Result<Value> {
    let map = match v {
        Value::Null => Map::new(),
        Value::Object(m) => m,
        other => return Err(p.expected("a mapping", &other)),
    };
    let mut out = Map::new();
    for (name, v) in map {
        if name.starts_with("x-") {
            continue;
        }
        let ip = p.key(&name);
        let v = match v {
            Value::Null => item(&ip, Value::Object(Map::new()))?,
            v => item(&ip, v)?,
        };
        out.insert(name, v);
    }
    Ok(Value::Object(out))
}

// --- scalars ------------------------------------------------------------------

fn string(p: &Path, v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(p.expected("a string", &other)),
    }
}

/// A string, or the text of a number or boolean (environment values, labels).
fn scalar_text(p: &Path, v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(p.expected("a string", &other)),
    }
}

fn boolean(p: &Path, v: Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(b),
        Value::String(s) if matches!(s.as_str(), "true" | "True" | "yes") => Ok(true),
        Value::String(s) if matches!(s.as_str(), "false" | "False" | "no") => Ok(false),
        other => Err(p.expected("true or false", &other)),
    }
}

fn integer(p: &Path, v: Value) -> Result<i64> {
    match &v {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
        Value::String(s) => s.trim().parse().map_err(|_| p.expected("an integer", &v)),
        _ => Err(p.expected("an integer", &v)),
    }
}

fn number(p: &Path, v: Value) -> Result<f64> {
    match &v {
        Value::Number(n) => n.as_f64().ok_or_else(|| p.expected("a number", &v)),
        Value::String(s) => s.trim().parse().map_err(|_| p.expected("a number", &v)),
        _ => Err(p.expected("a number", &v)),
    }
}

/// A size: a number of bytes or `"512m"`.
fn size(p: &Path, v: Value) -> Result<Value> {
    match &v {
        Value::Number(n) if n.as_i64().is_some() => Ok(v),
        Value::String(s) if crate::engine::units::parse_bytes(s).is_ok() => Ok(v),
        _ => Err(p.expected("a size such as 512m", &v)),
    }
}

/// A size as a number of bytes.
fn bytes(p: &Path, v: Value) -> Result<i64> {
    match &v {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
        Value::String(s) => {
            crate::engine::units::parse_bytes(s).map_err(|_| p.expected("a size such as 512m", &v))
        }
        _ => Err(p.expected("a size such as 512m", &v)),
    }
}

/// A Go duration (`"1m30s"`); a number is seconds, as compose reads it.
fn duration(p: &Path, v: Value) -> Result<Value> {
    match &v {
        Value::String(s) if units_ok(s) => Ok(v),
        Value::Number(n) if n.as_f64().is_some_and(|f| f >= 0.0) => Ok(json!(format!("{n}s"))),
        _ => Err(p.expected("a duration such as 1m30s", &v)),
    }
}

/// A string or a list of strings, as a list.
fn strings(p: &Path, v: Value) -> Result<Value> {
    Ok(Value::Array(match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| scalar_text(&p.index(i), v).map(Value::String))
            .collect::<Result<_>>()?,
        v => vec![Value::String(scalar_text(p, v)?)],
    }))
}

/// A command: a list of strings, or a string split as a shell splits it.
fn words(p: &Path, v: Value) -> Result<Value> {
    match v {
        Value::String(s) => shlex::split(&s).map(|w| json!(w)).ok_or_else(|| {
            p.error(format!(
                "unbalanced quotes in {}",
                super::path::describe(&json!(s))
            ))
        }),
        Value::Null => Ok(Value::Null),
        Value::Array(_) => strings(p, v),
        other => Err(p.expected("a string or a list", &other)),
    }
}

/// `{K: v}` or `["K=v", "K"]`; a key without a value is taken from the
/// environment when `lookup` (environment), else it is `""` (labels).
fn key_values(ctx: &Ctx<'_>, p: &Path, v: Value, lookup: bool) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let value = match v {
                    Value::Null if lookup => match ctx.env.get(&k) {
                        Some(v) => v.clone(),
                        None => continue,
                    },
                    Value::Null => String::new(),
                    v => scalar_text(&p.key(&k), v)?,
                };
                out.insert(k, Value::String(value));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let text = scalar_text(&p.index(i), item)?;
                match text.split_once('=') {
                    Some((k, v)) => {
                        out.insert(k.to_owned(), json!(v));
                    }
                    None if lookup => {
                        if let Some(v) = ctx.env.get(&text) {
                            out.insert(text, json!(v));
                        }
                    }
                    None => {
                        out.insert(text, json!(""));
                    }
                }
            }
        }
        other => return Err(p.expected("a mapping or a list of KEY=value", &other)),
    }
    Ok(out)
}

fn mapping(p: &Path, v: Value) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(p.expected("a mapping", &other)),
    }
}

/// Checks a mapping's keys and hands each value to `f`.
fn fields(
    p: &Path,
    v: Value,
    known: &[&str],
    mut f: impl FnMut(&str, &Path, Value) -> Result<Option<Value>>,
) -> Result<Value> {
    let mut out = Map::new();
    for (k, v) in mapping(p, v)? {
        if k.starts_with("x-") {
            continue;
        }
        if !known.contains(&k.as_str()) {
            return Err(unknown(&p.key(&k), &k, known));
        }
        if let Some(v) = f(&k, &p.key(&k), v)? {
            out.insert(k, v);
        }
    }
    Ok(Value::Object(out))
}

fn absolute(ctx: &Ctx<'_>, path: &str) -> String {
    let expanded = match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", std::env::var("HOME").unwrap_or_default())
        }
        _ => path.to_owned(),
    };
    let pb = PathBuf::from(&expanded);
    let joined = if pb.is_absolute() {
        pb
    } else {
        ctx.dir.join(pb)
    };
    clean(&joined)
}

/// `a/./b/../c` to `a/c`, without touching the file system.
fn clean(path: &FsPath) -> String {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s),
            _ => {}
        }
    }
    let mut out = String::new();
    for p in parts {
        out.push('/');
        out.push_str(&p.to_string_lossy());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

// --- services -----------------------------------------------------------------

pub const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "expose",
    "volumes",
    "networks",
    "network_mode",
    "depends_on",
    "healthcheck",
    "restart",
    "labels",
    "container_name",
    "hostname",
    "domainname",
    "user",
    "working_dir",
    "stop_signal",
    "stop_grace_period",
    "init",
    "privileged",
    "cap_add",
    "cap_drop",
    "devices",
    "dns",
    "dns_search",
    "dns_opt",
    "extra_hosts",
    "logging",
    "ulimits",
    "sysctls",
    "tmpfs",
    "read_only",
    "shm_size",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "cpus",
    "cpu_shares",
    "pids_limit",
    "deploy",
    "scale",
    "secrets",
    "configs",
    "profiles",
    "extends",
    "tty",
    "stdin_open",
    "security_opt",
    "group_add",
    "platform",
    "pull_policy",
    "pid",
    "ipc",
    "mac_address",
    "links",
    "oom_score_adj",
    "runtime",
    "cgroup_parent",
    "userns_mode",
];

fn service(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Value> {
    let mut env_files = None;
    let mut out = fields(p, v, SERVICE_KEYS, |key, kp, v| {
        Ok(Some(match key {
            "image" | "container_name" | "hostname" | "domainname" | "working_dir"
            | "stop_signal" | "restart" | "network_mode" | "platform" | "pull_policy" | "pid"
            | "ipc" | "mac_address" | "runtime" | "cgroup_parent" | "userns_mode" => {
                let s = string(kp, v)?;
                if key == "restart" {
                    restart_policy(kp, &s)?;
                }
                if key == "pull_policy" && !pull_policy_ok(&s) {
                    return Err(kp.expected(
                        "always, never, missing, if_not_present, build, daily, weekly, every_<duration> or refresh",
                        &json!(s),
                    ));
                }
                json!(s)
            }
            "user" => json!(scalar_text(kp, v)?),
            "build" => build(ctx, kp, v)?,
            "command" | "entrypoint" => words(kp, v)?,
            "environment" => Value::Object(key_values(ctx, kp, v, true)?),
            "labels" => Value::Object(key_values(ctx, kp, v, false)?),
            "env_file" => {
                env_files = Some(env_file_list(ctx, kp, v)?);
                return Ok(None);
            }
            "ports" => ports(kp, v)?,
            "expose" => expose(kp, v)?,
            "volumes" => list(kp, v, |p, v| service_volume(ctx, p, v))?,
            "networks" => service_networks(kp, v)?,
            "depends_on" => depends_on(kp, v)?,
            "healthcheck" => healthcheck(kp, v)?,
            "stop_grace_period" => duration(kp, v)?,
            "init" | "privileged" | "read_only" | "tty" | "stdin_open" => json!(boolean(kp, v)?),
            "cap_add" | "cap_drop" | "devices" | "dns" | "dns_search" | "dns_opt"
            | "security_opt" | "group_add" | "profiles" | "links" => strings(kp, v)?,
            "tmpfs" => strings(kp, v)?,
            "extra_hosts" => extra_hosts(kp, v)?,
            "logging" => fields(kp, v, &["driver", "options"], |k, p, v| {
                Ok(Some(match k {
                    "driver" => json!(string(p, v)?),
                    _ => Value::Object(key_values(ctx, p, v, false)?),
                }))
            })?,
            "ulimits" => ulimits(kp, v)?,
            "sysctls" => Value::Object(key_values(ctx, kp, v, false)?),
            "shm_size" | "mem_limit" | "mem_reservation" | "memswap_limit" => size(kp, v)?,
            "cpus" => json!(number(kp, v)?),
            "cpu_shares" | "pids_limit" | "oom_score_adj" => json!(integer(kp, v)?),
            "scale" => json!(count(kp, v)?),
            "deploy" => deploy(kp, v)?,
            "secrets" | "configs" => list(kp, v, |p, v| file_reference(p, v, key))?,
            "extends" => extends(ctx, kp, v)?,
            _ => unreachable!("every known key is read"),
        }))
    })?;
    // Variables of env files, under those of `environment`.
    if let Some(files) = env_files {
        let mut merged = Map::new();
        for file in files {
            for (k, v) in env::read(FsPath::new(&file), ctx.env)? {
                merged.insert(k, json!(v));
            }
        }
        if let Some(Value::Object(own)) = out.get("environment") {
            merged.extend(own.clone());
        }
        out["environment"] = Value::Object(merged);
    }
    Ok(out)
}

fn count(p: &Path, v: Value) -> Result<i64> {
    let original = v.clone();
    let n = integer(p, v)?;
    if n < 0 {
        return Err(p.expected("a non-negative integer", &original));
    }
    Ok(n)
}

fn list(p: &Path, v: Value, mut item: impl FnMut(&Path, Value) -> Result<Value>) -> Result<Value> {
    match v {
        Value::Array(items) => Ok(Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| item(&p.index(i), v))
                .collect::<Result<_>>()?,
        )),
        other => Err(p.expected("a list", &other)),
    }
}

/// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
/// The `pull_policy` values of the compose specification. The periodic
/// ones (`daily`, `weekly`, `every_12h`) act as `missing` here: when an
/// image was last pulled is not kept.
fn pull_policy_ok(s: &str) -> bool {
    matches!(
        s,
        "always"
            | "never"
            | "missing"
            | "if_not_present"
            | "build"
            | "daily"
            | "weekly"
            | "refresh"
    ) || s.strip_prefix("every_").is_some_and(super::units_ok)
}

pub fn restart_policy(p: &Path, s: &str) -> Result<(String, Option<i64>)> {
    let (name, max) = match s.split_once(':') {
        Some((n, m)) => (n, Some(m)),
        None => (s, None),
    };
    let ok = matches!(name, "no" | "always" | "unless-stopped" | "on-failure");
    let max = match max {
        Some(m) if name == "on-failure" => Some(m.parse::<i64>().ok().filter(|n| *n >= 0)),
        Some(_) => None,
        None => Some(None),
    };
    match (ok, max) {
        (true, Some(max)) => Ok((name.to_owned(), max)),
        _ => Err(p.error(format!(
            "bad restart policy '{s}' (no, always, unless-stopped or on-failure[:N] expected)"
        ))),
    }
}

fn build(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Value> {
    let v = match v {
        Value::String(context) => json!({ "context": context }),
        v => v,
    };
    let mut out = fields(
        p,
        v,
        &[
            "context",
            "dockerfile",
            "args",
            "target",
            "labels",
            "network",
            "shm_size",
            "extra_hosts",
            "cache_from",
            "pull",
            "no_cache",
        ],
        |k, kp, v| {
            Ok(Some(match k {
                "context" => json!(absolute(ctx, &string(kp, v)?)),
                "dockerfile" | "target" | "network" => json!(string(kp, v)?),
                "args" | "labels" => Value::Object(key_values(ctx, kp, v, k == "args")?),
                "shm_size" => size(kp, v)?,
                "extra_hosts" => extra_hosts(kp, v)?,
                "cache_from" => strings(kp, v)?,
                _ => json!(boolean(kp, v)?),
            }))
        },
    )?;
    if out.get("context").is_none() {
        out["context"] = json!(absolute(ctx, "."));
    }
    Ok(out)
}

fn env_file_list(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Vec<String>> {
    let items = match v {
        Value::Array(items) => items,
        v => vec![v],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let ip = p.index(i);
        let (path, required) = match item {
            Value::Object(_) => {
                let o = fields(&ip, item, &["path", "required"], |k, kp, v| {
                    Ok(Some(if k == "path" {
                        json!(string(kp, v)?)
                    } else {
                        json!(boolean(kp, v)?)
                    }))
                })?;
                let path = o["path"]
                    .as_str()
                    .ok_or_else(|| ip.error("an env_file item needs a 'path'"))?
                    .to_owned();
                (
                    path,
                    o.get("required").and_then(Value::as_bool).unwrap_or(true),
                )
            }
            v => (string(&ip, v)?, true),
        };
        let abs = absolute(ctx, &path);
        if !required && !FsPath::new(&abs).exists() {
            continue;
        }
        if !FsPath::new(&abs).is_file() {
            return Err(ip.error(format!("env file {abs} not found")));
        }
        out.push(abs);
    }
    Ok(out)
}

/// `"[ip:][published:]target[/proto]"` (ranges expanded) or the long form,
/// each to `{target, published, host_ip, protocol}`.
fn ports(p: &Path, v: Value) -> Result<Value> {
    let Value::Array(items) = v else {
        return Err(p.expected("a list", &v));
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let ip = p.index(i);
        match item {
            Value::Object(_) => {
                let o = fields(
                    &ip,
                    item,
                    &[
                        "target",
                        "published",
                        "host_ip",
                        "protocol",
                        "mode",
                        "name",
                        "app_protocol",
                    ],
                    |k, kp, v| {
                        Ok(Some(match k {
                            "target" => json!(port_number(kp, v)?),
                            "published" => json!(scalar_text(kp, v)?),
                            _ => json!(string(kp, v)?),
                        }))
                    },
                )?;
                if o.get("target").is_none() {
                    return Err(ip.error("a port needs a 'target'"));
                }
                let mut o = o;
                if o.get("protocol").is_none() {
                    o["protocol"] = json!("tcp");
                }
                out.push(o);
            }
            Value::String(_) | Value::Number(_) => {
                let text = scalar_text(&ip, item)?;
                out.extend(short_port(&ip, &text)?);
            }
            other => return Err(ip.expected("a port such as \"8080:80\"", &other)),
        }
    }
    Ok(Value::Array(out))
}

fn port_number(p: &Path, v: Value) -> Result<u16> {
    let original = v.clone();
    let n = integer(p, v)?;
    u16::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| p.expected("a port number", &original))
}

fn short_port(p: &Path, text: &str) -> Result<Vec<Value>> {
    let bad = || {
        p.error(format!(
            "bad port '{}' ([[ip:]published:]target[/protocol] expected)",
            crate::engine::error::excerpt(text, 60)
        ))
    };
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, proto)) if matches!(proto, "tcp" | "udp" | "sctp") => (s, proto),
        Some(_) => return Err(bad()),
        None => (text, "tcp"),
    };
    // An IPv6 host address is written in brackets.
    let (host_ip, rest) = match spec.strip_prefix('[') {
        Some(s) => {
            let (ip6, rest) = s.split_once("]:").ok_or_else(bad)?;
            (Some(ip6.to_owned()), rest)
        }
        None => (None, spec),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, published, target) = match (host_ip, parts.as_slice()) {
        (None, [t]) => (None, None, *t),
        (None, [pb, t]) => (None, Some(*pb), *t),
        (None, [ip, pb, t]) => (Some(ip.to_string()), Some(*pb), *t),
        (Some(ip), [pb, t]) => (Some(ip), Some(*pb), *t),
        _ => return Err(bad()),
    };
    let range = |s: &str| -> Option<(u16, u16)> {
        match s.split_once('-') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => s.parse().ok().map(|n| (n, n)),
        }
    };
    let (t0, t1) = range(target)
        .filter(|(a, b)| *a > 0 && a <= b)
        .ok_or_else(bad)?;
    let published = match published.filter(|s| !s.is_empty()) {
        None => None,
        Some(pb) => Some(range(pb).filter(|(a, b)| a <= b).ok_or_else(bad)?),
    };
    let n = t1 - t0;
    if let Some((a, b)) = published {
        if b - a != n && a != b {
            return Err(bad());
        }
    }
    let mut out = Vec::new();
    for k in 0..=n {
        let mut port = json!({"target": t0 + k, "protocol": protocol});
        if let Some((a, b)) = published {
            port["published"] = json!(match (a == b, n == 0) {
                (true, _) => a.to_string(),
                // One target, a host range: the engine picks a port in it.
                (false, true) => format!("{a}-{b}"),
                (false, false) => (a + k).to_string(),
            });
        }
        if let Some(ip) = &ip {
            port["host_ip"] = json!(ip);
        }
        out.push(port);
    }
    Ok(out)
}

fn expose(p: &Path, v: Value) -> Result<Value> {
    let Value::Array(items) = strings(p, v)? else {
        unreachable!()
    };
    for (i, item) in items.iter().enumerate() {
        let s = item.as_str().unwrap_or_default();
        let port = s.split('/').next().unwrap_or_default();
        let ok = port
            .split('-')
            .all(|n| n.parse::<u16>().is_ok_and(|n| n > 0));
        if !ok {
            return Err(p.index(i).expected("a port such as 80 or 80/udp", item));
        }
    }
    Ok(Value::Array(items))
}

/// `"src:dst[:mode]"`, `"dst"` (anonymous) or the long form.
fn service_volume(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Value> {
    match v {
        Value::String(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            let (source, target, mode) = match parts.as_slice() {
                [t] => (None, *t, ""),
                [s, t] => (Some(*s), *t, ""),
                [s, t, m] => (Some(*s), *t, *m),
                _ => return Err(p.expected("a volume such as ./data:/data:ro", &json!(s))),
            };
            if !target.starts_with('/') {
                return Err(p.error(format!(
                    "bad volume '{s}' (the target must be an absolute path)"
                )));
            }
            let mut out = json!({"target": target});
            match source {
                None => out["type"] = json!("volume"),
                Some(src) if src.starts_with(['/', '.', '~']) => {
                    out["type"] = json!("bind");
                    out["source"] = json!(absolute(ctx, src));
                }
                Some(src) => {
                    out["type"] = json!("volume");
                    out["source"] = json!(src);
                }
            }
            for m in mode.split(',').filter(|m| !m.is_empty()) {
                match m {
                    "ro" => out["read_only"] = json!(true),
                    "rw" => {}
                    "nocopy" => out["volume"] = json!({"nocopy": true}),
                    "z" | "Z" => bind_option(&mut out, "selinux", m),
                    "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                        bind_option(&mut out, "propagation", m)
                    }
                    _ => return Err(p.error(format!("bad volume mode '{m}' in '{s}'"))),
                }
            }
            Ok(out)
        }
        Value::Object(_) => {
            let mut out = fields(
                p,
                v,
                &[
                    "type",
                    "source",
                    "target",
                    "read_only",
                    "bind",
                    "volume",
                    "tmpfs",
                    "consistency",
                ],
                |k, kp, v| {
                    Ok(Some(match k {
                        "type" => {
                            let t = string(kp, v)?;
                            if !matches!(t.as_str(), "bind" | "volume" | "tmpfs" | "npipe") {
                                return Err(kp.expected("bind, volume or tmpfs", &json!(t)));
                            }
                            json!(t)
                        }
                        "source" | "target" | "consistency" => json!(string(kp, v)?),
                        "read_only" => json!(boolean(kp, v)?),
                        "bind" => fields(
                            kp,
                            v,
                            &["propagation", "create_host_path", "selinux"],
                            |k, p, v| {
                                Ok(Some(if k == "create_host_path" {
                                    json!(boolean(p, v)?)
                                } else {
                                    json!(string(p, v)?)
                                }))
                            },
                        )?,
                        "volume" => fields(kp, v, &["nocopy", "subpath"], |k, p, v| {
                            Ok(Some(if k == "nocopy" {
                                json!(boolean(p, v)?)
                            } else {
                                json!(string(p, v)?)
                            }))
                        })?,
                        _ => fields(kp, v, &["size", "mode"], |k, p, v| {
                            Ok(Some(if k == "size" {
                                json!(bytes(p, v)?)
                            } else {
                                json!(integer(p, v)?)
                            }))
                        })?,
                    }))
                },
            )?;
            let Some(target) = out.get("target").and_then(Value::as_str) else {
                return Err(p.error("a volume needs a 'target'"));
            };
            if !target.starts_with('/') {
                return Err(p
                    .key("target")
                    .error(format!("'{target}' is not an absolute path")));
            }
            let kind = out
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("volume")
                .to_owned();
            out["type"] = json!(kind);
            if kind == "bind" {
                let Some(src) = out.get("source").and_then(Value::as_str) else {
                    return Err(p.error("a bind volume needs a 'source'"));
                };
                out["source"] = json!(absolute(ctx, src));
            }
            Ok(out)
        }
        other => Err(p.expected("a volume string or mapping", &other)),
    }
}

fn bind_option(volume: &mut Value, key: &str, value: &str) {
    if volume.get("bind").is_none() {
        volume["bind"] = json!({});
    }
    volume["bind"][key] = json!(value);
}

fn service_networks(p: &Path, v: Value) -> Result<Value> {
    let mut out = Map::new();
    match v {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                out.insert(string(&p.index(i), item)?, json!({}));
            }
        }
        Value::Object(m) => {
            for (name, v) in m {
                let np = p.key(&name);
                let v = fields(
                    &np,
                    v,
                    &[
                        "aliases",
                        "ipv4_address",
                        "ipv6_address",
                        "priority",
                        "mac_address",
                        "link_local_ips",
                    ],
                    |k, kp, v| {
                        Ok(Some(match k {
                            "aliases" | "link_local_ips" => strings(kp, v)?,
                            "priority" => json!(integer(kp, v)?),
                            _ => json!(string(kp, v)?),
                        }))
                    },
                )?;
                out.insert(name, v);
            }
        }
        other => return Err(p.expected("a list or mapping of networks", &other)),
    }
    Ok(Value::Object(out))
}

const CONDITIONS: &[&str] = &[
    "service_started",
    "service_healthy",
    "service_completed_successfully",
];

fn depends_on(p: &Path, v: Value) -> Result<Value> {
    let mut out = Map::new();
    match v {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                out.insert(
                    string(&p.index(i), item)?,
                    json!({"condition": "service_started"}),
                );
            }
        }
        Value::Object(m) => {
            for (name, v) in m {
                let np = p.key(&name);
                let mut d = fields(&np, v, &["condition", "required", "restart"], |k, kp, v| {
                    Ok(Some(match k {
                        "condition" => {
                            let c = string(kp, v)?;
                            if !CONDITIONS.contains(&c.as_str()) {
                                return Err(kp.expected(
                                    "service_started, service_healthy or service_completed_successfully",
                                    &json!(c),
                                ));
                            }
                            json!(c)
                        }
                        _ => json!(boolean(kp, v)?),
                    }))
                })?;
                if d.get("condition").is_none() {
                    d["condition"] = json!("service_started");
                }
                // Defaults are left out, so that docker-compose 1.x reads
                // the model back.
                if d.get("required") == Some(&json!(true)) {
                    d.as_object_mut().map(|m| m.remove("required"));
                }
                if d.get("restart") == Some(&json!(false)) {
                    d.as_object_mut().map(|m| m.remove("restart"));
                }
                out.insert(name, d);
            }
        }
        other => return Err(p.expected("a list or mapping of services", &other)),
    }
    Ok(Value::Object(out))
}

fn healthcheck(p: &Path, v: Value) -> Result<Value> {
    let mut out = fields(
        p,
        v,
        &[
            "test",
            "interval",
            "timeout",
            "start_period",
            "start_interval",
            "retries",
            "disable",
        ],
        |k, kp, v| {
            Ok(Some(match k {
                "test" => match v {
                    Value::String(s) => json!(["CMD-SHELL", s]),
                    v => {
                        let list = strings(kp, v)?;
                        let first = list[0].as_str().unwrap_or_default();
                        if !matches!(first, "CMD" | "CMD-SHELL" | "NONE") {
                            return Err(kp.error(format!(
                                "the list must start with CMD, CMD-SHELL or NONE, got '{first}'"
                            )));
                        }
                        list
                    }
                },
                "retries" => json!(count(kp, v)?),
                "disable" => json!(boolean(kp, v)?),
                _ => duration(kp, v)?,
            }))
        },
    )?;
    if out.get("disable") == Some(&json!(true)) {
        out = json!({"test": ["NONE"]});
    } else if let Some(m) = out.as_object_mut() {
        m.remove("disable");
    }
    Ok(out)
}

fn extra_hosts(p: &Path, v: Value) -> Result<Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for (host, ip) in m {
                let ip = match ip {
                    Value::Array(ips) => ips,
                    ip => vec![ip],
                };
                for a in ip {
                    out.push(json!(format!("{host}:{}", scalar_text(&p.key(&host), a)?)));
                }
            }
        }
        v => {
            for (i, item) in strings(p, v)?.as_array().into_iter().flatten().enumerate() {
                let s = item.as_str().unwrap_or_default();
                // Compose accepts `host=ip` too.
                let s = match s.split_once('=') {
                    Some((h, ip)) if !s.contains(':') || h.len() < s.find(':').unwrap_or(0) => {
                        format!("{h}:{ip}")
                    }
                    _ => s.to_owned(),
                };
                if !s.contains(':') {
                    return Err(p.index(i).expected("host:ip", item));
                }
                out.push(json!(s));
            }
        }
    }
    Ok(Value::Array(out))
}

fn ulimits(p: &Path, v: Value) -> Result<Value> {
    let mut out = Map::new();
    for (name, v) in mapping(p, v)? {
        let np = p.key(&name);
        let limit = match v {
            Value::Object(_) => {
                let o = fields(&np, v, &["soft", "hard"], |_, kp, v| {
                    Ok(Some(json!(integer(kp, v)?)))
                })?;
                if o.get("soft").is_none() || o.get("hard").is_none() {
                    return Err(np.error("a ulimit needs 'soft' and 'hard'"));
                }
                o
            }
            v => {
                let n = integer(&np, v)?;
                json!({"soft": n, "hard": n})
            }
        };
        out.insert(name, limit);
    }
    Ok(Value::Object(out))
}

fn deploy(p: &Path, v: Value) -> Result<Value> {
    fields(
        p,
        v,
        &[
            "replicas",
            "resources",
            "restart_policy",
            "mode",
            "labels",
            "update_config",
            "placement",
        ],
        |k, kp, v| {
            Ok(Some(match k {
                "replicas" => json!(count(kp, v)?),
                "resources" => fields(kp, v, &["limits", "reservations"], |_, rp, v| {
                    fields(rp, v, &["cpus", "memory", "pids", "devices"], |k, p, v| {
                        Ok(Some(match k {
                            "cpus" => json!(number(p, v)?),
                            "memory" => size(p, v)?,
                            "pids" => json!(integer(p, v)?),
                            _ => v,
                        }))
                    })
                    .map(Some)
                })?,
                "restart_policy" => fields(
                    kp,
                    v,
                    &["condition", "delay", "max_attempts", "window"],
                    |k, p, v| {
                        Ok(Some(match k {
                            "condition" => json!(string(p, v)?),
                            "max_attempts" => json!(count(p, v)?),
                            _ => duration(p, v)?,
                        }))
                    },
                )?,
                "mode" => json!(string(kp, v)?),
                // Swarm-only settings: kept in the model, unused by `up`.
                _ => v,
            }))
        },
    )
}

/// A service's `secrets`/`configs` item: a name, or `{source, target, ...}`.
fn file_reference(p: &Path, v: Value, kind: &str) -> Result<Value> {
    let mut out = match v {
        Value::String(s) => json!({ "source": s }),
        v => fields(
            p,
            v,
            &["source", "target", "uid", "gid", "mode"],
            |k, kp, v| {
                Ok(Some(match k {
                    "mode" => json!(integer(kp, v)?),
                    _ => json!(scalar_text(kp, v)?),
                }))
            },
        )?,
    };
    let Some(source) = out.get("source").and_then(Value::as_str).map(str::to_owned) else {
        return Err(p.error("needs a 'source'"));
    };
    if out.get("target").is_none() {
        out["target"] = json!(if kind == "secrets" {
            format!("/run/secrets/{source}")
        } else {
            format!("/{source}")
        });
    } else if kind == "secrets" {
        let t = out["target"].as_str().unwrap_or_default().to_owned();
        if !t.starts_with('/') {
            out["target"] = json!(format!("/run/secrets/{t}"));
        }
    }
    Ok(out)
}

fn extends(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Value> {
    match v {
        Value::String(s) => Ok(json!({ "service": s })),
        v => {
            let o = fields(p, v, &["service", "file"], |k, kp, v| {
                let s = string(kp, v)?;
                Ok(Some(json!(if k == "file" { absolute(ctx, &s) } else { s })))
            })?;
            if o.get("service").is_none() {
                return Err(p.error("extends needs a 'service'"));
            }
            Ok(o)
        }
    }
}

// --- top-level objects ---------------------------------------------------------

fn external(p: &Path, v: Value) -> Result<Value> {
    match v {
        Value::Object(_) => fields(p, v, &["name"], |_, kp, v| Ok(Some(json!(string(kp, v)?)))),
        v => Ok(json!(boolean(p, v)?)),
    }
}

fn network(p: &Path, v: Value) -> Result<Value> {
    let ctx_free = |k: &str, kp: &Path, v: Value| -> Result<Option<Value>> {
        Ok(Some(match k {
            "driver" | "name" => json!(string(kp, v)?),
            "driver_opts" | "labels" => string_map(kp, v)?,
            "external" => external(kp, v)?,
            "internal" | "attachable" | "enable_ipv6" => json!(boolean(kp, v)?),
            _ => fields(kp, v, &["driver", "config", "options"], |k, ip, v| {
                Ok(Some(match k {
                    "driver" => json!(string(ip, v)?),
                    "options" => string_map(ip, v)?,
                    _ => list(ip, v, |cp, v| {
                        fields(
                            cp,
                            v,
                            &["subnet", "gateway", "ip_range", "aux_addresses"],
                            |k, p, v| {
                                Ok(Some(if k == "aux_addresses" {
                                    string_map(p, v)?
                                } else {
                                    json!(string(p, v)?)
                                }))
                            },
                        )
                    })?,
                }))
            })?,
        }))
    };
    fields(
        p,
        v,
        &[
            "driver",
            "driver_opts",
            "external",
            "internal",
            "attachable",
            "enable_ipv6",
            "ipam",
            "labels",
            "name",
        ],
        ctx_free,
    )
}

fn volume(p: &Path, v: Value) -> Result<Value> {
    fields(
        p,
        v,
        &["driver", "driver_opts", "external", "labels", "name"],
        |k, kp, v| {
            Ok(Some(match k {
                "driver" | "name" => json!(string(kp, v)?),
                "external" => external(kp, v)?,
                _ => string_map(kp, v)?,
            }))
        },
    )
}

fn file_object(ctx: &Ctx<'_>, p: &Path, v: Value) -> Result<Value> {
    fields(
        p,
        v,
        &[
            "file",
            "environment",
            "external",
            "name",
            "content",
            "labels",
        ],
        |k, kp, v| {
            Ok(Some(match k {
                "file" => json!(absolute(ctx, &string(kp, v)?)),
                "external" => external(kp, v)?,
                "labels" => string_map(kp, v)?,
                _ => json!(string(kp, v)?),
            }))
        },
    )
}

fn string_map(p: &Path, v: Value) -> Result<Value> {
    let mut out = Map::new();
    match v {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let s = scalar_text(&p.index(i), item)?;
                let (k, v) = s.split_once('=').unwrap_or((&s, ""));
                out.insert(k.to_owned(), json!(v));
            }
        }
        v => {
            for (k, v) in mapping(p, v)? {
                let v = if v.is_null() {
                    String::new()
                } else {
                    scalar_text(&p.key(&k), v)?
                };
                out.insert(k, json!(v));
            }
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(doc: Value) -> Result<Map<String, Value>> {
        let env: HashMap<String, String> = [("HOMEVAR".to_owned(), "h".to_owned())].into();
        let ctx = Ctx {
            dir: FsPath::new("/proj"),
            env: &env,
        };
        document(&ctx, doc, &Path::new("compose.yaml"))
    }

    #[test]
    fn short_forms_become_long() {
        let m = norm(json!({"services": {"web": {
            "image": "alpine",
            "ports": ["8080:80", "127.0.0.1:9000-9001:90-91/udp", 3000, {"target": 22, "published": "2222"}],
            "volumes": ["./data:/data:ro", "named:/n", "/anon"],
            "environment": ["A=1", "HOMEVAR", "MISSING"],
            "depends_on": ["db"],
            "networks": ["front"],
            "healthcheck": {"test": "true", "interval": "1s"},
            "command": "sh -c 'echo hi'",
            "extra_hosts": {"h": "1.2.3.4"},
            "ulimits": {"nofile": 1024},
            "secrets": ["s"],
            "x-ignored": 1,
        }}})).unwrap();
        let web = &m["services"]["web"];
        assert_eq!(
            web["ports"][0],
            json!({"target": 80, "published": "8080", "protocol": "tcp"})
        );
        assert_eq!(
            web["ports"][2],
            json!({"target": 91, "published": "9001", "host_ip": "127.0.0.1", "protocol": "udp"})
        );
        assert_eq!(web["ports"][3], json!({"target": 3000, "protocol": "tcp"}));
        assert_eq!(
            web["ports"][4],
            json!({"target": 22, "published": "2222", "protocol": "tcp"})
        );
        assert_eq!(
            web["volumes"][0],
            json!({"type": "bind", "source": "/proj/data", "target": "/data", "read_only": true})
        );
        assert_eq!(
            web["volumes"][1],
            json!({"type": "volume", "source": "named", "target": "/n"})
        );
        assert_eq!(
            web["volumes"][2],
            json!({"type": "volume", "target": "/anon"})
        );
        assert_eq!(web["environment"], json!({"A": "1", "HOMEVAR": "h"}));
        assert_eq!(
            web["depends_on"]["db"],
            json!({"condition": "service_started"})
        );
        assert_eq!(web["networks"], json!({"front": {}}));
        assert_eq!(web["healthcheck"]["test"], json!(["CMD-SHELL", "true"]));
        assert_eq!(web["command"], json!(["sh", "-c", "echo hi"]));
        assert_eq!(web["extra_hosts"], json!(["h:1.2.3.4"]));
        assert_eq!(
            web["ulimits"]["nofile"],
            json!({"soft": 1024, "hard": 1024})
        );
        assert_eq!(
            web["secrets"][0],
            json!({"source": "s", "target": "/run/secrets/s"})
        );
        assert!(web.get("x-ignored").is_none());
    }

    #[test]
    fn errors_name_file_path_and_value() {
        let e = |doc| norm(doc).unwrap_err().message;
        assert_eq!(
            e(json!({"services": {"web": {"ports": ["80", "81", "1:2:3:4"]}}})),
            "compose.yaml: services.web.ports[2]: bad port '1:2:3:4' ([[ip:]published:]target[/protocol] expected)"
        );
        assert_eq!(
            e(json!({"services": {"web": {"portz": []}}})),
            "compose.yaml: services.web.portz: unknown key 'portz' (did you mean 'ports'?)"
        );
        assert_eq!(
            e(json!({"services": {"web": {"privileged": "maybe"}}})),
            "compose.yaml: services.web.privileged: true or false expected, got 'maybe'"
        );
        assert!(e(json!({"services": {"web": {"restart": "sometimes"}}}))
            .contains("services.web.restart"));
        assert!(
            e(json!({"services": {"web": {"depends_on": {"db": {"condition": "up"}}}}}))
                .contains("services.web.depends_on.db.condition")
        );
        assert!(e(json!({"servics": {}})).contains("did you mean 'services'"));
        assert!(
            e(json!({"services": {"web": {"image": "a", "pull_policy": "sometimes"}}}))
                .contains("services.web.pull_policy: always, never, missing")
        );
        for ok in ["always", "if_not_present", "build", "every_12h", "weekly"] {
            let doc = json!({"services": {"web": {"image": "a", "pull_policy": ok}}});
            assert!(norm(doc).is_ok(), "{ok}");
        }
    }
}
