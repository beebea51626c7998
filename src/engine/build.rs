//! `POST /build`: the context folder tarred while it streams to the engine
//! (its `.dockerignore` applied as the docker CLI applies it), the build's
//! options as the engine's query, and the build events as they come.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::dockerignore::{self, Matcher, ParentMatches};
use super::upload::{Upload, UploadWriter};
use super::{credentials, Engine, Error, ErrorKind, JsonStream, Query, Req, Result};

/// What is built: a context folder, or a lone Dockerfile's text.
pub enum Context {
    /// The folder and the Dockerfile's path inside it.
    Dir(PathBuf),
    Dockerfile(String),
}

/// The build's options, as the engine names them in its query.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub tags: Vec<String>,
    /// The Dockerfile's path inside the context (default `Dockerfile`).
    pub dockerfile: Option<String>,
    pub buildargs: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub target: Option<String>,
    pub nocache: bool,
    pub pull: bool,
    pub rm: bool,
    pub forcerm: bool,
    pub network_mode: Option<String>,
    pub extra_hosts: Vec<String>,
    pub platform: Option<String>,
    pub cache_from: Vec<String>,
    pub shmsize: Option<i64>,
    pub quiet: bool,
    pub squash: bool,
    /// Credentials for the registries `FROM` pulls from, beside the logins.
    pub auth: Option<Value>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            tags: Vec::new(),
            dockerfile: None,
            buildargs: BTreeMap::new(),
            labels: BTreeMap::new(),
            target: None,
            nocache: false,
            pull: false,
            rm: true,
            forcerm: false,
            network_mode: None,
            extra_hosts: Vec::new(),
            platform: None,
            cache_from: Vec::new(),
            shmsize: None,
            quiet: false,
            squash: false,
            auth: None,
        }
    }
}

impl BuildOptions {
    /// The query, naming the Dockerfile as the context holds it; the
    /// `proxies` of `config.json` are build arguments unless given.
    pub(super) fn query(&self, dockerfile: Option<&str>, proxies: &[(String, String)]) -> Query {
        let mut q = Query::new();
        for tag in &self.tags {
            q.add("t", tag);
        }
        q.add_opt("dockerfile", dockerfile);
        let mut buildargs = self.buildargs.clone();
        for (var, value) in proxies {
            buildargs
                .entry(var.clone())
                .or_insert_with(|| value.clone());
        }
        if !buildargs.is_empty() {
            q.add("buildargs", json!(buildargs).to_string());
        }
        if !self.labels.is_empty() {
            q.add("labels", json!(self.labels).to_string());
        }
        q.add_opt("target", self.target.as_deref())
            .flag("nocache", self.nocache)
            .flag("pull", self.pull)
            // The engine's default for rm is true: say it either way.
            .add("rm", if self.rm { "1" } else { "0" })
            .flag("forcerm", self.forcerm)
            .add_opt("networkmode", self.network_mode.as_deref())
            .add_opt("platform", self.platform.as_deref())
            .flag("q", self.quiet)
            .flag("squash", self.squash);
        if !self.extra_hosts.is_empty() {
            q.add("extrahosts", self.extra_hosts.join(","));
        }
        if !self.cache_from.is_empty() {
            q.add("cachefrom", json!(self.cache_from).to_string());
        }
        if let Some(size) = self.shmsize {
            q.add("shmsize", size.to_string());
        }
        q
    }
}

/// A running build: its events, and the tarring of its context.
pub struct Build {
    stream: JsonStream,
    producer: Option<JoinHandle<io::Result<()>>>,
}

impl Build {
    /// The next build event (`stream`, `status`, `aux`, or `error` for a
    /// failed step: see [`build_error`]); `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Value>> {
        match self.stream.next().await {
            Ok(event) => Ok(event),
            Err(e) => Err(context_error(self.producer.take()).await.unwrap_or(e)),
        }
    }
}

/// The tarring's own failure (an unreadable file...), which explains a
/// request that broke off better than the broken request does.
async fn context_error(producer: Option<JoinHandle<io::Result<()>>>) -> Option<Error> {
    match producer?.await {
        Ok(Err(e)) if e.kind() != io::ErrorKind::BrokenPipe => {
            Some(Error::invalid(format!("build context: {e}")))
        }
        _ => None,
    }
}

/// The failed step's message when `event` reports a failed build.
pub fn build_error(event: &Value) -> Option<String> {
    super::stream::progress_error(event)
}

/// The built image's id when `event` names it: `aux.ID`, the quiet build's
/// one `stream` line, or the classic builder's "Successfully built".
pub fn built_image(event: &Value) -> Option<String> {
    if let Some(id) = event.pointer("/aux/ID").and_then(Value::as_str) {
        return Some(id.to_owned());
    }
    let stream = event.get("stream").and_then(Value::as_str)?.trim();
    if let Some(id) = stream.strip_prefix("Successfully built ") {
        return Some(id.trim().to_owned());
    }
    stream
        .strip_prefix("sha256:")
        .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|_| stream.to_owned())
}

impl Engine {
    /// Starts a build; the context streams to the engine as it is tarred.
    pub async fn image_build(&self, context: Context, options: &BuildOptions) -> Result<Build> {
        let mut producer = None;
        let proxies = super::options::proxy::variables(self.url());
        let req = match context {
            Context::Dockerfile(text) => Req::post("/build")
                .query(options.query(None, &proxies))
                .raw_body(dockerfile_tar(&text)?, "application/x-tar"),
            Context::Dir(dir) => {
                let given = options.dockerfile.as_deref().unwrap_or("Dockerfile");
                let (dockerfile, outside) = match locate_dockerfile(&dir, given)? {
                    Dockerfile::Inside(name) => (name, None),
                    Dockerfile::Outside { name, text } => (name.clone(), Some((name, text))),
                };
                let matcher = context_matcher(&dir, &dockerfile)?;
                let (sender, upload) = Upload::channel();
                let writer = sender.writer();
                producer = Some(tokio::task::spawn_blocking(move || {
                    write_context(&dir, &matcher, outside, writer)
                }));
                Req::post("/build")
                    .query(options.query(Some(&dockerfile), &proxies))
                    .stream_body(upload, "application/x-tar")
            }
        };
        // A build lasts as long as its steps: never cut by the client timeout.
        let mut req = req.lasting();
        let registries = self.registry_config(options.auth.as_ref());
        if !registries.is_empty() {
            req = req.header(
                "x-registry-config",
                credentials::encode_auth(&Value::Object(registries)),
            );
        }
        match self.request(req).await {
            Ok(response) => Ok(Build {
                stream: JsonStream::with_errors(response),
                producer,
            }),
            Err(e) => Err(context_error(producer).await.unwrap_or(e)),
        }
    }

    /// `X-Registry-Config`: credentials by registry, for `FROM` pulls.
    pub(super) fn registry_config(&self, given: Option<&Value>) -> serde_json::Map<String, Value> {
        let mut map = self.logins();
        if let Some(auth) = given {
            let registry = auth
                .get("serveraddress")
                .and_then(Value::as_str)
                .unwrap_or(super::reference::DOCKER_HUB_KEY)
                .to_owned();
            map.insert(registry, auth.clone());
        }
        map
    }
}

/// Where the Dockerfile is, for the context.
enum Dockerfile {
    /// Its path inside the context, slash-separated and clean.
    Inside(String),
    /// Outside the context: its text, sent in the context under a name of
    /// its own, as the docker CLI does.
    Outside { name: String, text: Vec<u8> },
}

/// The Dockerfile `given` (relative to the context, or absolute), checked
/// to be a file before anything is sent.
fn locate_dockerfile(dir: &Path, given: &str) -> Result<Dockerfile> {
    let context = std::fs::canonicalize(dir)
        .map_err(|e| Error::invalid(format!("build context '{}': {e}", dir.display())))?;
    if !context.is_dir() {
        return Err(Error::invalid(format!(
            "build context '{}' is not a folder",
            dir.display()
        )));
    }
    let missing = || {
        Error::invalid(format!(
            "no Dockerfile '{given}' in the build context '{}'",
            dir.display()
        ))
    };
    let path = std::fs::canonicalize(dir.join(given)).map_err(|_| missing())?;
    if !path.is_file() {
        return Err(missing());
    }
    // The path as given (a symlink stays a symlink the engine follows).
    let inside = Path::new(&dockerignore::clean(given)).to_path_buf();
    if !given.starts_with('/') && !inside.starts_with("..") {
        return Ok(Dockerfile::Inside(inside.to_string_lossy().into_owned()));
    }
    if let Ok(rel) = path.strip_prefix(&context) {
        return Ok(Dockerfile::Inside(rel.to_string_lossy().into_owned()));
    }
    let text = std::fs::read(&path)
        .map_err(|e| Error::invalid(format!("cannot read '{}': {e}", path.display())))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(Dockerfile::Outside {
        name: format!(".dockerfile.{:x}{:x}", stamp, std::process::id()),
        text,
    })
}

/// All of folder `dir` as a tar streaming while it is made (on a blocking
/// thread), without any `.dockerignore`: what `docker plugin create` sends.
/// A failure of the tarring explains a broken request: see [`folder_error`].
pub fn folder_upload(dir: &Path) -> Result<(Upload, JoinHandle<io::Result<()>>)> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!(
            "'{}' is not a folder",
            dir.display()
        )));
    }
    let matcher = Matcher::new(&[])?;
    let (sender, upload) = Upload::channel();
    let writer = sender.writer();
    let dir = dir.to_path_buf();
    let producer = tokio::task::spawn_blocking(move || write_context(&dir, &matcher, None, writer));
    Ok((upload, producer))
}

/// The tarring's failure after a request with a [`folder_upload`] failed.
pub async fn folder_error(producer: JoinHandle<io::Result<()>>) -> Option<Error> {
    context_error(Some(producer)).await
}

/// The `.dockerignore` of `dir` as patterns, the build files kept.
pub fn context_patterns(dir: &Path, dockerfile: &str) -> Result<Vec<String>> {
    let patterns = match std::fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => dockerignore::read_patterns(&text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::invalid(format!("cannot read .dockerignore: {e}"))),
    };
    dockerignore::keep_build_files(patterns, dockerfile)
}

/// The `.dockerignore` of `dir` as a matcher, the build files kept.
pub fn context_matcher(dir: &Path, dockerfile: &str) -> Result<Matcher> {
    Matcher::new(&context_patterns(dir, dockerfile)?)
}

/// A context of one file, `Dockerfile`, made in memory (it is small).
fn dockerfile_tar(text: &str) -> Result<Bytes> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    );
    tar.append_data(&mut header, "Dockerfile", text.as_bytes())
        .and_then(|_| tar.into_inner())
        .map(Bytes::from)
        .map_err(|e| Error::new(ErrorKind::Api, format!("build context: {e}")))
}

/// Tars the context into `writer` (on a blocking thread), then `extra`
/// (a Dockerfile from outside); a failure ends the body with an error so
/// that the engine never builds half a context.
fn write_context(
    dir: &Path,
    matcher: &Matcher,
    extra: Option<(String, Vec<u8>)>,
    writer: UploadWriter,
) -> io::Result<()> {
    let mut tar = tar::Builder::new(writer);
    let mut seen = HardLinks::new();
    let result = walk(
        &mut tar,
        dir,
        "",
        matcher,
        &ParentMatches::default(),
        &mut seen,
    )
    .and_then(|_| match extra {
        Some((name, text)) => {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o600);
            tar.append_data(&mut header, name, &text[..])
        }
        None => Ok(()),
    })
    .and_then(|_| tar.finish())
    .and_then(|_| tar.get_mut().flush());
    if let Err(e) = &result {
        tar.get_mut().abort(io::Error::new(e.kind(), e.to_string()));
    }
    result
}

/// One folder of the context, in the order Go's `filepath.WalkDir` visits
/// it (names sorted bytewise), skipping what the `.dockerignore` excludes
/// exactly as moby's `TarWithOptions` does.
fn walk<W: Write>(
    tar: &mut tar::Builder<W>,
    dir: &Path,
    rel: &str,
    matcher: &Matcher,
    parent: &ParentMatches,
    seen: &mut HardLinks,
) -> io::Result<()> {
    let read = cannot_read;
    let names = sorted_names(dir)?;
    for name in names {
        let path = dir.join(&name);
        let name = name.to_string_lossy();
        let rel_path = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let meta = std::fs::symlink_metadata(&path).map_err(|e| read(e, &path))?;
        let is_dir = meta.is_dir();
        let (skip, info) = matcher.matches_with_parent(&rel_path, parent);
        if skip {
            if !is_dir {
                continue;
            }
            // An excluded folder is still walked when a `!` pattern names
            // something inside it; the folder itself is not sent.
            if matcher.has_exclusions() && matcher.reincludes_inside(&rel_path) {
                walk(tar, &path, &rel_path, matcher, &info, seen)?;
            }
            continue;
        }
        append(tar, &path, &rel_path, &meta, seen).map_err(|e| read(e, &path))?;
        if is_dir {
            walk(tar, &path, &rel_path, matcher, &info, seen)?;
        }
    }
    Ok(())
}

/// The first name sent of each file with more than one link, by device and
/// inode: its other names go as hard links to it, as moby's tar does, so
/// its data is sent once and the links are kept.
type HardLinks = std::collections::HashMap<(u64, u64), String>;

/// One entry, owned by root as the CLI sends it.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
    meta: &std::fs::Metadata,
    seen: &mut HardLinks,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_mode(meta.mode() & 0o7777);
    header.set_mtime(meta.mtime().max(0) as u64);
    header.set_uid(0);
    header.set_gid(0);
    let kind = meta.file_type();
    if kind.is_dir() {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        tar.append_data(&mut header, format!("{name}/"), io::empty())
    } else if kind.is_symlink() {
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        let target = std::fs::read_link(path)?;
        tar.append_link(&mut header, name, target)
    } else if kind.is_file() && meta.nlink() > 1 && seen.contains_key(&(meta.dev(), meta.ino())) {
        header.set_entry_type(tar::EntryType::Link);
        header.set_size(0);
        let first = &seen[&(meta.dev(), meta.ino())];
        tar.append_link(&mut header, name, first)
    } else if kind.is_file() {
        if meta.nlink() > 1 {
            seen.insert((meta.dev(), meta.ino()), name.to_owned());
        }
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(meta.len());
        let file = std::fs::File::open(path)?;
        tar.append_data(&mut header, name, Exactly::new(file, meta.len()))
    } else if kind.is_fifo() {
        header.set_entry_type(tar::EntryType::Fifo);
        header.set_size(0);
        tar.append_data(&mut header, name, io::empty())
    } else {
        // Sockets and devices: the CLI does not send sockets; devices have
        // no place in a build context.
        Ok(())
    }
}

/// A file's first `len` bytes, failing if it got shorter since its size
/// was written in the header (a tar entry cannot change its size).
struct Exactly<R> {
    inner: io::Take<R>,
}

impl<R: Read> Exactly<R> {
    fn new(inner: R, len: u64) -> Self {
        Exactly {
            inner: inner.take(len),
        }
    }
}

impl<R: Read> Read for Exactly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.inner.limit() > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while it was sent",
            ));
        }
        Ok(n)
    }
}

/// An I/O error that names the path it was reading.
pub(crate) fn cannot_read(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("cannot read '{}': {e}", path.display()))
}

/// A folder's entry names in byte order, so that a context walks the same
/// way every time (for the tar stream and the file sync alike).
pub(crate) fn sorted_names(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| cannot_read(e, dir))? {
        names.push(entry.map_err(|e| cannot_read(e, dir))?.file_name());
    }
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tar a context would send.
    fn context_tar(dir: &Path) -> Vec<u8> {
        let matcher = context_matcher(dir, "Dockerfile").unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let mut seen = HardLinks::new();
        walk(
            &mut tar,
            dir,
            "",
            &matcher,
            &ParentMatches::default(),
            &mut seen,
        )
        .unwrap();
        tar.into_inner().unwrap()
    }

    /// The entries a context would send, from the tar actually written.
    fn entries(dir: &Path) -> Vec<String> {
        let bytes = context_tar(dir);
        let mut archive = tar::Archive::new(&bytes[..]);
        archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_hard_linked_file_is_sent_once_and_linked() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a"), vec![b'x'; 100_000]).unwrap();
        std::fs::hard_link(root.join("a"), root.join("b")).unwrap();
        let bytes = context_tar(root);
        assert!(bytes.len() < 150_000, "{} bytes", bytes.len());
        let mut archive = tar::Archive::new(&bytes[..]);
        let kinds: Vec<(String, tar::EntryType, Option<String>)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let link = e
                    .link_name()
                    .unwrap()
                    .map(|l| l.to_string_lossy().into_owned());
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().entry_type(),
                    link,
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("a".to_owned(), tar::EntryType::Regular, None),
                ("b".to_owned(), tar::EntryType::Link, Some("a".to_owned())),
            ]
        );
    }

    #[test]
    fn the_context_honours_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("Dockerfile", "FROM busybox\n"),
            (
                ".dockerignore",
                "secret.env\n**/*.log\nDockerfile\n.dockerignore\n",
            ),
            ("secret.env", "x"),
            ("keep.txt", "k"),
            ("sub/a.log", "l"),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        assert_eq!(
            entries(root),
            vec![".dockerignore", "Dockerfile", "keep.txt", "sub/"]
        );
    }

    #[test]
    fn a_missing_dockerfile_is_reported_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        let err = locate_dockerfile(dir.path(), "Dockerfile").err().unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
        assert!(err.message.contains("no Dockerfile"), "{}", err.message);
    }

    #[test]
    fn dockerfiles_inside_and_outside_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = dir.path().join("ctx");
        std::fs::create_dir_all(ctx.join("sub")).unwrap();
        std::fs::write(ctx.join("sub/Dockerfile"), "FROM a").unwrap();
        std::fs::write(dir.path().join("Outside"), "FROM b").unwrap();
        let inside = |given: &str| match locate_dockerfile(&ctx, given).unwrap() {
            Dockerfile::Inside(name) => name,
            Dockerfile::Outside { .. } => panic!("{given} is inside"),
        };
        assert_eq!(inside("./sub//Dockerfile"), "sub/Dockerfile");
        let absolute = ctx.join("sub/Dockerfile").display().to_string();
        assert_eq!(inside(&absolute), "sub/Dockerfile");
        match locate_dockerfile(&ctx, "../Outside").unwrap() {
            Dockerfile::Outside { name, text } => {
                assert!(name.starts_with(".dockerfile."), "{name}");
                assert_eq!(text, b"FROM b");
            }
            Dockerfile::Inside(name) => panic!("outside taken as {name}"),
        }
    }

    #[test]
    fn events_name_the_image() {
        let id = format!("sha256:{}", "a".repeat(64));
        assert_eq!(built_image(&json!({"aux": {"ID": id}})), Some(id.clone()));
        assert_eq!(built_image(&json!({"stream": format!("{id}\n")})), Some(id));
        assert_eq!(
            built_image(&json!({"stream": "Successfully built 0123abcd\n"})),
            Some("0123abcd".into())
        );
        assert_eq!(built_image(&json!({"stream": "Step 1/2 : FROM x\n"})), None);
    }
}
