//! The engine's events, read ahead of the consumer, and (when asked)
//! reconnected: after an engine restart, a cut connection or a stalled one,
//! the stream comes back where it left off.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::resume::{now_nanos, Resume};
use crate::engine::{Engine, Error, ErrorKind, JsonStream, Result};

/// How to follow the engine's events.
#[derive(Debug, Clone)]
pub struct EventsOptions {
    /// `seconds[.nanoseconds]`, as the engine reads it.
    pub since: Option<String>,
    pub until: Option<String>,
    pub filters: Option<Value>,
    /// Come back after a drop instead of ending with an error.
    pub reconnect: bool,
    /// After this long without an event, `/_ping` says whether the engine
    /// is still there; when it does not answer, the stream is taken as
    /// stalled (dropped).
    pub stall: Duration,
    /// Events read ahead of a slow consumer; more are dropped and counted
    /// (the engine itself drops a listener that lags 100 ms).
    pub buffer: usize,
    /// The first and the longest wait between reconnect attempts.
    pub backoff: (Duration, Duration),
}

impl Default for EventsOptions {
    fn default() -> Self {
        EventsOptions {
            since: None,
            until: None,
            filters: None,
            reconnect: false,
            stall: Duration::from_secs(30),
            buffer: 4096,
            backoff: (Duration::from_millis(100), Duration::from_secs(10)),
        }
    }
}

/// One step of a followed stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(Value),
    /// The stream came back after `gap` away; what happened meanwhile (as
    /// far as the engine kept it) follows.
    Reconnected {
        gap: Duration,
    },
    /// The consumer fell `buffer` events behind: `dropped` were lost here.
    Overflowed {
        dropped: u64,
    },
}

/// The events stream: a task reads the engine's answer into a bounded
/// buffer, reconnecting as told; dropping the feed stops the task and its
/// connection.
pub struct EventFeed {
    items: mpsc::Receiver<Result<Item>>,
    reader: JoinHandle<()>,
}

impl Drop for EventFeed {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// How long a full buffer may hold the reader before an event is dropped:
/// well under the 100 ms after which the engine drops a lagging listener.
const FULL_GRACE: Duration = Duration::from_millis(20);

/// Longest wait for `/_ping` when the stream has been quiet.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

impl EventFeed {
    /// Connects (an error here is the caller's: a bad filter, no engine)
    /// and starts reading.
    pub async fn open(engine: &Engine, opts: EventsOptions) -> Result<Self> {
        let start = match opts.since.as_deref() {
            Some(since) => Some(parse_nanos(since)?),
            None => Some(now_nanos()),
        };
        let first = engine
            .events(
                opts.since.as_deref(),
                opts.until.as_deref(),
                opts.filters.as_ref(),
            )
            .await?;
        let (tx, items) = mpsc::channel(opts.buffer.max(1));
        let reader = Reader {
            engine: engine.clone(),
            backoff: Backoff::new(opts.backoff.0, opts.backoff.1),
            until: opts.until.as_deref().map(parse_nanos).transpose()?,
            resume: Resume::starting_at(start),
            tx,
            dropped: 0,
            opts,
        };
        Ok(EventFeed {
            items,
            reader: tokio::spawn(reader.run(first)),
        })
    }

    /// The next step; `None` once the stream has ended (`until` reached).
    pub async fn next(&mut self) -> Result<Option<Item>> {
        match self.items.recv().await {
            Some(Ok(item)) => Ok(Some(item)),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
}

/// `seconds[.fraction]` as nanoseconds.
fn parse_nanos(text: &str) -> Result<i64> {
    let bad = || Error::invalid(format!("a time in seconds expected, got '{text}'"));
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().map_err(|_| bad())?;
    let mut nanos = 0i64;
    for (i, c) in frac.bytes().take(9).enumerate() {
        if !c.is_ascii_digit() {
            return Err(bad());
        }
        nanos += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(nanos))
        .ok_or_else(bad)
}

/// Whether a reconnect can mend what went wrong: the engine away or
/// restarting, the connection cut or stalled. A bad request cannot.
pub(super) fn mendable(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout)
        || e.status.is_some_and(|s| s >= 500)
}

struct Reader {
    engine: Engine,
    opts: EventsOptions,
    until: Option<i64>,
    backoff: Backoff,
    resume: Resume,
    tx: mpsc::Sender<Result<Item>>,
    /// Events lost to a full buffer, not yet reported.
    dropped: u64,
}

/// How one connection's reading ended.
enum End {
    /// `until` reached, or the consumer went away: nothing more to do.
    Finished,
    Dropped(Error),
}

impl Reader {
    async fn run(mut self, first: JsonStream) {
        let mut stream = first;
        loop {
            let why = match self.read(&mut stream).await {
                End::Finished => return,
                End::Dropped(why) => why,
            };
            drop(stream);
            if !self.opts.reconnect || !mendable(&why) {
                let _ = self.tx.send(Err(why)).await;
                return;
            }
            let lost = Instant::now();
            stream = match self.reconnect().await {
                Ok(stream) => stream,
                Err(e) => {
                    let _ = self.tx.send(Err(e)).await;
                    return;
                }
            };
            let gap = lost.elapsed();
            if self.tx.send(Ok(Item::Reconnected { gap })).await.is_err() {
                return;
            }
        }
    }

    /// Tries again, waiting longer each time, until the engine answers.
    async fn reconnect(&mut self) -> Result<JsonStream> {
        loop {
            tokio::time::sleep(self.backoff.next_delay()).await;
            if self.tx.is_closed() {
                return Err(Error::new(ErrorKind::Connection, "the consumer is gone"));
            }
            let since = self.resume.since();
            let attempt = self.engine.events(
                since.as_deref(),
                self.opts.until.as_deref(),
                self.opts.filters.as_ref(),
            );
            // The engine answers an events request at once; a path that
            // swallows it (a stalled proxy) must not hold the retries.
            let limit = self.opts.stall.max(PING_TIMEOUT);
            match tokio::time::timeout(limit, attempt).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(e)) if !mendable(&e) => return Err(e),
                Ok(Err(_)) | Err(_) => continue,
            }
        }
    }

    /// Reads one connection until it ends or drops.
    async fn read(&mut self, stream: &mut JsonStream) -> End {
        loop {
            let next = tokio::time::timeout(self.opts.stall, stream.next());
            let step = if self.dropped > 0 {
                // Report the loss as soon as there is room, even when the
                // engine stays quiet.
                tokio::select! {
                    permit = self.tx.reserve() => {
                        let Ok(permit) = permit else { return End::Finished };
                        permit.send(Ok(Item::Overflowed { dropped: self.dropped }));
                        self.dropped = 0;
                        continue;
                    }
                    step = next => step,
                }
            } else {
                next.await
            };
            match step {
                Ok(Ok(Some(event))) => {
                    self.backoff.reset();
                    if self.resume.admit(&event) && !self.pass(event).await {
                        return End::Finished;
                    }
                }
                Ok(Ok(None)) => {
                    let reached = self.until.is_some_and(|until| now_nanos() >= until);
                    if reached || !self.opts.reconnect {
                        return End::Finished;
                    }
                    return End::Dropped(Error::new(
                        ErrorKind::Connection,
                        "the engine ended the event stream",
                    ));
                }
                Ok(Err(e)) => return End::Dropped(e),
                Err(_quiet) => match tokio::time::timeout(PING_TIMEOUT, self.engine.ping()).await {
                    Ok(Ok(())) => self.backoff.reset(),
                    _ => {
                        return End::Dropped(Error::new(
                            ErrorKind::Timeout,
                            format!(
                            "the event stream stalled: nothing for {} s and no answer to /_ping",
                            self.opts.stall.as_secs_f64()
                        ),
                        ))
                    }
                },
            }
        }
    }

    /// Hands `event` on; when the buffer is full, waits a little for room
    /// (a consumer catching up, as when a flood is replayed), then counts
    /// it lost. While losses are untold, there is no waiting: the socket
    /// must be drained, or the engine drops us instead. False once the
    /// consumer is gone.
    async fn pass(&mut self, event: Value) -> bool {
        if self.dropped > 0 {
            match self.tx.try_send(Ok(Item::Overflowed {
                dropped: self.dropped,
            })) {
                Ok(()) => self.dropped = 0,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.dropped += 1;
                    return true;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
        }
        let item = match self.tx.try_send(Ok(Item::Event(event))) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Closed(_)) => return false,
            Err(mpsc::error::TrySendError::Full(item)) => item,
        };
        match self.tx.send_timeout(item, FULL_GRACE).await {
            Ok(()) => true,
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                self.dropped += 1;
                true
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_to_nanoseconds() {
        assert_eq!(parse_nanos("12").unwrap(), 12_000_000_000);
        assert_eq!(parse_nanos("12.5").unwrap(), 12_500_000_000);
        assert_eq!(parse_nanos("1.000000001").unwrap(), 1_000_000_001);
        assert!(parse_nanos("1.x").is_err());
        assert!(parse_nanos("soon").is_err());
    }

    #[test]
    fn only_what_a_reconnect_can_mend_is_retried() {
        assert!(mendable(&Error::new(ErrorKind::Connection, "cut")));
        assert!(mendable(&Error::new(ErrorKind::Timeout, "stalled")));
        assert!(mendable(&Error::from_status(503, "starting".into(), false)));
        assert!(!mendable(&Error::from_status(
            400,
            "bad filter".into(),
            false
        )));
        assert!(!mendable(&Error::new(ErrorKind::Api, "invalid json")));
    }
}
