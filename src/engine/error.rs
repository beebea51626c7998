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
    /// An image archive the engine could not load (the Python SDK's
    /// `ImageLoadError`).
    ImageLoad,
    /// Any other answer of the engine that is an error.
    Api,
    /// The engine could not be reached, or the connection broke.
    Connection,
    /// A deadline passed.
    Timeout,
    /// The caller asked for something malformed; nothing was sent.
    InvalidArgument,
    /// A request that would change the engine, refused by `--read-only`.
    ReadOnly,
}

impl ErrorKind {
    /// The name scripts see as `err.kind`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::ImageNotFound => "ImageNotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::ImageLoad => "ImageLoadError",
            ErrorKind::Api => "APIError",
            ErrorKind::Connection => "ConnectionError",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::InvalidArgument => "InvalidArgument",
            ErrorKind::ReadOnly => "ReadOnly",
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

    /// The same error, its message led by what failed (a call, a function).
    pub fn named(self, what: &str) -> Self {
        Error {
            message: format!("{what}: {}", self.message),
            ..self
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An error answer of the engine; `image` says the request was about an
    /// image, so that a 404 is an `ImageNotFound`.
    pub fn from_status(status: u16, message: String, image: bool) -> Self {
        let kind = match status {
            // Podman writes "no such image" in lower case.
            404 if image || starts_with_ignore_case(&message, "no such image") => {
                ErrorKind::ImageNotFound
            }
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            500 if podman_conflict(&message) => ErrorKind::Conflict,
            _ => ErrorKind::Api,
        };
        Error {
            kind,
            status: Some(status),
            message,
        }
    }
}

/// At most `max` bytes of `text` (cut on a character boundary), with "…" and
/// the full length when cut, and control characters escaped: messages quote
/// what they are about, but a 10 MB name must not become a 10 MB message, nor
/// a newline or an escape sequence end up in a one-line message. Every value
/// a message quotes goes through here.
pub fn excerpt(text: &str, max: usize) -> String {
    let cut = if text.len() <= max {
        text
    } else {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    };
    let mut out = escape_controls(cut);
    if cut.len() < text.len() {
        out.push_str(&format!("… ({} bytes)", text.len()));
    }
    out
}

/// `text` with its control characters (newlines, ESC, BEL, DEL, C1 codes)
/// written as escapes (`\n`, `\t`, `\x1b`), so that it stays one line and
/// sends nothing to a terminal.
pub fn escape_controls(text: &str) -> String {
    // Every request's description passes here: printable ASCII is copied.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The most bytes of a message an error carries.
pub const MAX_MESSAGE: usize = 900;

/// A message as errors carry it: one line (control characters escaped, a
/// trailing newline dropped) of at most about [`MAX_MESSAGE`] bytes; a
/// longer one keeps its head (what failed) and its tail (what was expected),
/// and says how much was left out between.
pub fn clip(message: &str) -> String {
    let line = escape_controls(message.trim_end());
    if line.len() <= MAX_MESSAGE {
        return line;
    }
    let mut head = MAX_MESSAGE * 2 / 3;
    while !line.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = line.len() - MAX_MESSAGE / 4;
    while !line.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{} …({} bytes left out)… {}",
        &line[..head],
        tail - head,
        &line[tail..]
    )
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Podman answers 500 where Docker answers 409; its messages end with the
/// text of the Go sentinel error, which is what tells a conflict apart.
fn podman_conflict(message: &str) -> bool {
    const ENDINGS: &[&str] = &[
        // define.ErrCtrStateInvalid: pause, kill, exec, remove... in the wrong state.
        "container state improper",
        // storage.ErrDuplicateName: create with a name in use.
        "that name is already in use",
        // define.ErrCtrExists, define.ErrVolumeExists.
        "container already exists",
        "volume already exists",
        // define.ErrVolumeBeingUsed: remove a volume a container uses.
        "volume is being used",
    ];
    ENDINGS.iter().any(|end| message.ends_with(end))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, message: &str) -> ErrorKind {
        Error::from_status(status, message.into(), false).kind
    }

    #[test]
    fn podman_conflicts_are_conflicts() {
        let in_use = "container create: creating container storage: the container name \"x\" \
                      is already in use by 1234. You have to remove that container to be able \
                      to reuse that name: that name is already in use";
        assert_eq!(kind(500, in_use), ErrorKind::Conflict);
        let state = "\"created\" is not running, can't pause: container state improper";
        assert_eq!(kind(500, state), ErrorKind::Conflict);
        assert_eq!(kind(500, "something broke"), ErrorKind::Api);
        assert_eq!(kind(409, "anything"), ErrorKind::Conflict);
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdef", 3), "abc… (6 bytes)");
        // Never cuts inside a character.
        assert_eq!(excerpt("ééé", 3), "é… (6 bytes)");
        assert_eq!(excerpt("a\nb\x1b[31m\x07", 40), "a\\nb\\x1b[31m\\x07");
    }

    #[test]
    fn clipped_messages_are_one_short_line() {
        assert_eq!(clip("no such thing\n"), "no such thing");
        let long = format!("f: bad 'x' ({}) expected", "y".repeat(10_000_000));
        let short = clip(&long);
        assert!(short.len() < 1000, "{}", short.len());
        assert!(short.starts_with("f: bad 'x' (yyy"), "{short}");
        assert!(short.ends_with("yyy) expected"), "{short}");
        assert!(short.contains("bytes left out"), "{short}");
    }

    #[test]
    fn no_such_image_in_either_case() {
        let podman = "no such image: docker.io/library/nope:1: image not known";
        assert_eq!(kind(404, podman), ErrorKind::ImageNotFound);
        assert_eq!(kind(404, "No such image: nope:1"), ErrorKind::ImageNotFound);
        assert_eq!(kind(404, "No such container: x"), ErrorKind::NotFound);
        assert_eq!(kind(404, "é"), ErrorKind::NotFound);
    }
}
