//! Moving requests to the engine: hyper's pooled client over a unix socket,
//! TCP or TLS. Connections are kept alive and reused across calls.
//!
//! A long answer (logs) gets a connection of its own instead, whose driver
//! ([`Driver`]) travels with the answer and is polled by its reader: every
//! chunk of the body then goes from the socket to the reader in the same
//! task, without a trip through the scheduler to the pool's connection task
//! for each one (the engine sends a chunk per log line).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyperlocal::UnixConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::error::{excerpt, Error, ErrorKind, Result};
use super::ssh::{SshConnector, SshTarget};

/// A request body: whole, or streamed as it is produced.
pub type Body = Either<Full<Bytes>, super::upload::Upload>;

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
        let bad =
            |why: &str| Error::invalid(format!("bad engine address '{}': {why}", redact(url)));
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
            // Userinfo means nothing to the engine's API: dropped, as the
            // docker CLI drops it (and never shown: see `redact`).
            let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
            if authority.is_empty() || authority.contains('/') {
                return Err(bad("expected tcp://HOST:PORT"));
            }
            // The engine's conventional ports: 2375 plain, 2376 over TLS.
            let default_port = if tls { 2376 } else { 2375 };
            let (host, port) = split_host_port(authority).map_err(|why| bad(&why))?;
            let port = match port {
                None => default_port,
                Some(p) => match p.parse::<u16>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(bad(&format!(
                            "bad port '{}' (1-65535 expected)",
                            excerpt(p, 20)
                        )))
                    }
                },
            };
            let authority = format!("{host}:{port}");
            return Ok(if tls {
                Address::Https(authority)
            } else {
                Address::Tcp(authority)
            });
        }
        if url.starts_with("npipe://") {
            return Err(bad(
                "only unix://, tcp://, http://, https:// and ssh:// engines are supported",
            ));
        }
        Err(bad(
            "expected unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST",
        ))
    }
}

/// `host[:port]` or `[v6]:port` apart; the host keeps its brackets.
fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<&str>), String> {
    let (host, port) = if authority.starts_with('[') {
        let Some(end) = authority.find(']') else {
            return Err("unclosed '[' in the IPv6 address".into());
        };
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected '{}' after ']'", excerpt(after, 20))),
            },
        }
    } else {
        match authority.split_once(':') {
            None => (authority, None),
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address needs brackets: tcp://[::1]:2375".into())
            }
            Some((host, port)) => (host, Some(port)),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err("no host".into());
    }
    Ok((host, port))
}

/// `url` with a password in its userinfo replaced by `xxxxx`, as Go's
/// `url.Redacted` (and so the docker CLI) shows it.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:xxxxx"),
                None => userinfo.to_owned(),
            };
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

enum Inner {
    Unix {
        client: Client<Socket, Body>,
        path: String,
    },
    Tcp {
        client: Client<Limited<HttpConnector>, Body>,
        connector: Limited<HttpConnector>,
        authority: String,
    },
    Tls {
        client: Client<Limited<HttpsConnector<HttpConnector>>, Body>,
        authority: String,
    },
    /// One `ssh ... docker system dial-stdio` process per connection.
    Ssh { client: Client<SshConnector, Body> },
}

pub struct Transport {
    inner: Inner,
    /// The address as the user wrote it, password hidden, for messages.
    url: String,
}

/// The most idle connections kept for reuse.
pub const MAX_IDLE_CONNECTIONS: usize = 16;

impl Transport {
    /// A transport for `url`; with `tls`, a `tcp://` engine is spoken to over
    /// TLS (as the docker CLI does with `--tls`), and `https://` uses those
    /// files instead of the system's roots.
    /// Connecting (TCP, then TLS) fails with `Timeout` after `handshake`.
    pub fn new(url: &str, tls: Option<&TlsFiles>, handshake: Duration) -> Result<Self> {
        let mut builder = Client::builder(TokioExecutor::new());
        builder.pool_idle_timeout(Duration::from_secs(30));
        // A burst of parallel calls must not leave hundreds of idle sockets
        // open for the next 30 s: keep as many as a `parallel` runs at once
        // by default.
        builder.pool_max_idle_per_host(MAX_IDLE_CONNECTIONS);
        let tcp = || {
            let mut http = HttpConnector::new();
            http.set_connect_timeout(Some(handshake));
            http.set_nodelay(true);
            http
        };
        let no_tls = || {
            Error::invalid(format!(
                "bad engine address '{url}': tls needs a tcp:// or https:// engine"
            ))
        };
        if url.starts_with("ssh://") {
            let target = SshTarget::parse(url)?;
            if tls.is_some() {
                return Err(Error::invalid(format!(
                    "bad engine address '{}': tls needs a tcp:// or https:// engine",
                    redact(url)
                )));
            }
            return Ok(Transport {
                inner: Inner::Ssh {
                    client: builder.build(SshConnector::new(target)),
                },
                url: url.to_owned(),
            });
        }
        let inner = match Address::parse(url)? {
            Address::Unix(_) if tls.is_some() => return Err(no_tls()),
            Address::Unix(path) => Inner::Unix {
                client: builder.build(Socket {
                    uri: hyperlocal::Uri::new(&path, "/").into(),
                }),
                path,
            },
            Address::Tcp(authority) if tls.is_none() => Inner::Tcp {
                client: builder.build(Limited::new(tcp(), handshake)),
                connector: Limited::new(tcp(), handshake),
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
                    client: builder.build(Limited::new(connector, handshake)),
                    authority,
                }
            }
        };
        Ok(Transport {
            inner,
            url: redact(url),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The longest path and query a request may have: a URI holds less
    /// than 64 KiB, our address part included.
    pub fn max_target(&self) -> usize {
        let address = match &self.inner {
            Inner::Unix { .. } => SOCKET_AUTHORITY.len(),
            Inner::Tcp { authority, .. } => "http://".len() + authority.len(),
            Inner::Tls { authority, .. } => "https://".len() + authority.len(),
            Inner::Ssh { .. } => "http://docker".len(),
        };
        usize::from(u16::MAX - 1).saturating_sub(address)
    }

    /// The full URI for an already encoded path and query.
    pub fn uri(&self, path_and_query: &str) -> Result<Uri> {
        let text = match &self.inner {
            Inner::Unix { .. } => format!("{SOCKET_AUTHORITY}{path_and_query}"),
            Inner::Tcp { authority, .. } => format!("http://{authority}{path_and_query}"),
            Inner::Tls { authority, .. } => format!("https://{authority}{path_and_query}"),
            // The host is a placeholder: the process is the connection.
            Inner::Ssh { .. } => format!("http://docker{path_and_query}"),
        };
        // http's URIs hold at most 64 KiB: a longer one is a huge name or
        // value, quoted as an excerpt.
        text.parse().map_err(|_| {
            let why = if text.len() >= u16::MAX as usize {
                "too long"
            } else {
                "bad request path"
            };
            Error::invalid(format!("{why}: '{}'", excerpt(path_and_query, 80)))
        })
    }

    pub async fn send(&self, request: Request<Body>) -> Result<Response<Incoming>> {
        let result = match &self.inner {
            Inner::Unix { client, .. } => client.request(request).await,
            Inner::Tcp { client, .. } => client.request(request).await,
            Inner::Tls { client, .. } => client.request(request).await,
            Inner::Ssh { client } => client.request(request).await,
        };
        result.map_err(|e| self.connection_error(&e))
    }

    /// As [`Transport::send`], on a new connection of the answer's own, which
    /// its reader drives: see [`Driver`]. Over TLS and ssh, whose
    /// connections cost a handshake or a process, the pooled client answers.
    pub async fn send_own(&self, mut request: Request<Body>) -> Result<Response<Incoming>> {
        let io = match &self.inner {
            Inner::Unix { path, .. } => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| self.connection_error(&e))?;
                Box::new(TokioIo::new(stream)) as Box<dyn Io>
            }
            Inner::Tcp { connector, .. } => {
                let mut connector = connector.clone();
                let stream = tower_service::Service::call(&mut connector, request.uri().clone())
                    .await
                    .map_err(|e| self.connection_error(&*e))?;
                Box::new(stream) as Box<dyn Io>
            }
            Inner::Tls { .. } | Inner::Ssh { .. } => return self.send(request).await,
        };
        // The pooled client writes the request's target in origin form and
        // the Host header itself; here it is ours to do.
        let host = request
            .uri()
            .authority()
            .map_or_else(|| "docker".to_owned(), |a| a.to_string());
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse::<Uri>()
            .map_err(|e| Error::invalid(format!("bad request path: {e}")))?;
        *request.uri_mut() = target;
        if let Ok(host) = hyper::header::HeaderValue::from_str(&host) {
            request.headers_mut().insert(hyper::header::HOST, host);
        }
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| self.connection_error(&e))?;
        let mut driver = Driver {
            connection: Some(Box::pin(connection)),
            sender,
        };
        let sending = driver.sender.send_request(request);
        let mut sending = std::pin::pin!(sending);
        let mut response = std::future::poll_fn(|cx| {
            driver.poll(cx);
            sending.as_mut().poll(cx)
        })
        .await
        .map_err(|e| self.connection_error(&e))?;
        response
            .extensions_mut()
            .insert(DriverSlot(Arc::new(Mutex::new(Some(driver)))));
        Ok(response)
    }

    /// A failed request as an [`Error`]: a timeout, a TLS failure, or an
    /// engine out of reach, with the innermost cause.
    fn connection_error(&self, e: &(dyn std::error::Error + 'static)) -> Error {
        let mut cause: &dyn std::error::Error = e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        if let Some(limit) = find_cause::<ConnectTimeout>(e) {
            let what = match self.inner {
                Inner::Tls { .. } => "connecting (with the TLS handshake)",
                _ => "connecting",
            };
            return Error::new(
                ErrorKind::Timeout,
                format!(
                    "{what} to the engine at {} took longer than {} s",
                    self.url,
                    limit.0.as_secs_f64()
                ),
            );
        }
        let message = if is_tls_error(e) {
            format!(
                "TLS handshake with the engine at {} failed: {cause}",
                self.url
            )
        } else {
            format!("cannot reach the engine at {}: {cause}", self.url)
        };
        Error::new(ErrorKind::Connection, message)
    }
}

/// What a connection of its own needs: a reader and a writer for hyper.
trait Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send {}
impl<T: hyper::rt::Read + hyper::rt::Write + Unpin + Send> Io for T {}

/// The connection of an answer sent by [`Transport::send_own`]: it moves
/// the answer's bytes only while polled, by the answer's reader
/// ([`Driver::take`] finds it in the answer).
pub struct Driver {
    /// `None` once it has ended (closed, or failed: the body then reports
    /// the error).
    connection: Option<Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>>,
    /// Kept for the connection's life: without it hyper would close the
    /// connection once idle.
    sender: hyper::client::conn::http1::SendRequest<Body>,
}

impl Driver {
    /// Moves what the connection can move now (a chunk of the body into
    /// hyper's channel to the reader).
    pub fn poll(&mut self, cx: &mut Context<'_>) {
        if let Some(connection) = &mut self.connection {
            if connection.as_mut().poll(cx).is_ready() {
                self.connection = None;
            }
        }
    }

    /// The driver of an answer from [`Transport::send_own`], if it is one.
    pub fn take(response: &mut Response<Incoming>) -> Option<Driver> {
        let slot = response.extensions_mut().remove::<DriverSlot>()?;
        let driver = slot.0.lock().ok()?.take();
        driver
    }
}

/// The driver, carried in the answer's extensions (which need `Clone` and
/// `Sync`).
#[derive(Clone)]
struct DriverSlot(Arc<Mutex<Option<Driver>>>);

/// What the requests to a unix socket name as their address.
const SOCKET_AUTHORITY: &str = "unix://docker";

/// hyperlocal's connector, reached through a short address: hyper-util's
/// pool hashes a request's scheme and authority several times a request
/// (SipHash was 6% of a 60-request script's instructions with hyperlocal's
/// hex-encoded socket path there), and every request repeated that path as
/// its `Host`. Requests name [`SOCKET_AUTHORITY`]; hyperlocal is handed the
/// URI it reads the path from.
#[derive(Clone)]
pub struct Socket {
    uri: Uri,
}

impl tower_service::Service<Uri> for Socket {
    type Response = <UnixConnector as tower_service::Service<Uri>>::Response;
    type Error = <UnixConnector as tower_service::Service<Uri>>::Error;
    type Future = <UnixConnector as tower_service::Service<Uri>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        UnixConnector.poll_ready(cx)
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        UnixConnector.call(self.uri.clone())
    }
}

/// A connector whose connections (TCP, then TLS) must be made within a time:
/// an engine that accepts and then says nothing must not hang a call.
#[derive(Clone)]
pub struct Limited<C> {
    inner: C,
    limit: Duration,
}

impl<C> Limited<C> {
    fn new(inner: C, limit: Duration) -> Self {
        Limited { inner, limit }
    }
}

/// The error of a connection not made in time.
#[derive(Debug)]
struct ConnectTimeout(Duration);

impl std::fmt::Display for ConnectTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not connected within {} s", self.0.as_secs_f64())
    }
}

impl std::error::Error for ConnectTimeout {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<C> tower_service::Service<Uri> for Limited<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = std::result::Result<C::Response, BoxError>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(made) => made.map_err(Into::into),
                Err(_) => Err(Box::new(ConnectTimeout(limit)) as BoxError),
            }
        })
    }
}

/// An error of type `T` in `e`'s chain of causes.
fn find_cause<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(found) = c.downcast_ref::<T>() {
            return Some(found);
        }
        cause = c.source();
    }
    None
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
        assert_eq!(
            Address::parse("tcp://[::1]:2375").unwrap(),
            Address::Tcp("[::1]:2375".into())
        );
        assert_eq!(
            Address::parse("tcp://user:pw@host:1").unwrap(),
            Address::Tcp("host:1".into())
        );
    }

    #[test]
    fn bad_hosts_and_ports_are_named() {
        for (url, why) in [
            ("tcp://127.0.0.1:99999", "bad port '99999'"),
            ("tcp://localhost:notaport", "bad port 'notaport'"),
            ("tcp://localhost:", "bad port ''"),
            ("tcp://localhost:0", "bad port '0'"),
            ("tcp://[::1", "unclosed '['"),
            ("tcp://::1", "needs brackets"),
            ("tcp://:2375", "no host"),
        ] {
            let err = Address::parse(url).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidArgument, "{url}");
            assert!(err.message.contains(why), "{url}: {}", err.message);
        }
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("tcp://user:s3cret@host:2375"),
            "tcp://user:xxxxx@host:2375"
        );
        assert_eq!(redact("ssh://me@host/x"), "ssh://me@host/x");
        assert_eq!(redact("unix:///run/d.sock"), "unix:///run/d.sock");
        let err = Address::parse("tcp://user:s3cret@host:x").unwrap_err();
        assert!(!err.message.contains("s3cret"), "{}", err.message);
    }

    #[test]
    fn bad_tls_files_are_named() {
        let files = TlsFiles {
            ca: Some("/nonexistent/ca.pem".into()),
            ..TlsFiles::default()
        };
        let err = Transport::new(
            "https://127.0.0.1:2376",
            Some(&files),
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(
            err.message.contains("/nonexistent/ca.pem"),
            "{}",
            err.message
        );
        let err = Transport::new("unix:///x.sock", Some(&files), Duration::from_secs(1))
            .err()
            .unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
    }
}
