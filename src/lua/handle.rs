//! A client's engine [`Handle`], the [`Settings`] every client of a state
//! shares, and what every area of the `docker` module binds its functions
//! with ([`bound`], [`named_table`]). An area registers itself on a client
//! table with a [`Register`] function; [`super::client`] calls the list it is
//! given and knows no area itself.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Table, Value};

use super::{error, lazy};
use crate::engine::host::{self as engine_host, HostChoice};
use crate::engine::{redact, ConnectOptions, Engine, WriteMode};

/// How an area of the `docker` module (a collection, `swarm`, the tasks...)
/// puts its members on a client table bound to one engine handle.
pub type Register = fn(&Lua, &Handle, &Table) -> mlua::Result<()>;

/// An area: the keys its [`Register`] puts on a client table (so a client
/// can make the area on the first use of one of them), and the function.
pub struct Area {
    pub keys: &'static [&'static str],
    pub register: Register,
}

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

    /// What this client may do to its engine (`docker.mode`).
    pub fn mode(&self) -> WriteMode {
        self.0.mode
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

/// The state's [`Settings`] (defaults when none were stored).
pub fn settings(lua: &Lua) -> Settings {
    lua.app_data_ref::<Settings>()
        .map(|s| s.clone())
        .unwrap_or_default()
}
