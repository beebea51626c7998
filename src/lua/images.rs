//! `docker.images` and the `Image` object.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use mlua::{Function, Lua, MultiValue, Table, UserData, UserDataFields, UserDataMethods, Value};
use serde_json::{json, Value as Json};

use super::args::{self, prefix, Opts};
use super::client::{bound, filters_json, named_table, Handle};
use super::convert;
use super::error::{self, invalid};
use crate::engine::images::Auth;
use crate::engine::reference::split_reference;
use crate::engine::{Engine, JsonStream};

const COLLECTION: &str = "ImageCollection";

pub fn collection(lua: &Lua, handle: Handle) -> mlua::Result<Table> {
    let t = named_table(lua, COLLECTION, &handle)?;
    t.raw_set("list", bound(lua, &handle, COLLECTION, list)?)?;
    t.raw_set("get", bound(lua, &handle, COLLECTION, get)?)?;
    t.raw_set("pull", bound(lua, &handle, COLLECTION, pull)?)?;
    t.raw_set("push", bound(lua, &handle, COLLECTION, push)?)?;
    t.raw_set("remove", bound(lua, &handle, COLLECTION, remove)?)?;
    t.raw_set("prune", bound(lua, &handle, COLLECTION, prune)?)?;
    Ok(t)
}

async fn list(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Table> {
    let opts = Opts::new(
        "images.list",
        args.into_iter().next().unwrap_or(Value::Nil),
        &["name", "all", "filters"],
    )?;
    let mut filters = filters_json(&opts, "filters")?.unwrap_or_else(|| json!({}));
    if let Some(name) = opts.string("name")? {
        filters["reference"] = json!([name]);
    }
    let filters = (!filters.as_object().is_some_and(|m| m.is_empty())).then_some(filters);
    let engine = h.engine()?;
    let answer = engine
        .images_list(opts.flag("all")?, filters.as_ref())
        .await
        .map_err(error::engine)?;
    let items = answer.as_array().cloned().unwrap_or_default();
    let out = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, attrs) in items.into_iter().enumerate() {
        out.raw_set(i + 1, Image::new(h.clone(), attrs).into_lua(&lua)?)?;
    }
    Ok(out)
}

async fn get(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    let name = args::name(
        "images.get",
        "reference",
        args.front().unwrap_or(&Value::Nil),
        args::NameKind::Image,
    )?;
    let attrs = h
        .engine()?
        .image_inspect(&name)
        .await
        .map_err(error::engine)?;
    Image::new(h, attrs).into_lua(&lua)
}

async fn pull(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "images.pull";
    let mut args = args.into_iter();
    let reference = args::string(F, "reference", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(
        F,
        args.next().unwrap_or(Value::Nil),
        &["tag", "platform", "auth", "progress"],
    )?;
    let (name, tag) = split_reference(&reference);
    let tag = match (tag, opts.string("tag")?) {
        (Some(t), _) => t.to_owned(),
        (None, Some(t)) => t,
        (None, None) if name.contains('@') => String::new(),
        (None, None) => "latest".to_owned(),
    };
    let auth = auth_opt(F, &opts)?;
    let progress = Progress::from_opts(&opts)?;
    let engine = h.engine()?;
    let platform = opts.string("platform")?;
    let stream = engine
        .image_pull(name, &tag, platform.as_deref(), &auth)
        .await
        .map_err(error::engine)?;
    follow_progress(&lua, stream, progress).await?;
    let full = if tag.is_empty() {
        name.to_owned()
    } else {
        format!("{name}:{tag}")
    };
    let attrs = engine.image_inspect(&full).await.map_err(error::engine)?;
    Image::new(h, attrs).into_lua(&lua)
}

async fn push(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<bool> {
    const F: &str = "images.push";
    let mut args = args.into_iter();
    let reference = args::string(F, "reference", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(
        F,
        args.next().unwrap_or(Value::Nil),
        &["tag", "auth", "progress"],
    )?;
    let (name, tag) = split_reference(&reference);
    let tag = tag.map(str::to_owned).or(opts.string("tag")?);
    let auth = auth_opt(F, &opts)?;
    let progress = Progress::from_opts(&opts)?;
    let engine = h.engine()?;
    let stream = engine
        .image_push(name, tag.as_deref(), &auth)
        .await
        .map_err(error::engine)?;
    follow_progress(&lua, stream, progress).await?;
    Ok(true)
}

async fn remove(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "images.remove";
    let mut args = args.into_iter();
    let reference = args::string(F, "reference", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(F, args.next().unwrap_or(Value::Nil), &["force", "noprune"])?;
    let engine = h.engine()?;
    let answer = engine
        .image_remove(&reference, opts.flag("force")?, opts.flag("noprune")?)
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

async fn prune(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    let opts = Opts::new(
        "images.prune",
        args.into_iter().next().unwrap_or(Value::Nil),
        &["filters"],
    )?;
    let filters = filters_json(&opts, "filters")?;
    let answer = h
        .engine()?
        .images_prune(filters.as_ref())
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

fn auth_opt(function: &str, opts: &Opts) -> mlua::Result<Auth> {
    match opts.table("auth")? {
        None => Ok(Auth::FromConfig),
        Some(t) => convert::from_lua(&Value::Table(t))
            .map(Auth::Given)
            .map_err(|e| invalid(function, format!("bad option 'auth': {}", e.0))),
    }
}

/// Where pull and push progress goes.
enum Progress {
    Callback(Function),
    Display(Display),
    Quiet,
}

impl Progress {
    /// `opts.progress`, or a display when stderr is a terminal.
    fn from_opts(opts: &Opts) -> mlua::Result<Self> {
        Ok(match opts.function_value("progress")? {
            Some(f) => Progress::Callback(f),
            None if std::io::stderr().is_terminal() => Progress::Display(Display::default()),
            None => Progress::Quiet,
        })
    }
}

/// One line on a terminal: layers done of layers seen, and bytes.
#[derive(Default)]
struct Display {
    /// Per layer: (current, total, done).
    layers: BTreeMap<String, (u64, u64, bool)>,
    status: String,
    /// `Digest: ...` and `Status: ...`, printed on lines of their own at the end.
    footer: Vec<String>,
}

impl Display {
    fn update(&mut self, event: &Json) {
        let status = event
            .get("status")
            .and_then(Json::as_str)
            .unwrap_or_default();
        match event.get("id").and_then(Json::as_str) {
            Some(id)
                if event.get("progressDetail").is_some()
                    || status.contains("complete")
                    || status == "Already exists" =>
            {
                let entry = self.layers.entry(id.to_owned()).or_default();
                if let Some(detail) = event.get("progressDetail") {
                    entry.0 = detail
                        .get("current")
                        .and_then(Json::as_u64)
                        .unwrap_or(entry.0);
                    entry.1 = detail
                        .get("total")
                        .and_then(Json::as_u64)
                        .unwrap_or(entry.1);
                }
                if status == "Pull complete"
                    || status == "Already exists"
                    || status == "Pushed"
                    || status == "Layer already exists"
                {
                    entry.2 = true;
                }
            }
            _ if status.starts_with("Digest:") || status.starts_with("Status:") => {
                self.footer.push(status.to_owned());
                return;
            }
            _ => self.status = status.to_owned(),
        }
        let done = self.layers.values().filter(|l| l.2).count();
        let (current, total) = self.layers.values().fold((0u64, 0u64), |(c, t), l| {
            (c.saturating_add(l.0), t.saturating_add(l.1))
        });
        let mut line = format!("{done}/{} layers", self.layers.len());
        if total > 0 {
            line.push_str(&format!(
                ", {:.1}/{:.1} MB",
                current as f64 / 1e6,
                total as f64 / 1e6
            ));
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K{}: {line}", self.status);
        let _ = err.flush();
    }

    fn finish(&self) {
        eprintln!();
        for line in &self.footer {
            eprintln!("{line}");
        }
    }
}

async fn follow_progress(
    lua: &Lua,
    mut stream: JsonStream,
    mut progress: Progress,
) -> mlua::Result<()> {
    let result = async {
        while let Some(event) = stream.next().await.map_err(error::engine)? {
            match &mut progress {
                Progress::Callback(f) => f.call_async::<()>(convert::to_lua(lua, &event)?).await?,
                Progress::Display(d) => d.update(&event),
                Progress::Quiet => {}
            }
        }
        Ok(())
    }
    .await;
    if let Progress::Display(d) = &progress {
        d.finish();
    }
    result
}

/// The pull `run` does for a missing image, reporting on stderr as the
/// docker CLI does.
pub async fn pull_for_run(
    engine: &Engine,
    image: &str,
    platform: Option<&str>,
) -> mlua::Result<()> {
    let (name, tag) = split_reference(image);
    let tag = tag.unwrap_or(if name.contains('@') { "" } else { "latest" });
    let mut stream = engine
        .image_pull(name, tag, platform, &Auth::FromConfig)
        .await
        .map_err(error::engine)?;
    let terminal = std::io::stderr().is_terminal();
    let mut display = Display::default();
    let mut last_status = String::new();
    while let Some(event) = stream.next().await.map_err(error::engine)? {
        if terminal {
            display.update(&event);
        }
        if let Some(status) = event.get("status").and_then(Json::as_str) {
            if status.starts_with("Status:") || status.starts_with("Digest:") {
                last_status = status.to_owned();
            }
        }
    }
    if terminal {
        display.finish();
    }
    if !last_status.is_empty() {
        eprintln!("{last_status}");
    }
    Ok(())
}

/// An image: its id and the last attributes the engine gave.
pub struct Image {
    handle: Handle,
    attrs: RefCell<Json>,
}

impl Image {
    pub fn new(handle: Handle, attrs: Json) -> Self {
        Image {
            handle,
            attrs: RefCell::new(attrs),
        }
    }

    pub fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        lua.create_userdata(self).map(Value::UserData)
    }

    fn id(&self) -> String {
        let attrs = self.attrs.borrow();
        attrs
            .get("Id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn short_id(&self) -> String {
        let id = self.id();
        let hex = id.strip_prefix("sha256:").unwrap_or(&id);
        format!("sha256:{}", prefix(hex, 10))
    }

    fn tags(&self) -> Vec<String> {
        let attrs = self.attrs.borrow();
        attrs
            .get("RepoTags")
            .and_then(Json::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Json::as_str)
                    .filter(|t| *t != "<none>:<none>")
                    .map(|t| crate::engine::reference::familiar_name(t).to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn labels(&self) -> Json {
        let attrs = self.attrs.borrow();
        attrs
            .pointer("/Config/Labels")
            .or_else(|| attrs.get("Labels"))
            .filter(|l| !l.is_null())
            .cloned()
            .unwrap_or_else(|| json!({}))
    }

    async fn reload(&self) -> mlua::Result<()> {
        let id = self.id();
        let attrs = self
            .handle
            .engine()?
            .image_inspect(&id)
            .await
            .map_err(error::engine)?;
        *self.attrs.borrow_mut() = attrs;
        Ok(())
    }
}

const MEMBERS: &[&str] = &[
    "id", "short_id", "tags", "labels", "attrs", "tag", "history", "reload", "remove",
];

impl UserData for Image {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("id", |_, this| Ok(this.id()));
        fields.add_field_method_get("short_id", |_, this| Ok(this.short_id()));
        fields.add_field_method_get("tags", |lua, this| {
            let t = lua.create_sequence_from(this.tags())?;
            t.set_metatable(Some(convert::array_metatable(lua)?))?;
            Ok(t)
        });
        fields.add_field_method_get("labels", |lua, this| convert::to_lua(lua, &this.labels()));
        fields.add_field_method_get("attrs", |lua, this| {
            convert::to_lua(lua, &this.attrs.borrow())
        });
        fields.add_meta_field("__name", "Image");
        fields.add_meta_field_with("__members", |lua| {
            lua.create_sequence_from(MEMBERS.iter().copied())
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__tostring", |_, this, ()| {
            let tags = this.tags();
            let id = this.id();
            let hex = id.strip_prefix("sha256:").unwrap_or(&id);
            let short = prefix(hex, 12);
            Ok(if tags.is_empty() {
                format!("<Image {short}>")
            } else {
                format!("<Image {short} {}>", tags.join(" "))
            })
        });
        methods.add_meta_method("__eq", |_, this, other: mlua::AnyUserData| {
            Ok(other.borrow::<Image>().is_ok_and(|o| this.id() == o.id()))
        });
        methods.add_async_method("reload", |_, this, ()| async move { this.reload().await });
        methods.add_async_method(
            "tag",
            |_, this, (repository, tag): (Value, Value)| async move {
                const F: &str = "Image:tag";
                let repository = args::string(F, "repository", &repository)?;
                let tag = match tag {
                    Value::Nil => None,
                    v => Some(args::string(F, "tag", &v)?),
                };
                let (repo, inline) = split_reference(&repository);
                let tag = tag.or(inline.map(str::to_owned));
                let engine = this.handle.engine()?;
                engine
                    .image_tag(&this.id(), repo, tag.as_deref())
                    .await
                    .map_err(error::engine)?;
                this.reload().await?;
                Ok(true)
            },
        );
        methods.add_async_method("history", |lua, this, ()| async move {
            let answer = this
                .handle
                .engine()?
                .image_history(&this.id())
                .await
                .map_err(error::engine)?;
            convert::to_lua(&lua, &answer)
        });
        methods.add_async_method("remove", |lua, this, opts: Value| async move {
            let opts = Opts::new("Image:remove", opts, &["force", "noprune"])?;
            let engine = this.handle.engine()?;
            let answer = engine
                .image_remove(&this.id(), opts.flag("force")?, opts.flag("noprune")?)
                .await
                .map_err(error::engine)?;
            convert::to_lua(&lua, &answer)
        });
    }
}
