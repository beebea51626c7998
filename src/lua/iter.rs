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

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use mlua::{Lua, MultiValue, UserData, UserDataFields, UserDataMethods, Value};
use tokio::sync::Notify;

/// Something that yields one loop step at a time.
pub trait Source: 'static {
    /// The values of the next step, or `None` at the end.
    fn next<'a>(&'a mut self, lua: &'a Lua)
        -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>>;
}

/// What scripts see; `name` is shown by `tostring`.
pub struct Stream {
    name: &'static str,
    source: Rc<RefCell<Option<Box<dyn Source>>>>,
    /// Set by a streamed exec once its process has ended.
    exit_code: Rc<Cell<Option<i64>>>,
    /// Wakes a step in progress when the stream is closed meanwhile.
    closed: Rc<Notify>,
}

impl Stream {
    fn close(&self) {
        self.source.borrow_mut().take();
        self.closed.notify_waiters();
    }
}

impl UserData for Stream {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("exit_code", |_, this| Ok(this.exit_code.get()));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_async_meta_method("__call", |lua, this, _: MultiValue| async move {
            // Taken out while awaited: another task calling meanwhile sees an
            // ended stream rather than a borrow panic.
            let Some(mut source) = this.source.borrow_mut().take() else {
                return Ok(MultiValue::new());
            };
            let closed = this.closed.clone();
            // Registered before the step starts: a close during it wins.
            let close = closed.notified();
            let step = tokio::select! {
                biased;
                _ = close => None,
                step = source.next(&lua) => Some(step?),
            };
            match step {
                // Dropping the source drops the answer and its connection.
                None | Some(None) => Ok(MultiValue::new()),
                Some(Some(values)) => {
                    *this.source.borrow_mut() = Some(source);
                    Ok(values)
                }
            }
        });
        methods.add_meta_method("__close", |_, this, _: MultiValue| {
            this.close();
            Ok(())
        });
        methods.add_method("close", |_, this, ()| {
            this.close();
            Ok(())
        });
        methods.add_meta_method("__tostring", |_, this, ()| {
            let state = if this.source.borrow().is_some() {
                "open"
            } else {
                "closed"
            };
            Ok(format!("<{} {state}>", this.name))
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
    let stream = lua.create_userdata(Stream {
        name,
        source: Rc::new(RefCell::new(Some(Box::new(source)))),
        exit_code,
        closed: Rc::default(),
    })?;
    Ok(MultiValue::from_iter([
        Value::UserData(stream.clone()),
        Value::Nil,
        Value::Nil,
        Value::UserData(stream),
    ]))
}
