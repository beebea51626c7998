//! The BuildKit session: `POST /session` hijacked to HTTP/2 (`Upgrade:
//! h2c`), on which the engine is the gRPC client and we serve the methods
//! we announced in the request's headers.

use hyper::StatusCode;
use hyper_util::rt::TokioExecutor;
use hyper_util::service::TowerToHyperService;
use tokio::task::JoinHandle;
use tonic::service::Routes;

use crate::engine::{Engine, Error, ErrorKind, Req, Result};

/// The gRPC methods every session serves, announced to the engine (it
/// calls nothing else); a build given `ssh` adds the ssh forwarding ones.
pub const METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/moby.filesync.v1.FileSync/DiffCopy",
    "/moby.buildkit.secrets.v1.Secrets/GetSecret",
    "/moby.filesync.v1.Auth/Credentials",
];

/// An open session, served until dropped.
pub struct Session {
    pub id: String,
    server: JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the connection ends the session on the engine's side.
        self.server.abort();
    }
}

/// A random-enough id: the engine only needs it unique among its sessions.
pub fn new_id() -> String {
    use sha2::{Digest, Sha256};
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!("{stamp}-{}-{:p}", std::process::id(), &stamp);
    let hash = Sha256::digest(seed.as_bytes());
    hash[..13]
        .iter()
        .map(|b| format!("{:02x}", b))
        .collect::<String>()[..25]
        .to_owned()
}

impl Engine {
    /// Opens a session named `name` (the context folder's name) whose
    /// `shared_key` lets the engine reuse what an earlier session of the
    /// same context sent; `routes` answer the engine's calls to `methods`.
    pub(super) async fn open_session(
        &self,
        name: &str,
        shared_key: &str,
        routes: Routes,
        methods: &[&str],
    ) -> Result<Session> {
        let id = new_id();
        let mut req = Req::post("/session")
            .header("connection", "Upgrade".into())
            .header("upgrade", "h2c".into())
            .header("x-docker-expose-session-uuid", id.clone())
            .header("x-docker-expose-session-name", header_safe(name))
            .header("x-docker-expose-session-sharedkey", header_safe(shared_key))
            .lasting();
        for method in methods {
            req = req.header("x-docker-expose-session-grpc-method", (*method).into());
        }
        let response = self.request(req).await?;
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(Error::new(
                ErrorKind::Api,
                format!(
                    "the engine did not open a BuildKit session (answered {}): is BuildKit on?",
                    response.status()
                ),
            ));
        }
        let io = hyper::upgrade::on(response).await.map_err(|e| {
            Error::new(
                ErrorKind::Connection,
                format!("hijacking the session connection: {e}"),
            )
        })?;
        let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, TowerToHyperService::new(routes));
        let server = tokio::spawn(async move {
            // Its end (the engine closed it, or the build is over) needs no report.
            let _ = connection.await;
        });
        Ok(Session { id, server })
    }
}

/// Header values are visible ASCII: anything else becomes `_`.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_header_safe() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 25);
        assert_ne!(a, b);
        assert_eq!(header_safe("ctx\néé"), "ctx___");
    }
}
