//! `/containers/...`, `/commit` and `/exec/...`.

use bytes::Bytes;
use serde_json::Value;

use super::{segment, Engine, JsonStream, OutputStream, Query, Req, Result};

/// Options of `GET /containers/{id}/logs` (and of a service's, which has
/// no `until`).
#[derive(Debug, Clone)]
pub struct LogsOptions {
    pub stdout: bool,
    pub stderr: bool,
    pub follow: bool,
    pub timestamps: bool,
    pub tail: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Followed: come back after a drop or a restart of the container
    /// (see [`super::watch::logs`]).
    pub reconnect: bool,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            stdout: true,
            stderr: true,
            follow: false,
            timestamps: false,
            tail: None,
            since: None,
            until: None,
            reconnect: false,
        }
    }
}

impl LogsOptions {
    /// `GET path` with these options (a container's or a service's logs); a
    /// followed log lasts as long as it runs.
    pub(crate) fn request(&self, path: String) -> Req<'static> {
        let mut q = Query::new();
        q.flag("stdout", self.stdout)
            .flag("stderr", self.stderr)
            .flag("follow", self.follow)
            .flag("timestamps", self.timestamps);
        q.add_opt("tail", self.tail.as_deref())
            .add_opt("since", self.since.as_deref())
            .add_opt("until", self.until.as_deref());
        let req = Req::get(path).query(q).own_connection();
        if self.follow {
            req.lasting()
        } else {
            req
        }
    }
}

/// Options of `POST /commit`.
#[derive(Debug, Default, Clone)]
pub struct CommitOptions {
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub message: Option<String>,
    pub author: Option<String>,
    pub changes: Vec<String>,
    pub pause: Option<bool>,
    /// The new image's config (`Env`, `Labels`, `Cmd`...), over the
    /// container's.
    pub config: Option<Value>,
}

/// A wait the engine has registered; [`PendingWait::finish`] reads its end.
pub struct PendingWait(hyper::Response<hyper::body::Incoming>);

impl PendingWait {
    pub async fn finish(self) -> Result<Value> {
        let bytes = super::read_body(self.0).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            super::Error::new(
                super::ErrorKind::Api,
                format!("wait answered invalid json: {e}"),
            )
        })
    }
}

/// Docker's stop timeout for a container created without one, in seconds.
const DEFAULT_STOP_TIMEOUT: i64 = 10;

/// The most of an archive `get_archive` reads (it is held in memory).
const MAX_ARCHIVE: usize = 1 << 30;

/// Stop and restart: the engine waits up to `t` seconds before it answers,
/// so the client waits that much longer. Without `t`, the container's own
/// stop timeout applies, which the client does not know: no timeout then.
fn engine_waits(req: Req<'_>, t: Option<i64>) -> Req<'_> {
    match t {
        Some(t) => req.plus(std::time::Duration::from_secs(t.max(0).unsigned_abs())),
        None => req.lasting(),
    }
}

fn path(id: &str, action: &str) -> String {
    format!("/containers/{}/{action}", segment(id))
}

impl Engine {
    /// Creates a container from a `ContainerConfig` body (with `HostConfig`
    /// and `NetworkingConfig` inside); answers `{Id, Warnings}`.
    pub async fn container_create(
        &self,
        name: Option<&str>,
        platform: Option<&str>,
        config: &Value,
    ) -> Result<Value> {
        let mut q = Query::new();
        q.add_opt("name", name).add_opt("platform", platform);
        // Podman's compat API gives a container a stop timeout of 0 (stop
        // kills at once) unless StopTimeout is sent; Docker's default is 10 s.
        if config.get("StopTimeout").is_none() && self.is_podman().await? {
            let mut config = config.clone();
            if let Some(object) = config.as_object_mut() {
                object.insert("StopTimeout".into(), Value::from(DEFAULT_STOP_TIMEOUT));
            }
            return self
                .json(Req::post("/containers/create").query(q).json_body(&config))
                .await;
        }
        self.json(Req::post("/containers/create").query(q).json_body(config))
            .await
    }

    pub async fn container_inspect(&self, id: &str) -> Result<Value> {
        self.inspect(&super::resource::CONTAINERS, id).await
    }

    /// Starts a container; starting a running one is not an error (304).
    pub async fn container_start(&self, id: &str) -> Result<()> {
        self.empty(Req::post(path(id, "start"))).await
    }

    /// Stops a container; the engine waits up to `timeout` seconds before it
    /// kills. Stopping a stopped one is not an error (304).
    pub async fn container_stop(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        let mut q = Query::new();
        q.add_opt("t", timeout.map(|t| t.to_string()));
        self.empty(engine_waits(Req::post(path(id, "stop")).query(q), timeout))
            .await
    }

    pub async fn container_restart(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        let mut q = Query::new();
        q.add_opt("t", timeout.map(|t| t.to_string()));
        self.empty(engine_waits(
            Req::post(path(id, "restart")).query(q),
            timeout,
        ))
        .await
    }

    pub async fn container_kill(&self, id: &str, signal: Option<&str>) -> Result<()> {
        let mut q = Query::new();
        q.add_opt("signal", signal);
        self.empty(Req::post(path(id, "kill")).query(q)).await
    }

    pub async fn container_pause(&self, id: &str) -> Result<()> {
        self.empty(Req::post(path(id, "pause"))).await
    }

    pub async fn container_unpause(&self, id: &str) -> Result<()> {
        self.empty(Req::post(path(id, "unpause"))).await
    }

    pub async fn container_rename(&self, id: &str, name: &str) -> Result<()> {
        let mut q = Query::new();
        q.add("name", name);
        self.empty(Req::post(path(id, "rename")).query(q)).await
    }

    pub async fn container_remove(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        // Podman's forced remove first stops the container with its stop
        // timeout (10 s, see `container_create`); Docker kills at once. Any
        // error (not running, no such container) is left for the remove.
        if force && self.is_podman().await? {
            let _ = self.container_kill(id, None).await;
        }
        let mut q = Query::new();
        q.flag("force", force).flag("v", volumes);
        self.empty(Req::delete(format!("/containers/{}", segment(id))).query(q))
            .await
    }

    /// Blocks until the condition (`not-running`, `next-exit`, `removed`);
    /// answers `{StatusCode, Error}`.
    pub async fn container_wait(&self, id: &str, condition: Option<&str>) -> Result<Value> {
        self.container_wait_begin(id, condition)
            .await?
            .finish()
            .await
    }

    /// Registers a wait and returns once the engine has (it sends the answer
    /// head at once), so that a container started afterwards cannot exit
    /// unseen.
    pub async fn container_wait_begin(
        &self,
        id: &str,
        condition: Option<&str>,
    ) -> Result<PendingWait> {
        let mut q = Query::new();
        q.add_opt("condition", condition);
        let req = Req::post(path(id, "wait")).query(q).lasting();
        let response = self.request(req).await?;
        Ok(PendingWait(response))
    }

    /// The container's output. Its framing comes from the answer's content
    /// type where the engine states it, else from `tty` (the container's
    /// `Config.Tty` where the caller knows it), else from an inspect.
    pub async fn container_logs(
        &self,
        id: &str,
        opts: &LogsOptions,
        tty: Option<bool>,
    ) -> Result<OutputStream> {
        let response = self.request(opts.request(path(id, "logs"))).await?;
        let tty = self.output_tty(&response, id, tty).await?;
        Ok(OutputStream::new(response, tty))
    }

    /// Whether the output of container `id` in `response` is raw (TTY): as
    /// its content type states, else `tty` (its `Config.Tty` where the
    /// caller knows it), else from an inspect.
    pub(crate) async fn output_tty(
        &self,
        response: &hyper::Response<hyper::body::Incoming>,
        id: &str,
        tty: Option<bool>,
    ) -> Result<bool> {
        Ok(match (framing(response, self.api_version().await?), tty) {
            (Some(stated), _) | (None, Some(stated)) => stated,
            (None, None) => self
                .container_inspect(id)
                .await?
                .pointer("/Config/Tty")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    pub async fn container_commit(&self, id: &str, opts: &CommitOptions) -> Result<Value> {
        let mut q = Query::new();
        q.add("container", id)
            .add_opt("repo", opts.repository.as_deref())
            .add_opt("tag", opts.tag.as_deref())
            .add_opt("comment", opts.message.as_deref())
            .add_opt("author", opts.author.as_deref())
            .add_opt("pause", opts.pause.map(|p| if p { "1" } else { "0" }));
        for change in &opts.changes {
            q.add("changes", change);
        }
        // The body is the new image's config. Podman fails on an empty one
        // ("Decode(): EOF"); Docker takes `{}` as no changes.
        let empty = serde_json::json!({});
        let req = Req::post("/commit")
            .query(q)
            .json_body(opts.config.as_ref().unwrap_or(&empty));
        self.json(req).await
    }

    pub async fn container_top(&self, id: &str, ps_args: Option<&str>) -> Result<Value> {
        let mut q = Query::new();
        q.add_opt("ps_args", ps_args);
        self.json(Req::get(path(id, "top")).query(q)).await
    }

    /// One stats sample (`stream=false`).
    pub async fn container_stats(&self, id: &str) -> Result<Value> {
        let mut q = Query::new();
        q.add("stream", "0");
        self.json(Req::get(path(id, "stats")).query(q)).await
    }

    /// A stats sample about every second. It does not end when the container
    /// stops (the engine then sends nothing, or empty samples).
    pub async fn container_stats_stream(&self, id: &str) -> Result<JsonStream> {
        let mut q = Query::new();
        q.add("stream", "1");
        let req = Req::get(path(id, "stats")).query(q).lasting();
        Ok(JsonStream::new(self.request(req).await?, false))
    }

    /// Extracts a tar archive into `dir` in the container.
    pub async fn container_put_archive(&self, id: &str, dir: &str, tar: Bytes) -> Result<()> {
        let mut q = Query::new();
        q.add("path", dir);
        let req = Req::new(hyper::Method::PUT, path(id, "archive"))
            .query(q)
            .raw_body(tar, "application/x-tar");
        self.empty(req).await
    }

    /// The stat of `file` in the container (`HEAD .../archive`): `{name,
    /// size, mode, mtime, linkTarget}`, the mode in Go's `FileMode` bits.
    pub async fn container_stat_path(&self, id: &str, file: &str) -> Result<Value> {
        let mut q = Query::new();
        q.add("path", file);
        let req = Req::new(hyper::Method::HEAD, path(id, "archive")).query(q);
        let response = self.request(req).await?;
        Ok(path_stat(&response))
    }

    /// The archive of `file`, its stat and the answer whose body is the tar.
    pub async fn container_archive(
        &self,
        id: &str,
        file: &str,
    ) -> Result<(Value, hyper::Response<hyper::body::Incoming>)> {
        let mut q = Query::new();
        q.add("path", file);
        let req = Req::get(path(id, "archive")).query(q).lasting();
        let response = self.request(req).await?;
        Ok((path_stat(&response), response))
    }

    /// Extracts a streamed tar into `dir`, as `docker cp` does: never a
    /// directory replaced by a file; the entries' owners kept only with
    /// `copy_uid_gid` (else the container's root owns them).
    pub async fn container_put_archive_stream(
        &self,
        id: &str,
        dir: &str,
        tar: super::upload::Upload,
        copy_uid_gid: bool,
    ) -> Result<()> {
        let mut q = Query::new();
        q.add("path", dir);
        q.add("noOverwriteDirNonDir", "true");
        if copy_uid_gid {
            q.add("copyUIDGID", "true");
        }
        let req = Req::new(hyper::Method::PUT, path(id, "archive"))
            .query(q)
            .stream_body(tar, "application/x-tar")
            .lasting();
        self.empty(req).await
    }

    /// A tar archive of `path` in the container, and its stat header.
    pub async fn container_get_archive(&self, id: &str, file: &str) -> Result<(Bytes, Value)> {
        let mut q = Query::new();
        q.add("path", file);
        let response = self.request(Req::get(path(id, "archive")).query(q)).await?;
        let stat = path_stat(&response);
        let idle = self.timeout();
        let tar = super::body::read_capped(response, MAX_ARCHIVE, idle).await?;
        Ok((tar, stat))
    }

    /// [`Engine::container_get_archive`], the tar written to the file `to`
    /// as it arrives (bounded memory); answers the stat header.
    pub async fn container_get_archive_to(
        &self,
        id: &str,
        file: &str,
        to: &std::path::Path,
    ) -> Result<Value> {
        let mut q = Query::new();
        q.add("path", file);
        let response = self.request(Req::get(path(id, "archive")).query(q)).await?;
        let stat = path_stat(&response);
        let what = format!("'{file}' of container {id}");
        self.answer_to_file(response, to, &what).await?;
        Ok(stat)
    }

    /// [`Engine::container_put_archive`] of the tar file `from`, streamed.
    pub async fn container_put_archive_from(
        &self,
        id: &str,
        dir: &str,
        from: &std::path::Path,
    ) -> Result<()> {
        let mut q = Query::new();
        q.add("path", dir);
        let body = super::files::file_body(from).await?;
        let req = Req::new(hyper::Method::PUT, path(id, "archive"))
            .query(q)
            .stream_body(body, "application/x-tar");
        self.empty(req).await
    }

    /// The container's filesystem as a tar, written to `to` as it arrives.
    pub async fn container_export_to(&self, id: &str, to: &std::path::Path) -> Result<u64> {
        let response = self.request(Req::get(path(id, "export"))).await?;
        let what = format!("export of container {id}");
        self.answer_to_file(response, to, &what).await
    }

    /// What changed in the container's filesystem: `[{Path, Kind}]`.
    pub async fn container_diff(&self, id: &str) -> Result<Value> {
        self.json(Req::get(path(id, "changes"))).await
    }

    /// Changes resources and the restart policy; answers `{Warnings}`.
    pub async fn container_update(&self, id: &str, body: &Value) -> Result<Value> {
        self.json(Req::post(path(id, "update")).json_body(body))
            .await
    }

    /// Sets the size of the container's TTY.
    pub async fn container_resize(&self, id: &str, height: u32, width: u32) -> Result<()> {
        let mut q = Query::new();
        q.add("h", height.to_string()).add("w", width.to_string());
        self.empty(Req::post(path(id, "resize")).query(q)).await
    }

    /// The inspect of a container just started. One gone by then
    /// (`auto_remove` and an instant exit) is not an error: the answer is
    /// then its id, name and `State.Status = "removing"`.
    pub async fn container_inspect_started(&self, id: &str, name: Option<&str>) -> Result<Value> {
        match self.container_inspect(id).await {
            Err(e) if e.kind == super::ErrorKind::NotFound => Ok(serde_json::json!({
                "Id": id,
                "Name": name.map(|n| format!("/{n}")),
                "State": {"Status": "removing"},
            })),
            other => other,
        }
    }

    /// Creates an exec instance; answers its id. The proxies of
    /// `config.json` join its environment, as the Python SDK's do.
    pub async fn exec_create(&self, id: &str, config: &Value) -> Result<String> {
        let proxies = super::options::proxy::variables(self.url());
        let mut with_proxies;
        let mut config = config;
        if !proxies.is_empty() {
            with_proxies = config.clone();
            with_proxies["Env"] =
                Value::Array(super::options::proxy::inject(config.get("Env"), &proxies));
            config = &with_proxies;
        }
        let answer = self
            .json(Req::post(path(id, "exec")).json_body(config))
            .await?;
        Ok(answer
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    /// Starts an exec instance attached, and streams its output. With
    /// `stdin`, the connection is hijacked (`Upgrade: tcp`) so that the data
    /// can be written to the process, followed by end-of-file.
    pub async fn exec_start(
        &self,
        exec_id: &str,
        tty: bool,
        stdin: Option<Bytes>,
    ) -> Result<OutputStream> {
        let body = serde_json::json!({ "Detach": false, "Tty": tty });
        let mut req = Req::post(format!("/exec/{}/start", segment(exec_id)))
            .json_body(&body)
            .lasting();
        if stdin.is_some() {
            req = req
                .header("connection", "Upgrade".into())
                .header("upgrade", "tcp".into());
        }
        let response = self.request(req).await?;
        let tty = framing(&response, self.api_version().await?).unwrap_or(tty);
        match stdin {
            None => Ok(OutputStream::new(response, tty)),
            Some(data) => {
                if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
                    return Err(super::Error::new(
                        super::ErrorKind::Api,
                        format!(
                            "the engine did not hijack the exec connection for stdin (answered {})",
                            response.status()
                        ),
                    ));
                }
                let source = super::body::Source::of(&response);
                let io = hyper::upgrade::on(response).await.map_err(|e| {
                    super::Error::new(
                        super::ErrorKind::Connection,
                        format!("hijacking the exec connection: {e}"),
                    )
                })?;
                Ok(OutputStream::hijacked(io, tty, data, source))
            }
        }
    }

    pub async fn exec_inspect(&self, exec_id: &str) -> Result<Value> {
        self.json(Req::get(format!("/exec/{}/json", segment(exec_id))))
            .await
    }
}

/// The stat of an archive's path, from the answer's header.
fn path_stat(response: &hyper::Response<hyper::body::Incoming>) -> Value {
    response
        .headers()
        .get("x-docker-container-path-stat")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(v).ok()
        })
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or(Value::Null)
}

/// Whether an output answer is raw (TTY) or multiplexed, where the engine's
/// content type can be trusted. Engines before API 1.42 call every output
/// `raw-stream` (20.10 does so for a non-TTY exec; 23+ for any non-TTY stream
/// asked for with an older version) and some send `application/json`, so
/// `raw-stream` counts only from 1.42 on; otherwise the caller's `tty` decides.
pub fn framing(
    response: &hyper::Response<hyper::body::Incoming>,
    api_version: &str,
) -> Option<bool> {
    let content_type = response.headers().get("content-type")?.to_str().ok()?;
    if content_type.contains("multiplexed-stream") {
        Some(false)
    } else if content_type.contains("raw-stream") && !super::version_lt(api_version, "1.42") {
        Some(true)
    } else {
        None
    }
}

/// A container's health (`"starting"`, `"healthy"`, `"unhealthy"`), from an
/// inspect (`State.Health.Status`) or a list entry: its `Health.Status`
/// from API 1.52 on, before that only its `Status` text: `"Up 5 seconds
/// (unhealthy)"`, `"(health: starting)"`. `"none"` (no healthcheck) is none.
pub fn health(attrs: &Value) -> Option<String> {
    let structured = attrs
        .get("State")
        .and_then(|s| s.get("Health"))
        .or_else(|| attrs.get("Health"))
        .and_then(|h| h.get("Status"))
        .and_then(Value::as_str);
    if let Some(status) = structured {
        return matches!(status, "starting" | "healthy" | "unhealthy").then(|| status.to_owned());
    }
    let text = attrs.get("Status").and_then(Value::as_str)?;
    let inside = text.strip_suffix(')')?.rsplit_once('(')?.1;
    let health = inside.strip_prefix("health: ").unwrap_or(inside);
    matches!(health, "starting" | "healthy" | "unhealthy").then(|| health.to_owned())
}

#[cfg(test)]
mod health_tests {
    use super::health;
    use serde_json::json;

    #[test]
    fn health_comes_from_an_inspect_or_a_list_entry() {
        let inspected = json!({"State": {"Health": {"Status": "unhealthy"}}});
        assert_eq!(health(&inspected).as_deref(), Some("unhealthy"));
        let listed = |s: &str| health(&json!({"Status": s}));
        assert_eq!(
            listed("Up 5 seconds (unhealthy)").as_deref(),
            Some("unhealthy")
        );
        assert_eq!(
            listed("Up 1 second (health: starting)").as_deref(),
            Some("starting")
        );
        assert_eq!(listed("Up 2 hours (healthy)").as_deref(), Some("healthy"));
        assert_eq!(listed("Up 2 hours"), None);
        assert_eq!(listed("Exited (1) 3 seconds ago"), None);
        assert_eq!(health(&json!({"State": {"Status": "running"}})), None);
        // API 1.52 list entries: a `Health` object, "none" without a check.
        let entry =
            |h: &str| json!({"State": "running", "Status": "Up 2 hours", "Health": {"Status": h}});
        assert_eq!(health(&entry("unhealthy")).as_deref(), Some("unhealthy"));
        assert_eq!(health(&entry("none")), None);
        let none = json!({"State": {"Status": "running", "Health": {"Status": "none"}}});
        assert_eq!(health(&none), None);
    }
}
