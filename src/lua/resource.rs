//! The shared resource model: every collection (`docker.containers`,
//! `docker.networks`, ...) and every object kind (`Container`, `Network`, ...)
//! is declared once as a [`Model`]; the common members are written here.
//!
//! - An object is an [`Object<M>`]: the engine handle, the id and the last
//!   answer the engine gave (`attrs`), converted to Lua once and cached.
//! - Every object has `id`, `short_id`, `name`, `labels`, `attrs`,
//!   `reload()`, `__tostring`, `__eq`, and `remove()` where the kind has it.
//! - Every collection has `get` and `list` (one request, never one per item),
//!   and `prune` where the kind has it; a kind adds the rest (`create`,
//!   `run`...) in [`Model::collection`] and [`Model::methods`].

use std::cell::{Ref, RefCell};
use std::marker::PhantomData;

use std::future::Future;

use bytes::Bytes;
use mlua::{
    FromLuaMulti, IntoLuaMulti, Lua, MultiValue, Table, UserData, UserDataFields, UserDataMethods,
    UserDataRef, UserDataRegistry, Value,
};
use serde_json::Value as Json;

use super::args::filters_json;
use super::args::{self, prefix, Opts};
use super::handle::{bound, named_table, Handle};
use super::{convert, error, lazy};
use crate::engine::resource::{filters_query, Inspected, Kind};
use crate::engine::Query;

/// How a `list` option reaches the engine.
pub enum ListOpt {
    /// A boolean option sent as a query flag: `("all", "all")`.
    Flag(&'static str, &'static str),
    /// An integer option sent as a query parameter.
    Int(&'static str, &'static str),
    /// A string (or array of strings) option sent as a filter: `("name", "reference")`.
    Filter(&'static str, &'static str),
    /// Accepted for the Python SDK's sake, and without effect here.
    Ignored(&'static str),
    /// A boolean option that, when true, replaces each entry by its inspect
    /// (one request per item, as the Python SDK's `greedy`).
    Inspect(&'static str),
}

/// One kind of object and its collection, declared once.
pub trait Model: Sized + 'static {
    /// The object's type name in Lua: `"Container"`.
    const NAME: &'static str;
    /// The collection's type name: `"ContainerCollection"`.
    const COLLECTION: &'static str;
    /// Where the engine keeps these.
    const KIND: &'static Kind;
    /// Members beyond the common ones (for completion, help and types).
    const MEMBERS: &'static [&'static str];
    /// `list` options besides `filters`.
    const LIST: &'static [ListOpt] = &[];
    /// `remove` options and the query parameter each becomes; `None`: no
    /// `remove` at all.
    const REMOVE: Option<&'static [(&'static str, &'static str)]> = Some(&[]);
    /// Whether the collection has `prune`.
    const PRUNE: bool = false;
    /// Whether objects have a `name` (images have tags instead).
    const NAMED: bool = true;
    /// What an id or name argument may look like (checked before it becomes
    /// part of a request path).
    const NAME_KIND: args::NameKind = args::NameKind::Container;
    /// How `get` names its argument in errors.
    const ID_ARG: &'static str = "id_or_name";

    /// The id in an answer (a list entry or an inspect).
    fn id(attrs: &Json) -> String {
        attrs
            .get("Id")
            .or_else(|| attrs.get("ID"))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn short_id(id: &str) -> String {
        prefix(id, 12).to_owned()
    }

    fn name(attrs: &Json) -> Option<String> {
        attrs
            .get("Name")
            .or_else(|| attrs.get("Spec").and_then(|s| s.get("Name")))
            .and_then(Json::as_str)
            .map(str::to_owned)
    }

    fn labels(attrs: &Json) -> Option<&Json> {
        attrs
            .get("Labels")
            .or_else(|| attrs.get("Spec").and_then(|s| s.get("Labels")))
    }

    /// What `tostring` shows after the type name.
    fn describe(object: &Object<Self>) -> String {
        match object.name() {
            Some(name) => format!("{} {name}", object.short_id()),
            None => object.short_id(),
        }
    }

    /// The kind's own fields.
    fn fields<F: UserDataFields<Object<Self>>>(_fields: &mut F) {}

    /// The kind's own methods; async ones with
    /// [`AsyncMethods::add_lazy_async_method`].
    fn methods(_methods: &mut Methods<Self>) {}

    /// The collection's own functions (`create`, `run`, `pull`...).
    fn collection(_lua: &Lua, _handle: &Handle, _table: &Table) -> mlua::Result<()> {
        Ok(())
    }
}

/// Where a kind's methods are registered.
pub type Methods<M> = UserDataRegistry<Object<M>>;

/// Async methods made on their first call (see [`lazy`]): a kind has up to
/// twenty, mlua makes each with a Lua chunk of its own, and a script that
/// lists containers calls none.
pub trait AsyncMethods<M: Model> {
    fn add_lazy_async_method<F, A, FR, R>(&mut self, name: &'static str, method: F)
    where
        F: Fn(Lua, UserDataRef<Object<M>>, A) -> FR + 'static,
        A: FromLuaMulti,
        FR: Future<Output = mlua::Result<R>> + 'static,
        R: IntoLuaMulti;
}

impl<M: Model> AsyncMethods<M> for Methods<M> {
    fn add_lazy_async_method<F, A, FR, R>(&mut self, name: &'static str, method: F)
    where
        F: Fn(Lua, UserDataRef<Object<M>>, A) -> FR + 'static,
        A: FromLuaMulti,
        FR: Future<Output = mlua::Result<R>> + 'static,
        R: IntoLuaMulti,
    {
        let to = format!("{}:{name}", M::NAME);
        // A static field whose value is the function: `c:stop()` finds it as
        // it finds a method.
        self.add_field(
            name,
            lazy::Made(move |lua: &Lua| lazy::async_method(lua, to, method)),
        );
    }
}

/// A live engine object of kind `M`: a thin handle plus the last answer.
pub struct Object<M: Model> {
    pub handle: Handle,
    pub id: String,
    /// The last answer, or only the members the fields read (the kind's
    /// skim) while `text` holds the whole of it.
    attrs: RefCell<Json>,
    /// The last answer's text, until something reads more than the skim.
    text: RefCell<Option<Bytes>>,
    /// `attrs` as a Lua table, built on first use and kept until a reload.
    table: RefCell<Option<Table>>,
    model: PhantomData<M>,
}

impl<M: Model> Object<M> {
    pub fn new(handle: Handle, attrs: Json) -> Self {
        Object {
            handle,
            id: M::id(&attrs),
            attrs: RefCell::new(attrs),
            text: RefCell::new(None),
            table: RefCell::new(None),
            model: PhantomData,
        }
    }

    pub fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        lua.create_userdata(self).map(Value::UserData)
    }

    /// From an inspect, skimmed or whole.
    pub fn inspected(handle: Handle, answer: Inspected) -> Self {
        let object = Self::new(handle, answer.attrs);
        *object.text.borrow_mut() = answer.text;
        object
    }

    /// The last answer of the engine, whole.
    pub fn attrs(&self) -> Ref<'_, Json> {
        let pending = self.text.borrow_mut().take();
        if let Some(text) = pending {
            // The skim read all of the text with the same parser, so the
            // parse cannot fail; a skim still borrowed waits for the next read.
            match (M::KIND.whole(&text), self.attrs.try_borrow_mut()) {
                (Ok(whole), Ok(mut attrs)) => *attrs = whole,
                _ => *self.text.borrow_mut() = Some(text),
            }
        }
        self.attrs.borrow()
    }

    /// What the kind's own fields read: the skim of the last answer (see
    /// `engine::resource::Kind::skim`), or the whole of it.
    pub fn fields(&self) -> Ref<'_, Json> {
        self.attrs.borrow()
    }

    /// Replaces the attributes (after a reload or an action's answer).
    pub fn set_attrs(&self, attrs: Json) {
        self.set_inspected(Inspected { attrs, text: None });
    }

    fn set_inspected(&self, answer: Inspected) {
        *self.attrs.borrow_mut() = answer.attrs;
        *self.text.borrow_mut() = answer.text;
        self.table.borrow_mut().take();
    }

    pub fn short_id(&self) -> String {
        M::short_id(&self.id)
    }

    pub fn name(&self) -> Option<String> {
        M::name(&self.fields())
    }

    /// Asks the engine for the object's current state.
    pub async fn reload(&self) -> mlua::Result<()> {
        let engine = self.handle.engine()?;
        let answer = engine
            .inspect_skimmed(M::KIND, &self.id)
            .await
            .map_err(error::engine)?;
        self.set_inspected(answer);
        Ok(())
    }

    /// `POST {base}/{id}{action}`, then a reload: what most methods are.
    pub async fn act_then_reload(&self, action: &str, query: Query) -> mlua::Result<()> {
        let engine = self.handle.engine()?;
        engine
            .act(M::KIND, &self.id, action, query)
            .await
            .map_err(error::engine)?;
        self.reload().await
    }

    fn attrs_table(&self, lua: &Lua) -> mlua::Result<Value> {
        if let Some(table) = self.table.borrow().as_ref() {
            return Ok(Value::Table(table.clone()));
        }
        let value = convert::to_lua(lua, &self.attrs())?;
        if let Value::Table(table) = &value {
            *self.table.borrow_mut() = Some(table.clone());
        }
        Ok(value)
    }
}

/// Names common to every object, for `__members`.
const COMMON_MEMBERS: &[&str] = &["id", "short_id", "labels", "attrs", "reload"];

impl<M: Model> UserData for Object<M> {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("id", |_, this| Ok(this.id.clone()));
        fields.add_field_method_get("short_id", |_, this| Ok(this.short_id()));
        if M::NAMED {
            fields.add_field_method_get("name", |_, this| Ok(this.name()));
        }
        fields.add_field_method_get("labels", |lua, this| match M::labels(&this.fields()) {
            Some(labels) if !labels.is_null() => convert::to_lua(lua, labels),
            _ => lua.create_table().map(Value::Table),
        });
        fields.add_field_method_get("attrs", |lua, this| this.attrs_table(lua));
        fields.add_meta_field("__name", M::NAME);
        fields.add_meta_field_with("__members", |lua| {
            let remove = M::REMOVE.map(|_| "remove");
            let name = M::NAMED.then_some("name");
            lua.create_sequence_from(
                COMMON_MEMBERS
                    .iter()
                    .copied()
                    .chain(name)
                    .chain(remove)
                    .chain(M::MEMBERS.iter().copied()),
            )
        });
        M::fields(fields);
    }

    fn add_methods<T: UserDataMethods<Self>>(methods: &mut T) {
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(format!("<{} {}>", M::NAME, M::describe(this)))
        });
        // Another kind, or no userdata at all, is simply not equal.
        methods.add_meta_method("__eq", |_, this, other: Value| {
            Ok(match other {
                Value::UserData(ud) => ud
                    .borrow::<Object<M>>()
                    .is_ok_and(|other| other.id == this.id),
                _ => false,
            })
        });
    }

    fn register(registry: &mut UserDataRegistry<Self>) {
        Self::add_fields(registry);
        Self::add_methods(registry);
        registry.add_lazy_async_method("reload", |_, this, ()| async move { this.reload().await });
        if let Some(known) = M::REMOVE {
            registry.add_lazy_async_method("remove", move |lua, this, opts: Value| async move {
                let function = remove_name::<M>();
                let names: Vec<&str> = known.iter().map(|(name, _)| *name).collect();
                let opts = Opts::new(function, opts, &names)?;
                let mut query = Query::new();
                for (name, param) in known {
                    query.flag(param, opts.flag(name)?);
                }
                let engine = this.handle.engine()?;
                let answer = engine
                    .remove(M::KIND, &this.id, query)
                    .await
                    .map_err(error::engine)?;
                // Most kinds answer nothing; images, what was deleted.
                Ok(match answer {
                    Json::Null => MultiValue::new(),
                    answer => MultiValue::from_iter([convert::to_lua(&lua, &answer)?]),
                })
            });
        }
        M::methods(registry);
    }
}

/// `"Container:remove"`, made once per kind for error messages.
fn remove_name<M: Model>() -> &'static str {
    static_name(M::NAME, ":remove")
}

/// A `&'static str` of `a` followed by `b`, made once per distinct pair:
/// error messages name functions such as `"networks.get"`.
pub fn static_name(a: &'static str, b: &'static str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashMap<(&str, &str), &'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    names
        .get_or_insert_with(HashMap::new)
        .entry((a, b))
        .or_insert_with(|| Box::leak(format!("{a}{b}").into_boxed_str()))
}

/// The collection's Lua name (`"containers"`) for messages.
fn collection_name<M: Model>() -> &'static str {
    M::KIND.base.trim_start_matches('/')
}

/// Puts the collection of kind `M` on a client table, under its engine
/// name (`docker.containers`): what a kind's `register` is.
pub fn register<M: Model>(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set(collection_name::<M>(), collection::<M>(lua, handle)?)
}

/// Builds the collection table of kind `M` bound to `handle`.
pub fn collection<M: Model>(lua: &Lua, handle: &Handle) -> mlua::Result<Table> {
    let table = named_table(lua, M::COLLECTION, handle)?;
    table.raw_set("get", bound(lua, handle, M::COLLECTION, get::<M>)?)?;
    table.raw_set("list", bound(lua, handle, M::COLLECTION, list::<M>)?)?;
    if M::PRUNE {
        table.raw_set("prune", bound(lua, handle, M::COLLECTION, prune::<M>)?)?;
    }
    M::collection(lua, handle, &table)?;
    Ok(table)
}

/// Wraps an engine answer as an object of kind `M`.
pub fn object<M: Model>(lua: &Lua, handle: &Handle, attrs: Json) -> mlua::Result<Value> {
    Object::<M>::new(handle.clone(), attrs).into_lua(lua)
}

/// Inspects `id` and wraps the answer.
pub async fn fetch<M: Model>(lua: &Lua, handle: &Handle, id: &str) -> mlua::Result<Value> {
    let answer = handle
        .engine()?
        .inspect_skimmed(M::KIND, id)
        .await
        .map_err(error::engine)?;
    Object::<M>::inspected(handle.clone(), answer).into_lua(lua)
}

async fn get<M: Model>(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<Value> {
    let function = static_name(collection_name::<M>(), ".get");
    let id = args::name(
        function,
        M::ID_ARG,
        args.front().unwrap_or(&Value::Nil),
        M::NAME_KIND,
    )?;
    fetch::<M>(&lua, &handle, &id).await
}

async fn list<M: Model>(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<Table> {
    let function = static_name(collection_name::<M>(), ".list");
    let mut known = vec!["filters"];
    known.extend(M::LIST.iter().map(|opt| match opt {
        ListOpt::Flag(name, _)
        | ListOpt::Int(name, _)
        | ListOpt::Filter(name, _)
        | ListOpt::Ignored(name)
        | ListOpt::Inspect(name) => *name,
    }));
    let opts = Opts::new(
        function,
        args.into_iter().next().unwrap_or(Value::Nil),
        &known,
    )?;
    let mut filters =
        filters_json(&opts, "filters")?.unwrap_or_else(|| Json::Object(Default::default()));
    let mut query = Query::new();
    let mut inspect = false;
    for opt in M::LIST {
        match opt {
            ListOpt::Flag(name, param) => {
                query.flag(param, opts.flag(name)?);
            }
            ListOpt::Int(name, param) => {
                query.add_opt(param, opts.integer(name)?.map(|n| n.to_string()));
            }
            ListOpt::Filter(name, filter) => {
                if let Some(values) = opts.strings(name)? {
                    filters[*filter] = Json::from(values);
                }
            }
            ListOpt::Ignored(_) => {}
            ListOpt::Inspect(name) => inspect |= opts.flag(name)?,
        }
    }
    filters_query(&mut query, Some(&filters));
    let engine = handle.engine()?;
    let mut items = engine
        .list(M::KIND, query)
        .await
        .map_err(|e| error::engine_in(function, e))?;
    if inspect {
        let ids: Vec<String> = items.iter().map(M::id).collect();
        let inspects = ids.iter().map(|id| engine.inspect(M::KIND, id));
        items = futures_util::future::try_join_all(inspects)
            .await
            .map_err(error::engine)?;
    }
    let out = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, attrs) in items.into_iter().enumerate() {
        out.raw_set(i + 1, object::<M>(&lua, &handle, attrs)?)?;
    }
    Ok(out)
}

async fn prune<M: Model>(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<Value> {
    let function = static_name(collection_name::<M>(), ".prune");
    let opts = Opts::new(
        function,
        args.into_iter().next().unwrap_or(Value::Nil),
        &["filters"],
    )?;
    let filters = filters_json(&opts, "filters")?;
    let answer = handle
        .engine()?
        .prune(M::KIND, filters.as_ref())
        .await
        .map_err(|e| error::engine_in(function, e))?;
    convert::to_lua(&lua, &answer)
}

/// The id an argument names: a string, or an object of kind `M`.
pub fn id_of<M: Model>(function: &str, name: &str, value: &Value) -> mlua::Result<String> {
    if let Value::UserData(ud) = value {
        if let Ok(object) = ud.borrow::<Object<M>>() {
            return Ok(object.id.clone());
        }
    }
    match value {
        Value::String(_) => args::string(function, name, value),
        other => Err(error::invalid(
            function,
            format!(
                "bad argument '{name}' (string or {} expected, got {})",
                M::NAME,
                args::type_name(other)
            ),
        )),
    }
}
