//! A followed log that survives a drop: the engine restarting, the
//! connection cut, the container restarting. It resumes with `since` at the
//! last line's timestamp (asked for even when the caller does not show
//! them) and drops the lines of that instant it has yielded already, as the
//! engine replays them (`since` is inclusive for logs).
//!
//! When the stream ends because the container stopped, it waits for the
//! container to start again, and ends once the container is removed.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use super::backoff::Backoff;
use super::events::{mendable, EventFeed, EventsOptions, Item};
use super::resume::{format_since, now_nanos};
use crate::engine::containers::LogsOptions;
use crate::engine::stream::LineSplitter;
use crate::engine::{Engine, ErrorKind, OutputStream, Result, StreamKind};

/// One step of a resuming log.
#[derive(Debug, Clone, PartialEq)]
pub enum LogItem {
    Line(StreamKind, Bytes),
    /// The log came back after a drop or a restart of the container.
    Reconnected {
        gap: Duration,
    },
}

/// A followed container log that reconnects.
pub struct ResumingLogs {
    engine: Engine,
    id: String,
    /// The caller's options, `follow` on, `timestamps` as the caller wants
    /// them shown.
    options: LogsOptions,
    tty: Option<bool>,
    stream: Option<OutputStream>,
    splitter: LineSplitter,
    /// The last line's time, and how many lines were yielded at it.
    last: Option<(i64, usize)>,
    /// Lines of the `last` instant still to skip on a replay.
    skip: usize,
    backoff: Backoff,
    /// When the stream was lost, for the reconnect's gap.
    lost: Option<std::time::Instant>,
}

impl ResumingLogs {
    /// Opens the log of container `id` (`options.follow` is implied).
    pub async fn open(
        engine: &Engine,
        id: &str,
        options: LogsOptions,
        tty: Option<bool>,
    ) -> Result<Self> {
        let mut logs = ResumingLogs {
            engine: engine.clone(),
            id: id.to_owned(),
            options: LogsOptions {
                follow: true,
                ..options
            },
            tty,
            stream: None,
            splitter: LineSplitter::new(),
            last: None,
            skip: 0,
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(10)),
            lost: None,
        };
        let first = logs.request(logs.options.since.clone()).await?;
        logs.stream = Some(first);
        Ok(logs)
    }

    async fn request(&self, since: Option<String>) -> Result<OutputStream> {
        let opts = LogsOptions {
            timestamps: true,
            since,
            ..self.options.clone()
        };
        self.engine.container_logs(&self.id, &opts, self.tty).await
    }

    /// The next line (without its newline), or a reconnect; `None` once
    /// the container is gone (or `until` reached).
    pub async fn next(&mut self) -> Result<Option<LogItem>> {
        loop {
            if let Some((kind, line)) = self.splitter.next_line() {
                if let Some(line) = self.admit(line) {
                    return Ok(Some(LogItem::Line(kind, line)));
                }
                continue;
            }
            let step = match self.stream.as_mut() {
                Some(stream) => stream.next().await,
                None => {
                    if !self.resume().await? {
                        return Ok(None);
                    }
                    let gap = self.lost.take().map_or(Duration::ZERO, |t| t.elapsed());
                    return Ok(Some(LogItem::Reconnected { gap }));
                }
            };
            match step {
                Ok(Some((kind, piece))) => self.splitter.push(kind, piece),
                Ok(None) => {
                    // The container stopped (or the engine went away
                    // cleanly): a last unfinished line is complete now.
                    if let Some((kind, line)) = self.splitter.finish() {
                        self.splitter = LineSplitter::new();
                        self.drop_stream();
                        if let Some(line) = self.admit(line) {
                            return Ok(Some(LogItem::Line(kind, line)));
                        }
                        continue;
                    }
                    if self.options.until.is_some() {
                        return Ok(None);
                    }
                    self.drop_stream();
                }
                Err(e) if mendable(&e) => {
                    self.splitter = LineSplitter::new();
                    self.drop_stream();
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn drop_stream(&mut self) {
        self.stream = None;
        self.lost.get_or_insert_with(std::time::Instant::now);
        self.skip = self.last.map_or(0, |(_, n)| n);
    }

    /// A line as the caller wants it, or `None` for one already yielded.
    fn admit(&mut self, line: Bytes) -> Option<Bytes> {
        let Some((stamp, rest)) = split_stamp(&line) else {
            // A long line's later pieces carry no time.
            return Some(line);
        };
        match self.last {
            Some((last, _)) if stamp < last => return None,
            Some((last, ref mut n)) if stamp == last => {
                if self.skip > 0 {
                    self.skip -= 1;
                    return None;
                }
                *n += 1;
            }
            _ => {
                self.last = Some((stamp, 1));
                self.skip = 0;
            }
        }
        if self.options.timestamps {
            Some(line)
        } else {
            Some(line.slice(rest..))
        }
    }

    /// Opens the log again once the engine answers and the container runs;
    /// false when the container is gone.
    async fn resume(&mut self) -> Result<bool> {
        loop {
            let checked_at = now_nanos();
            match self.engine.container_inspect(&self.id).await {
                Ok(state) => {
                    let running = state.pointer("/State/Running").and_then(|v| v.as_bool());
                    if running != Some(true) && !self.started_since(checked_at).await? {
                        return Ok(false);
                    }
                    let since = self
                        .last
                        .map(|(t, _)| format_since(t))
                        .or_else(|| self.options.since.clone());
                    match self.request(since).await {
                        Ok(stream) => {
                            self.stream = Some(stream);
                            self.backoff.reset();
                            return Ok(true);
                        }
                        Err(e) if e.kind == ErrorKind::NotFound => return Ok(false),
                        Err(e) if mendable(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(false),
                Err(e) if mendable(&e) => {}
                Err(e) => return Err(e),
            }
            tokio::time::sleep(self.backoff.next_delay()).await;
        }
    }

    /// Waits for the stopped container to start (true) or be removed
    /// (false), from events since `since`.
    async fn started_since(&mut self, since: i64) -> Result<bool> {
        let opts = EventsOptions {
            since: Some(format_since(since)),
            filters: Some(json!({"type": ["container"], "container": [self.id],
                                 "event": ["start", "destroy"]})),
            reconnect: true,
            ..EventsOptions::default()
        };
        let mut feed = EventFeed::open(&self.engine, opts).await?;
        Ok(match feed.next().await? {
            Some(Item::Event(e)) => e.get("Action").and_then(|a| a.as_str()) == Some("start"),
            // Whatever happened while away: look again.
            Some(Item::Reconnected { .. } | Item::Overflowed { .. }) => true,
            None => false,
        })
    }
}

/// The time of a line that starts with the engine's RFC 3339 timestamp and
/// a space, and where the rest begins.
fn split_stamp(line: &[u8]) -> Option<(i64, usize)> {
    let space = line.iter().take(40).position(|&b| b == b' ')?;
    let stamp = std::str::from_utf8(&line[..space]).ok()?;
    Some((rfc3339_nanos(stamp)?, space + 1))
}

/// `2024-05-01T12:00:00.123456789Z` (or with an offset) as Unix nanoseconds.
fn rfc3339_nanos(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        for (i, c) in frac.bytes().take(digits.min(9)).enumerate() {
            nanos += i64::from(c - b'0') * 10i64.pow(8 - i as u32);
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86400 + hour * 3600 + min * 60 + sec - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_parse() {
        assert_eq!(rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_nanos("2024-05-01T12:00:00.123456789Z"),
            Some(1_714_564_800_123_456_789)
        );
        assert_eq!(
            rfc3339_nanos("2024-05-01T14:00:00.5+02:00"),
            Some(1_714_564_800_500_000_000)
        );
        assert_eq!(rfc3339_nanos("yesterday"), None);
        assert_eq!(
            split_stamp(b"2024-05-01T12:00:00Z hello"),
            Some((1_714_564_800_000_000_000, 21))
        );
        assert_eq!(split_stamp(b"no stamp here"), None);
    }
}
