//! Faults a real engine cannot make, and long-running children: a proxy
//! that cuts, stalls or refuses connections on demand ([`FaultProxy`]), and
//! a child process whose output lines are read as they come ([`Follower`]).

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A proxy between clients and an engine's socket that can fail on demand,
/// for what a real engine cannot do by itself: [`FaultProxy::cut`] closes
/// every open connection (an idle proxy's time-out, a network cut),
/// [`FaultProxy::stall`] stops forwarding on every connection, open and new
/// (a dead path that closes nothing), [`FaultProxy::refuse`] closes new
/// connections at once (an engine not back yet); [`FaultProxy::heal`]
/// forwards new connections again (stalled ones stay dead).
pub struct FaultProxy {
    pub socket: std::path::PathBuf,
    state: Arc<ProxyState>,
    _dir: tempfile::TempDir,
}

#[derive(Default)]
struct ProxyState {
    /// 0 forward, 1 stall, 2 refuse: what happens to new connections.
    mode: AtomicU8,
    /// Each open connection's client side, and whether it is stalled.
    open: Mutex<Vec<(UnixStream, Arc<AtomicBool>)>>,
    accepted: AtomicU32,
}

impl FaultProxy {
    /// A proxy in front of `engine_socket` (a path).
    pub fn new(engine_socket: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("fault.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let state = Arc::new(ProxyState::default());
        let shared = state.clone();
        let engine = engine_socket.to_owned();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let mode = shared.mode.load(Ordering::SeqCst);
                if mode == 2 {
                    drop(client);
                    continue;
                }
                let Ok(upstream) = UnixStream::connect(&engine) else {
                    continue;
                };
                let dead = Arc::new(AtomicBool::new(mode == 1));
                shared
                    .open
                    .lock()
                    .unwrap()
                    .push((client.try_clone().unwrap(), dead.clone()));
                let pump = |mut from: UnixStream, mut to: UnixStream, dead: Arc<AtomicBool>| {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                // A stalled path swallows what it gets.
                                Ok(_) if dead.load(Ordering::SeqCst) => continue,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        if !dead.load(Ordering::SeqCst) {
                            let _ = to.shutdown(std::net::Shutdown::Write);
                        }
                    });
                };
                pump(
                    client.try_clone().unwrap(),
                    upstream.try_clone().unwrap(),
                    dead.clone(),
                );
                pump(upstream, client, dead);
            }
        });
        FaultProxy {
            socket,
            state,
            _dir: dir,
        }
    }

    /// `unix://` address of the proxy, for `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u32 {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Closes every open connection.
    pub fn cut(&self) {
        for (client, _) in self.state.open.lock().unwrap().drain(..) {
            let _ = client.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Stops forwarding on every connection, open and new.
    pub fn stall(&self) {
        self.state.mode.store(1, Ordering::SeqCst);
        for (_, dead) in self.state.open.lock().unwrap().iter() {
            dead.store(true, Ordering::SeqCst);
        }
    }

    /// Closes new connections at once.
    pub fn refuse(&self) {
        self.state.mode.store(2, Ordering::SeqCst);
    }

    /// Forwards new connections again.
    pub fn heal(&self) {
        self.state.mode.store(0, Ordering::SeqCst);
    }
}

/// A child process whose stdout lines are collected as they come.
pub struct Follower {
    pub child: std::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Starts `cmd` with stdout and stderr read in the background.
    pub fn start(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the follower");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let keep = lines.clone();
        let mut readers = Vec::new();
        readers.push(std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                keep.lock().unwrap().push(line);
            }
        }));
        let mut err = child.stderr.take().unwrap();
        let keep = stderr.clone();
        readers.push(std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                keep.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        }));
        Follower {
            child,
            lines,
            stderr,
            readers,
        }
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// How many lines so far are exactly `line`.
    pub fn count(&self, line: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| *l == line)
            .count()
    }

    /// Waits until a line equal to `line` has come; panics with the output
    /// after `timeout`.
    #[track_caller]
    pub fn wait_for(&mut self, line: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.count(line) == 0 {
            let ended = match self.child.try_wait() {
                Ok(Some(status)) => Some(status),
                _ => None,
            };
            if Instant::now() > deadline || ended.is_some() {
                // What the process printed just before ending is still in
                // the pipes: read it all (bounded) before judging.
                if ended.is_some() {
                    self.drain(Duration::from_secs(5));
                }
                if self.count(line) > 0 {
                    return;
                }
                let how = ended.map_or(format!("within {timeout:?}"), |s| {
                    format!("before the process ended ({s})")
                });
                panic!(
                    "no line {line:?} {how}; lines: {:?}\nstderr: {}",
                    self.lines(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits, up to `limit`, for the readers to reach the end of the pipes.
    fn drain(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline && !self.readers.iter().all(|r| r.is_finished()) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    /// Waits for the process to end, at most `timeout`.
    #[track_caller]
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The readers end with the output: then all of it is in.
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the process did not end within {timeout:?}; lines: {:?}\nstderr: {}",
                    self.lines(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
