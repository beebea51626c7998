//! `docker.images` and the `Image` object.

use std::cell::RefCell;

use mlua::{Function, Lua, MultiValue, Table, UserData, UserDataFields, UserDataMethods, Value};
use serde_json::{json, Value as Json};

use super::args::{self, prefix, Opts};
use super::client::{bound, filters_json, named_table, Handle};
use super::convert;
use super::error::{self, invalid};
use super::progress::{self, ProgressSink};
use crate::engine::images::Auth;
use crate::engine::{Engine, JsonStream};

const COLLECTION: &str = "ImageCollection";

/// `name[:tag]` split from a reference; a digest reference keeps its digest
/// in the name and has no tag.
pub fn split_reference(reference: &str) -> (&str, Option<&str>) {
    if reference.contains('@') {
        return (reference, None);
    }
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (reference, None),
    }
}

/// The reference with `:latest` added when it names no tag or digest.
pub fn with_tag(reference: &str) -> String {
    match split_reference(reference) {
        (name, None) if !name.contains('@') => format!("{name}:latest"),
        _ => reference.to_owned(),
    }
}

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
    let name = args::string(
        "images.get",
        "reference",
        args.front().unwrap_or(&Value::Nil),
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
    Display(Box<dyn ProgressSink>),
    Quiet,
}

impl Progress {
    /// `opts.progress`, or the front end's display (when it has one).
    fn from_opts(opts: &Opts) -> mlua::Result<Self> {
        Ok(match opts.function_value("progress")? {
            Some(f) => Progress::Callback(f),
            None => progress::display().map_or(Progress::Quiet, Progress::Display),
        })
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
                Progress::Display(d) => d.event(&event),
                Progress::Quiet => {}
            }
        }
        Ok(())
    }
    .await;
    if let Progress::Display(d) = &mut progress {
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
    let mut display = progress::display();
    let mut last_status = String::new();
    while let Some(event) = stream.next().await.map_err(error::engine)? {
        if let Some(d) = &mut display {
            d.event(&event);
        }
        if let Some(status) = event.get("status").and_then(Json::as_str) {
            if status.starts_with("Status:") {
                last_status = status.to_owned();
            }
        }
    }
    // The display ends with the Digest and Status lines; without one, the
    // Status line alone, as the docker CLI prints it in a pipe.
    match &mut display {
        Some(d) => d.finish(),
        None if !last_status.is_empty() => eprintln!("{last_status}"),
        None => {}
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
                    .map(|t| crate::engine::images::familiar_name(t).to_owned())
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
        methods.add_meta_method("__eq", |_, this, other: mlua::UserDataRef<Image>| {
            Ok(this.id() == other.id())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(split_reference("alpine"), ("alpine", None));
        assert_eq!(split_reference("alpine:3.20"), ("alpine", Some("3.20")));
        assert_eq!(
            split_reference("localhost:5000/a/b"),
            ("localhost:5000/a/b", None)
        );
        assert_eq!(
            split_reference("localhost:5000/a:v1"),
            ("localhost:5000/a", Some("v1"))
        );
        assert_eq!(split_reference("a@sha256:abc"), ("a@sha256:abc", None));
        assert_eq!(with_tag("alpine"), "alpine:latest");
        assert_eq!(with_tag("a@sha256:abc"), "a@sha256:abc");
    }
}
