//! The seed scripts' key behaviours against Podman's Docker-compatible API,
//! where it differs from Docker: 500s for conflicts, fully qualified image
//! names, no default stop timeout, `Name: ""` in list entries, commit bodies.
//!
//! Skipped (with a message) unless `DOCKERLUA_TEST_PODMAN_HOST` names the
//! service, e.g. after `tools/podman.sh start DIR; . DIR/env`
//! (or `DOCKERLUA_PODMAN=1 tools/test.sh`). The pull test also needs
//! `DOCKERLUA_TEST_PULL_IMAGE` in a registry Podman trusts (tools/podman.sh
//! marks `DOCKERLUA_TEST_REGISTRY` insecure). Everything is checked through
//! dockerlua itself: the docker CLI is not needed.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{assert_success, stderr_of, stdout_of, unique};

/// The Podman service's URL, or `None` (and a note) when the tests are skipped.
fn podman(test: &str) -> Option<String> {
    let host = std::env::var("DOCKERLUA_TEST_PODMAN_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    if host.is_none() {
        // CI asks for Podman: there a missing service is a failure, not a skip.
        assert!(
            std::env::var("DOCKERLUA_PODMAN").as_deref() != Ok("1"),
            "DOCKERLUA_PODMAN=1 but DOCKERLUA_TEST_PODMAN_HOST is not set"
        );
        eprintln!(
            "podman::{test} skipped: DOCKERLUA_TEST_PODMAN_HOST is not set \
             (run `tools/podman.sh start DIR` and `. DIR/env`, or DOCKERLUA_PODMAN=1 tools/test.sh)"
        );
    }
    host
}

fn cmd(host: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", host)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_API_VERSION")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
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
fn hello_and_run_print_the_output() {
    let Some(host) = podman("hello_and_run_print_the_output") else {
        return;
    };
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
fn run_detached_list_logs_and_stop_all() {
    let Some(host) = podman("run_detached_list_logs_and_stop_all") else {
        return;
    };
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
fn images_and_commit() {
    let Some(host) = podman("images_and_commit") else {
        return;
    };
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
fn pull_reports_progress_and_prints_the_id() {
    let Some(host) = podman("pull_reports_progress_and_prints_the_id") else {
        return;
    };
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
fn errors_have_dockers_kinds() {
    let Some(host) = podman("errors_have_dockers_kinds") else {
        return;
    };
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
fn cleanup_removes_exited_containers() {
    let Some(host) = podman("cleanup_removes_exited_containers") else {
        return;
    };
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
