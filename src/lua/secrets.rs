//! `docker.secrets` and the `Secret` object. A secret's data goes to the
//! engine once, in the create request, and is never kept, shown or quoted
//! in an error: the engine does not give it back either.

use base64::Engine as _;
use mlua::{Lua, MultiValue, Table, Value};
use serde_json::{json, Value as Json};

use super::args::{self, Opts};
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::resource::{self, static_name, Model};
use crate::engine::resource::{Kind, SECRETS};
use crate::engine::Query;

/// Puts `docker.secrets` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Secret>(lua, handle, client)
}

/// The `Secret` kind on the shared resource model.
pub struct Secret;

impl Model for Secret {
    const NAME: &'static str = "Secret";
    const COLLECTION: &'static str = "SecretCollection";
    const KIND: &'static Kind = &SECRETS;
    const MEMBERS: &'static [&'static str] = &[];

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set(
            "create",
            bound(lua, handle, Self::COLLECTION, create_with_data::<Self>)?,
        )
    }
}

/// `create{name =, data =, labels =, ...}` of secrets and configs: the data
/// (a string, bytes allowed) is sent base64-encoded; answers the object.
/// `driver` (secrets) and `templating` (both) name drivers as the engine does.
pub async fn create_with_data<M: Model>(
    lua: Lua,
    h: Handle,
    args: MultiValue,
) -> mlua::Result<Value> {
    let function = static_name(M::KIND.base.trim_start_matches('/'), ".create");
    let opts = Opts::new(
        function,
        args.into_iter().next().unwrap_or(Value::Nil),
        &["name", "data", "labels", "driver", "templating"],
    )?;
    let name = opts
        .string("name")?
        .ok_or_else(|| invalid(function, "missing option 'name'"))?;
    // Never quoted: a wrong type is named, not shown.
    let data = match opts.raw("data")? {
        Value::String(s) => base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
        other => {
            return Err(invalid(
                function,
                format!(
                    "bad option 'data' (string expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    let mut body = json!({"Name": name, "Data": data});
    if let Some(labels) = opts.table("labels")? {
        body["Labels"] = super::fields::labels(function, "labels", &Value::Table(labels))?;
    }
    for (key, field) in [("driver", "Driver"), ("templating", "Templating")] {
        if let Some(driver) = opts.string(key)? {
            body[field] = json!({"Name": driver});
        }
    }
    let answer = h
        .engine()?
        .create(M::KIND, Query::new(), &body)
        .await
        .map_err(error::engine)?;
    let id = answer.get("ID").and_then(Json::as_str).unwrap_or_default();
    resource::fetch::<M>(&lua, &h, id).await
}
