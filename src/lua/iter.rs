//! Iterators over streamed answers (followed logs, streamed exec, events,
//! stats) for a generic `for`.
//!
//! Each is a `Stream` userdata, returned as Lua 5.4's four `for` values
//! `stream, nil, nil, stream`: the stream is called for each step, and as the
//! fourth (to-be-closed) value it is closed when the loop ends, so a `break`
//! drops the answer and its connection at once instead of at the next garbage
//! collection. Kept in a variable, it also works as
//! `local s <close> = c:logs{follow = true}; for line in s do ... end`, and
//! `s:close()` ends it by hand, also from another task: a loop waiting for
//! the next step then ends at once instead of when the engine next sends.
//!
//! A [`Duplex`] stream is also written to (a process's stdin): `s:write`,
//! `s:close_write`; its reading side is the same.
//!
//! Steps come in batches: a call that has to go to Rust (an async call, a
//! resume of the script) takes the next step and every step that is ready
//! without waiting ([`Source::ready`], up to [`BATCH_STEPS`] and
//! [`BATCH_BYTES`]), and the steps after the first wait in a Lua table that
//! the stream's `__call`, a Lua function, hands out one per call. A busy
//! stream of short lines then costs a table read a line, not a resume.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use futures_util::future::LocalBoxFuture;
use mlua::{
    AnyUserData, Function, Lua, MultiValue, Table, UserData, UserDataFields, UserDataMethods, Value,
};
use tokio::sync::Notify;

use super::{convert, error};
use crate::engine::JsonStream;

/// The most steps one batch holds.
pub const BATCH_STEPS: usize = 512;
/// The most bytes of strings one batch holds (past it the batch ends).
pub const BATCH_BYTES: usize = 256 * 1024;
/// The values a batched step has: the line and its stream.
const ARITY: usize = 2;

/// Something that yields one loop step at a time.
pub trait Source: 'static {
    /// The values of the next step, or `None` at the end.
    fn next<'a>(&'a mut self, lua: &'a Lua)
        -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>>;

    /// The next step if it is there without waiting (two values), else
    /// `None` (also at the end, which `next` then reports).
    fn ready(&mut self, _lua: &Lua) -> mlua::Result<Option<MultiValue>> {
        Ok(None)
    }
}

/// What scripts see; `name` is shown by `tostring`.
pub struct Stream {
    name: &'static str,
    source: Rc<RefCell<Option<Box<dyn Source>>>>,
    /// Set by a streamed exec once its process has ended.
    exit_code: Rc<Cell<Option<i64>>>,
    /// Wakes a step in progress when the stream is closed meanwhile.
    closed: Rc<Notify>,
    /// Set by a close, so that a step under way does not put its source back.
    was_closed: Cell<bool>,
}

impl Stream {
    fn close(&self) {
        self.was_closed.set(true);
        self.source.borrow_mut().take();
        self.closed.notify_waiters();
    }

    /// The next step's values; none once ended or closed.
    async fn step(&self, lua: &Lua) -> mlua::Result<MultiValue> {
        // Taken out while awaited: another task calling meanwhile sees an
        // ended stream rather than a borrow panic.
        let Some(mut source) = self.source.borrow_mut().take() else {
            return Ok(MultiValue::new());
        };
        let closed = self.closed.clone();
        // Made before the step starts, so a close during it wakes it; polled
        // (which registers it, under a lock) only when the step has to wait:
        // most steps of a busy stream are ready at once.
        let close = closed.notified();
        let step = {
            let mut next = source.next(lua);
            let mut close = pin!(close);
            poll_fn(|cx| match next.as_mut().poll(cx) {
                Poll::Ready(step) => Poll::Ready(Some(step)),
                Poll::Pending => close.as_mut().poll(cx).map(|()| None),
            })
            .await
        };
        match step {
            // Dropping the source drops the answer and its connection.
            None => Ok(MultiValue::new()),
            Some(step) => match step? {
                None => Ok(MultiValue::new()),
                Some(values) => {
                    if !self.was_closed.get() {
                        *self.source.borrow_mut() = Some(source);
                    }
                    Ok(values)
                }
            },
        }
    }

    /// The next step, as [`Stream::step`], and the steps ready after it in
    /// `batch` (`batch.n` values from `batch[1]`, `batch.i` of them taken).
    async fn fill(&self, lua: &Lua, batch: &Table) -> mlua::Result<MultiValue> {
        let first = self.step(lua).await?;
        let (mut n, mut bytes) = (0, 0);
        if !first.is_empty() {
            // The connection may have more for us once it is polled again:
            // one turn of the scheduler, as long as that brings more.
            let mut yielded = false;
            'fill: while n < BATCH_STEPS * ARITY {
                let before = n;
                while n < BATCH_STEPS * ARITY && bytes < BATCH_BYTES {
                    let step = match self.source.borrow_mut().as_mut() {
                        Some(source) => source.ready(lua)?,
                        None => break 'fill,
                    };
                    let Some(step) = step else { break };
                    for (i, value) in step.into_iter().take(ARITY).enumerate() {
                        if let Value::String(s) = &value {
                            bytes += s.as_bytes().len();
                        }
                        batch.raw_set(n + 1 + i, value)?;
                    }
                    n += ARITY;
                }
                if bytes >= BATCH_BYTES || (yielded && n == before) {
                    break;
                }
                tokio::task::yield_now().await;
                yielded = true;
            }
        }
        batch.raw_set("n", n)?;
        batch.raw_set("i", 0)?;
        Ok(first)
    }

    fn describe(&self) -> String {
        let state = if self.source.borrow().is_some() {
            "open"
        } else {
            "closed"
        };
        format!("<{} {state}>", self.name)
    }
}

/// The members every stream has, for [`Stream`] and [`Duplex`] alike.
trait AsStream: UserData + 'static {
    fn stream(&self) -> &Stream;
    /// Ends the stream (and, for a duplex one, its writing side).
    fn close(&self) {
        self.stream().close();
    }
}

impl AsStream for Stream {
    fn stream(&self) -> &Stream {
        self
    }
}

/// The batches of the streams, by stream (weak keys), in the registry.
const BATCHES: &str = "dockerlua.stream_batches";

/// A stream's `__call`: the next step of its batch, or a new batch.
const CALL: super::glue::Glue = crate::glue!("lua", "stream");

fn batches(lua: &Lua) -> mlua::Result<Table> {
    if let Ok(table) = lua.named_registry_value::<Table>(BATCHES) {
        return Ok(table);
    }
    let table = lua.create_table()?;
    let weak_keys = lua.create_table()?;
    weak_keys.raw_set("__mode", "k")?;
    table.set_metatable(Some(weak_keys))?;
    lua.set_named_registry_value(BATCHES, &table)?;
    Ok(table)
}

/// The `__call` of the streams of type `T` (made once per type and state).
fn call_function<T: AsStream>(lua: &Lua) -> mlua::Result<Function> {
    let fill = lua.create_async_function(|lua, stream: AnyUserData| async move {
        let this = stream.borrow::<T>()?;
        let batches = batches(&lua)?;
        let batch = match batches.raw_get::<Option<Table>>(&stream)? {
            Some(batch) => batch,
            None => {
                let batch = lua.create_table()?;
                batches.raw_set(&stream, &batch)?;
                batch
            }
        };
        this.stream().fill(&lua, &batch).await
    })?;
    CALL.load(lua).call((fill, batches(lua)?))
}

/// Closes `stream` and drops the steps its batch still held.
fn close_stream<T: AsStream>(lua: &Lua, stream: &AnyUserData) -> mlua::Result<()> {
    stream.borrow::<T>()?.close();
    batches(lua)?.raw_set(stream, Value::Nil)
}

fn stream_fields<T: AsStream, F: UserDataFields<T>>(fields: &mut F) {
    fields.add_field_method_get("exit_code", |_, this| Ok(this.stream().exit_code.get()));
    fields.add_meta_field_with("__call", call_function::<T>);
}

fn stream_methods<T: AsStream, M: UserDataMethods<T>>(methods: &mut M) {
    methods.add_meta_function("__close", |lua, (stream, _): (AnyUserData, MultiValue)| {
        close_stream::<T>(lua, &stream)
    });
    methods.add_function("close", |lua, stream: AnyUserData| {
        close_stream::<T>(lua, &stream)
    });
    methods.add_meta_method("__tostring", |_, this, ()| Ok(this.stream().describe()));
}

impl UserData for Stream {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        stream_fields(fields);
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        stream_methods(methods);
    }
}

/// The writing side of a two-way stream (a process's stdin).
pub trait Sink: 'static {
    fn write<'a>(&'a mut self, data: &'a [u8]) -> LocalBoxFuture<'a, mlua::Result<()>>;
    /// End of file for the reader on the other side.
    fn close_write(&mut self) -> LocalBoxFuture<'_, mlua::Result<()>>;
}

/// A stream that is also written to: `s:write(data)`, `s:close_write()`.
pub struct Duplex {
    stream: Stream,
    /// Taken out while a write is under way; gone once closed.
    sink: Rc<RefCell<Option<Box<dyn Sink>>>>,
    writing: Rc<Cell<bool>>,
    /// Where the errors of `write` and `close_write` name themselves.
    function: &'static str,
}

impl AsStream for Duplex {
    fn stream(&self) -> &Stream {
        &self.stream
    }

    fn close(&self) {
        self.sink.borrow_mut().take();
        self.stream.close();
    }
}

impl Duplex {
    /// The sink, taken out for one call; a clear error when there is none.
    fn take_sink(&self, method: &str) -> mlua::Result<Box<dyn Sink>> {
        match self.sink.borrow_mut().take() {
            Some(sink) => Ok(sink),
            None => {
                let why = if self.writing.get() {
                    "another write to this stream is under way"
                } else {
                    "the stream is closed for writing"
                };
                Err(super::error::invalid(
                    &format!("{}:{method}", self.function),
                    why,
                ))
            }
        }
    }
}

impl UserData for Duplex {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        stream_fields(fields);
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        stream_methods(methods);
        methods.add_async_method("write", |_, this, data: Value| async move {
            let data = match &data {
                Value::String(s) => s.as_bytes().to_vec(),
                other => {
                    return Err(super::error::invalid(
                        &format!("{}:write", this.function),
                        format!(
                            "bad argument 'data' (string expected, got {})",
                            super::args::type_name(other)
                        ),
                    ))
                }
            };
            let mut sink = this.take_sink("write")?;
            this.writing.set(true);
            let closed = this.stream.closed.clone();
            let close = closed.notified();
            let wrote = tokio::select! {
                biased;
                _ = close => None,
                wrote = sink.write(&data) => Some(wrote),
            };
            this.writing.set(false);
            match wrote {
                // Closed meanwhile: the sink goes with the stream.
                None => Err(super::error::invalid(
                    &format!("{}:write", this.function),
                    "the stream was closed during the write",
                )),
                Some(result) => {
                    if result.is_ok() {
                        *this.sink.borrow_mut() = Some(sink);
                    }
                    result.map(|()| true)
                }
            }
        });
        methods.add_async_method("close_write", |_, this, ()| async move {
            // Closing twice is harmless, as `close` is.
            let Some(mut sink) = this.sink.borrow_mut().take() else {
                return Ok(());
            };
            sink.close_write().await
        });
    }
}
/// The `for` values `stream, nil, nil, stream` over `source`.
pub fn for_values(lua: &Lua, name: &'static str, source: impl Source) -> mlua::Result<MultiValue> {
    for_values_with_exit(lua, name, source, Rc::default())
}

/// As [`for_values`], with `exit_code` shown as the stream's field.
pub fn for_values_with_exit(
    lua: &Lua,
    name: &'static str,
    source: impl Source,
    exit_code: Rc<Cell<Option<i64>>>,
) -> mlua::Result<MultiValue> {
    let stream = lua.create_userdata(new_stream(name, source, exit_code))?;
    Ok(loop_values(stream))
}

/// A two-way stream: the `for` values over `source`, written to through
/// `sink`; `function` names it in errors (`"ExecStream"`).
pub fn duplex(
    lua: &Lua,
    name: &'static str,
    source: impl Source,
    sink: impl Sink,
    exit_code: Rc<Cell<Option<i64>>>,
) -> mlua::Result<MultiValue> {
    let stream = lua.create_userdata(Duplex {
        stream: new_stream(name, source, exit_code),
        sink: Rc::new(RefCell::new(Some(Box::new(sink)))),
        writing: Rc::default(),
        function: name,
    })?;
    Ok(loop_values(stream))
}

fn new_stream(name: &'static str, source: impl Source, exit_code: Rc<Cell<Option<i64>>>) -> Stream {
    Stream {
        name,
        source: Rc::new(RefCell::new(Some(Box::new(source)))),
        exit_code,
        closed: Rc::default(),
        was_closed: Cell::new(false),
    }
}

fn loop_values(stream: mlua::AnyUserData) -> MultiValue {
    MultiValue::from_iter([
        Value::UserData(stream.clone()),
        Value::Nil,
        Value::Nil,
        Value::UserData(stream),
    ])
}

/// JSON values of a stream, one per loop step.
pub struct JsonSource(pub JsonStream);

impl Source for JsonSource {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            match self.0.next().await.map_err(error::engine)? {
                Some(value) => Ok(Some(MultiValue::from_iter([convert::to_lua(lua, &value)?]))),
                None => Ok(None),
            }
        })
    }
}
