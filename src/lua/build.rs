//! `images.build`, `images.load`, `images.get_registry_data` and
//! `Image:save`: converting their options and answers; the work (tarring,
//! streaming, `.dockerignore`) is the engine layer's.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use mlua::{Function, Lua, MultiValue, Table, Value};
use serde_json::Value as Json;

use super::args::{self, Opts};
use super::error::{self, invalid, BuildFailure};
use super::handle::Handle;
use super::images::{auth_opt, Image};
use super::resource;
use super::{convert, iter};
use crate::engine::build::{self, BuildOptions, Context};
use crate::engine::buildkit::{self, KitOptions, SecretSource};
use crate::engine::error::excerpt;
use crate::engine::images::Archive;

const BUILD_OPTIONS: &[&str] = &[
    "path",
    "fileobj",
    "tag",
    "dockerfile",
    "buildargs",
    "labels",
    "target",
    "nocache",
    "pull",
    "rm",
    "forcerm",
    "network_mode",
    "extra_hosts",
    "platform",
    "cache_from",
    "shmsize",
    "quiet",
    "squash",
    "auth",
    "progress",
    "buildkit",
    "secrets",
    "ssh",
    "build_contexts",
];

/// `images.build(opts)` -> `Image, logs`.
pub async fn build(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    const F: &str = "images.build";
    let opts = Opts::new(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        BUILD_OPTIONS,
    )?;
    let context = match (opts.string("path")?, opts.string("fileobj")?) {
        (Some(path), None) => Context::Dir(PathBuf::from(path)),
        (None, Some(text)) => Context::Dockerfile(text),
        (Some(_), Some(_)) => return Err(invalid(F, "give 'path' or 'fileobj', not both")),
        (None, None) => return Err(invalid(F, "missing option 'path' (or 'fileobj')")),
    };
    if matches!(context, Context::Dockerfile(_)) && opts.string("dockerfile")?.is_some() {
        return Err(invalid(
            F,
            "'dockerfile' names a file in 'path'; not with 'fileobj'",
        ));
    }
    let options = BuildOptions {
        tags: opts.strings("tag")?.unwrap_or_default(),
        dockerfile: opts.string("dockerfile")?,
        buildargs: string_map(&opts, "buildargs")?,
        labels: match opts.raw("labels")? {
            Value::Nil => BTreeMap::new(),
            v => match super::fields::labels(opts.function(), "labels", &v)? {
                serde_json::Value::Object(map) => map
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                    .collect(),
                _ => BTreeMap::new(),
            },
        },
        target: opts.string("target")?,
        nocache: opts.flag("nocache")?,
        pull: opts.flag("pull")?,
        rm: opts.bool("rm")?.unwrap_or(true),
        forcerm: opts.flag("forcerm")?,
        network_mode: opts.string("network_mode")?,
        extra_hosts: extra_hosts(&opts)?,
        platform: opts.string("platform")?,
        cache_from: opts.strings("cache_from")?.unwrap_or_default(),
        shmsize: opts.integer("shmsize")?,
        quiet: opts.flag("quiet")?,
        squash: opts.flag("squash")?,
        auth: match auth_opt(F, &opts)? {
            crate::engine::images::Auth::Given(value) => Some(value),
            crate::engine::images::Auth::FromConfig => None,
        },
    };
    let progress = match opts.function_value("progress")? {
        Some(f) => Progress::Callback(f),
        None if std::io::stderr().is_terminal() => Progress::Stderr,
        None => Progress::Quiet,
    };
    let buildkit = opts
        .bool("buildkit")?
        .unwrap_or_else(buildkit::enabled_by_env);
    if buildkit {
        let kit = kit_options(&opts)?;
        return build_kit(lua, h, context, options, kit, progress).await;
    }
    for only_kit in ["secrets", "ssh", "build_contexts"] {
        if !opts.raw(only_kit)?.is_nil() {
            return Err(invalid(
                F,
                format!("'{only_kit}' needs a BuildKit build (buildkit = true)"),
            ));
        }
    }
    let engine = h.engine()?;
    let mut running = engine
        .image_build(context, &options)
        .await
        .map_err(error::engine)?;
    let mut log = Vec::new();
    let mut image = None;
    while let Some(event) = running.next().await.map_err(error::engine)? {
        progress.show(&lua, &event).await?;
        if let Some(message) = build::build_error(&event) {
            log.push(event);
            return Err(BuildFailure {
                message,
                build_log: std::sync::Arc::new(Json::Array(log)),
            }
            .into());
        }
        if let Some(id) = build::built_image(&event) {
            image = Some(id);
        }
        log.push(event);
    }
    built(&lua, &h, image, log).await
}

/// The BuildKit options: `secrets`, `ssh`, and the refused
/// `build_contexts` (with the reason).
/// Both builders' answer: the built image and the build log (an array);
/// an engine that named no image fails with that log.
async fn built(
    lua: &Lua,
    h: &Handle,
    image: Option<String>,
    log: Vec<Json>,
) -> mlua::Result<MultiValue> {
    let Some(id) = image else {
        return Err(BuildFailure {
            message: "the engine named no built image".to_owned(),
            build_log: std::sync::Arc::new(Json::Array(log)),
        }
        .into());
    };
    let image = resource::fetch::<Image>(lua, h, &id).await?;
    let logs = convert::to_lua(lua, &Json::Array(log))?;
    if let Value::Table(t) = &logs {
        t.set_metatable(Some(convert::array_metatable(lua)?))?;
    }
    Ok(MultiValue::from_iter([image, logs]))
}

fn kit_options(opts: &Opts) -> mlua::Result<KitOptions> {
    const F: &str = "images.build";
    if !opts.raw("build_contexts")?.is_nil() {
        return Err(invalid(
            F,
            "'build_contexts' needs Dockerfile frontend 1.4 named contexts, which the \
             engine's /build API cannot pass (Engine 20.10's built-in frontend lacks them)",
        ));
    }
    let mut kit = KitOptions {
        ssh: ssh_option(opts)?,
        ..KitOptions::default()
    };
    let Some(list) = opts.table("secrets")? else {
        return Ok(kit);
    };
    for (i, item) in list.sequence_values::<Value>().enumerate() {
        let Value::Table(item) = item? else {
            return Err(invalid(
                F,
                format!(
                    "secrets[{}] must be a table {{id =, src =}} or {{id =, env =}}",
                    i + 1
                ),
            ));
        };
        let what = format!("secrets[{}]", i + 1);
        let field = |name: &str| -> mlua::Result<Option<String>> {
            match item.raw_get::<Value>(name)? {
                Value::Nil => Ok(None),
                v => args::string(F, &format!("{what}.{name}"), &v).map(Some),
            }
        };
        let id = field("id")?.ok_or_else(|| invalid(F, format!("{what} has no 'id'")))?;
        let source = match (field("src")?, field("env")?) {
            (Some(src), None) => SecretSource::File(PathBuf::from(src)),
            (None, Some(env)) => SecretSource::Env(env),
            _ => {
                return Err(invalid(
                    F,
                    format!("{what} ('{id}') needs one of 'src' (a file) or 'env' (a variable)"),
                ))
            }
        };
        kit.secrets.push((id, source));
    }
    if list.raw_len() == 0 && list.pairs::<Value, Value>().next().is_some() {
        return Err(invalid(F, "'secrets' must be a list of {id =, src|env =}"));
    }
    Ok(kit)
}

/// `ssh = {default = path | {paths} | true, ID = ...}` (`true`: the
/// agent `$SSH_AUTH_SOCK` names), or the CLI's words: `{"default",
/// "ID=path[,path]"}`. Sorted by id.
fn ssh_option(opts: &Opts) -> mlua::Result<Vec<(String, Vec<PathBuf>)>> {
    const F: &str = "images.build";
    let Some(table) = opts.table("ssh")? else {
        return Ok(Vec::new());
    };
    let bad = |what: String| invalid(F, what);
    let paths = |text: &str| -> Vec<PathBuf> {
        text.split(',')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect()
    };
    let mut ids = BTreeMap::new();
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair?;
        let (id, given) = match (key, value) {
            (Value::Integer(_), Value::String(s)) => {
                let text = s.to_string_lossy();
                match text.split_once('=') {
                    Some((id, rest)) => (id.to_owned(), paths(rest)),
                    None => (text, Vec::new()),
                }
            }
            (Value::Integer(i), other) => {
                return Err(bad(format!(
                    "ssh[{i}] must be a string 'ID' or 'ID=path[,path]' (got {})",
                    other.type_name()
                )))
            }
            (Value::String(id), value) => {
                let id = id.to_string_lossy();
                let given = match value {
                    Value::Boolean(true) => Vec::new(),
                    Value::String(p) => paths(&p.to_string_lossy()),
                    Value::Table(list) => args::string_list(F, &format!("ssh.{id}"), &list)?
                        .into_iter()
                        .map(PathBuf::from)
                        .collect(),
                    other => {
                        return Err(bad(format!(
                            "ssh.{id} must be an agent socket or key path, a list of key \
                             paths, or true for $SSH_AUTH_SOCK (got {})",
                            other.type_name()
                        )))
                    }
                };
                (id, given)
            }
            (other, _) => {
                return Err(bad(format!(
                    "'ssh' is a table of ids (got a {} key)",
                    other.type_name()
                )))
            }
        };
        if id.is_empty() || id.contains([',', '=']) {
            return Err(bad(format!(
                "ssh id '{}' must be a non-empty name",
                excerpt(&id, 40)
            )));
        }
        if ids.insert(id.clone(), given).is_some() {
            return Err(bad(format!("ssh id '{}' is given twice", excerpt(&id, 40))));
        }
    }
    Ok(ids.into_iter().collect())
}

/// A BuildKit build: events (traces decoded) to `progress`, the plain
/// progress on a terminal; a failed step raises `BuildError` with its log.
async fn build_kit(
    lua: Lua,
    h: Handle,
    context: Context,
    options: BuildOptions,
    kit: KitOptions,
    progress: Progress,
) -> mlua::Result<MultiValue> {
    let engine = h.engine()?;
    let mut running = engine
        .image_build_kit(context, &options, &kit)
        .await
        .map_err(error::engine)?;
    let mut log = Vec::new();
    let mut image = None;
    while let Some((event, lines)) = running.next().await.map_err(error::engine)? {
        match &progress {
            Progress::Callback(f) => f.call_async::<()>(convert::to_lua(&lua, &event)?).await?,
            Progress::Stderr => {
                let mut err = std::io::stderr().lock();
                for line in lines {
                    let _ = writeln!(err, "{line}");
                }
                let _ = err.flush();
            }
            Progress::Quiet => {}
        }
        if let Some(message) = running.failure(&event) {
            log.push(event);
            return Err(BuildFailure {
                message,
                build_log: std::sync::Arc::new(Json::Array(log)),
            }
            .into());
        }
        if let Some(id) = build::built_image(&event) {
            image = Some(id);
        }
        log.push(event);
    }
    // What the session's file sync sent: the bytes of the context read.
    log.push(serde_json::json!({
        "id": "dockerlua.context",
        "aux": {"bytes": running.context_bytes()},
    }));
    built(&lua, &h, image, log).await
}

/// Where build events go.
enum Progress {
    Callback(Function),
    /// The build's own output, as `docker build` prints it.
    Stderr,
    Quiet,
}

impl Progress {
    async fn show(&self, lua: &Lua, event: &Json) -> mlua::Result<()> {
        match self {
            Progress::Callback(f) => f.call_async::<()>(convert::to_lua(lua, event)?).await,
            Progress::Stderr => {
                let text = event
                    .get("stream")
                    .and_then(Json::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        event
                            .get("status")
                            .and_then(Json::as_str)
                            .map(|s| format!("{s}\n"))
                    });
                if let Some(text) = text {
                    let mut err = std::io::stderr().lock();
                    let _ = err.write_all(text.as_bytes());
                    let _ = err.flush();
                }
                Ok(())
            }
            Progress::Quiet => Ok(()),
        }
    }
}

/// A table of strings by name (`buildargs`, `labels`); numbers and
/// booleans are taken as their text.
fn string_map(opts: &Opts, name: &str) -> mlua::Result<BTreeMap<String, String>> {
    match opts.table(name)? {
        Some(table) => Ok(args::string_pairs(opts.function(), name, &table)?
            .into_iter()
            .collect()),
        None => Ok(BTreeMap::new()),
    }
}

/// `extra_hosts`: `{"host:ip", ...}` or `{host = "ip"}`.
fn extra_hosts(opts: &Opts) -> mlua::Result<Vec<String>> {
    let Some(table) = opts.table("extra_hosts")? else {
        return Ok(Vec::new());
    };
    if table.raw_len() > 0 {
        return args::string_list(opts.function(), "extra_hosts", &table);
    }
    Ok(string_map(opts, "extra_hosts")?
        .into_iter()
        .map(|(host, ip)| format!("{host}:{ip}"))
        .collect())
}

/// `images.load{path =}` or `images.load(tar_string)` -> array of `Image`.
pub async fn load(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Table> {
    const F: &str = "images.load";
    let arg = args.into_iter().next().unwrap_or(Value::Nil);
    let path;
    let archive = match arg {
        Value::String(s) => Archive::Bytes(bytes::Bytes::copy_from_slice(&s.as_bytes())),
        other => {
            let opts = Opts::new(F, other, &["path"])?;
            path = PathBuf::from(opts.string("path")?.ok_or_else(|| {
                invalid(F, "missing option 'path' (or give the archive as a string)")
            })?);
            Archive::File(&path)
        }
    };
    let engine = h.engine()?;
    let names = engine.image_load(archive).await.map_err(error::engine)?;
    let images = lua.create_table()?;
    for name in names {
        images.raw_push(resource::fetch::<Image>(&lua, &h, &name).await?)?;
    }
    images.set_metatable(Some(convert::array_metatable(&lua)?))?;
    Ok(images)
}

/// `images.get_registry_data(reference [, {auth =}])` ->
/// `{id, digest, platforms, attrs}`.
pub async fn registry_data(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Table> {
    const F: &str = "images.get_registry_data";
    let mut args = args.into_iter();
    let reference = args::string(F, "reference", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(F, args.next().unwrap_or(Value::Nil), &["auth"])?;
    let auth = auth_opt(F, &opts)?;
    let answer = h
        .engine()?
        .distribution_inspect(&reference, &auth)
        .await
        .map_err(error::engine)?;
    let t = lua.create_table()?;
    let digest = answer
        .pointer("/Descriptor/digest")
        .cloned()
        .unwrap_or(Json::Null);
    t.raw_set("id", convert::to_lua(&lua, &digest)?)?;
    t.raw_set("digest", convert::to_lua(&lua, &digest)?)?;
    let platforms = answer
        .get("Platforms")
        .cloned()
        .unwrap_or(Json::Array(Vec::new()));
    let platforms = convert::to_lua(&lua, &platforms)?;
    if let Value::Table(p) = &platforms {
        p.set_metatable(Some(convert::array_metatable(&lua)?))?;
    }
    t.raw_set("platforms", platforms)?;
    t.raw_set("attrs", convert::to_lua(&lua, &answer)?)?;
    Ok(t)
}

/// `Image:save{path =}`: the image's `docker save` archive, streamed to a
/// file; returns the bytes written. Without `path`, a `for` iterator of the
/// archive's chunks (strings), as the Python SDK's `save()` is. `named`: the
/// name the archive gives the image: a tag of it, `true` for its first tag
/// (the default), `false` for none (its id, as the SDK's default).
pub async fn save(
    lua: &Lua,
    image: &resource::Object<Image>,
    opts: Value,
) -> mlua::Result<MultiValue> {
    const F: &str = "Image:save";
    let opts = Opts::new(F, opts, &["path", "named", "chunk_size"])?;
    let tags: Vec<String> = image
        .attrs()
        .get("RepoTags")
        .and_then(Json::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Json::as_str)
                .filter(|t| *t != "<none>:<none>")
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let name = match opts.raw("named")? {
        Value::String(s) => {
            let named = s.to_string_lossy();
            if !tags.contains(&named) {
                return Err(invalid(
                    F,
                    format!(
                        "bad option 'named' ('{}' is not a tag of the image)",
                        excerpt(&named, 80)
                    ),
                ));
            }
            named
        }
        Value::Boolean(false) => image.id.clone(),
        // A tag keeps the name in the archive (an id alone loads untagged).
        Value::Nil | Value::Boolean(true) => {
            tags.first().cloned().unwrap_or_else(|| image.id.clone())
        }
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad option 'named' (string or boolean expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    // The SDK's `chunk_size` is the engine's to choose here.
    let _ = opts.count("chunk_size")?;
    let engine = image.handle.engine()?;
    let Some(path) = opts.string("path")? else {
        let reader = engine
            .image_save_reader(&[&name])
            .await
            .map_err(error::engine)?;
        return iter::for_values(lua, "SaveStream", Chunks(reader));
    };
    let written = engine
        .image_save(&[&name], std::path::Path::new(&path))
        .await
        .map_err(error::engine)?;
    Ok(MultiValue::from_iter([Value::Integer(written as i64)]))
}

/// An answer's body, one string per chunk as it arrives.
struct Chunks(crate::engine::BodyReader);

impl iter::Source for Chunks {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> futures_util::future::LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            match self.0.chunk().await.map_err(error::engine)? {
                Some(chunk) => Ok(Some(MultiValue::from_iter([Value::String(
                    lua.create_string(&chunk)?,
                )]))),
                None => Ok(None),
            }
        })
    }
}
