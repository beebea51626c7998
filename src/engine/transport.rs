//! Moving requests to the engine: hyper's pooled client over a unix socket,
//! TCP or TLS. Connections are kept alive and reused across calls.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use hyperlocal::UnixConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::error::{Error, ErrorKind, Result};

/// A request body: whole bytes, or a stream (a file being uploaded).
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// An engine address, parsed from `unix://`, `tcp://`, `http://` or
/// `https://` URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(String),
    /// `host:port`.
    Tcp(String),
    /// `host:port`, always spoken to over TLS.
    Https(String),
}

/// PEM files for a TLS engine, as the docker CLI names them: the CA that
/// signed the engine's certificate (the system's roots when `None`), and our
/// client certificate and key (none when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
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
        let (rest, tls) = if let Some(rest) = url.strip_prefix("https://") {
            (Some(rest), true)
        } else {
            let rest = url
                .strip_prefix("tcp://")
                .or_else(|| url.strip_prefix("http://"));
            (rest, false)
        };
        if let Some(rest) = rest {
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') {
                return Err(bad("expected tcp://HOST:PORT"));
            }
            // The engine's conventional ports: 2375 plain, 2376 over TLS.
            let authority = if authority
                .rsplit_once(':')
                .is_some_and(|(_, p)| !p.contains(']'))
            {
                authority.to_owned()
            } else if tls {
                format!("{authority}:2376")
            } else {
                format!("{authority}:2375")
            };
            return Ok(if tls {
                Address::Https(authority)
            } else {
                Address::Tcp(authority)
            });
        }
        if url.starts_with("ssh://") || url.starts_with("npipe://") {
            return Err(bad(
                "only unix://, tcp://, http:// and https:// engines are supported for now",
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
    Tls {
        client: Client<HttpsConnector<HttpConnector>, Body>,
        authority: String,
    },
}

pub struct Transport {
    inner: Inner,
    /// The address as the user wrote it, for error messages.
    url: String,
}

impl Transport {
    /// A transport for `url`; with `tls`, a `tcp://` engine is spoken to over
    /// TLS (as the docker CLI does with `--tls`), and `https://` uses those
    /// files instead of the system's roots.
    pub fn new(url: &str, tls: Option<&TlsFiles>) -> Result<Self> {
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_idle_timeout(Duration::from_secs(30));
        let tcp = || {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(Duration::from_secs(10)));
            http.set_nodelay(true);
            http
        };
        let no_tls = || {
            Error::invalid(format!(
                "bad engine address '{url}': tls needs a tcp:// or https:// engine"
            ))
        };
        let inner = match Address::parse(url)? {
            Address::Unix(_) if tls.is_some() => return Err(no_tls()),
            Address::Unix(path) => Inner::Unix {
                client: builder.build(UnixConnector),
                host_hex: path.bytes().map(|b| format!("{b:02x}")).collect(),
            },
            Address::Tcp(authority) if tls.is_none() => Inner::Tcp {
                client: builder.build(tcp()),
                authority,
            },
            Address::Tcp(_) if url.starts_with("http://") => return Err(no_tls()),
            Address::Tcp(authority) | Address::Https(authority) => {
                let mut http = tcp();
                // The https connector hands it https:// URIs.
                http.enforce_http(false);
                let connector = HttpsConnectorBuilder::new()
                    .with_tls_config(client_config(tls.cloned().unwrap_or_default())?)
                    .https_only()
                    .enable_http1()
                    .wrap_connector(http);
                Inner::Tls {
                    client: builder.build(connector),
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
            Inner::Tls { authority, .. } => format!("https://{authority}{path_and_query}"),
        };
        text.parse()
            .map_err(|_| Error::invalid(format!("bad request path '{path_and_query}'")))
    }

    pub async fn send(&self, request: Request<Body>) -> Result<Response<Incoming>> {
        let result = match &self.inner {
            Inner::Unix { client, .. } => client.request(request).await,
            Inner::Tcp { client, .. } => client.request(request).await,
            Inner::Tls { client, .. } => client.request(request).await,
        };
        result.map_err(|e| {
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            let message = if is_tls_error(&e) {
                format!(
                    "TLS handshake with the engine at {} failed: {cause}",
                    self.url
                )
            } else {
                format!("cannot reach the engine at {}: {cause}", self.url)
            };
            Error::new(ErrorKind::Connection, message)
        })
    }
}

/// Whether rustls is behind a failed request. Its errors come wrapped in
/// io::Errors, whose source() skips the wrapped error: look inside them.
fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<rustls::Error>() {
        return true;
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        if is_tls_error(inner) {
            return true;
        }
    }
    e.source().is_some_and(is_tls_error)
}

/// The rustls configuration for `files`: only their CA is trusted when
/// there is one; the client certificate is sent when there is one.
fn client_config(files: TlsFiles) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    match &files.ca {
        Some(ca) => {
            let certs = read_certs(ca)?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad_file(ca, "no usable CA certificate"));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            if roots.is_empty() {
                return Err(Error::invalid(
                    "no CA certificates: the system has none; give tls.ca (or DOCKER_CERT_PATH)",
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid(format!("tls: {e}")))?
        .with_root_certificates(roots);
    match (&files.cert, &files.key) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert)?;
            let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| bad_file(key, &format!("does not fit '{}': {e}", cert.display())))
        }
        (Some(_), None) => Err(Error::invalid("tls: a client cert needs its key")),
        (None, Some(_)) => Err(Error::invalid("tls: a client key needs its cert")),
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(bad_file(path, "no PEM certificate in it"));
    }
    Ok(certs)
}

fn pem_error(path: &Path, e: rustls::pki_types::pem::Error) -> Error {
    match e {
        rustls::pki_types::pem::Error::Io(io) => bad_file(path, &io.to_string()),
        rustls::pki_types::pem::Error::NoItemsFound => {
            bad_file(path, "no PEM certificate or private key in it")
        }
        other => bad_file(path, &format!("bad PEM: {other}")),
    }
}

fn bad_file(path: &Path, why: &str) -> Error {
    Error::invalid(format!("tls: cannot use '{}': {why}", path.display()))
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
        assert_eq!(
            Address::parse("https://engine.example").unwrap(),
            Address::Https("engine.example:2376".into())
        );
        assert!(Address::parse("unix://relative").is_err());
        assert!(Address::parse("ftp://x").is_err());
        assert!(Address::parse("tcp://").is_err());
    }

    #[test]
    fn bad_tls_files_are_named() {
        let files = TlsFiles {
            ca: Some("/nonexistent/ca.pem".into()),
            ..TlsFiles::default()
        };
        let err = Transport::new("https://127.0.0.1:2376", Some(&files))
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(
            err.message.contains("/nonexistent/ca.pem"),
            "{}",
            err.message
        );
        let err = Transport::new("unix:///x.sock", Some(&files))
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
    }
}
