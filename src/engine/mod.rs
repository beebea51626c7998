//! The Engine API client. It speaks HTTP and JSON to a Docker (or Podman)
//! engine and knows nothing of Lua.
//!
//! - [`Engine`]: one engine, its pooled connections and negotiated API version;
//!   the endpoints live in [`containers`], [`images`] and [`system`].
//! - [`request`] builds requests and turns error statuses into [`Error`]s;
//!   [`body`] reads answers: whole, chunked, JSON lines, container output.
//! - [`host`]: finding the engine (`DOCKER_HOST`, contexts);
//!   [`credentials`]: who we are to registries; [`config`]: `config.json`.
//! - [`reference`]: image references, parsed in one place.
//! - [`stream`]: decoders for the multiplexed log frames and JSON lines.
//! - `transport`: moving requests over unix sockets, TCP and TLS.
//!
//! Answers are `serde_json::Value`s, not structs: engines differ, and a field
//! one of them lacks must not break a caller.

mod body;
pub mod config;
pub mod containers;
pub mod credentials;
pub mod duration;
pub mod error;
pub mod files;
pub mod host;
pub mod images;
mod podman;
pub mod reference;
mod request;
pub mod resource;
pub mod stream;
pub mod system;
mod transport;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::Value;
use tokio::sync::OnceCell;

pub use body::{read_body, BodyReader, JsonStream, OutputStream};
pub use error::{Error, ErrorKind, Result};
use request::check;
pub use request::{segment, Query, Req};
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
    /// What the first `/_ping` told; one ping serves every question.
    facts: OnceCell<Facts>,
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
        let pinned_version = api_version
            .or_else(|| std::env::var("DOCKER_API_VERSION").ok())
            .filter(|v| !v.is_empty())
            .map(|v| v.trim_start_matches('v').to_owned());
        Ok(Engine {
            inner: Arc::new(Inner {
                transport: transport::Transport::new(url, tls)?,
                pinned_version,
                facts: OnceCell::new(),
            }),
        })
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
                let response = self.send_raw(Method::GET, "/_ping", None, &[]).await?;
                let headers = response.headers();
                let version = match headers.get("api-version").and_then(|v| v.to_str().ok()) {
                    Some(engine) if version_lt(engine, MAX_API_VERSION) => engine.to_owned(),
                    _ => MAX_API_VERSION.to_owned(),
                };
                let podman = headers.contains_key("libpod-api-version");
                check(response, false).await?;
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
            None => whole(Bytes::new()),
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
        let body = match (req.upload, req.body) {
            (Some(upload), _) => Some((upload, req.content_type)),
            (None, Some(bytes)) => Some((whole(bytes), req.content_type)),
            (None, None) => None,
        };
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

/// A body of bytes already in memory.
fn whole(bytes: Bytes) -> transport::Body {
    use http_body_util::BodyExt;
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
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
}
