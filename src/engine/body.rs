//! Reading answers: whole (small) bodies, chunk by chunk, JSON lines, and a
//! container's output from a body or a hijacked connection.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};

use hyper::body::{Body as _, Incoming};
use hyper::upgrade::Upgraded;
use hyper::Response;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

use super::stream::{self, StreamKind};
use super::transport::Driver;
use super::{Error, ErrorKind, Result};

/// The most an ordinary answer read whole may have: lists of thousands of
/// containers fit; an engine sending more is broken or hostile.
pub const MAX_ANSWER: usize = 64 << 20;
/// The most of an error answer that is read, as the Go client caps it.
pub const MAX_ERROR: usize = 1 << 20;
/// The most JSON values (array items and object members) an answer read
/// whole may hold. The byte cap alone does not bound memory: 64 MiB of `{}`
/// are 22 million values, each a table or an object in Lua. Lists of 10,000
/// containers (about 60 values each) fit.
pub const MAX_VALUES: usize = 1 << 20;

/// What an answer answers: the call ("GET /containers/x/logs") and the
/// engine's address (password hidden). It travels in the answer's
/// extensions, so that whichever reader finds the connection broken (a
/// body, a stream, a hijacked connection) names the call that broke.
#[derive(Clone, Debug)]
pub struct Source {
    pub call: Arc<str>,
    pub engine: Arc<str>,
}

impl Source {
    /// The source of `response`, when it came from the engine.
    pub fn of<B>(response: &Response<B>) -> Option<Source> {
        response.extensions().get::<Source>().cloned()
    }
}

/// The connection broke while an answer was read: a `ConnectionError`
/// naming the call, the engine and the innermost cause.
pub fn broken(source: Option<&Source>, e: &(dyn std::error::Error + 'static)) -> Error {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let why = if std::ptr::addr_eq(cause, e) {
        e.to_string()
    } else {
        format!("{e}: {cause}")
    };
    let message = match source {
        Some(s) => format!(
            "{}: reading the answer from the engine at {}: {why}",
            s.call, s.engine
        ),
        None => format!("reading the answer: {why}"),
    };
    Error::new(ErrorKind::Connection, message)
}

/// Parses an answer read whole, refusing one of more than [`MAX_VALUES`]
/// values before anything is built from it.
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    check_values(bytes)?;
    // One check of the whole text spares serde_json one per string.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    };
    parsed.map_err(|e| {
        Error::new(
            ErrorKind::Api,
            format!("the engine answered invalid json: {e}"),
        )
    })
}

/// Refuses a text of more than [`MAX_VALUES`] values.
pub fn check_values(bytes: &[u8]) -> Result<()> {
    // Each value past the first is counted at a `,`, `[` or `{` of its own:
    // a shorter text cannot hold too many, and is not scanned twice.
    let values = if bytes.len() < MAX_VALUES {
        0
    } else {
        count_values(bytes)
    };
    if values > MAX_VALUES {
        return Err(Error::new(
            ErrorKind::Api,
            format!(
                "the engine's answer holds more than {MAX_VALUES} json values \
                 ({values}): not converted"
            ),
        ));
    }
    Ok(())
}

/// How many values a JSON text holds (each array item and object member
/// counts, and the text itself): one, plus one per `,` and per non-empty
/// `[` or `{`, outside strings. A single pass, with no allocation.
pub fn count_values(bytes: &[u8]) -> usize {
    let (mut count, mut in_string, mut escaped, mut opened) = (1usize, false, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        // The first item of an array or an object has no comma before it.
        if std::mem::take(&mut opened) && b != b']' && b != b'}' {
            count += 1;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => opened = true,
            b',' => count += 1,
            _ => {}
        }
    }
    count
}

/// The whole body of an ordinary answer; more than [`MAX_ANSWER`] bytes is
/// an error rather than unbounded memory.
pub async fn read_body(response: Response<Incoming>) -> Result<Bytes> {
    read_capped(response, MAX_ANSWER, None).await
}

/// The whole body, failing past `limit` bytes, or when the engine sends
/// nothing for `idle` (a stalled engine must not hang the call).
pub async fn read_capped(
    response: Response<Incoming>,
    limit: usize,
    idle: Option<Duration>,
) -> Result<Bytes> {
    let (bytes, cut) = read_at_most(response, limit, idle).await?;
    if cut {
        return Err(Error::new(
            ErrorKind::Api,
            format!(
                "the engine's answer is larger than {} MiB: not read further",
                limit >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// At most `limit` bytes of the body, and whether there was more (the rest
/// is not read: the connection is then dropped, not reused).
pub async fn read_at_most(
    response: Response<Incoming>,
    limit: usize,
    idle: Option<Duration>,
) -> Result<(Bytes, bool)> {
    let mut reader = BodyReader::new(response);
    let mut out = bytes::BytesMut::new();
    loop {
        let chunk = match idle {
            None => reader.chunk().await?,
            Some(idle) => tokio::time::timeout(idle, reader.chunk())
                .await
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "the engine sent nothing for {} s while answering",
                            idle.as_secs_f64()
                        ),
                    )
                })??,
        };
        let Some(chunk) = chunk else {
            return Ok((out.freeze(), false));
        };
        let room = limit.saturating_sub(out.len());
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out.freeze(), true));
        }
        out.extend_from_slice(&chunk);
    }
}

/// Reads a body piece by piece, as the engine sends it.
pub struct BodyReader {
    body: Incoming,
    /// The connection of an answer that has one of its own, polled here.
    driver: Option<Driver>,
    source: Option<Source>,
}

impl BodyReader {
    pub fn new(mut response: Response<Incoming>) -> Self {
        let driver = Driver::take(&mut response);
        BodyReader {
            source: Source::of(&response),
            body: response.into_body(),
            driver,
        }
    }

    /// The next chunk of data, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        loop {
            let frame = std::future::poll_fn(|cx| {
                if let Some(driver) = &mut self.driver {
                    driver.poll(cx);
                }
                Pin::new(&mut self.body).poll_frame(cx)
            });
            match frame.await {
                None => return Ok(None),
                Some(Err(e)) => return Err(broken(self.source.as_ref(), &e)),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            return Ok(Some(data));
                        }
                    }
                }
            }
        }
    }
}

/// A streamed answer of JSON values (pull progress, events, stats).
pub struct JsonStream {
    reader: BodyReader,
    decoder: stream::JsonLines,
    done: bool,
    /// In-band errors are about an image (pull, push).
    image: bool,
    /// In-band errors are passed on as values (a build reports its failed
    /// step so, and its caller wants the event itself).
    keep_errors: bool,
}

impl JsonStream {
    pub fn new(response: Response<Incoming>, image: bool) -> Self {
        JsonStream {
            reader: BodyReader::new(response),
            decoder: stream::JsonLines::new(),
            done: false,
            image,
            keep_errors: false,
        }
    }

    /// A stream whose in-band errors are returned as values, not errors.
    pub fn with_errors(response: Response<Incoming>) -> Self {
        JsonStream {
            keep_errors: true,
            ..JsonStream::new(response, false)
        }
    }

    /// The next value; an in-band error (`errorDetail`) is returned as an error.
    pub async fn next(&mut self) -> Result<Option<Value>> {
        loop {
            let decoded = if self.done {
                self.decoder.finish()
            } else {
                self.decoder.next_value()
            };
            let value = decoded.map_err(|e| Error::new(ErrorKind::Api, e.to_string()))?;
            if let Some(value) = value {
                if self.keep_errors {
                    return Ok(Some(value));
                }
                if let Some(message) = stream::progress_error(&value) {
                    let lower = message.to_lowercase();
                    let missing = lower.contains("not found")
                        || lower.contains("manifest unknown")
                        || lower.contains("does not exist");
                    let kind = if self.image && missing {
                        ErrorKind::ImageNotFound
                    } else {
                        ErrorKind::Api
                    };
                    return Err(Error::new(kind, message));
                }
                return Ok(Some(value));
            }
            if self.done {
                return Ok(None);
            }
            match self.reader.chunk().await? {
                Some(chunk) => self.decoder.push(chunk),
                None => self.done = true,
            }
        }
    }
}

/// A container's output (logs, attach, exec), piece by piece.
pub struct OutputStream {
    input: Input,
    /// Raw TTY output rather than multiplexed frames.
    tty: bool,
    decoder: stream::OutputDecoder,
    done: bool,
}

enum Input {
    Body(BodyReader),
    Hijacked(Hijacked),
    /// The read side of a two-way connection whose write side the caller has.
    Duplex(ReadHalf<TokioIo<Upgraded>>, bytes::BytesMut, Option<Source>),
}

/// A hijacked connection: raw output to read, and stdin data to write.
struct Hijacked {
    read: ReadHalf<TokioIo<Upgraded>>,
    /// Gone once the data is written and the write side shut down.
    write: Option<WriteHalf<TokioIo<Upgraded>>>,
    stdin: Bytes,
    /// Shut the write side down after the data. Not with a TTY: the engine
    /// then closes the output too (as `docker exec -t` with a closed stdin);
    /// a TTY's end-of-file is a Ctrl-D ("\x04") in the data.
    close_stdin: bool,
    buffer: bytes::BytesMut,
    source: Option<Source>,
}

impl Hijacked {
    /// The next chunk of output. Writing stdin goes on only while output is
    /// awaited: writing it all first could deadlock against a process that
    /// fills its output pipe before it reads on.
    async fn chunk(&mut self) -> Result<Option<Bytes>> {
        const CHUNK: usize = 64 * 1024;
        self.buffer.reserve(CHUNK);
        let read = loop {
            let Some(write) = self.write.as_mut() else {
                break self.read.read_buf(&mut self.buffer).await;
            };
            if self.stdin.is_empty() {
                // End of file for the process's stdin; output goes on.
                if self.close_stdin {
                    let _ = write.shutdown().await;
                }
                self.write = None;
                continue;
            }
            tokio::select! {
                read = self.read.read_buf(&mut self.buffer) => break read,
                wrote = write.write(&self.stdin) => match wrote {
                    Ok(n) if n > 0 => self.stdin.advance(n),
                    // The process closed its stdin: the rest is not wanted.
                    _ => {
                        let _ = write.shutdown().await;
                        self.write = None;
                    }
                },
            }
        };
        match read {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(self.buffer.split().freeze())),
            Err(e) => Err(broken(self.source.as_ref(), &e)),
        }
    }
}

impl OutputStream {
    pub fn new(response: Response<Incoming>, tty: bool) -> Self {
        Self::with_input(Input::Body(BodyReader::new(response)), tty)
    }

    /// Output of a hijacked connection, writing `stdin` to it as it goes;
    /// `source`: the request that asked for it (see [`Source::of`]).
    pub fn hijacked(io: Upgraded, tty: bool, stdin: Bytes, source: Option<Source>) -> Self {
        let (read, write) = tokio::io::split(TokioIo::new(io));
        Self::with_input(
            Input::Hijacked(Hijacked {
                read,
                write: Some(write),
                stdin,
                close_stdin: !tty,
                buffer: bytes::BytesMut::new(),
                source,
            }),
            tty,
        )
    }

    /// The output side of a two-way connection (see [`super::attach::Duplex`]).
    pub(super) fn duplex(
        read: ReadHalf<TokioIo<Upgraded>>,
        tty: bool,
        source: Option<Source>,
    ) -> Self {
        Self::with_input(Input::Duplex(read, bytes::BytesMut::new(), source), tty)
    }

    fn with_input(input: Input, tty: bool) -> Self {
        OutputStream {
            input,
            tty,
            decoder: if tty {
                stream::OutputDecoder::raw()
            } else {
                stream::OutputDecoder::multiplexed()
            },
            done: false,
        }
    }

    /// Whether the output is a TTY's (raw, all of it on stdout).
    pub fn tty(&self) -> bool {
        self.tty
    }

    /// The next piece of output and the stream it came on; `None` at the end.
    pub async fn next(&mut self) -> Result<Option<(StreamKind, Bytes)>> {
        loop {
            let piece = self.decoder.next_piece().map_err(stream_error)?;
            if piece.is_some() {
                return Ok(piece);
            }
            if self.done {
                self.decoder.finish().map_err(stream_error)?;
                return Ok(None);
            }
            let chunk = match &mut self.input {
                Input::Body(reader) => reader.chunk().await?,
                Input::Hijacked(hijacked) => hijacked.chunk().await?,
                Input::Duplex(read, buffer, source) => {
                    buffer.reserve(64 * 1024);
                    match read.read_buf(buffer).await {
                        Ok(0) => None,
                        Ok(_) => Some(buffer.split().freeze()),
                        Err(e) => return Err(broken(source.as_ref(), &e)),
                    }
                }
            };
            match chunk {
                Some(chunk) => self.decoder.push(chunk),
                None => self.done = true,
            }
        }
    }

    /// All the output, stdout and stderr apart, up to [`max_output`] bytes
    /// in all.
    pub async fn collect(mut self) -> Result<(Vec<u8>, Vec<u8>)> {
        let limit = max_output()?;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some((kind, bytes)) = self.next().await? {
            check_output(out.len() + err.len() + bytes.len(), limit)?;
            match kind {
                StreamKind::Stderr => err.extend_from_slice(&bytes),
                _ => out.extend_from_slice(&bytes),
            }
        }
        Ok((out, err))
    }

    /// The output of the streams `keep` wants, as one piece, up to
    /// [`max_output`] bytes.
    pub async fn collect_joined(&mut self, keep: impl Fn(StreamKind) -> bool) -> Result<Vec<u8>> {
        let limit = max_output()?;
        let mut all = Vec::new();
        while let Some((kind, bytes)) = self.next().await? {
            if keep(kind) {
                check_output(all.len() + bytes.len(), limit)?;
                all.extend_from_slice(&bytes);
            }
        }
        Ok(all)
    }
}

/// The most output a call collects into one string (logs, attach and exec
/// without `stream`, `run`): [`DEFAULT_MAX_OUTPUT`], or
/// `DOCKERLUA_MAX_OUTPUT` bytes. More is an error, not unbounded memory.
pub fn max_output() -> Result<usize> {
    let Some(text) = std::env::var("DOCKERLUA_MAX_OUTPUT")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(DEFAULT_MAX_OUTPUT);
    };
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::invalid(format!(
                "DOCKERLUA_MAX_OUTPUT: a count of bytes expected, got '{}'",
                super::error::excerpt(&text, 40)
            ))
        })
}

/// 256 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 256 << 20;

fn check_output(size: usize, limit: usize) -> Result<()> {
    if size <= limit {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Api,
        format!(
            "the output is larger than {limit} bytes (DOCKERLUA_MAX_OUTPUT): \
             read it as it comes with `stream = true`, or write it to a file"
        ),
    ))
}

fn stream_error(e: stream::StreamError) -> Error {
    match e {
        stream::StreamError::Engine(message) => Error::new(ErrorKind::Api, message),
        other => Error::new(ErrorKind::Api, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{count_values, parse_json, MAX_VALUES};

    #[test]
    fn values_are_counted_outside_strings() {
        assert_eq!(count_values(b"[]"), 1);
        assert_eq!(count_values(b"[ {} , {} ]"), 3);
        assert_eq!(count_values(br#"{"a":[1,2],"b":"x,[{\"y"}"#), 5);
        assert_eq!(count_values(b" 7 "), 1);
    }

    /// The densest texts hold at most one value per byte, which lets
    /// `parse_json` skip counting a text shorter than the limit.
    #[test]
    fn a_text_holds_at_most_one_value_per_byte() {
        for dense in ["[0,0,0,0,0]", "[[[[[]]]]]", "[{},{},{}]", "[[0],[0]]"] {
            assert!(count_values(dense.as_bytes()) <= dense.len(), "{dense}");
        }
        let many = format!("[{}0]", "0,".repeat(MAX_VALUES));
        let err = parse_json(many.as_bytes()).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
        assert_eq!(parse_json(b"[0,0]").unwrap(), serde_json::json!([0, 0]));
    }
}
