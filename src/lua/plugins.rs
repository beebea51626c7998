//! `docker.plugins` and the `Plugin` object (managed plugins, `docker
//! plugin`), on the resource model, as the Python SDK has them: `install`
//! (pull, every privilege asked granted), `create` from a folder, and on a
//! plugin `enable`, `disable`, `configure`, `upgrade`, `push`.

use mlua::{Lua, MultiValue, Table, UserDataFields, Value};
use serde_json::Value as Json;

use super::args::{self, NameKind, Opts};
use super::convert;
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::images::{follow_progress, Progress};
use super::resource::{self, AsyncMethods, Methods, Model, Object};
use crate::engine::plugins::PLUGINS;
use crate::engine::resource::Kind;

/// Puts `docker.plugins` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Plugin>(lua, handle, client)
}

/// The `Plugin` kind on the shared resource model.
pub struct Plugin;

impl Model for Plugin {
    const NAME: &'static str = "Plugin";
    const COLLECTION: &'static str = "PluginCollection";
    const KIND: &'static Kind = &PLUGINS;
    const MEMBERS: &'static [&'static str] = &[
        "enabled",
        "settings",
        "enable",
        "disable",
        "configure",
        "upgrade",
        "push",
    ];
    const REMOVE: Option<&'static [(&'static str, &'static str)]> = Some(&[("force", "force")]);
    const NAME_KIND: NameKind = NameKind::Image;
    const ID_ARG: &'static str = "name";

    fn describe(object: &Object<Self>) -> String {
        object.name().unwrap_or_else(|| object.short_id())
    }

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        fields.add_field_method_get("enabled", |_, this| {
            Ok(this.attrs().get("Enabled").and_then(Json::as_bool) == Some(true))
        });
        fields.add_field_method_get("settings", |lua, this| match this.attrs().get("Settings") {
            Some(settings) if !settings.is_null() => convert::to_lua(lua, settings),
            _ => lua.create_table().map(Value::Table),
        });
    }

    fn methods(methods: &mut Methods<Self>) {
        methods.add_lazy_async_method("enable", |_, this, opts: Value| async move {
            const F: &str = "Plugin:enable";
            // `enable(10)` as the SDK's positional `timeout`, or `{timeout = 10}`.
            let timeout = match &opts {
                Value::Integer(_) | Value::Number(_) => args::count(F, "timeout", &opts)?,
                _ => Opts::new(F, opts, &["timeout"])?
                    .count("timeout")?
                    .unwrap_or(0),
            };
            let engine = this.handle.engine()?;
            engine
                .plugin_enable(&reference(&this), timeout)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("disable", |_, this, opts: Value| async move {
            const F: &str = "Plugin:disable";
            let force = match &opts {
                Value::Boolean(b) => *b,
                _ => Opts::new(F, opts, &["force"])?.flag("force")?,
            };
            let engine = this.handle.engine()?;
            engine
                .plugin_disable(&reference(&this), force)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("configure", |_, this, options: Value| async move {
            let settings = settings("Plugin:configure", &options)?;
            let engine = this.handle.engine()?;
            engine
                .plugin_set(&reference(&this), &settings)
                .await
                .map_err(error::engine)?;
            this.reload().await
        });
        methods.add_lazy_async_method("upgrade", |lua, this, args: MultiValue| async move {
            const F: &str = "Plugin:upgrade";
            let (given, opts) = positional(F, &["remote"], &["progress"], args)?;
            let remote = match given.into_iter().next().flatten() {
                Some(remote) => remote,
                None => this
                    .attrs()
                    .get("PluginReference")
                    .and_then(Json::as_str)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| invalid(F, "the plugin has no reference: give 'remote'"))?,
            };
            // An enabled plugin is refused by the engine (Conflict).
            let progress = Progress::from_opts(&opts)?;
            let engine = this.handle.engine()?;
            let privileges = engine
                .plugin_privileges(&remote)
                .await
                .map_err(error::engine)?;
            let stream = engine
                .plugin_upgrade(&reference(&this), &remote, &privileges)
                .await
                .map_err(error::engine)?;
            follow_progress(&lua, stream, progress).await?;
            this.reload().await
        });
        methods.add_lazy_async_method("push", |lua, this, opts: Value| async move {
            let opts = Opts::new("Plugin:push", opts, &["progress"])?;
            let progress = Progress::from_opts(&opts)?;
            let engine = this.handle.engine()?;
            let stream = engine
                .plugin_push(&reference(&this))
                .await
                .map_err(error::engine)?;
            follow_progress(&lua, stream, progress).await?;
            Ok(true)
        });
    }

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set("install", bound(lua, handle, Self::COLLECTION, install)?)?;
        t.raw_set("create", bound(lua, handle, Self::COLLECTION, create)?)
    }
}

/// How the engine's plugin endpoints want a plugin named: by its name
/// (`upgrade` and `push` parse it as a reference, which an id is not).
fn reference(plugin: &Object<Plugin>) -> String {
    plugin.name().unwrap_or_else(|| plugin.id.clone())
}

/// Leading string arguments, one for each of `names` (a `nil` skips one),
/// then the options table: `f("a", "b", {...})`, `f("a", {...})`, `f{...}`.
/// Each name may also be given as an option.
fn positional(
    function: &'static str,
    names: &[&str],
    extra: &[&str],
    args: MultiValue,
) -> mlua::Result<(Vec<Option<String>>, Opts)> {
    let mut args: std::collections::VecDeque<Value> = args.into_iter().collect();
    let mut given = Vec::with_capacity(names.len());
    for name in names {
        match args.front() {
            Some(Value::String(_)) => {
                let value = args.pop_front().unwrap_or(Value::Nil);
                given.push(Some(args::string(function, name, &value)?));
            }
            Some(Value::Nil) if args.len() > 1 => {
                args.pop_front();
                given.push(None);
            }
            _ => given.push(None),
        }
    }
    let mut known = names.to_vec();
    known.extend_from_slice(extra);
    let opts = Opts::new(function, args.pop_front().unwrap_or(Value::Nil), &known)?;
    for (name, value) in names.iter().zip(given.iter_mut()) {
        if value.is_none() {
            *value = opts.string(name)?;
        }
    }
    Ok((given, opts))
}

/// `{KEY = "value"}` (the SDK's dict) or `{"KEY=value", ...}` as the
/// engine's `["KEY=value"]`, sorted for a stable request.
fn settings(function: &str, options: &Value) -> mlua::Result<Vec<String>> {
    let Value::Table(t) = options else {
        return Err(invalid(
            function,
            format!(
                "bad argument 'options' (table expected, got {})",
                args::type_name(options)
            ),
        ));
    };
    if t.raw_len() > 0 {
        return args::string_list(function, "options", t);
    }
    let mut out: Vec<String> = args::string_pairs(function, "options", t)?
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.sort();
    Ok(out)
}

/// `install(remote [, local_name] [, opts])`: every privilege the plugin
/// asks for is granted, as the SDK does; the plugin comes installed and
/// disabled, as `docker plugin install --disable`.
async fn install(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "plugins.install";
    let (given, opts) = positional(F, &["remote_name", "local_name"], &["progress"], args)?;
    let [remote, local] = <[Option<String>; 2]>::try_from(given).unwrap_or_default();
    let remote = remote.ok_or_else(|| invalid(F, "missing argument 'remote_name'"))?;
    let progress = Progress::from_opts(&opts)?;
    let engine = h.engine()?;
    let privileges = engine
        .plugin_privileges(&remote)
        .await
        .map_err(error::engine)?;
    let stream = engine
        .plugin_pull(&remote, local.as_deref(), &privileges)
        .await
        .map_err(error::engine)?;
    follow_progress(&lua, stream, progress).await?;
    resource::fetch::<Plugin>(&lua, &h, local.as_deref().unwrap_or(&remote)).await
}

/// `create(name, folder [, opts])`: the folder holds `config.json` and
/// `rootfs/`; the plugin comes created and disabled.
async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "plugins.create";
    // `gzip` is the SDK's choice of compression; the engine takes either.
    let (given, _) = positional(F, &["name", "plugin_data_dir"], &["gzip"], args)?;
    let [name, dir] = <[Option<String>; 2]>::try_from(given).unwrap_or_default();
    let name = name.ok_or_else(|| invalid(F, "missing argument 'name'"))?;
    let dir = dir.ok_or_else(|| invalid(F, "missing argument 'plugin_data_dir'"))?;
    let engine = h.engine()?;
    engine
        .plugin_create(&name, std::path::Path::new(&dir))
        .await
        .map_err(error::engine)?;
    resource::fetch::<Plugin>(&lua, &h, &name).await
}
