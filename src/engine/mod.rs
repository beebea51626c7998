//! The Engine API client. It speaks HTTP and JSON to a Docker (or Podman)
//! engine and knows nothing of Lua.
//!
//! - [`Engine`]: one engine, its pooled connections and negotiated API version;
//!   the endpoints live in [`containers`], [`images`], [`system`],
//!   [`swarm`], [`services`] (specs built in [`service_spec`]) and [`plugins`].
//! - [`request`] builds requests and turns error statuses into [`Error`]s;
//!   [`body`] reads answers: whole, chunked, JSON lines, container output.
//! - [`host`]: finding the engine (`DOCKER_HOST`, contexts);
//!   [`credentials`]: who we are to registries; [`config`]: `config.json`.
//! - `guard`: `--dry-run` and `--read-only`, applied to every request.
//! - [`reference`]: image references, parsed in one place.
//! - [`run`]: the `docker run` sequence and the clean-up of cancelled runs;
//!   [`attach`]: live two-way I/O (attach, hijacked exec, attached runs) and
//!   TTY resizes.
//! - [`stream`]: decoders for the multiplexed log frames and JSON lines.
//! - `transport`: moving requests over unix sockets, TCP and TLS; `ssh`:
//!   `ssh://` engines through the system's `ssh`.
//!
//! Answers are `serde_json::Value`s, not structs: engines differ, and a field
//! one of them lacks must not break a caller.

pub mod attach;
mod body;
pub mod build;
pub mod buildkit;
pub mod compose;
pub mod config;
pub mod containers;
pub mod copy;
pub mod credentials;
pub mod dockerignore;
pub mod error;
pub mod files;
mod guard;
pub mod host;
pub mod images;
pub mod options;
pub mod plugins;
mod podman;
pub mod reference;
pub mod registry;
mod request;
pub mod resource;
pub mod run;
pub mod service_spec;
pub mod services;
pub mod skim;
mod ssh;
pub mod stats;
pub mod stream;
pub mod swarm;
pub mod system;
mod transport;
pub mod units;
pub mod upload;
pub mod watch;

#[cfg(test)]
mod versions;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::Value;
use tokio::sync::OnceCell;

pub use body::{parse_json, read_body, BodyReader, JsonStream, OutputStream, MAX_ANSWER};
pub use error::{Error, ErrorKind, Result};
pub use guard::{is_write, WriteMode};
use request::check;
pub use request::{segment, Deadline, Query, Req};
pub use stream::StreamKind;
pub use transport::{redact, Address, TlsFiles};

/// The newest API version we speak: the newest whose answers the code has
/// been checked against (the Engine API's version history up to it, and the
/// fixtures in `tests/fixtures/api/`). An older engine's own version is used.
pub const MAX_API_VERSION: &str = "1.51";

/// The client timeout when neither the caller nor `DOCKERLUA_TIMEOUT` gives
/// one, as the Python SDK's.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How to reach an engine, beyond its address.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// The API version to speak; negotiated when `None`.
    pub api_version: Option<String>,
    /// TLS files (`tcp://` or `https://` engines).
    pub tls: Option<TlsFiles>,
    /// The client timeout: `None` takes `DOCKERLUA_TIMEOUT` or
    /// [`DEFAULT_TIMEOUT`]; `Some(Duration::ZERO)` means none.
    pub timeout: Option<Duration>,
}

/// A handle to one engine. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    transport: transport::Transport,
    /// From `DOCKER_API_VERSION` or the caller; skips negotiation.
    pinned_version: Option<String>,
    /// What the first `/_ping` told; one ping serves every question.
    facts: OnceCell<Facts>,
    /// The longest an ordinary call may wait for the engine; `None`: forever.
    timeout: Option<Duration>,
    /// Dry run or read-only: what becomes of requests that change things.
    guard: guard::Guard,
    /// Credentials checked by [`Engine::login`], by registry: they win over
    /// `config.json` for this client's later pulls, pushes and builds.
    logins: std::sync::Mutex<serde_json::Map<String, Value>>,
}

/// What an engine says of itself in its `/_ping` answer.
struct Facts {
    /// The API version to speak: the engine's, capped at ours.
    version: String,
    /// Podman adds `Libpod-Api-Version`; its compat API differs in places.
    podman: bool,
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
        Self::connect_with(
            url,
            ConnectOptions {
                api_version,
                tls: tls.cloned(),
                timeout: None,
            },
        )
    }

    /// A client for the engine at `url`, as `opts` say.
    pub fn connect_with(url: &str, opts: ConnectOptions) -> Result<Self> {
        let pinned_version = opts
            .api_version
            .or_else(|| std::env::var("DOCKER_API_VERSION").ok())
            .filter(|v| !v.is_empty())
            .map(|v| v.trim_start_matches('v').to_owned());
        if let Some(version) = &pinned_version {
            if !is_version(version) {
                return Err(Error::invalid(format!(
                    "bad API version '{}' (DOCKER_API_VERSION or version =; such as 1.41 expected)",
                    error::excerpt(version, 40)
                )));
            }
        }
        let timeout = match opts.timeout {
            Some(t) => t,
            None => timeout_from_env()?,
        };
        let timeout = (!timeout.is_zero()).then_some(timeout);
        // Connecting (and the TLS handshake) never waits longer than an
        // ordinary call may, nor, for streams, than the docker CLI's 10 s.
        let handshake = timeout.map_or(HANDSHAKE_TIMEOUT, |t| t.min(HANDSHAKE_TIMEOUT));
        Ok(Engine {
            inner: Arc::new(Inner {
                transport: transport::Transport::new(url, opts.tls.as_ref(), handshake)?,
                pinned_version,
                facts: OnceCell::new(),
                timeout,
                guard: guard::Guard::new(WriteMode::Normal, None),
                logins: Default::default(),
            }),
        })
    }

    /// The client timeout of ordinary calls; `None`: no timeout.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }

    /// This client with writes dry-run or refused (`mode`); `label` names
    /// the engine in dry-run lines. Call it on a new client, before it is
    /// cloned or used.
    pub fn with_mode(mut self, mode: WriteMode, label: Option<String>) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.guard = guard::Guard::new(mode, label),
            // A shared client keeps its mode: a programming error, loud in tests.
            None => debug_assert!(false, "Engine::with_mode on a shared client"),
        }
        self
    }

    /// Whether writes are sent, dry-run or refused.
    pub fn mode(&self) -> WriteMode {
        self.inner.guard.mode()
    }

    /// The address this client talks to, as given.
    pub fn url(&self) -> &str {
        self.inner.transport.url()
    }

    /// The API version in use: pinned, or negotiated on first need.
    pub async fn api_version(&self) -> Result<&str> {
        if let Some(pinned) = &self.inner.pinned_version {
            return Ok(pinned);
        }
        Ok(&self.facts().await?.version)
    }

    /// Whether the engine is Podman, whose compat API differs in places
    /// (see [`Engine::container_create`]).
    pub async fn is_podman(&self) -> Result<bool> {
        Ok(self.facts().await?.podman)
    }

    /// The engine's facts, from one `GET /_ping` shared by all callers.
    async fn facts(&self) -> Result<&Facts> {
        self.inner
            .facts
            .get_or_try_init(|| async {
                let send = self.send_raw(Method::GET, "/_ping", None, &[], false);
                let response = self.within(self.timeout(), "GET /_ping", send).await?;
                let headers = response.headers();
                let version = negotiate(headers.get("api-version").and_then(|v| v.to_str().ok()));
                let podman = headers.contains_key("libpod-api-version");
                check(response, false, self.timeout()).await?;
                Ok(Facts { version, podman })
            })
            .await
    }

    async fn send_raw(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<(transport::Body, &str)>,
        headers: &[(&str, String)],
        own_connection: bool,
    ) -> Result<Response<Incoming>> {
        let uri = self.inner.transport.uri(path_and_query)?;
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let body = match body {
            Some((body, content_type)) => {
                builder = builder.header("content-type", content_type);
                body
            }
            None => Either::Left(Full::new(Bytes::new())),
        };
        let request = builder
            .body(body)
            .map_err(|e| Error::invalid(format!("bad request: {e}")))?;
        if own_connection {
            return self.inner.transport.send_own(request).await;
        }
        self.inner.transport.send(request).await
    }

    /// Sends a versioned request and returns the answer once its status says
    /// success; an error status becomes an [`Error`] with the engine's message.
    /// Under `--dry-run`/`--read-only` a write is answered by the guard.
    pub async fn request(&self, req: Req<'_>) -> Result<Response<Incoming>> {
        // Before the guard: a request too long to send is refused the same
        // under --dry-run, and no dry-run line echoes a huge value.
        let target = "/v".len() + MAX_API_VERSION.len() + req.path.len() + req.query.as_str().len();
        let room = self.inner.transport.max_target();
        if target > room {
            return Err(too_long(&req.describe(), &req, target, room));
        }
        if let Some(answer) = self.inner.guard.intercept(self, &req).await? {
            return Ok(answer);
        }
        self.send_checked(req).await
    }

    /// [`Engine::request`] past the guard, for the guard's own reads. The
    /// answer's head must come within the request's [`Deadline`].
    async fn send_checked(&self, req: Req<'_>) -> Result<Response<Incoming>> {
        let version = self.api_version().await?;
        let limit = match req.deadline {
            Deadline::Client => self.timeout(),
            Deadline::Plus(extra) => self.timeout().map(|t| t.saturating_add(extra)),
            Deadline::Lasting => None,
        };
        let what = req.describe();
        let target = format!("/v{version}{}{}", req.path, req.query.as_str());
        let Req {
            method,
            body,
            upload,
            content_type,
            headers,
            image,
            own_connection,
            ..
        } = req;
        let body = match (upload, body) {
            (Some(upload), _) => Some((Either::Right(upload), content_type)),
            (None, Some(bytes)) => Some((Either::Left(Full::new(bytes)), content_type)),
            (None, None) => None,
        };
        let answer = async {
            let mut response = self
                .send_raw(method, &target, body, &headers, own_connection)
                .await?;
            response.extensions_mut().insert(body::Source {
                call: what.as_str().into(),
                engine: self.url().into(),
            });
            check(response, image, self.timeout()).await
        };
        self.within(limit, &what, answer).await
    }

    /// `future`, failing with `Timeout` after `limit`.
    async fn within<T>(
        &self,
        limit: Option<Duration>,
        what: &str,
        future: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(limit) = limit else {
            return future.await;
        };
        tokio::time::timeout(limit, future).await.map_err(|_| {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "{what}: no answer from the engine at {} within {} s (the client timeout)",
                    self.url(),
                    limit.as_secs_f64()
                ),
            )
        })?
    }

    /// The whole body of an ordinary answer: capped, and read within the
    /// client timeout for each wait for data. Errors name the call.
    async fn body_of(
        &self,
        response: Response<Incoming>,
        idle: Option<Duration>,
        what: &str,
    ) -> Result<Bytes> {
        body::read_capped(response, MAX_ANSWER, idle)
            .await
            .map_err(|e| match e.message.starts_with(what) {
                // A broken connection names the call already.
                true => e,
                false => e.named(what),
            })
    }

    /// A request whose answer is JSON (or empty: `Value::Null`).
    pub async fn json(&self, req: Req<'_>) -> Result<Value> {
        self.read_json(req, body::parse_json)
            .await
            .map(|(value, _)| value)
    }

    /// As [`Engine::json`], building only what `keep` names (see
    /// [`skim`]); the answer's text comes too, for the rest.
    pub async fn json_skimmed(&self, req: Req<'_>, keep: &skim::Keep) -> Result<(Value, Bytes)> {
        self.read_json(req, |text| skim::skim(text, keep)).await
    }

    async fn read_json(
        &self,
        req: Req<'_>,
        parse: impl FnOnce(&[u8]) -> Result<Value>,
    ) -> Result<(Value, Bytes)> {
        let idle = self.idle_limit(&req);
        let what = req.describe();
        let response = self.request(req).await?;
        let bytes = self.body_of(response, idle, &what).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok((Value::Null, bytes));
        }
        let value = parse(&bytes).map_err(|e| Error {
            message: format!("{what}: {}", e.message),
            ..e
        })?;
        Ok((value, bytes))
    }

    /// A request whose answer does not matter beyond its status.
    pub async fn empty(&self, req: Req<'_>) -> Result<()> {
        let idle = self.idle_limit(&req);
        let what = req.describe();
        let response = self.request(req).await?;
        self.body_of(response, idle, &what).await.map(drop)
    }

    fn idle_limit(&self, req: &Req<'_>) -> Option<Duration> {
        match req.deadline {
            Deadline::Lasting => None,
            _ => self.timeout(),
        }
    }
}

/// The error of a request longer than a URI may be (a huge value in a
/// query or a path): names the call and its longest part, quoted short.
fn too_long(what: &str, req: &Req<'_>, len: usize, room: usize) -> Error {
    let longest = req
        .query
        .as_str()
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .max_by_key(|(_, value)| value.len());
    let part = match longest {
        Some((name, value)) if value.len() > req.path.len() => format!(
            "its '{}' is {}",
            error::excerpt(&request::decode(name), 40),
            decoded_excerpt(value)
        ),
        _ => format!("its path is {}", decoded_excerpt(&req.path)),
    };
    Error::invalid(format!(
        "{what}: too long a request ({len} bytes, at most {room}): {part}"
    ))
}

/// "N bytes ('head…')" of a percent-encoded text, as decoded: only its
/// head is decoded (the text can be megabytes long).
fn decoded_excerpt(encoded: &str) -> String {
    const HEAD: usize = 60;
    // Each escape is 3 bytes for 1.
    let size = encoded.len() - 2 * encoded.matches('%').count();
    let mut end = encoded.len().min(HEAD * 3);
    while !encoded.is_char_boundary(end) {
        end -= 1;
    }
    let head = request::decode(&encoded[..end]);
    let mut cut = head.len().min(HEAD);
    while !head.is_char_boundary(cut) {
        cut -= 1;
    }
    let more = if size > cut { "…" } else { "" };
    format!(
        "{size} bytes ('{}{more}')",
        error::escape_controls(&head[..cut])
    )
}

/// Connecting and the TLS handshake take at most this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `DOCKERLUA_TIMEOUT`: seconds, `0` for none; unset: [`DEFAULT_TIMEOUT`].
fn timeout_from_env() -> Result<Duration> {
    let Some(text) = std::env::var("DOCKERLUA_TIMEOUT")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(DEFAULT_TIMEOUT);
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        // Longer than a Duration holds (inf too): no clock overflows with MAX.
        .map(|s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX))
        .ok_or_else(|| {
            Error::invalid(format!(
                "DOCKERLUA_TIMEOUT: seconds expected (0 for none), got '{}'",
                error::excerpt(&text, 40)
            ))
        })
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit())
}

/// The version to speak to an engine whose `/_ping` says `engine`: the older
/// of its and ours. An engine that names none, or something that is no
/// version, gets ours.
fn negotiate(engine: Option<&str>) -> String {
    match engine.map(str::trim) {
        Some(v) if is_version(v) && version_lt(v, MAX_API_VERSION) => v.to_owned(),
        _ => MAX_API_VERSION.to_owned(),
    }
}

/// `1.41`: two numbers and a dot.
fn is_version(v: &str) -> bool {
    let mut parts = v.split('.');
    parts.next().is_some_and(is_number)
        && parts.next().is_some_and(is_number)
        && parts.next().is_none()
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
    fn versions_compare() {
        assert!(version_lt("1.41", "1.47"));
        assert!(version_lt("1.9", "1.41"));
        assert!(!version_lt("1.47", "1.47"));
        assert!(!version_lt("1.51", "1.47"));
    }

    #[test]
    fn negotiation_takes_the_older_of_the_engines_and_ours() {
        assert_eq!(MAX_API_VERSION, "1.51");
        // Engine 20.10, Docker 25, Docker 28: their own.
        assert_eq!(negotiate(Some("1.41")), "1.41");
        assert_eq!(negotiate(Some("1.44")), "1.44");
        assert_eq!(negotiate(Some("1.51")), "1.51");
        // Newer than the code has been checked against: ours.
        assert_eq!(negotiate(Some("1.52")), "1.51");
        assert_eq!(negotiate(Some("1.99")), "1.51");
        assert_eq!(negotiate(Some("2.0")), "1.51");
        // No version, or none that reads as one.
        assert_eq!(negotiate(None), "1.51");
        assert_eq!(negotiate(Some("")), "1.51");
        assert_eq!(negotiate(Some("banana")), "1.51");
        assert_eq!(negotiate(Some("1.41.2")), "1.51");
    }
}
