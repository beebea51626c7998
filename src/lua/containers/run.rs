//! `run`: create, start, wait and read the output, as `docker run` does;
//! and what a cancelled run leaves to clean up.

use std::time::Duration;

use mlua::{Lua, MultiValue, Value};
use serde_json::Value as Json;

use crate::engine::containers::LogsOptions;
use crate::engine::{Engine, ErrorKind};
use crate::lua::client::Handle;
use crate::lua::error::{self, ContainerFailure, DockerError};
use crate::lua::{images, resource};

use super::container::Container;
use super::spec::{Pull, Spec};

/// Creates the container, pulling its image first when it is missing (or
/// always, as asked). Answers the new id.
pub(super) async fn create(engine: &Engine, spec: &Spec) -> mlua::Result<String> {
    if spec.pull == Pull::Always {
        images::pull_for_run(engine, &spec.image, spec.platform.as_deref()).await?;
    }
    let attempt =
        || engine.container_create(spec.name.as_deref(), spec.platform.as_deref(), &spec.config);
    let answer = match attempt().await {
        Err(e) if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Missing => {
            eprintln!(
                "Unable to find image '{}' locally",
                crate::engine::reference::with_tag(&spec.image)
            );
            images::pull_for_run(engine, &spec.image, spec.platform.as_deref()).await?;
            attempt().await
        }
        other => other,
    }
    .map_err(|e| {
        if e.kind == ErrorKind::ImageNotFound && spec.pull == Pull::Never {
            error::engine(crate::engine::Error {
                message: format!("{} (and pull = \"never\")", e.message),
                ..e
            })
        } else {
            error::engine(e)
        }
    })?;
    answer
        .get("Id")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            error::engine(crate::engine::Error::new(
                ErrorKind::Api,
                "create answered no id",
            ))
        })
}

pub(super) async fn run(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<Value> {
    let spec = Spec::parse("containers.run", args, true)?;
    let engine = handle.engine()?;
    let id = create(&engine, &spec).await?;
    if spec.detach {
        engine.container_start(&id).await.map_err(error::engine)?;
        let attrs = engine
            .container_inspect_started(&id, spec.name.as_deref())
            .await
            .map_err(error::engine)?;
        return resource::object::<Container>(&lua, &handle, attrs);
    }
    // Cancelled mid-run (Ctrl-C), the container is killed, and removed if
    // asked, rather than left running unseen.
    let mut guard = CancelGuard {
        engine: Some(engine.clone()),
        id: id.clone(),
        remove: spec.remove,
    };
    let result = run_attached(&engine, &id, &spec).await;
    guard.engine = None;
    if spec.remove {
        // Removed whatever happened, so that a failed run leaves nothing.
        let _ = engine.container_remove(&id, true, false).await;
    }
    let (stdout, stderr, exit) = result?;
    if exit != 0 {
        return Err(DockerError {
            kind: "ContainerError",
            status: None,
            message: format!("exit status {exit}"),
            container: Some(ContainerFailure {
                exit_status: exit,
                stderr: String::from_utf8_lossy(&stderr).into_owned(),
                command: spec
                    .command
                    .map(|c| {
                        shlex::try_join(c.iter().map(String::as_str))
                            .unwrap_or_else(|_| c.join(" "))
                    })
                    .unwrap_or_default(),
                image: spec.image,
            }),
            errors: Vec::new(),
        }
        .into());
    }
    let mut output = if spec.stdout { stdout } else { Vec::new() };
    if spec.stderr {
        output.extend_from_slice(&stderr);
    }
    Ok(Value::String(lua.create_string(&output)?))
}

thread_local! {
    /// Clean-ups started by cancelled calls, for [`finish_cleanups`].
    static CLEANUPS: std::cell::RefCell<Vec<tokio::task::JoinHandle<()>>> = Default::default();
}

struct CancelGuard {
    /// `None` once the run is over.
    engine: Option<Engine>,
    id: String,
    remove: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        let (id, remove) = (std::mem::take(&mut self.id), self.remove);
        // Not on a runtime (a Lua state dropped after it): nothing can be sent.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let task = runtime.spawn(async move {
            let _ = if remove {
                engine.container_remove(&id, true, false).await
            } else {
                engine.container_kill(&id, None).await
            };
        });
        CLEANUPS.with(|c| c.borrow_mut().push(task));
    }
}

/// Waits (a bounded time) for the clean-ups of cancelled runs, so that a
/// program ending on Ctrl-C does not leave their containers behind.
pub async fn finish_cleanups() {
    let tasks = CLEANUPS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    let all = futures_util::future::join_all(tasks);
    let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
}

/// Starts a created container, waits for its exit, and reads its output.
async fn run_attached(
    engine: &Engine,
    id: &str,
    spec: &Spec,
) -> mlua::Result<(Vec<u8>, Vec<u8>, i64)> {
    // Ask for the exit before starting, so that a fast exit is not missed.
    let wait = engine
        .container_wait_begin(id, Some("next-exit"))
        .await
        .map_err(error::engine)?;
    engine.container_start(id).await.map_err(error::engine)?;
    let status = wait.finish().await.map_err(error::engine)?;
    if let Some(message) = status.pointer("/Error/Message").and_then(Json::as_str) {
        if !message.is_empty() {
            return Err(error::engine(crate::engine::Error::new(
                ErrorKind::Api,
                message,
            )));
        }
    }
    let exit = status
        .get("StatusCode")
        .and_then(Json::as_i64)
        .unwrap_or(-1);
    let tty = spec
        .config
        .get("Tty")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let logs = LogsOptions::default();
    let stream = engine
        .container_logs(id, &logs, Some(tty))
        .await
        .map_err(error::engine)?;
    let (out, err) = stream.collect().await.map_err(error::engine)?;
    Ok((out, err, exit))
}
