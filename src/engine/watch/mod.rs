//! Following the engine for a long time: event streams that survive an
//! engine restart or a cut connection, and the pacing of list-then-watch
//! loops. Nothing here knows Lua.
//!
//! - [`events`]: [`EventFeed`], the events read ahead into a bounded buffer
//!   by a task that reconnects, resumes and detects stalls;
//! - [`resume`]: where a reconnected stream resumes, and the dedupe of the
//!   events the engine replays there;
//! - [`backoff`]: the jittered waits between attempts;
//! - [`schedule`]: [`Watcher`], when a watch loop reads its list again;
//! - [`logs`]: a followed log that resumes after a drop or a restart of its
//!   container.

mod backoff;
pub mod events;
pub mod logs;
pub mod resume;
pub mod schedule;

pub use backoff::Backoff;
pub use events::{EventFeed, EventsOptions, Item};
pub use schedule::{WatchOptions, Watcher, Why};
