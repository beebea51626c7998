//! Files as request bodies and answers written to files, streamed in
//! bounded pieces: a 400 MB archive never sits in memory.

use std::path::Path;

use hyper::body::Incoming;
use hyper::Response;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::upload::Upload;
use super::{BodyReader, Error, ErrorKind, Result};

/// `path` as a request body, read piece by piece as the connection takes it.
pub async fn file_body(path: &Path) -> Result<Upload> {
    // Opening a folder succeeds; reading it would fail mid-request, as if
    // the connection broke.
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()) {
        return Err(super::Error::invalid(format!(
            "'{}' is a folder: a file expected (a tar file for put_archive)",
            super::error::excerpt(&path.to_string_lossy(), 200)
        )));
    }
    Upload::from_file(path)
        .await
        .map_err(|e| file_error(path, "cannot open", e))
}

impl super::Engine {
    /// Writes the body of `response` (`what`, for messages) to `path`,
    /// created or truncated, as it arrives; answers the number of bytes
    /// written. A failed write removes its partial file. Every answer that
    /// becomes a local file passes here: under `--dry-run` no file is
    /// created or touched (the answer is read and counted, and the write
    /// printed instead); `--read-only` lets it be, as it changes no engine.
    pub(crate) async fn answer_to_file(
        &self,
        response: Response<Incoming>,
        path: &Path,
        what: &str,
    ) -> Result<u64> {
        let mut reader = BodyReader::new(response);
        if self.mode() == super::WriteMode::DryRun {
            let mut size = 0u64;
            while let Some(chunk) = reader.chunk().await? {
                size += chunk.len() as u64;
            }
            self.inner.guard.report_local_write(path, size, what);
            return Ok(size);
        }
        let file = tokio::fs::File::create(path)
            .await
            .map_err(|e| file_error(path, "cannot create", e))?;
        let mut out = BufWriter::with_capacity(1024 * 1024, file);
        let written = async {
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
        .await;
        // A partial archive is worse than none (a device or pipe stays).
        if written.is_err() && std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            let _ = tokio::fs::remove_file(path).await;
        }
        written
    }
}

fn file_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("{what} '{}': {e}", path.display()),
    )
}
