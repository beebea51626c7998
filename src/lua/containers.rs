//! `docker.containers` and the `Container` object.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::LocalBoxFuture;
use mlua::{Lua, MultiValue, Table, UserData, UserDataFields, UserDataMethods, Value};
use serde_json::{json, Map, Value as Json};

use super::args::{self, Opts};
use super::client::{filters_json, named_table, strip_self, Handle, JsonSource};
use super::error::{self, invalid, ContainerFailure, DockerError};
use super::{convert, images, iter};
use crate::engine::containers::{CommitOptions, ListOptions, LogsOptions};
use crate::engine::stream::LineSplitter;
use crate::engine::{Engine, ErrorKind, OutputStream, StreamKind};

const COLLECTION: &str = "ContainerCollection";

/// Options `create` knows, named as in the Python SDK.
const CREATE_OPTS: &[&str] = &[
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
const RUN_OPTS: &[&str] = &["detach", "remove", "stdout", "stderr"];

pub fn collection(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let t = named_table(lua, COLLECTION, &handle)?;
    let h = handle.clone();
    t.raw_set(
        "run",
        lua.create_async_function(move |lua, args: MultiValue| run(lua, h.clone(), args))?,
    )?;
    let h = handle.clone();
    t.raw_set(
        "create",
        lua.create_async_function(move |lua, args: MultiValue| {
            let h = h.clone();
            async move {
                let spec = Spec::parse("containers.create", strip_self(args, COLLECTION), false)?;
                let engine = h.engine()?;
                let id = create(&engine, &spec).await?;
                let attrs = engine.container_inspect(&id).await.map_err(error::engine)?;
                Container::new(h, attrs).into_lua(&lua)
            }
        })?,
    )?;
    let h = handle.clone();
    t.raw_set(
        "list",
        lua.create_async_function(move |lua, args: MultiValue| {
            let h = h.clone();
            async move {
                let args = strip_self(args, COLLECTION);
                let opts = Opts::new(
                    "containers.list",
                    args.into_iter().next().unwrap_or(Value::Nil),
                    &[
                        "all", "filters", "limit", "since", "before", "size", "sparse",
                    ],
                )?;
                let mut filters = filters_json(&opts, "filters")?.unwrap_or_else(|| json!({}));
                for legacy in ["since", "before"] {
                    if let Some(v) = opts.string(legacy)? {
                        filters[legacy] = json!([v]);
                    }
                }
                let list = ListOptions {
                    all: opts.flag("all")?,
                    limit: opts.integer("limit")?,
                    size: opts.flag("size")?,
                    filters: filters
                        .as_object()
                        .filter(|m| !m.is_empty())
                        .map(|_| filters.clone()),
                };
                let answer = h
                    .engine()?
                    .containers_list(&list)
                    .await
                    .map_err(error::engine)?;
                let items = answer.as_array().cloned().unwrap_or_default();
                let out = lua.create_table_with_capacity(items.len(), 0)?;
                for (i, attrs) in items.into_iter().enumerate() {
                    out.raw_set(i + 1, Container::new(h.clone(), attrs).into_lua(&lua)?)?;
                }
                Ok(out)
            }
        })?,
    )?;
    let h = handle;
    t.raw_set(
        "get",
        lua.create_async_function(move |lua, args: MultiValue| {
            let h = h.clone();
            async move {
                let args = strip_self(args, COLLECTION);
                let id = args::string(
                    "containers.get",
                    "id_or_name",
                    args.front().unwrap_or(&Value::Nil),
                )?;
                let attrs = h
                    .engine()?
                    .container_inspect(&id)
                    .await
                    .map_err(error::engine)?;
                Container::new(h, attrs).into_lua(&lua)
            }
        })?,
    )?;
    Ok(t)
}

/// A parsed `create`/`run` call.
struct Spec {
    image: String,
    command: Option<Vec<String>>,
    name: Option<String>,
    platform: Option<String>,
    /// The create body.
    config: Json,
    pull: Pull,
    detach: bool,
    remove: bool,
    stdout: bool,
    stderr: bool,
}

#[derive(PartialEq)]
enum Pull {
    Missing,
    Always,
    Never,
}

impl Spec {
    fn parse(function: &'static str, args: MultiValue, run: bool) -> mlua::Result<Spec> {
        let mut args = args.into_iter();
        let image = args::string(function, "image", &args.next().unwrap_or(Value::Nil))?;
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
        if let Some(v) = opts.integer("stop_timeout")? {
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
            host.insert("Memory".into(), json!(parse_size(function, &mem)?));
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
            let name: Option<String> = policy.get("Name").or_else(|_| policy.get("name")).ok();
            let retries: Option<i64> = policy
                .get("MaximumRetryCount")
                .or_else(|_| policy.get("maximum_retry_count"))
                .ok();
            let Some(name) = name else {
                return Err(invalid(
                    function,
                    "bad option 'restart_policy' (needs a Name)",
                ));
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
            name: opts.string("name")?,
            platform: opts.string("platform")?,
            config: Json::Object(config),
            pull,
            detach,
            remove: remove || (auto_remove && !detach),
            stdout: opts.bool("stdout")?.unwrap_or(true),
            stderr: opts.flag("stderr")?,
        })
    }
}

/// A command: an array of strings, or a string split as a POSIX shell splits
/// words (quotes respected, nothing expanded).
fn words(function: &str, name: &str, value: &Value) -> mlua::Result<Option<Vec<String>>> {
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
fn key_values(function: &str, name: &str, table: &Table) -> mlua::Result<Vec<String>> {
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

/// "512m", "1g", 1048576 to bytes.
fn parse_size(function: &str, text: &str) -> mlua::Result<i64> {
    let lower = text.trim().to_lowercase();
    let (digits, unit) = lower.split_at(
        lower
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lower.len()),
    );
    let n: i64 = digits
        .parse()
        .map_err(|_| invalid(function, format!("bad size '{text}'")))?;
    let mult = match unit.trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return Err(invalid(function, format!("bad size '{text}'"))),
    };
    Ok(n * mult)
}

/// Creates the container, pulling its image first when it is missing (or
/// always, as asked). Answers the new id.
async fn create(engine: &Engine, spec: &Spec) -> mlua::Result<String> {
    if spec.pull == Pull::Always {
        images::pull_for_run(engine, &spec.image, spec.platform.as_deref()).await?;
    }
    let attempt =
        || engine.container_create(spec.name.as_deref(), spec.platform.as_deref(), &spec.config);
    let answer = match attempt().await {
        Err(e) if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Missing => {
            eprintln!(
                "Unable to find image '{}' locally",
                images::with_tag(&spec.image)
            );
            images::pull_for_run(engine, &spec.image, spec.platform.as_deref()).await?;
            attempt().await
        }
        other => other,
    }
    .map_err(|e| {
        if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Never {
            error::engine(crate::engine::Error {
                message: format!("{} (and pull = \"never\")", e.message),
                ..e
            })
        } else {
            error::engine(e)
        }
    })?;
    answer
        .get("Id")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            error::engine(crate::engine::Error::new(
                ErrorKind::Api,
                "create answered no id",
            ))
        })
}

async fn run(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<Value> {
    let spec = Spec::parse("containers.run", strip_self(args, COLLECTION), true)?;
    let engine = handle.engine()?;
    let id = create(&engine, &spec).await?;
    if spec.detach {
        engine.container_start(&id).await.map_err(error::engine)?;
        let attrs = engine.container_inspect(&id).await.map_err(error::engine)?;
        return Container::new(handle, attrs).into_lua(&lua);
    }
    // Cancelled mid-run (Ctrl-C), the container is killed, and removed if
    // asked, rather than left running unseen.
    let mut guard = CancelGuard {
        engine: Some(engine.clone()),
        id: id.clone(),
        remove: spec.remove,
    };
    let result = run_attached(&engine, &id, &spec).await;
    guard.engine = None;
    if spec.remove {
        // Removed whatever happened, so that a failed run leaves nothing.
        let _ = engine.container_remove(&id, true, false).await;
    }
    let (stdout, stderr, exit) = result?;
    if exit != 0 {
        return Err(DockerError {
            kind: "ContainerError",
            status: None,
            message: format!("exit status {exit}"),
            container: Some(ContainerFailure {
                exit_status: exit,
                stderr: String::from_utf8_lossy(&stderr).into_owned(),
                command: spec
                    .command
                    .map(|c| {
                        shlex::try_join(c.iter().map(String::as_str))
                            .unwrap_or_else(|_| c.join(" "))
                    })
                    .unwrap_or_default(),
                image: spec.image,
            }),
            errors: Vec::new(),
        }
        .into());
    }
    let mut output = if spec.stdout { stdout } else { Vec::new() };
    if spec.stderr {
        output.extend_from_slice(&stderr);
    }
    Ok(Value::String(lua.create_string(&output)?))
}

thread_local! {
    /// Clean-ups started by cancelled calls, for [`finish_cleanups`].
    static CLEANUPS: std::cell::RefCell<Vec<tokio::task::JoinHandle<()>>> = Default::default();
}

struct CancelGuard {
    /// `None` once the run is over.
    engine: Option<Engine>,
    id: String,
    remove: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        let (id, remove) = (std::mem::take(&mut self.id), self.remove);
        let task = tokio::task::spawn_local(async move {
            let _ = if remove {
                engine.container_remove(&id, true, false).await
            } else {
                engine.container_kill(&id, None).await
            };
        });
        CLEANUPS.with(|c| c.borrow_mut().push(task));
    }
}

/// Waits (a bounded time) for the clean-ups of cancelled runs, so that a
/// program ending on Ctrl-C does not leave their containers behind.
pub async fn finish_cleanups() {
    let tasks = CLEANUPS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    let all = futures_util::future::join_all(tasks);
    let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
}

/// Starts a created container, waits for its exit, and reads its output.
async fn run_attached(
    engine: &Engine,
    id: &str,
    spec: &Spec,
) -> mlua::Result<(Vec<u8>, Vec<u8>, i64)> {
    // Ask for the exit before starting, so that a fast exit is not missed.
    let wait = engine
        .container_wait_begin(id, Some("next-exit"))
        .await
        .map_err(error::engine)?;
    engine.container_start(id).await.map_err(error::engine)?;
    let status = wait.finish().await.map_err(error::engine)?;
    if let Some(message) = status.pointer("/Error/Message").and_then(Json::as_str) {
        if !message.is_empty() {
            return Err(error::engine(crate::engine::Error::new(
                ErrorKind::Api,
                message,
            )));
        }
    }
    let exit = status
        .get("StatusCode")
        .and_then(Json::as_i64)
        .unwrap_or(-1);
    let tty = spec
        .config
        .get("Tty")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let logs = LogsOptions::default();
    let stream = engine
        .container_logs(id, &logs, tty)
        .await
        .map_err(error::engine)?;
    let (out, err) = stream.collect().await.map_err(error::engine)?;
    Ok((out, err, exit))
}

/// A live container: its id, the engine it is on, and the last attributes
/// the engine gave (from a list or an inspect).
pub struct Container {
    handle: Handle,
    id: String,
    attrs: RefCell<Json>,
}

impl Container {
    pub fn new(handle: Handle, attrs: Json) -> Self {
        let id = attrs
            .get("Id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        Container {
            handle,
            id,
            attrs: RefCell::new(attrs),
        }
    }

    pub fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        lua.create_userdata(self).map(Value::UserData)
    }

    fn name(&self) -> String {
        let attrs = self.attrs.borrow();
        // Podman's list entries have `Name: ""` next to `Names`.
        let name = attrs
            .get("Name")
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| attrs.pointer("/Names/0").and_then(Json::as_str))
            .unwrap_or_default();
        name.trim_start_matches('/').to_owned()
    }

    fn status(&self) -> String {
        let attrs = self.attrs.borrow();
        // Inspect has State.Status; a list entry has State as a string.
        let status = attrs
            .pointer("/State/Status")
            .or_else(|| attrs.get("State").filter(|s| s.is_string()))
            .and_then(Json::as_str)
            .unwrap_or_default();
        // Podman's own states, in Docker's words: "stopped" is exited but
        // not yet cleaned up, "configured" is created but not initialised.
        match status {
            "stopped" => "exited",
            "configured" => "created",
            other => other,
        }
        .to_owned()
    }

    fn image(&self) -> String {
        let attrs = self.attrs.borrow();
        attrs
            .pointer("/Config/Image")
            .or_else(|| attrs.get("Image"))
            .and_then(Json::as_str)
            .map(crate::engine::images::familiar_name)
            .unwrap_or_default()
            .to_owned()
    }

    fn labels(&self) -> Json {
        let attrs = self.attrs.borrow();
        attrs
            .pointer("/Config/Labels")
            .or_else(|| attrs.get("Labels"))
            .cloned()
            .unwrap_or_else(|| json!({}))
    }

    fn tty(&self) -> Option<bool> {
        self.attrs
            .borrow()
            .pointer("/Config/Tty")
            .and_then(Json::as_bool)
    }

    fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }

    async fn reload(&self) -> mlua::Result<()> {
        let attrs = self
            .handle
            .engine()?
            .container_inspect(&self.id)
            .await
            .map_err(error::engine)?;
        *self.attrs.borrow_mut() = attrs;
        Ok(())
    }
}

const MEMBERS: &[&str] = &[
    "id",
    "short_id",
    "name",
    "image",
    "status",
    "labels",
    "attrs",
    "reload",
    "start",
    "stop",
    "restart",
    "kill",
    "pause",
    "unpause",
    "remove",
    "wait",
    "logs",
    "commit",
    "exec",
    "top",
    "stats",
    "rename",
    "put_archive",
    "get_archive",
];

/// `opts` for a method with a `timeout` only.
fn timeout_opt(function: &'static str, value: Value) -> mlua::Result<Option<i64>> {
    Opts::new(function, value, &["timeout"])?.integer("timeout")
}

impl UserData for Container {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("id", |_, this| Ok(this.id.clone()));
        fields.add_field_method_get("short_id", |_, this| Ok(this.short_id().to_owned()));
        fields.add_field_method_get("name", |_, this| Ok(this.name()));
        fields.add_field_method_get("image", |_, this| Ok(this.image()));
        fields.add_field_method_get("status", |_, this| Ok(this.status()));
        fields.add_field_method_get("labels", |lua, this| convert::to_lua(lua, &this.labels()));
        fields.add_field_method_get("attrs", |lua, this| {
            convert::to_lua(lua, &this.attrs.borrow())
        });
        fields.add_meta_field("__name", "Container");
        fields.add_meta_field_with("__members", |lua| {
            lua.create_sequence_from(MEMBERS.iter().copied())
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(format!(
                "<Container {} {} {}>",
                this.short_id(),
                this.name(),
                this.status()
            ))
        });
        methods.add_meta_method("__eq", |_, this, other: mlua::UserDataRef<Container>| {
            Ok(this.id == other.id)
        });

        methods.add_async_method("reload", |_, this, ()| async move { this.reload().await });
        methods.add_async_method("start", |_, this, ()| async move {
            this.handle
                .engine()?
                .container_start(&this.id)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("stop", |_, this, opts: Value| async move {
            let timeout = timeout_opt("Container:stop", opts)?;
            this.handle
                .engine()?
                .container_stop(&this.id, timeout)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("restart", |_, this, opts: Value| async move {
            let timeout = timeout_opt("Container:restart", opts)?;
            this.handle
                .engine()?
                .container_restart(&this.id, timeout)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("kill", |_, this, signal: Value| async move {
            let signal = match signal {
                Value::Nil => None,
                Value::String(s) => Some(s.to_string_lossy()),
                Value::Integer(i) => Some(i.to_string()),
                other => {
                    return Err(invalid(
                        "Container:kill",
                        format!(
                            "bad argument 'signal' (string or integer expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            let engine = this.handle.engine()?;
            engine
                .container_kill(&this.id, signal.as_deref())
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("pause", |_, this, ()| async move {
            this.handle
                .engine()?
                .container_pause(&this.id)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("unpause", |_, this, ()| async move {
            this.handle
                .engine()?
                .container_unpause(&this.id)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("rename", |_, this, name: Value| async move {
            let name = args::string("Container:rename", "name", &name)?;
            this.handle
                .engine()?
                .container_rename(&this.id, &name)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_async_method("remove", |_, this, opts: Value| async move {
            let opts = Opts::new("Container:remove", opts, &["force", "volumes", "v"])?;
            let volumes = opts.flag("volumes")? || opts.flag("v")?;
            let engine = this.handle.engine()?;
            engine
                .container_remove(&this.id, opts.flag("force")?, volumes)
                .await
                .map_err(error::engine)
        });
        methods.add_async_method("wait", |lua, this, opts: Value| async move {
            let opts = Opts::new("Container:wait", opts, &["condition", "timeout"])?;
            let condition = opts.string("condition")?;
            if let Some(c) = &condition {
                if !["not-running", "next-exit", "removed"].contains(&c.as_str()) {
                    return Err(invalid(
                        "Container:wait",
                        format!("bad option 'condition' (got '{c}')"),
                    ));
                }
            }
            let engine = this.handle.engine()?;
            let wait = engine.container_wait(&this.id, condition.as_deref());
            let timeout = match opts.number("timeout")? {
                None => None,
                Some(secs) if secs >= 0.0 => Duration::try_from_secs_f64(secs).ok(),
                Some(secs) => {
                    return Err(invalid(
                        "Container:wait",
                        format!("bad option 'timeout' (non-negative seconds expected, got {secs})"),
                    ))
                }
            };
            let answer = match timeout {
                None => wait.await,
                Some(limit) => match tokio::time::timeout(limit, wait).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        return Err(DockerError::new(
                            "Timeout",
                            format!(
                                "Container:wait: container {} not done after {} s",
                                this.short_id(),
                                limit.as_secs_f64()
                            ),
                        )
                        .into())
                    }
                },
            }
            .map_err(error::engine)?;
            let out = lua.create_table()?;
            out.set(
                "status_code",
                answer
                    .get("StatusCode")
                    .and_then(Json::as_i64)
                    .unwrap_or(-1),
            )?;
            let message = answer
                .pointer("/Error/Message")
                .and_then(Json::as_str)
                .filter(|m| !m.is_empty());
            out.set("error", message)?;
            Ok(out)
        });
        methods.add_async_method("logs", |lua, this, opts: Value| async move {
            logs(lua, &this, opts).await
        });
        methods.add_async_method("commit", |lua, this, args: MultiValue| async move {
            let opts = commit_options(args)?;
            let engine = this.handle.engine()?;
            let answer = engine
                .container_commit(&this.id, &opts)
                .await
                .map_err(error::engine)?;
            let id = answer.get("Id").and_then(Json::as_str).unwrap_or_default();
            let attrs = engine.image_inspect(id).await.map_err(error::engine)?;
            images::Image::new(this.handle.clone(), attrs).into_lua(&lua)
        });
        methods.add_async_method(
            "exec",
            |lua, this, (command, opts): (Value, Value)| async move {
                exec(lua, &this, command, opts).await
            },
        );
        methods.add_async_method("top", |lua, this, ps_args: Value| async move {
            let ps_args = match ps_args {
                Value::Nil => None,
                v => Some(args::string("Container:top", "ps_args", &v)?),
            };
            let engine = this.handle.engine()?;
            let answer = engine
                .container_top(&this.id, ps_args.as_deref())
                .await
                .map_err(error::engine)?;
            convert::to_lua(&lua, &answer)
        });
        methods.add_async_method("stats", |lua, this, opts: Value| async move {
            // `decode` is accepted for the Python SDK's sake: samples are
            // always tables here.
            let opts = Opts::new("Container:stats", opts, &["stream", "decode"])?;
            let engine = this.handle.engine()?;
            if opts.flag("stream")? {
                let stream = engine
                    .container_stats_stream(&this.id)
                    .await
                    .map_err(error::engine)?;
                return iter::for_values(&lua, "StatsStream", JsonSource(stream));
            }
            let answer = engine
                .container_stats(&this.id)
                .await
                .map_err(error::engine)?;
            Ok(MultiValue::from_iter([convert::to_lua(&lua, &answer)?]))
        });
        methods.add_async_method(
            "put_archive",
            |_, this, (path, data): (Value, Value)| async move {
                let path = args::string("Container:put_archive", "path", &path)?;
                let Value::String(data) = data else {
                    return Err(invalid(
                        "Container:put_archive",
                        "bad argument 'data' (tar data as a string expected)",
                    ));
                };
                let engine = this.handle.engine()?;
                let tar = Bytes::copy_from_slice(&data.as_bytes());
                engine
                    .container_put_archive(&this.id, &path, tar)
                    .await
                    .map_err(error::engine)?;
                Ok(true)
            },
        );
        methods.add_async_method("get_archive", |lua, this, path: Value| async move {
            let path = args::string("Container:get_archive", "path", &path)?;
            let engine = this.handle.engine()?;
            let (tar, stat) = engine
                .container_get_archive(&this.id, &path)
                .await
                .map_err(error::engine)?;
            Ok((lua.create_string(&tar)?, convert::to_lua(&lua, &stat)?))
        });
    }
}

fn commit_options(args: MultiValue) -> mlua::Result<CommitOptions> {
    const F: &str = "Container:commit";
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Nil);
    if let Value::Table(_) = first {
        let opts = Opts::new(
            F,
            first,
            &[
                "repository",
                "tag",
                "message",
                "author",
                "changes",
                "pause",
                "conf",
            ],
        )?;
        return Ok(CommitOptions {
            repository: opts.string("repository")?,
            tag: opts.string("tag")?,
            message: opts.string("message")?,
            author: opts.string("author")?,
            changes: opts.strings("changes")?.unwrap_or_default(),
            pause: opts.bool("pause")?,
        });
    }
    let optional = |name: &str, v: Value| match v {
        Value::Nil => Ok(None),
        v => args::string(F, name, &v).map(Some),
    };
    Ok(CommitOptions {
        repository: optional("repository", first)?,
        tag: optional("tag", args.next().unwrap_or(Value::Nil))?,
        ..CommitOptions::default()
    })
}

async fn tty_of(this: &Container) -> mlua::Result<bool> {
    if let Some(tty) = this.tty() {
        return Ok(tty);
    }
    // A list entry does not say; ask once and keep the answer.
    this.reload().await?;
    Ok(this.tty().unwrap_or(false))
}

async fn logs(lua: Lua, this: &Container, opts: Value) -> mlua::Result<MultiValue> {
    const F: &str = "Container:logs";
    let opts = Opts::new(
        F,
        opts,
        &[
            "stdout",
            "stderr",
            "timestamps",
            "tail",
            "since",
            "until",
            "follow",
            "stream",
        ],
    )?;
    let follow = opts.flag("follow")?;
    let streamed = follow || opts.flag("stream")?;
    let tail = opts.text("tail")?;
    if let Some(t) = &tail {
        if t != "all" && t.parse::<u64>().is_err() {
            return Err(invalid(
                F,
                format!("bad option 'tail' (a count or \"all\" expected, got '{t}')"),
            ));
        }
    }
    let options = LogsOptions {
        stdout: opts.bool("stdout")?.unwrap_or(true),
        stderr: opts.bool("stderr")?.unwrap_or(true),
        follow,
        timestamps: opts.flag("timestamps")?,
        tail,
        since: opts.text("since")?,
        until: opts.text("until")?,
    };
    let tty = tty_of(this).await?;
    let engine = this.handle.engine()?;
    let stream = engine
        .container_logs(&this.id, &options, tty)
        .await
        .map_err(error::engine)?;
    if streamed {
        let mut lines = Lines::new(stream);
        // With `until`, the stream ends at that time, not with the container.
        if follow && options.until.is_none() {
            lines.recheck = Some(Recheck {
                engine,
                id: this.id.clone(),
                options: LogsOptions {
                    follow: false,
                    tail: Some("1".into()),
                    since: None,
                    until: None,
                    ..options
                },
                tty,
            });
        }
        return iter::for_values(&lua, "LogStream", lines);
    }
    let mut output = Vec::new();
    let mut stream = stream;
    while let Some((_, piece)) = stream.next().await.map_err(error::engine)? {
        output.extend_from_slice(&piece);
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&output)?,
    )]))
}

/// Lines of output with their stream name, as they arrive.
pub struct Lines {
    stream: OutputStream,
    splitter: LineSplitter,
    ended: bool,
    recheck: Option<Recheck>,
}

/// Followed logs can end without a last line that has no newline: the engine
/// (20.10, json-file; `docker logs -f` too) ends the stream when the container
/// stops, before it has logged the unfinished line. After the end, the last
/// log entry is fetched once more and yielded if it is such a line.
struct Recheck {
    engine: Engine,
    id: String,
    /// `tail = 1`, not followed.
    options: LogsOptions,
    tty: bool,
}

impl Recheck {
    /// The pieces of the last log entry when it does not end a line.
    async fn unfinished_line(self) -> mlua::Result<Vec<(StreamKind, Bytes)>> {
        let mut stream = self
            .engine
            .container_logs(&self.id, &self.options, self.tty)
            .await
            .map_err(error::engine)?;
        let mut pieces = Vec::new();
        while let Some(piece) = stream.next().await.map_err(error::engine)? {
            pieces.push(piece);
        }
        let unfinished = pieces.last().is_some_and(|(_, b)| !b.ends_with(b"\n"));
        Ok(if unfinished { pieces } else { Vec::new() })
    }
}

impl Lines {
    pub fn new(stream: OutputStream) -> Self {
        Lines {
            stream,
            splitter: LineSplitter::new(),
            ended: false,
            recheck: None,
        }
    }
}

impl iter::Source for Lines {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            loop {
                let line = if self.ended {
                    self.splitter.finish()
                } else {
                    self.splitter.next_line()
                };
                if let Some((kind, line)) = line {
                    return Ok(Some(MultiValue::from_iter([
                        Value::String(lua.create_string(&line)?),
                        Value::String(lua.create_string(kind.name())?),
                    ])));
                }
                if self.ended {
                    return Ok(None);
                }
                match self.stream.next().await.map_err(error::engine)? {
                    Some((kind, piece)) => self.splitter.push(kind, piece),
                    None => {
                        self.ended = true;
                        if let Some(recheck) = self.recheck.take() {
                            // Had the stream brought the unfinished line, it
                            // would be pending now.
                            if !self.splitter.has_partial() {
                                for (kind, piece) in recheck.unfinished_line().await? {
                                    self.splitter.push(kind, piece);
                                }
                            }
                        }
                    }
                }
            }
        })
    }
}

async fn exec(lua: Lua, this: &Container, command: Value, opts: Value) -> mlua::Result<MultiValue> {
    const F: &str = "Container:exec";
    let Some(cmd) = words(F, "command", &command)? else {
        return Err(invalid(
            F,
            "bad argument 'command' (string or array expected, got nil)",
        ));
    };
    let opts = Opts::new(
        F,
        opts,
        &[
            "user",
            "environment",
            "working_dir",
            "stdout",
            "stderr",
            "tty",
            "privileged",
            "stream",
            "stdin",
        ],
    )?;
    let tty = opts.flag("tty")?;
    let want_out = opts.bool("stdout")?.unwrap_or(true);
    let want_err = opts.bool("stderr")?.unwrap_or(true);
    let streamed = opts.flag("stream")?;
    let stdin = match opts.raw("stdin")? {
        Value::Nil => None,
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad option 'stdin' (string expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    let mut config = json!({
        "Cmd": cmd,
        "AttachStdin": stdin.is_some(),
        "AttachStdout": want_out,
        "AttachStderr": want_err,
        "Tty": tty,
        "Privileged": opts.flag("privileged")?,
    });
    if let Some(user) = opts.string("user")? {
        config["User"] = json!(user);
    }
    if let Some(dir) = opts.string("working_dir")? {
        config["WorkingDir"] = json!(dir);
    }
    if let Some(env) = opts.table("environment")? {
        config["Env"] = json!(key_values(F, "environment", &env)?);
    }
    let engine = this.handle.engine()?;
    let exec_id = engine
        .exec_create(&this.id, &config)
        .await
        .map_err(error::engine)?;
    let mut stream = engine
        .exec_start(&exec_id, tty, stdin)
        .await
        .map_err(error::engine)?;
    if streamed {
        let exit_code = Rc::new(Cell::new(None));
        let source = ExecLines {
            lines: Lines::new(stream),
            engine,
            exec_id,
            exit_code: exit_code.clone(),
        };
        return iter::for_values_with_exit(&lua, "ExecStream", source, exit_code);
    }
    let mut output = Vec::new();
    while let Some((kind, piece)) = stream.next().await.map_err(error::engine)? {
        if (kind == StreamKind::Stderr && want_err) || (kind != StreamKind::Stderr && want_out) {
            output.extend_from_slice(&piece);
        }
    }
    let out = lua.create_table()?;
    out.set("exit_code", exec_exit_code(&engine, &exec_id).await?)?;
    out.set("output", lua.create_string(&output)?)?;
    Ok(MultiValue::from_iter([Value::Table(out)]))
}

/// The exit code of an exec whose output has ended. The engine may close the
/// output a moment before it records the exit, so ask again briefly.
async fn exec_exit_code(engine: &Engine, exec_id: &str) -> mlua::Result<Option<i64>> {
    for _ in 0..50 {
        let inspect = engine.exec_inspect(exec_id).await.map_err(error::engine)?;
        let running = inspect.get("Running").and_then(Json::as_bool);
        let code = inspect.get("ExitCode").and_then(Json::as_i64);
        if running != Some(true) && code.is_some() {
            return Ok(code);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}

/// A streamed exec: its output lines, then its exit code on the stream.
struct ExecLines {
    lines: Lines,
    engine: Engine,
    exec_id: String,
    exit_code: Rc<Cell<Option<i64>>>,
}

impl iter::Source for ExecLines {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            let step = iter::Source::next(&mut self.lines, lua).await?;
            if step.is_none() {
                self.exit_code
                    .set(exec_exit_code(&self.engine, &self.exec_id).await?);
            }
            Ok(step)
        })
    }
}
