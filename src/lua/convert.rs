//! JSON values to Lua values and back. All conversion rules live here:
//!
//! - JSON `null` becomes `nil` (a field that is null reads as absent);
//! - arrays become sequences; an empty JSON array becomes a table marked with
//!   [`ARRAY_MT`], so that it goes back to the engine as `[]`, not `{}`;
//! - a whole float (`1e9`) becomes a JSON integer, which the engine's
//!   integer fields accept;
//! - a Lua table is an array when its keys are exactly `1..n` (n > 0) or it
//!   carries the array mark, and an object otherwise (an empty unmarked table
//!   is `{}`).

use mlua::{Lua, Table, Value as LuaValue};
use serde_json::{Map, Number, Value};

/// Registry name of the metatable that marks a table as a JSON array.
pub const ARRAY_MT: &str = "dockerlua.json.array";

const MAX_DEPTH: usize = 128;

/// The shared array-marking metatable.
pub fn array_metatable(lua: &Lua) -> mlua::Result<Table> {
    if let Ok(mt) = lua.named_registry_value::<Table>(ARRAY_MT) {
        return Ok(mt);
    }
    let mt = lua.create_table()?;
    mt.set("__name", "json.array")?;
    lua.set_named_registry_value(ARRAY_MT, &mt)?;
    Ok(mt)
}

pub fn to_lua(lua: &Lua, value: &Value) -> mlua::Result<LuaValue> {
    Ok(match value {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => LuaValue::Integer(i),
            None => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                table.raw_set(i + 1, to_lua(lua, item)?)?;
            }
            if items.is_empty() {
                table.set_metatable(Some(array_metatable(lua)?))?;
            }
            LuaValue::Table(table)
        }
        Value::Object(map) => {
            let table = lua.create_table_with_capacity(0, map.len())?;
            for (k, v) in map {
                if !v.is_null() {
                    table.raw_set(k.as_str(), to_lua(lua, v)?)?;
                }
            }
            LuaValue::Table(table)
        }
    })
}

/// Why a Lua value has no JSON form.
#[derive(Debug)]
pub struct NotJson(pub String);

pub fn from_lua(value: &LuaValue) -> Result<Value, NotJson> {
    from_lua_depth(value, 0)
}

fn from_lua_depth(value: &LuaValue, depth: usize) -> Result<Value, NotJson> {
    if depth > MAX_DEPTH {
        return Err(NotJson(
            "table nested too deeply (or containing itself)".into(),
        ));
    }
    Ok(match value {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => Value::Number((*i).into()),
        // A whole float (`1e9`, `2^31`) goes as an integer: Go decodes
        // `1000000000.0` into no integer field (time.Duration, int64), while
        // any JSON number decodes into a float one.
        LuaValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Value::Number((*n as i64).into())
        }
        LuaValue::Number(n) => Number::from_f64(*n)
            .map(Value::Number)
            .ok_or_else(|| NotJson(format!("number {n} has no json form")))?,
        LuaValue::String(s) => Value::String(
            s.to_str()
                .map_err(|_| NotJson("string is not valid utf-8".into()))?
                .to_owned(),
        ),
        LuaValue::Table(t) => table_to_json(t, depth)?,
        LuaValue::LightUserData(ud) if ud.0.is_null() => Value::Null,
        other => {
            return Err(NotJson(format!(
                "a {} has no json form",
                crate::lua::args::type_name(other)
            )))
        }
    })
}

fn table_to_json(table: &Table, depth: usize) -> Result<Value, NotJson> {
    let marked = match (table.metatable(), table.raw_len()) {
        (Some(mt), _) => mt.get::<String>("__name").ok().as_deref() == Some("json.array"),
        _ => false,
    };
    let len = table.raw_len();
    let mut count = 0usize;
    let mut all_sequence = true;
    for pair in table.pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair.map_err(|e| NotJson(e.to_string()))?;
        count += 1;
        match k {
            LuaValue::Integer(i) if i >= 1 && (i as usize) <= len => {}
            _ => all_sequence = false,
        }
    }
    if marked || (count > 0 && all_sequence && count == len) {
        let mut items = Vec::with_capacity(len);
        for i in 1..=len {
            let v: LuaValue = table.raw_get(i).map_err(|e| NotJson(e.to_string()))?;
            items.push(from_lua_depth(&v, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    let mut map = Map::new();
    for pair in table.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair.map_err(|e| NotJson(e.to_string()))?;
        let key = match &k {
            LuaValue::String(s) => s
                .to_str()
                .map_err(|_| NotJson("table key is not valid utf-8".into()))?
                .to_owned(),
            LuaValue::Integer(i) => i.to_string(),
            LuaValue::Number(n) => n.to_string(),
            other => {
                return Err(NotJson(format!(
                    "a table key of type {} has no json form",
                    crate::lua::args::type_name(other)
                )))
            }
        };
        map.insert(key, from_lua_depth(&v, depth + 1)?);
    }
    Ok(Value::Object(map))
}
