//! Reading answers: whole (small) bodies, chunk by chunk, JSON lines, and a
//! container's output from a body or a hijacked connection.

use std::time::Duration;

use bytes::{Buf, Bytes};
use std::pin::Pin;

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
}

impl BodyReader {
    pub fn new(mut response: Response<Incoming>) -> Self {
        let driver = Driver::take(&mut response);
        BodyReader {
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
                Some(Err(e)) => {
                    return Err(Error::new(
                        ErrorKind::Connection,
                        format!("reading the answer: {e}"),
                    ))
                }
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
    Duplex(ReadHalf<TokioIo<Upgraded>>, bytes::BytesMut),
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
            Err(e) => Err(Error::new(
                ErrorKind::Connection,
                format!("reading the answer: {e}"),
            )),
        }
    }
}

impl OutputStream {
    pub fn new(response: Response<Incoming>, tty: bool) -> Self {
        Self::with_input(Input::Body(BodyReader::new(response)), tty)
    }

    /// Output of a hijacked connection, writing `stdin` to it as it goes.
    pub fn hijacked(io: Upgraded, tty: bool, stdin: Bytes) -> Self {
        let (read, write) = tokio::io::split(TokioIo::new(io));
        Self::with_input(
            Input::Hijacked(Hijacked {
                read,
                write: Some(write),
                stdin,
                close_stdin: !tty,
                buffer: bytes::BytesMut::new(),
            }),
            tty,
        )
    }

    /// The output side of a two-way connection (see [`super::attach::Duplex`]).
    pub(super) fn duplex(read: ReadHalf<TokioIo<Upgraded>>, tty: bool) -> Self {
        Self::with_input(Input::Duplex(read, bytes::BytesMut::new()), tty)
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
                Input::Duplex(read, buffer) => {
                    buffer.reserve(64 * 1024);
                    match read.read_buf(buffer).await {
                        Ok(0) => None,
                        Ok(_) => Some(buffer.split().freeze()),
                        Err(e) => {
                            return Err(Error::new(
                                ErrorKind::Connection,
                                format!("reading the answer: {e}"),
                            ))
                        }
                    }
                }
            };
            match chunk {
                Some(chunk) => self.decoder.push(chunk),
                None => self.done = true,
            }
        }
    }

    /// All the output, stdout and stderr apart.
    pub async fn collect(mut self) -> Result<(Vec<u8>, Vec<u8>)> {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some((kind, bytes)) = self.next().await? {
            match kind {
                StreamKind::Stderr => err.extend_from_slice(&bytes),
                _ => out.extend_from_slice(&bytes),
            }
        }
        Ok((out, err))
    }
}

fn stream_error(e: stream::StreamError) -> Error {
    match e {
        stream::StreamError::Engine(message) => Error::new(ErrorKind::Api, message),
        other => Error::new(ErrorKind::Api, other.to_string()),
    }
}
