//! A service's spec from the Python SDK's `services.create` options (as
//! JSON, the way the Lua layer hands them over): one function applies
//! options onto a spec, so create starts from an empty spec and update from
//! the service's current one (what is not named is kept, as `docker service
//! update` and the Python SDK's `update` keep it).
//!
//! Durations are seconds (a number) or Go-style text (`"1m30s"`, `"500ms"`);
//! sizes are bytes or text with a unit (`"64m"`).

use serde_json::{json, Map, Value};

use super::{Error, Result};

/// Options of `services.create` (besides `image` and `command`, which are
/// arguments there) and `Service:update` (which adds `image`, `command` and
/// `force_update`).
pub const CREATE_OPTIONS: &[&str] = &[
    "name",
    "args",
    "env",
    "labels",
    "container_labels",
    "mounts",
    "networks",
    "constraints",
    "preferences",
    "maxreplicas",
    "platforms",
    "resources",
    "restart_policy",
    "update_config",
    "rollback_config",
    "endpoint_spec",
    "ports",
    "secrets",
    "configs",
    "user",
    "workdir",
    "hostname",
    "healthcheck",
    "init",
    "tty",
    "stop_grace_period",
    "stop_signal",
    "log_driver",
    "log_driver_options",
    "groups",
    "hosts",
    "cap_add",
    "cap_drop",
    "read_only",
    "sysctls",
    "mode",
    "replicas",
];

/// What `Service:update` accepts beyond [`CREATE_OPTIONS`].
pub const UPDATE_OPTIONS: &[&str] = &["image", "command", "force_update"];

/// The spec of a new service running `image` (with `command`, if any).
pub fn create_spec(
    image: &str,
    command: Option<Vec<String>>,
    opts: &Map<String, Value>,
) -> Result<Value> {
    if image.is_empty() {
        return Err(Error::invalid("bad argument 'image' (empty)"));
    }
    let mut spec = json!({
        "TaskTemplate": {"ContainerSpec": {"Image": image}},
        "Mode": {"Replicated": {"Replicas": 1}},
    });
    if let Some(command) = command {
        spec["TaskTemplate"]["ContainerSpec"]["Command"] = json!(command);
    }
    apply(&mut spec, opts, false)?;
    Ok(spec)
}

/// Applies `opts` to `spec` (a service's `Spec`); `update` allows `image`,
/// `command` and `force_update`.
pub fn apply(spec: &mut Value, opts: &Map<String, Value>, update: bool) -> Result<()> {
    if !spec.is_object() {
        *spec = json!({});
    }
    for (name, value) in opts {
        if value.is_null() {
            continue;
        }
        let known = CREATE_OPTIONS.contains(&name.as_str())
            || (update && UPDATE_OPTIONS.contains(&name.as_str()));
        if !known {
            return Err(Error::invalid(format!("unknown option '{name}'")));
        }
        apply_one(spec, name, value)?;
    }
    Ok(())
}

fn apply_one(spec: &mut Value, name: &str, v: &Value) -> Result<()> {
    match name {
        "name" => spec["Name"] = json!(string(name, v)?),
        "labels" => spec["Labels"] = string_map(name, v)?,
        "image" => container(spec)["Image"] = json!(string(name, v)?),
        "command" => container(spec)["Command"] = json!(words(name, v)?),
        "args" => container(spec)["Args"] = json!(words(name, v)?),
        "env" => container(spec)["Env"] = json!(key_values(name, v)?),
        "container_labels" => container(spec)["Labels"] = string_map(name, v)?,
        "mounts" => container(spec)["Mounts"] = mounts(name, v)?,
        "user" => container(spec)["User"] = json!(text(name, v)?),
        "workdir" => container(spec)["Dir"] = json!(string(name, v)?),
        "hostname" => container(spec)["Hostname"] = json!(string(name, v)?),
        "init" => container(spec)["Init"] = json!(boolean(name, v)?),
        "tty" => container(spec)["TTY"] = json!(boolean(name, v)?),
        "read_only" => container(spec)["ReadOnly"] = json!(boolean(name, v)?),
        "stop_signal" => container(spec)["StopSignal"] = json!(text(name, v)?),
        "stop_grace_period" => container(spec)["StopGracePeriod"] = json!(duration(name, v)?),
        "groups" => container(spec)["Groups"] = json!(strings(name, v)?),
        "cap_add" => container(spec)["CapabilityAdd"] = json!(strings(name, v)?),
        "cap_drop" => container(spec)["CapabilityDrop"] = json!(strings(name, v)?),
        "sysctls" => container(spec)["Sysctls"] = string_map(name, v)?,
        "hosts" => container(spec)["Hosts"] = json!(hosts(name, v)?),
        "healthcheck" => container(spec)["Healthcheck"] = healthcheck(v)?,
        "secrets" => container(spec)["Secrets"] = array(name, v, |n, v| reference(n, v, "Secret"))?,
        "configs" => container(spec)["Configs"] = array(name, v, |n, v| reference(n, v, "Config"))?,
        "networks" => object(spec, "TaskTemplate")["Networks"] = array(name, v, network)?,
        "constraints" => placement(spec)["Constraints"] = json!(strings(name, v)?),
        "preferences" => placement(spec)["Preferences"] = array(name, v, preference)?,
        "maxreplicas" => placement(spec)["MaxReplicas"] = json!(integer(name, v)?),
        "platforms" => placement(spec)["Platforms"] = array(name, v, platform)?,
        "resources" => object(spec, "TaskTemplate")["Resources"] = resources(v)?,
        "restart_policy" => object(spec, "TaskTemplate")["RestartPolicy"] = restart_policy(v)?,
        "log_driver" => {
            object(object(spec, "TaskTemplate"), "LogDriver")["Name"] = json!(string(name, v)?)
        }
        "log_driver_options" => {
            object(object(spec, "TaskTemplate"), "LogDriver")["Options"] = string_map(name, v)?
        }
        "force_update" => {
            let template = object(spec, "TaskTemplate");
            let current = template
                .get("ForceUpdate")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            template["ForceUpdate"] = match v {
                Value::Bool(true) => json!(current + 1),
                Value::Bool(false) => json!(current),
                _ => json!(integer(name, v)?),
            };
        }
        "update_config" => spec["UpdateConfig"] = update_config(name, v)?,
        "rollback_config" => spec["RollbackConfig"] = update_config(name, v)?,
        "endpoint_spec" => spec["EndpointSpec"] = endpoint_spec(v)?,
        "ports" => object(spec, "EndpointSpec")["Ports"] = ports(name, v)?,
        "mode" => spec["Mode"] = mode(v, replicas_of(spec))?,
        "replicas" => {
            let n = integer(name, v)?;
            if n < 0 {
                return Err(bad(name, "a count of replicas", v));
            }
            let mode = object(spec, "Mode");
            if let Some(job) = mode.get_mut("ReplicatedJob") {
                // A replicated job's replicas are the completions it needs.
                job["TotalCompletions"] = json!(n);
            } else if mode.get("Global").is_some() || mode.get("GlobalJob").is_some() {
                return Err(Error::invalid(
                    "bad option 'replicas' (the service is global, not replicated)",
                ));
            } else {
                *mode = json!({"Replicated": {"Replicas": n}});
            }
        }
        _ => return Err(Error::invalid(format!("unknown option '{name}'"))),
    }
    Ok(())
}

/// `spec[key]` as an object, made (or replaced) if it is not one.
fn object<'a>(spec: &'a mut Value, key: &str) -> &'a mut Value {
    let slot = &mut spec[key];
    if !slot.is_object() {
        *slot = json!({});
    }
    slot
}

fn container(spec: &mut Value) -> &mut Value {
    object(object(spec, "TaskTemplate"), "ContainerSpec")
}

fn placement(spec: &mut Value) -> &mut Value {
    object(object(spec, "TaskTemplate"), "Placement")
}

fn replicas_of(spec: &Value) -> Option<u64> {
    spec.pointer("/Mode/Replicated/Replicas")
        .and_then(Value::as_u64)
}

// --- values -----------------------------------------------------------------

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "table",
    }
}

fn bad(name: &str, expected: &str, got: &Value) -> Error {
    Error::invalid(format!(
        "bad option '{name}' ({expected} expected, got {})",
        type_of(got)
    ))
}

fn string(name: &str, v: &Value) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad(name, "string", v))
}

/// A string or a number, as text (user ids, signals).
fn text(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(bad(name, "string or number", v)),
    }
}

fn boolean(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| bad(name, "boolean", v))
}

fn integer(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| bad(name, "integer", v)),
        _ => Err(bad(name, "integer", v)),
    }
}

fn number(name: &str, v: &Value) -> Result<f64> {
    v.as_f64().ok_or_else(|| bad(name, "number", v))
}

/// A string or an array of strings (numbers as their text).
fn strings(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|item| text(name, item)).collect(),
        // An empty Lua table reaches us as `{}`: an empty list.
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        _ => Err(bad(name, "string or array of strings", v)),
    }
}

/// A command: an array of words, or a string split as a POSIX shell would.
pub fn words(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::String(s) => shlex::split(s)
            .ok_or_else(|| Error::invalid(format!("bad option '{name}' (unbalanced quotes)"))),
        _ => strings(name, v),
    }
}

/// A map of strings (`labels`, `sysctls`...): values may be numbers or booleans.
fn string_map(name: &str, v: &Value) -> Result<Value> {
    let Value::Object(map) = v else {
        return match v {
            Value::Array(a) if a.is_empty() => Ok(json!({})),
            _ => Err(bad(name, "table of strings", v)),
        };
    };
    let mut out = Map::new();
    for (k, value) in map {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => value.to_string(),
            _ => return Err(bad(&format!("{name}.{k}"), "string", value)),
        };
        out.insert(k.clone(), Value::String(value));
    }
    Ok(Value::Object(out))
}

/// `env`: a map `{K = "v"}` or an array of `"K=V"`.
fn key_values(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Object(map) => {
            let mut out: Vec<String> = Vec::with_capacity(map.len());
            for (k, value) in map {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => value.to_string(),
                    _ => return Err(bad(&format!("{name}.{k}"), "string", value)),
                };
                out.push(format!("{k}={value}"));
            }
            out.sort();
            Ok(out)
        }
        _ => strings(name, v),
    }
}

/// `hosts`: `{["db.local"] = "10.0.0.2"}` or an array of `"IP host"` lines.
fn hosts(name: &str, v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(host, ip)| Ok(format!("{} {host}", string(name, ip)?)))
            .collect(),
        _ => strings(name, v),
    }
}

/// Each item of an array option through `item`.
fn array(name: &str, v: &Value, item: impl Fn(&str, &Value) -> Result<Value>) -> Result<Value> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| item(name, i))
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
        Value::Object(map) if map.is_empty() => Ok(json!([])),
        _ => Err(bad(name, "array", v)),
    }
}

/// The fields of an option table, checked against `known`.
fn fields<'a>(name: &str, v: &'a Value, known: &[&str]) -> Result<&'a Map<String, Value>> {
    let map = v.as_object().ok_or_else(|| bad(name, "table", v))?;
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Error::invalid(format!(
            "bad option '{name}' (unknown field '{unknown}')"
        )));
    }
    Ok(map)
}

/// Seconds (a number) or Go-style text, as nanoseconds.
pub fn duration(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(n) => {
            let secs = n.as_f64().unwrap_or(-1.0);
            if secs < 0.0 || !secs.is_finite() {
                return Err(bad(name, "non-negative seconds", v));
            }
            Ok((secs * 1e9).round() as i64)
        }
        Value::String(s) => super::units::parse_nanos(s).ok_or_else(|| {
            Error::invalid(format!(
                "bad option '{name}' (a duration such as \"1m30s\" expected, got '{s}')"
            ))
        }),
        _ => Err(bad(name, "seconds or a duration string", v)),
    }
}

/// Bytes (a number) or text with a unit: `"64m"`, `"1.5g"`, `"512k"`.
pub fn size(name: &str, v: &Value) -> Result<i64> {
    match v {
        Value::Number(_) => integer(name, v).and_then(|n| {
            if n < 0 {
                Err(bad(name, "non-negative size", v))
            } else {
                Ok(n)
            }
        }),
        Value::String(s) => super::units::parse_bytes(s).map_err(|_| {
            Error::invalid(format!(
                "bad option '{name}' (a size such as \"64m\" expected, got '{s}')"
            ))
        }),
        _ => Err(bad(name, "size", v)),
    }
}

// --- parts of the spec --------------------------------------------------------

/// A list of mounts, for services and containers alike (`HostConfig.Mounts`
/// and a service's `Mounts` have the same shape).
pub fn mounts(name: &str, v: &Value) -> Result<Value> {
    array(name, v, mount)
}

/// `"src:dst[:ro]"` or `{type =, source =, target =, read_only =, ...}`; a
/// table in the engine's own spelling (`{Type =, Target =}`) is taken as is.
fn mount(name: &str, v: &Value) -> Result<Value> {
    let engine_spelling = v
        .as_object()
        .is_some_and(|m| m.keys().any(|k| k.starts_with(char::is_uppercase)));
    if engine_spelling {
        return Ok(v.clone());
    }
    if let Value::String(s) = v {
        let parts: Vec<&str> = s.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [source, target] => (*source, *target, ""),
            [source, target, mode] => (*source, *target, *mode),
            _ => {
                return Err(Error::invalid(format!(
                    "bad option '{name}' item '{s}' (\"source:target[:ro]\" expected)"
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
    let m = fields(
        name,
        v,
        &[
            "type",
            "source",
            "target",
            "read_only",
            "consistency",
            "propagation",
            "no_copy",
            "labels",
            "driver_config",
            "tmpfs_size",
            "tmpfs_mode",
        ],
    )?;
    let target = m
        .get("target")
        .ok_or_else(|| Error::invalid(format!("bad option '{name}' (an item has no 'target')")))?;
    let kind = match m.get("type") {
        Some(t) => string("mounts.type", t)?,
        None => "volume".to_owned(),
    };
    let mut out = json!({"Type": kind, "Target": string("mounts.target", target)?});
    if let Some(s) = m.get("source") {
        out["Source"] = json!(string("mounts.source", s)?);
    }
    if let Some(ro) = m.get("read_only") {
        out["ReadOnly"] = json!(boolean("mounts.read_only", ro)?);
    }
    if let Some(c) = m.get("consistency") {
        out["Consistency"] = json!(string("mounts.consistency", c)?);
    }
    if let Some(p) = m.get("propagation") {
        out["BindOptions"] = json!({"Propagation": string("mounts.propagation", p)?});
    }
    let mut volume = Map::new();
    if let Some(n) = m.get("no_copy") {
        volume.insert("NoCopy".into(), json!(boolean("mounts.no_copy", n)?));
    }
    if let Some(l) = m.get("labels") {
        volume.insert("Labels".into(), string_map("mounts.labels", l)?);
    }
    if let Some(d) = m.get("driver_config") {
        let d = fields("mounts.driver_config", d, &["name", "options"])?;
        let mut driver = Map::new();
        if let Some(n) = d.get("name") {
            driver.insert(
                "Name".into(),
                json!(string("mounts.driver_config.name", n)?),
            );
        }
        if let Some(o) = d.get("options") {
            driver.insert(
                "Options".into(),
                string_map("mounts.driver_config.options", o)?,
            );
        }
        volume.insert("DriverConfig".into(), Value::Object(driver));
    }
    if !volume.is_empty() {
        out["VolumeOptions"] = Value::Object(volume);
    }
    let mut tmpfs = Map::new();
    if let Some(s) = m.get("tmpfs_size") {
        tmpfs.insert("SizeBytes".into(), json!(size("mounts.tmpfs_size", s)?));
    }
    if let Some(mode) = m.get("tmpfs_mode") {
        tmpfs.insert("Mode".into(), json!(integer("mounts.tmpfs_mode", mode)?));
    }
    if !tmpfs.is_empty() {
        out["TmpfsOptions"] = Value::Object(tmpfs);
    }
    Ok(out)
}

/// A secret or config reference: a name or id (resolved by
/// [`super::Engine::resolve_references`]), or
/// `{secret_id =, secret_name =, filename =, uid =, gid =, mode =}`
/// (`config_id`, `config_name` for configs).
fn reference(name: &str, v: &Value, kind: &str) -> Result<Value> {
    let lower = kind.to_ascii_lowercase();
    let (id_key, name_key) = (format!("{lower}_id"), format!("{lower}_name"));
    let file = |filename: Option<String>, uid: String, gid: String, mode: i64| json!({"Name": filename, "UID": uid, "GID": gid, "Mode": mode});
    match v {
        Value::String(s) => Ok(json!({
            format!("{kind}Name"): s,
            "File": file(None, "0".into(), "0".into(), 0o444),
        })),
        Value::Object(_) => {
            let m = fields(
                name,
                v,
                &[&id_key, &name_key, "filename", "uid", "gid", "mode"],
            )?;
            let mut out = Map::new();
            if let Some(id) = m.get(&id_key) {
                out.insert(format!("{kind}ID"), json!(string(name, id)?));
            }
            if let Some(n) = m.get(&name_key) {
                out.insert(format!("{kind}Name"), json!(string(name, n)?));
            }
            if out.is_empty() {
                return Err(Error::invalid(format!(
                    "bad option '{name}' (an item names neither '{id_key}' nor '{name_key}')"
                )));
            }
            let filename = m.get("filename").map(|f| string(name, f)).transpose()?;
            let uid = m.get("uid").map(|u| text(name, u)).transpose()?;
            let gid = m.get("gid").map(|g| text(name, g)).transpose()?;
            let mode = m.get("mode").map(|x| integer(name, x)).transpose()?;
            out.insert(
                "File".into(),
                file(
                    filename,
                    uid.unwrap_or_else(|| "0".into()),
                    gid.unwrap_or_else(|| "0".into()),
                    mode.unwrap_or(0o444),
                ),
            );
            Ok(Value::Object(out))
        }
        _ => Err(bad(name, "name or table", v)),
    }
}

/// A network name or id, or `{target =, aliases =, driver_opts =}`.
fn network(name: &str, v: &Value) -> Result<Value> {
    match v {
        Value::String(s) => Ok(json!({"Target": s})),
        _ => {
            let m = fields(name, v, &["target", "aliases", "driver_opts"])?;
            let target = m.get("target").ok_or_else(|| {
                Error::invalid(format!("bad option '{name}' (an item has no 'target')"))
            })?;
            let mut out = json!({"Target": string(name, target)?});
            if let Some(a) = m.get("aliases") {
                out["Aliases"] = json!(strings("networks.aliases", a)?);
            }
            if let Some(o) = m.get("driver_opts") {
                out["DriverOpts"] = string_map("networks.driver_opts", o)?;
            }
            Ok(out)
        }
    }
}

/// `"node.labels.zone"` or `{spread = "node.labels.zone"}`.
fn preference(name: &str, v: &Value) -> Result<Value> {
    let descriptor = match v {
        Value::String(s) => s.clone(),
        _ => string(
            name,
            fields(name, v, &["spread"])?
                .get("spread")
                .unwrap_or(&Value::Null),
        )?,
    };
    Ok(json!({"Spread": {"SpreadDescriptor": descriptor}}))
}

/// `"linux/amd64"` or `{os =, architecture =}`.
fn platform(name: &str, v: &Value) -> Result<Value> {
    let (os, arch) = match v {
        Value::String(s) => match s.split_once('/') {
            Some((os, arch)) => (os.to_owned(), arch.to_owned()),
            None => (s.clone(), String::new()),
        },
        _ => {
            let m = fields(name, v, &["os", "architecture"])?;
            let get = |k: &str| m.get(k).map(|v| string(name, v)).transpose();
            (
                get("os")?.unwrap_or_default(),
                get("architecture")?.unwrap_or_default(),
            )
        }
    };
    Ok(json!({"OS": os, "Architecture": arch}))
}

/// `{cpu_limit =, mem_limit =, cpu_reservation =, mem_reservation =}`: CPUs
/// in units of 1e-9 (as the Python SDK's `NanoCPUs`), memory in bytes or text.
fn resources(v: &Value) -> Result<Value> {
    let m = fields(
        "resources",
        v,
        &[
            "cpu_limit",
            "mem_limit",
            "cpu_reservation",
            "mem_reservation",
        ],
    )?;
    let mut limits = Map::new();
    let mut reservations = Map::new();
    if let Some(c) = m.get("cpu_limit") {
        limits.insert("NanoCPUs".into(), json!(integer("resources.cpu_limit", c)?));
    }
    if let Some(mem) = m.get("mem_limit") {
        limits.insert(
            "MemoryBytes".into(),
            json!(size("resources.mem_limit", mem)?),
        );
    }
    if let Some(c) = m.get("cpu_reservation") {
        reservations.insert(
            "NanoCPUs".into(),
            json!(integer("resources.cpu_reservation", c)?),
        );
    }
    if let Some(mem) = m.get("mem_reservation") {
        reservations.insert(
            "MemoryBytes".into(),
            json!(size("resources.mem_reservation", mem)?),
        );
    }
    Ok(json!({"Limits": limits, "Reservations": reservations}))
}

/// `{condition = "none"|"on-failure"|"any", delay =, max_attempts =, window =}`.
fn restart_policy(v: &Value) -> Result<Value> {
    let m = fields(
        "restart_policy",
        v,
        &["condition", "delay", "max_attempts", "window"],
    )?;
    let mut out = Map::new();
    if let Some(c) = m.get("condition") {
        let c = string("restart_policy.condition", c)?;
        if !["none", "on-failure", "any"].contains(&c.as_str()) {
            return Err(Error::invalid(format!(
                "bad option 'restart_policy.condition' (\"none\", \"on-failure\" or \"any\" expected, got '{c}')"
            )));
        }
        out.insert("Condition".into(), json!(c));
    }
    if let Some(d) = m.get("delay") {
        out.insert("Delay".into(), json!(duration("restart_policy.delay", d)?));
    }
    if let Some(n) = m.get("max_attempts") {
        out.insert(
            "MaxAttempts".into(),
            json!(integer("restart_policy.max_attempts", n)?),
        );
    }
    if let Some(w) = m.get("window") {
        out.insert(
            "Window".into(),
            json!(duration("restart_policy.window", w)?),
        );
    }
    Ok(Value::Object(out))
}

/// `{parallelism =, delay =, failure_action =, monitor =, max_failure_ratio =, order =}`.
fn update_config(name: &str, v: &Value) -> Result<Value> {
    let m = fields(
        name,
        v,
        &[
            "parallelism",
            "delay",
            "failure_action",
            "monitor",
            "max_failure_ratio",
            "order",
        ],
    )?;
    let mut out = Map::new();
    if let Some(p) = m.get("parallelism") {
        out.insert("Parallelism".into(), json!(integer(name, p)?));
    }
    if let Some(d) = m.get("delay") {
        out.insert("Delay".into(), json!(duration(name, d)?));
    }
    if let Some(a) = m.get("failure_action") {
        out.insert("FailureAction".into(), json!(string(name, a)?));
    }
    if let Some(d) = m.get("monitor") {
        out.insert("Monitor".into(), json!(duration(name, d)?));
    }
    if let Some(r) = m.get("max_failure_ratio") {
        out.insert("MaxFailureRatio".into(), json!(number(name, r)?));
    }
    if let Some(o) = m.get("order") {
        out.insert("Order".into(), json!(string(name, o)?));
    }
    Ok(Value::Object(out))
}

/// `{mode = "vip"|"dnsrr", ports = {...}}`.
fn endpoint_spec(v: &Value) -> Result<Value> {
    let m = fields("endpoint_spec", v, &["mode", "ports"])?;
    let mut out = Map::new();
    if let Some(mode) = m.get("mode") {
        out.insert("Mode".into(), json!(string("endpoint_spec.mode", mode)?));
    }
    if let Some(p) = m.get("ports") {
        out.insert("Ports".into(), ports("endpoint_spec.ports", p)?);
    }
    Ok(Value::Object(out))
}

/// `{[published] = target}` as the Python SDK has it; a target may be
/// `"8080/udp"` or `{target, protocol, publish_mode}` (array or table).
fn ports(name: &str, v: &Value) -> Result<Value> {
    let Value::Object(map) = v else {
        return Err(bad(name, "table {[published] = target}", v));
    };
    let mut out = Vec::with_capacity(map.len());
    for (published, target) in map {
        let published: u16 = published.parse().map_err(|_| {
            Error::invalid(format!(
                "bad option '{name}' (port '{published}' is not a number)"
            ))
        })?;
        let (target, protocol, mode) = match target {
            Value::Number(_) => (integer(name, target)?, "tcp".to_owned(), None),
            Value::String(s) => {
                let (port, proto) = s.split_once('/').unwrap_or((s, "tcp"));
                let port = port.parse().map_err(|_| {
                    Error::invalid(format!("bad option '{name}' (target '{s}' is not a port)"))
                })?;
                (port, proto.to_owned(), None)
            }
            Value::Array(items) => {
                let get = |i: usize| items.get(i).filter(|v| !v.is_null());
                let port = integer(name, get(0).unwrap_or(&Value::Null))?;
                let proto = get(1).map(|p| string(name, p)).transpose()?;
                let mode = get(2).map(|p| string(name, p)).transpose()?;
                (port, proto.unwrap_or_else(|| "tcp".into()), mode)
            }
            Value::Object(_) => {
                let m = fields(name, target, &["target", "protocol", "publish_mode"])?;
                let port = integer(name, m.get("target").unwrap_or(&Value::Null))?;
                let proto = m.get("protocol").map(|p| string(name, p)).transpose()?;
                let mode = m.get("publish_mode").map(|p| string(name, p)).transpose()?;
                (port, proto.unwrap_or_else(|| "tcp".into()), mode)
            }
            _ => return Err(bad(name, "target port", target)),
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
    Ok(Value::Array(out))
}

/// `{test =, interval =, timeout =, retries =, start_period =}`; `test` a
/// shell command (string) or an array (`CMD` added unless it starts with
/// `CMD`, `CMD-SHELL` or `NONE`).
fn healthcheck(v: &Value) -> Result<Value> {
    let m = fields(
        "healthcheck",
        v,
        &["test", "interval", "timeout", "retries", "start_period"],
    )?;
    let mut out = Map::new();
    if let Some(t) = m.get("test") {
        let test = match t {
            Value::String(s) => vec!["CMD-SHELL".to_owned(), s.clone()],
            _ => {
                let mut words = strings("healthcheck.test", t)?;
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
    ] {
        if let Some(d) = m.get(key) {
            out.insert(
                field.into(),
                json!(duration(&format!("healthcheck.{key}"), d)?),
            );
        }
    }
    if let Some(r) = m.get("retries") {
        out.insert("Retries".into(), json!(integer("healthcheck.retries", r)?));
    }
    Ok(Value::Object(out))
}

/// `"replicated"`, `"global"`, or `{replicated = {replicas = n}}`/`{global = {}}`.
/// `"replicated"`, `"global"`, `"replicated-job"`, `"global-job"`, or one
/// of them as a table: `{replicated = {replicas = n}}`,
/// `{replicated_job = {max_concurrent = n, total_completions = n}}`. A
/// `replicas` option already given is kept (as a job's completions).
fn mode(v: &Value, replicas: Option<u64>) -> Result<Value> {
    const EXPECTED: &str = "\"replicated\", \"global\", \"replicated-job\" or \"global-job\"";
    let (name, inner) = match v {
        Value::String(s) => (s.replace('_', "-"), None),
        Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m.iter().next().expect("one entry");
            (k.replace('_', "-"), Some(inner))
        }
        _ => return Err(bad("mode", EXPECTED, v)),
    };
    let count = |key: &str| -> Result<Option<u64>> {
        let Some(value) = inner.and_then(|i| i.get(key)) else {
            return Ok(None);
        };
        let n = integer(&format!("mode.{key}"), value)?;
        u64::try_from(n)
            .map(Some)
            .map_err(|_| bad(&format!("mode.{key}"), "a count", value))
    };
    let known = |keys: &[&str]| -> Result<()> {
        if let Some(inner) = inner {
            fields(&format!("mode.{}", name.replace('-', "_")), inner, keys)?;
        }
        Ok(())
    };
    match name.as_str() {
        "replicated" => {
            known(&["replicas"])?;
            let n = count("replicas")?.or(replicas).unwrap_or(1);
            Ok(json!({"Replicated": {"Replicas": n}}))
        }
        "global" => {
            known(&[])?;
            Ok(json!({"Global": {}}))
        }
        "replicated-job" => {
            known(&["max_concurrent", "total_completions"])?;
            let total = count("total_completions")?.or(replicas).unwrap_or(1);
            let mut job = json!({"TotalCompletions": total});
            if let Some(max) = count("max_concurrent")? {
                job["MaxConcurrent"] = json!(max);
            }
            Ok(json!({"ReplicatedJob": job}))
        }
        "global-job" => {
            known(&[])?;
            Ok(json!({"GlobalJob": {}}))
        }
        other => Err(Error::invalid(format!(
            "bad option 'mode' ({EXPECTED} expected, got '{other}')"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_spec_from_python_sdk_options() {
        let spec = create_spec(
            "alpine",
            Some(vec!["sleep".into(), "60".into()]),
            &opts(json!({
                "name": "web",
                "replicas": 3,
                "env": {"A": "1", "B": 2},
                "labels": {"team": "ops"},
                "container_labels": {"c": "d"},
                "constraints": ["node.role==worker"],
                "preferences": [{"spread": "node.labels.zone"}],
                "mounts": ["data:/data:ro", {"type": "tmpfs", "target": "/tmp", "tmpfs_size": "64m"}],
                "restart_policy": {"condition": "on-failure", "delay": 1.5, "max_attempts": 3},
                "update_config": {"parallelism": 2, "delay": "10s", "failure_action": "rollback", "order": "start-first"},
                "ports": {"80": 8080},
                "resources": {"mem_limit": "128m", "cpu_limit": 500000000},
                "healthcheck": {"test": "true", "interval": 2},
                "stop_grace_period": "1m30s",
                "log_driver": "json-file",
                "log_driver_options": {"max-size": "10m"},
                "workdir": "/srv",
                "user": 1000,
                "tty": true,
            })),
        )
        .unwrap();
        assert_eq!(spec["Name"], "web");
        assert_eq!(spec["Mode"], json!({"Replicated": {"Replicas": 3}}));
        let c = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Image"], "alpine");
        assert_eq!(c["Command"], json!(["sleep", "60"]));
        assert_eq!(c["Env"], json!(["A=1", "B=2"]));
        assert_eq!(c["Labels"], json!({"c": "d"}));
        assert_eq!(c["User"], "1000");
        assert_eq!(c["Dir"], "/srv");
        assert_eq!(c["TTY"], true);
        assert_eq!(c["StopGracePeriod"], 90_000_000_000i64);
        assert_eq!(
            c["Mounts"][0],
            json!({"Type": "volume", "Source": "data", "Target": "/data", "ReadOnly": true})
        );
        assert_eq!(c["Mounts"][1]["TmpfsOptions"]["SizeBytes"], 64 << 20);
        assert_eq!(c["Healthcheck"]["Test"], json!(["CMD-SHELL", "true"]));
        assert_eq!(c["Healthcheck"]["Interval"], 2_000_000_000i64);
        let t = &spec["TaskTemplate"];
        assert_eq!(t["Placement"]["Constraints"], json!(["node.role==worker"]));
        assert_eq!(
            t["Placement"]["Preferences"],
            json!([{"Spread": {"SpreadDescriptor": "node.labels.zone"}}])
        );
        assert_eq!(t["RestartPolicy"]["Delay"], 1_500_000_000i64);
        assert_eq!(t["Resources"]["Limits"]["MemoryBytes"], 128 << 20);
        assert_eq!(
            t["LogDriver"],
            json!({"Name": "json-file", "Options": {"max-size": "10m"}})
        );
        assert_eq!(spec["UpdateConfig"]["Delay"], 10_000_000_000i64);
        assert_eq!(spec["UpdateConfig"]["FailureAction"], "rollback");
        assert_eq!(
            spec["EndpointSpec"]["Ports"],
            json!([{"PublishedPort": 80, "TargetPort": 8080, "Protocol": "tcp"}])
        );
    }

    #[test]
    fn update_keeps_what_is_not_named() {
        let mut spec = create_spec(
            "alpine",
            None,
            &opts(json!({"env": ["A=1"], "replicas": 2})),
        )
        .unwrap();
        apply(
            &mut spec,
            &opts(json!({"image": "busybox", "force_update": true})),
            true,
        )
        .unwrap();
        let c = &spec["TaskTemplate"]["ContainerSpec"];
        assert_eq!(c["Image"], "busybox");
        assert_eq!(c["Env"], json!(["A=1"]));
        assert_eq!(spec["TaskTemplate"]["ForceUpdate"], 1);
        assert_eq!(spec["Mode"]["Replicated"]["Replicas"], 2);
        // `image` is an update option, not a create option.
        let err = create_spec("alpine", None, &opts(json!({"image": "x"}))).unwrap_err();
        assert_eq!(err.message, "unknown option 'image'");
    }

    #[test]
    fn global_mode_and_bad_options() {
        let spec = create_spec("alpine", None, &opts(json!({"mode": "global"}))).unwrap();
        assert_eq!(spec["Mode"], json!({"Global": {}}));
        let bad = |v: Value| create_spec("alpine", None, &opts(v)).unwrap_err().message;
        assert!(bad(json!({"mode": "global", "replicas": 2})).contains("global"));
        assert_eq!(
            bad(json!({"replicas": "x"})),
            "bad option 'replicas' (integer expected, got string)"
        );
        assert_eq!(bad(json!({"nope": 1})), "unknown option 'nope'");
        assert!(bad(json!({"restart_policy": {"condition": "always"}})).contains("on-failure"));
        assert!(bad(json!({"stop_grace_period": "soon"})).contains("1m30s"));
        assert!(bad(json!({"mounts": [{"source": "x"}]})).contains("target"));
    }

    #[test]
    fn job_modes() {
        let mode = |v: Value| create_spec("alpine", None, &opts(v)).map(|s| s["Mode"].clone());
        assert_eq!(
            mode(json!({"mode": "replicated-job", "replicas": 3})).unwrap(),
            json!({"ReplicatedJob": {"TotalCompletions": 3}})
        );
        assert_eq!(
            mode(
                json!({"mode": {"replicated_job": {"max_concurrent": 2, "total_completions": 5}}})
            )
            .unwrap(),
            json!({"ReplicatedJob": {"TotalCompletions": 5, "MaxConcurrent": 2}})
        );
        assert_eq!(
            mode(json!({"mode": "global-job"})).unwrap(),
            json!({"GlobalJob": {}})
        );
        assert_eq!(
            mode(json!({"mode": {"replicated": {"replicas": 4}}})).unwrap(),
            json!({"Replicated": {"Replicas": 4}})
        );
        let err = mode(json!({"mode": "global-job", "replicas": 2})).unwrap_err();
        assert!(err.message.contains("global"), "{}", err.message);
        let err = mode(json!({"mode": {"replicated_job": {"completions": 2}}})).unwrap_err();
        assert!(
            err.message.contains("unknown field 'completions'"),
            "{}",
            err.message
        );
        let err = mode(json!({"mode": "batch"})).unwrap_err();
        assert!(
            err.message.contains("\"replicated-job\""),
            "{}",
            err.message
        );
        // Scaling a replicated job sets the completions it needs.
        let mut spec =
            create_spec("alpine", None, &opts(json!({"mode": "replicated-job"}))).unwrap();
        apply(&mut spec, &opts(json!({"replicas": 6})), false).unwrap();
        assert_eq!(
            spec["Mode"],
            json!({"ReplicatedJob": {"TotalCompletions": 6}})
        );
    }

    #[test]
    fn references_and_durations() {
        let spec = create_spec(
            "alpine",
            None,
            &opts(json!({"secrets": ["db", {"secret_id": "abc", "filename": "pw", "mode": 256}]})),
        )
        .unwrap();
        let s = &spec["TaskTemplate"]["ContainerSpec"]["Secrets"];
        assert_eq!(s[0]["SecretName"], "db");
        assert_eq!(s[0]["File"]["Mode"], 0o444);
        assert_eq!(s[1]["SecretID"], "abc");
        assert_eq!(s[1]["File"]["Name"], "pw");
        assert_eq!(
            super::super::units::parse_nanos("1h2m3.5s"),
            Some(3_723_500_000_000)
        );
        assert_eq!(size("x", &json!("1.5k")).unwrap(), 1536);
    }
}
