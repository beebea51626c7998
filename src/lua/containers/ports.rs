//! `ports`: container ports to the engine's `ExposedPorts` and
//! `PortBindings`, in every form the Python SDK takes, and `true` for a
//! random host port (Lua tables cannot hold the SDK's `None`).

use mlua::{Table, Value};
use serde_json::{json, Map, Value as Json};

use crate::lua::args;
use crate::lua::error::invalid;

/// `ports = {["80/tcp"] = 8080, [53] = {"127.0.0.1", 53}, [22] = "127.0.0.1:2222",
/// [1111] = {1234, 4567}, [9000] = true, [2222] = false}`: a host port, an
/// `{ip, port}` pair, `"ip:port"`, a list of any of them (each published),
/// `true` (a random host port) or `false` (exposed, not published).
pub(super) fn ports(function: &str, table: &Table) -> mlua::Result<(Json, Json)> {
    let mut exposed = Map::new();
    let mut bindings = Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let port = match &k {
            Value::Integer(i) if (1..=65535).contains(i) => format!("{i}/tcp"),
            Value::String(s) if !s.to_string_lossy().trim().is_empty() => {
                let s = s.to_string_lossy();
                if s.contains('/') {
                    s
                } else {
                    format!("{s}/tcp")
                }
            }
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad option 'ports' (a container port such as 80 or \"53/udp\" expected as key, got {})",
                        describe(other)
                    ),
                ))
            }
        };
        let bad = |got: &Value| {
            invalid(
                function,
                format!(
                    "bad option 'ports' value for '{port}' (a host port, \"ip:port\", {{ip, port}}, a list of them, true or false expected, got {})",
                    describe(got)
                ),
            )
        };
        let published = match &v {
            Value::Boolean(false) => None,
            Value::Table(t) if is_ip_pair(t)? => Some(vec![binding(t, &bad)?]),
            Value::Table(t) => {
                let mut all = Vec::new();
                for item in t.sequence_values::<Value>() {
                    let item = item?;
                    all.push(match &item {
                        Value::Table(pair) if is_ip_pair(pair)? => binding(pair, &bad)?,
                        Value::Table(_) | Value::Boolean(_) => return Err(bad(&item)),
                        other => host_port(other, &bad)?,
                    });
                }
                if all.is_empty() || all.len() != t.pairs::<Value, Value>().count() {
                    return Err(bad(&v));
                }
                Some(all)
            }
            other => Some(vec![host_port(other, &bad)?]),
        };
        exposed.insert(port.clone(), json!({}));
        if let Some(b) = published {
            bindings.insert(port, Json::Array(b));
        }
    }
    Ok((Json::Object(exposed), Json::Object(bindings)))
}

/// `{"127.0.0.1", 53}` or `{"127.0.0.1"}` rather than a list of ports.
fn is_ip_pair(t: &Table) -> mlua::Result<bool> {
    let first: Value = t.raw_get(1)?;
    Ok(t.raw_len() <= 2
        && matches!(&first, Value::String(s) if s.to_string_lossy().parse::<u16>().is_err()))
}

fn binding(t: &Table, bad: &dyn Fn(&Value) -> mlua::Error) -> mlua::Result<Json> {
    let ip: Value = t.raw_get(1)?;
    let port: Value = t.raw_get(2)?;
    let Value::String(ip) = ip else {
        return Err(bad(&Value::Table(t.clone())));
    };
    let port = match port {
        Value::Nil => String::new(),
        Value::Integer(p) if (0..=65535).contains(&p) => p.to_string(),
        Value::String(s) => s.to_string_lossy(),
        _ => return Err(bad(&Value::Table(t.clone()))),
    };
    Ok(json!({ "HostIp": ip.to_string_lossy(), "HostPort": port }))
}

/// A host port: `8080`, `"8080"`, `"127.0.0.1:8080"`, `"127.0.0.1:"`, or
/// `true` for a random one.
fn host_port(v: &Value, bad: &dyn Fn(&Value) -> mlua::Error) -> mlua::Result<Json> {
    let (ip, port) = match v {
        Value::Boolean(true) => (String::new(), String::new()),
        Value::Integer(p) if (0..=65535).contains(p) => (String::new(), p.to_string()),
        Value::String(s) => {
            let s = s.to_string_lossy();
            match s.rsplit_once(':') {
                Some((ip, p)) => (ip.trim_matches(['[', ']']).to_owned(), p.to_owned()),
                None => (String::new(), s),
            }
        }
        other => return Err(bad(other)),
    };
    if !port.is_empty() && !port.split('-').all(|p| p.parse::<u16>().is_ok()) {
        return Err(bad(v));
    }
    Ok(json!({ "HostIp": ip, "HostPort": port }))
}

/// A value for messages: its type, or a short excerpt of a string.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", args::prefix(&s.to_string_lossy(), 40)),
        Value::Integer(i) => i.to_string(),
        other => args::type_name(other).to_owned(),
    }
}
