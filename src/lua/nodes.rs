//! `docker.nodes` and the `Node` object: the members of a swarm.

use mlua::{Lua, Table, UserDataFields, Value};
use serde_json::{json, Value as Json};

use super::error::{self, invalid};
use super::fields;
use super::handle::Handle;
use super::resource::{self, AsyncMethods, Methods, Model, Object};
use crate::engine::options::node;
use crate::engine::resource::{Kind, NODES};
use crate::engine::services::version_of;

/// Puts `docker.nodes` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Node>(lua, handle, client)
}

/// The `Node` kind on the shared resource model.
pub struct Node;

fn text<'a>(attrs: &'a Json, pointer: &str) -> Option<&'a str> {
    attrs.pointer(pointer).and_then(Json::as_str)
}

impl Model for Node {
    const NAME: &'static str = "Node";
    const COLLECTION: &'static str = "NodeCollection";
    const KIND: &'static Kind = &NODES;
    const MEMBERS: &'static [&'static str] = &[
        "version",
        "hostname",
        "role",
        "availability",
        "state",
        "update",
    ];
    const REMOVE: Option<&'static [(&'static str, &'static str)]> = Some(&[("force", "force")]);
    /// Nodes are named by their hostname (which two nodes may share).
    const NAMED: bool = false;

    fn describe(node: &Object<Self>) -> String {
        let attrs = node.attrs();
        format!(
            "{} {} {} {}",
            node.short_id(),
            text(&attrs, "/Description/Hostname").unwrap_or_default(),
            text(&attrs, "/Spec/Role").unwrap_or_default(),
            text(&attrs, "/Spec/Availability").unwrap_or_default(),
        )
    }

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        fields.add_field_method_get("version", |_, this| Ok(version_of(&this.attrs())));
        for (name, pointer) in [
            ("hostname", "/Description/Hostname"),
            ("role", "/Spec/Role"),
            ("availability", "/Spec/Availability"),
            ("state", "/Status/State"),
        ] {
            fields.add_field_method_get(name, move |_, this| {
                Ok(text(&this.attrs(), pointer).map(str::to_owned))
            });
        }
    }

    fn methods(methods: &mut Methods<Self>) {
        // The current spec with the given fields changed (the SDK's
        // `NodeSpec`, or the engine's spelling), at the current version:
        // read first, so that nothing set meanwhile is undone.
        methods.add_lazy_async_method("update", |_, this, opts: Value| async move {
            const F: &str = "Node:update";
            let opts = fields::json(F, "opts", &opts)?;
            let engine = this.handle.engine()?;
            let current = engine
                .inspect(&NODES, &this.id)
                .await
                .map_err(error::engine)?;
            let mut spec = current.get("Spec").cloned().unwrap_or_else(|| json!({}));
            let opts = if opts.is_null() { json!({}) } else { opts };
            node::apply(&mut spec, &opts).map_err(|e| invalid(F, e.message))?;
            engine
                .update(&NODES, &this.id, version_of(&current), &[], &spec)
                .await
                .map_err(error::engine)?;
            this.reload().await?;
            Ok(true)
        });
    }
}
