//! `docker.json`: `encode`, `decode` and `array`.

use crate::engine::error::excerpt;
use mlua::{Lua, MultiValue, Table, Value};

use super::error::invalid;
use super::handle::Handle;
use super::{args, convert};

pub fn register(lua: &Lua, _: &Handle, client: &Table) -> mlua::Result<()> {
    let json = lua.create_table()?;
    json.raw_set(
        "encode",
        lua.create_function(|_, value: Value| {
            convert::from_lua(&value)
                .map(|v| v.to_string())
                .map_err(|e| invalid("json.encode", e.0))
        })?,
    )?;
    json.raw_set(
        "decode",
        lua.create_function(|lua, text: Value| {
            let text = match &text {
                Value::String(s) => s.as_bytes().to_vec(),
                other => {
                    return Err(invalid(
                        "json.decode",
                        format!(
                            "bad argument 'text' (string expected, got {})",
                            args::type_name(other)
                        ),
                    ))
                }
            };
            let value: serde_json::Value = serde_json::from_slice(&text)
                .map_err(|e| invalid("json.decode", format!("invalid json: {e}")))?;
            convert::to_lua(lua, &value)
        })?,
    )?;
    json.raw_set(
        "array",
        lua.create_function(|lua, args: MultiValue| {
            let t = match args.into_iter().next().unwrap_or(Value::Nil) {
                Value::Nil => lua.create_table()?,
                Value::Table(t) => t,
                other => {
                    return Err(invalid(
                        "json.array",
                        format!(
                            "bad argument 't' (table expected, got {})",
                            args::type_name(&other)
                        ),
                    ))
                }
            };
            // Keys other than 1..n would vanish from the `[...]` it encodes as.
            let len = t.raw_len();
            for pair in t.pairs::<Value, Value>() {
                let (key, _) = pair?;
                let index = match key {
                    Value::Integer(i) => usize::try_from(i).ok(),
                    _ => None,
                };
                if !index.is_some_and(|i| (1..=len).contains(&i)) {
                    let key = match &key {
                        Value::String(s) => format!("'{}'", excerpt(&s.to_string_lossy(), 40)),
                        other => args::describe(other),
                    };
                    return Err(invalid(
                        "json.array",
                        format!("bad argument 't' (a sequence 1..n expected, has key {key})"),
                    ));
                }
            }
            let mark = convert::array_metatable(lua)?;
            match t.metatable() {
                None => t.set_metatable(Some(mark))?,
                Some(mt) if mt == mark => {}
                // Replacing it would silently take the table's behaviour away.
                Some(_) => {
                    return Err(invalid(
                        "json.array",
                        "bad argument 't' (the table has a metatable of its own)",
                    ))
                }
            }
            Ok(t)
        })?,
    )?;
    client.raw_set("json", json)
}
