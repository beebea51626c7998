//! A container's create body (and `update` body) from the Python SDK's
//! `containers.create`/`run` options, as JSON. The options that decide how
//! a call runs rather than what is created (`name`, `detach`, `remove`,
//! `pull`...) are the caller's ([`CALL_OPTIONS`]).

use serde_json::{json, Map, Value};

use super::types::{
    container_restart_policy, healthcheck, links, log_config, mounts, networking_config, ulimits,
};
use super::{
    bad, boolean, count, integer, key_values, labels, ranged, size, string, string_map, strings,
    text, words, Fields,
};
use crate::engine::error::excerpt;
use crate::engine::{Error, Result};

/// Where an option's value goes.
#[derive(Clone, Copy)]
enum At {
    /// The top of the create body (`Config`).
    Config,
    /// `HostConfig`.
    Host,
}

/// How an option's value is read.
#[derive(Clone, Copy)]
enum As {
    Str,
    Bool,
    Int,
    /// A non-negative integer (a count, whole seconds).
    Count,
    /// Bytes: a number or `"512m"`.
    Size,
    /// A string or an array of strings.
    Strings,
    /// A map of strings.
    StrMap,
    /// `blkio_weight`: 0, or 10 to 1000.
    Weight,
    /// `ulimits`.
    Ulimits,
    /// An array of objects with these fields (either spelling).
    Objects(&'static [(&'static str, &'static str)]),
    /// Accepted for the Python SDK's sake, without effect here.
    Ignored,
}

/// `(option, where, engine field, conversion)`.
type Simple = (&'static str, At, &'static str, As);

const RATE: &[(&str, &str)] = &[("path", "Path"), ("rate", "Rate")];

/// Options that are one field each.
const SIMPLE: &[Simple] = &[
    ("working_dir", At::Config, "WorkingDir", As::Str),
    ("hostname", At::Config, "Hostname", As::Str),
    ("domainname", At::Config, "Domainname", As::Str),
    ("mac_address", At::Config, "MacAddress", As::Str),
    ("stop_signal", At::Config, "StopSignal", As::Str),
    ("stop_timeout", At::Config, "StopTimeout", As::Count),
    ("network_disabled", At::Config, "NetworkDisabled", As::Bool),
    ("init", At::Host, "Init", As::Bool),
    ("privileged", At::Host, "Privileged", As::Bool),
    ("publish_all_ports", At::Host, "PublishAllPorts", As::Bool),
    ("read_only", At::Host, "ReadonlyRootfs", As::Bool),
    ("oom_kill_disable", At::Host, "OomKillDisable", As::Bool),
    ("cap_add", At::Host, "CapAdd", As::Strings),
    ("cap_drop", At::Host, "CapDrop", As::Strings),
    ("extra_hosts", At::Host, "ExtraHosts", As::Strings),
    ("dns", At::Host, "Dns", As::Strings),
    ("dns_opt", At::Host, "DnsOptions", As::Strings),
    ("dns_search", At::Host, "DnsSearch", As::Strings),
    ("security_opt", At::Host, "SecurityOpt", As::Strings),
    ("group_add", At::Host, "GroupAdd", As::Strings),
    ("volumes_from", At::Host, "VolumesFrom", As::Strings),
    (
        "device_cgroup_rules",
        At::Host,
        "DeviceCgroupRules",
        As::Strings,
    ),
    ("sysctls", At::Host, "Sysctls", As::StrMap),
    ("storage_opt", At::Host, "StorageOpt", As::StrMap),
    ("mem_limit", At::Host, "Memory", As::Size),
    ("mem_reservation", At::Host, "MemoryReservation", As::Size),
    ("memswap_limit", At::Host, "MemorySwap", As::Size),
    ("kernel_memory", At::Host, "KernelMemory", As::Size),
    ("shm_size", At::Host, "ShmSize", As::Size),
    ("mem_swappiness", At::Host, "MemorySwappiness", As::Int),
    ("cpu_shares", At::Host, "CpuShares", As::Int),
    ("cpu_period", At::Host, "CpuPeriod", As::Int),
    ("cpu_quota", At::Host, "CpuQuota", As::Int),
    ("cpu_rt_period", At::Host, "CpuRealtimePeriod", As::Int),
    ("cpu_rt_runtime", At::Host, "CpuRealtimeRuntime", As::Int),
    ("cpu_count", At::Host, "CpuCount", As::Int),
    ("cpu_percent", At::Host, "CpuPercent", As::Int),
    ("nano_cpus", At::Host, "NanoCpus", As::Int),
    ("cpuset_cpus", At::Host, "CpusetCpus", As::Str),
    ("cpuset_mems", At::Host, "CpusetMems", As::Str),
    ("blkio_weight", At::Host, "BlkioWeight", As::Weight),
    ("pids_limit", At::Host, "PidsLimit", As::Int),
    ("oom_score_adj", At::Host, "OomScoreAdj", As::Int),
    ("ipc_mode", At::Host, "IpcMode", As::Str),
    ("pid_mode", At::Host, "PidMode", As::Str),
    ("uts_mode", At::Host, "UTSMode", As::Str),
    ("userns_mode", At::Host, "UsernsMode", As::Str),
    ("cgroupns", At::Host, "CgroupnsMode", As::Str),
    ("cgroup_parent", At::Host, "CgroupParent", As::Str),
    ("runtime", At::Host, "Runtime", As::Str),
    ("isolation", At::Host, "Isolation", As::Str),
    ("volume_driver", At::Host, "VolumeDriver", As::Str),
    (
        "blkio_weight_device",
        At::Host,
        "BlkioWeightDevice",
        As::Objects(&[("path", "Path"), ("weight", "Weight")]),
    ),
    (
        "device_read_bps",
        At::Host,
        "BlkioDeviceReadBps",
        As::Objects(RATE),
    ),
    (
        "device_read_iops",
        At::Host,
        "BlkioDeviceReadIOps",
        As::Objects(RATE),
    ),
    (
        "device_write_bps",
        At::Host,
        "BlkioDeviceWriteBps",
        As::Objects(RATE),
    ),
    (
        "device_write_iops",
        At::Host,
        "BlkioDeviceWriteIOps",
        As::Objects(RATE),
    ),
    ("ulimits", At::Host, "Ulimits", As::Ulimits),
    (
        "device_requests",
        At::Host,
        "DeviceRequests",
        As::Objects(&[
            ("driver", "Driver"),
            ("count", "Count"),
            ("device_ids", "DeviceIDs"),
            ("capabilities", "Capabilities"),
            ("options", "Options"),
        ]),
    ),
    // Old engines only, or the Python client's own settings.
    ("init_path", At::Host, "", As::Ignored),
    ("lxc_conf", At::Host, "", As::Ignored),
    ("version", At::Host, "", As::Ignored),
];

/// Options with a shape of their own, read by [`create_body`].
const SHAPED: &[&str] = &[
    "environment",
    "labels",
    "entrypoint",
    "user",
    "tty",
    "stdin_open",
    "network",
    "network_mode",
    "networking_config",
    "ports",
    "volumes",
    "mounts",
    "tmpfs",
    "devices",
    "links",
    "log_config",
    "restart_policy",
    "healthcheck",
    "raw",
];

/// Options about the call rather than the container, read by the caller:
/// the create body ignores them.
pub const CALL_OPTIONS: &[&str] = &[
    "name",
    "command",
    "platform",
    "pull",
    "auto_remove",
    "use_config_proxy",
    // Accepted by `create` as the Python SDK does, without effect.
    "detach",
];

/// What `run` adds to them.
pub const RUN_OPTIONS: &[&str] = &["remove", "stdout", "stderr", "stream", "interactive"];

/// Every option of `create` (and `run`, with `run`).
pub fn options(run: bool) -> Vec<&'static str> {
    let mut known: Vec<&str> = SHAPED.to_vec();
    known.extend(SIMPLE.iter().map(|s| s.0));
    known.extend(CALL_OPTIONS);
    if run {
        known.extend(RUN_OPTIONS);
    }
    known
}

/// Checks that every option is one `create` (or `run`) knows.
pub fn check_names(opts: &Map<String, Value>, run: bool) -> Result<()> {
    let known = options(run);
    match opts.keys().find(|k| !known.contains(&k.as_str())) {
        Some(name) => Err(super::unknown("option", name, &known)),
        None => Ok(()),
    }
}

fn simple_value(name: &str, conv: As, v: &Value) -> Result<Option<Value>> {
    Ok(Some(match conv {
        As::Str => json!(string(name, v)?),
        As::Bool => json!(boolean(name, v)?),
        As::Int => json!(integer(name, v)?),
        As::Count => json!(count(name, v)?),
        As::Size => json!(size(name, v)?),
        As::Strings => json!(strings(name, v)?),
        As::StrMap => string_map(name, v)?,
        As::Weight => {
            let w = ranged(name, v, 0..=1000)?;
            if (1..10).contains(&w) {
                return Err(bad(name, "0, or a weight from 10 to 1000", v));
            }
            json!(w)
        }
        As::Ulimits => ulimits(name, v)?,
        As::Objects(fields) => super::array(name, v, |name, item| {
            let f = Fields::read(name, item, fields)?;
            let mut out = Map::new();
            for (snake, engine) in fields.iter() {
                if let Some(v) = f.get(snake) {
                    out.insert((*engine).into(), v.clone());
                }
            }
            Ok(Value::Object(out))
        })?,
        As::Ignored => return Ok(None),
    }))
}

/// The create body of a container running `image` (with `command`, if
/// any) from `opts` (every option but [`CALL_OPTIONS`] and
/// [`RUN_OPTIONS`]; `raw` merged last).
pub fn create_body(
    image: &str,
    command: Option<Vec<String>>,
    opts: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut config = Map::new();
    let mut host = Map::new();
    config.insert("Image".into(), json!(image));
    if let Some(cmd) = command {
        config.insert("Cmd".into(), json!(cmd));
    }
    let get = |name: &str| opts.get(name).filter(|v| !v.is_null());
    for &(name, at, field, conv) in SIMPLE {
        let Some(v) = get(name) else { continue };
        if let Some(value) = simple_value(name, conv, v)? {
            match at {
                At::Config => config.insert(field.into(), value),
                At::Host => host.insert(field.into(), value),
            };
        }
    }
    if let Some(v) = get("entrypoint") {
        config.insert("Entrypoint".into(), json!(words("entrypoint", v)?));
    }
    if let Some(v) = get("environment") {
        config.insert("Env".into(), json!(key_values("environment", v)?));
    }
    if let Some(v) = get("labels") {
        config.insert("Labels".into(), labels("labels", v)?);
    }
    if let Some(v) = get("user") {
        config.insert("User".into(), json!(text("user", v)?));
    }
    let tty = get("tty").map(|v| boolean("tty", v)).transpose()?;
    config.insert("Tty".into(), json!(tty.unwrap_or(false)));
    if get("stdin_open")
        .map(|v| boolean("stdin_open", v))
        .transpose()?
        == Some(true)
    {
        config.insert("OpenStdin".into(), json!(true));
    }
    if let Some(v) = get("healthcheck") {
        config.insert("Healthcheck".into(), healthcheck("healthcheck", v)?);
    }
    let network = match (get("network"), get("network_mode")) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "options 'network' and 'network_mode' are one option: give one",
            ))
        }
        (Some(v), None) => Some(string("network", v)?),
        (None, Some(v)) => Some(string("network_mode", v)?),
        (None, None) => None,
    };
    if let Some(network) = network {
        host.insert("NetworkMode".into(), json!(network));
    }
    if let Some(v) = get("networking_config") {
        config.insert(
            "NetworkingConfig".into(),
            networking_config("networking_config", v)?,
        );
    }
    if let Some(v) = get("ports") {
        let (exposed, bindings) = super::ports::container_ports("ports", v)?;
        config.insert("ExposedPorts".into(), exposed);
        host.insert("PortBindings".into(), bindings);
    }
    if let Some(v) = get("volumes") {
        host.insert("Binds".into(), json!(binds("volumes", v)?));
    }
    if let Some(v) = get("mounts") {
        host.insert("Mounts".into(), mounts("mounts", v)?);
    }
    if let Some(v) = get("tmpfs") {
        host.insert("Tmpfs".into(), tmpfs("tmpfs", v)?);
    }
    if let Some(v) = get("devices") {
        host.insert("Devices".into(), devices("devices", v)?);
    }
    if let Some(v) = get("links") {
        host.insert("Links".into(), json!(links("links", v)?));
    }
    if let Some(v) = get("log_config") {
        host.insert("LogConfig".into(), log_config("log_config", v)?);
    }
    if let Some(v) = get("restart_policy") {
        host.insert(
            "RestartPolicy".into(),
            container_restart_policy("restart_policy", v)?,
        );
    }
    config.insert("HostConfig".into(), Value::Object(host));
    if let Some(raw) = get("raw") {
        merge_raw(&mut config, raw)?;
    }
    Ok(config)
}

/// `volumes = {"/host:/ctr:ro"}` or `{["/host"] = {bind = "/ctr", mode = "ro"}}`.
fn binds(name: &str, v: &Value) -> Result<Vec<String>> {
    let Value::Object(map) = v else {
        return strings(name, v);
    };
    let mut out = Vec::new();
    for (source, spec) in map {
        let what = format!("{name}[{}]", excerpt(source, 40));
        let f = Fields::read(&what, spec, &[("bind", "bind"), ("mode", "mode")])?;
        let bind = f
            .with("bind", string)?
            .ok_or_else(|| Error::invalid(format!("bad option '{what}' (needs bind)")))?;
        let mode = f.with("mode", string)?;
        out.push(format!(
            "{source}:{bind}:{}",
            mode.as_deref().unwrap_or("rw")
        ));
    }
    out.sort();
    Ok(out)
}

/// `tmpfs = {["/run"] = "size=64m"}` or `{"/run:size=64m", "/tmp"}`.
fn tmpfs(name: &str, v: &Value) -> Result<Value> {
    if let Value::Object(_) = v {
        return string_map(name, v);
    }
    let mut out = Map::new();
    for item in strings(name, v)? {
        let (path, options) = item.split_once(':').unwrap_or((&item, ""));
        out.insert(path.to_owned(), json!(options));
    }
    Ok(Value::Object(out))
}

/// `devices = {"/dev/fuse", "/dev/sda:/dev/xvda:rwm"}`.
fn devices(name: &str, v: &Value) -> Result<Value> {
    let mut out = Vec::new();
    for spec in strings(name, v)? {
        let parts: Vec<&str> = spec.split(':').collect();
        let (host, ctr, perms) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, c] => (*h, *c, "rwm"),
            [h, c, p] => (*h, *c, *p),
            _ => {
                return Err(Error::invalid(format!(
                    "bad option '{name}' item '{}' ('host[:container[:perms]]' expected)",
                    excerpt(&spec, 40)
                )))
            }
        };
        out.push(json!({ "PathOnHost": host, "PathInContainer": ctr, "CgroupPermissions": perms }));
    }
    Ok(Value::Array(out))
}

/// Merges `raw` into the create body, last: `HostConfig` (and
/// `NetworkingConfig`) field by field, anything else replaced.
fn merge_raw(body: &mut Map<String, Value>, raw: &Value) -> Result<()> {
    let Value::Object(raw) = raw else {
        return Err(bad("raw", "a table of create body fields", raw));
    };
    for (key, value) in raw {
        match (body.get_mut(key), value) {
            (Some(Value::Object(ours)), Value::Object(theirs))
                if key == "HostConfig" || key == "NetworkingConfig" =>
            {
                ours.extend(theirs.clone());
            }
            (_, value) => {
                body.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

/// The options of `c:update{...}` (the Python SDK's).
pub const UPDATE_OPTIONS: &[&str] = &[
    "blkio_weight",
    "cpu_period",
    "cpu_quota",
    "cpu_shares",
    "cpuset_cpus",
    "cpuset_mems",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "kernel_memory",
    "pids_limit",
    "restart_policy",
];

/// The body of `POST /containers/{id}/update`.
pub fn update_body(opts: &Map<String, Value>) -> Result<Value> {
    if let Some(name) = opts.keys().find(|k| !UPDATE_OPTIONS.contains(&k.as_str())) {
        return Err(super::unknown("option", name, UPDATE_OPTIONS));
    }
    let mut body = Map::new();
    for &(name, _, field, conv) in SIMPLE.iter().filter(|s| UPDATE_OPTIONS.contains(&s.0)) {
        if let Some(v) = opts.get(name).filter(|v| !v.is_null()) {
            if let Some(value) = simple_value(name, conv, v)? {
                body.insert(field.into(), value);
            }
        }
    }
    if let Some(v) = opts.get("restart_policy").filter(|v| !v.is_null()) {
        body.insert(
            "RestartPolicy".into(),
            container_restart_policy("restart_policy", v)?,
        );
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Result<Map<String, Value>> {
        create_body("alpine", None, v.as_object().unwrap())
    }

    #[test]
    fn the_sdk_options_become_the_create_body() {
        let b = body(json!({
            "environment": {"B": 2, "A": "1"}, "labels": ["x"], "user": 1000,
            "healthcheck": {"test": "true", "timeout": 3e9, "interval": 5e6},
            "restart_policy": {"Name": "on-failure", "maximum_retry_count": 3},
            "mem_limit": "64m", "ports": ["8080:80"], "tmpfs": ["/run:size=1m"],
            "raw": {"HostConfig": {"Privileged": true}},
        }))
        .unwrap();
        assert_eq!(b["Env"], json!(["A=1", "B=2"]));
        assert_eq!(b["Labels"], json!({"x": ""}));
        assert_eq!(b["User"], "1000");
        assert_eq!(b["Healthcheck"]["Timeout"], 3_000_000_000i64);
        assert_eq!(b["Healthcheck"]["Interval"], 5_000_000);
        let h = &b["HostConfig"];
        assert_eq!(
            h["RestartPolicy"],
            json!({"Name": "on-failure", "MaximumRetryCount": 3})
        );
        assert_eq!(h["Memory"], 64 << 20);
        assert_eq!(h["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
        assert_eq!(h["Tmpfs"], json!({"/run": "size=1m"}));
        assert_eq!(h["Privileged"], true);
    }

    #[test]
    fn every_option_is_typed() {
        let types = include_str!("../../../types/docker-api/containers.lua");
        for option in options(true) {
            assert!(
                types.contains(&format!("---@field {option} ")),
                "{option} is missing from types/docker-api/containers.lua"
            );
        }
    }

    #[test]
    fn counts_and_weights_are_checked() {
        for bad in [
            json!({"blkio_weight": -1}),
            json!({"blkio_weight": 5}),
            json!({"stop_timeout": 1e300}),
            json!({"ulimits": [{"name": "nofile", "soft": 1e300, "hard": 1}]}),
            json!({"healthcheck": {"retries": 1e300}}),
            json!({"restart_policy": {"name": "sometimes"}}),
        ] {
            let err = body(bad.clone()).unwrap_err().message;
            let option = bad.as_object().unwrap().keys().next().unwrap().clone();
            assert!(err.contains(&option), "{bad}: {err}");
        }
        let err = check_names(json!({"detatch": true}).as_object().unwrap(), true).unwrap_err();
        assert_eq!(
            err.message,
            "unknown option 'detatch' (did you mean 'detach'?)"
        );
    }
}
