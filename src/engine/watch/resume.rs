//! Where a reconnected event stream picks up, and which of the events the
//! engine replays there were yielded already.
//!
//! The engine replays every buffered event at or after `since` (it compares
//! nanoseconds: `timeNano >= since`), so resuming at the last event's own
//! time brings that event, and any others of the same instant, again. They
//! are recognised by time, actor id, action and type, among the events of
//! the last second before the newest one (the boundary); older ones cannot
//! come back.

use std::collections::{HashSet, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

const NANOS: i64 = 1_000_000_000;
/// The most boundary keys remembered: a burst of more events within one
/// second than this is beyond any engine's buffer (256 events) anyway.
const MAX_KEYS: usize = 8192;

/// What identifies an event among those of its instant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    nano: i64,
    id: String,
    action: String,
    kind: String,
}

/// The resume point of one event stream.
#[derive(Debug, Default)]
pub struct Resume {
    /// The newest event's time, or where the stream started.
    last_nano: Option<i64>,
    /// The keys of the events yielded within a second of `last_nano`, oldest first.
    recent: VecDeque<Key>,
    seen: HashSet<Key>,
}

/// An event's time in nanoseconds: `timeNano`, else `time` (seconds).
pub fn event_nanos(event: &Value) -> Option<i64> {
    if let Some(n) = event.get("timeNano").and_then(Value::as_i64) {
        return Some(n);
    }
    event
        .get("time")
        .and_then(Value::as_i64)
        .and_then(|s| s.checked_mul(NANOS))
}

/// `since` as the engine reads it: `seconds.nanoseconds`.
pub fn format_since(nanos: i64) -> String {
    format!("{}.{:09}", nanos.div_euclid(NANOS), nanos.rem_euclid(NANOS))
}

/// Now, in nanoseconds since the epoch.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn key(event: &Value, nano: i64) -> Key {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    // Engines before API 1.22 put the id at the top (`id`), later ones in `Actor.ID`.
    let id = event
        .pointer("/Actor/ID")
        .or_else(|| event.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Key {
        nano,
        id,
        action: text(event.get("Action").or_else(|| event.get("status"))),
        kind: text(event.get("Type")),
    }
}

impl Resume {
    /// A stream that starts at `since_nanos` (the caller's `since`, or the
    /// moment of the first connection).
    pub fn starting_at(since_nanos: Option<i64>) -> Self {
        Resume {
            last_nano: since_nanos,
            ..Resume::default()
        }
    }

    /// Whether `event` is new (then it is remembered), or one already
    /// yielded that the engine replayed.
    pub fn admit(&mut self, event: &Value) -> bool {
        let Some(nano) = event_nanos(event) else {
            // Nothing to resume from nor to compare: pass it on.
            return true;
        };
        let key = key(event, nano);
        if self.seen.contains(&key) {
            return false;
        }
        if self.last_nano.is_none_or(|last| nano > last) {
            self.last_nano = Some(nano);
        }
        let horizon = self.last_nano.unwrap_or(nano).saturating_sub(NANOS);
        while let Some(old) = self.recent.front() {
            if old.nano >= horizon && self.recent.len() < MAX_KEYS {
                break;
            }
            self.seen.remove(old);
            self.recent.pop_front();
        }
        self.seen.insert(key.clone());
        self.recent.push_back(key);
        true
    }

    /// The `since` to reconnect with.
    pub fn since(&self) -> Option<String> {
        self.last_nano.map(format_since)
    }

    /// How many event keys are remembered (bounded).
    pub fn remembered(&self) -> usize {
        self.recent.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(nano: i64, id: &str, action: &str) -> Value {
        json!({"Type": "container", "Action": action, "Actor": {"ID": id},
               "time": nano / NANOS, "timeNano": nano})
    }

    #[test]
    fn the_replayed_boundary_is_dropped_and_new_events_at_the_same_instant_pass() {
        let t = 1_700_000_000 * NANOS + 5;
        let mut r = Resume::default();
        assert!(r.admit(&ev(t - 10, "a", "create")));
        assert!(r.admit(&ev(t, "a", "start")));
        assert!(r.admit(&ev(t, "b", "start")));
        assert_eq!(r.since().as_deref(), Some("1700000000.000000005"));
        // The engine replays everything at the boundary instant...
        assert!(!r.admit(&ev(t, "a", "start")));
        assert!(!r.admit(&ev(t, "b", "start")));
        // ...and what happened there that was never seen passes once.
        assert!(r.admit(&ev(t, "c", "start")));
        assert!(!r.admit(&ev(t, "c", "start")));
        assert!(r.admit(&ev(t + 1, "a", "die")));
    }

    #[test]
    fn memory_is_bounded_to_the_last_second() {
        let mut r = Resume::default();
        for i in 0..100_000i64 {
            assert!(r.admit(&ev(i * 1_000_000, &format!("c{i}"), "start")));
        }
        // 1000 events per second: a second's worth (and one) is kept.
        assert!(r.remembered() <= 1001, "{}", r.remembered());
        assert_eq!(r.since().as_deref(), Some("99.999000000"));
    }

    #[test]
    fn a_start_without_events_resumes_where_it_started() {
        let r = Resume::starting_at(Some(12 * NANOS + 3));
        assert_eq!(r.since().as_deref(), Some("12.000000003"));
        assert_eq!(Resume::default().since(), None);
    }

    #[test]
    fn seconds_are_used_without_time_nano() {
        let mut r = Resume::default();
        let old = json!({"status": "start", "id": "x", "time": 7});
        assert!(r.admit(&old));
        assert!(!r.admit(&old));
        assert_eq!(r.since().as_deref(), Some("7.000000000"));
        assert!(r.admit(&json!({"no": "time"})));
    }
}
