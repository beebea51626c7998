//! The options of `create` and `run` that map onto one field of the create
//! body, declared once, and the converters of those with a shape of their
//! own (mounts, devices, healthcheck...; ports in [`super::ports`]). Names and forms
//! are the Python SDK's `containers.run`.

use crate::engine::error::excerpt;
use mlua::{Table, Value};
use serde_json::{json, Map, Value as Json};

use crate::engine::{service_spec, units};
use crate::lua::args::{self, Opts};
use crate::lua::error::invalid;
use crate::lua::fields::{self, Field};
use crate::lua::networks;

/// Where an option's value goes.
#[derive(Clone, Copy)]
pub(super) enum At {
    /// The top of the create body (`Config`).
    Config,
    /// `HostConfig`.
    Host,
}

/// How an option's value is converted.
#[derive(Clone, Copy)]
pub(super) enum As {
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
    /// An array of objects with these keys.
    Objects(&'static [Field]),
    /// A string that the engine ignores or that only applies to other
    /// clients (accepted for the Python SDK's sake).
    Ignored,
}

/// `(option, where, engine field, conversion)`.
pub(super) type Simple = (&'static str, At, &'static str, As);

const RATE: &[Field] = &[Field::Plain("path", "Path"), Field::Plain("rate", "Rate")];

/// Options that are one field each.
pub(super) const SIMPLE: &[Simple] = &[
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
    ("blkio_weight", At::Host, "BlkioWeight", As::Int),
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
        As::Objects(&[
            Field::Plain("path", "Path"),
            Field::Plain("weight", "Weight"),
        ]),
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
    (
        "ulimits",
        At::Host,
        "Ulimits",
        As::Objects(&[
            Field::Plain("name", "Name"),
            Field::Plain("soft", "Soft"),
            Field::Plain("hard", "Hard"),
        ]),
    ),
    (
        "device_requests",
        At::Host,
        "DeviceRequests",
        As::Objects(&[
            Field::Plain("driver", "Driver"),
            Field::Plain("count", "Count"),
            Field::Plain("device_ids", "DeviceIDs"),
            Field::Plain("capabilities", "Capabilities"),
            Field::Plain("options", "Options"),
        ]),
    ),
    // Old engines only, or the Python client's own settings.
    ("init_path", At::Host, "", As::Ignored),
    ("lxc_conf", At::Host, "", As::Ignored),
    ("use_config_proxy", At::Host, "", As::Ignored),
    ("version", At::Host, "", As::Ignored),
];

/// Converts one simple option, if set.
pub(super) fn simple_value(
    opts: &Opts,
    &(name, _, _, conv): &Simple,
) -> mlua::Result<Option<Json>> {
    let function = opts.function();
    Ok(match conv {
        As::Str => opts.string(name)?.map(Json::from),
        As::Bool => opts.bool(name)?.map(Json::from),
        As::Int => opts.integer(name)?.map(Json::from),
        As::Count => opts.count(name)?.map(Json::from),
        As::Size => size(opts, name)?.map(Json::from),
        As::Strings => opts.strings(name)?.map(Json::from),
        As::StrMap => match opts.table(name)? {
            Some(t) => Some(fields::string_map(function, name, &t)?),
            None => None,
        },
        As::Objects(keys) => match opts.table(name)? {
            Some(t) => Some(fields::array(function, name, &t, keys)?),
            None => None,
        },
        As::Ignored => None,
    })
}

/// A size in bytes: a number, or text such as `"512m"`, `"1g"`, `"100k"`.
pub(super) fn size(opts: &Opts, name: &str) -> mlua::Result<Option<i64>> {
    let function = opts.function();
    let Some(text) = opts.text(name)? else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            function,
            format!(
                "bad option '{name}' (a size such as 512m expected, got '{}')",
                excerpt(&text, 80)
            ),
        )
    };
    // A plain number is taken as it is: `-1` means "unlimited" for some.
    if let Ok(n) = text.trim().parse::<i64>() {
        return Ok(Some(n));
    }
    match units::parse_bytes(&text) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(true) => Err(invalid(
            function,
            format!("bad option '{name}' (too large: '{}')", excerpt(&text, 80)),
        )),
        Err(false) => Err(bad()),
    }
}

/// `user = 1000` or `"1000:1000"` or `"nobody"`.
pub(super) fn user(opts: &Opts) -> mlua::Result<Option<String>> {
    match opts.raw("user")? {
        Value::Integer(_) | Value::Number(_) => Ok(opts.integer("user")?.map(|u| u.to_string())),
        _ => opts.string("user"),
    }
}

/// `mounts = {{type = "volume", source = "data", target = "/data",
/// read_only = true}, "/host:/ctr:ro"}` to `HostConfig.Mounts`: read as a
/// service's mounts are, by the engine layer.
pub(super) fn mounts(function: &str, table: &Table) -> mlua::Result<Json> {
    let list = fields::json(function, "mounts", &Value::Table(table.clone()))?;
    service_spec::mounts("mounts", &list).map_err(|e| invalid(function, e.message))
}

/// `devices = {"/dev/fuse", "/dev/sda:/dev/xvda:rwm"}`.
pub(super) fn devices(function: &str, list: Vec<String>) -> mlua::Result<Json> {
    let mut out = Vec::new();
    for spec in list {
        let parts: Vec<&str> = spec.split(':').collect();
        let (host, ctr, perms) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, c] => (*h, *c, "rwm"),
            [h, c, p] => (*h, *c, *p),
            _ => {
                return Err(invalid(
                    function,
                    format!(
                        "bad 'devices' item ('host[:container[:perms]]' expected, got '{}')",
                        excerpt(&spec, 80)
                    ),
                ))
            }
        };
        out.push(json!({ "PathOnHost": host, "PathInContainer": ctr, "CgroupPermissions": perms }));
    }
    Ok(Json::Array(out))
}

/// `tmpfs = {["/run"] = "size=64m"}` or `{"/run:size=64m", "/tmp"}`.
pub(super) fn tmpfs(function: &str, table: &Table) -> mlua::Result<Json> {
    let mut out = Map::new();
    if table.raw_len() > 0 {
        for item in args::string_list(function, "tmpfs", table)? {
            let (path, options) = item.split_once(':').unwrap_or((&item, ""));
            out.insert(path.to_owned(), json!(options));
        }
        return Ok(Json::Object(out));
    }
    fields::string_map(function, "tmpfs", table)
}

/// `log_config = {type = "json-file", config = {["max-size"] = "10m"}}`.
pub(super) fn log_config(function: &str, value: &Value) -> mlua::Result<Json> {
    const LOG: &[Field] = &[
        Field::Plain("type", "Type"),
        Field::Plain("config", "Config"),
    ];
    fields::object(function, "log_config", value, LOG)
}

/// `restart_policy = {name = "on-failure", maximum_retry_count = 3}` (or
/// the engine's `Name`, `MaximumRetryCount`).
pub(super) fn restart_policy(function: &str, policy: &Table) -> mlua::Result<Json> {
    const POLICY: &[Field] = &[
        Field::Plain("name", "Name"),
        Field::Plain("maximum_retry_count", "MaximumRetryCount"),
    ];
    let value = fields::object(
        function,
        "restart_policy",
        &Value::Table(policy.clone()),
        POLICY,
    )?;
    if !value.get("Name").is_some_and(Json::is_string) {
        return Err(invalid(
            function,
            "bad option 'restart_policy' (needs a name)",
        ));
    }
    // A count: "x" must be refused, not sent for the engine to read as 0.
    if let Some(retries) = value.get("MaximumRetryCount") {
        if retries.as_u64().is_none_or(|n| i64::try_from(n).is_err()) {
            return Err(invalid(
                function,
                format!(
                    "bad option 'restart_policy.MaximumRetryCount' (non-negative integer expected, got {})",
                    retries.to_string().chars().take(40).collect::<String>()
                ),
            ));
        }
    }
    Ok(value)
}

/// `healthcheck = {test = {"CMD", "true"}, interval = "1s", retries = 3}`:
/// Python SDK or engine keys; durations as nanoseconds (a float is
/// rounded) or Go duration text (`"1s"`, `"500ms"`); a `test` string runs
/// in a shell.
pub(super) fn healthcheck(function: &str, table: &Table) -> mlua::Result<Json> {
    const DURATIONS: &[(&str, &str)] = &[
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ];
    let mut out = Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = args::string(function, "healthcheck key", &k)?;
        let lower = key.to_lowercase();
        let what = format!("healthcheck.{key}");
        if let Some((_, field)) = DURATIONS
            .iter()
            .find(|(ours, engine)| *ours == key || *engine == key)
        {
            out.insert((*field).into(), json!(nanos(function, &what, &v)?));
        } else if lower == "test" {
            let test = match &v {
                Value::String(s) => json!(["CMD-SHELL", s.to_string_lossy()]),
                Value::Table(t) => json!(args::string_list(function, &what, t)?),
                other => {
                    return Err(invalid(
                        function,
                        format!(
                            "bad '{what}' (string or array expected, got {})",
                            args::type_name(other)
                        ),
                    ))
                }
            };
            out.insert("Test".into(), test);
        } else if lower == "retries" {
            let n = match v {
                Value::Integer(n) => n,
                Value::Number(n) if n.fract() == 0.0 => n as i64,
                other => {
                    return Err(invalid(
                        function,
                        format!(
                            "bad '{what}' (integer expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            out.insert("Retries".into(), json!(n));
        } else {
            return Err(invalid(
                function,
                format!(
                    "bad 'healthcheck': unknown key '{key}'{} (known: test, interval, timeout, retries, start_period, start_interval)",
                    args::suggestion(&key, &["test", "interval", "timeout", "retries", "start_period", "start_interval"])
                ),
            ));
        }
    }
    Ok(Json::Object(out))
}

/// A duration as whole nanoseconds: a number of nanoseconds (floats
/// rounded: `1e9` is a float in Lua) or Go duration text.
fn nanos(function: &str, what: &str, v: &Value) -> mlua::Result<i64> {
    let bad = || {
        invalid(
            function,
            format!(
                "bad '{what}' (nanoseconds or a duration such as \"1s\" expected, got {})",
                super::ports::describe(v)
            ),
        )
    };
    match v {
        Value::Integer(n) if *n >= 0 => Ok(*n),
        Value::Number(n) if n.is_finite() && *n >= 0.0 && *n < i64::MAX as f64 => {
            Ok(n.round() as i64)
        }
        Value::String(s) => units::parse_nanos(&s.to_string_lossy()).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// `networking_config = {mynet = {aliases = {"db"}, ipv4_address = "..."}}`,
/// or the engine's `{EndpointsConfig = {...}}` as it is.
pub(super) fn networking_config(function: &'static str, table: &Table) -> mlua::Result<Json> {
    if table.contains_key("EndpointsConfig")? {
        return fields::json(function, "networking_config", &Value::Table(table.clone()));
    }
    let mut endpoints = Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let network = args::string(function, "networking_config key", &k)?;
        endpoints.insert(network, networks::endpoint_config(function, v)?);
    }
    Ok(json!({ "EndpointsConfig": endpoints }))
}

/// `links = {"db:database"}` or `{db = "database"}`.
pub(super) fn links(function: &str, table: &Table) -> mlua::Result<Json> {
    Ok(json!(networks::links_list(function, table)?))
}

/// Merges `raw` into the create body, last: `HostConfig` (and
/// `NetworkingConfig`) field by field, anything else replaced.
pub(super) fn merge_raw(
    function: &str,
    body: &mut Map<String, Json>,
    raw: &Table,
) -> mlua::Result<()> {
    let Json::Object(raw) = fields::json(function, "raw", &Value::Table(raw.clone()))? else {
        return Err(invalid(
            function,
            "bad option 'raw' (a table of create body fields expected)",
        ));
    };
    for (key, value) in raw {
        match (body.get_mut(&key), value) {
            (Some(Json::Object(ours)), Json::Object(theirs))
                if key == "HostConfig" || key == "NetworkingConfig" =>
            {
                ours.extend(theirs);
            }
            (_, value) => {
                body.insert(key, value);
            }
        }
    }
    Ok(())
}

/// The options of `c:update{...}` (the Python SDK's) and the fields they set.
const UPDATE: &[&str] = &[
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
pub(super) fn update_body(function: &'static str, opts: Value) -> mlua::Result<Json> {
    let opts = Opts::new(function, opts, UPDATE)?;
    let mut body = Map::new();
    for simple in SIMPLE.iter().filter(|s| UPDATE.contains(&s.0)) {
        if let Some(value) = simple_value(&opts, simple)? {
            body.insert(simple.2.into(), value);
        }
    }
    if let Some(policy) = opts.table("restart_policy")? {
        body.insert("RestartPolicy".into(), restart_policy(function, &policy)?);
    }
    Ok(Json::Object(body))
}
