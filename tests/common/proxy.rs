//! A proxy in front of the test engine's unix socket, on a unix socket or a
//! TCP port of its own: it keeps every byte clients send (to see the headers
//! a request carried, or to count requests) and can cut every connection at
//! once (the engine going away, as a client sees it).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::host;

/// One end of a relayed connection (unix or TCP).
trait Stream: Read + Write + Send + 'static {
    fn another(&self) -> Box<dyn Stream>;
    fn close(&self, how: Shutdown);
}

impl Stream for UnixStream {
    fn another(&self) -> Box<dyn Stream> {
        Box::new(self.try_clone().unwrap())
    }
    fn close(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}

impl Stream for TcpStream {
    fn another(&self) -> Box<dyn Stream> {
        Box::new(self.try_clone().unwrap())
    }
    fn close(&self, how: Shutdown) {
        let _ = self.shutdown(how);
    }
}

type Held = Arc<Mutex<Vec<Box<dyn Stream>>>>;

pub struct Proxy {
    /// `unix:///...` or `tcp://127.0.0.1:PORT`: a `DOCKER_HOST` or `-H`.
    pub url: String,
    /// The unix socket's path (`None` for TCP).
    pub socket: Option<PathBuf>,
    /// Every byte clients sent, in order.
    pub sent: Arc<Mutex<Vec<u8>>>,
    connections: Held,
    _dir: tempfile::TempDir,
}

/// A proxy on a unix socket of its own.
pub fn capture_proxy() -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("proxy.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let url = format!("unix://{}", socket.display());
    start(
        std::iter::from_fn(move || Some(listener.accept().map(|(c, _)| c)))
            .map(|c| c.map(|c| Box::new(c) as Box<dyn Stream>)),
        url,
        Some(socket),
        dir,
    )
}

/// A proxy on a TCP port of 127.0.0.1.
pub fn tcp_proxy() -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    start(
        std::iter::from_fn(move || Some(listener.accept().map(|(c, _)| c)))
            .map(|c| c.map(|c| Box::new(c) as Box<dyn Stream>)),
        url,
        None,
        tempfile::tempdir().unwrap(),
    )
}

fn start(
    clients: impl Iterator<Item = std::io::Result<Box<dyn Stream>>> + Send + 'static,
    url: String,
    socket: Option<PathBuf>,
    dir: tempfile::TempDir,
) -> Proxy {
    let engine = host()
        .strip_prefix("unix://")
        .expect("a unix:// test engine")
        .to_owned();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let connections: Held = Arc::default();
    let (keep, held) = (sent.clone(), connections.clone());
    std::thread::spawn(move || {
        for client in clients {
            let Ok(client) = client else { return };
            let Ok(upstream) = UnixStream::connect(&engine) else {
                return;
            };
            {
                let mut held = held.lock().unwrap();
                held.push(client.another());
                held.push(upstream.another());
            }
            let (mut client_read, mut upstream_write) = (client.another(), upstream.another());
            let keep = keep.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = client_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    // Kept before it goes on: once the client has its
                    // answer, the request is in `sent`.
                    keep.lock().unwrap().extend_from_slice(&buf[..n]);
                    if upstream_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                upstream_write.close(Shutdown::Write);
            });
            let (mut upstream, mut client) = (upstream.another(), client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut upstream, &mut client);
                client.close(Shutdown::Write);
            });
        }
    });
    Proxy {
        url,
        socket,
        sent,
        connections,
        _dir: dir,
    }
}

impl Proxy {
    /// Every byte clients sent so far.
    pub fn sent(&self) -> Vec<u8> {
        self.sent.lock().unwrap().clone()
    }

    /// How many requests clients sent so far.
    pub fn requests(&self) -> usize {
        // Request lines end with " HTTP/1.1"; a body may run into the next
        // request's line, so only that end is looked for.
        String::from_utf8_lossy(&self.sent.lock().unwrap())
            .split("\r\n")
            .filter(|line| line.ends_with(" HTTP/1.1"))
            .count()
    }

    /// Cuts every connection and refuses new ones (unix sockets only).
    pub fn cut(&self) {
        if let Some(socket) = &self.socket {
            let _ = std::fs::remove_file(socket);
        }
        for c in self.connections.lock().unwrap().drain(..) {
            c.close(Shutdown::Both);
        }
    }
}
