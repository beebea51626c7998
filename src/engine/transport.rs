//! Moving requests to the engine: hyper's pooled client over a unix socket or
//! TCP. Connections are kept alive and reused across calls.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyperlocal::UnixConnector;

use super::error::{Error, ErrorKind, Result};

pub type Body = Full<Bytes>;

/// An engine address, parsed from `unix://`, `tcp://` or `http://` URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(String),
    /// `host:port`.
    Tcp(String),
}

impl Address {
    pub fn parse(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid(format!("bad engine address '{url}': {why}"));
        if let Some(path) = url.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(bad("the socket path must be absolute"));
            }
            return Ok(Address::Unix(path.to_owned()));
        }
        let rest = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"));
        if let Some(rest) = rest {
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') {
                return Err(bad("expected tcp://HOST:PORT"));
            }
            let authority = if authority
                .rsplit_once(':')
                .is_some_and(|(_, p)| !p.contains(']'))
            {
                authority.to_owned()
            } else {
                format!("{authority}:2375")
            };
            return Ok(Address::Tcp(authority));
        }
        if url.starts_with("https://") || url.starts_with("ssh://") || url.starts_with("npipe://") {
            return Err(bad(
                "only unix://, tcp:// and http:// engines are supported for now",
            ));
        }
        Err(bad("expected unix://PATH or tcp://HOST:PORT"))
    }
}

enum Inner {
    Unix {
        client: Client<UnixConnector, Body>,
        host_hex: String,
    },
    Tcp {
        client: Client<HttpConnector, Body>,
        authority: String,
    },
}

pub struct Transport {
    inner: Inner,
    /// The address as the user wrote it, for error messages.
    url: String,
}

impl Transport {
    pub fn new(url: &str) -> Result<Self> {
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_idle_timeout(Duration::from_secs(30));
        let inner = match Address::parse(url)? {
            Address::Unix(path) => Inner::Unix {
                client: builder.build(UnixConnector),
                host_hex: path.bytes().map(|b| format!("{b:02x}")).collect(),
            },
            Address::Tcp(authority) => {
                let mut http = HttpConnector::new();
                http.set_connect_timeout(Some(Duration::from_secs(10)));
                http.set_nodelay(true);
                Inner::Tcp {
                    client: builder.build(http),
                    authority,
                }
            }
        };
        Ok(Transport {
            inner,
            url: url.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The full URI for an already encoded path and query.
    pub fn uri(&self, path_and_query: &str) -> Result<Uri> {
        let text = match &self.inner {
            Inner::Unix { host_hex, .. } => format!("unix://{host_hex}:0{path_and_query}"),
            Inner::Tcp { authority, .. } => format!("http://{authority}{path_and_query}"),
        };
        text.parse()
            .map_err(|_| Error::invalid(format!("bad request path '{path_and_query}'")))
    }

    pub async fn send(&self, request: Request<Body>) -> Result<Response<Incoming>> {
        let result = match &self.inner {
            Inner::Unix { client, .. } => client.request(request).await,
            Inner::Tcp { client, .. } => client.request(request).await,
        };
        result.map_err(|e| {
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            Error::new(
                ErrorKind::Connection,
                format!("cannot reach the engine at {}: {cause}", self.url),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        assert_eq!(
            Address::parse("unix:///var/run/docker.sock").unwrap(),
            Address::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            Address::parse("tcp://127.0.0.1:2375").unwrap(),
            Address::Tcp("127.0.0.1:2375".into())
        );
        assert_eq!(
            Address::parse("http://localhost").unwrap(),
            Address::Tcp("localhost:2375".into())
        );
        assert!(Address::parse("unix://relative").is_err());
        assert!(Address::parse("ftp://x").is_err());
        assert!(Address::parse("tcp://").is_err());
    }
}
