//! The `Container` object: a thin handle on a live container.

use crate::engine::error::excerpt;
use bytes::Bytes;
use mlua::{Lua, MultiValue, Table, UserDataFields, Value};
use serde_json::Value as Json;

use crate::engine::containers::CommitOptions;
use crate::engine::copy::{self, CopyOptions};
use crate::engine::resource::{Kind, CONTAINERS};
use crate::engine::stats::Figures;
use crate::engine::JsonStream;
use crate::engine::Query;
use crate::lua::args::{self, Opts};
use crate::lua::error::{self, invalid, DockerError};
use crate::lua::handle::Handle;
use crate::lua::resource::{self, AsyncMethods, ListOpt, Methods, Model, Object};
use crate::lua::{convert, images, iter};

use super::output;

/// The `Container` kind: a live container on the shared resource model.
pub struct Container;

impl Model for Container {
    const NAME: &'static str = "Container";
    const COLLECTION: &'static str = "ContainerCollection";
    const KIND: &'static Kind = &CONTAINERS;
    const MEMBERS: &'static [&'static str] = &[
        "image",
        "status",
        "health",
        "start",
        "stop",
        "restart",
        "kill",
        "pause",
        "unpause",
        "wait",
        "logs",
        "commit",
        "exec",
        "top",
        "stats",
        "rename",
        "put_archive",
        "get_archive",
        "copy_from",
        "copy_to",
        "diff",
        "export",
        "update",
        "resize",
        "ports",
        "attach",
    ];
    const LIST: &'static [ListOpt] = &[
        ListOpt::Flag("all", "all"),
        ListOpt::Flag("size", "size"),
        ListOpt::Int("limit", "limit"),
        ListOpt::Filter("since", "since"),
        ListOpt::Filter("before", "before"),
        // Lists are always one request here: every entry is "sparse".
        ListOpt::Ignored("sparse"),
    ];
    const REMOVE: Option<&'static [(&'static str, &'static str)]> =
        Some(&[("force", "force"), ("volumes", "v"), ("v", "v")]);
    const PRUNE: bool = true;

    fn name(attrs: &Json) -> Option<String> {
        // A list entry has `Names`; an inspect has `Name`; both lead with '/'.
        let name = attrs
            .get("Name")
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| {
                attrs
                    .get("Names")
                    .and_then(|n| n.get(0))
                    .and_then(Json::as_str)
            })?;
        Some(name.trim_start_matches('/').to_owned())
    }

    fn labels(attrs: &Json) -> Option<&Json> {
        attrs
            .get("Config")
            .and_then(|c| c.get("Labels"))
            .or_else(|| attrs.get("Labels"))
    }

    fn describe(c: &Object<Self>) -> String {
        format!(
            "{} {} {}",
            c.short_id(),
            c.name().unwrap_or_default(),
            status(&c.fields())
        )
    }

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        fields.add_field_method_get("image", |_, this| Ok(image(&this.fields())));
        fields.add_field_method_get("status", |_, this| Ok(status(&this.fields())));
        fields.add_field_method_get("health", |_, this| {
            Ok(crate::engine::containers::health(&this.fields()))
        });
    }

    fn methods(methods: &mut Methods<Self>) {
        add_methods(methods);
    }

    fn collection(lua: &Lua, handle: &Handle, table: &Table) -> mlua::Result<()> {
        super::collection_functions(lua, handle, table)
    }
}

/// `running`, `exited`...: inspect has `State.Status`, a list entry `State`.
/// (These getters run for every listed object: `get` chains, since
/// `pointer` allocates for each step.)
fn status(attrs: &Json) -> String {
    attrs
        .get("State")
        .and_then(|s| s.get("Status"))
        .or_else(|| attrs.get("State").filter(|s| s.is_string()))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The image reference the container was created from.
fn image(attrs: &Json) -> String {
    attrs
        .get("Config")
        .and_then(|c| c.get("Image"))
        .or_else(|| attrs.get("Image"))
        .and_then(Json::as_str)
        .map(crate::engine::reference::familiar_name)
        .unwrap_or_default()
        .to_owned()
}

/// `opts` for a method with a `timeout` only.
fn timeout_opt(function: &'static str, value: Value) -> mlua::Result<Option<i64>> {
    Opts::new(function, value, &["timeout"])?.count("timeout")
}

/// The methods of `Container` beyond the common ones.
fn add_methods(methods: &mut Methods<Container>) {
    {
        methods.add_lazy_async_method("start", |_, this, ()| async move {
            this.act_then_reload("/start", Query::new()).await
        });
        methods.add_lazy_async_method("stop", |_, this, opts: Value| async move {
            let timeout = timeout_opt("Container:stop", opts)?;
            this.handle
                .engine()?
                .container_stop(&this.id, timeout)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("restart", |_, this, opts: Value| async move {
            let timeout = timeout_opt("Container:restart", opts)?;
            this.handle
                .engine()?
                .container_restart(&this.id, timeout)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("kill", |_, this, signal: Value| async move {
            let signal = match signal {
                Value::Nil => None,
                Value::String(s) => Some(s.to_string_lossy()),
                Value::Integer(i) => Some(i.to_string()),
                other => {
                    return Err(invalid(
                        "Container:kill",
                        format!(
                            "bad argument 'signal' (string or integer expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            let engine = this.handle.engine()?;
            engine
                .container_kill(&this.id, signal.as_deref())
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("pause", |_, this, ()| async move {
            this.act_then_reload("/pause", Query::new()).await
        });
        methods.add_lazy_async_method("unpause", |_, this, ()| async move {
            this.act_then_reload("/unpause", Query::new()).await
        });
        methods.add_lazy_async_method("rename", |_, this, name: Value| async move {
            let name = args::string("Container:rename", "name", &name)?;
            this.handle
                .engine()?
                .container_rename(&this.id, &name)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("wait", |lua, this, opts: Value| async move {
            let opts = Opts::new("Container:wait", opts, &["condition", "timeout"])?;
            let condition = opts.string("condition")?;
            if let Some(c) = &condition {
                if !["not-running", "next-exit", "removed"].contains(&c.as_str()) {
                    return Err(invalid(
                        "Container:wait",
                        format!("bad option 'condition' (got '{}')", excerpt(c, 80)),
                    ));
                }
            }
            let engine = this.handle.engine()?;
            let wait = engine.container_wait(&this.id, condition.as_deref());
            let timeout = opts.seconds("timeout")?;
            let removed = condition.as_deref() == Some("removed");
            let wait = async move {
                match wait.await {
                    // Already gone: what was waited for has happened; its
                    // exit status is no longer known.
                    Err(e) if removed && e.kind == crate::engine::ErrorKind::NotFound => {
                        Ok(serde_json::json!({ "StatusCode": -1 }))
                    }
                    other => other,
                }
            };
            let answer = match timeout {
                None => wait.await,
                Some(limit) => match tokio::time::timeout(limit, wait).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        return Err(DockerError::new(
                            "Timeout",
                            format!(
                                "Container:wait: container {} not done after {} s",
                                this.short_id(),
                                limit.as_secs_f64()
                            ),
                        )
                        .into())
                    }
                },
            }
            .map_err(error::engine)?;
            let out = lua.create_table()?;
            out.set(
                "status_code",
                answer
                    .get("StatusCode")
                    .and_then(Json::as_i64)
                    .unwrap_or(-1),
            )?;
            let message = answer
                .pointer("/Error/Message")
                .and_then(Json::as_str)
                .filter(|m| !m.is_empty());
            out.set("error", message)?;
            Ok(out)
        });
        methods.add_lazy_async_method("logs", |lua, this, opts: Value| async move {
            output::logs(lua, &this, opts).await
        });
        methods.add_lazy_async_method("commit", |lua, this, args: MultiValue| async move {
            let opts = commit_options(args)?;
            let engine = this.handle.engine()?;
            let answer = engine
                .container_commit(&this.id, &opts)
                .await
                .map_err(error::engine)?;
            let id = answer.get("Id").and_then(Json::as_str).unwrap_or_default();
            let attrs = engine.image_inspect(id).await.map_err(error::engine)?;
            resource::object::<images::Image>(&lua, &this.handle, attrs)
        });
        methods.add_lazy_async_method(
            "exec",
            |lua, this, (command, opts): (Value, Value)| async move {
                output::exec(lua, &this, command, opts).await
            },
        );
        methods.add_lazy_async_method("attach", |lua, this, opts: Value| async move {
            super::attach::attach(lua, &this, opts).await
        });
        methods.add_lazy_async_method("top", |lua, this, ps_args: Value| async move {
            let ps_args = match ps_args {
                Value::Nil => None,
                v => Some(args::string("Container:top", "ps_args", &v)?),
            };
            let engine = this.handle.engine()?;
            let answer = engine
                .container_top(&this.id, ps_args.as_deref())
                .await
                .map_err(error::engine)?;
            convert::to_lua(&lua, &answer)
        });
        methods.add_lazy_async_method("stats", |lua, this, opts: Value| async move {
            // `decode` is accepted for the Python SDK's sake: samples are
            // always tables here.
            let opts = Opts::new("Container:stats", opts, &["stream", "decode"])?;
            let engine = this.handle.engine()?;
            if opts.flag("stream")? {
                let stream = engine
                    .container_stats_stream(&this.id)
                    .await
                    .map_err(error::engine)?;
                return iter::for_values(&lua, "StatsStream", StatsSource(stream));
            }
            let mut answer = engine
                .container_stats(&this.id)
                .await
                .map_err(error::engine)?;
            Figures::add_to(&mut answer);
            Ok(MultiValue::from_iter([convert::to_lua(&lua, &answer)?]))
        });
        methods.add_lazy_async_method(
            "put_archive",
            |_, this, (path, data): (Value, Value)| async move {
                const F: &str = "Container:put_archive";
                let path = args::string(F, "path", &path)?;
                let engine = this.handle.engine()?;
                match data {
                    Value::String(data) => {
                        let tar = Bytes::copy_from_slice(&data.as_bytes());
                        engine.container_put_archive(&this.id, &path, tar).await
                    }
                    Value::Table(_) => {
                        let opts = Opts::new(F, data, &["from"])?;
                        let Some(from) = opts.string("from")? else {
                            return Err(invalid(F, "option 'from' (a tar file's path) is required"));
                        };
                        engine
                            .container_put_archive_from(&this.id, &path, from.as_ref())
                            .await
                            .map_err(|e| e.named(F))
                    }
                    other => {
                        return Err(invalid(
                            F,
                            format!(
                                "bad argument 'data' (tar data as a string or {{from = path}} expected, got {})",
                                args::type_name(&other)
                            ),
                        ))
                    }
                }
                .map_err(error::engine)?;
                Ok(true)
            },
        );
        methods.add_lazy_async_method(
            "get_archive",
            |lua, this, (path, opts): (Value, Value)| async move {
                const F: &str = "Container:get_archive";
                let path = args::string(F, "path", &path)?;
                let opts = Opts::new(F, opts, &["to", "chunk_size", "encode_stream"])?;
                let engine = this.handle.engine()?;
                if let Some(to) = opts.string("to")? {
                    let stat = engine
                        .container_get_archive_to(&this.id, &path, to.as_ref())
                        .await
                        .map_err(error::engine)?;
                    return Ok((
                        Value::String(lua.create_string(&to)?),
                        convert::to_lua(&lua, &stat)?,
                    ));
                }
                let (tar, stat) = engine
                    .container_get_archive(&this.id, &path)
                    .await
                    .map_err(error::engine)?;
                Ok((
                    Value::String(lua.create_string(&tar)?),
                    convert::to_lua(&lua, &stat)?,
                ))
            },
        );
        methods.add_lazy_async_method(
            "copy_from",
            |lua, this, (path, dest, opts): (Value, Value, Value)| async move {
                const F: &str = "Container:copy_from";
                let path = args::string(F, "path", &path)?;
                let dest = args::string(F, "local_path", &dest)?;
                let opts = copy_options(F, opts, &["follow_link"])?;
                let engine = this.handle.engine()?;
                let landed = copy::copy_from(&engine, &this.id, &path, dest.as_ref(), opts)
                    .await
                    .map_err(error::engine)?;
                lua.create_string(landed.as_os_str().as_encoded_bytes())
            },
        );
        methods.add_lazy_async_method(
            "copy_to",
            |_, this, (src, path, opts): (Value, Value, Value)| async move {
                const F: &str = "Container:copy_to";
                let src = args::string(F, "local_path", &src)?;
                let path = args::string(F, "path", &path)?;
                let opts = copy_options(F, opts, &["follow_link", "archive"])?;
                let engine = this.handle.engine()?;
                copy::copy_to(&engine, &this.id, src.as_ref(), &path, opts)
                    .await
                    .map_err(error::engine)
            },
        );
        methods.add_lazy_async_method("diff", |lua, this, ()| async move {
            let engine = this.handle.engine()?;
            let answer = engine
                .container_diff(&this.id)
                .await
                .map_err(error::engine)?;
            // No change is `null`: an empty array then.
            let answer = if answer.is_null() {
                Json::Array(Vec::new())
            } else {
                answer
            };
            convert::to_lua(&lua, &answer)
        });
        methods.add_lazy_async_method("export", |_, this, opts: Value| async move {
            const F: &str = "Container:export";
            let opts = Opts::new(F, opts, &["path", "chunk_size"])?;
            let Some(path) = opts.string("path")? else {
                return Err(invalid(
                    F,
                    "option 'path' (where to write the tar) is required",
                ));
            };
            let engine = this.handle.engine()?;
            engine
                .container_export_to(&this.id, path.as_ref())
                .await
                .map_err(error::engine)
        });
        methods.add_lazy_async_method("update", |lua, this, opts: Value| async move {
            let body = super::spec::update_body("Container:update", opts)?;
            let engine = this.handle.engine()?;
            let answer = engine
                .container_update(&this.id, &body)
                .await
                .map_err(error::engine)?;
            this.reload().await?;
            convert::to_lua(&lua, &answer)
        });
        methods.add_lazy_async_method(
            "resize",
            |_, this, (height, width): (Value, Value)| async move {
                const F: &str = "Container:resize";
                let dim = |name: &str, v: &Value| match v {
                    Value::Integer(n) if (1..=u16::MAX as i64).contains(n) => Ok(*n as u32),
                    other => Err(invalid(
                        F,
                        format!(
                            "bad argument '{name}' (a positive integer expected, got {})",
                            args::type_name(other)
                        ),
                    )),
                };
                let (h, w) = (dim("height", &height)?, dim("width", &width)?);
                let engine = this.handle.engine()?;
                engine
                    .container_resize(&this.id, h, w)
                    .await
                    .map_err(error::engine)
            },
        );
        methods.add_lazy_async_method("ports", |lua, this, ()| async move {
            // Published ports change with a start: always asked afresh.
            this.reload().await?;
            let ports = this
                .attrs()
                .pointer("/NetworkSettings/Ports")
                .cloned()
                .unwrap_or(Json::Null);
            match ports {
                Json::Null => lua.create_table().map(Value::Table),
                ports => convert::to_lua(&lua, &ports),
            }
        });
    }
}

fn commit_options(args: MultiValue) -> mlua::Result<CommitOptions> {
    const F: &str = "Container:commit";
    let mut args = args.into_iter();
    let first = args.next().unwrap_or(Value::Nil);
    if let Value::Table(_) = first {
        let opts = Opts::new(
            F,
            first,
            &[
                "repository",
                "tag",
                "message",
                "author",
                "changes",
                "pause",
                "conf",
            ],
        )?;
        return Ok(CommitOptions {
            repository: opts.string("repository")?,
            tag: opts.string("tag")?,
            message: opts.string("message")?,
            author: opts.string("author")?,
            changes: opts.strings("changes")?.unwrap_or_default(),
            pause: opts.bool("pause")?,
            config: match opts.table("conf")? {
                Some(t) => Some(
                    convert::from_lua(&Value::Table(t))
                        .map_err(|e| invalid(F, format!("bad option 'conf': {}", e.0)))?,
                ),
                None => None,
            },
        });
    }
    let optional = |name: &str, v: Value| match v {
        Value::Nil => Ok(None),
        v => args::string(F, name, &v).map(Some),
    };
    Ok(CommitOptions {
        repository: optional("repository", first)?,
        tag: optional("tag", args.next().unwrap_or(Value::Nil))?,
        ..CommitOptions::default()
    })
}

/// Stats samples as they come, each with the figures `docker stats` shows.
struct StatsSource(JsonStream);

impl iter::Source for StatsSource {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> futures_util::future::LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            let Some(mut sample) = self.0.next().await.map_err(error::engine)? else {
                return Ok(None);
            };
            Figures::add_to(&mut sample);
            Ok(Some(MultiValue::from_iter([convert::to_lua(
                lua, &sample,
            )?])))
        })
    }
}

/// `{follow_link =, archive =}` of `copy_from`/`copy_to`.
fn copy_options(f: &'static str, opts: Value, known: &[&str]) -> mlua::Result<CopyOptions> {
    let opts = Opts::new(f, opts, known)?;
    Ok(CopyOptions {
        follow_link: opts.flag("follow_link")?,
        archive: known.contains(&"archive") && opts.flag("archive")?,
    })
}
