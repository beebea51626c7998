//! Files as request bodies and answers written to files, streamed in
//! bounded pieces: a 400 MB archive never sits in memory.

use std::path::Path;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::Response;
use tokio::io::{AsyncRead, AsyncWriteExt, BufWriter, ReadBuf};

use super::{BodyReader, Error, ErrorKind, Result};

/// How much of a file is read (and sent) at a time.
const PIECE: usize = 256 * 1024;

/// A file's content as a request body, read piece by piece as the
/// connection takes it.
struct FileBody {
    file: tokio::fs::File,
    left: u64,
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, std::io::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let want = PIECE.min(self.left.try_into().unwrap_or(PIECE));
        let mut buf = BytesMut::zeroed(want);
        let mut read = ReadBuf::new(&mut buf);
        ready!(Pin::new(&mut self.file).poll_read(cx, &mut read))?;
        let n = read.filled().len();
        if n == 0 {
            // Shorter than when it was opened: say so rather than hang the
            // engine waiting for the announced length.
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file shrank while it was sent",
            ))));
        }
        buf.truncate(n);
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(buf.freeze()))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// `path` as a streamed request body (its length announced up front).
pub async fn file_body(path: &Path) -> Result<super::transport::Body> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| file_error(path, "cannot open", e))?;
    let left = file
        .metadata()
        .await
        .map_err(|e| file_error(path, "cannot read", e))?
        .len();
    Ok(FileBody { file, left }.boxed_unsync())
}

/// Writes the body of `response` to `path` (created or truncated) as it
/// arrives; answers the number of bytes written.
pub async fn write_to_file(response: Response<Incoming>, path: &Path) -> Result<u64> {
    let file = tokio::fs::File::create(path)
        .await
        .map_err(|e| file_error(path, "cannot create", e))?;
    let mut out = BufWriter::with_capacity(1024 * 1024, file);
    let mut reader = BodyReader::new(response);
    let mut written = 0u64;
    while let Some(chunk) = reader.chunk().await? {
        out.write_all(&chunk)
            .await
            .map_err(|e| file_error(path, "cannot write", e))?;
        written += chunk.len() as u64;
    }
    out.flush()
        .await
        .map_err(|e| file_error(path, "cannot write", e))?;
    Ok(written)
}

fn file_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("{what} '{}': {e}", path.display()),
    )
}
