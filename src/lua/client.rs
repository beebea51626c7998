//! Clients: the default `docker` table and those of `docker.connect`,
//! `docker.from_env` and `docker.context`; `docker.contexts()`. A client is
//! a plain table of functions bound to one engine handle; the engine is
//! resolved on first use. Every client of a state shares its write mode
//! (`--dry-run`/`--read-only`), kept in the state's app data.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::args::{self, Opts};
use super::error::{self, invalid};
use super::{
    api, configs, containers, convert, host, images, iter, lazy, networks, nodes, resource,
    secrets, services, swarm, tasks, volumes,
};
use crate::engine::host::{self as engine_host, HostChoice};
use crate::engine::{redact, ConnectOptions, Engine, JsonStream, TlsFiles, WriteMode};

/// Where a client's engine is, and the engine once made.
#[derive(Clone)]
pub struct Handle(Rc<HandleInner>);

struct HandleInner {
    source: Source,
    mode: WriteMode,
    engine: RefCell<Option<Engine>>,
}

enum Source {
    Env(HostChoice),
    Url {
        url: String,
        opts: ConnectOptions,
    },
    /// A named context; `default` is the flags' or `DOCKER_HOST`'s engine.
    Context {
        name: String,
        host: Option<String>,
    },
}

/// What the command line set for every client of a Lua state.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub choice: HostChoice,
    pub mode: WriteMode,
}

impl Handle {
    fn new(source: Source, mode: WriteMode) -> Self {
        Handle(Rc::new(HandleInner {
            source,
            mode,
            engine: RefCell::new(None),
        }))
    }

    pub fn from_env(choice: HostChoice, mode: WriteMode) -> Self {
        Handle::new(Source::Env(choice), mode)
    }

    pub fn from_url(url: String, opts: ConnectOptions, mode: WriteMode) -> Self {
        Handle::new(Source::Url { url, opts }, mode)
    }

    pub fn from_context(name: String, host: Option<String>, mode: WriteMode) -> Self {
        Handle::new(Source::Context { name, host }, mode)
    }

    /// The engine, made on first use (so that a bad `DOCKER_HOST` is reported
    /// by the first call, not at start-up).
    pub fn engine(&self) -> mlua::Result<Engine> {
        if let Some(engine) = self.0.engine.borrow().as_ref() {
            return Ok(engine.clone());
        }
        let (engine, label) = match &self.0.source {
            Source::Env(choice) => {
                let (url, tls) = engine_host::resolve_engine(choice).map_err(error::engine)?;
                (Engine::connect_tls(&url, None, tls.as_ref()), None)
            }
            Source::Url { url, opts } => {
                (Engine::connect_with(url, opts.clone()), Some(redact(url)))
            }
            Source::Context { name, host } => {
                let (url, tls) =
                    engine_host::context_engine(name, host.as_deref()).map_err(error::engine)?;
                (
                    Engine::connect_tls(&url, None, tls.as_ref()),
                    Some(name.clone()),
                )
            }
        };
        let engine = engine.map_err(error::engine)?.with_mode(self.0.mode, label);
        *self.0.engine.borrow_mut() = Some(engine.clone());
        Ok(engine)
    }

    /// The engine address without connecting (for banners and `tostring`),
    /// a password in it hidden.
    pub fn describe(&self) -> String {
        match &self.0.source {
            Source::Env(choice) => engine_host::resolve_host(choice)
                .map(|url| redact(&url))
                .unwrap_or_else(|e| e.message),
            Source::Url { url, .. } => redact(url),
            Source::Context { name, host } => engine_host::context_engine(name, host.as_deref())
                .map(|(url, _)| redact(&url))
                .unwrap_or_else(|e| e.message),
        }
    }
}

/// Drops a leading `self` so that both `docker.ping()` and `docker:ping()`
/// work: a first argument that is a table of the given kind.
pub fn strip_self(mut args: MultiValue, kind: &str) -> MultiValue {
    if let Some(Value::Table(t)) = args.front() {
        let is_self = t
            .metatable()
            .and_then(|mt| mt.raw_get::<String>("__name").ok())
            .is_some_and(|name| name == kind);
        if is_self {
            args.pop_front();
        }
    }
    args
}

/// A function of a client, collection or `swarm` table bound to `state`
/// (the [`Handle`], or the table's own). It gets its arguments without a
/// leading `self` of that table's kind, so that both
/// `docker.containers.list()` and `docker.containers:list()` work.
pub fn bound<S, F, Fut, R>(lua: &Lua, state: &S, kind: &'static str, f: F) -> mlua::Result<Function>
where
    S: Clone + 'static,
    F: Fn(Lua, S, MultiValue) -> Fut + 'static,
    Fut: std::future::Future<Output = mlua::Result<R>> + 'static,
    R: IntoLuaMulti,
{
    let state = state.clone();
    lazy::async_function(lua, move |lua, args: MultiValue| {
        f(lua, state.clone(), strip_self(args, kind))
    })
}

/// A table with a named metatable (so `strip_self` and `tostring` know it);
/// `tostring` names the engine, resolved only when asked.
pub fn named_table(lua: &Lua, name: &'static str, handle: &Handle) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let mt = lua.create_table()?;
    mt.raw_set("__name", name)?;
    let handle = handle.clone();
    let tostring =
        lua.create_function(move |_, _: Value| Ok(format!("<{name} {}>", handle.describe())))?;
    mt.raw_set("__tostring", tostring)?;
    table.set_metatable(Some(mt))?;
    Ok(table)
}

/// Builds a client table for `handle`.
pub fn client_table(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let client = named_table(lua, "DockerClient", &handle)?;
    client.raw_set(
        "containers",
        resource::collection::<containers::Container>(lua, &handle)?,
    )?;
    client.raw_set(
        "images",
        resource::collection::<images::Image>(lua, &handle)?,
    )?;
    client.raw_set("swarm", swarm::table(lua, &handle)?)?;
    client.raw_set(
        "services",
        resource::collection::<services::Service>(lua, &handle)?,
    )?;
    client.raw_set("nodes", resource::collection::<nodes::Node>(lua, &handle)?)?;
    client.raw_set(
        "secrets",
        resource::collection::<secrets::Secret>(lua, &handle)?,
    )?;
    client.raw_set(
        "configs",
        resource::collection::<configs::Config>(lua, &handle)?,
    )?;
    client.raw_set(
        "networks",
        resource::collection::<networks::Network>(lua, &handle)?,
    )?;
    client.raw_set(
        "volumes",
        resource::collection::<volumes::Volume>(lua, &handle)?,
    )?;

    const CLIENT: &str = "DockerClient";
    client.raw_set("ping", bound(lua, &handle, CLIENT, ping)?)?;
    client.raw_set("version", bound(lua, &handle, CLIENT, version)?)?;
    client.raw_set("info", bound(lua, &handle, CLIENT, info)?)?;
    client.raw_set("events", bound(lua, &handle, CLIENT, events)?)?;
    client.raw_set("login", bound(lua, &handle, CLIENT, login)?)?;
    client.raw_set("df", bound(lua, &handle, CLIENT, df)?)?;
    client.raw_set("api", bound(lua, &handle, CLIENT, api::api)?)?;
    install_helpers(lua, &client)?;
    super::compose::install(lua, &client, &handle)?;
    Ok(client)
}

async fn ping(_: Lua, h: Handle, _: MultiValue) -> mlua::Result<bool> {
    h.engine()?.ping().await.map_err(error::engine)?;
    Ok(true)
}

async fn version(lua: Lua, h: Handle, _: MultiValue) -> mlua::Result<Value> {
    let answer = h.engine()?.version().await.map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

async fn info(lua: Lua, h: Handle, _: MultiValue) -> mlua::Result<Value> {
    let answer = h.engine()?.info().await.map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

async fn df(lua: Lua, h: Handle, _: MultiValue) -> mlua::Result<Value> {
    let answer = h.engine()?.df().await.map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

/// `docker.login{username, password [, registry]}`: checked by the engine,
/// then used for this client's later pulls, pushes and builds.
async fn login(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "login";
    let opts = Opts::new(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        &["username", "password", "registry"],
    )?;
    let username = opts
        .string("username")?
        .ok_or_else(|| invalid(F, "missing option 'username'"))?;
    let password = opts
        .string("password")?
        .ok_or_else(|| invalid(F, "missing option 'password'"))?;
    let registry = opts.string("registry")?;
    let answer = h
        .engine()?
        .login(&username, &password, registry.as_deref())
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

async fn events(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    let opts = Opts::new(
        "events",
        args.into_iter().next().unwrap_or(Value::Nil),
        &["filters", "since", "until", "decode"],
    )?;
    let filters = filters_json(&opts, "filters")?;
    let since = opts.time("since")?;
    let until = opts.time("until")?;
    let stream = h
        .engine()?
        .events(since.as_deref(), until.as_deref(), filters.as_ref())
        .await
        .map_err(error::engine)?;
    iter::for_values(&lua, "EventStream", JsonSource(stream))
}

/// JSON values of a stream, one per loop step.
pub struct JsonSource(pub JsonStream);

impl iter::Source for JsonSource {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> futures_util::future::LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            match self.0.next().await.map_err(error::engine)? {
                Some(value) => Ok(Some(MultiValue::from_iter([convert::to_lua(lua, &value)?]))),
                None => Ok(None),
            }
        })
    }
}

/// `connect`, `from_env`, the task functions and `json`, on every client.
fn install_helpers(lua: &Lua, client: &Table) -> mlua::Result<()> {
    client.raw_set(
        "connect",
        lua.create_function(|lua, args: MultiValue| {
            let mut args = strip_self(args, "DockerClient").into_iter();
            let url = args::string("connect", "url", &args.next().unwrap_or(Value::Nil))?;
            let opts = Opts::new(
                "connect",
                args.next().unwrap_or(Value::Nil),
                &["version", "tls", "timeout"],
            )?;
            let tls = match opts.table("tls")? {
                Some(t) => {
                    let tls = Opts::new("connect", Value::Table(t), &["ca", "cert", "key"])?;
                    let path = |name| Ok::<_, mlua::Error>(tls.string(name)?.map(Into::into));
                    Some(TlsFiles {
                        ca: path("ca")?,
                        cert: path("cert")?,
                        key: path("key")?,
                    })
                }
                None => None,
            };
            let options = ConnectOptions {
                api_version: opts.string("version")?,
                tls,
                // 0 means none, as for DOCKERLUA_TIMEOUT.
                timeout: opts.seconds("timeout")?,
            };
            let handle = Handle::from_url(url, options, settings(lua).mode);
            // Made now, so that a bad address or certificate file is reported
            // by `connect` itself (nothing is sent yet).
            handle.engine()?;
            client_table(lua, handle)
        })?,
    )?;
    client.raw_set(
        "from_env",
        lua.create_function(|lua, _: MultiValue| {
            let mode = settings(lua).mode;
            client_table(lua, Handle::from_env(HostChoice::default(), mode))
        })?,
    )?;
    client.raw_set(
        "contexts",
        lua.create_function(|lua, _: MultiValue| {
            let contexts =
                engine_host::list_contexts(&settings(lua).choice).map_err(error::engine)?;
            let list = lua.create_table_with_capacity(contexts.len(), 0)?;
            for (i, c) in contexts.into_iter().enumerate() {
                let entry = lua.create_table()?;
                entry.raw_set("name", c.name)?;
                entry.raw_set("host", c.host)?;
                entry.raw_set("description", c.description)?;
                entry.raw_set("current", c.current)?;
                list.raw_set(i + 1, entry)?;
            }
            Ok(list)
        })?,
    )?;
    client.raw_set(
        "context",
        lua.create_function(|lua, args: MultiValue| {
            let mut args = strip_self(args, "DockerClient").into_iter();
            let first = args.next().unwrap_or(Value::Nil);
            // `docker.context(c)` with an entry of `docker.contexts()` too.
            let name = match &first {
                Value::Table(t) => t.get::<Value>("name")?,
                other => other.clone(),
            };
            let name = args::string("context", "name", &name)?;
            let settings = settings(lua);
            let handle = Handle::from_context(name, settings.choice.host.clone(), settings.mode);
            // Resolved now, so that an unknown name is reported here.
            handle.engine()?;
            client_table(lua, handle)
        })?,
    )?;
    tasks::install(lua, client)?;
    host::install(lua, client)?;

    let json = lua.create_table()?;
    json.raw_set(
        "encode",
        lua.create_function(|_, value: Value| {
            convert::from_lua(&value)
                .map(|v| v.to_string())
                .map_err(|e| invalid("json.encode", e.0))
        })?,
    )?;
    json.raw_set(
        "decode",
        lua.create_function(|lua, text: Value| {
            let text = match &text {
                Value::String(s) => s.as_bytes().to_vec(),
                other => {
                    return Err(invalid(
                        "json.decode",
                        format!(
                            "bad argument 'text' (string expected, got {})",
                            args::type_name(other)
                        ),
                    ))
                }
            };
            let value: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| invalid("json.decode", format!("invalid json: {e}")))?;
            convert::to_lua(lua, &value)
        })?,
    )?;
    json.raw_set(
        "array",
        lua.create_function(|lua, args: MultiValue| {
            let t = match args.into_iter().next().unwrap_or(Value::Nil) {
                Value::Nil => lua.create_table()?,
                Value::Table(t) => t,
                other => {
                    return Err(invalid(
                        "json.array",
                        format!(
                            "bad argument 't' (table expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            let mark = convert::array_metatable(lua)?;
            match t.metatable() {
                None => t.set_metatable(Some(mark))?,
                Some(mt) if mt == mark => {}
                // Replacing it would silently take the table's behaviour away.
                Some(_) => {
                    return Err(invalid(
                        "json.array",
                        "bad argument 't' (the table has a metatable of its own)",
                    ))
                }
            }
            Ok(t)
        })?,
    )?;
    client.raw_set("json", json)?;
    Ok(())
}

/// The state's [`Settings`] (defaults when none were stored).
pub fn settings(lua: &Lua) -> Settings {
    lua.app_data_ref::<Settings>()
        .map(|s| s.clone())
        .unwrap_or_default()
}

/// A `filters` option as the engine's JSON: `{name = value or {values}}` to
/// `{"name": ["value", ...]}`.
pub fn filters_json(opts: &Opts, name: &str) -> mlua::Result<Option<serde_json::Value>> {
    let Some(table) = opts.table(name)? else {
        return Ok(None);
    };
    let mut map = serde_json::Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = args::string(opts.function(), "filters key", &k)?;
        let values = match &v {
            Value::Table(t) => args::string_list(opts.function(), &format!("filters.{key}"), t)?,
            Value::Boolean(b) => vec![b.to_string()],
            Value::Integer(i) => vec![i.to_string()],
            Value::String(s) => vec![s.to_string_lossy()],
            other => {
                return Err(invalid(
                    opts.function(),
                    format!(
                        "bad filter '{key}' (string or array expected, got {})",
                        args::type_name(other)
                    ),
                ))
            }
        };
        map.insert(key, serde_json::Value::from(values));
    }
    Ok(Some(serde_json::Value::Object(map)))
}
