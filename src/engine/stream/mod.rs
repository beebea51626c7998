//! Decoders for the two streamed body formats of the Engine API.
//!
//! - Logs, attach and exec output of a container without a TTY arrive as
//!   multiplexed frames: an 8-byte header `[stream, 0, 0, 0, size (u32 BE)]`
//!   then `size` bytes. A TTY container sends raw bytes. [`OutputDecoder`]
//!   handles both, so callers treat them alike; [`LineSplitter`] turns its
//!   pieces into lines per stream.
//! - Pull, push, build, events and stats answers are newline-delimited JSON:
//!   [`JsonLines`], with [`progress_error`] to spot a failure reported inside
//!   a `200 OK` answer.
//!
//! All of them are push-based and accept input cut at any byte, since an HTTP
//! body arrives in chunks of its own choosing. Memory stays bounded whatever
//! the stream's length: frame payloads are passed on as they arrive (as
//! zero-copy slices of the pushed chunks) and every buffered line has a cap.
//! Callers keep it bounded by draining a decoder before pushing more.
//!
//! The decoders live one per file: [`frames`] ([`OutputDecoder`]), [`lines`]
//! ([`LineSplitter`]) and [`json`] ([`JsonLines`], [`progress_error`]).

mod frames;
mod json;
mod lines;
#[cfg(test)]
mod tests;

use std::fmt;

pub use frames::OutputDecoder;
pub use json::{progress_error, JsonLines, MAX_JSON_LINE};
pub use lines::{LineSplitter, DEFAULT_MAX_LINE};

/// How many bytes of offending input an error message quotes.
const EXCERPT_LEN: usize = 40;

/// Which standard stream a piece of container output belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdin,
    Stdout,
    Stderr,
}

impl StreamKind {
    /// The name scripts see: `"stdin"`, `"stdout"` or `"stderr"`.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Stdin => "stdin",
            StreamKind::Stdout => "stdout",
            StreamKind::Stderr => "stderr",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            StreamKind::Stdin => 0,
            StreamKind::Stdout => 1,
            StreamKind::Stderr => 2,
        }
    }

    pub(crate) const ALL: [StreamKind; 3] =
        [StreamKind::Stdin, StreamKind::Stdout, StreamKind::Stderr];
}

/// Why a stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// Stream 3: the engine reported an error in-band.
    Engine(String),
    /// Bytes that cannot be a frame / a line over the limit / invalid JSON;
    /// the String says what, lower-case, quoting a short excerpt of the
    /// offending bytes.
    Malformed(String),
    /// The input ended inside a frame header or a frame/line.
    Truncated,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Engine(message) => write!(f, "engine error: {message}"),
            StreamError::Malformed(what) => write!(f, "malformed stream: {what}"),
            StreamError::Truncated => f.write_str("stream ended in the middle of a frame or line"),
        }
    }
}

impl std::error::Error for StreamError {}

/// Quotes the start of `bytes` for an error message: lossy UTF-8, escaped,
/// cut to [`EXCERPT_LEN`] bytes without splitting a character.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let mut head = &bytes[..bytes.len().min(EXCERPT_LEN)];
    if let Err(e) = std::str::from_utf8(head) {
        // Drop a character cut in half by the limit, keep genuine garbage.
        if e.error_len().is_none() && head.len() < bytes.len() {
            head = &head[..e.valid_up_to()];
        }
    }
    let mut quoted = format!("{:?}", String::from_utf8_lossy(head));
    if head.len() < bytes.len() {
        quoted.push_str("...");
    }
    quoted
}
