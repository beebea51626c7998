//! Iterators over streamed answers (followed logs, events, stats) for a
//! generic `for`. Each returns Lua 5.4's four `for` values; the fourth is a
//! to-be-closed value, so a `break` out of the loop drops the stream and its
//! connection at once instead of at the next garbage collection.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use mlua::{Lua, MultiValue, UserData, UserDataMethods, Value};

/// Something that yields one loop step at a time.
pub trait Source: 'static {
    /// The values of the next step, or `None` at the end.
    fn next<'a>(&'a mut self, lua: &'a Lua)
        -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>>;
}

type Slot = Rc<RefCell<Option<Box<dyn Source>>>>;

/// Closes the stream when the loop ends early.
struct Closer(Slot);

impl UserData for Closer {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__close", |_, this, ()| {
            this.0.borrow_mut().take();
            Ok(())
        });
    }
}

/// The `for` values `iterator, nil, nil, closer` over `source`.
pub fn for_values(lua: &Lua, source: impl Source) -> mlua::Result<MultiValue> {
    let slot: Slot = Rc::new(RefCell::new(Some(Box::new(source))));
    let closer = lua.create_userdata(Closer(slot.clone()))?;
    let next = lua.create_async_function(move |lua, _: MultiValue| {
        let slot = slot.clone();
        async move {
            // Taken out while awaited: a second caller (another task) sees an
            // ended stream rather than a borrow panic.
            let Some(mut source) = slot.borrow_mut().take() else {
                return Ok(MultiValue::new());
            };
            let step = source.next(&lua).await;
            match step {
                Ok(Some(values)) => {
                    *slot.borrow_mut() = Some(source);
                    Ok(values)
                }
                Ok(None) => Ok(MultiValue::new()),
                Err(e) => Err(e),
            }
        }
    })?;
    Ok(MultiValue::from_iter([
        Value::Function(next),
        Value::Nil,
        Value::Nil,
        Value::UserData(closer),
    ]))
}
