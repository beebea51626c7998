//! Signals that end or interrupt Lua code: SIGINT (Ctrl-C), SIGTERM and
//! SIGHUP, for scripts and the prompt alike. Two cases need two mechanisms:
//! - the code waits in Rust (an engine call, `docker.sleep`): its future is
//!   raced against the signal ([`Signals::run`]) and dropped when it comes;
//! - the code spins in Lua (`while true do end`) or blocks in C (`io.read`):
//!   no future is polled, so our own handler records the signal, a blocking
//!   read returns early (`EINTR`: the handler is installed without
//!   `SA_RESTART`), and sets a Lua hook, as `lua.c` does, that raises
//!   "interrupted" while the signal is pending. The signal stays pending, so
//!   a script's `pcall` cannot swallow it. No hook runs until a signal
//!   comes: Lua runs at the stock interpreter's speed.
//!
//! Hooks belong to one Lua thread each, and the code that spins may be in
//! a coroutine or a spawned task. So every `lua_resume` goes through
//! [`__wrap_lua_resume`] (the linker's `--wrap`, see build.rs), which keeps
//! the innermost running thread where the handler finds it, sets the hook
//! on a thread resumed while a signal is pending, and on the resumer when a
//! resume returns (the resumed coroutine died of the interruption).
//!
//! [`install_handlers`] runs first thing in `main`: from then on these
//! signals no longer kill the process; the program ends through its clean-ups
//! with status 128 + the signal. At the prompt the terminal is in raw mode
//! and Ctrl-C reaches rustyline as a key instead.

use std::ffi::c_int;
use std::future::Future;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, Ordering};
use std::sync::OnceLock;

use mlua::ffi::{self, lua_Debug, lua_State};
use mlua::Lua;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;
pub const SIGHUP: i32 = 1;
/// Not a handled signal: a write to a closed pipe, ended as `lua` ends.
pub const SIGPIPE: i32 = 13;

/// The signal being handled, 0 when none.
static PENDING: AtomicI32 = AtomicI32::new(0);

/// How many handled signals came so far (a second one cuts the clean-up
/// short).
static COUNT: AtomicU32 = AtomicU32::new(0);

/// The main Lua thread of the watched state; null when none is watched.
static MAIN: AtomicPtr<lua_State> = AtomicPtr::new(ptr::null_mut());
/// The innermost thread being resumed (null: the main thread runs).
static RUNNING: AtomicPtr<lua_State> = AtomicPtr::new(ptr::null_mut());
/// Whether a pending signal interrupts Lua code (off while clean-ups run).
static WATCHING: AtomicBool = AtomicBool::new(false);

/// The write end of a pipe the handler writes a byte to for each signal,
/// so that a future awaiting [`Signals::next`] wakes up; -1 without one.
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// The read end, which [`Signals`] watches.
static WAKE_READ: AtomicI32 = AtomicI32::new(-1);

/// Installs the handlers of SIGINT, SIGTERM and SIGHUP (once per process).
pub fn install_handlers() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let mut fds = [-1; 2];
        // SAFETY: pipe2 fills the array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } == 0 {
            WAKE_READ.store(fds[0], Ordering::SeqCst);
            WAKE.store(fds[1], Ordering::SeqCst);
        }
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // SAFETY: the action stores to an atomic and writes to a
            // non-blocking pipe, both async-signal-safe.
            let registered = unsafe { signal_hook_registry::register(sig, move || wake(sig)) };
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

/// The handler: records `sig` and wakes the async side. A full pipe (a
/// wake-up already waiting) loses nothing.
fn wake(sig: i32) {
    record(sig);
    COUNT.fetch_add(1, Ordering::SeqCst);
    interrupt_lua();
    let fd = WAKE.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; errno is put back as the
        // interrupted code left it.
        unsafe {
            let errno = *libc::__errno_location();
            libc::write(fd, [sig as u8].as_ptr().cast(), 1);
            *libc::__errno_location() = errno;
        }
    }
}

/// Records `sig` unless one is already being handled (the first one wins:
/// it decides the exit status).
pub fn record(sig: i32) {
    let _ = PENDING.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
}

/// How many handled signals came so far.
pub fn count() -> u32 {
    COUNT.load(Ordering::SeqCst)
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

/// Makes Lua code raise "interrupted" while a signal is pending. One state
/// at a time is watched; [`unwatch`] it before it is dropped.
pub fn watch(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: reads the main thread out of the registry, leaving the stack
    // as it was.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_MAINTHREAD);
            MAIN.store(ffi::lua_tothread(state, -1), Ordering::SeqCst);
            ffi::lua_pop(state, 1);
        })?;
    }
    WATCHING.store(true, Ordering::SeqCst);
    if pending().is_some() {
        interrupt_lua();
    }
    Ok(())
}

/// Lets Lua code run to its end again, signal or not (the clean-ups).
/// Hooks already set remove themselves when they next run.
pub fn unwatch(_lua: &Lua) {
    WATCHING.store(false, Ordering::SeqCst);
    MAIN.store(ptr::null_mut(), Ordering::SeqCst);
}

/// The stopping hook runs every so many Lua instructions, as the hook that
/// watched every script did before: only in Lua code, never on the call of
/// a C function (a `__gc` of Rust userdata, which must run to free what the
/// userdata holds, such as a run's clean-up), and soon enough after a signal.
const STOP_MASK: c_int = ffi::LUA_MASKCOUNT;
const STOP_EVERY: c_int = 4096;

/// Sets the stopping hook on the running Lua thread and the main one.
/// Async-signal-safe: `lua_sethook` only stores to the thread, which is why
/// `lua.c` calls it from its handler.
fn interrupt_lua() {
    if !WATCHING.load(Ordering::SeqCst) {
        return;
    }
    for thread in [RUNNING.load(Ordering::SeqCst), MAIN.load(Ordering::SeqCst)] {
        if !thread.is_null() {
            // SAFETY: a thread in RUNNING is being resumed, so alive; MAIN
            // lives until `unwatch`, which comes before the state's end.
            unsafe { ffi::lua_sethook(thread, Some(stop), STOP_MASK, STOP_EVERY) };
        }
    }
}

/// Sets the stopping hook on `thread` if a signal is pending.
///
/// # Safety
/// `thread` is a live Lua thread.
unsafe fn interrupt_if_pending(thread: *mut lua_State) {
    if WATCHING.load(Ordering::SeqCst) && pending().is_some() {
        // SAFETY: the caller's.
        unsafe { ffi::lua_sethook(thread, Some(stop), STOP_MASK, STOP_EVERY) };
    }
}

/// The hook: raises "interrupted" while a signal is pending, and removes
/// itself otherwise (a handled Ctrl-C at the prompt, the clean-ups).
unsafe extern "C-unwind" fn stop(state: *mut lua_State, _: *mut lua_Debug) {
    let raise = || WATCHING.load(Ordering::SeqCst) && pending().is_some();
    // SAFETY: `state` is the thread running the hook; raising from a hook is
    // allowed, and no Rust value with a destructor lives in this frame.
    unsafe {
        if !raise() {
            ffi::lua_sethook(state, None, 0, 0);
            // A signal that came meanwhile would have set the hook again,
            // which the line above may have undone.
            if !raise() {
                return;
            }
        }
        // From now on at every instruction of this thread: a `pcall` that
        // caught this raise sees the next one at once, outside it.
        ffi::lua_sethook(state, Some(stop), STOP_MASK, 1);
        ffi::lua_pushstring(state, c"interrupted".as_ptr());
        ffi::lua_error(state)
    }
}

unsafe extern "C-unwind" {
    /// Lua's own `lua_resume` (the linker names it so under `--wrap`).
    fn __real_lua_resume(
        thread: *mut lua_State,
        from: *mut lua_State,
        nargs: c_int,
        nresults: *mut c_int,
    ) -> c_int;
}

/// Every `lua_resume` (coroutines, mlua's async threads, spawned tasks)
/// comes here: see the module's documentation.
///
/// # Safety
/// As `lua_resume`.
#[no_mangle]
pub unsafe extern "C-unwind" fn __wrap_lua_resume(
    thread: *mut lua_State,
    from: *mut lua_State,
    nargs: c_int,
    nresults: *mut c_int,
) -> c_int {
    let outer = RUNNING.swap(thread, Ordering::SeqCst);
    // SAFETY: the caller's; `lua_resume` neither unwinds nor jumps out (it
    // runs the thread protected), so RUNNING is always put back.
    unsafe {
        interrupt_if_pending(thread);
        let status = __real_lua_resume(thread, from, nargs, nresults);
        RUNNING.store(outer, Ordering::SeqCst);
        let resumer = if outer.is_null() {
            MAIN.load(Ordering::SeqCst)
        } else {
            outer
        };
        if !resumer.is_null() {
            interrupt_if_pending(resumer);
        }
        status
    }
}

/// The async side: waits for the handled signals. One pipe for all of
/// them, watched by the runtime: polling it costs little, and it is polled
/// beside every engine call and each step of a stream.
pub struct Signals {
    /// `None` when the pipe could not be made or watched: then only the
    /// hook (Lua code) notices signals.
    wake: Option<AsyncFd<OwnedFd>>,
}

impl Signals {
    /// Call inside a tokio runtime.
    pub fn new() -> Self {
        install_handlers();
        let wake = watch_pipe().map_err(|e| {
            eprintln!("dockerlua: signals cannot cancel engine calls: {e}");
        });
        Signals { wake: wake.ok() }
    }

    /// The next signal (or the one already pending).
    pub async fn next(&mut self) -> i32 {
        loop {
            if let Some(sig) = pending() {
                return sig;
            }
            // A wake-up for a signal already handled and cleared (a Lua loop
            // interrupted while nothing polled) is stale: the loop checks
            // again after emptying the pipe.
            self.woken().await;
        }
    }

    /// Until a signal comes after the first `seen` ones.
    async fn more_than(&mut self, seen: u32) {
        while count() <= seen {
            self.woken().await;
        }
    }

    /// Waits for a wake-up from the handler and empties the pipe.
    async fn woken(&mut self) {
        let Some(wake) = &self.wake else {
            return std::future::pending().await;
        };
        match wake.readable().await {
            Ok(mut ready) => {
                let mut bytes = [0u8; 64];
                let fd = wake.get_ref().as_raw_fd();
                // SAFETY: reads into our buffer from our descriptor.
                while unsafe { libc::read(fd, bytes.as_mut_ptr().cast(), bytes.len()) } > 0 {}
                ready.clear_ready();
            }
            Err(_) => std::future::pending().await,
        }
    }

    /// Runs `fut` to its end, or until one more signal than the `seen`
    /// first ones comes (`None`; `fut` dropped): a clean-up after a signal
    /// that a second signal cuts short.
    pub async fn run_until_another<F: Future>(&mut self, seen: u32, fut: F) -> Option<F::Output> {
        tokio::select! {
            out = fut => Some(out),
            () = self.more_than(seen) => None,
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

/// A descriptor of its own on the read end of the handler's pipe (each
/// [`Signals`] registers one with the runtime).
fn watch_pipe() -> std::io::Result<AsyncFd<OwnedFd>> {
    let read: RawFd = WAKE_READ.load(Ordering::SeqCst);
    if read < 0 {
        return Err(std::io::Error::other("no pipe for the signal handler"));
    }
    // SAFETY: dup of a descriptor that stays open for the process's life;
    // the copy is owned here and closed with it.
    let copy = unsafe { libc::fcntl(read, libc::F_DUPFD_CLOEXEC, 0) };
    if copy < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `copy` is a fresh descriptor nobody else owns; the OwnedFd
    // keeps it open, unchanged, for as long as the AsyncFd holds it.
    unsafe {
        AsyncFd::register_with_interest(OwnedFd::from_raw_fd(copy), Interest::READABLE)
            .map_err(std::io::Error::from)
    }
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}
