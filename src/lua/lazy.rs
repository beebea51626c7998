//! Async functions and methods made on their first call.
//!
//! mlua makes each async function by loading and running a Lua chunk of its
//! own (some 25,000 instructions); a client table has about forty of them, a
//! `Container` twenty-three async methods, and a script calls a few. So each
//! starts as a small Lua closure that makes the real function when first
//! called and then hands every call straight to it: `pairs`, completion,
//! help and identity see the same function throughout.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;

use mlua::{FromLuaMulti, Function, IntoLua, IntoLuaMulti, Lua, MultiValue, UserDataRef, Value};

/// The closure of every lazy function, loaded once per state.
const STUB: super::glue::Glue = crate::glue!("lua", "lazy");

/// Where a state keeps the compiled [`STUB`].
struct Stub(Function);

/// [`Lua::create_async_function`], made on the first call.
pub fn async_function<F, A, FR, R>(lua: &Lua, func: F) -> mlua::Result<Function>
where
    F: Fn(Lua, A) -> FR + 'static,
    A: FromLuaMulti,
    FR: Future<Output = mlua::Result<R>> + 'static,
    R: IntoLuaMulti,
{
    let pending = RefCell::new(Some(func));
    let make = lua.create_function(move |lua, ()| match pending.borrow_mut().take() {
        // Boxed here: mlua moves the future it is given twice, and ours
        // (an engine call's whole state machine) run to kilobytes.
        Some(func) => lua.create_async_function(move |lua, args| Box::pin(func(lua, args))),
        None => Err(mlua::Error::runtime("a lazy function was made twice")),
    })?;
    stub(lua)?.call(make)
}

/// An async method of userdata `T` (`self` first), made on the first call;
/// `to` names it in errors: `"Container:stop"`.
pub fn async_method<T, F, A, FR, R>(lua: &Lua, to: String, method: F) -> mlua::Result<Function>
where
    T: 'static,
    F: Fn(Lua, UserDataRef<T>, A) -> FR + 'static,
    A: FromLuaMulti,
    FR: Future<Output = mlua::Result<R>> + 'static,
    R: IntoLuaMulti,
{
    async_function(lua, move |lua, mut args: MultiValue| {
        let this = match args.pop_front() {
            Some(Value::UserData(ud)) => ud.borrow::<T>(),
            other => Err(mlua::Error::FromLuaConversionError {
                from: other.as_ref().map_or("nil", Value::type_name),
                to: "userdata".into(),
                message: None,
            }),
        };
        // mlua's own errors hold their cause in an `Arc`, `Send` or not.
        #[allow(clippy::arc_with_non_send_sync)]
        let call = this
            .map_err(|cause| mlua::Error::BadArgument {
                to: Some(to.clone()),
                pos: 1,
                name: Some("self".into()),
                cause: Arc::new(cause),
            })
            .and_then(|this| {
                let args = A::from_lua_args(args, 2, Some(&to), &lua)?;
                Ok(method(lua, this, args))
            });
        async move { call?.await }
    })
}

/// A value made when mlua converts it: for a userdata type's static fields
/// (its lazy methods), which mlua converts as it builds the metatable.
pub struct Made<F>(pub F);

impl<F: FnOnce(&Lua) -> mlua::Result<Function>> IntoLua for Made<F> {
    fn into_lua(self, lua: &Lua) -> mlua::Result<Value> {
        (self.0)(lua).map(Value::Function)
    }
}

fn stub(lua: &Lua) -> mlua::Result<Function> {
    if let Some(stub) = lua.app_data_ref::<Stub>() {
        return Ok(stub.0.clone());
    }
    let stub = STUB.load(lua).into_function()?;
    lua.set_app_data(Stub(stub.clone()));
    Ok(stub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_each_call_and_can_wait_and_fail() {
        let lua = Lua::new();
        let f = async_function(&lua, |_, n: i64| async move {
            tokio::task::yield_now().await;
            if n < 0 {
                return Err(mlua::Error::runtime(format!("negative: {n}")));
            }
            Ok(n * 2)
        })
        .unwrap();
        lua.globals().set("f", f).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let run = |code: &str| rt.block_on(lua.load(code).call_async::<i64>(()));
        assert_eq!(run("return f(1) + f(20)").unwrap(), 42);
        let err = run("return f(-3)").unwrap_err().to_string();
        assert!(err.contains("negative: -3"), "{err}");
        assert_eq!(run("local g = f; return f == g and f(4) or 0").unwrap(), 8);
    }
}
