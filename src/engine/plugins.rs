//! `/plugins/...`: managed plugins (`docker plugin`): the kind, and what the
//! generic calls of [`super::resource`] do not cover: privileges, install
//! (pull), upgrade, push, create from a folder, enable, disable and set.

use std::path::Path;

use serde_json::Value;

use super::resource::{check_id, Kind};
use super::{build, Engine, JsonStream, Query, Req, Result};

/// Plugins are listed at `GET /plugins` and inspected at
/// `GET /plugins/{name}/json`; a name may hold `/` and `:`
/// (`localhost:5000/sshfs:latest`).
pub const PLUGINS: Kind = Kind {
    noun: "plugin",
    base: "/plugins",
    list: "",
    inspect: "/json",
    items: None,
    image: false,
    normalize: None,
    skim: None,
};

impl Engine {
    /// What installing `remote` asks to be granted (`[{Name, Description,
    /// Value}]`), which install and upgrade then send back as granted.
    pub async fn plugin_privileges(&self, remote: &str) -> Result<Value> {
        let mut q = Query::new();
        q.add("remote", remote);
        let header = self
            .auth_header(remote, &super::images::Auth::FromConfig)
            .await?;
        let req = Req::get("/plugins/privileges")
            .query(q)
            .header("x-registry-auth", header);
        self.json(req).await
    }

    /// Pulls and installs `remote` as `name` (default: `remote`), granting
    /// `privileges`; the progress arrives on the stream. The plugin is
    /// installed disabled.
    pub async fn plugin_pull(
        &self,
        remote: &str,
        name: Option<&str>,
        privileges: &Value,
    ) -> Result<JsonStream> {
        let mut q = Query::new();
        q.add("remote", remote).add_opt("name", name);
        self.plugin_transfer(
            Req::post("/plugins/pull").query(q),
            remote,
            Some(privileges),
        )
        .await
    }

    /// Replaces a disabled plugin's files by `remote`'s, its settings kept.
    pub async fn plugin_upgrade(
        &self,
        name: &str,
        remote: &str,
        privileges: &Value,
    ) -> Result<JsonStream> {
        check_id(&PLUGINS, name)?;
        let mut q = Query::new();
        q.add("remote", remote);
        let req = Req::post(PLUGINS.path(name, "/upgrade")).query(q);
        self.plugin_transfer(req, remote, Some(privileges)).await
    }

    /// Pushes the plugin to the registry its name points at.
    pub async fn plugin_push(&self, name: &str) -> Result<JsonStream> {
        check_id(&PLUGINS, name)?;
        let req = Req::post(PLUGINS.path(name, "/push"));
        self.plugin_transfer(req, name, None).await
    }

    /// A request that talks to `reference`'s registry: its credentials, no
    /// client timeout (a transfer lasts as long as it lasts).
    async fn plugin_transfer(
        &self,
        req: Req<'static>,
        reference: &str,
        privileges: Option<&Value>,
    ) -> Result<JsonStream> {
        let header = self
            .auth_header(reference, &super::images::Auth::FromConfig)
            .await?;
        let mut req = req.header("x-registry-auth", header).lasting();
        if let Some(privileges) = privileges {
            req = req.json_body(privileges);
        }
        Ok(JsonStream::new(self.request(req).await?, false))
    }

    /// `docker plugin create NAME DIR`: the folder (a `config.json` and a
    /// `rootfs/`) as a tar; the plugin is created disabled.
    pub async fn plugin_create(&self, name: &str, dir: &Path) -> Result<()> {
        let (upload, producer) = build::folder_upload(dir)?;
        let mut q = Query::new();
        q.add("name", name);
        let req = Req::post("/plugins/create")
            .query(q)
            .stream_body(upload, "application/x-tar")
            .lasting();
        match self.empty(req).await {
            Ok(()) => Ok(()),
            Err(e) => Err(build::folder_error(producer).await.unwrap_or(e)),
        }
    }

    /// Enables a plugin; `timeout` seconds for it to come up (0: the
    /// engine's default).
    pub async fn plugin_enable(&self, name: &str, timeout: i64) -> Result<()> {
        let mut q = Query::new();
        q.add("timeout", timeout.to_string());
        self.act(&PLUGINS, name, "/enable", q).await
    }

    pub async fn plugin_disable(&self, name: &str, force: bool) -> Result<()> {
        let mut q = Query::new();
        q.flag("force", force);
        self.act(&PLUGINS, name, "/disable", q).await
    }

    /// Sets settings of a disabled plugin: `["KEY=value", "mount.source=/x"]`.
    pub async fn plugin_set(&self, name: &str, settings: &[String]) -> Result<()> {
        let body = Value::from(settings.to_vec());
        self.act_with(&PLUGINS, name, "/set", Query::new(), &body)
            .await
    }
}
