//! `run` as `docker run` does it: create (pulling the image when missing or
//! when asked), start, wait for the exit, read the output, remove; and what
//! a cancelled run leaves to clean up.
//!
//! A run registers its container in the [`Cleanups`] of its caller while it
//! runs. Cancelled (its future dropped: Ctrl-C, a signal, an aborted task),
//! its guard starts the clean-up at once: kill, or remove when the run
//! removes its container (`remove`, `AutoRemove`). A run whose future is
//! never dropped is still registered, so [`Cleanups::cancel_all`] ends it
//! explicitly: nothing waits for a garbage collector.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::containers::LogsOptions;
use super::images::Auth;
use super::reference::split_reference;
use super::{Engine, Error, ErrorKind, Result};

/// When `run` and `create` pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pull {
    #[default]
    Missing,
    Always,
    Never,
}

/// What to create and how.
#[derive(Debug, Clone)]
pub struct RunSpec<'a> {
    pub image: &'a str,
    pub name: Option<&'a str>,
    pub platform: Option<&'a str>,
    /// The create body.
    pub config: &'a Value,
    pub pull: Pull,
    /// Remove the container after the run, whatever its end.
    pub remove: bool,
    /// Put the proxies of `config.json` into its environment (the Python
    /// SDK's `use_config_proxy`, the CLI's way).
    pub proxies: bool,
}

/// What a pull made for a run reports, for the caller to show.
pub enum PullEvent<'a> {
    /// The image is missing locally and will be pulled (`Unable to find image`).
    Missing(&'a str),
    /// One progress value of the engine's pull answer.
    Progress(&'a Value),
    /// The pull has ended.
    Pulled,
}

/// The collected output and exit status of an attached run.
#[derive(Debug)]
pub struct RunOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i64,
    /// False when the container's log driver cannot be read (`none`,
    /// `syslog`...): there is no output to give, only the exit.
    pub logs_readable: bool,
}

/// Creates the container, pulling its image first when it is missing (or
/// always, as asked). Answers the new id.
pub async fn create(
    engine: &Engine,
    spec: &RunSpec<'_>,
    progress: &mut dyn FnMut(PullEvent<'_>),
) -> Result<String> {
    if spec.pull == Pull::Always {
        pull(engine, spec, progress).await?;
    }
    let variables = match spec.proxies {
        true => super::options::proxy::variables(engine.url()),
        false => Vec::new(),
    };
    let with_proxies;
    let mut config = spec.config;
    if !variables.is_empty() {
        let mut c = spec.config.clone();
        c["Env"] = Value::Array(super::options::proxy::inject(c.get("Env"), &variables));
        with_proxies = c;
        config = &with_proxies;
    }
    let attempt = || engine.container_create(spec.name, spec.platform, config);
    let answer = match attempt().await {
        Err(e) if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Missing => {
            progress(PullEvent::Missing(spec.image));
            pull(engine, spec, progress).await?;
            attempt().await
        }
        other => other,
    }
    .map_err(|e| {
        if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Never {
            Error {
                message: format!("{} (and pull = \"never\")", e.message),
                ..e
            }
        } else {
            e
        }
    })?;
    answer
        .get("Id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::new(ErrorKind::Api, "create answered no id"))
}

/// Creates the container as [`create`] does and registers it with the
/// clean-ups of cancelled runs: killed, or removed where the run (or the
/// engine's `AutoRemove`) would remove it anyway.
pub async fn create_guarded(
    engine: &Engine,
    spec: &RunSpec<'_>,
    cleanups: &Cleanups,
    progress: &mut dyn FnMut(PullEvent<'_>),
) -> Result<(String, RunGuard)> {
    let id = create(engine, spec, progress).await?;
    let auto_remove = spec
        .config
        .pointer("/HostConfig/AutoRemove")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let guard = cleanups.register(engine, &id, spec.remove || auto_remove);
    Ok((id, guard))
}

async fn pull(
    engine: &Engine,
    spec: &RunSpec<'_>,
    progress: &mut dyn FnMut(PullEvent<'_>),
) -> Result<()> {
    let (name, tag) = split_reference(spec.image);
    let tag = tag.unwrap_or(if name.contains('@') { "" } else { "latest" });
    let mut stream = engine
        .image_pull(name, tag, spec.platform, &Auth::FromConfig)
        .await?;
    while let Some(event) = stream.next().await? {
        progress(PullEvent::Progress(&event));
    }
    progress(PullEvent::Pulled);
    Ok(())
}

/// Creates, starts and waits for a container, and collects its output
/// (`docker run` without `-d`). A non-zero exit is an answer, not an error.
pub async fn run(
    engine: &Engine,
    spec: &RunSpec<'_>,
    cleanups: &Cleanups,
    progress: &mut dyn FnMut(PullEvent<'_>),
) -> Result<RunOutput> {
    let (id, guard) = create_guarded(engine, spec, cleanups, progress).await?;
    let result = attached(engine, &id, spec.config).await;
    guard.disarm();
    if !spec.remove {
        return result;
    }
    // Removed whatever happened, so that a failed run leaves nothing; when
    // that fails (an engine that stopped answering), it is said.
    let removed = engine.container_remove(&id, true, false).await;
    let Err(e) = removed.or_else(gone) else {
        return result;
    };
    let left = format!(
        "container {} was left behind (remove: {})",
        short(&id),
        e.message
    );
    match result {
        Err(err) => Err(Error {
            message: format!("{}; {left}", err.message),
            ..err
        }),
        Ok(output) => {
            eprintln!("dockerlua: warning: {left}");
            Ok(output)
        }
    }
}

/// A container that is gone already needs no clean-up.
fn gone(e: Error) -> Result<()> {
    match e.kind {
        ErrorKind::NotFound => Ok(()),
        _ => Err(e),
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Creates and starts a container (`docker run -d`); answers its id.
pub async fn run_detached(
    engine: &Engine,
    spec: &RunSpec<'_>,
    progress: &mut dyn FnMut(PullEvent<'_>),
) -> Result<String> {
    let id = create(engine, spec, progress).await?;
    engine.container_start(&id).await?;
    Ok(id)
}

/// Starts a created container, waits for its exit, and reads its output.
async fn attached(engine: &Engine, id: &str, config: &Value) -> Result<RunOutput> {
    // Ask for the exit before starting, so that a fast exit is not missed.
    let wait = engine.container_wait_begin(id, Some("next-exit")).await?;
    engine.container_start(id).await?;
    let status = wait.finish().await?;
    if let Some(message) = status.pointer("/Error/Message").and_then(Value::as_str) {
        if !message.is_empty() {
            return Err(Error::new(ErrorKind::Api, message));
        }
    }
    let exit_code = status
        .get("StatusCode")
        .and_then(Value::as_i64)
        .unwrap_or(-1);
    let tty = config.get("Tty").and_then(Value::as_bool).unwrap_or(false);
    let logs = match engine
        .container_logs(id, &LogsOptions::default(), Some(tty))
        .await
    {
        Ok(logs) => logs,
        // "configured logging driver does not support reading"
        Err(e) if e.status == Some(501) => {
            return Ok(RunOutput {
                stdout: Vec::new(),
                stderr: Vec::new(),
                exit_code,
                logs_readable: false,
            })
        }
        Err(e) => return Err(e),
    };
    let (stdout, stderr) = logs
        .collect()
        .await
        .map_err(|e| e.named("containers.run"))?;
    Ok(RunOutput {
        stdout,
        stderr,
        exit_code,
        logs_readable: true,
    })
}

/// The runs of one program (one Lua state) still under way, and the
/// clean-ups started for cancelled ones. Cheap to clone; clones share.
#[derive(Clone, Default)]
pub struct Cleanups(Rc<CleanupsInner>);

#[derive(Default)]
struct CleanupsInner {
    next: Cell<u64>,
    active: RefCell<HashMap<u64, Active>>,
    /// Clean-ups started and not yet waited for: the container, the task.
    started: RefCell<Vec<(String, tokio::task::JoinHandle<Result<()>>)>>,
    /// The containers whose clean-up is under way (each task removes its
    /// own when it ends), for what a program stopped early leaves behind.
    cleaning: Arc<Mutex<Vec<String>>>,
}

/// A container a clean-up could not end or remove, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub id: String,
    pub why: String,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "container {} ({})", short(&self.id), self.why)
    }
}

struct Active {
    engine: Engine,
    id: String,
    ending: Ending,
}

/// How a cancelled run's container is ended.
#[derive(Clone, Copy)]
enum Ending {
    Kill,
    Remove,
    /// Stopped (SIGTERM, then SIGKILL after the timeout), as `docker
    /// compose up` stops its containers on Ctrl-C.
    Stop(Option<i64>),
}

impl Active {
    async fn clean(self) -> Result<()> {
        let (what, result) = match self.ending {
            Ending::Remove => (
                "remove",
                self.engine.container_remove(&self.id, true, false).await,
            ),
            Ending::Kill => ("kill", self.engine.container_kill(&self.id, None).await),
            Ending::Stop(t) => ("stop", self.engine.container_stop(&self.id, t).await),
        };
        match result.or_else(gone) {
            // A kill of a container that is no longer running.
            Err(e) if e.kind == ErrorKind::Conflict && what == "kill" => Ok(()),
            Err(e) => Err(Error {
                message: format!("{what}: {}", e.message),
                ..e
            }),
            Ok(()) => Ok(()),
        }
    }
}

/// How long the end of a program waits for its clean-ups.
const CLEANUP_LIMIT: Duration = Duration::from_secs(10);

impl Cleanups {
    /// Registers a running container; dropping the guard without
    /// [`RunGuard::disarm`] cleans it up.
    pub fn register(&self, engine: &Engine, id: &str, remove: bool) -> RunGuard {
        let ending = if remove { Ending::Remove } else { Ending::Kill };
        self.register_as(engine, id, ending)
    }

    /// Registers a running container that a cancellation stops (with
    /// `timeout` seconds to end, the container's own when `None`).
    pub fn register_stop(&self, engine: &Engine, id: &str, timeout: Option<i64>) -> RunGuard {
        self.register_as(engine, id, Ending::Stop(timeout))
    }

    fn register_as(&self, engine: &Engine, id: &str, ending: Ending) -> RunGuard {
        let key = self.0.next.get();
        self.0.next.set(key + 1);
        self.0.active.borrow_mut().insert(
            key,
            Active {
                engine: engine.clone(),
                id: id.to_owned(),
                ending,
            },
        );
        RunGuard {
            cleanups: self.clone(),
            key,
            armed: true,
        }
    }

    /// How many runs are under way.
    pub fn active(&self) -> usize {
        self.0.active.borrow().len()
    }

    /// Starts the clean-up of one run, in the background when a runtime
    /// exists (so a prompt goes on meanwhile); [`Cleanups::finish`] waits.
    fn start(&self, key: u64) {
        let Some(run) = self.0.active.borrow_mut().remove(&key) else {
            return;
        };
        // Without a runtime (a Lua state dropped after it) nothing can be sent.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let id = run.id.clone();
            let cleaning = self.0.cleaning.clone();
            lock(&cleaning).push(id.clone());
            let task = runtime.spawn(async move {
                let id = run.id.clone();
                let result = run.clean().await;
                lock(&cleaning).retain(|c| *c != id);
                result
            });
            self.0.started.borrow_mut().push((id, task));
        }
    }

    /// Cancels every run still under way: their containers are killed, or
    /// removed when the run would have removed them.
    pub fn cancel_all(&self) {
        let keys: Vec<u64> = self.0.active.borrow().keys().copied().collect();
        for key in keys {
            self.start(key);
        }
    }

    /// Waits (a bounded time) for the clean-ups started so far, so that a
    /// program ending on Ctrl-C does not leave their containers behind;
    /// answers the containers that were left behind all the same.
    pub async fn finish(&self) -> Vec<Leftover> {
        let started = std::mem::take(&mut *self.0.started.borrow_mut());
        let deadline = tokio::time::Instant::now() + CLEANUP_LIMIT;
        let mut left = Vec::new();
        for (id, task) in started {
            let why = match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(Ok(()))) => continue,
                Ok(Ok(Err(e))) => format!("{}: {}", e.kind.name(), e.message),
                Ok(Err(_)) => "its clean-up was cancelled".to_owned(),
                Err(_) => format!(
                    "its clean-up did not end within {} s",
                    CLEANUP_LIMIT.as_secs()
                ),
            };
            left.push(Leftover { id, why });
        }
        left
    }

    /// The containers of runs still under way or still being cleaned up:
    /// what ending the program now leaves behind.
    pub fn unfinished(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .0
            .active
            .borrow()
            .values()
            .map(|a| a.id.clone())
            .collect();
        ids.extend(lock(&self.0.cleaning).iter().cloned());
        ids
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain data: usable after a panic elsewhere.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A run under way in its [`Cleanups`]; cleaned up if dropped armed.
pub struct RunGuard {
    cleanups: Cleanups,
    key: u64,
    armed: bool,
}

impl RunGuard {
    /// The run ended by itself: nothing to clean up.
    pub fn disarm(mut self) {
        self.armed = false;
        self.cleanups.0.active.borrow_mut().remove(&self.key);
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self.armed {
            self.cleanups.start(self.key);
        }
    }
}
