//! What a request is: method, path, query (percent-encoded as it is built),
//! body and headers; and how an error status becomes an [`Error`].

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Response, StatusCode};
use serde_json::Value;

use super::body::read_body;
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
    /// A streamed body (a file), sent instead of `body`.
    pub upload: Option<super::transport::Body>,
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
            upload: None,
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

    /// A body streamed as it is read (see [`super::files`]).
    pub fn upload(mut self, body: super::transport::Body, content_type: &'a str) -> Self {
        self.upload = Some(body);
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
pub(crate) async fn check(response: Response<Incoming>, image: bool) -> Result<Response<Incoming>> {
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
}
