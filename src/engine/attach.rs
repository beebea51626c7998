//! Live two-way I/O with a container's processes: `attach` and exec
//! connections hijacked from HTTP (`Upgrade: tcp`, answered `101`), the
//! `docker run` sequence attached before the start (streamed and interactive
//! runs), and TTY resizes. Terminals are the front end's business: this
//! layer gives the connection and the calls, nothing more.

use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper::Response;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncWriteExt, WriteHalf};

use super::containers::{framing, PendingWait};
use super::error::excerpt;
use super::run::{self, Cleanups, PullEvent, RunGuard, RunSpec};
use super::{segment, Engine, Error, ErrorKind, OutputStream, Query, Req, Result};

/// What `POST /containers/{id}/attach` attaches to.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// The output logged so far first.
    pub logs: bool,
    /// The engine's detach sequence (`ctrl-p,ctrl-q` when `None`).
    pub detach_keys: Option<String>,
}

/// The TTY a resize is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tty {
    Container(String),
    Exec(String),
}

/// A hijacked connection: the process's output, and its stdin.
pub struct Duplex {
    pub output: OutputStream,
    pub input: Input,
}

/// The write side of a [`Duplex`]: the process's stdin.
pub struct Input(WriteHalf<TokioIo<Upgraded>>);

impl Input {
    /// Writes all of `data` (waits while the process does not read).
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.0.write_all(data).await.map_err(write_error)?;
        self.0.flush().await.map_err(write_error)
    }

    /// End of file on the process's stdin. Without a TTY the output goes
    /// on; with one, the engine ends the session (a TTY's end of file is a
    /// Ctrl-D, `"\x04"`, written as data).
    pub async fn close(&mut self) -> Result<()> {
        self.0.shutdown().await.map_err(write_error)
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Connection,
        format!("writing to the process's stdin: {e}"),
    )
}

impl Engine {
    /// Attaches to a container: its live output and, with `opts.stdin`, its
    /// stdin. `tty` is the container's `Config.Tty` where the caller knows
    /// it (the framing of the output; else the answer's content type or an
    /// inspect decides).
    pub async fn container_attach(
        &self,
        id: &str,
        opts: &AttachOptions,
        tty: Option<bool>,
    ) -> Result<Duplex> {
        let mut q = Query::new();
        q.flag("stream", true)
            .flag("stdin", opts.stdin)
            .flag("stdout", opts.stdout)
            .flag("stderr", opts.stderr)
            .flag("logs", opts.logs);
        q.add_opt("detachKeys", opts.detach_keys.as_deref());
        let req = Req::post(format!("/containers/{}/attach", segment(id))).query(q);
        let response = self.hijack(req, "attach").await?;
        let tty = self.output_tty(&response, id, tty).await?;
        upgrade(response, tty).await
    }

    /// Attaches to a running container, as `docker attach` does: a stopped,
    /// paused or restarting one is refused with a `Conflict` (the engine
    /// would hold the connection until the container runs again, so the
    /// call would hang). The inspect that tells also gives the framing.
    pub async fn container_attach_running(&self, id: &str, opts: &AttachOptions) -> Result<Duplex> {
        let attrs = self.container_inspect(id).await?;
        let state = |field: &str| {
            attrs
                .pointer(&format!("/State/{field}"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let refusal = if !state("Running") {
            Some("a stopped container, start it first")
        } else if state("Paused") {
            Some("a paused container, unpause it first")
        } else if state("Restarting") {
            Some("a restarting container, wait until it runs")
        } else {
            None
        };
        if let Some(why) = refusal {
            let name = attrs
                .get("Name")
                .and_then(Value::as_str)
                .map_or(id, |n| n.trim_start_matches('/'));
            let status = attrs
                .pointer("/State/Status")
                .and_then(Value::as_str)
                .unwrap_or("not running");
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "container '{}' is {}: cannot attach to {why}",
                    excerpt(name, 100),
                    excerpt(status, 20)
                ),
            ));
        }
        let tty = attrs.pointer("/Config/Tty").and_then(Value::as_bool);
        self.container_attach(id, opts, tty).await
    }

    /// Starts an exec instance on a two-way connection: its output, and its
    /// stdin (the exec must be created with `AttachStdin`).
    pub async fn exec_start_duplex(&self, exec_id: &str, tty: bool) -> Result<Duplex> {
        let body = serde_json::json!({ "Detach": false, "Tty": tty });
        let req = Req::post(format!("/exec/{}/start", segment(exec_id))).json_body(&body);
        let response = self.hijack(req, "exec").await?;
        let tty = framing(&response, self.api_version().await?).unwrap_or(tty);
        upgrade(response, tty).await
    }

    /// Sets the size of a container's or an exec's TTY.
    pub async fn tty_resize(&self, tty: &Tty, height: u16, width: u16) -> Result<()> {
        let path = match tty {
            Tty::Container(id) => format!("/containers/{}/resize", segment(id)),
            Tty::Exec(id) => format!("/exec/{}/resize", segment(id)),
        };
        let mut q = Query::new();
        q.add("h", height.to_string()).add("w", width.to_string());
        self.empty(Req::post(path).query(q)).await
    }

    /// Sends `req` asking for the connection (it lasts: no client timeout).
    async fn hijack(&self, req: Req<'_>, what: &str) -> Result<Response<Incoming>> {
        let req = req
            .header("connection", "Upgrade".into())
            .header("upgrade", "tcp".into())
            .lasting();
        let response = self.request(req).await?;
        if response.status() != hyper::StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::new(
                ErrorKind::Api,
                format!(
                    "the engine did not hijack the {what} connection (answered {})",
                    response.status()
                ),
            ));
        }
        Ok(response)
    }
}

async fn upgrade(response: Response<Incoming>, tty: bool) -> Result<Duplex> {
    let source = super::body::Source::of(&response);
    let io = hyper::upgrade::on(response).await.map_err(|e| {
        Error::new(
            ErrorKind::Connection,
            format!("hijacking the connection: {e}"),
        )
    })?;
    let (read, write) = tokio::io::split(TokioIo::new(io));
    Ok(Duplex {
        output: OutputStream::duplex(read, tty, source),
        input: Input(write),
    })
}

/// A run attached before its start (`docker run` streamed or `-it`): its
/// connection, and what ends it.
pub struct AttachedRun {
    pub id: String,
    /// Whether the container has a TTY.
    pub tty: bool,
    pub io: Duplex,
    pub end: RunEnd,
}

/// The end of an attached run: its exit status, then its removal where the
/// run removes its container. Dropped without [`RunEnd::finish`] or
/// [`RunEnd::detach`] (a closed stream, Ctrl-C), it cleans up as a
/// cancelled run does (kill, or remove).
pub struct RunEnd {
    engine: Engine,
    id: String,
    wait: PendingWait,
    guard: RunGuard,
    remove: bool,
}

/// Creates (pulling as asked), attaches, and starts. With `stdin`, the
/// container must be created with `OpenStdin` and `AttachStdin`.
pub async fn run_attached(
    engine: &Engine,
    spec: &RunSpec<'_>,
    cleanups: &Cleanups,
    progress: &mut dyn FnMut(PullEvent<'_>),
    stdin: bool,
) -> Result<AttachedRun> {
    let (id, guard) = run::create_guarded(engine, spec, cleanups, progress).await?;
    let tty = spec
        .config
        .get("Tty")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let opts = AttachOptions {
        stdin,
        stdout: true,
        stderr: true,
        ..AttachOptions::default()
    };
    // Attached and waited for before the start: no output and no exit is missed.
    let io = engine.container_attach(&id, &opts, Some(tty)).await?;
    let wait = engine.container_wait_begin(&id, Some("next-exit")).await?;
    engine.container_start(&id).await?;
    Ok(AttachedRun {
        id: id.clone(),
        tty,
        io,
        end: RunEnd {
            engine: engine.clone(),
            id,
            wait,
            guard,
            remove: spec.remove,
        },
    })
}

impl RunEnd {
    /// Waits for the exit and answers its status; removes the container
    /// when the run does, whatever happened.
    pub async fn finish(self) -> Result<i64> {
        let status = self.wait.finish().await;
        self.guard.disarm();
        if self.remove {
            let _ = self.engine.container_remove(&self.id, true, false).await;
        }
        let status = status?;
        if let Some(message) = status.pointer("/Error/Message").and_then(Value::as_str) {
            if !message.is_empty() {
                return Err(Error::new(ErrorKind::Api, message));
            }
        }
        Ok(status
            .get("StatusCode")
            .and_then(Value::as_i64)
            .unwrap_or(-1))
    }

    /// The user detached: the container goes on running, and stays.
    pub fn detach(self) {
        self.guard.disarm();
    }
}
