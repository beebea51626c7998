//! The seed scripts' key behaviours against Podman's Docker-compatible API,
//! where it differs from Docker: 500s for conflicts, fully qualified image
//! names, no default stop timeout, `Name: ""` in list entries, commit bodies.
//!
//! Ignored by default: `DOCKERLUA_PODMAN=1 tools/test.sh` starts the service
//! and runs them (without it, tools/test.sh skips them by their
//! `podman_service_` prefix). Run without `DOCKERLUA_TEST_PODMAN_HOST` naming
//! the service (e.g. after `tools/podman.sh start DIR; . DIR/env`) they fail. The pull test also needs
//! `DOCKERLUA_TEST_PULL_IMAGE` in a registry Podman trusts (tools/podman.sh
//! marks `DOCKERLUA_TEST_REGISTRY` insecure). Everything is checked through
//! dockerlua itself: the docker CLI is not needed.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{assert_success, stderr_of, stdout_of, unique};

/// The Podman service's URL. These tests are ignored by default (they need
/// Podman, which `DOCKERLUA_PODMAN=1 tools/test.sh` starts); run without the
/// service they fail, so that they never report a pass without running.
#[track_caller]
fn podman() -> String {
    std::env::var("DOCKERLUA_TEST_PODMAN_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "DOCKERLUA_TEST_PODMAN_HOST is not set: run these tests with \
                 DOCKERLUA_PODMAN=1 tools/test.sh (or `tools/podman.sh start DIR; . DIR/env`)"
            )
        })
}

fn cmd(host: &str) -> Command {
    let mut cmd = common::dockerlua_at(host);
    cmd.env_remove("DOCKER_API_VERSION");
    cmd
}

fn script(host: &str, path: &str, args: &[&str]) -> Output {
    common::run(cmd(host).arg(path).args(args))
}

fn lua(host: &str, code: &str) -> String {
    assert_success(&common::run(cmd(host).arg("-e").arg(code)))
}

/// Removes the containers labelled `dockerlua.test=<id>` when dropped.
struct Labelled<'a> {
    host: &'a str,
    id: String,
}

impl<'a> Labelled<'a> {
    fn new(host: &'a str, prefix: &str) -> Self {
        Labelled {
            host,
            id: unique(prefix),
        }
    }

    fn lua_labels(&self) -> String {
        format!("{{[\"dockerlua.test\"] = \"{}\"}}", self.id)
    }
}

impl Drop for Labelled<'_> {
    fn drop(&mut self) {
        let code = format!(
            "for _, c in ipairs(docker.containers.list({{all = true, filters = {{label = 'dockerlua.test={}'}}}})) do \
             pcall(c.remove, c, {{force = true}}) end",
            self.id
        );
        let _ = common::run(cmd(self.host).arg("-e").arg(code));
    }
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_hello_and_run_print_the_output() {
    let host = podman();
    let out = assert_success(&script(&host, "scripts/hello.lua", &[]));
    let mut lines = out.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("engine ") && first.contains("(API 1."),
        "{out}"
    );
    assert_eq!(lines.next(), Some("hello world"), "{out}");
    let out = assert_success(&script(
        &host,
        "scripts/run.lua",
        &["alpine", "sh", "-c", "echo one; echo two"],
    ));
    assert_eq!(out, "one\ntwo\n");
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_run_detached_list_logs_and_stop_all() {
    let host = podman();
    let t = Labelled::new(&host, "pmlist");
    // run_detached.lua takes no labels: label a container of our own instead.
    let name = format!("{}-up", t.id);
    let id = lua(
        &host,
        &format!(
            "print(docker.containers.run('alpine', {{'sh', '-c', 'echo started; exec sleep 60'}}, \
             {{detach = true, name = '{name}', labels = {}}}).id)",
            t.lua_labels()
        ),
    );
    let id = id.trim();
    assert_eq!(id.len(), 64, "not an id: {id}");

    // Podman lists `Name: ""`; the name must come from `Names`.
    let filter = format!("label=dockerlua.test={}", t.id);
    let out = assert_success(&script(&host, "scripts/list.lua", &["--filter", &filter]));
    let line = out.lines().next().unwrap_or_default();
    assert!(line.starts_with(&id[..12]), "{out}");
    assert!(line.ends_with(&format!("running\t{name}")), "{out}");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let logs = assert_success(&script(&host, "scripts/logs.lua", &[&name]));
        if logs == "started\n" {
            break;
        }
        assert!(Instant::now() < deadline, "logs: {logs:?}");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Docker's default stop timeout, which Podman lacks unless it is sent.
    let timeout = lua(
        &host,
        &format!("print(docker.containers.get('{name}').attrs.Config.StopTimeout)"),
    );
    assert_eq!(timeout.trim(), "10");

    // `sleep` as PID 1 ignores SIGTERM: --timeout 1 must be honoured.
    let started = Instant::now();
    let label = format!("dockerlua.test={}", t.id);
    let out = assert_success(&script(
        &host,
        "scripts/stop_all.lua",
        &[&label, "--timeout", "1"],
    ));
    assert!(out.contains(&name), "{out}");
    assert!(started.elapsed() < Duration::from_secs(9), "{out}");
    let state = lua(
        &host,
        &format!("print(docker.containers.get('{name}').status)"),
    );
    assert_eq!(state.trim(), "exited");
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_images_and_commit() {
    let host = podman();
    let out = assert_success(&script(&host, "scripts/images.lua", &["alpine"]));
    let line = out.lines().next().unwrap_or_default();
    let (short_id, tags) = line.split_once('\t').unwrap_or_default();
    assert!(
        short_id.starts_with("sha256:") && short_id.len() == 17,
        "{out}"
    );
    // Podman names it fully: docker.io/library/alpine:latest.
    assert!(tags.contains("alpine:latest"), "{out}");

    let repo = unique("pmcommit");
    let out = script(&host, "scripts/commit.lua", &["alpine", &repo]);
    let image_id = assert_success(&out);
    let image_id = image_id.trim();
    assert!(image_id.starts_with("sha256:"), "{}", stderr_of(&out));
    let out = lua(
        &host,
        &format!(
            "print(docker.containers.run('{repo}', 'ls /helloworld', {{remove = true}}))\n\
             docker.images.remove('{repo}')"
        ),
    );
    assert_eq!(out, "/helloworld\n\n");
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_pull_reports_progress_and_prints_the_id() {
    let host = podman();
    let Some(image) = std::env::var("DOCKERLUA_TEST_PULL_IMAGE")
        .ok()
        .filter(|i| !i.is_empty())
    else {
        eprintln!("podman::pull skipped: DOCKERLUA_TEST_PULL_IMAGE is not set");
        return;
    };
    let out = script(&host, "scripts/pull.lua", &[&image]);
    let id = assert_success(&out);
    assert!(id.trim().starts_with("sha256:"), "{id}");
    // Podman's progress has no Digest/Status lines; layer lines it has.
    assert!(stderr_of(&out).contains(": "), "{}", stderr_of(&out));
    lua(&host, &format!("docker.images.remove('{image}')"));
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_errors_have_dockers_kinds() {
    let host = podman();
    let t = Labelled::new(&host, "pmerr");
    let name = format!("{}-c", t.id);
    let code = format!(
        "local function kind(f, ...) local ok, e = pcall(f, ...); return ok and 'ok' or e.kind end\n\
         local opts = {{name = '{name}', labels = {labels}}}\n\
         local c = docker.containers.run('alpine', 'sleep 60', {{detach = true, name = '{name}', labels = {labels}}})\n\
         print(kind(docker.containers.create, 'alpine', 'true', opts))\n\
         print(kind(c.remove, c))\n\
         print(kind(c.unpause, c))\n\
         print(kind(docker.containers.run, 'dockerlua/nope:1', 'true', {{pull = 'never'}}))\n\
         print(kind(docker.containers.get, 'dockerlua-no-such-container'))\n\
         c:kill()\n\
         print(kind(c.exec, c, 'true'))",
        labels = t.lua_labels()
    );
    let out = lua(&host, &code);
    assert_eq!(
        out,
        "Conflict\nConflict\nConflict\nImageNotFound\nNotFound\nConflict\n"
    );
}

#[test]
#[ignore = "needs Podman: DOCKERLUA_PODMAN=1 tools/test.sh"]
fn podman_service_cleanup_removes_exited_containers() {
    let host = podman();
    let t = Labelled::new(&host, "pmclean");
    let code = format!(
        "local a = docker.containers.run('alpine', 'true', {{detach = true, labels = {l}}})\n\
         a:wait()\n\
         docker.containers.run('alpine', 'sleep 60', {{detach = true, labels = {l}}})",
        l = t.lua_labels()
    );
    lua(&host, &code);
    let label = format!("dockerlua.test={}", t.id);
    let out = script(
        &host,
        "scripts/cleanup.lua",
        &["--containers", "--label", &label],
    );
    let text = assert_success(&out);
    assert_eq!(text.matches("removed ").count(), 1, "{text}");
    let left = lua(
        &host,
        &format!("print(#docker.containers.list({{all = true, filters = {{label = '{label}'}}}}))"),
    );
    assert_eq!(left.trim(), "1", "{}", stdout_of(&out));
}
