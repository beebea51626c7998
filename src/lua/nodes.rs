//! `docker.nodes` and the `Node` object: the members of a swarm.

use crate::engine::error::excerpt;
use mlua::{UserDataFields, Value};
use serde_json::{json, Value as Json};

use super::args::Opts;
use super::convert;
use super::error::{self, invalid};
use super::resource::{AsyncMethods, Methods, Model, Object};
use crate::engine::resource::{Kind, NODES};
use crate::engine::services::version_of;

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
        // The current spec with the given fields changed, at the current
        // version: read first, so that nothing set meanwhile is undone.
        methods.add_lazy_async_method("update", |_, this, opts: Value| async move {
            const F: &str = "Node:update";
            let opts = Opts::new(F, opts, &["availability", "role", "labels", "name"])?;
            let engine = this.handle.engine()?;
            let current = engine
                .inspect(&NODES, &this.id)
                .await
                .map_err(error::engine)?;
            let mut spec = current.get("Spec").cloned().unwrap_or_else(|| json!({}));
            if let Some(a) = opts.string("availability")? {
                if !["active", "pause", "drain"].contains(&a.as_str()) {
                    return Err(invalid(
                        F,
                        format!("bad option 'availability' (\"active\", \"pause\" or \"drain\" expected, got '{}')", excerpt(&a, 80)),
                    ));
                }
                spec["Availability"] = json!(a);
            }
            if let Some(r) = opts.string("role")? {
                if !["worker", "manager"].contains(&r.as_str()) {
                    return Err(invalid(
                        F,
                        format!("bad option 'role' (\"worker\" or \"manager\" expected, got '{}')", excerpt(&r, 80)),
                    ));
                }
                spec["Role"] = json!(r);
            }
            if let Some(n) = opts.string("name")? {
                spec["Name"] = json!(n);
            }
            if let Some(labels) = opts.table("labels")? {
                let labels = convert::from_lua(&Value::Table(labels))
                    .map_err(|e| invalid(F, format!("bad option 'labels': {}", e.0)))?;
                spec["Labels"] = match labels {
                    Json::Array(a) if a.is_empty() => json!({}),
                    Json::Object(m) if m.values().all(Json::is_string) => Json::Object(m),
                    _ => return Err(invalid(F, "bad option 'labels' (table of strings expected)")),
                };
            }
            engine
                .update(&NODES, &this.id, version_of(&current), &[], &spec)
                .await
                .map_err(error::engine)?;
            this.reload().await?;
            Ok(true)
        });
    }
}
