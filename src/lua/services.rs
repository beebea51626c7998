//! `docker.services` and the `Service` object. The spec is built by the
//! engine layer ([`crate::engine::service_spec`]) from the options as JSON;
//! this file converts and binds.

use std::time::Duration;

use mlua::{Lua, MultiValue, Table, UserDataFields, Value};
use serde_json::{Map, Value as Json};

use super::args::filters_json;
use super::args::{self, Opts};
use super::containers::output::{logs_options, read_all, Lines};
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::resource::{self, AsyncMethods, ListOpt, Methods, Model, Object};
use super::{configs::Config, convert, iter, secrets::Secret};
use crate::engine::resource::{Kind, SERVICES};
use crate::engine::service_spec::{self, words};
use crate::engine::services::version_of;
use crate::engine::{self as eng, ErrorKind};

/// Puts `docker.services` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Service>(lua, handle, client)
}

/// The `Service` kind on the shared resource model.
pub struct Service;

impl Model for Service {
    const NAME: &'static str = "Service";
    const COLLECTION: &'static str = "ServiceCollection";
    const KIND: &'static Kind = &SERVICES;
    const MEMBERS: &'static [&'static str] = &[
        "version",
        "tasks",
        "scale",
        "update",
        "force_update",
        "rollback",
        "logs",
        "wait",
    ];
    const LIST: &'static [ListOpt] = &[ListOpt::Flag("status", "status")];

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        fields.add_field_method_get("version", |_, this| Ok(version_of(&this.attrs())));
    }

    fn methods(methods: &mut Methods<Self>) {
        methods.add_lazy_async_method("tasks", |lua, this, opts: Value| async move {
            let opts = Opts::new("Service:tasks", opts, &["filters"])?;
            let filters = filters_json(&opts, "filters")?;
            let tasks = this
                .handle
                .engine()?
                .service_tasks(&this.id, filters.as_ref())
                .await
                .map_err(|e| error::engine_in("Service:tasks", e))?;
            convert::to_lua(&lua, &Json::Array(tasks))
        });
        methods.add_lazy_async_method("scale", |_, this, replicas: Value| async move {
            const F: &str = "Service:scale";
            let n = match replicas {
                Value::Integer(n) if n >= 0 => n,
                other => {
                    return Err(invalid(
                        F,
                        format!(
                            "bad argument 'replicas' (non-negative integer expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            let mut opts = Map::new();
            opts.insert("replicas".into(), Json::from(n));
            update(&this, F, opts, false).await?;
            Ok(true)
        });
        methods.add_lazy_async_method("update", |_, this, opts: Value| async move {
            const F: &str = "Service:update";
            let opts = match opts {
                Value::Table(t) => options(F, &t)?,
                Value::Nil => Map::new(),
                other => {
                    return Err(invalid(
                        F,
                        format!(
                            "bad argument 'opts' (table expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            update(&this, F, opts, false).await?;
            Ok(true)
        });
        methods.add_lazy_async_method("force_update", |_, this, ()| async move {
            let mut opts = Map::new();
            opts.insert("force_update".into(), Json::Bool(true));
            update(&this, "Service:force_update", opts, false).await?;
            Ok(true)
        });
        methods.add_lazy_async_method("rollback", |_, this, ()| async move {
            update(&this, "Service:rollback", Map::new(), true).await?;
            Ok(true)
        });
        methods.add_lazy_async_method("logs", |lua, this, opts: Value| async move {
            let (options, streamed) = logs_options("Service:logs", opts, false)?;
            let tty = this
                .attrs()
                .pointer("/Spec/TaskTemplate/ContainerSpec/TTY")
                .and_then(Json::as_bool)
                .unwrap_or(false);
            let stream = this
                .handle
                .engine()?
                .service_logs(&this.id, &options, tty)
                .await
                .map_err(error::engine)?;
            if streamed {
                iter::for_values(&lua, "LogStream", Lines::new(stream))
            } else {
                read_all(&lua, "Service:logs", stream).await
            }
        });
        methods.add_lazy_async_method("wait", |_, this, opts: Value| async move {
            const F: &str = "Service:wait";
            let opts = Opts::new(F, opts, &["timeout", "stable"])?;
            let seconds = |name| {
                opts.number(name)?
                    .map(|s| Duration::try_from_secs_f64(s).map_err(|e| invalid(F, e)))
                    .transpose()
            };
            let (timeout, stable) = (seconds("timeout")?, seconds("stable")?);
            let attrs = this
                .handle
                .engine()?
                .service_wait(&this.id, timeout, stable)
                .await
                .map_err(error::engine)?;
            this.set_attrs(attrs);
            Ok(true)
        });
    }

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set("create", bound(lua, handle, Self::COLLECTION, create)?)
    }
}

/// `services.create(image, command?, opts?)`.
async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "services.create";
    let mut args = args.into_iter();
    let image = args::string(F, "image", &args.next().unwrap_or(Value::Nil))?;
    let (command, opts) = match (args.next(), args.next()) {
        (Some(Value::Table(t)), None) if args::is_options_table(&t) => {
            (Value::Nil, Value::Table(t))
        }
        (command, opts) => (command.unwrap_or(Value::Nil), opts.unwrap_or(Value::Nil)),
    };
    let command = match command {
        Value::Nil => None,
        v => Some(
            convert::from_lua(&v)
                .map_err(|e| invalid(F, format!("bad argument 'command': {}", e.0)))
                .and_then(|v| words("command", &v).map_err(|e| invalid(F, e.message)))?,
        ),
    };
    let opts = match opts {
        Value::Nil => Map::new(),
        Value::Table(t) => options(F, &t)?,
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad argument 'opts' (table expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    let spec =
        service_spec::create_spec(&image, command, &opts).map_err(|e| invalid(F, e.message))?;
    let engine = h.engine()?;
    let id = engine.service_create(spec).await.map_err(error::engine)?;
    resource::fetch::<Service>(&lua, &h, &id).await
}

/// The options table as JSON; `Secret` and `Config` objects in `secrets`
/// and `configs` stand for their ids.
fn options(function: &'static str, table: &Table) -> mlua::Result<Map<String, Json>> {
    let mut out = Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let name = match &k {
            Value::String(s) => s.to_string_lossy(),
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "option names must be strings, got {}",
                        args::type_name(other)
                    ),
                ))
            }
        };
        let value = match (name.as_str(), &v) {
            ("secrets", Value::Table(items)) => references::<Secret>(function, &name, items)?,
            ("configs", Value::Table(items)) => references::<Config>(function, &name, items)?,
            _ => convert::from_lua(&v)
                .map_err(|e| invalid(function, format!("bad option '{name}': {}", e.0)))?,
        };
        out.insert(name, value);
    }
    Ok(out)
}

fn references<M: Model>(function: &'static str, name: &str, items: &Table) -> mlua::Result<Json> {
    let mut out = Vec::new();
    for item in items.sequence_values::<Value>() {
        let item = item?;
        out.push(match &item {
            Value::UserData(_) => Json::String(resource::id_of::<M>(function, name, &item)?),
            other => convert::from_lua(other)
                .map_err(|e| invalid(function, format!("bad option '{name}': {}", e.0)))?,
        });
    }
    Ok(Json::Array(out))
}

/// Applies `opts` to the service's current spec and sends it at the
/// current version, then reloads. The engine bumps a service's version
/// itself while it updates, so a stale version is retried with a fresh one.
async fn update(
    this: &Object<Service>,
    function: &'static str,
    opts: Map<String, Json>,
    rollback: bool,
) -> mlua::Result<()> {
    // Checked once before any request, so a bad option costs no inspect.
    service_spec::apply(&mut Json::Null, &opts, true).map_err(|e| invalid(function, e.message))?;
    let engine = this.handle.engine()?;
    let mut attempts = 0;
    loop {
        let current = engine
            .inspect(&SERVICES, &this.id)
            .await
            .map_err(error::engine)?;
        let mut spec = current.get("Spec").cloned().unwrap_or(Json::Null);
        service_spec::apply(&mut spec, &opts, true).map_err(|e| invalid(function, e.message))?;
        match engine
            .service_update(&this.id, version_of(&current), spec, rollback)
            .await
        {
            Err(e) if out_of_sequence(&e) && attempts < 5 => attempts += 1,
            Err(e) => return Err(error::engine(e)),
            Ok(_) => break,
        }
    }
    this.reload().await
}

fn out_of_sequence(e: &eng::Error) -> bool {
    e.kind == ErrorKind::Api && e.message.contains("out of sequence")
}
