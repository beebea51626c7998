//! `moby.filesync.v1.FileSync/DiffCopy`: the context as the engine asks
//! for it. fsutil's packet protocol, sender side: the stats of the files the
//! engine's patterns select (`include-patterns`, `exclude-patterns`,
//! `followpaths` metadata), an empty stat to end them, then the data of each
//! file the engine requests by its index (only those it lacks; a hard link
//! to a file sent already goes as a link, without data), and `FIN`
//! for `FIN`.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bollard_buildkit_proto::fsutil::types::packet::PacketType;
use bollard_buildkit_proto::fsutil::types::{Packet, Stat};
use bollard_buildkit_proto::moby::filesync::v1::file_sync_server::FileSync;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use crate::engine::dockerignore::Matcher;

/// A folder the engine may ask for by name (`context`, `dockerfile`).
#[derive(Clone)]
pub enum Source {
    /// A folder, with the `.dockerignore` patterns that apply to it.
    Dir {
        path: PathBuf,
        excludes: Vec<String>,
    },
    /// One file made in memory (a Dockerfile given as text).
    File { name: String, data: Arc<[u8]> },
    /// Nothing (the context of a Dockerfile given as text).
    Empty,
}

/// The file sync service of one session.
pub struct FileSyncService {
    pub sources: HashMap<String, Source>,
    /// File data bytes sent to the engine, all requests together.
    pub sent: Arc<AtomicU64>,
}

/// One walked entry: its stat, and where its data comes from.
struct Entry {
    stat: Stat,
    data: Data,
}

enum Data {
    None,
    Path(PathBuf),
    Bytes(Arc<[u8]>),
}

/// What the engine selects: its metadata, with our `.dockerignore`.
struct Selection {
    includes: Vec<String>,
    excludes: Matcher,
}

/// The size of one data packet (fsutil's own).
const CHUNK: usize = 32 * 1024;

type PacketStream = Pin<Box<dyn Stream<Item = Result<Packet, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl FileSync for FileSyncService {
    type DiffCopyStream = PacketStream;
    type TarStreamStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<PacketStream>, Status> {
        let meta = request.metadata();
        let values = |key: &str| -> Vec<String> {
            meta.get_all(key)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect()
        };
        let name = values("dir-name").into_iter().next().unwrap_or_default();
        let source = self
            .sources
            .get(&name)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("no folder {name:?} in this session")))?;
        let mut includes = values("include-patterns");
        includes.extend(values("followpaths"));
        let asked = values("exclude-patterns");
        let overridden = values("override-excludes").first().map(String::as_str) == Some("true");
        let entries = tokio::task::spawn_blocking(move || -> io::Result<Vec<Entry>> {
            match source {
                Source::Dir { path, excludes } => {
                    // As fsutil's server: the client's own excludes unless
                    // the engine overrides them.
                    let excludes = if excludes.is_empty() || overridden {
                        asked
                    } else {
                        excludes
                    };
                    let excludes = Matcher::new(&excludes)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.message))?;
                    let includes = with_link_targets(&path, includes);
                    walk(&path, &Selection { includes, excludes })
                }
                Source::File { name, data } => Ok(vec![Entry {
                    stat: Stat {
                        path: name,
                        mode: 0o644,
                        size: data.len() as i64,
                        ..Stat::default()
                    },
                    data: Data::Bytes(data),
                }]),
                Source::Empty => Ok(Vec::new()),
            }
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(|e| Status::internal(format!("build context: {e}")))?;
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(send(
            Arc::new(entries),
            request.into_inner(),
            tx,
            self.sent.clone(),
        ));
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|packet| (packet, rx))
        });
        Ok(Response::new(stream.boxed()))
    }

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> Result<Response<PacketStream>, Status> {
        Err(Status::unimplemented("not served"))
    }
}

/// Serves one `DiffCopy`: stats, then requested data, until `FIN`.
async fn send(
    entries: Arc<Vec<Entry>>,
    mut incoming: Streaming<Packet>,
    tx: mpsc::Sender<Result<Packet, Status>>,
    sent: Arc<AtomicU64>,
) {
    let packet = |kind: PacketType| Packet {
        r#type: kind as i32,
        ..Packet::default()
    };
    // Stats and data go while requests come in: neither side waits on the other.
    let stats = {
        let (tx, entries) = (tx.clone(), entries.clone());
        tokio::spawn(async move {
            for entry in entries.iter() {
                let stat = Packet {
                    stat: Some(entry.stat.clone()),
                    ..packet(PacketType::PacketStat)
                };
                if tx.send(Ok(stat)).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(Ok(packet(PacketType::PacketStat))).await;
        })
    };
    let (requests, mut queue) = mpsc::unbounded_channel::<u32>();
    let data = {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(id) = queue.recv().await {
                if let Err(e) = send_data(&entries, id, &tx, &sent).await {
                    let error = Packet {
                        data: e.to_string().into_bytes(),
                        ..packet(PacketType::PacketErr)
                    };
                    let _ = tx.send(Ok(error)).await;
                    return;
                }
            }
        })
    };
    while let Ok(Some(p)) = incoming.message().await {
        match PacketType::try_from(p.r#type) {
            Ok(PacketType::PacketReq) => {
                let _ = requests.send(p.id);
            }
            Ok(PacketType::PacketFin) => {
                drop(requests);
                let _ = data.await;
                let _ = stats.await;
                let _ = tx.send(Ok(packet(PacketType::PacketFin))).await;
                return;
            }
            Ok(PacketType::PacketErr) => break,
            _ => {}
        }
    }
    stats.abort();
    data.abort();
}

/// The data of entry `id`, in chunks, then an empty packet for its end.
async fn send_data(
    entries: &[Entry],
    id: u32,
    tx: &mpsc::Sender<Result<Packet, Status>>,
    sent: &AtomicU64,
) -> io::Result<()> {
    let entry = entries.get(id as usize).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no file {id} was sent"),
        )
    })?;
    let chunk = |data: Vec<u8>| Packet {
        r#type: PacketType::PacketData as i32,
        id,
        data,
        ..Packet::default()
    };
    let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "the session closed");
    match &entry.data {
        Data::Path(path) => {
            let mut file = tokio::fs::File::open(path).await.map_err(|e| {
                io::Error::new(e.kind(), format!("cannot read '{}': {e}", path.display()))
            })?;
            loop {
                let mut buf = vec![0; CHUNK];
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                buf.truncate(n);
                sent.fetch_add(n as u64, Ordering::Relaxed);
                tx.send(Ok(chunk(buf))).await.map_err(|_| closed())?;
            }
        }
        Data::Bytes(bytes) => {
            for piece in bytes.chunks(CHUNK) {
                sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
                tx.send(Ok(chunk(piece.to_vec())))
                    .await
                    .map_err(|_| closed())?;
            }
        }
        Data::None => {}
    }
    tx.send(Ok(chunk(Vec::new()))).await.map_err(|_| closed())
}

/// `followpaths` that are symlinks bring their targets (inside the folder).
fn with_link_targets(root: &Path, mut includes: Vec<String>) -> Vec<String> {
    let mut extra = Vec::new();
    for path in &includes {
        let full = root.join(path.trim_start_matches('/'));
        if let Ok(target) = std::fs::read_link(&full) {
            let resolved = full.parent().unwrap_or(root).join(target);
            if let Ok(rel) = resolved.strip_prefix(root) {
                extra.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    includes.extend(extra);
    includes
        .into_iter()
        .map(|p| p.trim_start_matches('/').to_owned())
        .collect()
}

/// The selected entries of `root`, in fsutil's order (depth first, names
/// sorted bytewise); a folder that is not selected itself comes just before
/// the first selected entry inside it.
fn walk(root: &Path, selection: &Selection) -> io::Result<Vec<Entry>> {
    let includes = if selection.includes.is_empty() {
        None
    } else {
        Some(
            Matcher::new(&selection.includes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.message))?,
        )
    };
    let mut walk = Walk::default();
    walk_dir(root, "", selection, includes.as_ref(), &mut walk)?;
    Ok(walk.entries)
}

/// What a walk has gathered so far.
#[derive(Default)]
struct Walk {
    entries: Vec<Entry>,
    /// Folders not selected themselves, sent only before a selected entry
    /// inside them.
    pending: Vec<Entry>,
    /// The path first sent for each hard-linked file (device, inode).
    links: HashMap<(u64, u64), String>,
}

impl Walk {
    /// Sends `entry` (and the folders pending above it). A file whose
    /// inode was sent already goes as a hard link to that first path, with
    /// no data, as fsutil sends it: its bytes cross once.
    fn push(&mut self, mut entry: Entry, meta: &std::fs::Metadata) {
        if meta.is_file() && meta.nlink() > 1 {
            match self.links.get(&(meta.dev(), meta.ino())) {
                Some(first) => {
                    entry.stat.linkname = first.clone();
                    entry.stat.size = 0;
                    entry.data = Data::None;
                }
                None => {
                    self.links
                        .insert((meta.dev(), meta.ino()), entry.stat.path.clone());
                }
            }
        }
        self.entries.append(&mut self.pending);
        self.entries.push(entry);
    }
}

fn walk_dir(
    dir: &Path,
    rel: &str,
    selection: &Selection,
    includes: Option<&Matcher>,
    walk: &mut Walk,
) -> io::Result<()> {
    let read = crate::engine::build::cannot_read;
    let names = crate::engine::build::sorted_names(dir)?;
    for name in names {
        let path = dir.join(&name);
        let rel_path = match rel {
            "" => name.to_string_lossy().into_owned(),
            _ => format!("{rel}/{}", name.to_string_lossy()),
        };
        let meta = std::fs::symlink_metadata(&path).map_err(|e| read(e, &path))?;
        let is_dir = meta.is_dir();
        if selection.excludes.matches_or_parent_matches(&rel_path) {
            if is_dir && selection.excludes.reincludes_inside(&rel_path) {
                let before = walk.pending.len();
                walk.pending.push(entry(&path, &rel_path, &meta)?);
                walk_dir(&path, &rel_path, selection, includes, walk)?;
                walk.pending.truncate(before);
            }
            continue;
        }
        let selected = includes.is_none_or(|m| m.matches_or_parent_matches(&rel_path));
        if selected {
            walk.push(entry(&path, &rel_path, &meta)?, &meta);
            if is_dir {
                walk_dir(&path, &rel_path, selection, includes, walk)?;
            }
        } else if is_dir && may_hold_matches(&selection.includes, &rel_path) {
            let before = walk.pending.len();
            walk.pending.push(entry(&path, &rel_path, &meta)?);
            walk_dir(&path, &rel_path, selection, includes, walk)?;
            walk.pending.truncate(before.min(walk.pending.len()));
        }
    }
    Ok(())
}

/// Whether something inside folder `dir` may match one of `patterns`: the
/// part of a pattern before its first wildcard names where it can match.
fn may_hold_matches(patterns: &[String], dir: &str) -> bool {
    let dir_slash = format!("{dir}/");
    patterns.iter().any(|p| {
        let fixed = p
            .find(['*', '?', '[', '\\'])
            .map_or(p.as_str(), |i| &p[..i]);
        fixed.starts_with(&dir_slash) || dir_slash.starts_with(fixed)
    })
}

/// The stat fsutil sends: Go's `os.FileMode` bits, owner reset to root as
/// the CLI does, times in nanoseconds.
fn entry(path: &Path, rel: &str, meta: &std::fs::Metadata) -> io::Result<Entry> {
    let kind = meta.file_type();
    let mut stat = Stat {
        path: rel.to_owned(),
        mode: go_mode(meta),
        uid: 0,
        gid: 0,
        mod_time: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        ..Stat::default()
    };
    let mut data = Data::None;
    if kind.is_symlink() {
        stat.linkname = std::fs::read_link(path)?.to_string_lossy().into_owned();
    } else if kind.is_file() {
        stat.size = meta.len() as i64;
        data = Data::Path(path.to_path_buf());
    }
    Ok(Entry { stat, data })
}

/// Unix mode bits as Go's `os.FileMode`, which fsutil's stats carry.
fn go_mode(meta: &std::fs::Metadata) -> u32 {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const DEVICE: u32 = 1 << 26;
    const PIPE: u32 = 1 << 25;
    const SOCKET: u32 = 1 << 24;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const CHAR: u32 = 1 << 21;
    const STICKY: u32 = 1 << 20;
    let unix = meta.mode();
    let kind = meta.file_type();
    let mut mode = unix & 0o777;
    if kind.is_dir() {
        mode |= DIR;
    } else if kind.is_symlink() {
        mode |= SYMLINK;
    } else if kind.is_fifo() {
        mode |= PIPE;
    } else if kind.is_socket() {
        mode |= SOCKET;
    } else if kind.is_block_device() {
        mode |= DEVICE;
    } else if kind.is_char_device() {
        mode |= DEVICE | CHAR;
    }
    if unix & 0o4000 != 0 {
        mode |= SETUID;
    }
    if unix & 0o2000 != 0 {
        mode |= SETGID;
    }
    if unix & 0o1000 != 0 {
        mode |= STICKY;
    }
    mode
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(root: &Path, includes: &[&str], excludes: &[&str]) -> Vec<String> {
        let selection = Selection {
            includes: includes.iter().map(|s| s.to_string()).collect(),
            excludes: Matcher::new(&excludes.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap(),
        };
        walk(root, &selection)
            .unwrap()
            .into_iter()
            .map(|e| e.stat.path)
            .collect()
    }

    #[test]
    fn only_selected_files_and_their_folders_are_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["a.txt", "big/blob", "sub/deep/x.txt", "sub/y.txt", "z"] {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(
            paths(root, &[], &["big"]),
            [
                "a.txt",
                "sub",
                "sub/deep",
                "sub/deep/x.txt",
                "sub/y.txt",
                "z"
            ]
        );
        assert_eq!(
            paths(root, &["sub/deep/x.txt"], &[]),
            ["sub", "sub/deep", "sub/deep/x.txt"]
        );
        assert_eq!(paths(root, &["a.txt", "z"], &[]), ["a.txt", "z"]);
        assert_eq!(
            paths(root, &["sub"], &["sub/y.txt"]),
            ["sub", "sub/deep", "sub/deep/x.txt"]
        );
        assert_eq!(paths(root, &["*.txt"], &[]), ["a.txt"]);
    }

    #[test]
    fn a_hard_linked_file_is_sent_once_then_as_links_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("b.bin"), "data").unwrap();
        std::fs::hard_link(root.join("b.bin"), root.join("c.bin")).unwrap();
        std::fs::hard_link(root.join("b.bin"), root.join("a.bin")).unwrap();
        let selection = Selection {
            includes: Vec::new(),
            excludes: Matcher::new(&["a.bin".to_owned()]).unwrap(),
        };
        let entries = walk(root, &selection).unwrap();
        let seen: Vec<_> = entries
            .iter()
            .map(|e| (e.stat.path.as_str(), e.stat.linkname.as_str(), e.stat.size))
            .collect();
        // The excluded a.bin is not the first sent: b.bin is, with the data.
        assert_eq!(seen, [("b.bin", "", 4), ("c.bin", "b.bin", 0)]);
        assert!(matches!(entries[0].data, Data::Path(_)));
        assert!(matches!(entries[1].data, Data::None));
    }

    #[test]
    fn modes_are_go_file_modes() {
        let dir = tempfile::tempdir().unwrap();
        let meta = std::fs::metadata(dir.path()).unwrap();
        assert_eq!(go_mode(&meta) >> 31, 1);
        std::fs::write(dir.path().join("f"), "").unwrap();
        let meta = std::fs::metadata(dir.path().join("f")).unwrap();
        assert_eq!(go_mode(&meta), meta.mode() & 0o777);
    }
}
