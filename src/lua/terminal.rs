//! Interactive sessions (`interactive = true`): the Lua layer hands a
//! process's hijacked connection to the front end's terminal code (raw
//! mode, window size, detach keys), which the front end installs once with
//! [`set_terminal`]. Without it (the library used on its own) or without a
//! terminal on stdin, an interactive call is an `InvalidArgument`.

use std::sync::OnceLock;

use futures_util::future::LocalBoxFuture;

use crate::engine::attach::Duplex;
use crate::engine::Result;

/// Sends a size (rows, columns) to the process's TTY.
pub type Resize = Box<dyn Fn(u16, u16) -> LocalBoxFuture<'static, Result<()>>>;

/// One process handed the terminal.
pub struct Session {
    pub io: Duplex,
    /// The process has a TTY: the terminal goes raw and its size is sent
    /// (without one, lines are sent as typed and Ctrl-D ends the input).
    pub tty: bool,
    /// Ctrl-P Ctrl-Q detaches (the process goes on).
    pub detach: bool,
    pub resize: Resize,
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The process's output ended (it exited).
    Exited,
    /// The user pressed the detach keys.
    Detached,
}

/// The front end's terminal: whether there is one, and running a session
/// on it (the terminal restored however the session ends).
pub struct Terminal {
    pub available: fn() -> bool,
    pub run: fn(Session) -> LocalBoxFuture<'static, Result<Ended>>,
}

static TERMINAL: OnceLock<Terminal> = OnceLock::new();

/// Installs the front end's terminal (the first call wins).
pub fn set_terminal(terminal: Terminal) {
    let _ = TERMINAL.set(terminal);
}

/// The terminal, if there is one to hand over; else the `InvalidArgument`
/// of `function`.
pub fn terminal(function: &str) -> mlua::Result<&'static Terminal> {
    match TERMINAL.get() {
        Some(t) if (t.available)() => Ok(t),
        _ => Err(super::error::invalid(
            function,
            "interactive = true needs a terminal on stdin",
        )),
    }
}
