//! The Engine API's collections, declared once: where each kind of object
//! lives and how it is listed, inspected, created, removed and pruned. Every
//! kind answers the same generic calls, so a new kind is one [`Kind`] value.

use bytes::Bytes;
use serde_json::Value;

use super::skim::Keep;
use super::{segment, Engine, Error, Query, Req, Result};

/// One kind of engine object (containers, images, networks, ...).
#[derive(Debug)]
pub struct Kind {
    /// What one is called in messages: `"container"`.
    pub noun: &'static str,
    /// The collection's path: `"/containers"`.
    pub base: &'static str,
    /// The list endpoint, after `base`: `"/json"` for containers, `""` for networks.
    pub list: &'static str,
    /// The inspect endpoint, after `base/{id}`: `"/json"` or `""`.
    pub inspect: &'static str,
    /// Where a list answer keeps its items (`"Volumes"`); `None`: an array.
    pub items: Option<&'static str>,
    /// A 404 about one of these is `ImageNotFound`, not `NotFound`.
    pub image: bool,
    /// Brings an answer (list entry or inspect) to Docker's shape where
    /// engines differ.
    pub normalize: Option<fn(&mut Value)>,
    /// What [`Engine::inspect_skimmed`] builds of an inspect at once: the
    /// members the object's own fields read. `None`: the whole answer.
    pub skim: Option<&'static Keep>,
}

impl Kind {
    /// The whole of an inspect answer that was skimmed before.
    pub fn whole(&self, text: &[u8]) -> Result<Value> {
        if text.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        super::body::parse_json(text).map(|answer| self.normalized(answer))
    }

    /// `answer` (list entry or inspect) in Docker's shape: see `normalize`.
    fn normalized(&self, mut answer: Value) -> Value {
        if let Some(normalize) = self.normalize {
            normalize(&mut answer);
        }
        answer
    }
}

/// An inspect answer read as far as its kind's `skim` says: `attrs` holds
/// those members, `text` the whole answer (`None`: `attrs` is whole).
pub struct Inspected {
    pub attrs: Value,
    pub text: Option<Bytes>,
}

pub const CONTAINERS: Kind = Kind {
    noun: "container",
    base: "/containers",
    list: "/json",
    inspect: "/json",
    items: None,
    image: false,
    normalize: Some(super::podman::normalize_container),
    skim: Some(&CONTAINER_FIELDS),
};

/// What a `Container`'s own fields read (`id`, `name`, `status`, `image`,
/// `labels`, `health`; `Names`, `Image`, `Labels` and `Status` are where a
/// list entry has them) and `Config.Tty`, which spares `c:logs()` an inspect
/// on engines whose answers do not state their framing; the reload after
/// `c:stop()` builds only these. tests/objects.rs checks each field against
/// the whole answer.
pub const CONTAINER_FIELDS: Keep = Keep::Members(&[
    ("Id", Keep::All),
    ("Name", Keep::All),
    ("Names", Keep::All),
    ("State", Keep::All),
    ("Status", Keep::All),
    ("Image", Keep::All),
    ("Labels", Keep::All),
    ("Health", Keep::All),
    (
        "Config",
        Keep::Members(&[
            ("Image", Keep::All),
            ("Labels", Keep::All),
            ("Tty", Keep::All),
        ]),
    ),
]);

pub const IMAGES: Kind = Kind {
    noun: "image",
    base: "/images",
    list: "/json",
    inspect: "/json",
    items: None,
    image: true,
    normalize: None,
    skim: None,
};

pub const NETWORKS: Kind = Kind {
    noun: "network",
    base: "/networks",
    list: "",
    inspect: "",
    items: None,
    image: false,
    normalize: None,
    skim: None,
};

pub const VOLUMES: Kind = Kind {
    noun: "volume",
    base: "/volumes",
    list: "",
    inspect: "",
    items: Some("Volumes"),
    image: false,
    normalize: None,
    skim: None,
};

/// Swarm kinds: one path for list (`GET /services`) and inspect
/// (`GET /services/{id}`), answers with `ID`, `Version` and `Spec`.
const fn swarm_kind(noun: &'static str, base: &'static str) -> Kind {
    Kind {
        noun,
        base,
        list: "",
        inspect: "",
        items: None,
        image: false,
        normalize: None,
        skim: None,
    }
}

pub const SERVICES: Kind = swarm_kind("service", "/services");
pub const TASKS: Kind = swarm_kind("task", "/tasks");
pub const NODES: Kind = swarm_kind("node", "/nodes");
pub const SECRETS: Kind = swarm_kind("secret", "/secrets");
pub const CONFIGS: Kind = swarm_kind("config", "/configs");

impl Kind {
    /// `base/{id}` followed by `action` (`""`, `"/json"`, `"/start"`...).
    pub fn path(&self, id: &str, action: &str) -> String {
        format!("{}/{}{action}", self.base, segment(id))
    }

    fn req(&self, mut req: Req<'static>) -> Req<'static> {
        req.image = self.image;
        req
    }
}

/// Refuses what cannot name an object: the engine would answer a redirect
/// or another endpoint (`""`, `".."`), never a clear "no such ...".
pub fn check_id(kind: &Kind, id: &str) -> Result<()> {
    if id.is_empty() || id == "." || id == ".." {
        return Err(Error::invalid(format!(
            "{:?} is not a {} id or name",
            id, kind.noun
        )));
    }
    Ok(())
}

/// `filters` as the query parameter the engine wants, when there are any.
pub fn filters_query(q: &mut Query, filters: Option<&Value>) {
    if let Some(filters) = filters.filter(|f| f.as_object().is_none_or(|m| !m.is_empty())) {
        q.add("filters", filters.to_string());
    }
}

impl Engine {
    /// The engine's full description of one object.
    pub async fn inspect(&self, kind: &Kind, id: &str) -> Result<Value> {
        check_id(kind, id)?;
        let answer = self
            .json(kind.req(Req::get(kind.path(id, kind.inspect))))
            .await?;
        Ok(kind.normalized(answer))
    }

    /// As [`Engine::inspect`], building only what the kind's `skim` names.
    pub async fn inspect_skimmed(&self, kind: &Kind, id: &str) -> Result<Inspected> {
        let Some(keep) = kind.skim else {
            let attrs = self.inspect(kind, id).await?;
            return Ok(Inspected { attrs, text: None });
        };
        check_id(kind, id)?;
        let (attrs, text) = self
            .json_skimmed(kind.req(Req::get(kind.path(id, kind.inspect))), keep)
            .await?;
        let attrs = kind.normalized(attrs);
        let text = (!attrs.is_null()).then_some(text);
        Ok(Inspected { attrs, text })
    }

    /// One request for the whole list; the items are moved out of the answer.
    pub async fn list(&self, kind: &Kind, query: Query) -> Result<Vec<Value>> {
        let answer = self
            .json(Req::get(format!("{}{}", kind.base, kind.list)).query(query))
            .await?;
        let mut items = match (kind.items, answer) {
            (None, Value::Array(items)) => items,
            (Some(key), Value::Object(mut map)) => match map.remove(key) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            (_, Value::Null) => Vec::new(),
            (_, other) => {
                return Err(Error::new(
                    super::ErrorKind::Api,
                    format!(
                        "the engine's {} list is not a list: {:.60}",
                        kind.noun,
                        other.to_string()
                    ),
                ))
            }
        };
        if let Some(normalize) = kind.normalize {
            items.iter_mut().for_each(normalize);
        }
        Ok(items)
    }

    /// `POST base/create` with a JSON body; answers what the engine says
    /// (usually `{Id}`).
    pub async fn create(&self, kind: &Kind, query: Query, body: &Value) -> Result<Value> {
        let req = Req::post(format!("{}/create", kind.base))
            .query(query)
            .json_body(body);
        self.json(kind.req(req)).await
    }

    /// `DELETE base/{id}`; answers the engine's JSON, if any.
    pub async fn remove(&self, kind: &Kind, id: &str, query: Query) -> Result<Value> {
        check_id(kind, id)?;
        let req = Req::delete(kind.path(id, "")).query(query);
        self.json(kind.req(req)).await
    }

    /// `POST base/prune`: what was deleted and the space reclaimed.
    pub async fn prune(&self, kind: &Kind, filters: Option<&Value>) -> Result<Value> {
        let mut q = Query::new();
        filters_query(&mut q, filters);
        self.json(Req::post(format!("{}/prune", kind.base)).query(q))
            .await
    }

    /// `POST base/{id}/update?version=N` with the whole new spec: swarm
    /// objects (services, nodes, secrets...) refuse an update made from a
    /// stale version ("update out of sequence"). `extra` adds query
    /// parameters (`rollback=previous`).
    pub async fn update(
        &self,
        kind: &Kind,
        id: &str,
        version: u64,
        extra: &[(&str, &str)],
        spec: &Value,
    ) -> Result<Value> {
        check_id(kind, id)?;
        let mut q = Query::new();
        q.add("version", version.to_string());
        for (key, value) in extra {
            q.add(key, value);
        }
        let req = Req::post(kind.path(id, "/update")).query(q).json_body(spec);
        self.json(kind.req(req)).await
    }

    /// `POST base/{id}{action}` without a body, for actions whose answer is
    /// empty or does not matter (start, pause, connect...).
    pub async fn act(&self, kind: &Kind, id: &str, action: &str, query: Query) -> Result<()> {
        check_id(kind, id)?;
        self.empty(kind.req(Req::post(kind.path(id, action)).query(query)))
            .await
    }

    /// As [`Engine::act`], with a JSON body.
    pub async fn act_with(
        &self,
        kind: &Kind,
        id: &str,
        action: &str,
        query: Query,
        body: &Value,
    ) -> Result<()> {
        check_id(kind, id)?;
        let req = Req::post(kind.path(id, action))
            .query(query)
            .json_body(body);
        self.empty(kind.req(req)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_ids() {
        assert_eq!(CONTAINERS.path("abc", "/start"), "/containers/abc/start");
        assert_eq!(
            IMAGES.path("localhost:5000/a", "/json"),
            "/images/localhost%3A5000/a/json"
        );
        assert!(check_id(&CONTAINERS, "").is_err());
        assert!(check_id(&CONTAINERS, "..").is_err());
        assert!(check_id(&CONTAINERS, "web").is_ok());
    }
}
