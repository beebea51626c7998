//! `docker.swarm`: this engine's part in a swarm. `attrs` is the last swarm
//! inspect (join tokens included); reading it before any `reload` fetches
//! it (an `__index` that may yield: Lua 5.4 lets metamethods do so).

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Lua, MultiValue, Table, Value};
use serde_json::{Map, Value as Json};

use super::args::{self, Opts};
use super::error::{self, invalid};
use super::handle::{bound, named_table, Handle};
use super::{convert, lazy};
use crate::engine::swarm as spec;

const NAME: &str = "Swarm";

/// What every function of the table shares: the engine and the last inspect.
#[derive(Clone)]
struct State {
    handle: Handle,
    attrs: Rc<RefCell<Option<Value>>>,
}

impl State {
    /// Inspects the swarm (managers only) and keeps the answer.
    async fn refresh(&self, lua: &Lua) -> mlua::Result<Value> {
        let answer = self
            .handle
            .engine()?
            .swarm_inspect()
            .await
            .map_err(error::engine)?;
        let attrs = convert::to_lua(lua, &answer)?;
        *self.attrs.borrow_mut() = Some(attrs.clone());
        Ok(attrs)
    }

    fn forget(&self) {
        self.attrs.borrow_mut().take();
    }
}

/// Puts `docker.swarm` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set("swarm", table(lua, handle)?)
}

fn table(lua: &Lua, handle: &Handle) -> mlua::Result<Table> {
    let t = named_table(lua, NAME, handle)?;
    let state = State {
        handle: handle.clone(),
        attrs: Rc::default(),
    };
    t.raw_set("init", bound(lua, &state, NAME, init)?)?;
    t.raw_set("join", bound(lua, &state, NAME, join)?)?;
    t.raw_set("leave", bound(lua, &state, NAME, leave)?)?;
    t.raw_set("reload", bound(lua, &state, NAME, reload)?)?;
    t.raw_set("update", bound(lua, &state, NAME, update)?)?;
    t.raw_set("unlock", bound(lua, &state, NAME, unlock)?)?;
    t.raw_set("unlock_key", bound(lua, &state, NAME, unlock_key)?)?;
    let mt = t.metatable().expect("named_table sets one");
    mt.raw_set(
        "__index",
        lazy::async_function(lua, move |lua, (_, key): (Table, Value)| {
            let state = state.clone();
            async move {
                let Value::String(key) = key else {
                    return Ok(Value::Nil);
                };
                let key = key.to_string_lossy();
                if !matches!(key.as_str(), "attrs" | "id" | "version") {
                    return Ok(Value::Nil);
                }
                let cached = state.attrs.borrow().clone();
                let attrs = match cached {
                    Some(attrs) => attrs,
                    None => state.refresh(&lua).await?,
                };
                // `id` and `version` as the Python SDK has them: the swarm's
                // ID and its object version (`Version.Index`).
                let Value::Table(t) = &attrs else {
                    return Ok(Value::Nil);
                };
                match key.as_str() {
                    "id" => t.get("ID"),
                    "version" => match t.get::<Value>("Version")? {
                        Value::Table(v) => v.get("Index"),
                        _ => Ok(Value::Nil),
                    },
                    _ => Ok(attrs),
                }
            }
        })?,
    )?;
    Ok(t)
}

/// The options table as JSON, its names checked against `known`.
fn options(
    function: &'static str,
    value: Value,
    known: &[&[&str]],
) -> mlua::Result<Map<String, Json>> {
    let all: Vec<&str> = known.iter().flat_map(|l| l.iter().copied()).collect();
    Opts::new(function, value.clone(), &all)?;
    match convert::from_lua(&value) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(Json::Null) => Ok(Map::new()),
        Ok(Json::Array(a)) if a.is_empty() => Ok(Map::new()),
        Ok(_) => Err(invalid(
            function,
            "bad argument 'opts' (table of options expected)",
        )),
        Err(e) => Err(invalid(function, format!("bad argument 'opts': {}", e.0))),
    }
}

fn engine_invalid(function: &str, e: crate::engine::Error) -> mlua::Error {
    if e.kind == crate::engine::ErrorKind::InvalidArgument {
        invalid(function, e.message)
    } else {
        error::engine(e)
    }
}

async fn init(lua: Lua, s: State, args: MultiValue) -> mlua::Result<String> {
    const F: &str = "swarm.init";
    let opts = options(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        &[spec::INIT_OPTIONS, spec::SPEC_OPTIONS],
    )?;
    let engine = s.handle.engine()?;
    let node = engine
        .swarm_init(&opts)
        .await
        .map_err(|e| engine_invalid(F, e))?;
    s.refresh(&lua).await?;
    Ok(node)
}

async fn join(_: Lua, s: State, args: MultiValue) -> mlua::Result<bool> {
    const F: &str = "swarm.join";
    let opts = options(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        &[spec::JOIN_OPTIONS],
    )?;
    let engine = s.handle.engine()?;
    engine
        .swarm_join(&opts)
        .await
        .map_err(|e| engine_invalid(F, e))?;
    // A worker cannot inspect the swarm; a manager's attrs are fetched when read.
    s.forget();
    Ok(true)
}

async fn leave(_: Lua, s: State, args: MultiValue) -> mlua::Result<bool> {
    let opts = Opts::new(
        "swarm.leave",
        args.into_iter().next().unwrap_or(Value::Nil),
        &["force"],
    )?;
    let engine = s.handle.engine()?;
    engine
        .swarm_leave(opts.flag("force")?)
        .await
        .map_err(error::engine)?;
    s.forget();
    Ok(true)
}

async fn reload(lua: Lua, s: State, _: MultiValue) -> mlua::Result<Value> {
    s.refresh(&lua).await
}

async fn update(lua: Lua, s: State, args: MultiValue) -> mlua::Result<bool> {
    const F: &str = "swarm.update";
    let opts = options(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        &[spec::UPDATE_OPTIONS, spec::SPEC_OPTIONS],
    )?;
    let engine = s.handle.engine()?;
    engine
        .swarm_update(&opts)
        .await
        .map_err(|e| engine_invalid(F, e))?;
    s.refresh(&lua).await?;
    Ok(true)
}

async fn unlock(_: Lua, s: State, args: MultiValue) -> mlua::Result<bool> {
    let key = args::string(
        "swarm.unlock",
        "key",
        &args.into_iter().next().unwrap_or(Value::Nil),
    )?;
    s.handle
        .engine()?
        .swarm_unlock(&key)
        .await
        .map_err(error::engine)?;
    Ok(true)
}

async fn unlock_key(lua: Lua, s: State, _: MultiValue) -> mlua::Result<Value> {
    let answer = s
        .handle
        .engine()?
        .swarm_unlock_key()
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}
