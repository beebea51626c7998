//! Signals that end or interrupt Lua code: SIGINT (Ctrl-C), SIGTERM and
//! SIGHUP, for scripts and the prompt alike. Two cases need two mechanisms:
//! - the code waits in Rust (an engine call, `docker.sleep`): its future is
//!   raced against the signal ([`Signals::run`]) and dropped when it comes;
//! - the code spins in Lua (`while true do end`) or blocks in C (`io.read`):
//!   no future is polled, so our own handler records the signal, a blocking
//!   read returns early (`EINTR`: the handler is installed without
//!   `SA_RESTART`), and a Lua hook ([`watch`]) raises "interrupted" every few
//!   thousand instructions while a signal is pending. The signal stays
//!   pending, so a script's `pcall` cannot swallow it.
//!
//! [`install_handlers`] runs first thing in `main`: from then on these
//! signals no longer kill the process; the program ends through its clean-ups
//! with status 128 + the signal. At the prompt the terminal is in raw mode
//! and Ctrl-C reaches rustyline as a key instead.

use std::future::Future;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use mlua::{HookTriggers, Lua, VmState};
use tokio::signal::unix::{signal, Signal, SignalKind};

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;
pub const SIGHUP: i32 = 1;
/// Not a handled signal: a write to a closed pipe, ended as `lua` ends.
pub const SIGPIPE: i32 = 13;

/// The signal being handled, 0 when none.
static PENDING: AtomicI32 = AtomicI32::new(0);

const HOOK_EVERY: u32 = 4096;

/// Installs the handlers of SIGINT, SIGTERM and SIGHUP (once per process).
pub fn install_handlers() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // SAFETY: the action only stores to an atomic, which is
            // async-signal-safe.
            let registered = unsafe { signal_hook_registry::register(sig, move || record(sig)) };
            match registered {
                Ok(_) => without_restart(sig),
                Err(e) => eprintln!("dockerlua: signal {sig} cannot be handled: {e}"),
            }
        }
    });
}

/// A blocking read (`io.read`) must return when the signal comes, so that
/// the hook gets to run: clear `SA_RESTART` from the installed action.
fn without_restart(sig: i32) {
    // SAFETY: reads the action just installed and writes it back with one
    // flag less; both calls only touch the zeroed struct we own.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(sig, std::ptr::null(), &mut action) == 0 {
            action.sa_flags &= !libc::SA_RESTART;
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Keeps the handled signals off the calling thread (the runtime's helper
/// threads, the line editor's): the kernel then delivers them to the main
/// thread, whose blocking read (`io.read`) they must cut short.
pub fn keep_off_this_thread() {
    // SAFETY: builds a signal set we own and changes only this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Records `sig` unless one is already being handled (the first one wins:
/// it decides the exit status).
pub fn record(sig: i32) {
    let _ = PENDING.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
}

/// The signal being handled, if any.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Forgets a handled SIGINT (the prompt goes on after it); others stay.
pub fn clear_interrupt() {
    let _ = PENDING.compare_exchange(SIGINT, 0, Ordering::SeqCst, Ordering::SeqCst);
}

/// The exit status of a program ended by `sig`, as shells report it.
pub fn exit_status(sig: i32) -> i32 {
    128 + sig
}

/// Makes Lua code raise "interrupted" while a signal is pending.
pub fn watch(lua: &Lua) -> mlua::Result<()> {
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        |_, _| {
            if pending().is_some() {
                Err(mlua::Error::runtime("interrupted"))
            } else {
                Ok(VmState::Continue)
            }
        },
    )
}

pub fn unwatch(lua: &Lua) {
    lua.remove_global_hook();
}

/// The async side: waits for the handled signals.
pub struct Signals {
    /// Empty when the runtime cannot deliver signals: then only the hook
    /// (Lua code) notices them.
    streams: Vec<Signal>,
}

impl Signals {
    /// Call inside a tokio runtime with signals enabled.
    pub fn new() -> Self {
        install_handlers();
        let mut streams = Vec::new();
        for kind in [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ] {
            match signal(kind) {
                Ok(s) => streams.push(s),
                Err(e) => eprintln!("dockerlua: signals cannot cancel engine calls: {e}"),
            }
        }
        Signals { streams }
    }

    /// The next signal (or the one already pending).
    pub async fn next(&mut self) -> i32 {
        loop {
            if let Some(sig) = pending() {
                return sig;
            }
            if self.streams.is_empty() {
                std::future::pending::<()>().await;
            }
            // A wake-up for a signal already handled and cleared (a Lua loop
            // interrupted while nothing polled the streams) is stale: the
            // loop checks again.
            let recv = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures_util::future::select_all(recv).await;
        }
    }

    /// Runs `fut` to its end, or until a signal (`Err(sig)`; `fut` dropped).
    pub async fn run<F: Future>(&mut self, fut: F) -> Result<F::Output, i32> {
        tokio::select! {
            out = fut => Ok(out),
            sig = self.next() => Err(sig),
        }
    }
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}
