//! Errors of the engine client: a kind a script can branch on, the HTTP
//! status when the engine answered, and a message for people.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404 on a container, network, volume, exec... (anything but an image).
    NotFound,
    /// 404 on an image, or a pull that found no such image.
    ImageNotFound,
    /// 409: a name in use, a container that is not running...
    Conflict,
    /// Any other answer of the engine that is an error.
    Api,
    /// The engine could not be reached, or the connection broke.
    Connection,
    /// A deadline passed.
    Timeout,
    /// The caller asked for something malformed; nothing was sent.
    InvalidArgument,
}

impl ErrorKind {
    /// The name scripts see as `err.kind`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::ImageNotFound => "ImageNotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Api => "APIError",
            ErrorKind::Connection => "ConnectionError",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::InvalidArgument => "InvalidArgument",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The HTTP status, when the engine answered.
    pub status: Option<u16>,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            status: None,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An error answer of the engine; `image` says the request was about an
    /// image, so that a 404 is an `ImageNotFound`.
    pub fn from_status(status: u16, message: String, image: bool) -> Self {
        let kind = match status {
            404 if image || message.starts_with("No such image") => ErrorKind::ImageNotFound,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            _ => ErrorKind::Api,
        };
        Error {
            kind,
            status: Some(status),
            message,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} ({}): {}", self.kind.name(), status, self.message),
            None => write!(f, "{}: {}", self.kind.name(), self.message),
        }
    }
}

impl std::error::Error for Error {}
