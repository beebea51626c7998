//! `ssh://` engines, reached as the docker CLI reaches them: the system `ssh`
//! runs `docker system dial-stdio` on the host and HTTP flows over the
//! process's stdin and stdout, one process per connection. The user's ssh
//! config, agent, keys and known hosts apply because it is their `ssh`.
//!
//! [`SshConnector`] is a hyper-util connector: the pool asks it for a
//! connection and it spawns a process. A connection that dies before the
//! engine said anything reports ssh's own last stderr line; a dropped one
//! kills and reaps its process.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::error::{Error, Result};
use super::transport::redact;

/// How long a dead connection waits for ssh to finish writing its stderr.
const STDERR_GRACE: Duration = Duration::from_secs(5);

/// Where and as whom to log in, from `ssh://[user@]host[:port][/socket]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The engine's socket on the host, when not the default.
    pub socket: Option<String>,
}

impl SshTarget {
    /// Parses an `ssh://` address. A password in it is refused, as the
    /// docker CLI refuses it, and never repeated in the message.
    pub fn parse(url: &str) -> Result<Self> {
        let bad =
            |why: &str| Error::invalid(format!("bad engine address '{}': {why}", redact(url)));
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| bad("expected ssh://[USER@]HOST[:PORT]"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains('?') || path.contains('#') || authority.contains(['?', '#']) {
            return Err(bad("no query or fragment allowed"));
        }
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => {
                if userinfo.contains(':') {
                    return Err(bad("plain-text password is not supported"));
                }
                if userinfo.is_empty() {
                    return Err(bad("empty user name"));
                }
                (Some(userinfo.to_owned()), hostport)
            }
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            // An IPv6 literal: [::1] or [::1]:22.
            Some((h, p)) if !p.contains(']') => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?;
                (h, Some(port))
            }
            _ => (hostport, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host.starts_with('-') {
            return Err(bad("a host cannot start with '-'"));
        }
        let socket = Some(path.trim_end_matches('/'))
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        if socket
            .as_deref()
            .is_some_and(|p| p.chars().any(char::is_control))
        {
            return Err(bad("control characters in the socket path"));
        }
        Ok(SshTarget {
            user,
            host: host.to_owned(),
            port,
            socket,
        })
    }

    /// The arguments of `ssh`, as the docker CLI gives them.
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".into(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        args.extend(["-o".into(), "ConnectTimeout=30".into(), "-T".into()]);
        args.extend(["--".into(), self.host.clone(), "docker".into()]);
        // ssh joins what follows the host into one command line for the
        // remote shell: the path is quoted so that it stays one word.
        if let Some(socket) = &self.socket {
            args.extend(["--host".into(), shell_word(&format!("unix://{socket}"))]);
        }
        args.extend(["system".into(), "dial-stdio".into()]);
        args
    }
}

/// `text` as one word for a POSIX shell: as it is when it holds nothing the
/// shell reads (so a plain path is sent as the docker CLI sends it), else
/// single-quoted.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Spawns one `ssh` per connection the pool asks for.
#[derive(Clone)]
pub struct SshConnector {
    target: Arc<SshTarget>,
}

impl SshConnector {
    pub fn new(target: SshTarget) -> Self {
        SshConnector {
            target: Arc::new(target),
        }
    }
}

impl tower_service::Service<Uri> for SshConnector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let target = self.target.clone();
        Box::pin(async move { SshStream::spawn(&target) })
    }
}

/// One `ssh ... docker system dial-stdio` process as a two-way byte stream.
pub struct SshStream {
    /// `None` once shut down: closing the pipe is ssh's end-of-file.
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Killed (and reaped by tokio) when the stream is dropped.
    _child: Child,
    /// Ends with ssh's last non-empty stderr line once stderr closes.
    stderr: JoinHandle<String>,
    /// Whether the engine has said anything on this connection yet.
    answered: bool,
    /// Set when the connection died unanswered: the wait for stderr.
    grace: Option<Pin<Box<tokio::time::Sleep>>>,
    /// ssh's last words, once known.
    failure: Option<String>,
}

impl SshStream {
    fn spawn(target: &SshTarget) -> io::Result<Self> {
        let mut command = Command::new("ssh");
        command
            .args(target.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // A session of its own, as the docker CLI does: Ctrl-C on the
        // terminal does not kill pooled connections, and ssh cannot stop the
        // program by prompting on the terminal (it fails instead).
        // SAFETY: setsid is async-signal-safe and touches no memory.
        unsafe {
            command.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| {
            io::Error::new(e.kind(), format!("ssh: cannot run the ssh command: {e}"))
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("ssh: no pipes to the ssh process"));
        };
        let stderr = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            let mut last = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if !line.trim().is_empty() {
                    last = line.trim().to_owned();
                }
            }
            last
        });
        Ok(SshStream {
            stdin: Some(stdin),
            stdout,
            _child: child,
            stderr,
            answered: false,
            grace: None,
            failure: None,
        })
    }

    /// The connection died before the engine answered: ssh's last stderr
    /// line, once stderr has closed (or the grace period is over).
    fn poll_failure(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.failure.is_none() {
            let grace = self
                .grace
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(STDERR_GRACE)));
            let line = match Pin::new(&mut self.stderr).poll(cx) {
                Poll::Ready(line) => line.unwrap_or_default(),
                Poll::Pending => match grace.as_mut().poll(cx) {
                    Poll::Ready(()) => String::new(),
                    Poll::Pending => return Poll::Pending,
                },
            };
            self.failure = Some(if line.is_empty() {
                "ssh failed: the connection closed before the engine answered".to_owned()
            } else {
                format!("ssh failed: {line}")
            });
        }
        let message = self.failure.clone().unwrap_or_default();
        Poll::Ready(io::Error::new(io::ErrorKind::ConnectionAborted, message))
    }
}

impl Read for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.answered {
            let mut io = TokioIo::new(Pin::new(&mut this.stdout));
            return Pin::new(&mut io).poll_read(cx, buf);
        }
        // Until the first bytes, read through a small buffer to see whether
        // the process ended without a word from the engine.
        let mut first = [0u8; 4096];
        let room = first.len().min(buf.remaining());
        let mut read_buf = tokio::io::ReadBuf::new(&mut first[..room]);
        match Pin::new(&mut this.stdout).poll_read(cx, &mut read_buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) if read_buf.filled().is_empty() && room > 0 => {
                this.poll_failure(cx).map(Err)
            }
            Poll::Ready(Ok(())) => {
                this.answered = true;
                buf.put_slice(read_buf.filled());
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl Write for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let Some(stdin) = this.stdin.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        match Pin::new(stdin).poll_write(cx, data) {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe && !this.answered => {
                this.poll_failure(cx).map(Err)
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// A pipe has no half-close: the write end is closed, which ssh passes
    /// on as end-of-file (a hijacked exec's stdin ends with it).
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(stdin) = self.stdin.as_mut() {
            std::task::ready!(Pin::new(stdin).poll_flush(cx))?;
        }
        self.stdin = None;
        Poll::Ready(Ok(()))
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Drop for SshStream {
    fn drop(&mut self) {
        self.stderr.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = SshTarget::parse("ssh://me@host.example:2222").unwrap();
        assert_eq!(t.user.as_deref(), Some("me"));
        assert_eq!(t.host, "host.example");
        assert_eq!(t.port, Some(2222));
        assert_eq!(
            t.args().join(" "),
            "-l me -p 2222 -o ConnectTimeout=30 -T -- host.example docker system dial-stdio"
        );
        let t = SshTarget::parse("ssh://host/run/docker.sock").unwrap();
        assert_eq!(
            t.args().join(" "),
            "-o ConnectTimeout=30 -T -- host docker --host unix:///run/docker.sock system dial-stdio"
        );
        let t = SshTarget::parse("ssh://[::1]:22").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        for bad in [
            "ssh://",
            "ssh://me@",
            "ssh://h:0",
            "ssh://h:x",
            "ssh://-oProxyCommand=x",
        ] {
            assert!(SshTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn socket_paths_stay_one_word_for_the_remote_shell() {
        let remote = |url: &str| {
            let args = SshTarget::parse(url).unwrap().args();
            args[args.iter().position(|a| a == "--").unwrap() + 2..].join(" ")
        };
        assert_eq!(
            remote("ssh://h/x;id>INJECTED;echo"),
            "docker --host 'unix:///x;id>INJECTED;echo' system dial-stdio"
        );
        assert_eq!(
            remote("ssh://h/it's $(id)"),
            "docker --host 'unix:///it'\\''s $(id)' system dial-stdio"
        );
        assert_eq!(
            remote("ssh://h/run/user/1000/docker.sock"),
            "docker --host unix:///run/user/1000/docker.sock system dial-stdio"
        );
        assert!(SshTarget::parse("ssh://h/x\nid").is_err());
    }

    #[test]
    fn passwords_are_never_shown() {
        let err = SshTarget::parse("ssh://me:s3cret@host").unwrap_err();
        assert!(err.message.contains("password"), "{}", err.message);
        assert!(!err.message.contains("s3cret"), "{}", err.message);
        assert_eq!(redact("tcp://u:pw@h:1/x"), "tcp://u:xxxxx@h:1/x");
        assert_eq!(redact("ssh://u@h"), "ssh://u@h");
        assert_eq!(redact("unix:///a:b@c"), "unix:///a:b@c");
    }
}
