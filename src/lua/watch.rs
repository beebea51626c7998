//! `docker.events` (which reconnects when asked) and `docker.watch`, the
//! list-then-watch loop. The reconnecting, resuming and pacing are
//! [`crate::engine::watch`]'s; this module converts and binds.

use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use mlua::{Function, Lua, MultiValue, Table, Value};
use serde_json::json;

use super::args::filters_json;
use super::args::Opts;
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::{containers, convert, iter, resource};
use crate::engine::watch::logs::{LogItem, ResumingLogs};
use crate::engine::watch::{EventFeed, EventsOptions, Item, WatchOptions, Watcher, Why};

const CLIENT: &str = "DockerClient";

/// Puts `events` and `watch` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set("events", bound(lua, handle, CLIENT, events)?)?;
    client.raw_set("watch", bound(lua, handle, CLIENT, watch)?)?;
    Ok(())
}

/// The reconnect options `events` and `watch` share.
fn feed_options(opts: &Opts, reconnect_default: bool) -> mlua::Result<EventsOptions> {
    let defaults = EventsOptions::default();
    let buffer = match opts.count("buffer")? {
        Some(0) => {
            return Err(invalid(
                opts.function(),
                "bad option 'buffer' (1 or more expected, got 0)",
            ))
        }
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => defaults.buffer,
    };
    let stall = opts.seconds("stall")?.unwrap_or(defaults.stall);
    if stall.is_zero() {
        return Err(invalid(
            opts.function(),
            "bad option 'stall' (more than 0 seconds expected, got 0)",
        ));
    }
    Ok(EventsOptions {
        reconnect: opts.bool("reconnect")?.unwrap_or(reconnect_default),
        stall,
        buffer,
        ..defaults
    })
}

/// `docker.events{filters, since, until, reconnect, stall, buffer}`.
async fn events(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    let opts = Opts::new(
        "events",
        args.into_iter().next().unwrap_or(Value::Nil),
        &[
            "filters",
            "since",
            "until",
            "decode",
            "reconnect",
            "stall",
            "buffer",
        ],
    )?;
    let options = EventsOptions {
        filters: filters_json(&opts, "filters")?,
        since: opts.time("since")?,
        until: opts.time("until")?,
        ..feed_options(&opts, false)?
    };
    let feed = EventFeed::open(&h.engine()?, options)
        .await
        .map_err(|e| error::engine_in("events", e))?;
    iter::for_values(&lua, "EventStream", Events(feed))
}

/// The events of a feed, one per loop step; our own notices are tables of
/// `Type = "dockerlua"`.
struct Events(EventFeed);

impl iter::Source for Events {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            let value = match self.0.next().await.map_err(error::engine)? {
                None => return Ok(None),
                Some(Item::Event(event)) => convert::to_lua(lua, &event)?,
                Some(Item::Reconnected { gap }) => {
                    notice(lua, "reconnect", "gap", Value::Number(gap.as_secs_f64()))?
                }
                Some(Item::Overflowed { dropped }) => {
                    let dropped = i64::try_from(dropped).unwrap_or(i64::MAX);
                    notice(lua, "overflow", "dropped", Value::Integer(dropped))?
                }
            };
            Ok(Some(MultiValue::from_iter([value])))
        })
    }
}

/// One of our own events: `{Type = "dockerlua", Action = action, [field] = amount}`.
fn notice(lua: &Lua, action: &str, field: &str, amount: Value) -> mlua::Result<Value> {
    let event = lua.create_table()?;
    event.raw_set("Type", "dockerlua")?;
    event.raw_set("Action", action)?;
    event.raw_set(field, amount)?;
    Ok(Value::Table(event))
}

/// `docker.watch(opts, fn)`: `fn(containers, why)` at start, after
/// relevant container events (debounced), after a reconnect and every
/// `resync` seconds, until it returns `false`.
async fn watch(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<()> {
    const F: &str = "watch";
    let mut args = args.into_iter();
    let (opts, f) = match (args.next(), args.next()) {
        (Some(Value::Function(f)), None) => (Value::Nil, f),
        (Some(opts), Some(Value::Function(f))) => (opts, f),
        (_, other) => {
            return Err(invalid(
                F,
                format!(
                    "bad argument 'fn' (function expected, got {})",
                    super::args::type_name(&other.unwrap_or(Value::Nil))
                ),
            ))
        }
    };
    let opts = Opts::new(
        F,
        opts,
        &[
            "filters",
            "all",
            "debounce",
            "resync",
            "stop_on_error",
            "reconnect",
            "stall",
            "buffer",
        ],
    )?;
    let list_opts = lua.create_table()?;
    list_opts.raw_set("all", opts.flag("all")?)?;
    if let Some(filters) = opts.table("filters")? {
        list_opts.raw_set("filters", filters)?;
    }
    // Events are narrowed to containers, and by label as the list is:
    // other filters (status, name...) mean something else for events.
    let mut event_filters = json!({"type": ["container"]});
    if let Some(label) = filters_json(&opts, "filters")?.and_then(|f| f.get("label").cloned()) {
        event_filters["label"] = label;
    }
    let debounce = opts
        .seconds("debounce")?
        .unwrap_or(Duration::from_millis(500));
    let resync = opts.seconds("resync")?.filter(|r| !r.is_zero());
    let stop_on_error = opts.flag("stop_on_error")?;
    let options = WatchOptions {
        debounce,
        resync,
        events: EventsOptions {
            filters: Some(event_filters),
            ..feed_options(&opts, true)?
        },
    };
    let collection = resource::collection::<containers::Container>(&lua, &h)?;
    let list: Function = collection.get("list")?;
    // Subscribed before the first list, so nothing between them is missed.
    let mut watcher = Watcher::open(&h.engine()?, options)
        .await
        .map_err(error::engine)?;
    let mut why = lua.create_table()?;
    why.raw_set("reason", "start")?;
    loop {
        let containers: Value = list.call_async(list_opts.clone()).await?;
        match f.call_async::<Value>((containers, why)).await {
            Ok(Value::Boolean(false)) => return Ok(()),
            Ok(_) => {}
            Err(e) if stop_on_error => return Err(e),
            Err(e) => eprintln!("dockerlua: watch: {}", error::one_line(&e)),
        }
        why = match watcher.next().await.map_err(error::engine)? {
            None => return Ok(()),
            Some(reason) => reason_table(&lua, reason)?,
        };
    }
}

/// The second argument of a watch's `fn`: why it is called now.
fn reason_table(lua: &Lua, why: Why) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    match why {
        Why::Events { count } => {
            t.raw_set("reason", "events")?;
            t.raw_set("count", count)?;
        }
        Why::Reconnected { gap } => {
            t.raw_set("reason", "reconnect")?;
            t.raw_set("gap", gap.as_secs_f64())?;
        }
        Why::Overflowed { dropped } => {
            t.raw_set("reason", "overflow")?;
            t.raw_set("dropped", dropped)?;
        }
        Why::Resync => t.raw_set("reason", "resync")?,
    }
    Ok(t)
}

/// The lines of a followed log that reconnects (`reconnect = true`).
pub struct ResumingLines {
    logs: ResumingLogs,
    names: Option<[mlua::LuaString; 3]>,
}

impl ResumingLines {
    pub fn new(logs: ResumingLogs) -> Self {
        ResumingLines { logs, names: None }
    }
}

impl iter::Source for ResumingLines {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            loop {
                match self.logs.next().await.map_err(error::engine)? {
                    None => return Ok(None),
                    // Lines say nothing of the gap: a `for line, stream` loop
                    // has no place for it.
                    Some(LogItem::Reconnected { .. }) => continue,
                    Some(LogItem::Line(kind, line)) => {
                        if self.names.is_none() {
                            self.names = Some([
                                lua.create_string("stdin")?,
                                lua.create_string("stdout")?,
                                lua.create_string("stderr")?,
                            ]);
                        }
                        let name = self.names.as_ref().expect("just made")[kind.index()].clone();
                        return Ok(Some(MultiValue::from_iter([
                            Value::String(lua.create_string(&line)?),
                            Value::String(name),
                        ])));
                    }
                }
            }
        })
    }
}
