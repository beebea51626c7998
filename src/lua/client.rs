//! Clients: the default `docker` table and those of `docker.connect`,
//! `docker.from_env` and `docker.context`; `docker.contexts()`. A client is
//! a plain table of functions bound to one engine handle; the engine is
//! resolved on first use. Every client of a state shares its write mode
//! (`--dry-run`/`--read-only`), kept in the state's app data.
//!
//! The client knows no area of the module: each (a collection, `swarm`, the
//! tasks...) registers itself with a [`Register`] function, and the list of
//! them is given once per state ([`set_areas`]).

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Opts};
use super::error;
use super::handle::{named_table, settings, strip_self, Handle, Register};
use crate::engine::host::{self as engine_host, HostChoice};
use crate::engine::{ConnectOptions, TlsFiles, WriteMode};

/// The areas every client table of a state gets, in order (app data).
struct Areas(&'static [Register]);

/// Sets the areas of every client table made in `lua` from now on.
pub fn set_areas(lua: &Lua, areas: &'static [Register]) {
    lua.set_app_data(Areas(areas));
}

/// Builds a client table for `handle`: each area's members, then its own.
pub fn client_table(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let client = named_table(lua, "DockerClient", &handle)?;
    let areas = lua.app_data_ref::<Areas>().map_or(&[][..], |a| a.0);
    for register in areas {
        register(lua, &handle, &client)?;
    }
    install_clients(lua, &client)?;
    // A plain value: assigning to it changes nothing but the table, never
    // what the engine guard does.
    client.raw_set("mode", mode_name(handle.mode()))?;
    Ok(client)
}

/// `docker.mode`: lets a script keep a dry run free of local writes too.
fn mode_name(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Normal => "normal",
        WriteMode::DryRun => "dry-run",
        WriteMode::ReadOnly => "read-only",
    }
}

/// `connect`, `from_env`, `contexts` and `context`, on every client.
fn install_clients(lua: &Lua, client: &Table) -> mlua::Result<()> {
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
    Ok(())
}
