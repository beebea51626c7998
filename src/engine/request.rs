//! What a request is: method, path, query (percent-encoded as it is built),
//! body and headers; and how an error status becomes an [`Error`].

use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Response, StatusCode};
use serde_json::Value;

use super::body::{read_at_most, MAX_ERROR};
use super::upload::Upload;
use super::{Error, Result};

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

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters. Runs of
/// unreserved bytes are copied whole and bytes looked up in a table: values
/// can be megabytes long, and this loop runs unoptimized in test builds.
fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    const UNRESERVED: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] =
                c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c == b'~';
            b += 1;
        }
        table
    };
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let byte = bytes[i];
        if UNRESERVED[usize::from(byte)] {
            i += 1;
            continue;
        }
        // The run before is ASCII: a valid string on its own.
        out.push_str(std::str::from_utf8(&bytes[start..i]).unwrap_or_default());
        out.push('%');
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 0xf)] as char);
        i += 1;
        start = i;
    }
    out.push_str(std::str::from_utf8(&bytes[start..]).unwrap_or_default());
}

/// `text` percent-decoded (for messages: bytes that are not UTF-8 are
/// replaced).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) if hex(hi).is_some() && hex(lo).is_some() => {
                out.push((hex(hi).unwrap_or(0) * 16 + hex(lo).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

/// One request to the engine: path (without version), query, body.
pub struct Req<'a> {
    pub method: Method,
    pub path: String,
    pub query: Query,
    pub body: Option<Bytes>,
    /// A body streamed as it is produced; taken over `body` when set.
    pub upload: Option<Upload>,
    pub content_type: &'a str,
    pub headers: Vec<(&'a str, String)>,
    /// A 404 means `ImageNotFound`.
    pub image: bool,
    /// How long the engine may take to answer.
    pub deadline: Deadline,
    /// A long answer read by the caller: on a connection of its own, which
    /// its reader drives (see [`super::transport::Transport::send_own`]).
    pub own_connection: bool,
}

/// How long a request may take before it fails with `Timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The client's timeout, for the answer's head and for each wait for
    /// more of its body.
    Client,
    /// The client's timeout plus this: the engine itself waits that long
    /// before it answers (stop's `t`).
    Plus(Duration),
    /// None: streams and waits that are meant to last.
    Lasting,
}

impl<'a> Req<'a> {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Req {
            method,
            path: path.into(),
            query: Query::new(),
            body: None,
            upload: None,
            content_type: "application/json",
            headers: Vec::new(),
            image: false,
            deadline: Deadline::Client,
            own_connection: false,
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

    /// A body sent while it is produced (chunked): build contexts, archives.
    pub fn stream_body(mut self, upload: Upload, content_type: &'a str) -> Self {
        self.upload = Some(upload);
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

    /// "GET /containers/x/json", for messages (the path cut short).
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, super::error::excerpt(&self.path, 100))
    }

    /// A stream or a wait: no client timeout applies.
    pub fn lasting(mut self) -> Self {
        self.deadline = Deadline::Lasting;
        self
    }

    /// A long answer (logs): on a connection of its own, driven by its reader.
    pub fn own_connection(mut self) -> Self {
        self.own_connection = true;
        self
    }

    /// The engine waits `extra` before it answers.
    pub fn plus(mut self, extra: Duration) -> Self {
        self.deadline = Deadline::Plus(extra);
        self
    }
}

/// Turns an error status into an [`Error`] carrying the engine's message,
/// read with `idle` (the client timeout) as the longest wait for more of it,
/// even for a stream: an error answer that stalls after its head ends.
pub(crate) async fn check(
    response: Response<Incoming>,
    image: bool,
    idle: Option<Duration>,
) -> Result<Response<Incoming>> {
    let status = response.status();
    // 101: a hijacked exec/attach connection.
    if status.is_success()
        || status == StatusCode::NOT_MODIFIED
        || status == StatusCode::SWITCHING_PROTOCOLS
    {
        return Ok(response);
    }
    let (bytes, cut, stalled) = match read_at_most(response, MAX_ERROR, idle).await {
        Ok((bytes, cut)) => (bytes, cut, None),
        Err(e) => (Bytes::new(), false, Some(e.message)),
    };
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned());
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        message
    };
    let message = match (cut, stalled) {
        (true, _) => format!("{message} (the engine's error message was cut at 1 MiB)"),
        (_, Some(why)) => format!("{message} (reading the engine's error message: {why})"),
        _ => message,
    };
    Err(Error::from_status(status.as_u16(), message, image))
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
        assert_eq!(decode(q.as_str()), r#"?filters={"label":["a=b c"]}&all=1"#);
        assert_eq!(decode("%zz%4"), "%zz%4");
        let mut all = String::new();
        encode_into(&mut all, "aZ9-._~ é/%");
        assert_eq!(all, "aZ9-._~%20%C3%A9%2F%25");
    }
}
