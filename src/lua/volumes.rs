//! `docker.volumes` and the `Volume` object, on the resource model. A
//! volume's id is its name.

use mlua::{Lua, MultiValue, Table, Value};
use serde_json::{json, Map, Value as Json};

use super::args::Opts;
use super::error;
use super::fields;
use super::handle::{bound, Handle};
use super::resource::{self, Model};
use crate::engine::resource::{Kind, VOLUMES};
use crate::engine::Query;

/// Puts `docker.volumes` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Volume>(lua, handle, client)
}

pub struct Volume;

impl Model for Volume {
    const NAME: &'static str = "Volume";
    const COLLECTION: &'static str = "VolumeCollection";
    const KIND: &'static Kind = &VOLUMES;
    const MEMBERS: &'static [&'static str] = &[];
    const REMOVE: Option<&'static [(&'static str, &'static str)]> = Some(&[("force", "force")]);
    const PRUNE: bool = true;

    fn id(attrs: &Json) -> String {
        attrs
            .get("Name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn describe(object: &resource::Object<Self>) -> String {
        object.id.clone()
    }

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set("create", bound(lua, handle, Self::COLLECTION, create)?)
    }
}

/// `create([name] [, opts])` or `create{name =, ...}`.
async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "volumes.create";
    let mut args = args.into_iter();
    let (name, opts) = match args.next().unwrap_or(Value::Nil) {
        Value::Table(t) => (None, Value::Table(t)),
        Value::Nil => (None, args.next().unwrap_or(Value::Nil)),
        name => (
            Some(super::args::string(F, "name", &name)?),
            args.next().unwrap_or(Value::Nil),
        ),
    };
    let opts = Opts::new(F, opts, &["name", "driver", "driver_opts", "labels"])?;
    let mut body = Map::new();
    if let Some(name) = name.or(opts.string("name")?) {
        body.insert("Name".into(), json!(name));
    }
    if let Some(driver) = opts.string("driver")? {
        body.insert("Driver".into(), json!(driver));
    }
    if let Some(t) = opts.table("driver_opts")? {
        body.insert(
            "DriverOpts".into(),
            fields::string_map(F, "driver_opts", &t)?,
        );
    }
    if let Some(t) = opts.table("labels")? {
        body.insert(
            "Labels".into(),
            fields::labels(F, "labels", &Value::Table(t))?,
        );
    }
    let engine = h.engine()?;
    // The answer is the new volume itself.
    let attrs = engine
        .create(&VOLUMES, Query::new(), &Json::Object(body))
        .await
        .map_err(error::engine)?;
    resource::object::<Volume>(&lua, &h, attrs)
}
