//! Newline-delimited JSON (pull, push, build, events, stats) and failures
//! reported inside a `200 OK` answer.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};
use serde_json::Value;

use super::{excerpt, StreamError};

/// Longest JSON line [`JsonLines::new`] accepts. Engine progress lines are
/// small; the cap only stops a broken or hostile engine from exhausting
/// memory.
pub const MAX_JSON_LINE: usize = 32 * 1024 * 1024;
/// Newline-delimited JSON decoder.
///
/// Lines may end in "\n" or "\r\n"; blank lines are skipped. Any error is
/// final and returned again on every later call: after a bad line the caller
/// cannot trust the rest of the stream anyway.
#[derive(Debug)]
pub struct JsonLines {
    pub(super) max_line: usize,
    pub(super) input: VecDeque<Bytes>,
    /// The unfinished line, at most `max_line` bytes.
    pub(super) line: BytesMut,
    pub(super) failed: Option<StreamError>,
}

impl Default for JsonLines {
    fn default() -> Self {
        Self::new()
    }
}

/// Parses one line; None for a blank one.
fn parse_json_line(line: &[u8]) -> Result<Option<Value>, serde_json::Error> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(trimmed).map(Some)
}

fn invalid_json(line: &[u8], err: &serde_json::Error) -> StreamError {
    StreamError::Malformed(format!(
        "invalid json {}: {err}",
        excerpt(line.trim_ascii())
    ))
}

impl JsonLines {
    /// A decoder accepting lines up to [`MAX_JSON_LINE`] bytes.
    pub fn new() -> Self {
        Self::with_max_line(MAX_JSON_LINE)
    }

    /// A decoder accepting lines up to `max` bytes (without the '\n').
    pub fn with_max_line(max: usize) -> Self {
        JsonLines {
            max_line: max,
            input: VecDeque::new(),
            line: BytesMut::new(),
            failed: None,
        }
    }

    /// Queues a chunk of the body.
    pub fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.input.push_back(chunk);
        }
    }

    /// Next value, or None when more input is needed.
    pub fn next_value(&mut self) -> Result<Option<Value>, StreamError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.decode_next();
        if let Err(err) = &result {
            self.fail(err.clone());
        }
        result
    }

    fn fail(&mut self, err: StreamError) {
        self.failed = Some(err);
        self.input.clear();
        self.line = BytesMut::new();
    }

    fn decode_next(&mut self) -> Result<Option<Value>, StreamError> {
        loop {
            let Some(chunk) = self.input.front_mut() else {
                return Ok(None);
            };
            let Some(pos) = chunk.iter().position(|&b| b == b'\n') else {
                if let Some(chunk) = self.input.pop_front() {
                    self.append(&chunk)?;
                }
                continue;
            };
            let head = chunk.split_to(pos);
            chunk.advance(1);
            if chunk.is_empty() {
                self.input.pop_front();
            }
            let parsed = if self.line.is_empty() {
                // The whole line is in one chunk: parse it in place.
                self.check_len(&[], &head)?;
                parse_json_line(&head).map_err(|e| invalid_json(&head, &e))?
            } else {
                self.append(&head)?;
                let parsed = parse_json_line(&self.line).map_err(|e| invalid_json(&self.line, &e));
                self.line.clear();
                parsed?
            };
            if let Some(value) = parsed {
                return Ok(Some(value));
            }
        }
    }

    /// Errs if `line` plus `more` is over the limit, before copying anything.
    fn check_len(&self, line: &[u8], more: &[u8]) -> Result<(), StreamError> {
        if line.len().saturating_add(more.len()) <= self.max_line {
            return Ok(());
        }
        let start = if line.is_empty() { more } else { line };
        Err(StreamError::Malformed(format!(
            "json line longer than {} bytes: {}",
            self.max_line,
            excerpt(start)
        )))
    }

    fn append(&mut self, more: &[u8]) -> Result<(), StreamError> {
        self.check_len(&self.line, more)?;
        self.line.extend_from_slice(more);
        Ok(())
    }

    /// End of input: a last value without trailing newline is returned;
    /// garbage is an error (`Truncated` if it is a cut-off value).
    ///
    /// Also returns complete values not yet taken, so it may be called
    /// repeatedly until `Ok(None)`.
    pub fn finish(&mut self) -> Result<Option<Value>, StreamError> {
        if let Some(value) = self.next_value()? {
            return Ok(Some(value));
        }
        let line = std::mem::take(&mut self.line);
        match parse_json_line(&line) {
            Ok(value) => Ok(value),
            Err(e) => {
                let err = if e.is_eof() {
                    StreamError::Truncated
                } else {
                    invalid_json(&line, &e)
                };
                self.fail(err.clone());
                Err(err)
            }
        }
    }
}

/// If a progress/stream JSON value reports a failure (`errorDetail.message`
/// or `error`), its message.
///
/// The engine answers `200 OK` before it knows whether a pull or push will
/// work, so failures come this way. An `errorDetail` or `error` without a
/// readable message still counts, quoted as JSON, lest it be missed.
pub fn progress_error(value: &Value) -> Option<String> {
    fn non_empty(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str).filter(|s| !s.is_empty())
    }
    let object = value.as_object()?;
    let detail = object.get("errorDetail").filter(|v| !v.is_null());
    let error = object.get("error").filter(|v| !v.is_null());
    if let Some(message) = non_empty(detail.and_then(|d| d.get("message"))).or(non_empty(error)) {
        return Some(message.to_owned());
    }
    detail
        .or(error)
        .map(|v| format!("engine reported an error: {v}"))
}
