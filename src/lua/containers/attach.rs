//! Live I/O: `c:attach`, two-way streams (`stdin = true`), streamed runs
//! (`run{stream = true}`), and interactive sessions (`interactive = true`)
//! handed to the front end's terminal ([`crate::lua::terminal`]).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use mlua::{Lua, MultiValue, Value};
use serde_json::{json, Value as Json};

use crate::engine::attach::{self as engine_attach, AttachOptions, Duplex, Input, Tty};
use crate::engine::Engine;
use crate::lua::args::Opts;
use crate::lua::error::{self, invalid};
use crate::lua::handle::Handle;
use crate::lua::images::RunPullReport;
use crate::lua::resource::Object;
use crate::lua::terminal::{self, Ended, Session, Terminal};
use crate::lua::{iter, lifecycle};

use super::container::Container;
use super::output::{exec_exit_code, ExitOf, Lines, LinesThenExit};
use super::run::run_spec;
use super::spec::Spec;

/// A process's stdin as a stream's writing side.
struct Stdin(Input);

impl iter::Sink for Stdin {
    fn write<'a>(&'a mut self, data: &'a [u8]) -> LocalBoxFuture<'a, mlua::Result<()>> {
        Box::pin(async move { self.0.write(data).await.map_err(error::engine) })
    }

    fn close_write(&mut self) -> LocalBoxFuture<'_, mlua::Result<()>> {
        Box::pin(async move { self.0.close().await.map_err(error::engine) })
    }
}

/// `c:attach{stdout =, stderr =, logs =, stream =, stdin =, interactive =}`.
pub(super) async fn attach(
    lua: Lua,
    this: &Object<Container>,
    opts: Value,
) -> mlua::Result<MultiValue> {
    const F: &str = "Container:attach";
    let opts = Opts::new(
        F,
        opts,
        &["stdout", "stderr", "logs", "stream", "stdin", "interactive"],
    )?;
    let interactive = opts.flag("interactive")?;
    let stdin = opts.flag("stdin")?;
    let streamed = opts.flag("stream")?;
    let terminal = match interactive {
        true => Some(terminal::terminal(F)?),
        false => None,
    };
    let options = AttachOptions {
        stdin: stdin || interactive,
        stdout: opts.bool("stdout")?.unwrap_or(true),
        stderr: opts.bool("stderr")?.unwrap_or(true),
        logs: opts.flag("logs")?,
        detach_keys: None,
    };
    let engine = this.handle.engine()?;
    let io = engine
        .container_attach_running(&this.id, &options)
        .await
        .map_err(|e| error::engine_in(F, e))?;
    let id = this.id.clone();
    if let Some(terminal) = terminal {
        let tty = io.output.tty();
        let resize = resizer(&engine, Tty::Container(id.clone()));
        let ended = session(terminal, io, tty, resize).await?;
        return answer(&lua, ended, async { container_exit(&engine, &id).await }).await;
    }
    let Duplex { mut output, input } = io;
    if !(stdin || streamed) {
        // The Python SDK's `attach()`: the output until the container ends.
        let all = output
            .collect_joined(|_| true)
            .await
            .map_err(|e| error::engine(e.named(F)))?;
        return Ok(MultiValue::from_iter([Value::String(
            lua.create_string(&all)?,
        )]));
    }
    let exit_code = Rc::new(Cell::new(None));
    let source = LinesThenExit {
        lines: Lines::new(output),
        exit: Some(ExitOf::Container(engine, id)),
        exit_code: exit_code.clone(),
    };
    if stdin {
        iter::duplex(&lua, "AttachStream", source, Stdin(input), exit_code)
    } else {
        iter::for_values_with_exit(&lua, "AttachStream", source, exit_code)
    }
}

/// How long the end of an attached output waits for the container's exit:
/// the output may also end while it runs on (it closed its stdout).
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// The exit code of a container whose output has ended; `None` when it is
/// still running after [`EXIT_WAIT`].
pub(super) async fn container_exit(engine: &Engine, id: &str) -> mlua::Result<Option<i64>> {
    match tokio::time::timeout(EXIT_WAIT, engine.container_wait(id, Some("not-running"))).await {
        Err(_) => Ok(None),
        Ok(answer) => Ok(answer
            .map_err(error::engine)?
            .get("StatusCode")
            .and_then(Json::as_i64)),
    }
}

/// A two-way exec stream (`stdin = true`).
pub(super) async fn exec_duplex(
    lua: &Lua,
    engine: Engine,
    exec_id: String,
    tty: bool,
) -> mlua::Result<MultiValue> {
    let Duplex { output, input } = engine
        .exec_start_duplex(&exec_id, tty)
        .await
        .map_err(error::engine)?;
    let exit_code = Rc::new(Cell::new(None));
    let source = LinesThenExit {
        lines: Lines::new(output),
        exit: Some(ExitOf::Exec(engine, exec_id)),
        exit_code: exit_code.clone(),
    };
    iter::duplex(lua, "ExecStream", source, Stdin(input), exit_code)
}

/// `c:exec(cmd, {interactive = true})`: the exit code, or `nil, "detached"`.
pub(super) async fn exec_interactive(
    lua: &Lua,
    engine: Engine,
    exec_id: String,
    tty: bool,
    terminal: &'static Terminal,
) -> mlua::Result<MultiValue> {
    let io = engine
        .exec_start_duplex(&exec_id, tty)
        .await
        .map_err(error::engine)?;
    let resize = resizer(&engine, Tty::Exec(exec_id.clone()));
    let ended = session(terminal, io, tty, resize).await?;
    answer(lua, ended, exec_exit_code(&engine, &exec_id)).await
}

/// `run` with `stream = true` or `interactive = true`.
pub(super) async fn run_live(lua: Lua, handle: Handle, mut spec: Spec) -> mlua::Result<MultiValue> {
    const F: &str = "containers.run";
    if spec.detach {
        let what = if spec.interactive {
            "interactive"
        } else {
            "stream"
        };
        return Err(invalid(
            F,
            format!("options 'detach' and '{what}' cannot be used together"),
        ));
    }
    let terminal = match spec.interactive {
        true => Some(terminal::terminal(F)?),
        false => None,
    };
    if spec.interactive {
        // `docker run -i`: stdin open and attached, closed with the session.
        if let Some(config) = spec.config.as_object_mut() {
            for field in ["OpenStdin", "StdinOnce", "AttachStdin"] {
                config.insert(field.into(), json!(true));
            }
        }
    }
    let engine = handle.engine()?;
    let cleanups = lifecycle::cleanups(&lua);
    let mut report = RunPullReport::new();
    let run = engine_attach::run_attached(
        &engine,
        &run_spec(&spec),
        &cleanups,
        &mut |e| report.event(e),
        spec.interactive,
    )
    .await
    .map_err(error::engine)?;
    if let Some(terminal) = terminal {
        let resize = resizer(&engine, Tty::Container(run.id.clone()));
        let end = run.end;
        // An error drops `end`: the container is cleaned up as on Ctrl-C.
        let ended = session(terminal, run.io, run.tty, resize).await?;
        return match ended {
            Ended::Detached => {
                end.detach();
                detached(&lua)
            }
            Ended::Exited => {
                let code = end.finish().await.map_err(error::engine)?;
                Ok(MultiValue::from_iter([Value::Integer(code)]))
            }
        };
    }
    let exit_code = Rc::new(Cell::new(None));
    let source = LinesThenExit {
        lines: Lines::new(run.io.output),
        exit: Some(ExitOf::Run(run.end)),
        exit_code: exit_code.clone(),
    };
    iter::for_values_with_exit(&lua, "RunStream", source, exit_code)
}

/// Resizes `tty` through `engine`.
fn resizer(engine: &Engine, tty: Tty) -> terminal::Resize {
    let engine = engine.clone();
    Box::new(move |height, width| {
        let engine = engine.clone();
        let tty = tty.clone();
        Box::pin(async move { engine.tty_resize(&tty, height, width).await })
    })
}

async fn session(
    terminal: &'static Terminal,
    io: Duplex,
    tty: bool,
    resize: terminal::Resize,
) -> mlua::Result<Ended> {
    (terminal.run)(Session {
        io,
        tty,
        detach: true,
        resize,
    })
    .await
    .map_err(error::engine)
}

/// What an interactive call returns: the exit code, or `nil, "detached"`.
async fn answer(
    lua: &Lua,
    ended: Ended,
    exit: impl std::future::Future<Output = mlua::Result<Option<i64>>>,
) -> mlua::Result<MultiValue> {
    match ended {
        Ended::Detached => detached(lua),
        Ended::Exited => Ok(MultiValue::from_iter([match exit.await? {
            Some(code) => Value::Integer(code),
            None => Value::Nil,
        }])),
    }
}

fn detached(lua: &Lua) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([
        Value::Nil,
        Value::String(lua.create_string("detached")?),
    ]))
}
