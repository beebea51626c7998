//! When a list-then-watch loop reads the list again: after relevant events
//! (debounced), after a reconnect or an overflow (events were missed), and
//! every `resync`.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::events::{EventFeed, EventsOptions, Item};
use crate::engine::{Engine, Result};

/// How a watch loop paces itself.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Quiet time after an event before the list is read; a steady flow of
    /// events still gets a read every [`MAX_DEBOUNCES`] of these.
    pub debounce: Duration,
    /// Read the list this often even without events.
    pub resync: Option<Duration>,
    pub events: EventsOptions,
}

/// Under a steady flow of events, the list is still read after this many
/// debounce periods since the first unanswered event.
pub const MAX_DEBOUNCES: u32 = 4;

/// Why the list is to be read again.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// `count` relevant events since the last read.
    Events { count: usize },
    /// The events stream came back after a drop (`gap` away).
    Reconnected { gap: Duration },
    /// Events were lost on our side: the consumer was too slow.
    Overflowed { dropped: u64 },
    /// `resync` passed without anything else.
    Resync,
}

/// The pacing of a watch loop over a container events stream.
pub struct Watcher {
    feed: EventFeed,
    debounce: Duration,
    resync: Option<Duration>,
}

/// Whether a container event can change what a list shows: its state,
/// health, name or labels. Execs (a healthcheck every few seconds), attach,
/// resize, top and copies cannot.
pub fn changes_the_list(event: &Value) -> bool {
    let kind = event
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or("container");
    if kind != "container" {
        return false;
    }
    let action = event
        .get("Action")
        .or_else(|| event.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("");
    !(action.starts_with("exec_")
        || matches!(
            action,
            "attach"
                | "detach"
                | "resize"
                | "top"
                | "archive-path"
                | "extract-to-dir"
                | "export"
                | "commit"
                | "copy"
        ))
}

impl Watcher {
    /// Starts following container events (`opts.events`, whose filters the
    /// caller has limited to containers).
    pub async fn open(engine: &Engine, opts: WatchOptions) -> Result<Self> {
        Ok(Watcher {
            feed: EventFeed::open(engine, opts.events).await?,
            debounce: opts.debounce,
            resync: opts.resync,
        })
    }

    /// Waits for the next reason to read the list; `None` when the events
    /// end (their `until` passed).
    pub async fn next(&mut self) -> Result<Option<Why>> {
        let resync_at = self.resync.map(|r| Instant::now() + r);
        let mut count = 0usize;
        let mut first = None;
        let mut last = Instant::now();
        loop {
            let deadline = match first {
                Some(first) => (last + self.debounce).min(first + self.debounce * MAX_DEBOUNCES),
                None => resync_at.unwrap_or_else(far_future),
            };
            tokio::select! {
                item = self.feed.next() => match item? {
                    None if count > 0 => return Ok(Some(Why::Events { count })),
                    None => return Ok(None),
                    Some(Item::Event(event)) => {
                        if changes_the_list(&event) {
                            let now = Instant::now();
                            first.get_or_insert(now);
                            last = now;
                            count += 1;
                        }
                    }
                    Some(Item::Reconnected { gap }) => return Ok(Some(Why::Reconnected { gap })),
                    Some(Item::Overflowed { dropped }) => return Ok(Some(Why::Overflowed { dropped })),
                },
                () = tokio::time::sleep_until(deadline) => {
                    return Ok(Some(if count > 0 { Why::Events { count } } else { Why::Resync }));
                }
            }
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400 * 365)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn execs_and_other_kinds_do_not_change_the_list() {
        let ev = |t: &str, a: &str| json!({"Type": t, "Action": a});
        assert!(changes_the_list(&ev("container", "start")));
        assert!(changes_the_list(&ev(
            "container",
            "health_status: unhealthy"
        )));
        assert!(changes_the_list(&ev("container", "destroy")));
        assert!(!changes_the_list(&ev(
            "container",
            "exec_start: sh -c true"
        )));
        assert!(!changes_the_list(&ev("container", "resize")));
        assert!(!changes_the_list(&ev("network", "connect")));
    }
}
