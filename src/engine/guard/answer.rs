//! Placeholder answers as real HTTP responses: written into an in-memory
//! pipe and read back by hyper, so callers read them as the engine's.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::engine::{Error, ErrorKind, Req, Result};

/// A placeholder answer.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Bytes,
    /// `101 Switching Protocols` for a hijacked exec.
    pub(super) upgrade: bool,
    /// More header lines (an archive's stat).
    pub(super) headers: Vec<(&'static str, String)>,
}

impl Answer {
    pub(super) fn json(status: u16, value: &Value) -> Self {
        Answer {
            status,
            content_type: "application/json",
            body: Bytes::from(value.to_string()),
            upgrade: false,
            headers: Vec::new(),
        }
    }

    pub(super) fn empty() -> Self {
        Answer {
            status: 204,
            content_type: "text/plain",
            body: Bytes::new(),
            upgrade: false,
            headers: Vec::new(),
        }
    }

    /// An empty stream of JSON lines (pull, push, load progress).
    pub(super) fn lines(lines: &[Value]) -> Self {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        Answer {
            status: 200,
            content_type: "application/json",
            body: Bytes::from(text),
            upgrade: false,
            headers: Vec::new(),
        }
    }

    /// A container's output with nothing in it.
    pub(super) fn output() -> Self {
        Answer {
            status: 200,
            content_type: "application/vnd.docker.multiplexed-stream",
            body: Bytes::new(),
            upgrade: false,
            headers: Vec::new(),
        }
    }
}

/// Writes `answer` into an in-memory connection and reads it back with
/// hyper, which makes it a response like the engine's.
pub(super) async fn respond(mut answer: Answer, req: &Req<'_>) -> Result<Response<Incoming>> {
    // Output asked for on a hijacked connection (attach, exec start): an
    // upgraded connection that ends at once, as the engine's would.
    let hijack = req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("upgrade"));
    if hijack && answer.status == 200 && answer.content_type == Answer::output().content_type {
        answer.status = 101;
        answer.upgrade = true;
    }
    let (client_io, mut server_io) = tokio::io::duplex(64 * 1024);
    let reason = match answer.status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    if answer.upgrade {
        head.push_str("connection: Upgrade\r\nupgrade: tcp\r\n");
    } else {
        head.push_str("connection: close\r\n");
    }
    head.push_str(&format!("content-type: {}\r\n", answer.content_type));
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !answer.upgrade && answer.status != 204 {
        head.push_str(&format!("content-length: {}\r\n", answer.body.len()));
    }
    head.push_str("\r\n");
    let body = answer.body;
    let upgrade = answer.upgrade;
    tokio::spawn(async move {
        // The request's head first (hyper must have sent it), then the answer.
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match server_io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        if server_io.write_all(head.as_bytes()).await.is_err()
            || server_io.write_all(&body).await.is_err()
        {
            return;
        }
        if upgrade {
            // The hijacked stream ends at once; what is written is dropped.
            let _ = server_io.shutdown().await;
        }
        while let Ok(n) = server_io.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    let broken = |e: hyper::Error| Error::new(ErrorKind::Connection, format!("dry run: {e}"));
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(client_io))
            .await
            .map_err(broken)?;
    tokio::spawn(connection.with_upgrades());
    let mut builder = Request::builder()
        .method(req.method.clone())
        .uri(format!("{}{}", req.path, req.query.as_str()))
        .header("host", "dry-run");
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("upgrade") {
            builder = builder.header(*name, value);
        }
    }
    let request = builder
        .body(Full::new(Bytes::new()))
        .map_err(|e| Error::invalid(format!("bad request: {e}")))?;
    sender.send_request(request).await.map_err(broken)
}
