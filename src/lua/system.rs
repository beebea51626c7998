//! The engine as a whole: `docker.ping`, `version`, `info`, `df` and
//! `login` (`events` is [`super::watch`]'s).

use mlua::{Lua, MultiValue, Table, Value};

use super::args::Opts;
use super::convert;
use super::error::{self, invalid};
use super::handle::{bound, Handle};

const CLIENT: &str = "DockerClient";

pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set("ping", bound(lua, handle, CLIENT, ping)?)?;
    client.raw_set("version", bound(lua, handle, CLIENT, version)?)?;
    client.raw_set("info", bound(lua, handle, CLIENT, info)?)?;
    client.raw_set("login", bound(lua, handle, CLIENT, login)?)?;
    client.raw_set("df", bound(lua, handle, CLIENT, df)?)
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
