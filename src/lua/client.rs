//! Clients: the default `docker` table and those of `docker.connect`,
//! `docker.from_env` and `docker.context`; `docker.contexts()`. A client is
//! a plain table of functions bound to one engine handle; the engine is
//! resolved on first use. Every client of a state shares its write mode
//! (`--dry-run`/`--read-only`), kept in the state's app data.
//!
//! The client knows no area of the module: each (a collection, `swarm`, the
//! tasks...) registers itself with a [`Register`] function, and the list of
//! them is given once per state ([`set_areas`]).
//!
//! A client makes an area on the first use of one of its keys (reading,
//! assigning, `pairs`): making all of them costs as much as starting Lua,
//! and most scripts use two or three.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Table, Value};

use super::args::{self, Opts};
use super::error;
use super::handle::{named_table, settings, strip_self, Area, Handle};
use crate::engine::host::{self as engine_host, HostChoice};
use crate::engine::{ConnectOptions, TlsFiles, WriteMode};

/// The areas every client table of a state gets (app data), and Lua's
/// own `next`, taken before any script could replace it.
struct Areas {
    areas: &'static [Area],
    next: Function,
}

/// Sets the areas of every client table made in `lua` from now on.
pub fn set_areas(lua: &Lua, areas: &'static [Area]) -> mlua::Result<()> {
    let next = lua.globals().raw_get("next")?;
    lua.set_app_data(Areas { areas, next });
    Ok(())
}

/// Builds a client table for `handle`: its own members now, each area's
/// on the first use of one of its keys.
pub fn client_table(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let client = named_table(lua, "DockerClient", &handle)?;
    install_clients(lua, &client)?;
    // A plain value: assigning to it changes nothing but the table, never
    // what the engine guard does.
    client.raw_set("mode", mode_name(handle.mode()))?;
    let (areas, next) = match lua.app_data_ref::<Areas>() {
        Some(a) => (a.areas, a.next.clone()),
        None => return Ok(client),
    };
    let pending = Rc::new(Pending {
        handle,
        areas: RefCell::new(areas.iter().collect()),
    });
    let mt = client
        .metatable()
        .ok_or_else(|| mlua::Error::runtime("a client table has no metatable"))?;
    let on_read = pending.clone();
    mt.raw_set(
        "__index",
        lua.create_function(move |lua, (client, key): (Table, Value)| {
            if on_read.make(lua, &client, Some(&key))? {
                client.raw_get::<Value>(key)
            } else {
                Ok(Value::Nil)
            }
        })?,
    )?;
    let on_write = pending.clone();
    mt.raw_set(
        "__newindex",
        lua.create_function(move |lua, (client, key, value): (Table, Value, Value)| {
            // Made first, so the area cannot overwrite the value later.
            on_write.make(lua, &client, Some(&key))?;
            client.raw_set(key, value)
        })?,
    )?;
    mt.raw_set(
        "__pairs",
        lua.create_function(move |lua, client: Table| {
            while pending.make(lua, &client, None)? {}
            Ok((next.clone(), client, Value::Nil))
        })?,
    )?;
    Ok(client)
}

/// Makes every area of a client table not made yet (the REPL lists them).
/// A table that is not a client is left as it is.
pub fn make_all(table: &Table) -> mlua::Result<()> {
    let Some(mt) = table.metatable() else {
        return Ok(());
    };
    let is_client = mt
        .raw_get::<String>("__name")
        .is_ok_and(|name| name == "DockerClient");
    match mt.raw_get::<Option<Function>>("__pairs")? {
        Some(pairs) if is_client => pairs.call(table),
        _ => Ok(()),
    }
}

/// The areas a client has not made yet.
struct Pending {
    handle: Handle,
    areas: RefCell<Vec<&'static Area>>,
}

impl Pending {
    /// Makes the area of `key` (with `None`, any one area); whether one was.
    fn make(&self, lua: &Lua, client: &Table, key: Option<&Value>) -> mlua::Result<bool> {
        let found = {
            let mut areas = self.areas.borrow_mut();
            let at = match key {
                None if areas.is_empty() => None,
                None => Some(0),
                Some(Value::String(key)) => {
                    let key = key.as_bytes();
                    areas
                        .iter()
                        .position(|a| a.keys.iter().any(|k| k.as_bytes() == &key[..]))
                }
                Some(_) => None,
            };
            at.map(|at| areas.remove(at))
        };
        // The borrow ends before the area runs: it may read the client.
        match found {
            Some(area) => (area.register)(lua, &self.handle, client).map(|()| true),
            None => Ok(false),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::lua::AREAS;

    /// A client's areas are made on first use, yet a script sees every
    /// member: reading, `pairs`, and an assignment that a later area does
    /// not overwrite; clients of `connect` alike.
    #[test]
    fn a_client_makes_its_areas_on_first_use() {
        let lua = crate::lua::new_state(&crate::lua::Options::default()).unwrap();
        // The areas' keys, and connect, from_env, contexts, context, mode.
        let all: usize = AREAS.iter().map(|a| a.keys.len()).sum::<usize>() + 5;
        let (before, after, listed, ping, version, remote): (
            Value,
            String,
            usize,
            i64,
            String,
            String,
        ) = lua
            .load(
                r#"
                local before = rawget(docker, "images")
                local after = type(docker.images) .. " " .. type(rawget(docker, "images"))
                docker.ping = 1
                local version = type(docker.version)
                local n = 0
                for _ in pairs(docker) do n = n + 1 end
                local c = docker.connect("unix:///nowhere.sock")
                local remote = type(rawget(c, "containers")) .. " " .. type(c.containers.list)
                return before, after, n, docker.ping, version, remote
                "#,
            )
            .eval()
            .unwrap();
        assert!(before.is_nil());
        assert_eq!(after, "table table");
        assert_eq!(listed, all);
        assert_eq!(ping, 1);
        assert_eq!(version, "function");
        assert_eq!(remote, "nil function");
    }

    /// Each area declares exactly the keys it registers, and no key is
    /// declared twice (a client would make the wrong area on its use).
    #[test]
    fn areas_declare_the_keys_they_register() {
        let lua = Lua::new();
        let handle = Handle::from_env(HostChoice::default(), WriteMode::Normal);
        let own = lua.create_table().unwrap();
        install_clients(&lua, &own).unwrap();
        let mut seen: BTreeSet<String> =
            own.pairs::<String, Value>().map(|p| p.unwrap().0).collect();
        seen.insert("mode".into());
        for area in AREAS {
            let table = lua.create_table().unwrap();
            (area.register)(&lua, &handle, &table).unwrap();
            let made: BTreeSet<String> = table
                .pairs::<String, Value>()
                .map(|p| p.unwrap().0)
                .collect();
            let declared: BTreeSet<String> = area.keys.iter().map(|k| k.to_string()).collect();
            assert_eq!(declared, made, "an area's declared keys");
            for key in made {
                assert!(seen.insert(key.clone()), "{key} is declared twice");
            }
        }
    }
}
