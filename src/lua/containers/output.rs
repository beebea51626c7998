//! A container's output: `logs` (a string or a stream of lines) and `exec`.

use crate::engine::error::excerpt;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use mlua::{Lua, MultiValue, Value};
use serde_json::{json, Value as Json};

use crate::engine::containers::LogsOptions;
use crate::engine::stream::LineSplitter;
use crate::engine::watch::logs::ResumingLogs;
use crate::engine::{Engine, OutputStream, StreamKind};
use crate::lua::args::{self, Opts};
use crate::lua::error::{self, invalid};
use crate::lua::iter;
use crate::lua::watch::ResumingLines;

use super::container::Container;
use super::spec;
use crate::lua::resource::Object;

pub(super) async fn logs(
    lua: Lua,
    this: &Object<Container>,
    opts: Value,
) -> mlua::Result<MultiValue> {
    let (options, streamed) = logs_options("Container:logs", opts, true)?;
    let follow = options.follow;
    let tty = this.fields().pointer("/Config/Tty").and_then(Json::as_bool);
    let engine = this.handle.engine()?;
    if follow && options.reconnect {
        let logs = ResumingLogs::open(&engine, &this.id, options, tty)
            .await
            .map_err(error::engine)?;
        return iter::for_values(&lua, "LogStream", ResumingLines::new(logs));
    }
    let stream = engine
        .container_logs(&this.id, &options, tty)
        .await
        .map_err(error::engine)?;
    if streamed {
        let stream_tty = Some(stream.tty());
        let mut lines = Lines::new(stream);
        // With `until`, the stream ends at that time, not with the container.
        if follow && options.until.is_none() {
            lines.recheck = Some(Recheck {
                engine,
                id: this.id.clone(),
                options: LogsOptions {
                    follow: false,
                    tail: Some("1".into()),
                    since: None,
                    until: None,
                    ..options
                },
                tty: stream_tty,
            });
        }
        return iter::for_values(&lua, "LogStream", lines);
    }
    read_all(&lua, "Container:logs", stream).await
}

/// The options of a `logs` call (a container's, or a service's without
/// `until`), and whether the answer is a stream of lines.
pub(crate) fn logs_options(
    function: &'static str,
    opts: Value,
    until: bool,
) -> mlua::Result<(LogsOptions, bool)> {
    let mut known = vec![
        "stdout",
        "stderr",
        "timestamps",
        "tail",
        "since",
        "follow",
        "stream",
    ];
    if until {
        // A container's log only: a service's has no `until` nor reconnect.
        known.push("until");
        known.push("reconnect");
    }
    let opts = Opts::new(function, opts, &known)?;
    let follow = opts.flag("follow")?;
    let streamed = follow || opts.flag("stream")?;
    let tail = opts.text("tail")?;
    if let Some(t) = &tail {
        if t != "all" && t.parse::<u64>().is_err() {
            return Err(invalid(
                function,
                format!(
                    "bad option 'tail' (a count or \"all\" expected, got '{}')",
                    excerpt(t, 80)
                ),
            ));
        }
    }
    let options = LogsOptions {
        stdout: opts.bool("stdout")?.unwrap_or(true),
        stderr: opts.bool("stderr")?.unwrap_or(true),
        follow,
        timestamps: opts.flag("timestamps")?,
        tail,
        since: opts.time("since")?,
        until: opts.time("until")?,
        reconnect: until && opts.flag("reconnect")?,
    };
    Ok((options, streamed))
}

/// The whole output as one Lua string.
pub(crate) async fn read_all(
    lua: &Lua,
    function: &str,
    mut stream: OutputStream,
) -> mlua::Result<MultiValue> {
    let output = stream
        .collect_joined(|_| true)
        .await
        .map_err(|e| error::engine(e.named(function)))?;
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&output)?,
    )]))
}

/// Lines of output with their stream name, as they arrive.
pub struct Lines {
    stream: OutputStream,
    splitter: LineSplitter,
    ended: bool,
    /// What [`iter::Source::ready`] met and left to `next`: the end of the
    /// input, or an error.
    input_done: bool,
    failed: Option<mlua::Error>,
    recheck: Option<Recheck>,
    /// The stream names as Lua strings, indexed by [`StreamKind`].
    names: Option<[mlua::LuaString; 3]>,
}

/// Followed logs can end without a last line that has no newline: the engine
/// (20.10, json-file; `docker logs -f` too) ends the stream when the container
/// stops, before it has logged the unfinished line. After the end, the last
/// log entry is fetched once more and yielded if it is such a line.
struct Recheck {
    engine: Engine,
    id: String,
    /// `tail = 1`, not followed.
    options: LogsOptions,
    tty: Option<bool>,
}

impl Recheck {
    /// The pieces of the last log entry when it does not end a line. The
    /// stream has ended well already: when the container is gone meanwhile
    /// (removed, `auto_remove`) or the engine refuses, there is nothing to
    /// add, and no error to raise (`docker logs -f` ends cleanly there too).
    async fn unfinished_line(self) -> Vec<(StreamKind, Bytes)> {
        let Ok(mut stream) = self
            .engine
            .container_logs(&self.id, &self.options, self.tty)
            .await
        else {
            return Vec::new();
        };
        let mut pieces = Vec::new();
        while let Ok(Some(piece)) = stream.next().await {
            pieces.push(piece);
        }
        let unfinished = pieces.last().is_some_and(|(_, b)| !b.ends_with(b"\n"));
        if unfinished {
            pieces
        } else {
            Vec::new()
        }
    }
}

impl Lines {
    pub fn new(stream: OutputStream) -> Self {
        Lines {
            stream,
            splitter: LineSplitter::new(),
            ended: false,
            input_done: false,
            failed: None,
            recheck: None,
            names: None,
        }
    }

    fn step(&mut self, lua: &Lua, kind: StreamKind, line: &[u8]) -> mlua::Result<MultiValue> {
        Ok(MultiValue::from_iter([
            Value::String(lua.create_string(line)?),
            Value::String(self.stream_name(lua, kind)?),
        ]))
    }

    /// `"stdout"` or `"stderr"`, made once per stream rather than per line.
    fn stream_name(&mut self, lua: &Lua, kind: StreamKind) -> mlua::Result<mlua::LuaString> {
        if self.names.is_none() {
            self.names = Some([
                lua.create_string(StreamKind::Stdin.name())?,
                lua.create_string(StreamKind::Stdout.name())?,
                lua.create_string(StreamKind::Stderr.name())?,
            ]);
        }
        let names = self.names.as_ref().expect("just made");
        Ok(names[kind.index()].clone())
    }
}

impl iter::Source for Lines {
    fn ready(&mut self, lua: &Lua) -> mlua::Result<Option<MultiValue>> {
        self.ready_line(lua)
    }

    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            loop {
                let line = if self.ended {
                    self.splitter.finish()
                } else {
                    self.splitter.next_line()
                };
                if let Some((kind, line)) = line {
                    return self.step(lua, kind, &line).map(Some);
                }
                if self.ended {
                    return Ok(None);
                }
                if let Some(e) = self.failed.take() {
                    return Err(e);
                }
                let piece = match self.input_done {
                    true => None,
                    false => self.stream.next().await.map_err(error::engine)?,
                };
                match piece {
                    Some((kind, piece)) => self.splitter.push(kind, piece),
                    None => {
                        self.ended = true;
                        if let Some(recheck) = self.recheck.take() {
                            // Had the stream brought the unfinished line, it
                            // would be pending now.
                            if !self.splitter.has_partial() {
                                for (kind, piece) in recheck.unfinished_line().await {
                                    self.splitter.push(kind, piece);
                                }
                            }
                        }
                    }
                }
            }
        })
    }
}

pub(super) async fn exec(
    lua: Lua,
    this: &Object<Container>,
    command: Value,
    opts: Value,
) -> mlua::Result<MultiValue> {
    const F: &str = "Container:exec";
    let Some(cmd) = spec::words(F, "command", &command)? else {
        return Err(invalid(
            F,
            "bad argument 'command' (string or array expected, got nil)",
        ));
    };
    let opts = Opts::new(
        F,
        opts,
        &[
            "user",
            "environment",
            "working_dir",
            "stdout",
            "stderr",
            "tty",
            "privileged",
            "stream",
            "stdin",
            "interactive",
        ],
    )?;
    let interactive = opts.flag("interactive")?;
    // `docker exec -it`: a TTY unless `tty = false` says otherwise.
    let tty = opts.bool("tty")?.unwrap_or(interactive);
    let terminal = match interactive {
        true => Some(crate::lua::terminal::terminal(F)?),
        false => None,
    };
    let want_out = opts.bool("stdout")?.unwrap_or(true);
    let want_err = opts.bool("stderr")?.unwrap_or(true);
    let streamed = opts.flag("stream")?;
    // `stdin = true`: a two-way stream; a string: that data, then end of file.
    let mut duplex = false;
    let stdin = match opts.raw("stdin")? {
        Value::Nil | Value::Boolean(false) => None,
        Value::Boolean(true) => {
            duplex = true;
            None
        }
        Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad option 'stdin' (string or boolean expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    let mut config = json!({
        "Cmd": cmd,
        "AttachStdin": stdin.is_some() || duplex || interactive,
        "AttachStdout": want_out,
        "AttachStderr": want_err,
        "Tty": tty,
        "Privileged": opts.flag("privileged")?,
    });
    if let Some(user) = opts.string("user")? {
        config["User"] = json!(user);
    }
    if let Some(dir) = opts.string("working_dir")? {
        config["WorkingDir"] = json!(dir);
    }
    if let Some(env) = opts.table("environment")? {
        config["Env"] = json!(spec::key_values(F, "environment", &env)?);
    }
    let engine = this.handle.engine()?;
    let exec_id = engine
        .exec_create(&this.id, &config)
        .await
        .map_err(error::engine)?;
    if let Some(terminal) = terminal {
        return super::attach::exec_interactive(&lua, engine, exec_id, tty, terminal).await;
    }
    if duplex {
        return super::attach::exec_duplex(&lua, engine, exec_id, tty).await;
    }
    let mut stream = engine
        .exec_start(&exec_id, tty, stdin)
        .await
        .map_err(error::engine)?;
    if streamed {
        let exit_code = Rc::new(Cell::new(None));
        let source = LinesThenExit {
            lines: Lines::new(stream),
            exit: Some(ExitOf::Exec(engine, exec_id)),
            exit_code: exit_code.clone(),
        };
        return iter::for_values_with_exit(&lua, "ExecStream", source, exit_code);
    }
    let output = stream
        .collect_joined(|kind| {
            (kind == StreamKind::Stderr && want_err) || (kind != StreamKind::Stderr && want_out)
        })
        .await
        .map_err(|e| error::engine(e.named(F)))?;
    let out = lua.create_table()?;
    out.set("exit_code", exec_exit_code(&engine, &exec_id).await?)?;
    out.set("output", lua.create_string(&output)?)?;
    Ok(MultiValue::from_iter([Value::Table(out)]))
}

/// The exit code of an exec whose output has ended. The engine may close the
/// output a moment before it records the exit, so ask again briefly.
pub(super) async fn exec_exit_code(engine: &Engine, exec_id: &str) -> mlua::Result<Option<i64>> {
    for _ in 0..50 {
        let inspect = engine.exec_inspect(exec_id).await.map_err(error::engine)?;
        let running = inspect.get("Running").and_then(Json::as_bool);
        let code = inspect.get("ExitCode").and_then(Json::as_i64);
        if running != Some(true) && code.is_some() {
            return Ok(code);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}

/// Lines of a process's output; once they end, its exit code, asked once:
/// an exec's, an attached container's, or a streamed run's (which also
/// removes its container).
pub(super) struct LinesThenExit {
    pub(super) lines: Lines,
    pub(super) exit: Option<ExitOf>,
    pub(super) exit_code: Rc<Cell<Option<i64>>>,
}

/// Where the exit code comes from.
pub(super) enum ExitOf {
    Exec(Engine, String),
    Container(Engine, String),
    /// Dropped unfinished (closed, `break`, Ctrl-C), the run is cleaned up.
    Run(crate::engine::attach::RunEnd),
}

impl ExitOf {
    async fn code(self) -> mlua::Result<Option<i64>> {
        match self {
            ExitOf::Exec(engine, id) => exec_exit_code(&engine, &id).await,
            ExitOf::Container(engine, id) => super::attach::container_exit(&engine, &id).await,
            ExitOf::Run(end) => end.finish().await.map(Some).map_err(error::engine),
        }
    }
}

impl Lines {
    /// The next line if it is there without waiting: the connection is
    /// polled, not awaited. The end and errors are left to `next`.
    fn ready_line(&mut self, lua: &Lua) -> mlua::Result<Option<MultiValue>> {
        if self.ended {
            return Ok(None);
        }
        loop {
            if let Some((kind, line)) = self.splitter.next_line() {
                return self.step(lua, kind, &line).map(Some);
            }
            if self.input_done || self.failed.is_some() {
                return Ok(None);
            }
            match self.stream.next().now_or_never() {
                None => return Ok(None),
                Some(Ok(Some((kind, piece)))) => self.splitter.push(kind, piece),
                Some(Ok(None)) => self.input_done = true,
                Some(Err(e)) => self.failed = Some(error::engine(e)),
            }
        }
    }
}

impl iter::Source for LinesThenExit {
    fn ready(&mut self, lua: &Lua) -> mlua::Result<Option<MultiValue>> {
        self.lines.ready_line(lua)
    }

    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            let step = iter::Source::next(&mut self.lines, lua).await?;
            if step.is_none() {
                if let Some(exit) = self.exit.take() {
                    self.exit_code.set(exit.code().await?);
                }
            }
            Ok(step)
        })
    }
}
