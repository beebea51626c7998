//! Arguments of `create` and `run`: the Python SDK's option names to the
//! engine's create body.

use mlua::{MultiValue, Table, Value};
use serde_json::{json, Map, Value as Json};

use crate::lua::args::{self, Opts};
use crate::lua::convert;
use crate::lua::error::invalid;

/// Options `create` knows, named as in the Python SDK.
pub(super) const CREATE_OPTS: &[&str] = &[
    "name",
    "environment",
    "labels",
    "entrypoint",
    "working_dir",
    "user",
    "hostname",
    "tty",
    "stdin_open",
    "init",
    "auto_remove",
    "network",
    "network_mode",
    "ports",
    "volumes",
    "restart_policy",
    "stop_signal",
    "stop_timeout",
    "platform",
    "privileged",
    "cap_add",
    "cap_drop",
    "extra_hosts",
    "mem_limit",
    "healthcheck",
    "pull",
];

/// What `run` adds to them.
pub(super) const RUN_OPTS: &[&str] = &[
    "detach",
    "remove",
    "stdout",
    "stderr",
    "stream",
    "interactive",
];

/// A parsed `create`/`run` call.
pub(super) struct Spec {
    pub(super) image: String,
    pub(super) command: Option<Vec<String>>,
    pub(super) name: Option<String>,
    pub(super) platform: Option<String>,
    /// The create body.
    pub(super) config: Json,
    pub(super) pull: Pull,
    pub(super) detach: bool,
    pub(super) remove: bool,
    pub(super) stdout: bool,
    pub(super) stderr: bool,
    /// `stream = true`, `interactive = true` (see `attach.rs`).
    pub(super) stream: bool,
    pub(super) interactive: bool,
}

pub(super) use crate::engine::run::Pull;

impl Spec {
    pub(super) fn parse(function: &'static str, args: MultiValue, run: bool) -> mlua::Result<Spec> {
        let mut args = args.into_iter();
        let image = args::name(
            function,
            "image",
            &args.next().unwrap_or(Value::Nil),
            args::NameKind::Image,
        )?;
        let mut command = args.next().unwrap_or(Value::Nil);
        let mut opts = args.next().unwrap_or(Value::Nil);
        // run(image, {detach = true}): the command is optional.
        if let (Value::Table(t), Value::Nil) = (&command, &opts) {
            if args::is_options_table(t) {
                opts = std::mem::replace(&mut command, Value::Nil);
            }
        }
        let known: Vec<&str> = if run {
            CREATE_OPTS.iter().chain(RUN_OPTS).copied().collect()
        } else {
            CREATE_OPTS.to_vec()
        };
        let opts = Opts::new(function, opts, &known)?;
        let command = words(function, "command", &command)?;

        let mut config = Map::new();
        let mut host = Map::new();
        config.insert("Image".into(), json!(image));
        if let Some(cmd) = &command {
            config.insert("Cmd".into(), json!(cmd));
        }
        if let Some(entrypoint) = words(function, "entrypoint", &opts.raw("entrypoint")?)? {
            config.insert("Entrypoint".into(), json!(entrypoint));
        }
        if let Some(env) = opts.table("environment")? {
            config.insert(
                "Env".into(),
                json!(key_values(function, "environment", &env)?),
            );
        }
        if let Some(labels) = opts.table("labels")? {
            config.insert("Labels".into(), labels_json(function, &labels)?);
        }
        for (opt, field) in [
            ("working_dir", "WorkingDir"),
            ("user", "User"),
            ("hostname", "Hostname"),
            ("stop_signal", "StopSignal"),
        ] {
            if let Some(v) = opts.string(opt)? {
                config.insert(field.into(), json!(v));
            }
        }
        if let Some(v) = opts.count("stop_timeout")? {
            config.insert("StopTimeout".into(), json!(v));
        }
        let tty = opts.flag("tty")?;
        config.insert("Tty".into(), json!(tty));
        if opts.flag("stdin_open")? {
            config.insert("OpenStdin".into(), json!(true));
        }
        if let Some(hc) = opts.table("healthcheck")? {
            let value = convert::from_lua(&Value::Table(hc))
                .map_err(|e| invalid(function, format!("bad option 'healthcheck': {}", e.0)))?;
            config.insert("Healthcheck".into(), value);
        }

        let detach = run && opts.flag("detach")?;
        let remove = run && opts.flag("remove")?;
        // `run` removes a container once it has read its output; detached,
        // it never does: the engine must (`auto_remove`). The Python SDK
        // refuses the pair too rather than leave the container behind.
        if detach && remove {
            return Err(invalid(
                function,
                "options 'detach' and 'remove' cannot be used together \
                 (use 'auto_remove' for a detached container)",
            ));
        }
        if let Some(init) = opts.bool("init")? {
            host.insert("Init".into(), json!(init));
        }
        // Without detach we read the output after the exit, so the engine must
        // not remove the container first: `run` removes it itself.
        let auto_remove = opts.flag("auto_remove")?;
        if auto_remove && (detach || !run) {
            host.insert("AutoRemove".into(), json!(true));
        }
        if let Some(network) = opts.string("network")?.or(opts.string("network_mode")?) {
            host.insert("NetworkMode".into(), json!(network));
        }
        if opts.flag("privileged")? {
            host.insert("Privileged".into(), json!(true));
        }
        for (opt, field) in [
            ("cap_add", "CapAdd"),
            ("cap_drop", "CapDrop"),
            ("extra_hosts", "ExtraHosts"),
        ] {
            if let Some(list) = opts.strings(opt)? {
                host.insert(field.into(), json!(list));
            }
        }
        if let Some(mem) = opts.text("mem_limit")? {
            host.insert(
                "Memory".into(),
                json!(args::size(function, "mem_limit", &mem)?),
            );
        }
        if let Some(ports) = opts.table("ports")? {
            let (exposed, bindings) = ports_json(function, &ports)?;
            config.insert("ExposedPorts".into(), exposed);
            host.insert("PortBindings".into(), bindings);
        }
        if let Some(volumes) = opts.table("volumes")? {
            host.insert("Binds".into(), json!(binds(function, &volumes)?));
        }
        if let Some(policy) = opts.table("restart_policy")? {
            let field = |upper: &str, lower: &str| -> mlua::Result<Value> {
                match policy.raw_get::<Value>(upper)? {
                    Value::Nil => policy.raw_get(lower),
                    v => Ok(v),
                }
            };
            let name = match field("Name", "name")? {
                Value::String(s) => s.to_string_lossy(),
                _ => {
                    return Err(invalid(
                        function,
                        "bad option 'restart_policy' (needs a Name)",
                    ))
                }
            };
            let retries = match field("MaximumRetryCount", "maximum_retry_count")? {
                Value::Nil => None,
                v => Some(args::count(
                    function,
                    "option 'restart_policy.MaximumRetryCount'",
                    &v,
                )?),
            };
            host.insert(
                "RestartPolicy".into(),
                json!({ "Name": name, "MaximumRetryCount": retries.unwrap_or(0) }),
            );
        }
        config.insert("HostConfig".into(), Json::Object(host));

        let pull = match opts.string("pull")?.as_deref() {
            None | Some("missing") => Pull::Missing,
            Some("always") => Pull::Always,
            Some("never") => Pull::Never,
            Some(other) => {
                return Err(invalid(
                    function,
                    format!(
                    "bad option 'pull' ('missing', 'always' or 'never' expected, got '{other}')"
                ),
                ))
            }
        };
        Ok(Spec {
            image,
            command,
            name: match opts.raw("name")? {
                Value::Nil => None,
                v => Some(args::name(function, "name", &v, args::NameKind::Container)?),
            },
            platform: opts.string("platform")?,
            config: Json::Object(config),
            pull,
            detach,
            remove: remove || (auto_remove && !detach),
            stdout: opts.bool("stdout")?.unwrap_or(true),
            stderr: opts.flag("stderr")?,
            stream: run && opts.flag("stream")?,
            interactive: run && opts.flag("interactive")?,
        })
    }
}

/// A command: an array of strings, or a string split as a POSIX shell splits
/// words (quotes respected, nothing expanded).
pub(super) fn words(
    function: &str,
    name: &str,
    value: &Value,
) -> mlua::Result<Option<Vec<String>>> {
    match value {
        Value::Nil => Ok(None),
        Value::String(s) => {
            let text = s.to_string_lossy();
            shlex::split(&text).map(Some).ok_or_else(|| {
                invalid(
                    function,
                    format!("bad argument '{name}' (unbalanced quotes in '{text}')"),
                )
            })
        }
        Value::Table(t) => args::string_list(function, name, t).map(Some),
        other => Err(invalid(
            function,
            format!(
                "bad argument '{name}' (string or array expected, got {})",
                args::type_name(other)
            ),
        )),
    }
}

/// `{K = "v"}` or `{"K=v"}` to `["K=v"]`, sorted for a stable order.
pub(super) fn key_values(function: &str, name: &str, table: &Table) -> mlua::Result<Vec<String>> {
    if table.raw_len() > 0 {
        return args::string_list(function, name, table);
    }
    let mut out = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = args::string(function, name, &k)?;
        let value = match v {
            Value::String(s) => s.to_string_lossy(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Boolean(b) => b.to_string(),
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad '{name}' value for '{key}' (string expected, got {})",
                        args::type_name(&other)
                    ),
                ))
            }
        };
        out.push(format!("{key}={value}"));
    }
    out.sort();
    Ok(out)
}

fn labels_json(function: &str, table: &Table) -> mlua::Result<Json> {
    let mut map = Map::new();
    if table.raw_len() > 0 {
        for name in args::string_list(function, "labels", table)? {
            map.insert(name, json!(""));
        }
    } else {
        for kv in key_values(function, "labels", table)? {
            let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
            map.insert(k.to_owned(), json!(v));
        }
    }
    Ok(Json::Object(map))
}

/// `ports = {["80/tcp"] = 8080, ["53/udp"] = {"127.0.0.1", 53}, [22] = "127.0.0.1:2222"}`.
fn ports_json(function: &str, table: &Table) -> mlua::Result<(Json, Json)> {
    let mut exposed = Map::new();
    let mut bindings = Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let port = match k {
            Value::Integer(i) => format!("{i}/tcp"),
            Value::String(s) => {
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
                    format!("bad 'ports' key (got {})", args::type_name(&other)),
                ))
            }
        };
        let binding = |ip: &str, host_port: String| json!({ "HostIp": ip, "HostPort": host_port });
        let bound = match v {
            Value::Nil | Value::Boolean(false) => None,
            Value::Integer(p) => Some(vec![binding("", p.to_string())]),
            Value::String(s) => {
                let s = s.to_string_lossy();
                Some(vec![match s.rsplit_once(':') {
                    Some((ip, p)) => binding(ip, p.to_owned()),
                    None => binding("", s),
                }])
            }
            Value::Table(t) => {
                let ip: Option<String> = t.get(1)?;
                let p: Option<Value> = t.get(2)?;
                let p = match p {
                    Some(Value::Integer(p)) => p.to_string(),
                    Some(Value::String(s)) => s.to_string_lossy(),
                    _ => String::new(),
                };
                Some(vec![binding(ip.as_deref().unwrap_or(""), p)])
            }
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad 'ports' value for '{port}' (got {})",
                        args::type_name(&other)
                    ),
                ))
            }
        };
        exposed.insert(port.clone(), json!({}));
        if let Some(b) = bound {
            bindings.insert(port, json!(b));
        }
    }
    Ok((Json::Object(exposed), Json::Object(bindings)))
}

/// `volumes = {"/host:/ctr:ro"}` or `{["/host"] = {bind = "/ctr", mode = "ro"}}`.
fn binds(function: &str, table: &Table) -> mlua::Result<Vec<String>> {
    if table.raw_len() > 0 {
        return args::string_list(function, "volumes", table);
    }
    let mut out = Vec::new();
    for pair in table.pairs::<String, Table>() {
        let (source, spec) = pair.map_err(|_| {
            invalid(
                function,
                "bad option 'volumes' (array or map of tables expected)",
            )
        })?;
        let bind: String = spec.get("bind").map_err(|_| {
            invalid(
                function,
                format!("bad 'volumes' entry for '{source}' (needs bind)"),
            )
        })?;
        let mode: Option<String> = spec.get("mode")?;
        out.push(format!(
            "{source}:{bind}:{}",
            mode.as_deref().unwrap_or("rw")
        ));
    }
    out.sort();
    Ok(out)
}
