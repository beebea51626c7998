//! Ctrl-C while a line runs. Two cases need two mechanisms:
//! - the line waits in Rust (an engine call, `docker.sleep`): the evaluation
//!   future is raced against a tokio SIGINT stream and dropped on Ctrl-C;
//! - the line spins in Lua (`while true do end`): no future is polled, so a
//!   Lua hook checks a flag, set by our own SIGINT handler, every few
//!   thousand instructions and raises "interrupted".
//!
//! Once installed, SIGINT no longer kills the process; at the prompt the
//! terminal is in raw mode and Ctrl-C reaches rustyline as a key instead.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use mlua::{HookTriggers, Lua, VmState};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Set by the SIGINT handler; cleared before and after each line.
static PRESSED: AtomicBool = AtomicBool::new(false);

const HOOK_EVERY: u32 = 4096;

pub(crate) struct Interrupt {
    /// `None` when the runtime cannot deliver signals: then only the hook
    /// (Lua loops) can interrupt.
    stream: Option<Signal>,
}

impl Interrupt {
    pub(crate) fn install(lua: &Lua) -> mlua::Result<Self> {
        install_flag_handler();
        lua.set_global_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            |_, _| {
                // The flag stays set, so a user's `pcall` cannot swallow it.
                if PRESSED.load(Ordering::SeqCst) {
                    Err(mlua::Error::runtime("interrupted"))
                } else {
                    Ok(VmState::Continue)
                }
            },
        )?;
        let stream = match signal(SignalKind::interrupt()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("ctrl-c cannot cancel engine calls: {e}");
                None
            }
        };
        Ok(Interrupt { stream })
    }

    /// Runs `fut` to its end, or until Ctrl-C (then `None`); also says
    /// whether Ctrl-C was pressed (a Lua loop ends with an error then).
    pub(crate) async fn run<F: Future>(&mut self, fut: F) -> (Option<F::Output>, bool) {
        PRESSED.store(false, Ordering::SeqCst);
        tokio::pin!(fut);
        let result = match &mut self.stream {
            None => Some(fut.await),
            Some(stream) => {
                loop {
                    tokio::select! {
                        out = &mut fut => break Some(out),
                        _ = stream.recv() => {
                            // A signal already handled by the hook (while
                            // Lua spun and nothing polled this stream) is
                            // stale: the flag was cleared since.
                            if PRESSED.load(Ordering::SeqCst) {
                                break None;
                            }
                        }
                    }
                }
            }
        };
        (result, PRESSED.swap(false, Ordering::SeqCst))
    }
}

pub(crate) fn uninstall(lua: &Lua) {
    lua.remove_global_hook();
}

fn install_flag_handler() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // SAFETY: the action only stores to an atomic, which is
        // async-signal-safe.
        let registered = unsafe {
            signal_hook_registry::register(SignalKind::interrupt().as_raw_value(), || {
                PRESSED.store(true, Ordering::SeqCst)
            })
        };
        if let Err(e) = registered {
            eprintln!("ctrl-c cannot stop lua loops: {e}");
        }
    });
}
