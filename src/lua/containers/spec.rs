//! Arguments of `create` and `run`: the image, the command and the options
//! that decide how the call runs are read here; the options that make the
//! create body are read by the engine layer's option model
//! ([`crate::engine::options::container`]), as compose and services read
//! theirs.

use crate::engine::error::excerpt;
use mlua::{MultiValue, Table, Value};
use serde_json::{json, Map, Value as Json};

use crate::engine::options::container::{self as model, CALL_OPTIONS, RUN_OPTIONS};
use crate::lua::args::{self, Opts};
use crate::lua::error::invalid;
use crate::lua::fields;
use crate::lua::images::Image;
use crate::lua::resource::Object;

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
    /// `use_config_proxy` (default true).
    pub(super) proxies: bool,
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
        let known = model::options(run);
        let opts = Opts::new(function, opts, &known)?;
        // `{command = ...}` as the Python SDK's keyword, or the argument.
        let command = match (command, opts.raw("command")?) {
            (Value::Nil, Value::Nil) => None,
            (Value::Nil, given) | (given, Value::Nil) => words(function, "command", &given)?,
            _ => {
                return Err(invalid(
                    function,
                    "the command is given twice (as an argument and as option 'command')",
                ))
            }
        };
        if let Some(t) = opts.table("ports")? {
            check_ports(function, &t)?;
        }
        let mut body_opts = match opts.raw_table() {
            Some(t) => match fields::json(function, "opts", &Value::Table(t.clone()))? {
                Json::Object(map) => map,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        body_opts.retain(|k, _| {
            !CALL_OPTIONS.contains(&k.as_str()) && !RUN_OPTIONS.contains(&k.as_str())
        });
        let mut config = model::create_body(&image, command.clone(), &body_opts)
            .map_err(|e| invalid(function, e.message))?;

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
            if let Some(Json::Object(host)) = config.get_mut("HostConfig") {
                host.insert("AutoRemove".into(), json!(true));
            }
        }

        let pull = match opts.string("pull")?.as_deref() {
            None | Some("missing") => Pull::Missing,
            Some("always") => Pull::Always,
            Some("never") => Pull::Never,
            Some(other) => {
                return Err(invalid(
                    function,
                    format!(
                        "bad option 'pull' ('missing', 'always' or 'never' expected, got '{}')",
                        args::prefix(other, 40)
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
            proxies: opts.bool("use_config_proxy")?.unwrap_or(true),
        })
    }
}

/// A `ports` table is a list of specs or a map by container port: both in
/// one table would read list positions as container ports.
fn check_ports(function: &str, t: &Table) -> mlua::Result<()> {
    let len = t.raw_len();
    if len > 0 && t.pairs::<Value, Value>().count() != len {
        return Err(invalid(
            function,
            "bad option 'ports' (a list of specs such as \"8080:80\" or a map \
             {[80] = 8080}, not both in one table)",
        ));
    }
    Ok(())
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
                    format!(
                        "bad argument '{name}' (unbalanced quotes in '{}')",
                        excerpt(&text, 80)
                    ),
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

/// The body of `c:update{...}` (the Python SDK's options).
pub(super) fn update_body(function: &'static str, opts: Value) -> mlua::Result<Json> {
    let opts = Opts::new(function, opts, model::UPDATE_OPTIONS)?;
    let map = match opts.raw_table() {
        Some(t) => match fields::json(function, "opts", &Value::Table(t.clone()))? {
            Json::Object(map) => map,
            _ => Map::new(),
        },
        None => Map::new(),
    };
    model::update_body(&map).map_err(|e| invalid(function, e.message))
}
