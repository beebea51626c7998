//! Arguments of `create` and `run`: the Python SDK's option names to the
//! engine's create body (the options' converters are in [`options`]).

use mlua::{MultiValue, Table, Value};
use serde_json::{json, Map, Value as Json};

use super::{options, ports};
use crate::lua::args::{self, Opts};
use crate::lua::error::invalid;
use crate::lua::images::Image;
use crate::lua::resource::Object;

/// Options `create` knows besides [`options::SIMPLE`], named as in the
/// Python SDK.
pub(super) const CREATE_OPTS: &[&str] = &[
    "name",
    "environment",
    "labels",
    "entrypoint",
    "user",
    "tty",
    "stdin_open",
    "auto_remove",
    "network",
    "network_mode",
    "networking_config",
    "ports",
    "volumes",
    "mounts",
    "tmpfs",
    "devices",
    "links",
    "log_config",
    "restart_policy",
    "healthcheck",
    "platform",
    "pull",
    "raw",
    // Accepted by `create` as the Python SDK does, without effect.
    "detach",
];

/// What `run` adds to them.
pub(super) const RUN_OPTS: &[&str] = &["remove", "stdout", "stderr", "stream", "interactive"];

/// A parsed `create`/`run` call.
pub(super) struct Spec {
    pub(super) image: String,
    pub(super) command: Option<Vec<String>>,
    pub(super) name: Option<String>,
    pub(super) platform: Option<String>,
    /// The create body.
    pub(super) config: Json,
    pub(super) pull: Pull,
    pub(super) detach: bool,
    pub(super) remove: bool,
    pub(super) stdout: bool,
    pub(super) stderr: bool,
    /// `stream = true`, `interactive = true` (see `attach.rs`).
    pub(super) stream: bool,
    pub(super) interactive: bool,
}

pub(super) use crate::engine::run::Pull;

impl Spec {
    pub(super) fn parse(function: &'static str, args: MultiValue, run: bool) -> mlua::Result<Spec> {
        let mut args = args.into_iter();
        let image = image_ref(function, &args.next().unwrap_or(Value::Nil))?;
        let mut command = args.next().unwrap_or(Value::Nil);
        let mut opts = args.next().unwrap_or(Value::Nil);
        // run(image, {detach = true}): the command is optional.
        if let (Value::Table(t), Value::Nil) = (&command, &opts) {
            if args::is_options_table(t) {
                opts = std::mem::replace(&mut command, Value::Nil);
            }
        }
        let mut known: Vec<&str> = CREATE_OPTS.to_vec();
        known.extend(options::SIMPLE.iter().map(|(name, ..)| *name));
        if run {
            known.extend(RUN_OPTS);
        }
        let opts = Opts::new(function, opts, &known)?;
        let command = words(function, "command", &command)?;

        let mut config = Map::new();
        let mut host = Map::new();
        config.insert("Image".into(), json!(image));
        if let Some(cmd) = &command {
            config.insert("Cmd".into(), json!(cmd));
        }
        if let Some(entrypoint) = words(function, "entrypoint", &opts.raw("entrypoint")?)? {
            config.insert("Entrypoint".into(), json!(entrypoint));
        }
        if let Some(env) = opts.table("environment")? {
            config.insert(
                "Env".into(),
                json!(key_values(function, "environment", &env)?),
            );
        }
        if let Some(labels) = opts.table("labels")? {
            config.insert("Labels".into(), labels_json(function, &labels)?);
        }
        if let Some(user) = options::user(&opts)? {
            config.insert("User".into(), json!(user));
        }
        for simple in options::SIMPLE {
            if let Some(value) = options::simple_value(&opts, simple)? {
                let target = match simple.1 {
                    options::At::Config => &mut config,
                    options::At::Host => &mut host,
                };
                target.insert(simple.2.into(), value);
            }
        }
        let tty = opts.flag("tty")?;
        config.insert("Tty".into(), json!(tty));
        if opts.flag("stdin_open")? {
            config.insert("OpenStdin".into(), json!(true));
        }
        if let Some(hc) = opts.table("healthcheck")? {
            config.insert("Healthcheck".into(), options::healthcheck(function, &hc)?);
        }

        let detach = run && opts.flag("detach")?;
        let remove = run && opts.flag("remove")?;
        // `run` removes a container once it has read its output; detached,
        // it never does: the engine must (`auto_remove`). The Python SDK
        // refuses the pair too rather than leave the container behind.
        if detach && remove {
            return Err(invalid(
                function,
                "options 'detach' and 'remove' cannot be used together \
                 (use 'auto_remove' for a detached container)",
            ));
        }
        // Without detach we read the output after the exit, so the engine must
        // not remove the container first: `run` removes it itself.
        let auto_remove = opts.flag("auto_remove")?;
        if auto_remove && (detach || !run) {
            host.insert("AutoRemove".into(), json!(true));
        }
        if let Some(network) = opts.string("network")?.or(opts.string("network_mode")?) {
            host.insert("NetworkMode".into(), json!(network));
        }
        if let Some(t) = opts.table("networking_config")? {
            config.insert(
                "NetworkingConfig".into(),
                options::networking_config(function, &t)?,
            );
        }
        if let Some(ports) = opts.table("ports")? {
            let (exposed, bindings) = ports::ports(function, &ports)?;
            config.insert("ExposedPorts".into(), exposed);
            host.insert("PortBindings".into(), bindings);
        }
        if let Some(volumes) = opts.table("volumes")? {
            host.insert("Binds".into(), json!(binds(function, &volumes)?));
        }
        if let Some(mounts) = opts.table("mounts")? {
            host.insert("Mounts".into(), options::mounts(function, &mounts)?);
        }
        if let Some(t) = opts.table("tmpfs")? {
            host.insert("Tmpfs".into(), options::tmpfs(function, &t)?);
        }
        if let Some(list) = opts.strings("devices")? {
            host.insert("Devices".into(), options::devices(function, list)?);
        }
        if let Some(t) = opts.table("links")? {
            host.insert("Links".into(), options::links(function, &t)?);
        }
        let log = opts.raw("log_config")?;
        if !log.is_nil() {
            host.insert("LogConfig".into(), options::log_config(function, &log)?);
        }
        if let Some(policy) = opts.table("restart_policy")? {
            host.insert(
                "RestartPolicy".into(),
                options::restart_policy(function, &policy)?,
            );
        }
        config.insert("HostConfig".into(), Json::Object(host));
        if let Some(raw) = opts.table("raw")? {
            options::merge_raw(function, &mut config, &raw)?;
        }

        let pull = match opts.string("pull")?.as_deref() {
            None | Some("missing") => Pull::Missing,
            Some("always") => Pull::Always,
            Some("never") => Pull::Never,
            Some(other) => {
                return Err(invalid(
                    function,
                    format!(
                    "bad option 'pull' ('missing', 'always' or 'never' expected, got '{other}')"
                ),
                ))
            }
        };
        Ok(Spec {
            image,
            command,
            name: match opts.raw("name")? {
                Value::Nil => None,
                v => Some(args::name(function, "name", &v, args::NameKind::Container)?),
            },
            platform: opts.string("platform")?,
            config: Json::Object(config),
            pull,
            detach,
            remove: remove || (auto_remove && !detach),
            stdout: opts.bool("stdout")?.unwrap_or(true),
            stderr: opts.flag("stderr")?,
            stream: run && opts.flag("stream")?,
            interactive: run && opts.flag("interactive")?,
        })
    }
}

/// The image argument: a reference, or an `Image` object (its first tag,
/// else its id).
fn image_ref(function: &str, value: &Value) -> mlua::Result<String> {
    if let Value::UserData(ud) = value {
        if let Ok(image) = ud.borrow::<Object<Image>>() {
            let tag = image
                .attrs()
                .pointer("/RepoTags/0")
                .and_then(Json::as_str)
                .filter(|t| *t != "<none>:<none>")
                .map(str::to_owned);
            return Ok(tag.unwrap_or_else(|| image.id.clone()));
        }
    }
    match value {
        Value::String(_) => args::name(function, "image", value, args::NameKind::Image),
        other => Err(invalid(
            function,
            format!(
                "bad argument 'image' (string or Image expected, got {})",
                args::type_name(other)
            ),
        )),
    }
}

/// A command: an array of strings, or a string split as a POSIX shell splits
/// words (quotes respected, nothing expanded).
pub(super) fn words(
    function: &str,
    name: &str,
    value: &Value,
) -> mlua::Result<Option<Vec<String>>> {
    match value {
        Value::Nil => Ok(None),
        Value::String(s) => {
            let text = s.to_string_lossy();
            shlex::split(&text).map(Some).ok_or_else(|| {
                invalid(
                    function,
                    format!("bad argument '{name}' (unbalanced quotes in '{text}')"),
                )
            })
        }
        Value::Table(t) => args::string_list(function, name, t).map(Some),
        other => Err(invalid(
            function,
            format!(
                "bad argument '{name}' (string or array expected, got {})",
                args::type_name(other)
            ),
        )),
    }
}

/// `{K = "v"}` or `{"K=v"}` to `["K=v"]`, sorted for a stable order.
pub(super) fn key_values(function: &str, name: &str, table: &Table) -> mlua::Result<Vec<String>> {
    if table.raw_len() > 0 {
        return args::string_list(function, name, table);
    }
    let mut out: Vec<String> = args::string_pairs(function, name, table)?
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    out.sort();
    Ok(out)
}

fn labels_json(function: &str, table: &Table) -> mlua::Result<Json> {
    let mut map = Map::new();
    if table.raw_len() > 0 {
        for name in args::string_list(function, "labels", table)? {
            map.insert(name, json!(""));
        }
    } else {
        for kv in key_values(function, "labels", table)? {
            let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
            map.insert(k.to_owned(), json!(v));
        }
    }
    Ok(Json::Object(map))
}

/// `volumes = {"/host:/ctr:ro"}` or `{["/host"] = {bind = "/ctr", mode = "ro"}}`.
fn binds(function: &str, table: &Table) -> mlua::Result<Vec<String>> {
    if table.raw_len() > 0 {
        return args::string_list(function, "volumes", table);
    }
    let mut out = Vec::new();
    for pair in table.pairs::<String, Table>() {
        let (source, spec) = pair.map_err(|_| {
            invalid(
                function,
                "bad option 'volumes' (array or map of tables expected)",
            )
        })?;
        let bind: String = spec.get("bind").map_err(|_| {
            invalid(
                function,
                format!("bad 'volumes' entry for '{source}' (needs bind)"),
            )
        })?;
        let mode: Option<String> = spec.get("mode")?;
        out.push(format!(
            "{source}:{bind}:{}",
            mode.as_deref().unwrap_or("rw")
        ));
    }
    out.sort();
    Ok(out)
}

/// The create body of `containers.create(image, command, options)` for
/// options held as JSON (a compose service's): the same reader, so an
/// option means the same wherever it is written.
pub(crate) fn create_body(
    lua: &mlua::Lua,
    function: &'static str,
    image: &str,
    command: Option<&Json>,
    options: &Map<String, Json>,
) -> mlua::Result<Json> {
    let command = match command {
        Some(c) => crate::lua::convert::to_lua(lua, c)?,
        None => Value::Nil,
    };
    let opts = crate::lua::convert::to_lua(lua, &Json::Object(options.clone()))?;
    let args = MultiValue::from_iter([Value::String(lua.create_string(image)?), command, opts]);
    Ok(Spec::parse(function, args, false)?.config)
}
