//! A service's spec from the Python SDK's `services.create` options (as
//! JSON, the way the Lua layer hands them over): one function applies
//! options onto a spec, so create starts from an empty spec and update from
//! the service's current one (what is not named is kept, as `docker service
//! update` and the Python SDK's `update` keep it).
//!
//! Every value is read by the shared option model ([`super::options`]):
//! durations are nanoseconds or Go-style text (`"1m30s"`, `"500ms"`), as
//! for containers; sizes are bytes or text with a unit (`"64m"`).

use serde_json::{json, Map, Value};

use super::options::types::{
    healthcheck, mounts, resources, service_restart_policy, update_config,
};
use super::options::{
    array, bad, boolean, count, duration, key_values, labels, ports, string, string_map, strings,
    text, unknown, Fields,
};
pub use super::options::{size, words};
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
    "max_replicas",
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
    if opts.contains_key("maxreplicas") && opts.contains_key("max_replicas") {
        return Err(Error::invalid(
            "options 'maxreplicas' and 'max_replicas' are one option: give one",
        ));
    }
    for (name, value) in opts {
        if value.is_null() {
            continue;
        }
        let known = CREATE_OPTIONS.contains(&name.as_str())
            || (update && UPDATE_OPTIONS.contains(&name.as_str()));
        if !known {
            let mut names = CREATE_OPTIONS.to_vec();
            if update {
                names.extend(UPDATE_OPTIONS);
            }
            return Err(unknown("option", name, &names));
        }
        apply_one(spec, name, value)?;
    }
    Ok(())
}

fn apply_one(spec: &mut Value, name: &str, v: &Value) -> Result<()> {
    match name {
        "name" => spec["Name"] = json!(string(name, v)?),
        "labels" => spec["Labels"] = labels(name, v)?,
        "image" => container(spec)["Image"] = json!(string(name, v)?),
        "command" => container(spec)["Command"] = json!(words(name, v)?),
        "args" => container(spec)["Args"] = json!(words(name, v)?),
        "env" => container(spec)["Env"] = json!(key_values(name, v)?),
        "container_labels" => container(spec)["Labels"] = labels(name, v)?,
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
        "healthcheck" => container(spec)["Healthcheck"] = healthcheck(name, v)?,
        "secrets" => container(spec)["Secrets"] = array(name, v, |n, v| reference(n, v, "Secret"))?,
        "configs" => container(spec)["Configs"] = array(name, v, |n, v| reference(n, v, "Config"))?,
        "networks" => object(spec, "TaskTemplate")["Networks"] = array(name, v, network)?,
        "constraints" => placement(spec)["Constraints"] = json!(strings(name, v)?),
        "preferences" => placement(spec)["Preferences"] = array(name, v, preference)?,
        "maxreplicas" | "max_replicas" => placement(spec)["MaxReplicas"] = json!(count(name, v)?),
        "platforms" => placement(spec)["Platforms"] = array(name, v, platform)?,
        "resources" => object(spec, "TaskTemplate")["Resources"] = resources(name, v)?,
        "restart_policy" => {
            object(spec, "TaskTemplate")["RestartPolicy"] = service_restart_policy(name, v)?
        }
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
                _ => json!(count(name, v)?),
            };
        }
        "update_config" => spec["UpdateConfig"] = update_config(name, v)?,
        "rollback_config" => spec["RollbackConfig"] = update_config(name, v)?,
        "endpoint_spec" => spec["EndpointSpec"] = endpoint_spec(name, v)?,
        "ports" => object(spec, "EndpointSpec")["Ports"] = ports::service_ports(name, v)?,
        "mode" => spec["Mode"] = mode(v, replicas_of(spec))?,
        "replicas" => {
            let n = count(name, v)?;
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
        _ => return Err(unknown("option", name, CREATE_OPTIONS)),
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

// --- parts of the spec --------------------------------------------------------

/// A secret or config reference: a name or id (resolved by
/// [`super::Engine::resolve_references`]), or
/// `{secret_id =, secret_name =, filename =, uid =, gid =, mode =}`
/// (`config_id`, `config_name` for configs; or the engine's `SecretID`,
/// `SecretName`...).
fn reference(name: &str, v: &Value, kind: &str) -> Result<Value> {
    let file = |filename: Option<String>, uid: String, gid: String, mode: i64| json!({"Name": filename, "UID": uid, "GID": gid, "Mode": mode});
    match v {
        Value::String(s) => Ok(json!({
            format!("{kind}Name"): s,
            "File": file(None, "0".into(), "0".into(), 0o444),
        })),
        Value::Object(_) => {
            let (id_field, name_field) = (format!("{kind}ID"), format!("{kind}Name"));
            let lower = kind.to_ascii_lowercase();
            let (id_key, name_key) = (format!("{lower}_id"), format!("{lower}_name"));
            // Field names are static: leak-free by picking from fixed pairs.
            let known: &[(&str, &str)] = if kind == "Secret" {
                &[
                    ("secret_id", "SecretID"),
                    ("secret_name", "SecretName"),
                    ("filename", "Name"),
                    ("uid", "UID"),
                    ("gid", "GID"),
                    ("mode", "Mode"),
                ]
            } else {
                &[
                    ("config_id", "ConfigID"),
                    ("config_name", "ConfigName"),
                    ("filename", "Name"),
                    ("uid", "UID"),
                    ("gid", "GID"),
                    ("mode", "Mode"),
                ]
            };
            let f = Fields::read(name, v, known)?;
            let mut out = Map::new();
            if let Some(id) = f.with(&id_key, string)? {
                out.insert(id_field, json!(id));
            }
            if let Some(n) = f.with(&name_key, string)? {
                out.insert(name_field, json!(n));
            }
            if out.is_empty() {
                return Err(Error::invalid(format!(
                    "bad option '{name}' (an item names neither '{id_key}' nor '{name_key}')"
                )));
            }
            let filename = f.with("filename", string)?;
            let uid = f.with("uid", text)?;
            let gid = f.with("gid", text)?;
            let mode = f.with("mode", count)?;
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

/// A network name or id, or `{target =, aliases =, driver_opts =}` (or the
/// engine's `Target`, `Aliases`, `DriverOpts`).
fn network(name: &str, v: &Value) -> Result<Value> {
    match v {
        Value::String(s) => Ok(json!({"Target": s})),
        _ => {
            let f = Fields::read(
                name,
                v,
                &[
                    ("target", "Target"),
                    ("aliases", "Aliases"),
                    ("driver_opts", "DriverOpts"),
                ],
            )?;
            let target = f.with("target", string)?.ok_or_else(|| {
                Error::invalid(format!("bad option '{name}' (an item has no 'target')"))
            })?;
            let mut out = json!({"Target": target});
            if let Some(a) = f.with("aliases", strings)? {
                out["Aliases"] = json!(a);
            }
            if let Some(o) = f.with("driver_opts", string_map)? {
                out["DriverOpts"] = o;
            }
            Ok(out)
        }
    }
}

/// `"node.labels.zone"`, `{spread = "node.labels.zone"}` or the engine's
/// `{Spread = {SpreadDescriptor = "node.labels.zone"}}`.
fn preference(name: &str, v: &Value) -> Result<Value> {
    let descriptor = match v {
        Value::String(s) => s.clone(),
        _ => {
            let f = Fields::read(name, v, &[("spread", "Spread")])?;
            match f.get("spread") {
                Some(Value::Object(inner)) => {
                    let inner = Value::Object(inner.clone());
                    let g = Fields::read(
                        &f.path("spread"),
                        &inner,
                        &[("spread_descriptor", "SpreadDescriptor")],
                    )?;
                    g.with("spread_descriptor", string)?.unwrap_or_default()
                }
                Some(other) => string(&f.path("spread"), other)?,
                None => return Err(bad(name, "{spread = \"node.labels.x\"}", v)),
            }
        }
    };
    Ok(json!({"Spread": {"SpreadDescriptor": descriptor}}))
}

/// `"linux/amd64"` or `{os =, architecture =}` (or `OS`, `Architecture`).
fn platform(name: &str, v: &Value) -> Result<Value> {
    let (os, arch) = match v {
        Value::String(s) => match s.split_once('/') {
            Some((os, arch)) => (os.to_owned(), arch.to_owned()),
            None => (s.clone(), String::new()),
        },
        _ => {
            let f = Fields::read(name, v, &[("os", "OS"), ("architecture", "Architecture")])?;
            (
                f.with("os", string)?.unwrap_or_default(),
                f.with("architecture", string)?.unwrap_or_default(),
            )
        }
    };
    Ok(json!({"OS": os, "Architecture": arch}))
}

/// `{mode = "vip"|"dnsrr", ports = {...}}` (or `Mode`, `Ports`).
fn endpoint_spec(name: &str, v: &Value) -> Result<Value> {
    let f = Fields::read(name, v, &[("mode", "Mode"), ("ports", "Ports")])?;
    let mut out = Map::new();
    if let Some(mode) = f.with("mode", string)? {
        out.insert("Mode".into(), json!(mode));
    }
    if let Some(p) = f.with("ports", ports::service_ports)? {
        out.insert("Ports".into(), p);
    }
    Ok(Value::Object(out))
}

/// `"replicated"`, `"global"`, `"replicated-job"`, `"global-job"`, or one
/// of them as a table: `{replicated = {replicas = n}}`,
/// `{replicated_job = {max_concurrent = n, total_completions = n}}`, or the
/// engine's `{Replicated = {Replicas = n}}`, `{Global = {}}`,
/// `{ReplicatedJob = {MaxConcurrent =, TotalCompletions =}}`. A `replicas`
/// option already given is kept (as a job's completions).
fn mode(v: &Value, replicas: Option<u64>) -> Result<Value> {
    const EXPECTED: &str = "\"replicated\", \"global\", \"replicated-job\" or \"global-job\"";
    let (name, inner) = match v {
        Value::String(s) => (s.replace('_', "-"), None),
        Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m.iter().next().expect("one entry");
            let name = match k.as_str() {
                "Replicated" => "replicated".to_owned(),
                "Global" => "global".to_owned(),
                "ReplicatedJob" => "replicated-job".to_owned(),
                "GlobalJob" => "global-job".to_owned(),
                other => other.replace('_', "-"),
            };
            (name, Some(inner))
        }
        _ => return Err(bad("mode", EXPECTED, v)),
    };
    let path = format!("mode.{}", name.replace('-', "_"));
    let empty = json!({});
    let fields = |keys: &[(&'static str, &'static str)]| -> Result<Fields<'_>> {
        Fields::read(&path, inner.unwrap_or(&empty), keys)
    };
    match name.as_str() {
        "replicated" => {
            let f = fields(&[("replicas", "Replicas")])?;
            let n = f
                .with("replicas", count)?
                .map(|n| n as u64)
                .or(replicas)
                .unwrap_or(1);
            Ok(json!({"Replicated": {"Replicas": n}}))
        }
        "global" => {
            fields(&[])?;
            Ok(json!({"Global": {}}))
        }
        "replicated-job" => {
            let f = fields(&[
                ("max_concurrent", "MaxConcurrent"),
                ("total_completions", "TotalCompletions"),
            ])?;
            let total = f
                .with("total_completions", count)?
                .map(|n| n as u64)
                .or(replicas)
                .unwrap_or(1);
            let mut job = json!({"TotalCompletions": total});
            if let Some(max) = f.with("max_concurrent", count)? {
                job["MaxConcurrent"] = json!(max);
            }
            Ok(json!({"ReplicatedJob": job}))
        }
        "global-job" => {
            fields(&[])?;
            Ok(json!({"GlobalJob": {}}))
        }
        other => Err(Error::invalid(format!(
            "bad option 'mode' ({EXPECTED} expected, got '{}')",
            super::error::excerpt(other, 40)
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
                "restart_policy": {"condition": "on-failure", "delay": "1.5s", "max_attempts": 3},
                "update_config": {"parallelism": 2, "delay": "10s", "failure_action": "rollback", "order": "start-first"},
                "ports": {"80": 8080},
                "resources": {"mem_limit": "128m", "cpu_limit": 500000000},
                "healthcheck": {"test": "true", "interval": "2s", "timeout": 3e9, "start_interval": 5e6},
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
        // Numbers are nanoseconds, as for a container's healthcheck.
        assert_eq!(c["Healthcheck"]["Timeout"], 3_000_000_000i64);
        assert_eq!(c["Healthcheck"]["StartInterval"], 5_000_000);
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
            "bad option 'replicas' (non-negative integer expected, got 'x')"
        );
        assert_eq!(bad(json!({"zzzzzz": 1})), "unknown option 'zzzzzz'");
        assert_eq!(
            bad(json!({"replica": 1})),
            "unknown option 'replica' (did you mean 'replicas'?)"
        );
        // Past the integer range: refused, never clamped.
        for (option, value) in [
            ("replicas", json!(1e300)),
            ("max_replicas", json!(1e300)),
            ("maxreplicas", json!(-1)),
            ("stop_grace_period", json!(1e300)),
            ("force_update", json!(1e300)),
        ] {
            let message = bad(json!({ option: value }));
            assert!(message.contains(option), "{option}: {message}");
        }
        assert!(bad(json!({"healthcheck": {"retries": 1e300}})).contains("retries"));
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
        // The engine's own spelling, as the Python SDK passes it through.
        assert_eq!(
            mode(json!({"mode": {"Replicated": {"Replicas": 2}}})).unwrap(),
            json!({"Replicated": {"Replicas": 2}})
        );
        assert_eq!(
            mode(json!({"mode": {"Global": {}}})).unwrap(),
            json!({"Global": {}})
        );
        let err =
            mode(json!({"mode": {"replicated": {"replicas": 1, "Replicas": 2}}})).unwrap_err();
        assert!(err.message.contains("'replicas'"), "{}", err.message);
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
