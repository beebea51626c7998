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
    Upload::from_file(path)
        .await
        .map_err(|e| file_error(path, "cannot open", e))
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
