//! Tables of Python SDK style keys (`{type =, source =, read_only =}`) to the
//! engine's JSON objects (`{Type, Source, ReadOnly}`), with unknown keys
//! refused by name. The engine's own spelling is accepted as well.

use mlua::{Table, Value};
use serde_json::{Map, Value as Json};

use super::args;
use super::convert;
use super::error::invalid;

/// How one key is carried over.
pub enum Field {
    /// Any JSON value under the engine's name: `("read_only", "ReadOnly")`.
    Plain(&'static str, &'static str),
    /// A nested object with its own keys, e.g. a mount's `bind_options`.
    Nested(&'static str, &'static str, &'static [Field]),
    /// An array of such objects, e.g. a network's IPAM pools.
    Array(&'static str, &'static str, &'static [Field]),
}

impl Field {
    fn names(&self) -> (&'static str, &'static str) {
        match self {
            Field::Plain(ours, engine)
            | Field::Nested(ours, engine, _)
            | Field::Array(ours, engine, _) => (ours, engine),
        }
    }
}

/// `value` (a table) as an engine object; `what` names it in errors
/// ("mounts item #2").
pub fn object(function: &str, what: &str, value: &Value, fields: &[Field]) -> mlua::Result<Json> {
    let Value::Table(table) = value else {
        return Err(invalid(
            function,
            format!(
                "bad '{what}' (table expected, got {})",
                args::type_name(value)
            ),
        ));
    };
    let mut out = Map::new();
    let mut given: Vec<(&str, String)> = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = args::string(function, &format!("{what} key"), &k)?;
        let Some(field) = fields
            .iter()
            .find(|f| f.names().0 == key || f.names().1 == key)
        else {
            let known: Vec<&str> = fields.iter().map(|f| f.names().0).collect();
            return Err(invalid(
                function,
                format!(
                    "bad '{what}': unknown key '{key}'{} (known: {})",
                    args::suggestion(&key, &known),
                    known.join(", ")
                ),
            ));
        };
        let json = match field {
            Field::Plain(..) => json(function, &format!("{what}.{key}"), &v)?,
            Field::Nested(_, _, inner) => object(function, &format!("{what}.{key}"), &v, inner)?,
            Field::Array(_, _, inner) => match &v {
                Value::Table(t) => array(function, &format!("{what}.{key}"), t, inner)?,
                other => {
                    return Err(invalid(
                        function,
                        format!(
                            "bad '{what}.{key}' (array expected, got {})",
                            args::type_name(other)
                        ),
                    ))
                }
            },
        };
        // Two spellings of one field: which one was meant is unknown.
        if let Some((_, previous)) = given.iter().find(|(f, _)| *f == field.names().1) {
            return Err(invalid(
                function,
                format!("bad '{what}' (one field given twice: as '{previous}' and as '{key}')"),
            ));
        }
        given.push((field.names().1, key.clone()));
        out.insert(field.names().1.to_owned(), json);
    }
    Ok(Json::Object(out))
}

/// An array of such objects (`ulimits`, `mounts`...).
pub fn array(function: &str, what: &str, table: &Table, fields: &[Field]) -> mlua::Result<Json> {
    let mut out = Vec::new();
    for (i, item) in table.sequence_values::<Value>().enumerate() {
        out.push(object(
            function,
            &format!("{what} item #{}", i + 1),
            &item?,
            fields,
        )?);
    }
    if out.len() != table.pairs::<Value, Value>().count() {
        return Err(invalid(function, format!("bad '{what}' (array expected)")));
    }
    Ok(Json::Array(out))
}

/// Any value as JSON, with the option named in an error.
pub fn json(function: &str, what: &str, value: &Value) -> mlua::Result<Json> {
    convert::from_lua(value).map_err(|e| invalid(function, format!("bad '{what}': {}", e.0)))
}

/// Labels of any kind, read by the engine layer's one label reader
/// (`{team = "ops"}` or `{"managed", "tier=web"}`).
pub fn labels(function: &str, what: &str, value: &Value) -> mlua::Result<Json> {
    let json = json(function, what, value)?;
    crate::engine::options::labels(what, &json).map_err(|e| invalid(function, e.message))
}

/// An object of the engine layer's option model from a Lua value (`nil` is
/// an empty table).
pub fn model(
    function: &str,
    what: &str,
    value: &Value,
    read: impl Fn(&str, &Json) -> crate::engine::Result<Json>,
) -> mlua::Result<Json> {
    let json = match value {
        Value::Nil => Json::Object(Map::new()),
        other => json(function, what, other)?,
    };
    read(what, &json).map_err(|e| invalid(function, e.message))
}

/// A map of strings (`sysctls`, `driver_opts`, `labels`): values may be
/// numbers or booleans, written as text.
pub fn string_map(function: &str, what: &str, table: &Table) -> mlua::Result<Json> {
    let pairs = args::string_pairs(function, what, table)?;
    Ok(Json::Object(
        pairs
            .into_iter()
            .map(|(key, text)| (key, Json::String(text)))
            .collect(),
    ))
}
