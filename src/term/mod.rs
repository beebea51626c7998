//! What the front ends draw on a terminal, shared by the command line and
//! the prompt; it knows nothing of Lua or HTTP.
//!
//! - [`progress`]: pull and push progress, installed as the Lua layer's
//!   progress display;
//! - [`session`]: interactive sessions (`interactive = true`): raw mode,
//!   window size, detach keys, installed as the Lua layer's terminal.

pub mod progress;
pub mod session;

/// Columns of the terminal on stderr, if it is one.
pub fn stderr_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ only fills the winsize it is given.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(size.ws_col as usize)
}
