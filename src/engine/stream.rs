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

use std::collections::VecDeque;
use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use serde_json::Value;

/// Longest JSON line [`JsonLines::new`] accepts. Engine progress lines are
/// small; the cap only stops a broken or hostile engine from exhausting
/// memory.
pub const MAX_JSON_LINE: usize = 32 * 1024 * 1024;

/// Longest line [`LineSplitter::new`] holds before emitting it in pieces.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;

/// Cap on a stream-3 message: the engine's are one short sentence, so a longer
/// one is cut rather than buffered whole.
const MAX_ENGINE_MESSAGE: usize = 64 * 1024;

const HEADER_LEN: usize = 8;

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

    fn index(self) -> usize {
        match self {
            StreamKind::Stdin => 0,
            StreamKind::Stdout => 1,
            StreamKind::Stderr => 2,
        }
    }

    const ALL: [StreamKind; 3] = [StreamKind::Stdin, StreamKind::Stdout, StreamKind::Stderr];
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
fn excerpt(bytes: &[u8]) -> String {
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

/// Log/attach output decoder.
///
/// Yields pieces as soon as their bytes arrive rather than whole frames, so a
/// frame of any size costs no memory beyond the chunks pushed. Pieces are
/// never empty: an empty frame yields nothing.
#[derive(Debug)]
pub struct OutputDecoder {
    multiplexed: bool,
    input: VecDeque<Bytes>,
    state: FrameState,
    /// A framing error is final: after it the byte stream cannot be resynced.
    failed: Option<StreamError>,
}

#[derive(Debug)]
enum FrameState {
    Header {
        buf: [u8; HEADER_LEN],
        filled: usize,
    },
    Payload {
        kind: StreamKind,
        remaining: usize,
    },
    EngineMessage {
        message: Vec<u8>,
        remaining: usize,
    },
}

impl FrameState {
    fn header() -> Self {
        FrameState::Header {
            buf: [0; HEADER_LEN],
            filled: 0,
        }
    }
}

/// Validates a complete header and says what its payload is.
fn parse_header(header: &[u8; HEADER_LEN]) -> Result<FrameState, StreamError> {
    let [stream, p1, p2, p3, s0, s1, s2, s3] = *header;
    if stream > 3 || p1 != 0 || p2 != 0 || p3 != 0 {
        return Err(StreamError::Malformed(format!(
            "invalid frame header {} (expected a stream byte 0-3 and three zero bytes; \
             is the container using a tty?)",
            excerpt(header)
        )));
    }
    // u32 fits usize on every target that runs an engine client; saturate
    // rather than assume.
    let remaining = usize::try_from(u32::from_be_bytes([s0, s1, s2, s3])).unwrap_or(usize::MAX);
    Ok(match stream {
        0 => FrameState::Payload {
            kind: StreamKind::Stdin,
            remaining,
        },
        1 => FrameState::Payload {
            kind: StreamKind::Stdout,
            remaining,
        },
        2 => FrameState::Payload {
            kind: StreamKind::Stderr,
            remaining,
        },
        _ => FrameState::EngineMessage {
            message: Vec::new(),
            remaining,
        },
    })
}

impl OutputDecoder {
    /// For a container without a TTY: the body is a sequence of frames.
    pub fn multiplexed() -> Self {
        Self::with_mode(true)
    }

    /// For a TTY container: no frames, everything is [`StreamKind::Stdout`]
    /// (the TTY has merged stderr into it already).
    pub fn raw() -> Self {
        Self::with_mode(false)
    }

    fn with_mode(multiplexed: bool) -> Self {
        OutputDecoder {
            multiplexed,
            input: VecDeque::new(),
            state: FrameState::header(),
            failed: None,
        }
    }

    /// Queues a chunk of the body; it is sliced, not copied, into pieces.
    pub fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.input.push_back(chunk);
        }
    }

    /// Next decoded piece of output, or None when more input is needed.
    ///
    /// A stream-3 frame comes out as `Err(StreamError::Engine)`; decoding may
    /// go on after it. `Err(Malformed)` is final and returned again on every
    /// later call.
    pub fn next_piece(&mut self) -> Result<Option<(StreamKind, Bytes)>, StreamError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if !self.multiplexed {
            return Ok(self.input.pop_front().map(|c| (StreamKind::Stdout, c)));
        }
        loop {
            match &mut self.state {
                FrameState::Header { buf, filled } => {
                    let Some(chunk) = self.input.front_mut() else {
                        return Ok(None);
                    };
                    let n = (HEADER_LEN - *filled).min(chunk.len());
                    buf[*filled..*filled + n].copy_from_slice(&chunk[..n]);
                    chunk.advance(n);
                    if chunk.is_empty() {
                        self.input.pop_front();
                    }
                    *filled += n;
                    if *filled == HEADER_LEN {
                        let header = *buf;
                        match parse_header(&header) {
                            Ok(state) => self.state = state,
                            Err(err) => {
                                self.failed = Some(err.clone());
                                return Err(err);
                            }
                        }
                    }
                }
                FrameState::Payload { kind, remaining } => {
                    let kind = *kind;
                    if *remaining == 0 {
                        self.state = FrameState::header();
                        continue;
                    }
                    let Some(chunk) = self.input.front_mut() else {
                        return Ok(None);
                    };
                    let n = (*remaining).min(chunk.len());
                    let piece = chunk.split_to(n);
                    if chunk.is_empty() {
                        self.input.pop_front();
                    }
                    *remaining -= n;
                    if *remaining == 0 {
                        self.state = FrameState::header();
                    }
                    return Ok(Some((kind, piece)));
                }
                FrameState::EngineMessage { message, remaining } => {
                    if *remaining > 0 {
                        let Some(chunk) = self.input.front_mut() else {
                            return Ok(None);
                        };
                        let n = (*remaining).min(chunk.len());
                        let room = MAX_ENGINE_MESSAGE.saturating_sub(message.len());
                        message.extend_from_slice(&chunk[..n.min(room)]);
                        chunk.advance(n);
                        if chunk.is_empty() {
                            self.input.pop_front();
                        }
                        *remaining -= n;
                        continue;
                    }
                    let text = String::from_utf8_lossy(message).trim_end().to_owned();
                    self.state = FrameState::header();
                    return Err(StreamError::Engine(text));
                }
            }
        }
    }

    /// Call at end of input: Err(Truncated) if a frame was cut short, Ok
    /// otherwise.
    ///
    /// Meant for after [`next_piece`](Self::next_piece) returned `Ok(None)`;
    /// input still queued then counts as unfinished too.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if !self.multiplexed {
            return Ok(());
        }
        let mid_frame = match &self.state {
            FrameState::Header { filled, .. } => *filled > 0,
            FrameState::Payload { remaining, .. } => *remaining > 0,
            FrameState::EngineMessage { .. } => true,
        };
        if mid_frame || !self.input.is_empty() {
            return Err(StreamError::Truncated);
        }
        Ok(())
    }
}

/// Splits output pieces into lines per stream (stdout and stderr lines are
/// separate, a piece of stderr must not be glued to a pending stdout line).
/// Lines keep no trailing newline ("\n", and a "\r\n" ending loses the "\r"
/// too). A line longer than max_line is emitted in max_line pieces (bounded
/// memory).
///
/// Lines come out in the order they were completed, which keeps each stream's
/// order. A line that fits in one piece is a zero-copy slice of it.
#[derive(Debug)]
pub struct LineSplitter {
    max_line: usize,
    partial: [PartialLine; 3],
    ready: VecDeque<(StreamKind, Bytes)>,
    /// Counts pushes, so that `finish` can flush partial lines in the order
    /// their last byte arrived.
    clock: u64,
}

/// The unfinished line of one stream.
#[derive(Debug, Default)]
struct PartialLine {
    /// At most `max_line` bytes.
    bytes: BytesMut,
    /// A '\r' seen last and held back: it is dropped if '\n' follows.
    cr: bool,
    last_push: u64,
}

impl PartialLine {
    fn is_empty(&self) -> bool {
        self.bytes.is_empty() && !self.cr
    }

    fn emit(&mut self, kind: StreamKind, ready: &mut VecDeque<(StreamKind, Bytes)>) {
        // Copy rather than split, so the buffer keeps its allocation.
        ready.push_back((kind, Bytes::copy_from_slice(&self.bytes)));
        self.bytes.clear();
    }

    /// Adds line content, emitting a full `max` piece only once more content
    /// follows it (so a line of exactly `max` bytes is one piece, not two).
    fn append(
        &mut self,
        kind: StreamKind,
        mut data: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        while !data.is_empty() {
            if self.bytes.len() >= max {
                self.emit(kind, ready);
            }
            if self.bytes.is_empty() && data.len() > max {
                ready.push_back((kind, data.split_to(max)));
                continue;
            }
            let n = (max - self.bytes.len()).min(data.len());
            self.bytes.extend_from_slice(&data[..n]);
            data.advance(n);
        }
    }

    /// Adds bytes that hold no '\n', holding back a trailing '\r'.
    fn extend(
        &mut self,
        kind: StreamKind,
        mut data: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        if data.is_empty() {
            return;
        }
        if std::mem::take(&mut self.cr) {
            self.append(kind, Bytes::from_static(b"\r"), max, ready);
        }
        let trailing_cr = data.last() == Some(&b'\r');
        if trailing_cr {
            data.truncate(data.len() - 1);
        }
        self.append(kind, data, max, ready);
        self.cr = trailing_cr;
    }

    /// Completes the line with `last`, the bytes before a '\n'.
    fn end_line(
        &mut self,
        kind: StreamKind,
        mut last: Bytes,
        max: usize,
        ready: &mut VecDeque<(StreamKind, Bytes)>,
    ) {
        if self.is_empty() {
            // The whole line is in this piece: slice it, copy nothing.
            if last.last() == Some(&b'\r') {
                last.truncate(last.len() - 1);
            }
            while last.len() > max {
                ready.push_back((kind, last.split_to(max)));
            }
            ready.push_back((kind, last));
        } else {
            self.extend(kind, last, max, ready);
            self.cr = false;
            self.emit(kind, ready);
        }
    }
}

impl Default for LineSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl LineSplitter {
    /// A splitter with lines of at most [`DEFAULT_MAX_LINE`] bytes.
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A splitter emitting longer lines in `max` pieces (at least 1 byte).
    pub fn with_max_line(max: usize) -> Self {
        LineSplitter {
            max_line: max.max(1),
            partial: Default::default(),
            ready: VecDeque::new(),
            clock: 0,
        }
    }

    /// Adds a piece of output, as [`OutputDecoder::next_piece`] gives it.
    pub fn push(&mut self, kind: StreamKind, piece: Bytes) {
        if piece.is_empty() {
            return;
        }
        self.clock = self.clock.wrapping_add(1);
        let max = self.max_line;
        let ready = &mut self.ready;
        let partial = &mut self.partial[kind.index()];
        partial.last_push = self.clock;
        let mut rest = piece;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let line = rest.split_to(pos);
            rest.advance(1);
            partial.end_line(kind, line, max, ready);
        }
        partial.extend(kind, rest, max, ready);
    }

    /// The next complete line, or None until more is pushed.
    pub fn next_line(&mut self) -> Option<(StreamKind, Bytes)> {
        self.ready.pop_front()
    }

    /// Whether some stream has an unfinished line (one without its '\n').
    pub fn has_partial(&self) -> bool {
        self.partial.iter().any(|p| !p.is_empty())
    }

    /// End of input: the pending partial lines (a last line without newline
    /// is still a line), after any complete ones not yet taken. Call
    /// repeatedly until None.
    pub fn finish(&mut self) -> Option<(StreamKind, Bytes)> {
        if let Some(line) = self.ready.pop_front() {
            return Some(line);
        }
        let index = (0..self.partial.len())
            .filter(|&i| !self.partial[i].is_empty())
            .min_by_key(|&i| self.partial[i].last_push)?;
        let kind = StreamKind::ALL[index];
        let partial = &mut self.partial[index];
        // Without a '\n' after it, a held-back '\r' is content.
        if std::mem::take(&mut partial.cr) {
            partial.append(
                kind,
                Bytes::from_static(b"\r"),
                self.max_line,
                &mut self.ready,
            );
        }
        if !partial.bytes.is_empty() {
            partial.emit(kind, &mut self.ready);
        }
        self.ready.pop_front()
    }
}

/// Newline-delimited JSON decoder.
///
/// Lines may end in "\n" or "\r\n"; blank lines are skipped. Any error is
/// final and returned again on every later call: after a bad line the caller
/// cannot trust the rest of the stream anyway.
#[derive(Debug)]
pub struct JsonLines {
    max_line: usize,
    input: VecDeque<Bytes>,
    /// The unfinished line, at most `max_line` bytes.
    line: BytesMut,
    failed: Option<StreamError>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // ---- helpers ----

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let size = u32::try_from(payload.len()).expect("test payload fits u32");
        let mut out = vec![stream, 0, 0, 0];
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// What a decoder produced: adjacent output of one stream is merged, so
    /// that results of differently split inputs compare equal.
    #[derive(Debug, PartialEq)]
    enum Event {
        Out(StreamKind, Vec<u8>),
        Engine(String),
        Failed(StreamError),
    }

    fn decode_output(
        mut dec: OutputDecoder,
        chunks: &[&[u8]],
    ) -> (Vec<Event>, Result<(), StreamError>) {
        let mut events = Vec::new();
        for chunk in chunks {
            dec.push(Bytes::copy_from_slice(chunk));
            loop {
                match dec.next_piece() {
                    Ok(Some((kind, piece))) => {
                        assert!(!piece.is_empty(), "empty piece");
                        match events.last_mut() {
                            Some(Event::Out(last, buf)) if *last == kind => {
                                buf.extend_from_slice(&piece)
                            }
                            _ => events.push(Event::Out(kind, piece.to_vec())),
                        }
                    }
                    Ok(None) => break,
                    Err(StreamError::Engine(message)) => events.push(Event::Engine(message)),
                    Err(err) => {
                        events.push(Event::Failed(err));
                        return (events, dec.finish());
                    }
                }
            }
        }
        (events, dec.finish())
    }

    fn big_payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| b"0123456789abcdef\n"[i % 17]).collect()
    }

    /// A realistic non-TTY log body and the offsets where its frames end.
    fn sample_frames() -> (Vec<u8>, Vec<usize>) {
        let frames = [
            frame(1, b"starting server on :8080\n"),
            frame(2, b"warning: low memory\n"),
            frame(1, b""),
            frame(
                1,
                "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1f433}\n".as_bytes(),
            ),
            frame(2, &big_payload(6000)),
            frame(0, b"stdin echo\n"),
            frame(3, b"exec failed: no such file or directory\n"),
            frame(1, b"after the error\n"),
            frame(2, b"no newline at the end"),
        ];
        let mut body = Vec::new();
        let mut ends = vec![0];
        for f in &frames {
            body.extend_from_slice(f);
            ends.push(body.len());
        }
        (body, ends)
    }

    fn expected_sample_events() -> Vec<Event> {
        vec![
            Event::Out(StreamKind::Stdout, b"starting server on :8080\n".to_vec()),
            Event::Out(StreamKind::Stderr, b"warning: low memory\n".to_vec()),
            Event::Out(
                StreamKind::Stdout,
                "h\u{e9}llo w\u{f6}rld \u{2713} \u{65e5}\u{672c}\u{8a9e} \u{1f433}\n"
                    .as_bytes()
                    .to_vec(),
            ),
            Event::Out(StreamKind::Stderr, big_payload(6000)),
            Event::Out(StreamKind::Stdin, b"stdin echo\n".to_vec()),
            Event::Engine("exec failed: no such file or directory".to_owned()),
            Event::Out(StreamKind::Stdout, b"after the error\n".to_vec()),
            Event::Out(StreamKind::Stderr, b"no newline at the end".to_vec()),
        ]
    }

    /// A small deterministic generator, so "random" tests are reproducible.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    // ---- StreamKind, StreamError ----

    #[test]
    fn stream_kind_names() {
        assert_eq!(StreamKind::Stdin.name(), "stdin");
        assert_eq!(StreamKind::Stdout.name(), "stdout");
        assert_eq!(StreamKind::Stderr.name(), "stderr");
    }

    #[test]
    fn error_display() {
        assert_eq!(
            StreamError::Engine("boom".into()).to_string(),
            "engine error: boom"
        );
        assert_eq!(
            StreamError::Malformed("bad \"x\"".into()).to_string(),
            "malformed stream: bad \"x\""
        );
        assert_eq!(
            StreamError::Truncated.to_string(),
            "stream ended in the middle of a frame or line"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(StreamError::Truncated);
        assert!(boxed.source().is_none());
    }

    #[test]
    fn excerpt_is_short_quoted_and_keeps_characters_whole() {
        assert_eq!(excerpt(b"abc"), "\"abc\"");
        assert_eq!(excerpt(b"a\"b\n"), "\"a\\\"b\\n\"");
        let long = "\u{e9}".repeat(100);
        let quoted = excerpt(long.as_bytes());
        assert!(quoted.ends_with("..."));
        assert!(!quoted.contains('\u{fffd}'), "{quoted}");
        assert_eq!(quoted.matches('\u{e9}').count(), EXCERPT_LEN / 2);
        // Genuine garbage is shown, not hidden.
        assert!(excerpt(&[0xff, b'a']).contains('\u{fffd}'));
    }

    // ---- OutputDecoder ----

    #[test]
    fn multiplexed_sample_unsplit() {
        let (body, _) = sample_frames();
        let (events, end) = decode_output(OutputDecoder::multiplexed(), &[&body]);
        assert_eq!(events, expected_sample_events());
        assert_eq!(end, Ok(()));
    }

    #[test]
    fn multiplexed_split_at_every_byte_position() {
        let (body, _) = sample_frames();
        let expected = expected_sample_events();
        for at in 0..=body.len() {
            let (head, tail) = body.split_at(at);
            let (events, end) = decode_output(OutputDecoder::multiplexed(), &[head, tail]);
            assert_eq!(events, expected, "split at {at}");
            assert_eq!(end, Ok(()), "split at {at}");
        }
    }

    #[test]
    fn multiplexed_one_byte_at_a_time() {
        let (body, _) = sample_frames();
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        let (events, end) = decode_output(OutputDecoder::multiplexed(), &chunks);
        assert_eq!(events, expected_sample_events());
        assert_eq!(end, Ok(()));
    }

    #[test]
    fn multiplexed_random_chunking() {
        let (body, _) = sample_frames();
        let expected = expected_sample_events();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let mut chunks = Vec::new();
            let mut rest = &body[..];
            while !rest.is_empty() {
                let (c, r) = rest.split_at((rng.below(40)).min(rest.len()));
                chunks.push(c);
                rest = r;
            }
            let (events, end) = decode_output(OutputDecoder::multiplexed(), &chunks);
            assert_eq!(events, expected);
            assert_eq!(end, Ok(()));
        }
    }

    #[test]
    fn multiplexed_truncated_exactly_when_cut_inside_a_frame() {
        let (body, ends) = sample_frames();
        for len in 0..body.len() {
            let (_, end) = decode_output(OutputDecoder::multiplexed(), &[&body[..len]]);
            if ends.contains(&len) {
                assert_eq!(end, Ok(()), "prefix {len}");
            } else {
                assert_eq!(end, Err(StreamError::Truncated), "prefix {len}");
            }
        }
    }

    #[test]
    fn multiplexed_stream_kinds() {
        let mut body = frame(0, b"in");
        body.extend(frame(1, b"out"));
        body.extend(frame(2, b"err"));
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from(body));
        let mut got = Vec::new();
        while let Some((kind, piece)) = dec.next_piece().expect("valid frames") {
            got.push((kind, piece));
        }
        assert_eq!(
            got,
            vec![
                (StreamKind::Stdin, Bytes::from_static(b"in")),
                (StreamKind::Stdout, Bytes::from_static(b"out")),
                (StreamKind::Stderr, Bytes::from_static(b"err")),
            ]
        );
    }

    #[test]
    fn split_frame_yields_pieces_of_the_same_stream() {
        let body = frame(2, b"abcdef");
        let mut dec = OutputDecoder::multiplexed();
        let mut got = Vec::new();
        for chunk in [&body[..10], &body[10..12], &body[12..]] {
            dec.push(Bytes::copy_from_slice(chunk));
            while let Some(piece) = dec.next_piece().expect("valid frame") {
                got.push(piece);
            }
        }
        assert_eq!(
            got,
            vec![
                (StreamKind::Stderr, Bytes::from_static(b"ab")),
                (StreamKind::Stderr, Bytes::from_static(b"cd")),
                (StreamKind::Stderr, Bytes::from_static(b"ef")),
            ]
        );
        assert_eq!(dec.finish(), Ok(()));
    }

    #[test]
    fn engine_error_frame_then_decoding_goes_on() {
        let mut body = frame(3, b"container not running\r\n");
        body.extend(frame(3, b""));
        body.extend(frame(1, b"ok"));
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from(body));
        assert_eq!(
            dec.next_piece(),
            Err(StreamError::Engine("container not running".into()))
        );
        assert_eq!(dec.next_piece(), Err(StreamError::Engine(String::new())));
        assert_eq!(
            dec.next_piece(),
            Ok(Some((StreamKind::Stdout, Bytes::from_static(b"ok"))))
        );
        assert_eq!(dec.next_piece(), Ok(None));
        assert_eq!(dec.finish(), Ok(()));
    }

    #[test]
    fn engine_error_message_is_capped() {
        let mut body = frame(3, &vec![b'x'; 3 * MAX_ENGINE_MESSAGE]);
        body.extend(frame(1, b"next"));
        let mut dec = OutputDecoder::multiplexed();
        for chunk in body.chunks(1000) {
            dec.push(Bytes::copy_from_slice(chunk));
        }
        match dec.next_piece() {
            Err(StreamError::Engine(message)) => assert_eq!(message.len(), MAX_ENGINE_MESSAGE),
            other => panic!("expected an engine error, got {other:?}"),
        }
        assert_eq!(
            dec.next_piece(),
            Ok(Some((StreamKind::Stdout, Bytes::from_static(b"next"))))
        );
    }

    #[test]
    fn engine_error_message_invalid_utf8_is_lossy() {
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from(frame(3, b"bad \xff byte")));
        assert_eq!(
            dec.next_piece(),
            Err(StreamError::Engine("bad \u{fffd} byte".into()))
        );
    }

    #[test]
    fn tty_bytes_fed_to_multiplexed_are_malformed_and_final() {
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from_static(b"hello world from a tty\n"));
        let err = dec.next_piece().expect_err("not a frame");
        let StreamError::Malformed(message) = &err else {
            panic!("expected malformed, got {err:?}");
        };
        assert!(message.contains("\"hello wo\""), "{message}");
        assert!(message.starts_with("invalid frame header"), "{message}");
        assert_eq!(message, &message.to_lowercase());
        // Final: the same error again, from next_piece and finish.
        assert_eq!(dec.next_piece(), Err(err.clone()));
        dec.push(Bytes::from(frame(1, b"x")));
        assert_eq!(dec.next_piece(), Err(err.clone()));
        assert_eq!(dec.finish(), Err(err));
    }

    #[test]
    fn bad_headers_are_malformed() {
        for header in [
            [4u8, 0, 0, 0, 0, 0, 0, 1],
            [255, 0, 0, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0, 1],
            [1, 0, 0, 7, 0, 0, 0, 1],
        ] {
            let mut dec = OutputDecoder::multiplexed();
            // Even split inside the header.
            dec.push(Bytes::copy_from_slice(&header[..3]));
            assert_eq!(dec.next_piece(), Ok(None));
            dec.push(Bytes::copy_from_slice(&header[3..]));
            assert!(
                matches!(dec.next_piece(), Err(StreamError::Malformed(_))),
                "{header:?}"
            );
        }
    }

    #[test]
    fn huge_frame_is_streamed_in_bounded_zero_copy_pieces() {
        const CHUNK: usize = 64 * 1024;
        const SIZE: usize = 10 * 1024 * 1024;
        let payload = big_payload(SIZE);
        let mut body = frame(1, &payload);
        body.extend(frame(2, b"done"));
        let mut dec = OutputDecoder::multiplexed();
        let mut stdout = Vec::with_capacity(SIZE);
        let mut stderr = Vec::new();
        let mut pieces = 0;
        for chunk in body.chunks(CHUNK) {
            let chunk = Bytes::copy_from_slice(chunk);
            let start = chunk.as_ptr() as usize;
            let range = start..start + chunk.len();
            dec.push(chunk);
            while let Some((kind, piece)) = dec.next_piece().expect("valid frames") {
                assert!(piece.len() <= CHUNK, "piece of {} bytes", piece.len());
                // A slice of the pushed chunk, not a copy.
                assert!(range.contains(&(piece.as_ptr() as usize)));
                match kind {
                    StreamKind::Stdout => stdout.extend_from_slice(&piece),
                    StreamKind::Stderr => stderr.extend_from_slice(&piece),
                    StreamKind::Stdin => panic!("no stdin frame was sent"),
                }
                pieces += 1;
            }
            // Nothing is held back once drained.
            assert!(dec.input.is_empty());
        }
        assert!(pieces >= SIZE / CHUNK);
        assert!(stdout == payload, "payload differs");
        assert_eq!(stderr, b"done");
        assert_eq!(dec.finish(), Ok(()));
    }

    #[test]
    fn max_size_header_does_not_panic() {
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from_static(&[
            1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'a',
        ]));
        assert_eq!(
            dec.next_piece(),
            Ok(Some((StreamKind::Stdout, Bytes::from_static(b"a"))))
        );
        assert_eq!(dec.next_piece(), Ok(None));
        assert_eq!(dec.finish(), Err(StreamError::Truncated));
    }

    #[test]
    fn finish_with_undrained_input_is_truncated() {
        let mut dec = OutputDecoder::multiplexed();
        dec.push(Bytes::from(frame(1, b"x")));
        assert_eq!(dec.finish(), Err(StreamError::Truncated));
    }

    #[test]
    fn raw_mode_passes_everything_as_stdout() {
        let (body, _) = sample_frames();
        for at in (0..=body.len()).step_by(7) {
            let (head, tail) = body.split_at(at);
            let (events, end) = decode_output(OutputDecoder::raw(), &[head, tail]);
            if body.is_empty() {
                assert!(events.is_empty());
            } else {
                assert_eq!(events, vec![Event::Out(StreamKind::Stdout, body.clone())]);
            }
            assert_eq!(end, Ok(()));
        }
    }

    #[test]
    fn raw_mode_keeps_chunks_whole_and_skips_empty_ones() {
        let mut dec = OutputDecoder::raw();
        dec.push(Bytes::from_static(b"abc"));
        dec.push(Bytes::new());
        dec.push(Bytes::from_static(&[3, 0, 0, 0, 0, 0, 0, 1, b'z']));
        assert_eq!(
            dec.next_piece(),
            Ok(Some((StreamKind::Stdout, Bytes::from_static(b"abc"))))
        );
        assert_eq!(
            dec.next_piece(),
            Ok(Some((
                StreamKind::Stdout,
                Bytes::from_static(&[3, 0, 0, 0, 0, 0, 0, 1, b'z'])
            )))
        );
        assert_eq!(dec.next_piece(), Ok(None));
        assert_eq!(dec.finish(), Ok(()));
    }

    #[test]
    fn output_decoder_survives_random_bytes() {
        let mut rng = Rng(12345);
        for _ in 0..500 {
            let mut body = Vec::new();
            for _ in 0..rng.below(6) {
                // Mostly plausible frames, sometimes a bad stream byte.
                let stream = rng.below(5) as u8;
                let payload: Vec<u8> = (0..rng.below(30)).map(|_| rng.next() as u8).collect();
                let mut f = frame(stream, &payload);
                if rng.below(10) == 0 {
                    let i = rng.below(f.len());
                    f[i] = rng.next() as u8;
                }
                if rng.below(10) == 0 {
                    f.truncate(rng.below(f.len() + 1));
                }
                body.extend(f);
            }
            let chunks: Vec<&[u8]> = body.chunks(1 + rng.below(9)).collect();
            let _ = decode_output(OutputDecoder::multiplexed(), &chunks);
        }
    }

    // ---- LineSplitter ----

    fn drain_lines(splitter: &mut LineSplitter, out: &mut Vec<(StreamKind, Vec<u8>)>) {
        while let Some((kind, line)) = splitter.next_line() {
            out.push((kind, line.to_vec()));
        }
    }

    fn finish_lines(splitter: &mut LineSplitter, out: &mut Vec<(StreamKind, Vec<u8>)>) {
        while let Some((kind, line)) = splitter.finish() {
            out.push((kind, line.to_vec()));
        }
    }

    fn split_lines(max: usize, pieces: &[(StreamKind, &[u8])]) -> Vec<(StreamKind, Vec<u8>)> {
        let mut splitter = LineSplitter::with_max_line(max);
        let mut out = Vec::new();
        for (kind, piece) in pieces {
            splitter.push(*kind, Bytes::copy_from_slice(piece));
            drain_lines(&mut splitter, &mut out);
            for partial in &splitter.partial {
                assert!(partial.bytes.len() <= splitter.max_line);
            }
        }
        finish_lines(&mut splitter, &mut out);
        out
    }

    fn lines(kind: StreamKind, list: &[&str]) -> Vec<(StreamKind, Vec<u8>)> {
        list.iter().map(|l| (kind, l.as_bytes().to_vec())).collect()
    }

    const OUT: StreamKind = StreamKind::Stdout;
    const ERR: StreamKind = StreamKind::Stderr;

    #[test]
    fn lines_basic_and_last_line_without_newline() {
        let got = split_lines(100, &[(OUT, b"one\ntwo\n\nthree")]);
        assert_eq!(got, lines(OUT, &["one", "two", "", "three"]));
        assert!(split_lines(100, &[(OUT, b"")]).is_empty());
        assert_eq!(split_lines(100, &[(OUT, b"\n")]), lines(OUT, &[""]));
    }

    #[test]
    fn lines_not_ready_before_newline() {
        let mut splitter = LineSplitter::new();
        splitter.push(OUT, Bytes::from_static(b"partial"));
        assert_eq!(splitter.next_line(), None);
        splitter.push(OUT, Bytes::from_static(b" line\nrest"));
        assert_eq!(
            splitter.next_line(),
            Some((OUT, Bytes::from_static(b"partial line")))
        );
        assert_eq!(splitter.next_line(), None);
        assert_eq!(splitter.finish(), Some((OUT, Bytes::from_static(b"rest"))));
        assert_eq!(splitter.finish(), None);
        assert_eq!(splitter.finish(), None);
    }

    #[test]
    fn lines_crlf() {
        assert_eq!(
            split_lines(100, &[(OUT, b"a\r\nb\r\n\r\nc")]),
            lines(OUT, &["a", "b", "", "c"])
        );
        // Split between '\r' and '\n'.
        assert_eq!(
            split_lines(100, &[(OUT, b"a\r"), (OUT, b"\nb\r"), (OUT, b"\n")]),
            lines(OUT, &["a", "b"])
        );
        // Only the '\r' right before '\n' goes.
        assert_eq!(
            split_lines(100, &[(OUT, b"a\rb\n\r\r\n"), (OUT, b"\r"), (OUT, b"x\n")]),
            lines(OUT, &["a\rb", "\r", "\rx"])
        );
        // A last line ending in '\r' but no '\n' keeps it.
        assert_eq!(split_lines(100, &[(OUT, b"end\r")]), lines(OUT, &["end\r"]));
        assert_eq!(split_lines(100, &[(OUT, b"\r")]), lines(OUT, &["\r"]));
    }

    #[test]
    fn lines_longer_than_max_come_in_pieces() {
        assert_eq!(
            split_lines(3, &[(OUT, b"abcdefgh\nxy\n")]),
            lines(OUT, &["abc", "def", "gh", "xy"])
        );
        // Exactly max: one piece, no empty extra.
        assert_eq!(split_lines(3, &[(OUT, b"abc\n")]), lines(OUT, &["abc"]));
        assert_eq!(
            split_lines(3, &[(OUT, b"ab"), (OUT, b"cdef"), (OUT, b"\n")]),
            lines(OUT, &["abc", "def"])
        );
        assert_eq!(split_lines(3, &[(OUT, b"abc\r\n")]), lines(OUT, &["abc"]));
        assert_eq!(
            split_lines(3, &[(OUT, b"abc"), (OUT, b"\r"), (OUT, b"\n")]),
            lines(OUT, &["abc"])
        );
        assert_eq!(split_lines(2, &[(OUT, b"ab\r")]), lines(OUT, &["ab", "\r"]));
        // A full piece is emitted as soon as more of the line arrives.
        let mut splitter = LineSplitter::with_max_line(4);
        splitter.push(OUT, Bytes::from_static(b"abcd"));
        assert_eq!(splitter.next_line(), None);
        splitter.push(OUT, Bytes::from_static(b"e"));
        assert_eq!(
            splitter.next_line(),
            Some((OUT, Bytes::from_static(b"abcd")))
        );
        // Zero max is treated as 1.
        assert_eq!(split_lines(0, &[(OUT, b"ab\n")]), lines(OUT, &["a", "b"]));
    }

    #[test]
    fn lines_memory_is_bounded_by_max() {
        let mut splitter = LineSplitter::with_max_line(1000);
        let block = Bytes::from(vec![b'x'; 64 * 1024]);
        let mut total = 0;
        for _ in 0..100 {
            splitter.push(ERR, block.clone());
            while let Some((kind, line)) = splitter.next_line() {
                assert_eq!(kind, ERR);
                assert_eq!(line.len(), 1000);
                total += line.len();
            }
            assert!(splitter.partial[ERR.index()].bytes.len() <= 1000);
        }
        while let Some((_, line)) = splitter.finish() {
            total += line.len();
        }
        assert_eq!(total, 100 * 64 * 1024);
    }

    #[test]
    fn lines_of_streams_are_kept_apart_in_completion_order() {
        let got = split_lines(100, &[(OUT, b"a"), (ERR, b"b\n"), (OUT, b"c\n")]);
        assert_eq!(got, vec![(ERR, b"b".to_vec()), (OUT, b"ac".to_vec())]);

        let got = split_lines(
            100,
            &[
                (OUT, b"o1\no2"),
                (ERR, b"e1"),
                (OUT, b"-end\n"),
                (ERR, b"\ne2\n"),
                (StreamKind::Stdin, b"i1\n"),
            ],
        );
        assert_eq!(
            got,
            vec![
                (OUT, b"o1".to_vec()),
                (OUT, b"o2-end".to_vec()),
                (ERR, b"e1".to_vec()),
                (ERR, b"e2".to_vec()),
                (StreamKind::Stdin, b"i1".to_vec()),
            ]
        );
    }

    #[test]
    fn lines_finish_flushes_partials_in_arrival_order() {
        assert_eq!(
            split_lines(100, &[(OUT, b"x"), (ERR, b"y")]),
            vec![(OUT, b"x".to_vec()), (ERR, b"y".to_vec())]
        );
        assert_eq!(
            split_lines(100, &[(OUT, b"x"), (ERR, b"y"), (OUT, b"z")]),
            vec![(ERR, b"y".to_vec()), (OUT, b"xz".to_vec())]
        );
        // Complete lines not yet taken come first.
        let mut splitter = LineSplitter::new();
        splitter.push(ERR, Bytes::from_static(b"partial"));
        splitter.push(OUT, Bytes::from_static(b"whole\n"));
        let mut out = Vec::new();
        finish_lines(&mut splitter, &mut out);
        assert_eq!(
            out,
            vec![(OUT, b"whole".to_vec()), (ERR, b"partial".to_vec())]
        );
    }

    #[test]
    fn whole_lines_are_zero_copy_slices() {
        let piece = Bytes::from_static(b"first\nsecond\n");
        let mut splitter = LineSplitter::new();
        splitter.push(OUT, piece.clone());
        let range = piece.as_ptr() as usize..piece.as_ptr() as usize + piece.len();
        while let Some((_, line)) = splitter.next_line() {
            assert!(range.contains(&(line.as_ptr() as usize)));
        }
    }

    /// What the splitter must produce for one stream's whole content.
    fn reference_lines(content: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut segments: Vec<&[u8]> = content.split(|&b| b == b'\n').collect();
        let last = segments.pop().unwrap_or_default();
        for mut line in segments {
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                out.push(Vec::new());
            }
            out.extend(line.chunks(max).map(<[u8]>::to_vec));
        }
        out.extend(last.chunks(max).map(<[u8]>::to_vec));
        out
    }

    #[test]
    fn lines_match_reference_on_random_input() {
        let mut rng = Rng(0xdead_beef);
        for _ in 0..2000 {
            let max = 1 + rng.below(6);
            let mut pieces: Vec<(StreamKind, Vec<u8>)> = Vec::new();
            for _ in 0..rng.below(12) {
                let kind = StreamKind::ALL[rng.below(3)];
                let piece = (0..rng.below(12))
                    .map(|_| b"ab\r\n"[rng.below(4)])
                    .collect();
                pieces.push((kind, piece));
            }
            let borrowed: Vec<(StreamKind, &[u8])> =
                pieces.iter().map(|(k, p)| (*k, &p[..])).collect();
            let got = split_lines(max, &borrowed);
            for kind in StreamKind::ALL {
                let content: Vec<u8> = pieces
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .flat_map(|(_, p)| p.iter().copied())
                    .collect();
                let got_kind: Vec<Vec<u8>> = got
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, l)| l.clone())
                    .collect();
                assert_eq!(
                    got_kind,
                    reference_lines(&content, max),
                    "max {max}, pieces {pieces:?}"
                );
            }
        }
    }

    /// Log frames through both decoders, as the logs endpoint will use them.
    fn decode_log_lines(chunks: &[&[u8]]) -> (Vec<(StreamKind, Vec<u8>)>, Vec<String>) {
        let mut dec = OutputDecoder::multiplexed();
        let mut splitter = LineSplitter::with_max_line(4096);
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for chunk in chunks {
            dec.push(Bytes::copy_from_slice(chunk));
            loop {
                match dec.next_piece() {
                    Ok(Some((kind, piece))) => splitter.push(kind, piece),
                    Ok(None) => break,
                    Err(StreamError::Engine(message)) => errors.push(message),
                    Err(err) => panic!("unexpected {err:?}"),
                }
            }
            drain_lines(&mut splitter, &mut out);
        }
        assert_eq!(dec.finish(), Ok(()));
        finish_lines(&mut splitter, &mut out);
        (out, errors)
    }

    #[test]
    fn log_lines_split_at_every_byte_position() {
        let (mut body, _) = sample_frames();
        body.extend(frame(1, b"line one\r\nline "));
        body.extend(frame(2, b"err interleaved\n"));
        body.extend(frame(1, b"two\n"));
        let (expected, errors) = decode_log_lines(&[&body]);
        assert_eq!(
            errors,
            vec!["exec failed: no such file or directory".to_owned()]
        );
        assert!(expected.contains(&(OUT, b"line two".to_vec())));
        assert!(expected.contains(&(OUT, b"line one".to_vec())));
        // The big stderr payload ends without a newline, so later stderr
        // frames continue its last line.
        assert!(expected
            .iter()
            .any(|(k, l)| *k == ERR && l.ends_with(b"cdefno newline at the enderr interleaved")));
        for at in 0..=body.len() {
            let (head, tail) = body.split_at(at);
            assert_eq!(decode_log_lines(&[head, tail]).0, expected, "split at {at}");
        }
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode_log_lines(&chunks).0, expected);
    }

    // ---- JsonLines ----

    const PULL: &str = concat!(
        "{\"status\":\"Pulling from library/alpine\",\"id\":\"latest\"}\r\n",
        "\r\n",
        "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"a1b2c3d4e5f6\"}\r\n",
        "   \n",
        "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1024,\"total\":3397879},",
        "\"progress\":\"[>      ]  1.024kB/3.398MB\",\"id\":\"a1b2c3d4e5f6\"}\r\n",
        "\n",
        "{\"status\":\"T\u{e9}l\u{e9}chargement \u{2713} \u{65e5}\u{672c} \u{1f433}\"}\n",
        "{\"errorDetail\":{\"message\":\"manifest for alpine:nope not found\"},",
        "\"error\":\"manifest for alpine:nope not found\"}\r\n",
        "{\"status\":\"last, without newline\"}",
    );

    fn pull_values() -> Vec<Value> {
        vec![
            json!({"status": "Pulling from library/alpine", "id": "latest"}),
            json!({"status": "Pulling fs layer", "progressDetail": {}, "id": "a1b2c3d4e5f6"}),
            json!({
                "status": "Downloading",
                "progressDetail": {"current": 1024, "total": 3397879},
                "progress": "[>      ]  1.024kB/3.398MB",
                "id": "a1b2c3d4e5f6"
            }),
            json!({"status": "T\u{e9}l\u{e9}chargement \u{2713} \u{65e5}\u{672c} \u{1f433}"}),
            json!({
                "errorDetail": {"message": "manifest for alpine:nope not found"},
                "error": "manifest for alpine:nope not found"
            }),
            json!({"status": "last, without newline"}),
        ]
    }

    fn decode_json(mut dec: JsonLines, chunks: &[&[u8]]) -> Result<Vec<Value>, StreamError> {
        let mut values = Vec::new();
        for chunk in chunks {
            dec.push(Bytes::copy_from_slice(chunk));
            while let Some(value) = dec.next_value()? {
                values.push(value);
            }
            assert!(dec.line.len() <= dec.max_line);
        }
        while let Some(value) = dec.finish()? {
            values.push(value);
        }
        Ok(values)
    }

    #[test]
    fn json_sample_unsplit() {
        let values = decode_json(JsonLines::new(), &[PULL.as_bytes()]).expect("valid sample");
        assert_eq!(values, pull_values());
        let errors: Vec<Option<String>> = values.iter().map(progress_error).collect();
        assert_eq!(
            errors,
            vec![
                None,
                None,
                None,
                None,
                Some("manifest for alpine:nope not found".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn json_split_at_every_byte_position() {
        let body = PULL.as_bytes();
        let expected = pull_values();
        for at in 0..=body.len() {
            let (head, tail) = body.split_at(at);
            assert_eq!(
                decode_json(JsonLines::new(), &[head, tail]),
                Ok(expected.clone()),
                "split at {at}"
            );
        }
    }

    #[test]
    fn json_one_byte_at_a_time() {
        let chunks: Vec<&[u8]> = PULL.as_bytes().chunks(1).collect();
        assert_eq!(decode_json(JsonLines::new(), &chunks), Ok(pull_values()));
    }

    #[test]
    fn json_prefixes_give_values_so_far_or_truncated() {
        let body = PULL.as_bytes();
        let expected = pull_values();
        let mut truncated = 0;
        for len in 0..=body.len() {
            match decode_json(JsonLines::new(), &[&body[..len]]) {
                Ok(values) => assert_eq!(values[..], expected[..values.len()], "prefix {len}"),
                Err(StreamError::Truncated) => truncated += 1,
                Err(err) => panic!("prefix {len}: {err:?}"),
            }
        }
        assert!(truncated > 0);
    }

    #[test]
    fn json_next_value_waits_for_the_newline() {
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(dec.next_value(), Ok(None));
        dec.push(Bytes::from_static(b"\r\n\r\n"));
        assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
        assert_eq!(dec.next_value(), Ok(None));
        assert_eq!(dec.finish(), Ok(None));
        assert_eq!(dec.finish(), Ok(None));
    }

    #[test]
    fn json_finish_returns_last_value_then_none() {
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}"));
        assert_eq!(dec.finish(), Ok(Some(json!({"a": 1}))));
        assert_eq!(dec.finish(), Ok(Some(json!({"b": 2}))));
        assert_eq!(dec.finish(), Ok(Some(json!({"c": 3}))));
        assert_eq!(dec.finish(), Ok(None));
    }

    #[test]
    fn json_garbage_at_the_end() {
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(b"{\"a\":1}\nnot json"));
        assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
        let err = dec.finish().expect_err("garbage");
        let StreamError::Malformed(message) = &err else {
            panic!("expected malformed, got {err:?}");
        };
        assert!(
            message.starts_with("invalid json \"not json\""),
            "{message}"
        );
        assert_eq!(dec.finish(), Err(err));
    }

    #[test]
    fn json_cut_value_at_the_end_is_truncated() {
        for tail in ["{\"status\":\"Downl", "{\"a\":", "[1,2", "\"abc"] {
            let mut dec = JsonLines::new();
            dec.push(Bytes::from(tail));
            assert_eq!(dec.next_value(), Ok(None));
            assert_eq!(dec.finish(), Err(StreamError::Truncated), "{tail}");
        }
    }

    #[test]
    fn json_invalid_line_is_malformed_and_final() {
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(
            b"{\"a\":1}\n<html>bad gateway</html>\n{\"b\":2}\n",
        ));
        assert_eq!(dec.next_value(), Ok(Some(json!({"a": 1}))));
        let err = dec.next_value().expect_err("html is not json");
        let StreamError::Malformed(message) = &err else {
            panic!("expected malformed, got {err:?}");
        };
        assert!(
            message.contains("\"<html>bad gateway</html>\""),
            "{message}"
        );
        assert_eq!(dec.next_value(), Err(err.clone()));
        assert_eq!(dec.finish(), Err(err));
        // A cut line that ended in '\n' is invalid, not truncated.
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(b"{\"a\":\n"));
        assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
        // Two values on one line.
        let mut dec = JsonLines::new();
        dec.push(Bytes::from_static(b"{}{}\n"));
        assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
    }

    #[test]
    fn json_oversized_line_is_malformed_without_growing() {
        const MAX: usize = 64;
        let mut dec = JsonLines::with_max_line(MAX);
        let mut result = Ok(None);
        for _ in 0..100 {
            dec.push(Bytes::from_static(b"[1,2,3,4,5,"));
            result = dec.next_value();
            assert!(dec.line.len() <= MAX);
            if result.is_err() {
                break;
            }
        }
        let Err(StreamError::Malformed(message)) = &result else {
            panic!("expected malformed, got {result:?}");
        };
        assert!(
            message.starts_with("json line longer than 64 bytes: \"[1,2,3"),
            "{message}"
        );
        assert_eq!(dec.line.len(), 0);
        assert!(dec.input.is_empty());

        // One huge chunk is refused before anything is copied.
        let mut dec = JsonLines::with_max_line(MAX);
        dec.push(Bytes::from(vec![b' '; 10 * MAX]));
        assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
        assert_eq!(dec.line.capacity(), 0);
        let mut dec = JsonLines::with_max_line(MAX);
        let mut line = vec![b' '; 2 * MAX];
        line.push(b'\n');
        dec.push(Bytes::from(line));
        assert!(matches!(dec.next_value(), Err(StreamError::Malformed(_))));
    }

    #[test]
    fn json_line_at_the_limit_is_accepted() {
        let mut line = format!("\"{}\"", "x".repeat(62));
        assert_eq!(line.len(), 64);
        line.push('\n');
        for at in 0..line.len() {
            let (head, tail) = line.as_bytes().split_at(at);
            let got = decode_json(JsonLines::with_max_line(64), &[head, tail]);
            assert_eq!(got, Ok(vec![json!("x".repeat(62))]), "split at {at}");
        }
        // A trailing '\r' counts towards the limit.
        let got = decode_json(
            JsonLines::with_max_line(64),
            &[line.replace('\n', "\r\n").as_bytes()],
        );
        assert!(matches!(got, Err(StreamError::Malformed(_))));
    }

    #[test]
    fn json_deep_nesting_is_an_error_not_a_crash() {
        let mut deep = "[".repeat(100_000);
        deep.push('\n');
        let got = decode_json(JsonLines::new(), &[deep.as_bytes()]);
        assert!(matches!(got, Err(StreamError::Malformed(_))));
    }

    #[test]
    fn json_survives_random_bytes() {
        let mut rng = Rng(777);
        for _ in 0..500 {
            let body: Vec<u8> = (0..rng.below(80))
                .map(|_| b"{}[]\":,1a \r\n\xff"[rng.below(13)])
                .collect();
            let chunks: Vec<&[u8]> = body.chunks(1 + rng.below(9)).collect();
            let _ = decode_json(JsonLines::with_max_line(16), &chunks);
        }
    }

    // ---- progress_error ----

    #[test]
    fn progress_error_cases() {
        assert_eq!(
            progress_error(&json!({"errorDetail": {"message": "denied"}, "error": "other"})),
            Some("denied".to_owned())
        );
        assert_eq!(
            progress_error(&json!({"error": "pull access denied"})),
            Some("pull access denied".to_owned())
        );
        assert_eq!(
            progress_error(&json!({"errorDetail": {"code": 1}, "error": "fallback"})),
            Some("fallback".to_owned())
        );
        assert_eq!(
            progress_error(&json!({"errorDetail": {"code": 1}})),
            Some("engine reported an error: {\"code\":1}".to_owned())
        );
        assert_eq!(
            progress_error(&json!({"status": "Downloading", "progressDetail": {}})),
            None
        );
        assert_eq!(
            progress_error(&json!({"status": "ok", "error": null, "errorDetail": null})),
            None
        );
        assert_eq!(progress_error(&json!("error")), None);
        assert_eq!(progress_error(&json!(["error"])), None);
    }
}
