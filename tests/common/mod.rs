//! Shared harness for dockerlua's integration tests (`mod common;` in `tests/*.rs`).
//!
//! The tests talk to the private engine that `tools/test.sh` starts (see
//! `tools/engine.sh`): `DOCKER_HOST` points at its socket,
//! `DOCKERLUA_TEST_REGISTRY` at a local registry and `DOCKERLUA_TEST_PULL_IMAGE`
//! at an image that exists only in that registry. The engine has the images
//! `alpine:latest` and `busybox:latest` (busybox-static, ~2 MB); Docker Hub is
//! never needed.
//!
//! Tests run in parallel threads against the one engine, so:
//! - name everything with [`unique`] or a [`Cleanup`] guard, never a fixed name;
//! - label what a test creates with [`Cleanup::label`] so the guard removes it
//!   even when the test fails half-way;
//! - never remove or retag `alpine`/`busybox`, and leave
//!   `DOCKERLUA_TEST_PULL_IMAGE` to `engine_smoke.rs`: a test that needs an
//!   image to pull makes its own with [`Cleanup::pushed_image`].
//!
//! Every command runs with a timeout (`DOCKERLUA_TEST_TIMEOUT` seconds,
//! default 120) so that a hung call fails its test instead of the CI job.
#![allow(dead_code)]

pub mod fake;
pub mod fault;
pub mod proxy;
pub mod repl;

#[allow(unused_imports)]
pub use fault::{FaultProxy, Follower};
#[allow(unused_imports)]
pub use proxy::{capture_proxy, tcp_proxy, Proxy};

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

/// The label key that [`Cleanup`] uses to find what a test created.
pub const TEST_LABEL: &str = "dockerlua.test";

// ---------------------------------------------------------------------------
// The engine

/// `DOCKER_HOST` of the test engine. Panics with a hint when it is unset or
/// names the system engine (set `DOCKERLUA_TEST_ANY_HOST=1` to allow any).
#[track_caller]
pub fn host() -> String {
    checked_host().unwrap_or_else(|msg| panic!("{msg}"))
}

fn checked_host() -> Result<String, String> {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    if host.is_empty() {
        return Err("DOCKER_HOST is not set: run the tests with tools/test.sh \
             (it starts a private engine), or `. .engine/env` after \
             `tools/engine.sh start .engine`"
            .into());
    }
    let system = ["unix:///var/run/docker.sock", "unix:///run/docker.sock"];
    if system.contains(&host.as_str()) && std::env::var_os("DOCKERLUA_TEST_ANY_HOST").is_none() {
        return Err(format!(
            "DOCKER_HOST={host} is the system engine; the tests create and delete \
             containers and images: run them with tools/test.sh"
        ));
    }
    Ok(host)
}

/// `localhost:PORT` of the test registry (`DOCKERLUA_TEST_REGISTRY`).
pub fn registry() -> String {
    env_or_panic("DOCKERLUA_TEST_REGISTRY")
}

/// An image that exists only in the test registry (`DOCKERLUA_TEST_PULL_IMAGE`).
pub fn pull_image() -> String {
    env_or_panic("DOCKERLUA_TEST_PULL_IMAGE")
}

fn env_or_panic(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| panic!("{name} is not set: run the tests with tools/test.sh"))
}

// ---------------------------------------------------------------------------
// Running dockerlua

/// Where engine-free tests point dockerlua when `DOCKER_HOST` is unset: a
/// socket that does not exist, so a test that talks to an engine by mistake
/// fails with a connection error instead of reaching the system engine.
pub const NO_ENGINE: &str = "unix:///nonexistent/dockerlua-tests-have-no-engine.sock";

/// The test engine, or [`NO_ENGINE`] when `DOCKER_HOST` is unset (engine-free
/// tests run under a plain `cargo test`). Panics only for the system engine.
#[track_caller]
pub fn host_or_none() -> String {
    if std::env::var("DOCKER_HOST").unwrap_or_default().is_empty() {
        return NO_ENGINE.to_string();
    }
    host()
}

/// A `Command` for the dockerlua binary built by cargo, connected to the test
/// engine (or to [`NO_ENGINE`] without one), stdin empty. Add arguments,
/// environment, then [`run`] it.
pub fn dockerlua_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", host_or_none())
        .env_remove("DOCKER_CONTEXT")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A `Command` for the dockerlua binary speaking to the engine at `url` (a
/// fake one, a proxy, or none at all), without the caller's
/// `DOCKER_CONTEXT` or `DOCKERLUA_TIMEOUT`.
pub fn dockerlua_at(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", url)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKERLUA_TIMEOUT")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A dockerlua command whose engine does not exist ([`NO_ENGINE`]): for what
/// must be refused before any request (a request would be a
/// `ConnectionError`).
pub fn offline() -> Command {
    dockerlua_at(NO_ENGINE)
}

/// `dockerlua ARGS...`
pub fn dockerlua(args: &[&str]) -> Output {
    run(dockerlua_cmd().args(args))
}

/// `dockerlua -e CODE`
pub fn lua(code: &str) -> Output {
    dockerlua(&["-e", code])
}

/// `dockerlua PATH ARGS...`; a relative `path` is relative to the crate root
/// (e.g. `"scripts/hello.lua"`).
pub fn script(path: &str, args: &[&str]) -> Output {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    run(dockerlua_cmd().arg(path).args(args))
}

/// `dockerlua ARGS...` with `input` on its stdin (e.g. `&["-"]` and a script).
pub fn dockerlua_with_stdin(args: &[&str], input: &str) -> Output {
    run_with_stdin(dockerlua_cmd().args(args), input.as_bytes())
}

// ---------------------------------------------------------------------------
// The docker CLI, for assertions about the engine's state

/// A `Command` for the docker CLI (`$DOCKERLUA_TEST_DOCKER` or `docker`)
/// connected to the test engine.
pub fn docker_cmd() -> Command {
    let cli = std::env::var("DOCKERLUA_TEST_DOCKER").unwrap_or_else(|_| "docker".into());
    let mut cmd = Command::new(cli);
    cmd.env("DOCKER_HOST", host()).env_remove("DOCKER_CONTEXT");
    cmd
}

/// `docker ARGS...` -> its stdout, trimmed. Panics (showing stderr) when it fails.
#[track_caller]
pub fn docker(args: &[&str]) -> String {
    let out = docker_output(args);
    if !out.status.success() {
        panic!("`docker {}` failed:\n{}", args.join(" "), describe(&out));
    }
    stdout_of(&out).trim().to_string()
}

/// `docker ARGS...` without judging the result (for "this must fail" checks).
pub fn docker_output(args: &[&str]) -> Output {
    run(docker_cmd().args(args))
}

/// `docker inspect -f TEMPLATE NAME`
pub fn inspect(name: &str, template: &str) -> String {
    docker(&["inspect", "-f", template, name])
}

/// A container's `State.Status` (`running`, `exited`...).
pub fn state(name: &str) -> String {
    inspect(name, "{{.State.Status}}")
}

/// Does a container with this id or name exist (in any state)?
pub fn container_exists(id_or_name: &str) -> bool {
    docker_output(&["container", "inspect", id_or_name])
        .status
        .success()
}

/// Does an image with this reference or id exist?
pub fn image_exists(reference: &str) -> bool {
    docker_output(&["image", "inspect", reference])
        .status
        .success()
}

// ---------------------------------------------------------------------------
// Outputs and assertions

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit status, stdout and stderr of a command, for failure messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        stdout_of(out),
        stderr_of(out)
    )
}

/// Asserts that the command succeeded and returns its stdout.
#[track_caller]
pub fn assert_success(out: &Output) -> String {
    if !out.status.success() {
        panic!("the command failed:\n{}", describe(out));
    }
    stdout_of(out)
}

/// Asserts that the command failed with exit status `code` and returns its stderr.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) -> String {
    if out.status.code() != Some(code) {
        panic!("expected exit status {code}:\n{}", describe(out));
    }
    stderr_of(out)
}

/// Polls `cond` every 50 ms until it is true; panics after `timeout`.
#[track_caller]
pub fn eventually(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Running commands with a timeout

fn timeout() -> Duration {
    let secs = std::env::var("DOCKERLUA_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    Duration::from_secs(secs)
}

/// Runs `cmd` (stdin empty) and collects its output; panics on a timeout.
#[track_caller]
pub fn run(cmd: &mut Command) -> Output {
    run_with_stdin(cmd, b"")
}

/// Runs `cmd` with `input` on stdin and collects its output; panics when it
/// cannot start or runs longer than the timeout (then it is killed).
#[track_caller]
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    match try_run(cmd, input, timeout()) {
        Ok(out) => out,
        Err(msg) => panic!("{msg}"),
    }
}

fn try_run(cmd: &mut Command, input: &[u8], limit: Duration) -> Result<Output, String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input); // the child may exit without reading
    });
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out_reader = reader(Box::new(child.stdout.take().expect("stdout")));
    let err_reader = reader(Box::new(child.stderr.take().expect("stderr")));

    let deadline = Instant::now() + limit;
    let (status, timed_out): (ExitStatus, bool) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status, false),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                break (child.wait().map_err(|e| e.to_string())?, true);
            }
            Err(e) => return Err(format!("waiting for {shown}: {e}")),
        }
    };
    let _ = writer.join();
    let out = Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    };
    if timed_out {
        return Err(format!(
            "{shown} did not finish within {limit:?} (DOCKERLUA_TEST_TIMEOUT); killed it:\n{}",
            describe(&out)
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Names and cleanup

/// A name no other test (or test run) uses: `PREFIX-PID-COUNTER-TIME`.
/// Lower case and digits only, so it is valid for containers and image
/// repositories alike (if `prefix` is).
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{:05x}", std::process::id(), nanos >> 12)
}

/// Removes, when dropped (also when the test panics), what a test created:
/// containers, images, volumes and networks labelled `dockerlua.test=<id>`,
/// and the containers and image repositories named through it.
///
/// ```ignore
/// let t = Cleanup::new("run");
/// let name = t.container("web");               // registered for removal
/// common::docker(&["run", "-d", "--name", &name, "--label", &t.label(), "alpine", "sleep", "60"]);
/// common::lua(&format!("docker.containers.run('alpine', 'true', {{labels = {}}})", t.lua_labels()));
/// ```
pub struct Cleanup {
    /// Unique for this guard; the value of the `dockerlua.test` label.
    pub id: String,
    containers: std::cell::RefCell<Vec<String>>,
    images: std::cell::RefCell<Vec<String>>,
}

impl Cleanup {
    pub fn new(prefix: &str) -> Cleanup {
        Cleanup {
            id: unique(prefix),
            containers: Default::default(),
            images: Default::default(),
        }
    }

    /// `dockerlua.test=<id>`, for `docker run --label`.
    pub fn label(&self) -> String {
        format!("{TEST_LABEL}={}", self.id)
    }

    /// `{["dockerlua.test"] = "<id>"}`, a Lua table for `labels = ...`.
    /// Runs `code` with `LABELS` and `ID` replaced by this guard's labels
    /// (a Lua table) and id; it must succeed; its stdout.
    #[track_caller]
    pub fn script(&self, code: &str) -> String {
        assert_success(&lua(&code
            .replace("LABELS", &self.lua_labels())
            .replace("ID", &self.id)))
    }

    pub fn lua_labels(&self) -> String {
        format!("{{[\"{TEST_LABEL}\"] = \"{}\"}}", self.id)
    }

    /// A unique container name, removed on drop.
    pub fn container(&self, suffix: &str) -> String {
        let name = format!("{}-{suffix}", self.id);
        self.containers.borrow_mut().push(name.clone());
        name
    }

    /// A unique image repository name (no tag); all its tags are removed on drop.
    pub fn image(&self, suffix: &str) -> String {
        let repo = format!("{}-{suffix}", self.id);
        self.images.borrow_mut().push(repo.clone());
        repo
    }

    /// Registers an image repository (e.g. `localhost:5000/x/y`) for removal on drop.
    pub fn remove_image_later(&self, repository: &str) {
        self.images.borrow_mut().push(repository.to_string());
    }

    /// Pushes a new image to the test registry and returns its reference
    /// (`localhost:PORT/dockerlua/<id>-<suffix>:latest`). It has a layer of its
    /// own (`/marker`), so pulling it really downloads; the local copy is
    /// removed, and again on drop if the test pulled it.
    pub fn pushed_image(&self, suffix: &str) -> String {
        let repo = format!("{}/dockerlua/{}-{suffix}", registry(), self.id);
        let reference = format!("{repo}:latest");
        let builder = self.container(&format!("{suffix}-build"));
        let marker = format!("echo {} > /marker", self.id);
        docker(&[
            "run",
            "--name",
            &builder,
            "--label",
            &self.label(),
            "alpine",
            "sh",
            "-c",
            &marker,
        ]);
        self.remove_image_later(&repo);
        docker(&["commit", &builder, &reference]);
        docker(&["rm", &builder]);
        docker(&["push", &reference]);
        docker(&["rmi", &reference]);
        reference
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Never panic here: this may run while a failed test unwinds.
        let quiet = |args: &[&str]| -> Vec<String> {
            match try_run(docker_cmd().args(args), b"", Duration::from_secs(60)) {
                Ok(out) if out.status.success() => stdout_of(&out)
                    .lines()
                    .map(str::to_string)
                    .filter(|l| !l.is_empty())
                    .collect(),
                Ok(out) => {
                    eprintln!(
                        "cleanup: `docker {}` failed:\n{}",
                        args.join(" "),
                        describe(&out)
                    );
                    Vec::new()
                }
                Err(e) => {
                    eprintln!("cleanup: {e}");
                    Vec::new()
                }
            }
        };
        if checked_host().is_err() {
            return;
        }
        let label = format!("label={}", self.label());

        let mut containers = quiet(&["ps", "-aq", "--filter", &label]);
        for name in self.containers.borrow().iter() {
            if container_exists(name) {
                containers.push(name.clone());
            }
        }
        if !containers.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(containers.iter().map(String::as_str));
            quiet(&args);
        }

        // Images by reference (untagging only: a test may have tagged a shared
        // image such as alpine), then labelled ones by id.
        let mut images = Vec::new();
        for repo in self.images.borrow().iter() {
            let filter = format!("reference={repo}");
            images.extend(quiet(&[
                "images",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                "--filter",
                &filter,
            ]));
        }
        if !images.is_empty() {
            let mut args = vec!["rmi"];
            args.extend(images.iter().map(String::as_str));
            quiet(&args);
        }
        let mut labelled = quiet(&["images", "-q", "--filter", &label]);
        labelled.sort();
        labelled.dedup();
        if !labelled.is_empty() {
            let mut args = vec!["rmi", "-f"];
            args.extend(labelled.iter().map(String::as_str));
            quiet(&args);
        }

        for kind in ["volume", "network"] {
            let found = quiet(&[kind, "ls", "-q", "--filter", &label]);
            if !found.is_empty() {
                let mut args = vec![kind, "rm"];
                args.extend(found.iter().map(String::as_str));
                quiet(&args);
            }
        }
    }
}

/// Runs a container named `name` that sleeps until removed, labelled with
/// `t` and with an init, so that `stop` ends it at once.
pub fn sleeper(t: &Cleanup, name: &str) {
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        name,
        "--label",
        &t.label(),
        "alpine",
        "sleep",
        "300",
    ]);
}

/// What clean-up tests start from, all labelled with `t`: an exited
/// container, a running one, and a dangling image (committing twice to one
/// tag leaves the first image dangling; it keeps the container's label).
/// Answers `(exited, running, dangling image id, the tag committed to)`.
pub fn exited_running_and_dangling(t: &Cleanup) -> (String, String, String, String) {
    let done = t.container("done");
    let up = t.container("up");
    docker(&[
        "run",
        "--name",
        &done,
        "--label",
        &t.label(),
        "alpine",
        "true",
    ]);
    sleeper(t, &up);
    let tag = format!("{}:v", t.image("img"));
    docker(&["commit", &up, &tag]);
    let dangling = docker(&["images", "-q", &tag]);
    docker(&["exec", &up, "touch", "/changed"]);
    docker(&["commit", &up, &tag]);
    (done, up, dangling, tag)
}

// ---------------------------------------------------------------------------
// Types

/// `Class.member` for every `---@field` of a `---@class` and every
/// `function Var.name`/`Var:name` of a `local Var = {}` declared as a class.
pub fn defined_members(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut vars = std::collections::HashMap::new();
    let mut class: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("---@class ") {
            // `---@class Name: Parent` declares Name.
            let name = name.split([' ', ':']).next().unwrap();
            class = Some(name.to_owned());
        } else if let (Some(c), Some(field)) = (&class, line.strip_prefix("---@field ")) {
            out.insert(format!("{c}.{}", field.split_whitespace().next().unwrap()));
        } else if let Some(rest) = line.strip_prefix("local ") {
            if let (Some(c), Some((var, "{}"))) = (&class, rest.split_once(" = ")) {
                vars.insert(var.to_owned(), c.clone());
            }
            class = None;
        } else if let Some(rest) = line.strip_prefix("function ") {
            let name = rest.split('(').next().unwrap();
            if let Some((var, member)) = name.split_once(['.', ':']) {
                if let Some(c) = vars.get(var) {
                    out.insert(format!("{c}.{member}"));
                }
            }
        } else if !line.starts_with("---") {
            class = None;
        }
    }
    out
}

/// The decoded `X-Registry-Auth` headers of the requests to `path_part`.
pub fn auth_headers(sent: &[u8], path_part: &str) -> Vec<serde_json::Value> {
    header_values(sent, path_part, "x-registry-auth")
}

/// The base64url JSON values of header `name` in requests to `path_part`.
pub fn header_values(sent: &[u8], path_part: &str, name: &str) -> Vec<serde_json::Value> {
    let text = String::from_utf8_lossy(sent);
    let mut found = Vec::new();
    // Request lines end with " HTTP/1.1" (a body may run into the next
    // request's line, so only that end is looked for); headers follow.
    let mut in_wanted = false;
    for line in text.split("\r\n") {
        if line.ends_with(" HTTP/1.1") {
            in_wanted = line.contains(path_part);
            continue;
        }
        let value = line
            .split_once(": ")
            .filter(|(header, _)| in_wanted && header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value);
        if let Some(value) = value {
            let json = base64::engine::general_purpose::URL_SAFE
                .decode(value.trim())
                .unwrap();
            found.push(serde_json::from_slice(&json).unwrap());
        }
    }
    found
}

/// An engine of a test's own (`tools/engine.sh` in a folder of its own under
/// /tmp), stopped when dropped (also when the test panics): for what no
/// other test may see (a restart) or what can kill an engine.
pub struct OwnEngine {
    pub dir: tempfile::TempDir,
    /// Its `DOCKER_HOST`.
    pub host: String,
}

impl OwnEngine {
    /// Starts it in `/tmp/PREFIX*`; with `registry` (`localhost:PORT`) it
    /// uses that registry instead of starting one of its own.
    pub fn start(prefix: &str, registry: Option<&str>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in("/tmp")
            .unwrap();
        let mut cmd = Command::new(engine_tool());
        cmd.arg("start").arg(dir.path());
        if let Some(registry) = registry {
            cmd.args(["--registry", registry]);
        }
        let out = run(&mut cmd);
        assert!(out.status.success(), "{}", describe(&out));
        let env = std::fs::read_to_string(dir.path().join("env")).unwrap();
        let host = env
            .lines()
            .find_map(|l| l.strip_prefix("export DOCKER_HOST="))
            .expect("DOCKER_HOST in env")
            .trim_matches(['"', '\''])
            .to_owned();
        OwnEngine { dir, host }
    }

    /// Stops dockerd by its pid file and starts it again on the same state.
    pub fn restart(&self) {
        let out = run(Command::new(engine_tool())
            .arg("restart")
            .arg(self.dir.path()));
        assert!(out.status.success(), "{}", describe(&out));
    }

    /// What dockerd wrote so far (`dockerd.log`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }
}

impl Drop for OwnEngine {
    fn drop(&mut self) {
        let _ = run(Command::new(engine_tool()).arg("stop").arg(self.dir.path()));
    }
}

fn engine_tool() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/engine.sh")
}
