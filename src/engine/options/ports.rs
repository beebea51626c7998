//! Ports in every form: the docker CLI's `-p` specs (`"8080:80"`,
//! `"127.0.0.1:8080:80/udp"`, `"80"`, `"127.0.0.1::80"`, `"8000-8001:80-81"`,
//! `"[::1]:8080:80"`, `"published=8080,target=80"`) read as the CLI reads
//! them (go-connections' `nat.ParsePortSpec`), and the Python SDK's maps
//! (`{[80] = 8080}` for a container, `{[8080] = 80}` for a service).
//! What the CLI refuses is refused, naming the spec.

use std::net::IpAddr;

use serde_json::{json, Map, Value};

use super::{bad, describe, integer, string, Fields};
use crate::engine::error::excerpt;
use crate::engine::{Error, Result};

/// One published (or only exposed) container port: `"80/tcp"` and where
/// on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub port: String,
    pub host_ip: String,
    pub host_port: String,
}

fn spec_error(name: &str, spec: &str, why: impl std::fmt::Display) -> Error {
    // Both quote the spec's parts: excerpts, however long the spec.
    Error::invalid(format!(
        "bad option '{name}' (bad port spec '{}': {})",
        excerpt(spec, 60),
        excerpt(&why.to_string(), 80)
    ))
}

/// `ParseUint(s, 10, 16)`: digits only (no sign), at most 65535.
fn port_number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `"80"` or `"8000-8010"` as (start, end).
fn port_range(s: &str) -> std::result::Result<(u16, u16), String> {
    if s.is_empty() {
        return Err("empty port".into());
    }
    let Some((a, rest)) = s.split_once('-') else {
        return port_number(s)
            .map(|p| (p, p))
            .ok_or_else(|| format!("invalid port '{s}'"));
    };
    // The CLI reads the first two parts of "a-b-c".
    let b = rest.split('-').next().unwrap_or_default();
    let (start, end) = match (port_number(a), port_number(b)) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err(format!("invalid port range '{s}'")),
    };
    if end < start {
        return Err(format!("invalid range specified for port: {s}"));
    }
    Ok((start, end))
}

/// `"80/udp"` as ("udp", "80"); no protocol is tcp.
fn split_proto(raw: &str) -> (String, &str) {
    let mut parts = raw.split('/');
    let port = parts.next().unwrap_or_default();
    if raw.is_empty() || port.is_empty() {
        return (String::new(), "");
    }
    match parts.next() {
        None | Some("") => ("tcp".into(), port),
        Some(proto) => (proto.to_owned(), port),
    }
}

/// The docker CLI's long syntax (`published=8080,target=80,protocol=udp`)
/// as its short one, as `docker run -p` converts it.
fn long_syntax(name: &str, spec: &str) -> Result<String> {
    let mut published = "";
    let mut target = None;
    let mut protocol = "tcp";
    for param in spec.split(',') {
        match param.split_once('=') {
            Some(("published", v)) => published = v,
            Some(("target", v)) => target = Some(v),
            Some(("protocol", v)) => protocol = v,
            Some(("mode", _)) => {}
            _ => {
                return Err(spec_error(
                    name,
                    spec,
                    format!("'{param}' is not name=value"),
                ))
            }
        }
    }
    let target = target.ok_or_else(|| spec_error(name, spec, "no target port"))?;
    Ok(format!("{published}:{target}/{protocol}"))
}

/// One `docker run -p` spec as the CLI reads it: the container ports it
/// exposes and where each is published.
pub fn parse_spec(name: &str, spec: &str) -> Result<Vec<Mapping>> {
    if spec.contains('=') {
        return parse_spec(name, &long_syntax(name, spec)?);
    }
    let bad_spec = |why: String| spec_error(name, spec, why);
    let parts: Vec<&str> = spec.split(':').collect();
    let n = parts.len();
    let (raw_ip, host_port, container) = match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        3 => (parts[0].to_owned(), parts[1], parts[2]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (proto, container) = split_proto(container);
    let mut ip = raw_ip.clone();
    if let Some(inner) = raw_ip.strip_prefix('[') {
        ip = inner
            .strip_suffix(']')
            .filter(|i| !i.contains(['[', ']']))
            .ok_or_else(|| bad_spec(format!("invalid IP address {raw_ip}")))?
            .to_owned();
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(bad_spec(format!("invalid IP address: {ip}")));
    }
    if container.is_empty() {
        return Err(bad_spec("no container port".into()));
    }
    let (start, end) = port_range(container)
        .map_err(|_| bad_spec(format!("invalid containerPort: {container}")))?;
    let (host_start, host_end) = if host_port.is_empty() {
        (0, 0)
    } else {
        port_range(host_port).map_err(|_| bad_spec(format!("invalid hostPort: {host_port}")))?
    };
    if !host_port.is_empty() && end - start != host_end - host_start && end != start {
        return Err(bad_spec(format!(
            "invalid ranges specified for container and host Ports: {container} and {host_port}"
        )));
    }
    let proto = proto.to_ascii_lowercase();
    if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
        return Err(bad_spec(format!("invalid proto: {proto}")));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let mut host = String::new();
        if !host_port.is_empty() {
            host = (u32::from(host_start) + u32::from(i)).to_string();
        }
        // One container port and a host range: the engine picks in it.
        if start == end && host_start != host_end {
            host = format!("{host}-{host_end}");
        }
        out.push(Mapping {
            port: format!("{}/{proto}", u32::from(start) + u32::from(i)),
            host_ip: ip.clone(),
            host_port: host,
        });
    }
    Ok(out)
}

/// A container's `ports` as `(ExposedPorts, PortBindings)`: a list of CLI
/// specs (`{"8080:80", "127.0.0.1::53/udp", 9000}`), or the Python SDK's
/// map by container port (`{[80] = 8080, ["53/udp"] = {"127.0.0.1", 53},
/// [22] = "127.0.0.1:2222", [443] = "8443:443", [9000] = true (a random
/// host port), [2222] = false (exposed only), [1111] = {1234, 4567}}`).
pub fn container_ports(name: &str, v: &Value) -> Result<(Value, Value)> {
    let mut mappings: Vec<Mapping> = Vec::new();
    let mut exposed_only: Vec<String> = Vec::new();
    match v {
        Value::Array(items) => {
            for item in items {
                let spec = match item {
                    Value::String(s) => s.clone(),
                    Value::Number(_) => integer(name, item)?.to_string(),
                    other => return Err(bad(name, "a port spec such as \"8080:80\"", other)),
                };
                mappings.extend(parse_spec(name, &spec)?);
            }
        }
        Value::Object(map) => {
            for (key, value) in map {
                keyed(name, key, value, &mut mappings, &mut exposed_only)?;
            }
        }
        other => return Err(bad(name, "a list of port specs or a map of ports", other)),
    }
    let mut exposed = Map::new();
    let mut bindings: Map<String, Value> = Map::new();
    for port in exposed_only {
        exposed.insert(port, json!({}));
    }
    for m in mappings {
        exposed.insert(m.port.clone(), json!({}));
        let slot = bindings.entry(m.port).or_insert_with(|| json!([]));
        if let Value::Array(list) = slot {
            list.push(json!({"HostIp": m.host_ip, "HostPort": m.host_port}));
        }
    }
    Ok((Value::Object(exposed), Value::Object(bindings)))
}

/// One entry of the map form: `key` a container port (`"80"`, `"53/udp"`).
fn keyed(
    name: &str,
    key: &str,
    value: &Value,
    mappings: &mut Vec<Mapping>,
    exposed_only: &mut Vec<String>,
) -> Result<()> {
    let (key_proto, key_port) = split_proto(key);
    let container = format!("{key_port}/{key_proto}");
    let what = name.to_owned();
    // The key alone must be a container port spec.
    let own = parse_spec(name, &container).map_err(|_| {
        bad(
            name,
            "a container port such as 80 or \"53/udp\" as key",
            &json!(key),
        )
    })?;
    if key_port.contains('-') {
        return Err(bad(
            name,
            "one container port as key (ranges are for specs)",
            &json!(key),
        ));
    }
    let bad_value = |got: &Value| {
        Error::invalid(format!(
            "bad option '{what}' (for {container}: a host port, \"ip:port\", \"host:container\" spec, \
             {{ip, port}}, a list of them, true or false expected, got {})",
            describe(got)
        ))
    };
    let mut bind = |v: &Value| -> Result<()> {
        let found = match v {
            Value::Bool(true) => own.clone(),
            Value::Number(_) => {
                let p = integer(&what, v)?;
                parse_spec(&what, &format!("{p}:{container}"))?
            }
            Value::String(s) => keyed_string(&what, s, &container, key_port)?,
            Value::Array(pair) if is_ip_pair(pair) => {
                let ip = string(&what, &pair[0])?;
                let port = match pair.get(1) {
                    None | Some(Value::Null) => String::new(),
                    Some(p @ Value::Number(_)) => integer(&what, p)?.to_string(),
                    Some(Value::String(p)) => p.clone(),
                    Some(other) => return Err(bad_value(other)),
                };
                parse_spec(&what, &format!("{}:{port}:{container}", bracketed(&ip)))?
            }
            other => return Err(bad_value(other)),
        };
        mappings.extend(found);
        Ok(())
    };
    match value {
        Value::Bool(false) => exposed_only.push(own[0].port.clone()),
        Value::Array(items) if !is_ip_pair(items) => {
            if items.is_empty() {
                return Err(bad_value(value));
            }
            for item in items {
                if matches!(item, Value::Bool(_))
                    || matches!(item, Value::Array(a) if !is_ip_pair(a))
                {
                    return Err(bad_value(item));
                }
                bind(item)?;
            }
        }
        other => bind(other)?,
    }
    Ok(())
}

/// A string value in the map form: a whole spec for this very port
/// (`"8080:80"`, `"127.0.0.1:8080:80"`), or where to publish it
/// (`"8080"`, `"127.0.0.1:8080"`, `"[::1]:8080"`, `"127.0.0.1:"`).
fn keyed_string(what: &str, s: &str, container: &str, key_port: &str) -> Result<Vec<Mapping>> {
    if let Some((_, last)) = s.rsplit_once(':') {
        let (_, last_port) = split_proto(last);
        if last_port == key_port {
            let proto = container.split_once('/').map_or("tcp", |(_, p)| p);
            let spec = if last.contains('/') {
                s.to_owned()
            } else {
                format!("{s}/{proto}")
            };
            if let Ok(found) = parse_spec(what, &spec) {
                if found.iter().any(|m| m.port != container) {
                    return Err(Error::invalid(format!(
                        "bad option '{what}' (spec '{}' is not for {container})",
                        excerpt(s, 40)
                    )));
                }
                return Ok(found);
            }
        }
    }
    let (ip, port) = match s.rsplit_once(':') {
        Some((ip, port)) => (ip, port),
        None => ("", s),
    };
    let spec = format!("{}:{port}:{container}", bracketed(ip));
    parse_spec(what, &spec).map_err(|e| {
        Error::invalid(format!(
            "bad option '{what}' ('{}' is neither a host port, \"ip:port\" nor a spec for {container}: {})",
            excerpt(s, 40),
            e.message
        ))
    })
}

fn bracketed(ip: &str) -> String {
    if ip.contains(':') && !ip.starts_with('[') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    }
}

/// `{"127.0.0.1", 53}` or `{"127.0.0.1"}` rather than a list of ports.
fn is_ip_pair(items: &[Value]) -> bool {
    (1..=2).contains(&items.len())
        && matches!(items.first(), Some(Value::String(s))
            if s.is_empty() || s.trim_matches(['[', ']']).parse::<IpAddr>().is_ok())
}

/// A service's `ports` (`EndpointSpec.Ports`): the Python SDK's map
/// `{[published] = target}` (a target may be `"80/udp"`, `{target,
/// protocol, publish_mode}` or an array of those three), or a list of
/// `docker service create -p` specs (`"8080:80"`, `"8080:80/udp"`,
/// `"published=8080,target=80,mode=host"`) and of `PortConfig` tables
/// (`{target =, published =, protocol =, publish_mode =}` or the engine's
/// `TargetPort`, `PublishedPort`...).
pub fn service_ports(name: &str, v: &Value) -> Result<Value> {
    let mut out = Vec::new();
    match v {
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => out.extend(service_spec(name, s)?),
                    Value::Number(_) => {
                        out.extend(service_spec(name, &integer(name, item)?.to_string())?)
                    }
                    Value::Object(_) => out.push(port_config(name, item)?),
                    other => return Err(bad(name, "a port spec such as \"8080:80\"", other)),
                }
            }
        }
        Value::Object(map) => {
            for (published, target) in map {
                let published = port_number(published)
                    .ok_or_else(|| bad(name, "a published port as key", &json!(published)))?;
                let what = format!("{name}[{published}]");
                let (target, protocol, mode) = match target {
                    Value::Number(_) => (
                        super::ranged(&what, target, 1..=65535)?,
                        "tcp".to_owned(),
                        None,
                    ),
                    Value::String(s) => {
                        let (proto, port) = split_proto(s);
                        let port = port_number(port).ok_or_else(|| {
                            bad(&what, "a target port such as \"80/udp\"", target)
                        })?;
                        (i64::from(port), proto.to_ascii_lowercase(), None)
                    }
                    Value::Array(items) => {
                        let get = |i: usize| items.get(i).filter(|v| !v.is_null());
                        let port = super::ranged(&what, get(0).unwrap_or(&Value::Null), 1..=65535)?;
                        let proto = get(1).map(|p| string(&what, p)).transpose()?;
                        let mode = get(2).map(|p| string(&what, p)).transpose()?;
                        (port, proto.unwrap_or_else(|| "tcp".into()), mode)
                    }
                    Value::Object(_) => {
                        let f = Fields::read(
                            &what,
                            target,
                            &[
                                ("target", "TargetPort"),
                                ("protocol", "Protocol"),
                                ("publish_mode", "PublishMode"),
                            ],
                        )?;
                        let port = super::ranged(
                            &f.path("target"),
                            f.get("target").unwrap_or(&Value::Null),
                            1..=65535,
                        )?;
                        let proto = f.with("protocol", string)?;
                        let mode = f.with("publish_mode", string)?;
                        (port, proto.unwrap_or_else(|| "tcp".into()), mode)
                    }
                    other => return Err(bad(&what, "target port", other)),
                };
                let mut port = json!({
                    "PublishedPort": published,
                    "TargetPort": target,
                    "Protocol": protocol,
                });
                if let Some(mode) = mode {
                    port["PublishMode"] = json!(mode);
                }
                out.push(port);
            }
        }
        other => {
            return Err(bad(
                name,
                "a list of port specs or a map {[published] = target}",
                other,
            ))
        }
    }
    Ok(Value::Array(out))
}

/// A `PortConfig` table in either spelling.
fn port_config(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("name", "Name"),
            ("target", "TargetPort"),
            ("published", "PublishedPort"),
            ("protocol", "Protocol"),
            ("publish_mode", "PublishMode"),
        ],
    )?;
    let target = f
        .get("target")
        .ok_or_else(|| Error::invalid(format!("bad option '{name}' (an item has no 'target')")))?;
    let mut out = json!({
        "TargetPort": super::ranged(&f.path("target"), target, 1..=65535)?,
        "Protocol": f.with("protocol", string)?.unwrap_or_else(|| "tcp".into()),
    });
    if let Some(p) = f.with("published", |n, v| super::ranged(n, v, 0..=65535))? {
        out["PublishedPort"] = json!(p);
    }
    if let Some(m) = f.with("publish_mode", string)? {
        out["PublishMode"] = json!(m);
    }
    if let Some(n) = f.with("name", string)? {
        out["Name"] = json!(n);
    }
    Ok(out)
}

/// One `docker service create -p` spec as the CLI turns it into
/// `PortConfig`s (an address is ignored, as the CLI ignores it: a service
/// publishes on every address).
pub fn service_spec(name: &str, spec: &str) -> Result<Vec<Value>> {
    if spec.contains('=') {
        let mut config = json!({"Protocol": "tcp", "PublishMode": "ingress"});
        for field in spec.split(',') {
            let Some((key, val)) = field.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                return Err(spec_error(
                    name,
                    spec,
                    format!("'{field}' is not name=value"),
                ));
            };
            match key.to_ascii_lowercase().as_str() {
                "protocol" if ["tcp", "udp", "sctp"].contains(&val) => {
                    config["Protocol"] = json!(val)
                }
                "mode" if ["ingress", "host"].contains(&val) => config["PublishMode"] = json!(val),
                "target" | "published" => {
                    let port = port_number(val).ok_or_else(|| {
                        spec_error(name, spec, format!("invalid {key} port '{val}'"))
                    })?;
                    let field = if key.eq_ignore_ascii_case("target") {
                        "TargetPort"
                    } else {
                        "PublishedPort"
                    };
                    config[field] = json!(port);
                }
                _ => return Err(spec_error(name, spec, format!("invalid field '{field}'"))),
            }
        }
        if config.get("TargetPort").is_none_or(|p| p == 0) {
            return Err(spec_error(name, spec, "missing mandatory field \"target\""));
        }
        return Ok(vec![config]);
    }
    let mut out = Vec::new();
    for m in parse_spec(name, spec)? {
        let (port, proto) = m.port.split_once('/').unwrap_or((&m.port, "tcp"));
        let (start, end) = if m.host_port.is_empty() {
            (0, 0)
        } else {
            port_range(&m.host_port).map_err(|e| spec_error(name, spec, e))?
        };
        for published in start..=end {
            let mut config = json!({
                "Protocol": proto,
                "TargetPort": port.parse::<u32>().unwrap_or_default(),
                "PublishMode": "ingress",
            });
            if published != 0 {
                config["PublishedPort"] = json!(published);
            }
            out.push(config);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(v: Value) -> Result<(Value, Value)> {
        container_ports("ports", &v)
    }

    #[test]
    fn cli_specs_as_the_cli_reads_them() {
        let m = |spec: &str| {
            parse_spec("p", spec)
                .unwrap()
                .into_iter()
                .map(|m| format!("{} {}|{}", m.port, m.host_ip, m.host_port))
                .collect::<Vec<_>>()
        };
        assert_eq!(m("8080:80"), ["80/tcp |8080"]);
        assert_eq!(m("127.0.0.1:8080:80/udp"), ["80/udp 127.0.0.1|8080"]);
        assert_eq!(m("80"), ["80/tcp |"]);
        assert_eq!(m("127.0.0.1::80"), ["80/tcp 127.0.0.1|"]);
        assert_eq!(m("8000-8001:80-81"), ["80/tcp |8000", "81/tcp |8001"]);
        assert_eq!(m("8000-8010:80"), ["80/tcp |8000-8010"]);
        assert_eq!(m("[::1]:8080:80"), ["80/tcp ::1|8080"]);
        assert_eq!(m("::1:8080:80"), ["80/tcp ::1|8080"]);
        assert_eq!(m("80/UDP"), ["80/udp |"]);
        assert_eq!(m("published=8080,target=80,protocol=udp"), ["80/udp |8080"]);
        for bad in [
            "8080:80-81",
            "x:80",
            "8080:",
            "1.2.3:80:80",
            "80/quic",
            "70000",
            "+80",
            "8000-8001:80-82",
            "",
        ] {
            let err = parse_spec("ports", bad).unwrap_err().message;
            assert!(err.contains("'ports'"), "{bad}: {err}");
        }
    }

    #[test]
    fn lists_and_maps_for_containers() {
        let (exposed, bindings) = ports(json!(["8080:80", "127.0.0.1:9090:80", 53])).unwrap();
        assert_eq!(exposed, json!({"80/tcp": {}, "53/tcp": {}}));
        assert_eq!(
            bindings,
            json!({"80/tcp": [{"HostIp": "", "HostPort": "8080"}, {"HostIp": "127.0.0.1", "HostPort": "9090"}],
                   "53/tcp": [{"HostIp": "", "HostPort": ""}]})
        );
        let (_, bindings) = ports(json!({
            "80": "8080:80", "22": "127.0.0.1:2222", "53/udp": ["127.0.0.1", 53],
            "9000": true, "1111": [1234, 4567], "443": "[::1]:8443",
        }))
        .unwrap();
        assert_eq!(
            bindings["80/tcp"],
            json!([{"HostIp": "", "HostPort": "8080"}])
        );
        assert_eq!(
            bindings["22/tcp"],
            json!([{"HostIp": "127.0.0.1", "HostPort": "2222"}])
        );
        assert_eq!(
            bindings["53/udp"],
            json!([{"HostIp": "127.0.0.1", "HostPort": "53"}])
        );
        assert_eq!(
            bindings["9000/tcp"],
            json!([{"HostIp": "", "HostPort": ""}])
        );
        assert_eq!(
            bindings["443/tcp"],
            json!([{"HostIp": "::1", "HostPort": "8443"}])
        );
        assert_eq!(bindings["1111/tcp"].as_array().unwrap().len(), 2);
        let (exposed, bindings) = ports(json!({"2222": false})).unwrap();
        assert_eq!((exposed, bindings), (json!({"2222/tcp": {}}), json!({})));
        for bad in [
            json!({"80": "8080:81"}),
            json!({"8080": "8080:80"}),
            json!({"x": 1}),
            json!({"80": "nope"}),
        ] {
            assert!(ports(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn service_specs_as_docker_service_create_reads_them() {
        assert_eq!(
            service_ports(
                "ports",
                &json!([
                    "8080:80",
                    "8081:81/udp",
                    "published=9000,target=90,mode=host"
                ])
            )
            .unwrap(),
            json!([
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
                {"Protocol": "udp", "TargetPort": 81, "PublishedPort": 8081, "PublishMode": "ingress"},
                {"Protocol": "tcp", "TargetPort": 90, "PublishedPort": 9000, "PublishMode": "host"},
            ])
        );
        assert_eq!(
            service_ports("ports", &json!({"8080": "80/udp"})).unwrap(),
            json!([{"PublishedPort": 8080, "TargetPort": 80, "Protocol": "udp"}])
        );
        assert!(service_ports("ports", &json!(["8080:80:90"])).is_err());
        assert!(service_ports("ports", &json!(["target=x"])).is_err());
        // A huge spec is quoted as an excerpt.
        let huge = format!("{}:80", "1".repeat(100_000));
        assert!(parse_spec("ports", &huge).unwrap_err().message.len() < 400);
    }
}
