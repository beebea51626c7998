//! `/_ping`, `/version`, `/info`, `/system/df`, and `/events`.

use serde_json::Value;

use super::{Engine, JsonStream, Query, Req, Result};

impl Engine {
    /// Succeeds when the engine answers.
    pub async fn ping(&self) -> Result<()> {
        self.empty(Req::get("/_ping")).await
    }

    pub async fn version(&self) -> Result<Value> {
        self.json(Req::get("/version")).await
    }

    pub async fn info(&self) -> Result<Value> {
        self.json(Req::get("/info")).await
    }

    /// Disk usage: images, containers, volumes and build cache.
    pub async fn df(&self) -> Result<Value> {
        self.json(Req::get("/system/df")).await
    }

    /// The engine's events as they happen (until `until`, if given).
    pub async fn events(
        &self,
        since: Option<&str>,
        until: Option<&str>,
        filters: Option<&Value>,
    ) -> Result<JsonStream> {
        let mut q = Query::new();
        q.add_opt("since", since).add_opt("until", until);
        q.add_opt("filters", filters.map(Value::to_string));
        Ok(JsonStream::new(
            self.request(Req::get("/events").query(q)).await?,
            false,
        ))
    }
}
