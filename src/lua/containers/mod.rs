//! `docker.containers` and the `Container` object.
//!
//! - this file: the collection (`run`, `create`, `list`, `get`);
//! - [`spec`]: the arguments of `create` and `run` (the create body itself
//!   is the engine layer's option model, [`crate::engine::options`]);
//! - [`run`]: `run` and `create` bound to [`crate::engine::run`];
//! - [`container`]: the `Container` object and its methods;
//! - [`output`]: `logs` and `exec`, as strings or streams of lines;
//! - [`attach`]: live I/O: `attach`, two-way streams, streamed and
//!   interactive runs and execs.

mod attach;
mod container;
pub(crate) mod output;
pub(crate) mod run;
mod spec;

use mlua::{Lua, MultiValue, Table, Value};

use super::handle::{bound, Handle};
use super::resource::{self, Model};

pub use container::Container;

/// Puts `docker.containers` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Container>(lua, handle, client)
}

/// `run` and `create`; `get`, `list` and `prune` come from the resource model.
pub(super) fn collection_functions(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
    const C: &str = Container::COLLECTION;
    t.raw_set("run", bound(lua, handle, C, run::run)?)?;
    t.raw_set("create", bound(lua, handle, C, create)?)?;
    Ok(())
}

async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    let spec = spec::Spec::parse("containers.create", args, false)?;
    let engine = h.engine()?;
    let id = run::create(&engine, &spec).await?;
    resource::fetch::<Container>(&lua, &h, &id).await
}
