//! `docker.api{...}`: any request of the Engine API, on the client's
//! connection and API version, so that no engine feature is out of reach.

use crate::engine::error::excerpt;
use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Opts};
use super::containers::output::Lines;
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::iter::JsonSource;
use super::{convert, fields, iter};
use crate::engine::containers::framing;
use crate::engine::{read_body, OutputStream, Query, Req};

const F: &str = "api";

/// Puts `docker.api` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set("api", bound(lua, handle, "DockerClient", api)?)
}

async fn api(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    let opts = Opts::new(
        F,
        args.into_iter().next().unwrap_or(Value::Nil),
        &[
            "method",
            "path",
            "query",
            "body",
            "stream",
            "content_type",
            "tty",
        ],
    )?;
    let method = opts.string("method")?.unwrap_or_else(|| "GET".into());
    let method = hyper::Method::from_bytes(method.to_uppercase().as_bytes()).map_err(|_| {
        invalid(
            F,
            format!("bad option 'method' (got '{}')", excerpt(&method, 40)),
        )
    })?;
    let Some(path) = opts.string("path")? else {
        return Err(invalid(
            F,
            "option 'path' is required (e.g. \"/containers/json\")",
        ));
    };
    if !path.starts_with('/') || path.contains(['?', '#']) || path.contains(char::is_control) {
        return Err(invalid(
            F,
            format!(
                "bad option 'path' (an absolute path without query expected, got '{}')",
                excerpt(&path, 80)
            ),
        ));
    }
    let mut req = Req::new(method, path).query(query(&opts)?);
    let content_type = opts.string("content_type")?;
    match opts.raw("body")? {
        Value::Nil => {}
        Value::String(s) => {
            let bytes = bytes::Bytes::copy_from_slice(&s.as_bytes());
            req = req.raw_body(bytes, "application/json");
        }
        other => req = req.json_body(&fields::json(F, "body", &other)?),
    }
    if let Some(ct) = &content_type {
        req.content_type = ct;
    }
    let engine = h.engine()?;
    let response = engine.request(req).await.map_err(error::engine)?;
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if opts.flag("stream")? {
        if kind.contains("json") {
            let stream = crate::engine::JsonStream::new(response, false);
            return iter::for_values(&lua, "ApiStream", JsonSource(stream));
        }
        // Container output: framed or raw as the engine states it where its
        // word can be trusted, else as `tty` says; by default framed, as a
        // container without a TTY sends it (20.10 sends logs with no content
        // type at all). An answer of another type is raw text.
        let version = engine.api_version().await.map_err(error::engine)?;
        let raw = match (opts.bool("tty")?, framing(&response, version)) {
            (Some(tty), _) | (None, Some(tty)) => tty,
            (None, None) => !(kind.is_empty() || kind.contains("application/vnd.docker")),
        };
        let lines = Lines::new(OutputStream::new(response, raw));
        return iter::for_values(&lua, "ApiStream", lines);
    }
    let bytes = read_body(response).await.map_err(error::engine)?;
    let value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Nil
    } else if kind.contains("json") {
        let json = crate::engine::parse_json(&bytes).map_err(error::engine)?;
        convert::to_lua(&lua, &json)?
    } else {
        Value::String(lua.create_string(&bytes)?)
    };
    Ok(MultiValue::from_iter([value]))
}

/// `query = {all = true, limit = 5, filters = {label = {"a"}}}`: booleans as
/// 1/0, tables (filters) as JSON.
fn query(opts: &Opts) -> mlua::Result<Query> {
    let mut q = Query::new();
    let Some(table) = opts.table("query")? else {
        return Ok(q);
    };
    let mut pairs = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = args::string(F, "query key", &k)?;
        let text = match v {
            Value::Boolean(b) => (if b { "1" } else { "0" }).to_owned(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.to_string_lossy(),
            other @ Value::Table(_) => {
                fields::json(F, &format!("query.{key}"), &other)?.to_string()
            }
            other => {
                return Err(invalid(
                    F,
                    format!("bad 'query.{key}' (got {})", args::type_name(&other)),
                ))
            }
        };
        pairs.push((key, text));
    }
    // A stable order, whatever the table's.
    pairs.sort();
    for (k, v) in pairs {
        q.add(&k, v);
    }
    Ok(q)
}
