//! `docker.images` and the `Image` object.

use mlua::{Function, Lua, MultiValue, Table, UserDataFields, Value};
use serde_json::Value as Json;

use super::args::{self, prefix, Opts};
use super::convert;
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::progress::{self, ProgressSink};
use super::resource::{self, AsyncMethods, ListOpt, Methods, Model, Object};
use crate::engine::images::Auth;
use crate::engine::reference::{split_reference, with_tag};
use crate::engine::resource::{Kind, IMAGES};
use crate::engine::run::PullEvent;
use crate::engine::{JsonStream, Query};

/// Puts `docker.images` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Image>(lua, handle, client)
}

/// The `Image` kind on the shared resource model.
pub struct Image;

impl Model for Image {
    const NAME: &'static str = "Image";
    const COLLECTION: &'static str = "ImageCollection";
    const KIND: &'static Kind = &IMAGES;
    const MEMBERS: &'static [&'static str] = &["tags", "tag", "history", "save"];
    const LIST: &'static [ListOpt] = &[
        ListOpt::Filter("name", "reference"),
        ListOpt::Flag("all", "all"),
    ];
    const REMOVE: Option<&'static [(&'static str, &'static str)]> =
        Some(&[("force", "force"), ("noprune", "noprune")]);
    const PRUNE: bool = true;
    const NAMED: bool = false;
    const NAME_KIND: args::NameKind = args::NameKind::Image;
    const ID_ARG: &'static str = "reference";

    /// `sha256:` and 10 hex digits, as the Python SDK shows it.
    fn short_id(id: &str) -> String {
        let hex = id.strip_prefix("sha256:").unwrap_or(id);
        format!("sha256:{}", prefix(hex, 10))
    }

    fn labels(attrs: &Json) -> Option<&Json> {
        attrs
            .pointer("/Config/Labels")
            .or_else(|| attrs.get("Labels"))
    }

    fn describe(image: &Object<Self>) -> String {
        let hex = image.id.strip_prefix("sha256:").unwrap_or(&image.id);
        let short = prefix(hex, 12);
        let tags = tags(&image.attrs());
        if tags.is_empty() {
            short.to_owned()
        } else {
            format!("{short} {}", tags.join(" "))
        }
    }

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        fields.add_field_method_get("tags", |lua, this| {
            let t = lua.create_sequence_from(tags(&this.attrs()))?;
            t.set_metatable(Some(convert::array_metatable(lua)?))?;
            Ok(t)
        });
    }

    fn methods(methods: &mut Methods<Self>) {
        add_methods(methods);
    }

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        const C: &str = Image::COLLECTION;
        t.raw_set("pull", bound(lua, handle, C, pull)?)?;
        t.raw_set("push", bound(lua, handle, C, push)?)?;
        t.raw_set("remove", bound(lua, handle, C, remove)?)?;
        t.raw_set("build", bound(lua, handle, C, super::build::build)?)?;
        t.raw_set("load", bound(lua, handle, C, super::build::load)?)?;
        t.raw_set(
            "get_registry_data",
            bound(lua, handle, C, super::build::registry_data)?,
        )?;
        Ok(())
    }
}

/// The image's tags as Docker shows them, without `<none>:<none>`.
fn tags(attrs: &Json) -> Vec<String> {
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

async fn pull(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "images.pull";
    let mut args = args.into_iter();
    let reference = args::string(F, "reference", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(
        F,
        args.next().unwrap_or(Value::Nil),
        &["tag", "platform", "auth", "progress", "all_tags"],
    )?;
    let (name, tag) = split_reference(&reference);
    let all_tags = opts.flag("all_tags")?;
    let given_tag = opts.string("tag")?;
    if all_tags && (tag.is_some() || given_tag.is_some() || name.contains('@')) {
        return Err(invalid(
            F,
            "'all_tags' pulls every tag: give a name without tag or digest",
        ));
    }
    let tag = match (tag, given_tag) {
        // No tag: the engine pulls them all.
        _ if all_tags => String::new(),
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
    if all_tags {
        // Every local tag of the repository, as `docker images NAME` lists them.
        let mut query = Query::new();
        query.add(
            "filters",
            serde_json::json!({ "reference": [name] }).to_string(),
        );
        let images = engine.list(&IMAGES, query).await.map_err(error::engine)?;
        let t = lua.create_table()?;
        for attrs in images {
            t.raw_push(resource::object::<Image>(&lua, &h, attrs)?)?;
        }
        t.set_metatable(Some(convert::array_metatable(&lua)?))?;
        return Ok(Value::Table(t));
    }
    let full = if tag.is_empty() {
        name.to_owned()
    } else {
        format!("{name}:{tag}")
    };
    resource::fetch::<Image>(&lua, &h, &full).await
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
    let mut query = Query::new();
    query
        .flag("force", opts.flag("force")?)
        .flag("noprune", opts.flag("noprune")?);
    let answer = engine
        .remove(&IMAGES, &reference, query)
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &answer)
}

pub fn auth_opt(function: &str, opts: &Opts) -> mlua::Result<Auth> {
    match opts.table("auth")? {
        None => Ok(Auth::FromConfig),
        Some(t) => convert::from_lua(&Value::Table(t))
            .map(Auth::Given)
            .map_err(|e| invalid(function, format!("bad option 'auth': {}", e.0))),
    }
}

/// Where pull and push progress goes (plugins' transfers too).
pub(crate) enum Progress {
    Callback(Function),
    Display(Box<dyn ProgressSink>),
    Quiet,
}

impl Progress {
    /// `opts.progress`, or the front end's display (when it has one).
    pub(crate) fn from_opts(opts: &Opts) -> mlua::Result<Self> {
        Ok(match opts.function_value("progress")? {
            Some(f) => Progress::Callback(f),
            None => progress::display().map_or(Progress::Quiet, Progress::Display),
        })
    }
}

pub(crate) async fn follow_progress(
    lua: &Lua,
    mut stream: JsonStream,
    mut progress: Progress,
) -> mlua::Result<()> {
    let result = async {
        while let Some(event) = stream.next().await.map_err(error::engine)? {
            match &mut progress {
                // Protected, so that what the callback raises stays itself.
                Progress::Callback(f) => {
                    let call = MultiValue::from_iter([
                        Value::Function(f.clone()),
                        convert::to_lua(lua, &event)?,
                    ]);
                    super::tasks::protected_thread(lua, call)?.await?;
                }
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

/// Shows a pull that `run` makes on stderr as the docker CLI does: the
/// front end's display on a terminal (ending with the Digest and Status
/// lines), else the Status line alone, as the docker CLI prints it in a pipe.
pub struct RunPullReport {
    display: Option<Box<dyn ProgressSink>>,
    last_status: String,
}

impl Default for RunPullReport {
    fn default() -> Self {
        Self::new()
    }
}

impl RunPullReport {
    pub fn new() -> Self {
        RunPullReport {
            display: progress::display(),
            last_status: String::new(),
        }
    }

    pub fn event(&mut self, event: PullEvent<'_>) {
        match event {
            PullEvent::Missing(image) => {
                eprintln!("Unable to find image '{}' locally", with_tag(image))
            }
            PullEvent::Progress(event) => {
                if let Some(d) = &mut self.display {
                    d.event(event);
                }
                if let Some(status) = event.get("status").and_then(Json::as_str) {
                    if status.starts_with("Status:") {
                        self.last_status = status.to_owned();
                    }
                }
            }
            PullEvent::Pulled => match &mut self.display {
                Some(d) => d.finish(),
                None if !self.last_status.is_empty() => {
                    eprintln!("{}", std::mem::take(&mut self.last_status))
                }
                None => {}
            },
        }
    }
}

/// The methods of `Image` beyond the common ones.
fn add_methods(methods: &mut Methods<Image>) {
    {
        methods.add_lazy_async_method(
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
                    .image_tag(&this.id, repo, tag.as_deref())
                    .await
                    .map_err(error::engine)?;
                this.reload().await?;
                Ok(true)
            },
        );
        methods.add_lazy_async_method("save", |lua, this, opts: Value| async move {
            super::build::save(&lua, &this, opts).await
        });
        methods.add_lazy_async_method("history", |lua, this, ()| async move {
            let answer = this
                .handle
                .engine()?
                .image_history(&this.id)
                .await
                .map_err(error::engine)?;
            convert::to_lua(&lua, &answer)
        });
    }
}
