//! The option types containers and services share (the Python SDK's
//! `docker/types`): healthcheck, restart policies, resources, mounts, log
//! configuration, ulimits, network endpoints. Each reads the SDK's
//! snake_case fields or the engine's own spelling.

use serde_json::{json, Map, Value};

use super::{
    array, bad, boolean, count, duration, integer, labels, number, size, string, string_map,
    strings, text, Fields,
};
use crate::engine::{Error, Result};

/// `{test =, interval =, timeout =, retries =, start_period =,
/// start_interval =}`: durations in nanoseconds or text; `test` a shell
/// command (string) or an array (`CMD` put first unless it starts with
/// `CMD`, `CMD-SHELL` or `NONE`).
pub fn healthcheck(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("test", "Test"),
            ("interval", "Interval"),
            ("timeout", "Timeout"),
            ("retries", "Retries"),
            ("start_period", "StartPeriod"),
            ("start_interval", "StartInterval"),
        ],
    )?;
    let mut out = Map::new();
    if let Some(t) = f.get("test") {
        let test = match t {
            Value::String(s) => vec!["CMD-SHELL".to_owned(), s.clone()],
            _ => {
                let mut words = strings(&f.path("test"), t)?;
                if !matches!(
                    words.first().map(String::as_str),
                    Some("CMD" | "CMD-SHELL" | "NONE")
                ) {
                    words.insert(0, "CMD".into());
                }
                words
            }
        };
        out.insert("Test".into(), json!(test));
    }
    for (key, field) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ] {
        if let Some(d) = f.with(key, duration)? {
            // The engine refuses a healthcheck duration under 1 ms (0 means
            // "default"); a bare `5` is most likely meant as seconds.
            if (1..1_000_000).contains(&d) {
                return Err(Error::invalid(format!(
                    "bad option '{}' ({d} ns is under the engine's 1ms minimum: \
                     numbers are nanoseconds, write \"{d}s\" for seconds)",
                    f.path(key)
                )));
            }
            out.insert(field.into(), json!(d));
        }
    }
    if let Some(r) = f.with("retries", count)? {
        out.insert("Retries".into(), json!(r));
    }
    Ok(Value::Object(out))
}

/// A container's `{name = "on-failure", maximum_retry_count = 3}`.
pub fn container_restart_policy(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("name", "Name"),
            ("maximum_retry_count", "MaximumRetryCount"),
        ],
    )?;
    let policy = f
        .with("name", string)?
        .ok_or_else(|| Error::invalid(format!("bad option '{name}' (needs a name)")))?;
    const POLICIES: &[&str] = &["", "no", "always", "unless-stopped", "on-failure"];
    if !POLICIES.contains(&policy.as_str()) {
        return Err(bad(
            &f.path("name"),
            "\"no\", \"always\", \"unless-stopped\" or \"on-failure\"",
            &json!(policy),
        ));
    }
    let mut out = json!({"Name": policy});
    if let Some(n) = f.with("maximum_retry_count", count)? {
        out["MaximumRetryCount"] = json!(n);
    }
    Ok(out)
}

/// A service's `{condition = "none"|"on-failure"|"any", delay =,
/// max_attempts =, window =}` (durations in nanoseconds or text).
pub fn service_restart_policy(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("condition", "Condition"),
            ("delay", "Delay"),
            ("max_attempts", "MaxAttempts"),
            ("window", "Window"),
        ],
    )?;
    let mut out = Map::new();
    if let Some(c) = f.with("condition", string)? {
        if !["none", "on-failure", "any"].contains(&c.as_str()) {
            return Err(bad(
                &f.path("condition"),
                "\"none\", \"on-failure\" or \"any\"",
                &json!(c),
            ));
        }
        out.insert("Condition".into(), json!(c));
    }
    if let Some(d) = f.with("delay", duration)? {
        out.insert("Delay".into(), json!(d));
    }
    if let Some(n) = f.with("max_attempts", count)? {
        out.insert("MaxAttempts".into(), json!(n));
    }
    if let Some(w) = f.with("window", duration)? {
        out.insert("Window".into(), json!(w));
    }
    Ok(Value::Object(out))
}

/// A service's `{cpu_limit =, mem_limit =, cpu_reservation =,
/// mem_reservation =}` (CPUs in units of 1e-9, memory in bytes or text), or
/// the engine's `{Limits = {NanoCPUs =, MemoryBytes =}, Reservations = ...}`.
pub fn resources(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("cpu_limit", "cpu_limit"),
            ("mem_limit", "mem_limit"),
            ("cpu_reservation", "cpu_reservation"),
            ("mem_reservation", "mem_reservation"),
            ("generic_resources", "GenericResources"),
            ("limits", "Limits"),
            ("reservations", "Reservations"),
        ],
    )?;
    let mut out = json!({"Limits": {}, "Reservations": {}});
    for (group, field) in [("limits", "Limits"), ("reservations", "Reservations")] {
        if let Some(g) = f.get(group) {
            let path = f.path(group);
            let inner = Fields::read(
                &path,
                g,
                &[
                    ("nano_cpus", "NanoCPUs"),
                    ("memory_bytes", "MemoryBytes"),
                    ("pids", "Pids"),
                    ("generic_resources", "GenericResources"),
                ],
            )?;
            let slot = &mut out[field];
            if let Some(n) = inner.with("nano_cpus", count)? {
                slot["NanoCPUs"] = json!(n);
            }
            if let Some(m) = inner.with("memory_bytes", size)? {
                slot["MemoryBytes"] = json!(m);
            }
            if let Some(p) = inner.with("pids", count)? {
                slot["Pids"] = json!(p);
            }
            if let Some(g) = inner.get("generic_resources") {
                slot["GenericResources"] = g.clone();
            }
        }
    }
    for (ours, group, field) in [
        ("cpu_limit", "Limits", "NanoCPUs"),
        ("mem_limit", "Limits", "MemoryBytes"),
        ("cpu_reservation", "Reservations", "NanoCPUs"),
        ("mem_reservation", "Reservations", "MemoryBytes"),
    ] {
        let Some(v) = f.get(ours) else { continue };
        if out[group].get(field).is_some() {
            return Err(Error::invalid(format!(
                "bad option '{name}' (field '{ours}' given twice: as '{ours}' and as '{group}.{field}')"
            )));
        }
        let n = if field == "NanoCPUs" {
            count(&f.path(ours), v)?
        } else {
            size(&f.path(ours), v)?
        };
        out[group][field] = json!(n);
    }
    if let Some(g) = f.get("generic_resources") {
        out["Reservations"]["GenericResources"] = g.clone();
    }
    Ok(out)
}

/// A list of mounts, for services and containers alike (`HostConfig.Mounts`
/// and a service's `Mounts` have the same shape).
pub fn mounts(name: &str, v: &Value) -> Result<Value> {
    array(name, v, mount)
}

/// `"src:dst[:ro]"` or `{type =, source =, target =, read_only =, ...}` (the
/// Python SDK's `Mount`), or the engine's `{Type =, Target =, ...}`.
pub fn mount(name: &str, v: &Value) -> Result<Value> {
    if let Value::String(s) = v {
        let parts: Vec<&str> = s.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [source, target] => (*source, *target, ""),
            [source, target, mode] => (*source, *target, *mode),
            _ => {
                return Err(Error::invalid(format!(
                    "bad option '{name}' item '{}' (\"source:target[:ro]\" expected)",
                    crate::engine::error::excerpt(s, 40)
                )))
            }
        };
        let kind = if source.starts_with('/') {
            "bind"
        } else {
            "volume"
        };
        return Ok(json!({
            "Type": kind,
            "Source": source,
            "Target": target,
            "ReadOnly": mode.split(',').any(|m| m == "ro"),
        }));
    }
    let f = Fields::read(
        name,
        v,
        &[
            ("type", "Type"),
            ("source", "Source"),
            ("target", "Target"),
            ("read_only", "ReadOnly"),
            ("consistency", "Consistency"),
            ("propagation", "Propagation"),
            ("no_copy", "NoCopy"),
            ("labels", "Labels"),
            ("driver_config", "DriverConfig"),
            ("tmpfs_size", "SizeBytes"),
            ("tmpfs_mode", "Mode"),
            ("bind_options", "BindOptions"),
            ("volume_options", "VolumeOptions"),
            ("tmpfs_options", "TmpfsOptions"),
        ],
    )?;
    let target = f
        .with("target", string)?
        .ok_or_else(|| Error::invalid(format!("bad option '{name}' (an item has no 'target')")))?;
    let kind = f.with("type", string)?.unwrap_or_else(|| "volume".into());
    let mut out = json!({"Type": kind, "Target": target});
    if let Some(s) = f.with("source", string)? {
        out["Source"] = json!(s);
    }
    if let Some(ro) = f.with("read_only", boolean)? {
        out["ReadOnly"] = json!(ro);
    }
    if let Some(c) = f.with("consistency", string)? {
        out["Consistency"] = json!(c);
    }
    // The engine's nested options, then the SDK's flat fields into them
    // (one field given both ways is refused).
    let nested = |snake: &str| -> Result<Map<String, Value>> {
        match f.get(snake) {
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(bad(&f.path(snake), "table", other)),
            None => Ok(Map::new()),
        }
    };
    let mut bind = nested("bind_options")?;
    let mut volume = nested("volume_options")?;
    let mut tmpfs = nested("tmpfs_options")?;
    let put = |group: &mut Map<String, Value>,
               group_name: &str,
               snake: &str,
               field: &str,
               value: Value| {
        if group.contains_key(field) {
            return Err(Error::invalid(format!(
                "bad option '{name}' (field '{snake}' given twice: as '{snake}' and as '{group_name}.{field}')"
            )));
        }
        group.insert(field.into(), value);
        Ok(())
    };
    if let Some(p) = f.with("propagation", string)? {
        put(
            &mut bind,
            "BindOptions",
            "propagation",
            "Propagation",
            json!(p),
        )?;
    }
    if let Some(n) = f.with("no_copy", boolean)? {
        put(&mut volume, "VolumeOptions", "no_copy", "NoCopy", json!(n))?;
    }
    if let Some(l) = f.with("labels", labels)? {
        put(&mut volume, "VolumeOptions", "labels", "Labels", l)?;
    }
    if let Some(d) = f.get("driver_config") {
        let d = Fields::read(
            &f.path("driver_config"),
            d,
            &[("name", "Name"), ("options", "Options")],
        )?;
        let mut driver = Map::new();
        if let Some(n) = d.with("name", string)? {
            driver.insert("Name".into(), json!(n));
        }
        if let Some(o) = d.with("options", string_map)? {
            driver.insert("Options".into(), o);
        }
        put(
            &mut volume,
            "VolumeOptions",
            "driver_config",
            "DriverConfig",
            Value::Object(driver),
        )?;
    }
    if let Some(s) = f.with("tmpfs_size", size)? {
        put(
            &mut tmpfs,
            "TmpfsOptions",
            "tmpfs_size",
            "SizeBytes",
            json!(s),
        )?;
    }
    if let Some(m) = f.with("tmpfs_mode", integer)? {
        put(&mut tmpfs, "TmpfsOptions", "tmpfs_mode", "Mode", json!(m))?;
    }
    for (group, field) in [
        (bind, "BindOptions"),
        (volume, "VolumeOptions"),
        (tmpfs, "TmpfsOptions"),
    ] {
        if !group.is_empty() {
            out[field] = Value::Object(group);
        }
    }
    Ok(out)
}

/// `{type = "json-file", config = {["max-size"] = "10m"}}` (the SDK's
/// `LogConfig`) or the engine's `{Type =, Config =}`.
pub fn log_config(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(name, v, &[("type", "Type"), ("config", "Config")])?;
    let mut out = Map::new();
    if let Some(t) = f.with("type", string)? {
        out.insert("Type".into(), json!(t));
    }
    if let Some(c) = f.with("config", string_map)? {
        out.insert("Config".into(), c);
    }
    Ok(Value::Object(out))
}

/// `{{name = "nofile", soft = 1024, hard = 2048}}` (or `Name`, `Soft`,
/// `Hard`): limits are integers (`-1` is unlimited), never clamped.
pub fn ulimits(name: &str, v: &Value) -> Result<Value> {
    array(name, v, |name, item| {
        let f = Fields::read(
            name,
            item,
            &[("name", "Name"), ("soft", "Soft"), ("hard", "Hard")],
        )?;
        let limit_name = f.with("name", string)?.ok_or_else(|| {
            Error::invalid(format!("bad option '{name}' (an item has no 'name')"))
        })?;
        let mut out = json!({"Name": limit_name});
        for (key, field) in [("soft", "Soft"), ("hard", "Hard")] {
            if let Some(n) = f.with(key, integer)? {
                if n < -1 {
                    return Err(bad(&f.path(key), "a limit (-1 for unlimited)", &json!(n)));
                }
                out[field] = json!(n);
            }
        }
        Ok(out)
    })
}

/// The fields of an endpoint, in both spellings.
pub const ENDPOINT_FIELDS: &[(&str, &str)] = &[
    ("aliases", "Aliases"),
    ("links", "Links"),
    ("ipv4_address", "IPv4Address"),
    ("ipv6_address", "IPv6Address"),
    ("link_local_ips", "LinkLocalIPs"),
    ("driver_opt", "DriverOpts"),
    ("mac_address", "MacAddress"),
    ("ipam_config", "IPAMConfig"),
    ("network_id", "NetworkID"),
];

/// A network endpoint of a container (`networking_config = {net = ...}`,
/// `Network:connect(c, ...)`): the SDK's `{aliases =, links =,
/// ipv4_address =, ipv6_address =, link_local_ips =, driver_opt =,
/// mac_address =}` or the engine's `EndpointSettings` (`Aliases`,
/// `IPAMConfig = {IPv4Address =}`, `DriverOpts`...).
pub fn endpoint_config(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(name, v, ENDPOINT_FIELDS)?;
    let mut out = Map::new();
    if let Some(a) = f.with("aliases", strings)? {
        out.insert("Aliases".into(), json!(a));
    }
    if let Some(l) = f.with("links", links)? {
        out.insert("Links".into(), json!(l));
    }
    let mut ipam = Map::new();
    if let Some(given) = f.get("ipam_config") {
        let inner = Fields::read(
            &f.path("ipam_config"),
            given,
            &[
                ("ipv4_address", "IPv4Address"),
                ("ipv6_address", "IPv6Address"),
                ("link_local_ips", "LinkLocalIPs"),
            ],
        )?;
        for (key, field) in [
            ("ipv4_address", "IPv4Address"),
            ("ipv6_address", "IPv6Address"),
        ] {
            if let Some(a) = inner.with(key, string)? {
                ipam.insert(field.into(), json!(a));
            }
        }
        if let Some(ips) = inner.with("link_local_ips", strings)? {
            ipam.insert("LinkLocalIPs".into(), json!(ips));
        }
    }
    for (key, field) in [
        ("ipv4_address", "IPv4Address"),
        ("ipv6_address", "IPv6Address"),
        ("link_local_ips", "LinkLocalIPs"),
    ] {
        let Some(v) = f.get(key) else { continue };
        if ipam.contains_key(field) {
            return Err(Error::invalid(format!(
                "bad option '{name}' (field '{key}' given twice: as '{key}' and as 'IPAMConfig.{field}')"
            )));
        }
        let value = if key == "link_local_ips" {
            json!(strings(&f.path(key), v)?)
        } else {
            json!(string(&f.path(key), v)?)
        };
        ipam.insert(field.into(), value);
    }
    if !ipam.is_empty() {
        out.insert("IPAMConfig".into(), Value::Object(ipam));
    }
    if let Some(d) = f.with("driver_opt", string_map)? {
        out.insert("DriverOpts".into(), d);
    }
    if let Some(m) = f.with("mac_address", string)? {
        out.insert("MacAddress".into(), json!(m));
    }
    if let Some(n) = f.with("network_id", string)? {
        out.insert("NetworkID".into(), json!(n));
    }
    Ok(Value::Object(out))
}

/// Links as `{"name:alias"}` or `{name = "alias"}`, to `["name:alias"]`.
pub fn links(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let mut out = map
                .iter()
                .map(|(k, alias)| Ok(format!("{k}:{}", text(&format!("{name}.{k}"), alias)?)))
                .collect::<Result<Vec<_>>>()?;
            out.sort();
            Ok(out)
        }
        _ => strings(name, v),
    }
}

/// `networking_config = {mynet = {aliases = {"db"}}}` (an endpoint per
/// network), or the engine's `{EndpointsConfig = {...}}`.
pub fn networking_config(name: &str, v: &Value) -> Result<Value> {
    let Value::Object(map) = v else {
        return Err(bad(name, "table", v));
    };
    let endpoints = match map.get("EndpointsConfig") {
        Some(inner) if map.len() == 1 => inner,
        Some(_) => {
            return Err(Error::invalid(format!(
                "bad option '{name}' ('EndpointsConfig' beside networks)"
            )))
        }
        None => v,
    };
    let Value::Object(endpoints) = endpoints else {
        return Err(bad(&format!("{name}.EndpointsConfig"), "table", endpoints));
    };
    let mut out = Map::new();
    for (network, endpoint) in endpoints {
        out.insert(
            network.clone(),
            endpoint_config(&format!("{name}.{network}"), endpoint)?,
        );
    }
    Ok(json!({ "EndpointsConfig": out }))
}

/// A service's `update_config`/`rollback_config`: `{parallelism =, delay =,
/// failure_action =, monitor =, max_failure_ratio =, order =}` (durations
/// in nanoseconds or text) or the engine's `UpdateConfig`.
pub fn update_config(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(
        name,
        v,
        &[
            ("parallelism", "Parallelism"),
            ("delay", "Delay"),
            ("failure_action", "FailureAction"),
            ("monitor", "Monitor"),
            ("max_failure_ratio", "MaxFailureRatio"),
            ("order", "Order"),
        ],
    )?;
    let mut out = Map::new();
    if let Some(p) = f.with("parallelism", count)? {
        out.insert("Parallelism".into(), json!(p));
    }
    if let Some(d) = f.with("delay", duration)? {
        out.insert("Delay".into(), json!(d));
    }
    if let Some(a) = f.with("failure_action", string)? {
        out.insert("FailureAction".into(), json!(a));
    }
    if let Some(d) = f.with("monitor", duration)? {
        out.insert("Monitor".into(), json!(d));
    }
    if let Some(r) = f.with("max_failure_ratio", number)? {
        out.insert("MaxFailureRatio".into(), json!(r));
    }
    if let Some(o) = f.with("order", string)? {
        out.insert("Order".into(), json!(o));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_healthcheck_for_containers_and_services() {
        let hc = healthcheck(
            "healthcheck",
            &json!({"test": ["true"], "timeout": 3e9, "interval": 5e6, "start_interval": "1s", "Retries": 2}),
        )
        .unwrap();
        assert_eq!(
            hc,
            json!({"Test": ["CMD", "true"], "Timeout": 3_000_000_000i64, "Interval": 5_000_000,
                   "StartInterval": 1_000_000_000i64, "Retries": 2})
        );
        assert!(healthcheck("h", &json!({"retries": 1e300})).is_err());
        let err = healthcheck("h", &json!({"interval": 5}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'h.interval'") && err.contains("\"5s\""),
            "{err}"
        );
        assert!(healthcheck("h", &json!({"interval": 0, "timeout": "1ms"})).is_ok());
        assert!(healthcheck("h", &json!({"timeout": 1, "Timeout": 2})).is_err());
    }

    #[test]
    fn mounts_in_both_spellings() {
        let m = mount(
            "mounts",
            &json!({"Type": "tmpfs", "target": "/t", "TmpfsOptions": {"Mode": 448}, "tmpfs_size": "1m"}),
        )
        .unwrap();
        assert_eq!(
            m,
            json!({"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"Mode": 448, "SizeBytes": 1 << 20}})
        );
        let err = mount(
            "mounts",
            &json!({"target": "/t", "TmpfsOptions": {"Mode": 1}, "tmpfs_mode": 2}),
        )
        .unwrap_err();
        assert!(err.message.contains("tmpfs_mode"), "{}", err.message);
    }

    #[test]
    fn endpoints_and_resources_in_the_engine_spelling() {
        let e = endpoint_config(
            "n",
            &json!({"Aliases": ["a"], "DriverOpts": {"k": "v"}, "IPAMConfig": {"IPv4Address": "10.0.0.2"}}),
        )
        .unwrap();
        assert_eq!(
            e,
            json!({"Aliases": ["a"], "DriverOpts": {"k": "v"}, "IPAMConfig": {"IPv4Address": "10.0.0.2"}})
        );
        assert!(endpoint_config(
            "n",
            &json!({"ipv4_address": "1.1.1.1", "IPAMConfig": {"IPv4Address": "1.1.1.2"}})
        )
        .is_err());
        let r = resources(
            "r",
            &json!({"Limits": {"NanoCPUs": 5e8}, "mem_reservation": "1m"}),
        )
        .unwrap();
        assert_eq!(
            r,
            json!({"Limits": {"NanoCPUs": 500_000_000}, "Reservations": {"MemoryBytes": 1 << 20}})
        );
        assert!(resources("r", &json!({"Limits": {"NanoCPUs": 1}, "cpu_limit": 2})).is_err());
        assert!(ulimits("u", &json!([{"name": "nofile", "soft": 1e300}])).is_err());
        assert_eq!(
            ulimits("u", &json!([{"Name": "nofile", "Soft": 10, "hard": 20}])).unwrap(),
            json!([{"Name": "nofile", "Soft": 10, "Hard": 20}])
        );
    }
}
