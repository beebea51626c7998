//! A fake engine for faults a real one cannot produce (an engine that
//! stalls, floods, or answers late on purpose): a tiny HTTP/1.1 server on a
//! unix socket in a temporary folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake engine does with a request.
pub enum Answer {
    /// A status and a JSON body.
    Json(u16, String),
    /// The same, after a delay.
    After(Duration, u16, String),
    /// Nothing, ever (until the client goes).
    Stall,
    /// A status and an endless chunked body (stops when the client goes).
    Flood(u16),
    /// A chunked answer: each piece after its delay, then silence.
    Pieces(Vec<(Duration, String)>),
    /// An error status and the start of its body, then silence.
    StalledError(u16, String),
    /// A chunked answer: its first pieces, then the connection closes, as
    /// when the engine is killed mid-answer.
    Cut(Vec<String>),
    /// An answer of `Content-Length` bytes of which only the start is sent
    /// before the connection closes.
    Short(String),
}

pub struct Fake {
    pub url: String,
    /// Every request line's method and target, version prefix included
    /// (`GET /v1.51/containers/json?all=1`), in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Fake {
    /// The requests so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Starts a fake engine; `answer(method, path)` decides, where `path` has no
/// version prefix. `/_ping` is answered as API 1.41.
pub fn fake(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Fake {
    fake_api("1.41", answer)
}

/// [`fake`], with `/_ping` answering `API-Version: version`: an engine of a
/// version that cannot run here, serving answers recorded in its shape.
pub fn fake_api(
    version: &'static str,
    answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static,
) -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let answer = Arc::new(answer);
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            let seen = seen.clone();
            std::thread::spawn(move || serve(stream, version, &seen, &*answer));
        }
    });
    Fake {
        url: format!("unix://{}", path.display()),
        requests,
        _dir: dir,
    }
}

fn serve(
    stream: UnixStream,
    version: &str,
    seen: &Mutex<Vec<String>>,
    answer: &dyn Fn(&str, &str) -> Answer,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        // The request head, then its body (Content-Length only: we send no
        // chunked requests).
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut words = line.split_whitespace();
        let method = words.next().unwrap_or("").to_owned();
        let target = words.next().unwrap_or("").to_owned();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push(format!("{method} {target}"));
        let path = target.split('?').next().unwrap_or("");
        let path = match path.strip_prefix("/v") {
            Some(rest) => &rest[rest.find('/').unwrap_or(0)..],
            None => path,
        };
        if path == "/_ping" {
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nAPI-Version: {version}\r\nContent-Length: 2\r\n\r\nOK"
            );
            continue;
        }
        let reply = |out: &mut UnixStream, status: u16, body: &str| {
            let _ = write!(
                out,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
        };
        let chunked_head = |out: &mut UnixStream, status: u16| {
            write!(
                out,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                 Transfer-Encoding: chunked\r\n\r\n"
            )
        };
        match answer(&method, path) {
            Answer::Json(status, body) => reply(&mut out, status, &body),
            Answer::After(delay, status, body) => {
                std::thread::sleep(delay);
                reply(&mut out, status, &body);
            }
            Answer::Stall => {
                // Until the client closes the connection.
                let _ = reader.read(&mut [0; 1]);
                return;
            }
            Answer::Flood(status) => {
                if chunked_head(&mut out, status).is_err() {
                    return;
                }
                let chunk = vec![b'a'; 1 << 20];
                // 256 MiB at most: enough to show a client that reads it
                // all (four times the cap), and an end for one that does.
                for _ in 0..256 {
                    if write!(out, "{:x}\r\n", chunk.len()).is_err()
                        || out.write_all(&chunk).is_err()
                        || out.write_all(b"\r\n").is_err()
                    {
                        return;
                    }
                }
                let _ = out.write_all(b"0\r\n\r\n");
            }
            Answer::StalledError(status, start) => {
                if chunked_head(&mut out, status).is_err() {
                    return;
                }
                let _ = write!(out, "{:x}\r\n{start}\r\n", start.len());
                let _ = reader.read(&mut [0; 1]);
                return;
            }
            Answer::Cut(pieces) => {
                if chunked_head(&mut out, 200).is_ok() {
                    for piece in pieces {
                        let _ = write!(out, "{:x}\r\n{piece}\r\n", piece.len());
                    }
                }
                return;
            }
            Answer::Short(start) => {
                let _ = write!(
                    out,
                    "HTTP/1.1 200 X\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{start}",
                    start.len() + 100
                );
                return;
            }
            Answer::Pieces(pieces) => {
                if chunked_head(&mut out, 200).is_err() {
                    return;
                }
                for (delay, piece) in pieces {
                    std::thread::sleep(delay);
                    if write!(out, "{:x}\r\n{piece}\r\n", piece.len()).is_err() {
                        return;
                    }
                }
                let _ = reader.read(&mut [0; 1]);
                return;
            }
        }
    }
}
