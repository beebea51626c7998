//! `docker.containers` and the `Container` object.
//!
//! - this file: the collection (`run`, `create`, `list`, `get`);
//! - [`spec`]: the options of `create` and `run` to the engine's create body;
//! - [`run`]: `run` itself, and the clean-up of cancelled runs;
//! - [`container`]: the `Container` object and its methods;
//! - [`output`]: `logs` and `exec`, as strings or streams of lines.

mod container;
mod output;
mod run;
mod spec;

use mlua::{Lua, MultiValue, Table, Value};
use serde_json::json;

use super::args::{self, Opts};
use super::client::{bound, filters_json, named_table, Handle};
use super::error;
use crate::engine::containers::ListOptions;

pub use container::Container;
pub use run::finish_cleanups;

const COLLECTION: &str = "ContainerCollection";

pub fn collection(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let t = named_table(lua, COLLECTION, &handle)?;
    t.raw_set("run", bound(lua, &handle, COLLECTION, run::run)?)?;
    t.raw_set("create", bound(lua, &handle, COLLECTION, create)?)?;
    t.raw_set("list", bound(lua, &handle, COLLECTION, list)?)?;
    t.raw_set("get", bound(lua, &handle, COLLECTION, get)?)?;
    Ok(t)
}

async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    let spec = spec::Spec::parse("containers.create", args, false)?;
    let engine = h.engine()?;
    let id = run::create(&engine, &spec).await?;
    let attrs = engine.container_inspect(&id).await.map_err(error::engine)?;
    Container::new(h, attrs).into_lua(&lua)
}

async fn list(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Table> {
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
    let empty = filters.as_object().is_some_and(|m| m.is_empty());
    let list = ListOptions {
        all: opts.flag("all")?,
        limit: opts.integer("limit")?,
        size: opts.flag("size")?,
        filters: (!empty).then_some(filters),
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

async fn get(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    let id = args::name(
        "containers.get",
        "id_or_name",
        args.front().unwrap_or(&Value::Nil),
        args::NameKind::Container,
    )?;
    let attrs = h
        .engine()?
        .container_inspect(&id)
        .await
        .map_err(error::engine)?;
    Container::new(h, attrs).into_lua(&lua)
}
