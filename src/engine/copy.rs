//! `docker cp` between a container and local folders, with the CLI's rules:
//!
//! - a file source: into a folder destination under its own name; over a
//!   file destination; to a destination that does not exist (its parent must,
//!   and a name ending in `/` must be an existing folder);
//! - a folder source: copied as a folder named like it into an existing
//!   folder, or as the destination when that does not exist; its contents
//!   only when the source ends with `/.`; never onto a file;
//! - symbolic links are copied as links; `follow_link` copies what a source
//!   that is a link points to (under the link's name), as `docker cp -L`;
//! - modes and modification times are kept;
//! - ownership: local copies belong to the user running the script; copies
//!   into a container carry the local owner numbers, as the CLI sends them;
//!   `archive` is `docker cp -a` (the engine's `copyUIDGID`).
//!
//! Extraction never writes outside the destination: entries with `..`,
//! absolute names, or a path through a symbolic link (one in the archive or
//! one already there) are refused before anything of theirs is written.
//! Archives stream through in bounded pieces both ways.

use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use super::upload::Upload;
use super::{BodyReader, Engine, Error, ErrorKind, Result, WriteMode};

/// Go's `os.FileMode` bits in the engine's path stat.
const MODE_DIR: u64 = 1 << 31;
const MODE_SYMLINK: u64 = 1 << 27;

#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// Copy what a source that is a symbolic link points to (`-L`).
    pub follow_link: bool,
    /// Into a container: keep the local owners (`-a`).
    pub archive: bool,
}

fn invalid(fn_name: &str, message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{fn_name}: {message}"))
}

fn io_error(fn_name: &str, what: &str, path: &Path, e: io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        format!("{fn_name}: {what} '{}': {e}", path.display()),
    )
}

fn mode_of(stat: &Value) -> u64 {
    stat.get("mode").and_then(Value::as_u64).unwrap_or(0)
}

/// The last part of a path as `docker cp` names copies (`/a/b/` -> `b`).
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((_, name)) => name,
        None => trimmed,
    }
}

/// `dir/.`: the folder's contents, not the folder.
fn contents_only(path: &str) -> bool {
    path == "." || path.ends_with("/.")
}

/// What a local destination is.
enum Local {
    Missing,
    Dir,
    File,
}

fn local_kind(path: &Path) -> Local {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Local::Dir,
        Ok(_) => Local::File,
        Err(_) => Local::Missing,
    }
}

/// `c:copy_from(src, dest)`: answers where the copy landed.
pub async fn copy_from(
    engine: &Engine,
    id: &str,
    src: &str,
    dest: &Path,
    opts: CopyOptions,
) -> Result<PathBuf> {
    const F: &str = "Container:copy_from";
    let mut fetch = src.to_owned();
    // `file/` is an engine error (500) where the CLI says "not a directory".
    let bare = match src.trim_end_matches('/') {
        "" => "/",
        bare => bare,
    };
    let mut stat = engine.container_stat_path(id, bare).await?;
    if opts.follow_link && mode_of(&stat) & MODE_SYMLINK != 0 {
        let target = stat.get("linkTarget").and_then(Value::as_str).unwrap_or("");
        fetch = if target.starts_with('/') {
            target.to_owned()
        } else {
            let parent = src
                .trim_end_matches('/')
                .rsplit_once('/')
                .map_or("", |p| p.0);
            format!("{parent}/{target}")
        };
        stat = engine.container_stat_path(id, &fetch).await?;
    }
    let is_dir = mode_of(&stat) & MODE_DIR != 0;
    if src.ends_with('/') && !is_dir {
        return Err(invalid(F, format!("'{src}' is not a directory")));
    }
    let dest_text = dest.to_string_lossy();
    let target = match (is_dir, local_kind(dest)) {
        (true, Local::File) => {
            return Err(invalid(
                F,
                format!("cannot copy a directory to a file: '{dest_text}'"),
            ))
        }
        (true, Local::Dir) if contents_only(src) => dest.to_path_buf(),
        (_, Local::Dir) => dest.join(base_name(src)),
        (false, Local::File) => dest.to_path_buf(),
        (_, Local::Missing) => {
            if dest_text.ends_with('/') {
                return Err(invalid(
                    F,
                    format!("destination directory '{dest_text}' must exist"),
                ));
            }
            let parent = dest.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent {
                if !parent.is_dir() {
                    return Err(invalid(
                        F,
                        format!("no such directory: '{}'", parent.display()),
                    ));
                }
            }
            dest.to_path_buf()
        }
    };
    let (_, response) = engine.container_archive(id, &fetch).await?;
    if engine.mode() == WriteMode::DryRun {
        // As every answer meant for local files: read, counted, printed.
        let mut reader = BodyReader::new(response);
        let mut size = 0u64;
        while let Some(chunk) = reader.chunk().await? {
            size += chunk.len() as u64;
        }
        let what = format!("a tar of {}:{src}, unpacked", short(id));
        engine.inner.guard.report_local_write(&target, size, &what);
        return Ok(target);
    }
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let into = target.clone();
    let extract = tokio::task::spawn_blocking(move || {
        extract(ChannelReader::new(rx), &into, is_dir).map_err(|e| invalid(F, e))
    });
    let mut reader = BodyReader::new(response);
    let mut sent = Ok(());
    loop {
        match reader.chunk().await {
            Ok(Some(chunk)) => {
                if tx.send(Ok(chunk)).await.is_err() {
                    break; // the extraction stopped: its error says why
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx
                    .send(Err(io::Error::other("the archive was cut short")))
                    .await;
                sent = Err(e);
                break;
            }
        }
    }
    drop(tx);
    let extracted = extract
        .await
        .map_err(|e| Error::new(ErrorKind::Api, format!("{F}: {e}")))?;
    sent?;
    extracted?;
    Ok(target)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// A blocking `Read` over the chunks the async side sends.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        ChannelReader {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// An entry's path below the archive's root entry, checked: only plain
/// names (no `..`, no root, no drive).
fn relative_name(name: &Path) -> std::result::Result<PathBuf, String> {
    let mut parts = Vec::new();
    // The first name is the source's own, the root of the archive: `data`
    // for `/data`, `.` for `/data/.`.
    for c in name.components().skip(1) {
        match c {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "archive entry '{}' leaves the destination",
                    name.display()
                ))
            }
        }
    }
    match name.components().next() {
        Some(Component::Normal(_) | Component::CurDir) | None => Ok(parts.iter().collect()),
        Some(_) => Err(format!(
            "archive entry '{}' leaves the destination",
            name.display()
        )),
    }
}

/// `target/rel`, refusing a path that goes through a symbolic link below
/// `target` (one an earlier entry made, or one already there).
fn inside(target: &Path, rel: &Path) -> std::result::Result<PathBuf, String> {
    let mut path = target.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        path.push(part);
        if parts.peek().is_none() {
            break;
        }
        if let Ok(m) = std::fs::symlink_metadata(&path) {
            if m.file_type().is_symlink() {
                return Err(format!(
                    "archive entry '{}' goes through the symbolic link '{}'",
                    rel.display(),
                    path.display()
                ));
            }
        }
    }
    Ok(path)
}

/// Removes what is at `path` unless it is a folder, so a new entry never
/// writes through an old link.
fn clear(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

/// Unpacks the archive of a source (folder or file) as `target`.
fn extract(reader: impl Read, target: &Path, is_dir: bool) -> std::result::Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut archive = tar::Archive::new(reader);
    if is_dir {
        std::fs::create_dir_all(target)
            .map_err(|e| format!("cannot create '{}': {e}", target.display()))?;
    }
    // Folder modes last: a read-only folder must still take its files.
    let mut dir_modes: Vec<(PathBuf, u32, Option<std::time::SystemTime>)> = Vec::new();
    let entries = archive.entries().map_err(|e| format!("bad archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("bad archive: {e}"))?;
        let name = entry
            .path()
            .map_err(|e| format!("bad archive entry: {e}"))?
            .into_owned();
        let rel = relative_name(&name)?;
        let path = inside(target, &rel)?;
        let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;
        let mtime = entry
            .header()
            .mtime()
            .ok()
            .map(|t| std::time::UNIX_EPOCH + std::time::Duration::from_secs(t));
        let kind = entry.header().entry_type();
        let fail = |what: &str, e: io::Error| format!("cannot {what} '{}': {e}", path.display());
        if let Some(parent) = path.parent() {
            if rel.components().count() > 1 {
                std::fs::create_dir_all(parent).map_err(|e| fail("create the folder of", e))?;
            }
        }
        match kind {
            tar::EntryType::Directory => {
                if !path.is_dir() {
                    clear(&path).map_err(|e| fail("replace", e))?;
                    std::fs::create_dir(&path).map_err(|e| fail("create", e))?;
                }
                dir_modes.push((path, mode, mtime));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                clear(&path).map_err(|e| fail("replace", e))?;
                let mut file = std::fs::File::create(&path).map_err(|e| fail("create", e))?;
                io::copy(&mut entry, &mut file).map_err(|e| fail("write", e))?;
                if let Some(mtime) = mtime {
                    file.set_modified(mtime)
                        .map_err(|e| fail("set the time of", e))?;
                }
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| fail("set the mode of", e))?;
            }
            tar::EntryType::Symlink => {
                let to = entry
                    .link_name()
                    .map_err(|e| format!("bad archive entry: {e}"))?
                    .unwrap_or_default()
                    .into_owned();
                clear(&path).map_err(|e| fail("replace", e))?;
                std::os::unix::fs::symlink(&to, &path).map_err(|e| fail("create the link", e))?;
            }
            tar::EntryType::Link => {
                let to = entry
                    .link_name()
                    .map_err(|e| format!("bad archive entry: {e}"))?
                    .unwrap_or_default()
                    .into_owned();
                let original = inside(target, &relative_name(&to)?)?;
                clear(&path).map_err(|e| fail("replace", e))?;
                std::fs::hard_link(&original, &path).map_err(|e| fail("link", e))?;
            }
            // Devices, fifos, PAX and GNU headers: nothing to write.
            _ => {}
        }
    }
    for (path, mode, mtime) in dir_modes.into_iter().rev() {
        if let Some(mtime) = mtime {
            // Best effort, as for `docker cp`: a folder's time is no data.
            let _ = std::fs::File::open(&path).and_then(|d| d.set_modified(mtime));
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set the mode of '{}': {e}", path.display()))?;
    }
    Ok(())
}

/// `c:copy_to(src, dest)`: answers the path in the container that was written.
pub async fn copy_to(
    engine: &Engine,
    id: &str,
    src: &Path,
    dest: &str,
    opts: CopyOptions,
) -> Result<String> {
    const F: &str = "Container:copy_to";
    let src_text = src.to_string_lossy().into_owned();
    // `file/` is ENOTDIR for the system, "not a directory" for the CLI.
    let bare = match src_text.trim_end_matches('/') {
        "" => "/",
        bare => bare,
    };
    let link = std::fs::symlink_metadata(bare).map_err(|e| io_error(F, "cannot read", src, e))?;
    let follow = opts.follow_link && link.file_type().is_symlink();
    let meta = if follow {
        std::fs::metadata(bare).map_err(|e| io_error(F, "cannot follow", src, e))?
    } else {
        link
    };
    let is_dir = meta.is_dir();
    if src_text.ends_with('/') && !is_dir {
        return Err(invalid(F, format!("'{src_text}' is not a directory")));
    }
    // The destination as the container has it (a link there is followed).
    let mut dest = dest.to_owned();
    let stat = match engine.container_stat_path(id, &dest).await {
        Ok(stat) => Some(stat),
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut dest_is_dir = stat.as_ref().is_some_and(|s| mode_of(s) & MODE_DIR != 0);
    if let Some(s) = &stat {
        if mode_of(s) & MODE_SYMLINK != 0 {
            if let Some(to) = s.get("linkTarget").and_then(Value::as_str) {
                dest = to.to_owned();
                dest_is_dir = engine
                    .container_stat_path(id, &dest)
                    .await
                    .is_ok_and(|s| mode_of(&s) & MODE_DIR != 0);
            }
        }
    }
    let parent_of = |path: &str| match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) => "/".to_owned(),
        Some((parent, _)) => parent.to_owned(),
        None => ".".to_owned(),
    };
    // (folder to extract into, the name of the source's root in the archive)
    let (into, root): (String, Option<String>) = match (is_dir, stat.is_some(), dest_is_dir) {
        (true, true, false) => {
            return Err(invalid(
                F,
                format!("cannot copy a directory to a file: '{dest}'"),
            ))
        }
        (true, true, true) if contents_only(&src_text) => (dest.clone(), None),
        (_, true, true) => (dest.clone(), Some(base_name(&src_text).to_owned())),
        (false, true, false) => (parent_of(&dest), Some(base_name(&dest).to_owned())),
        (_, false, _) => {
            if dest.ends_with('/') {
                return Err(invalid(
                    F,
                    format!("destination directory '{dest}' must exist"),
                ));
            }
            (parent_of(&dest), Some(base_name(&dest).to_owned()))
        }
    };
    let written = match &root {
        Some(name) => format!("{}/{name}", into.trim_end_matches('/')),
        None => into.clone(),
    };
    if engine.mode() == WriteMode::DryRun {
        // Nothing to read locally for a dry run: the guard prints the PUT.
        let (_, upload) = Upload::channel();
        engine
            .container_put_archive_stream(id, &into, upload, opts.archive)
            .await?;
        return Ok(written);
    }
    let (sender, upload) = Upload::channel();
    let source = src.to_path_buf();
    let producer = tokio::task::spawn_blocking(move || {
        let mut writer = sender.writer();
        let result = write_tar(&mut writer, &source, root.as_deref(), is_dir, follow);
        match result {
            Ok(()) => io::Write::flush(&mut writer),
            Err(e) => {
                writer.abort(io::Error::other(e.to_string()));
                Err(e)
            }
        }
    });
    let sent = engine
        .container_put_archive_stream(id, &into, upload, opts.archive)
        .await;
    let produced = producer
        .await
        .map_err(|e| Error::new(ErrorKind::Api, format!("{F}: {e}")))?;
    // The request's own failure first: a refused or failed PUT is why the
    // producer saw "the request ended".
    sent?;
    produced.map_err(|e| io_error(F, "cannot read", src, e))?;
    Ok(written)
}

/// The tar of a local file or folder, its root named `root` (`None`: the
/// folder's contents at the top). Links stay links; owners and modes kept.
fn write_tar(
    writer: &mut impl io::Write,
    src: &Path,
    root: Option<&str>,
    is_dir: bool,
    follow_root: bool,
) -> io::Result<()> {
    let mut tar = tar::Builder::new(writer);
    tar.follow_symlinks(false);
    tar.mode(tar::HeaderMode::Complete);
    let name = Path::new(root.unwrap_or("."));
    if !is_dir {
        if follow_root {
            let mut file = std::fs::File::open(src)?;
            tar.append_file(name, &mut file)?;
        } else {
            tar.append_path_with_name(src, name)?;
        }
    } else {
        append_dir(&mut tar, src, name, root.is_some())?;
    }
    tar.finish()
}

fn append_dir<W: io::Write>(
    tar: &mut tar::Builder<W>,
    dir: &Path,
    name: &Path,
    with_root: bool,
) -> io::Result<()> {
    if with_root {
        tar.append_dir(name, dir)?;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let child = if with_root {
            name.join(entry.file_name())
        } else {
            PathBuf::from(entry.file_name())
        };
        if entry.file_type()?.is_dir() {
            append_dir(tar, &path, &child, true)?;
        } else {
            tar.append_path_with_name(&path, &child)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            match kind {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    h.set_size(0);
                    h.set_link_name(data).unwrap();
                    // Names with `..` cannot go through set_path.
                    let bytes = name.as_bytes();
                    h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
                    h.set_cksum();
                    b.append(&h, &[][..]).unwrap();
                }
                _ => {
                    h.set_size(data.len() as u64);
                    let bytes = name.as_bytes();
                    h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
                    h.set_cksum();
                    b.append(&h, data.as_bytes()).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn entries_that_climb_out_are_refused() {
        use tar::EntryType::{Directory, Regular, Symlink};
        let outside = tempfile::tempdir().unwrap();
        for (bad, why) in [
            (
                tar_of(&[("d/", Directory, ""), ("d/../../escape", Regular, "x")]),
                "leaves the destination",
            ),
            (tar_of(&[("/abs", Regular, "x")]), "leaves the destination"),
            (
                tar_of(&[
                    ("d/", Directory, ""),
                    ("d/link", Symlink, outside.path().to_str().unwrap()),
                    ("d/link/escape", Regular, "x"),
                ]),
                "goes through the symbolic link",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let err = extract(&bad[..], &dir.path().join("d"), true).unwrap_err();
            assert!(err.contains(why), "{err}");
            assert!(!outside.path().join("escape").exists());
            assert!(!dir.path().join("escape").exists());
        }
        // A link already in the destination is not followed either.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("d/sub")).unwrap();
        let tar = tar_of(&[("d/", Directory, ""), ("d/sub/escape", Regular, "x")]);
        let err = extract(&tar[..], &dir.path().join("d"), true).unwrap_err();
        assert!(err.contains("goes through the symbolic link"), "{err}");
        assert!(!outside.path().join("escape").exists());
        // A file entry over an existing link replaces the link, not its target.
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("d/f")).unwrap();
        let tar = tar_of(&[("d/", Directory, ""), ("d/f", Regular, "new")]);
        extract(&tar[..], &dir.path().join("d"), true).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("d/f")).unwrap(),
            "new"
        );
    }

    #[test]
    fn names_as_docker_cp_reads_them() {
        assert_eq!(base_name("/a/b/"), "b");
        assert_eq!(base_name("b"), "b");
        assert!(contents_only("/data/."));
        assert!(!contents_only("/data/.x"));
        assert_eq!(
            relative_name(Path::new("./a/b")).unwrap(),
            PathBuf::from("a/b")
        );
        assert_eq!(
            relative_name(Path::new("data/a/./b")).unwrap(),
            PathBuf::from("a/b")
        );
        assert!(relative_name(Path::new("../a")).is_err());
        assert_eq!(relative_name(Path::new("data")).unwrap(), PathBuf::new());
    }
}
