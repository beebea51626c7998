//! Interactive sessions on the user's terminal, as `docker exec -it` and
//! `docker run -it` hold them: the terminal in raw mode (for a TTY process),
//! keys sent to the process as typed, its output written as it comes, the
//! window size sent at the start and on every SIGWINCH, Ctrl-P Ctrl-Q to
//! detach. The terminal's mode is put back however the session ends (the
//! process exits, an error, the engine gone, a signal dropping the future).
//!
//! Keys are read from the terminal reopened by name, non-blocking, rather
//! than from fd 0 itself: a read left waiting on fd 0 (a blocking thread)
//! would steal the next keys from the prompt after the session, and
//! `O_NONBLOCK` on fd 0 would change the shell's terminal too.

use std::ffi::CStr;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::signal::unix::{signal, SignalKind};

use crate::engine::attach::Duplex;
use crate::engine::{Error, ErrorKind, Result, StreamKind};
use crate::lua::terminal::{Ended, Session, Terminal};

/// Installs the terminal as the Lua layer's.
pub fn install() {
    crate::lua::terminal::set_terminal(Terminal {
        available,
        run: |session| -> LocalBoxFuture<'static, Result<Ended>> { Box::pin(run(session)) },
    });
}

/// Whether stdin is a terminal.
fn available() -> bool {
    // SAFETY: isatty only looks at the descriptor.
    unsafe { libc::isatty(libc::STDIN_FILENO) == 1 }
}

/// One session at a time holds the terminal.
static BUSY: AtomicBool = AtomicBool::new(false);

struct Busy;

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::SeqCst);
    }
}

/// Ctrl-P, Ctrl-Q: the docker CLI's default detach keys.
const CTRL_P: u8 = 0x10;
const CTRL_Q: u8 = 0x11;

async fn run(session: Session) -> Result<Ended> {
    if BUSY.swap(true, Ordering::SeqCst) {
        return Err(Error::invalid(
            "another interactive session holds the terminal",
        ));
    }
    let _busy = Busy;
    let keys = Keys::open().map_err(|e| terminal_error("opening", e))?;
    // Raw only for a TTY process: its own terminal then does the echo and
    // the line editing; without one, lines go as typed (`docker run -i`).
    let _raw = match session.tty {
        true => Some(RawMode::enter().map_err(|e| terminal_error("setting raw mode", e))?),
        false => None,
    };
    let Session {
        io: Duplex {
            mut output,
            mut input,
        },
        tty,
        detach,
        resize,
    } = session;
    let mut winch = match tty {
        true => signal(SignalKind::window_change()).ok(),
        false => None,
    };
    if tty {
        send_size(&resize, true).await;
    }
    let mut escape = Escape::new(detach);
    let mut keys_open = true;
    let mut buf = [0u8; 4096];
    loop {
        tokio::select! {
            piece = output.next() => match piece? {
                None => return Ok(Ended::Exited),
                Some((kind, bytes)) => {
                    let written = if kind == StreamKind::Stderr {
                        write_all(&mut io::stderr().lock(), &bytes)
                    } else {
                        write_all(&mut io::stdout().lock(), &bytes)
                    };
                    written.map_err(|e| terminal_error("writing", e))?;
                }
            },
            read = keys.read(&mut buf), if keys_open => {
                match read.map_err(|e| terminal_error("reading", e))? {
                    // End of input (Ctrl-D on a terminal that is not raw).
                    0 => {
                        keys_open = false;
                        let _ = input.close().await;
                    }
                    n => {
                        let (send, detached) = escape.feed(&buf[..n]);
                        if detached {
                            let _ = input.write(&send).await;
                            return Ok(Ended::Detached);
                        }
                        // A process that has just exited takes no more keys;
                        // its output (and end) is still read.
                        if !send.is_empty() && input.write(&send).await.is_err() {
                            keys_open = false;
                        }
                    }
                }
            },
            Some(()) = async {
                match winch.as_mut() {
                    Some(w) => w.recv().await,
                    None => std::future::pending().await,
                }
            } => send_size(&resize, false).await,
        }
    }
}

fn write_all(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

fn terminal_error(what: &str, e: io::Error) -> Error {
    Error::new(ErrorKind::Connection, format!("terminal: {what}: {e}"))
}

/// Sends the terminal's size. At the start the process may not be ready
/// for it yet (an exec just started): a few tries, then it is left to the
/// next SIGWINCH, as the docker CLI does.
async fn send_size(resize: &crate::lua::terminal::Resize, first: bool) {
    let Some((rows, cols)) = size() else { return };
    let tries = if first { 5 } else { 1 };
    for attempt in 1..=tries {
        if resize(rows, cols).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
    }
}

/// Rows and columns of the terminal on stdin.
fn size() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ only fills the winsize it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
}

/// Spots the detach keys in what is typed. A Ctrl-P is held back until the
/// next key says whether it starts the sequence.
struct Escape {
    enabled: bool,
    held: bool,
}

impl Escape {
    fn new(enabled: bool) -> Self {
        Escape {
            enabled,
            held: false,
        }
    }

    /// What to send of `keys`, and whether they end with a detach.
    fn feed(&mut self, keys: &[u8]) -> (Vec<u8>, bool) {
        if !self.enabled {
            return (keys.to_vec(), false);
        }
        let mut send = Vec::with_capacity(keys.len() + 1);
        for &key in keys {
            if self.held {
                self.held = false;
                if key == CTRL_Q {
                    return (send, true);
                }
                send.push(CTRL_P);
            }
            if key == CTRL_P {
                self.held = true;
            } else {
                send.push(key);
            }
        }
        (send, false)
    }
}

/// The terminal on stdin, reopened by name, non-blocking.
struct Keys(AsyncFd<OwnedFd>);

impl Keys {
    fn open() -> io::Result<Self> {
        // SAFETY: ttyname returns a static buffer or null; it is copied at once.
        let name = unsafe { libc::ttyname(libc::STDIN_FILENO) };
        if name.is_null() {
            return Err(io::Error::last_os_error());
        }
        let name = unsafe { CStr::from_ptr(name) }.to_owned();
        let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
        // SAFETY: opens a path we own; the descriptor is owned at once.
        let fd = unsafe { libc::open(name.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: the `OwnedFd` is ours and stays open while registered.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }?;
        Ok(Keys(fd))
    }

    async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut ready = self.0.readable().await?;
            let read = ready.try_io(|fd| {
                // SAFETY: reads into the buffer we were given, at most its length.
                let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match read {
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}

/// The terminal in raw mode; its mode before is put back when dropped.
struct RawMode(libc::termios);

impl RawMode {
    fn enter() -> io::Result<Self> {
        // SAFETY: tcgetattr fills the zeroed struct we own; cfmakeraw and
        // tcsetattr only read and change that copy and the terminal's mode.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut saved) != 0 {
                return Err(io::Error::last_os_error());
            }
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &raw) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(RawMode(saved))
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: sets the terminal back to the mode it had.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys() {
        let mut e = Escape::new(true);
        assert_eq!(e.feed(b"ab"), (b"ab".to_vec(), false));
        // A Ctrl-P alone is held back, then sent with the next key.
        assert_eq!(e.feed(&[CTRL_P]), (vec![], false));
        assert_eq!(e.feed(b"x"), (vec![CTRL_P, b'x'], false));
        assert_eq!(e.feed(&[b'y', CTRL_P, CTRL_Q, b'z']), (vec![b'y'], true));
        let mut e = Escape::new(true);
        assert_eq!(e.feed(&[CTRL_P, CTRL_P, CTRL_Q]), (vec![CTRL_P], true));
        let mut off = Escape::new(false);
        assert_eq!(off.feed(&[CTRL_P, CTRL_Q]), (vec![CTRL_P, CTRL_Q], false));
    }
}
