//! Request bodies sent while they are produced (a build context being
//! tarred, an image archive read from disk): a bounded channel of chunks, so
//! memory stays at a few chunks whatever the body's size, and a slow engine
//! slows the producer down.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::Frame;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// How many bytes a chunk holds, and how many chunks may wait to be sent.
pub const CHUNK: usize = 64 * 1024;
const DEPTH: usize = 4;

/// The receiving end: a streamed request body (sent chunked).
pub struct Upload {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

/// The producing end. Dropping it ends the body; sending an error aborts
/// the request.
#[derive(Clone)]
pub struct UploadSender {
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl Upload {
    pub fn channel() -> (UploadSender, Upload) {
        let (tx, rx) = mpsc::channel(DEPTH);
        (UploadSender { tx }, Upload { rx })
    }

    /// The content of a file, read as it is sent.
    pub async fn from_file(path: &std::path::Path) -> io::Result<Upload> {
        let mut file = tokio::fs::File::open(path).await?;
        let (sender, upload) = Upload::channel();
        tokio::spawn(async move {
            loop {
                let mut buf = bytes::BytesMut::with_capacity(CHUNK);
                match file.read_buf(&mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {
                        if !sender.send(Ok(buf.freeze())).await {
                            break;
                        }
                    }
                    Err(e) => {
                        sender.send(Err(e)).await;
                        break;
                    }
                }
            }
        });
        Ok(upload)
    }
}

impl UploadSender {
    /// Sends a chunk; false once the request is gone.
    pub async fn send(&self, chunk: io::Result<Bytes>) -> bool {
        self.tx.send(chunk).await.is_ok()
    }

    /// A `std::io::Write` for producers that run on a blocking thread (the
    /// `tar` crate): it gathers `CHUNK` bytes, then waits for room.
    pub fn writer(self) -> UploadWriter {
        UploadWriter {
            sender: self,
            buf: Vec::with_capacity(CHUNK),
            aborted: false,
        }
    }
}

/// See [`UploadSender::writer`]. Must not be used on the async runtime's
/// own threads (it blocks); flush or drop it at the end.
pub struct UploadWriter {
    sender: UploadSender,
    buf: Vec<u8>,
    /// After [`UploadWriter::abort`], writes fail rather than block.
    aborted: bool,
}

impl UploadWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.aborted {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the upload was aborted",
            ));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.sender
            .tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the request ended"))
    }

    /// Ends the body with an error, so that the engine does not take a
    /// truncated body for a whole one.
    pub fn abort(&mut self, error: io::Error) {
        if !self.aborted {
            self.aborted = true;
            self.buf.clear();
            let _ = self.sender.tx.blocking_send(Err(error));
        }
    }
}

impl Write for UploadWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.aborted {
            return self.send_buffer().map(|_| 0);
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send_buffer()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

impl hyper::body::Body for Upload {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|result| result.map(Frame::data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A producer that outruns its consumer waits: what is written but not
    /// yet taken never exceeds the channel's chunks and one being filled.
    #[test]
    fn a_fast_producer_waits_for_the_body() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (sender, mut upload) = Upload::channel();
        let written = Arc::new(AtomicUsize::new(0));
        let counter = written.clone();
        let producer = std::thread::spawn(move || {
            let mut writer = sender.writer();
            let piece = vec![7u8; 10_000];
            for _ in 0..300 {
                writer.write_all(&piece).unwrap();
                counter.fetch_add(piece.len(), Ordering::SeqCst);
            }
            writer.flush().unwrap();
        });
        let mut taken = 0;
        runtime.block_on(async {
            while let Some(chunk) = upload.rx.recv().await {
                taken += chunk.unwrap().len();
                let ahead = written.load(Ordering::SeqCst).saturating_sub(taken);
                assert!(ahead <= (DEPTH + 1) * CHUNK, "{ahead} bytes ahead");
            }
        });
        producer.join().unwrap();
        assert_eq!(taken, 3_000_000);
    }
}
