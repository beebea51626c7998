//! The Engine API client. It speaks HTTP and JSON to a Docker (or Podman)
//! engine and knows nothing of Lua.
//!
//! - [`Engine`]: one engine, its pooled connections and negotiated API version;
//!   the endpoints live in [`containers`], [`images`] and [`system`].
//! - [`config`]: finding the engine (`DOCKER_HOST`, contexts) and registry
//!   credentials (`config.json`).
//! - [`run`]: the `docker run` sequence and the clean-up of cancelled runs.
//! - [`stream`]: decoders for the multiplexed log frames and JSON lines.
//!
//! Answers are `serde_json::Value`s, not structs: engines differ, and a field
//! one of them lacks must not break a caller.

pub mod config;
pub mod containers;
pub mod error;
pub mod images;
pub mod run;
pub mod stream;
pub mod system;
mod transport;

use std::sync::Arc;

use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::OnceCell;

pub use error::{Error, ErrorKind, Result};
pub use stream::StreamKind;
pub use transport::{Address, TlsFiles};

/// The newest API version we speak; an older engine's own version is used.
pub const MAX_API_VERSION: &str = "1.47";

/// A handle to one engine. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    transport: transport::Transport,
    /// From `DOCKER_API_VERSION` or the caller; skips negotiation.
    pinned_version: Option<String>,
    version: OnceCell<String>,
    /// Whether the engine is Podman (its `_ping` has `Libpod-Api-Version`).
    podman: OnceCell<bool>,
}

/// Query parameters, percent-encoded as they are added.
#[derive(Default, Debug, Clone)]
pub struct Query(String);

impl Query {
    pub fn new() -> Self {
        Query::default()
    }

    pub fn add(&mut self, key: &str, value: impl AsRef<str>) -> &mut Self {
        self.0.push(if self.0.is_empty() { '?' } else { '&' });
        encode_into(&mut self.0, key);
        self.0.push('=');
        encode_into(&mut self.0, value.as_ref());
        self
    }

    pub fn add_opt(&mut self, key: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(value) = value {
            self.add(key, value);
        }
        self
    }

    /// Adds `key=1` when `flag` is set; the engine's default is false.
    pub fn flag(&mut self, key: &str, flag: bool) -> &mut Self {
        if flag {
            self.add(key, "1");
        }
        self
    }

    fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// A path segment such as a container id or an image name, encoded.
pub fn segment(text: &str) -> String {
    let mut out = String::new();
    for part in text.split('/') {
        if !out.is_empty() {
            out.push('/');
        }
        encode_into(&mut out, part);
    }
    out
}

impl Engine {
    /// A client for the engine at `url` (`unix://`, `tcp://`, `http://`).
    /// Nothing is sent until the first call.
    pub fn connect(url: &str, api_version: Option<String>) -> Result<Self> {
        Self::connect_tls(url, api_version, None)
    }

    /// [`Engine::connect`], over TLS with `tls`'s files (`tcp://` or
    /// `https://`). Bad files are reported here, before anything is sent.
    pub fn connect_tls(
        url: &str,
        api_version: Option<String>,
        tls: Option<&TlsFiles>,
    ) -> Result<Self> {
        let pinned_version = api_version
            .or_else(|| std::env::var("DOCKER_API_VERSION").ok())
            .filter(|v| !v.is_empty())
            .map(|v| v.trim_start_matches('v').to_owned());
        Ok(Engine {
            inner: Arc::new(Inner {
                transport: transport::Transport::new(url, tls)?,
                pinned_version,
                version: OnceCell::new(),
                podman: OnceCell::new(),
            }),
        })
    }

    /// The address this client talks to, as given.
    pub fn url(&self) -> &str {
        self.inner.transport.url()
    }

    /// The API version in use, negotiated on first need.
    pub async fn api_version(&self) -> Result<&str> {
        if let Some(pinned) = &self.inner.pinned_version {
            return Ok(pinned);
        }
        self.inner
            .version
            .get_or_try_init(|| async {
                Ok(match self.negotiate_ping().await? {
                    Some(engine) if version_lt(&engine, MAX_API_VERSION) => engine,
                    _ => MAX_API_VERSION.to_owned(),
                })
            })
            .await
            .map(String::as_str)
    }

    /// Whether the engine is Podman, whose compat API differs in places
    /// (see [`Engine::container_create`]). Known after the first `_ping`.
    pub async fn is_podman(&self) -> Result<bool> {
        if let Some(&podman) = self.inner.podman.get() {
            return Ok(podman);
        }
        self.negotiate_ping().await?;
        Ok(self.inner.podman.get().copied().unwrap_or(false))
    }

    /// `GET /_ping`: the engine's API version; also notes whether it is Podman.
    async fn negotiate_ping(&self) -> Result<Option<String>> {
        let response = self.send_raw(Method::GET, "/_ping", None, &[]).await?;
        let headers = response.headers();
        let version = headers
            .get("api-version")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let podman = headers.contains_key("libpod-api-version");
        check(response, false).await?;
        // Another task's ping may have set it first; both saw the same engine.
        let _ = self.inner.podman.set(podman);
        Ok(version)
    }

    async fn send_raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(Bytes, &str)>,
        headers: &[(&str, String)],
    ) -> Result<Response<Incoming>> {
        let uri = self.inner.transport.uri(path_and_query)?;
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let body = match body {
            Some((bytes, content_type)) => {
                builder = builder.header("content-type", content_type);
                Full::new(bytes)
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder
            .body(body)
            .map_err(|e| Error::invalid(format!("bad request: {e}")))?;
        self.inner.transport.send(request).await
    }

    /// Sends a versioned request and returns the answer once its status says
    /// success; an error status becomes an [`Error`] with the engine's message.
    pub async fn request(&self, req: Req<'_>) -> Result<Response<Incoming>> {
        let version = self.api_version().await?;
        let target = format!("/v{version}{}{}", req.path, req.query.as_str());
        let body = req.body.map(|b| (b, req.content_type));
        let response = self
            .send_raw(req.method, &target, body, &req.headers)
            .await?;
        check(response, req.image).await
    }

    /// A request whose answer is JSON (or empty: `Value::Null`).
    pub async fn json(&self, req: Req<'_>) -> Result<Value> {
        let response = self.request(req).await?;
        let bytes = read_body(response).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::Api,
                format!("the engine answered invalid json: {e}"),
            )
        })
    }

    /// A request whose answer does not matter beyond its status.
    pub async fn empty(&self, req: Req<'_>) -> Result<()> {
        let response = self.request(req).await?;
        read_body(response).await.map(drop)
    }
}

/// One request to the engine: path (without version), query, body.
pub struct Req<'a> {
    pub method: Method,
    pub path: String,
    pub query: Query,
    pub body: Option<Bytes>,
    pub content_type: &'a str,
    pub headers: Vec<(&'a str, String)>,
    /// A 404 means `ImageNotFound`.
    pub image: bool,
}

impl<'a> Req<'a> {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Req {
            method,
            path: path.into(),
            query: Query::new(),
            body: None,
            content_type: "application/json",
            headers: Vec::new(),
            image: false,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Req::new(Method::GET, path)
    }

    pub fn post(path: impl Into<String>) -> Self {
        Req::new(Method::POST, path)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Req::new(Method::DELETE, path)
    }

    pub fn query(mut self, query: Query) -> Self {
        self.query = query;
        self
    }

    pub fn json_body(mut self, value: &Value) -> Self {
        self.body = Some(Bytes::from(value.to_string()));
        self.content_type = "application/json";
        self
    }

    pub fn raw_body(mut self, body: Bytes, content_type: &'a str) -> Self {
        self.body = Some(body);
        self.content_type = content_type;
        self
    }

    pub fn header(mut self, name: &'a str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn about_image(mut self) -> Self {
        self.image = true;
        self
    }
}

/// Turns an error status into an [`Error`] carrying the engine's message.
async fn check(response: Response<Incoming>, image: bool) -> Result<Response<Incoming>> {
    let status = response.status();
    // 101: a hijacked exec/attach connection.
    if status.is_success()
        || status == StatusCode::NOT_MODIFIED
        || status == StatusCode::SWITCHING_PROTOCOLS
    {
        return Ok(response);
    }
    let bytes = read_body(response).await.unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned());
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        message
    };
    Err(Error::from_status(status.as_u16(), message, image))
}

/// The whole body of a (small) answer.
pub async fn read_body(response: Response<Incoming>) -> Result<Bytes> {
    response
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|e| Error::new(ErrorKind::Connection, format!("reading the answer: {e}")))
}

/// Reads a body piece by piece, as the engine sends it.
pub struct BodyReader {
    body: Incoming,
}

impl BodyReader {
    pub fn new(response: Response<Incoming>) -> Self {
        BodyReader {
            body: response.into_body(),
        }
    }

    /// The next chunk of data, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        loop {
            match self.body.frame().await {
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
}

impl JsonStream {
    pub fn new(response: Response<Incoming>, image: bool) -> Self {
        JsonStream {
            reader: BodyReader::new(response),
            decoder: stream::JsonLines::new(),
            done: false,
            image,
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
    decoder: stream::OutputDecoder,
    done: bool,
}

enum Input {
    Body(BodyReader),
    Hijacked(Hijacked),
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

    fn with_input(input: Input, tty: bool) -> Self {
        OutputStream {
            input,
            decoder: if tty {
                stream::OutputDecoder::raw()
            } else {
                stream::OutputDecoder::multiplexed()
            },
            done: false,
        }
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

/// `a < b` for dotted API versions such as "1.41".
pub fn version_lt(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) < parse(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encoding() {
        let mut q = Query::new();
        q.add("filters", r#"{"label":["a=b c"]}"#)
            .flag("all", true)
            .flag("size", false);
        assert_eq!(
            q.as_str(),
            "?filters=%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D&all=1"
        );
        assert_eq!(segment("localhost:5000/a b"), "localhost%3A5000/a%20b");
    }

    #[test]
    fn versions_compare() {
        assert!(version_lt("1.41", "1.47"));
        assert!(version_lt("1.9", "1.41"));
        assert!(!version_lt("1.47", "1.47"));
        assert!(!version_lt("1.51", "1.47"));
    }
}
