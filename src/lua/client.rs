//! Clients: the default `docker` table and those of `docker.connect` and
//! `docker.from_env`. A client is a plain table of functions bound to one
//! engine handle; the engine is resolved on first use.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::args::{self, Opts};
use super::error::{self, invalid};
use super::{api, containers, convert, host, images, iter, networks, resource, tasks, volumes};
use crate::engine::host::{self as engine_host, HostChoice};
use crate::engine::{Engine, JsonStream, TlsFiles};

/// Where a client's engine is, and the engine once made.
#[derive(Clone)]
pub struct Handle(Rc<HandleInner>);

struct HandleInner {
    source: Source,
    engine: RefCell<Option<Engine>>,
}

enum Source {
    Env(HostChoice),
    Url {
        url: String,
        version: Option<String>,
        tls: Option<TlsFiles>,
    },
}

impl Handle {
    pub fn from_env(choice: HostChoice) -> Self {
        Handle(Rc::new(HandleInner {
            source: Source::Env(choice),
            engine: RefCell::new(None),
        }))
    }

    pub fn from_url(url: String, version: Option<String>, tls: Option<TlsFiles>) -> Self {
        Handle(Rc::new(HandleInner {
            source: Source::Url { url, version, tls },
            engine: RefCell::new(None),
        }))
    }

    /// The engine, made on first use (so that a bad `DOCKER_HOST` is reported
    /// by the first call, not at start-up).
    pub fn engine(&self) -> mlua::Result<Engine> {
        if let Some(engine) = self.0.engine.borrow().as_ref() {
            return Ok(engine.clone());
        }
        let engine = match &self.0.source {
            Source::Env(choice) => {
                let (url, tls) = engine_host::resolve_engine(choice).map_err(error::engine)?;
                Engine::connect_tls(&url, None, tls.as_ref())
            }
            Source::Url { url, version, tls } => {
                Engine::connect_tls(url, version.clone(), tls.as_ref())
            }
        }
        .map_err(error::engine)?;
        *self.0.engine.borrow_mut() = Some(engine.clone());
        Ok(engine)
    }

    /// The engine address without connecting (for banners and `tostring`).
    pub fn describe(&self) -> String {
        match &self.0.source {
            Source::Env(choice) => engine_host::resolve_host(choice).unwrap_or_else(|e| e.message),
            Source::Url { url, .. } => url.clone(),
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

/// A function of a client or collection table bound to `handle`. It gets its
/// arguments without a leading `self` of that table's kind, so that both
/// `docker.containers.list()` and `docker.containers:list()` work.
pub fn bound<F, Fut, R>(
    lua: &Lua,
    handle: &Handle,
    kind: &'static str,
    f: F,
) -> mlua::Result<Function>
where
    F: Fn(Lua, Handle, MultiValue) -> Fut + 'static,
    Fut: std::future::Future<Output = mlua::Result<R>> + 'static,
    R: IntoLuaMulti,
{
    let handle = handle.clone();
    lua.create_async_function(move |lua, args: MultiValue| {
        f(lua, handle.clone(), strip_self(args, kind))
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
    client.raw_set("df", bound(lua, &handle, CLIENT, api::df)?)?;
    client.raw_set("api", bound(lua, &handle, CLIENT, api::api)?)?;
    install_helpers(lua, &client)?;
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

async fn events(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    let opts = Opts::new(
        "events",
        args.into_iter().next().unwrap_or(Value::Nil),
        &["filters", "since", "until", "decode"],
    )?;
    let filters = filters_json(&opts, "filters")?;
    let time = crate::engine::duration::time_param;
    let since = opts.text("since")?.map(|t| time(&t));
    let until = opts.text("until")?.map(|t| time(&t));
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
                &["version", "tls"],
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
            let version = opts.string("version")?;
            let handle = Handle::from_url(url, version, tls);
            // Made now, so that a bad address or certificate file is reported
            // by `connect` itself (nothing is sent yet).
            handle.engine()?;
            client_table(lua, handle)
        })?,
    )?;
    client.raw_set(
        "from_env",
        lua.create_function(|lua, _: MultiValue| {
            client_table(lua, Handle::from_env(HostChoice::default()))
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
        lua.create_function(|lua, t: Option<Table>| {
            let t = match t {
                Some(t) => t,
                None => lua.create_table()?,
            };
            t.set_metatable(Some(convert::array_metatable(lua)?))?;
            Ok(t)
        })?,
    )?;
    client.raw_set("json", json)?;
    Ok(())
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
