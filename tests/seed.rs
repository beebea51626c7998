//! The seed page's eight operations, as the scripts in `scripts/`, against
//! the real engine: each test checks what the engine then holds.

mod common;

use common::{assert_exit, assert_success, docker, script, state, Cleanup};

/// Removes a container by id when dropped (for ids a script printed).
struct Remove(String);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = common::docker_output(&["rm", "-f", &self.0]);
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn run_prints_the_output_and_removes_the_container() {
    let out = assert_success(&script("scripts/run.lua", &[]));
    assert_eq!(out, "hello world\n");
    let out = assert_success(&script(
        "scripts/run.lua",
        &["alpine", "sh", "-c", "echo one; echo two"],
    ));
    assert_eq!(out, "one\ntwo\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn run_detached_prints_the_id_of_a_running_container() {
    let out = assert_success(&script(
        "scripts/run_detached.lua",
        &["alpine", "sleep", "30"],
    ));
    let id = out.trim().to_owned();
    let _rm = Remove(id.clone());
    assert_eq!(id.len(), 64, "not an id: {out}");
    assert_eq!(state(&id), "running");
    assert_eq!(
        docker(&["inspect", "-f", "{{json .Config.Cmd}}", &id]),
        r#"["sleep","30"]"#
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.HostConfig.Init}}", &id]),
        "true"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn list_shows_running_containers_with_all_filters_and_limit() {
    let t = Cleanup::new("list");
    let label = t.label();
    let mut names = Vec::new();
    for n in 0..2 {
        let name = t.container(&format!("up{n}"));
        docker(&[
            "run", "-d", "--init", "--name", &name, "--label", &label, "alpine", "sleep", "60",
        ]);
        names.push(name);
    }
    let exited = t.container("down");
    docker(&[
        "run", "--name", &exited, "--label", &label, "alpine", "true",
    ]);

    let filter = format!("label={label}");
    let out = assert_success(&script("scripts/list.lua", &["--filter", &filter]));
    let mut listed: Vec<&str> = out
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, names);
    assert!(out.lines().all(|l| l.contains("\trunning\t")), "{out}");

    let out = assert_success(&script("scripts/list.lua", &["--all", "--filter", &filter]));
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.contains(&format!("\texited\t{exited}")), "{out}");

    let out = assert_success(&script(
        "scripts/list.lua",
        &["-a", "-n", "1", "-f", &filter],
    ));
    assert_eq!(out.lines().count(), 1, "{out}");

    let out = script("scripts/list.lua", &["--bogus"]);
    assert!(common::stderr_of(assert_exit_code(&out, 2)).contains("usage:"));
}

fn assert_exit_code(out: &std::process::Output, code: i32) -> &std::process::Output {
    assert_exit(out, code);
    out
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stop_all_stops_only_the_labelled_containers() {
    let t = Cleanup::new("stopall");
    let other = Cleanup::new("stopall-other");
    let mut mine = Vec::new();
    for n in 0..3 {
        let name = t.container(&format!("c{n}"));
        common::sleeper(&t, &name);
        mine.push(name);
    }
    let bystander = other.container("keep");
    common::sleeper(&other, &bystander);

    let out = assert_success(&script("scripts/stop_all.lua", &[&t.label()]));
    assert_eq!(out.lines().count(), 3, "{out}");
    for name in &mine {
        assert_eq!(state(name), "exited", "{name}");
    }
    assert_eq!(state(&bystander), "running");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn logs_by_id_prefix_and_name() {
    let t = Cleanup::new("logs");
    let name = t.container("c");
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &t.label(),
        "alpine",
        "sh",
        "-c",
        "echo Reticulating spline 1...; echo oops >&2; echo Reticulating spline 2...",
    ]);
    docker(&["wait", &id]);
    let expected_out = "Reticulating spline 1...\nReticulating spline 2...\n";
    for key in [name.as_str(), &id[..12], id.as_str()] {
        let out = assert_success(&script("scripts/logs.lua", &[key]));
        // stdout and stderr both, as `docker logs` shows them.
        assert!(out.contains("oops\n"), "{out}");
        assert_eq!(out.replace("oops\n", ""), expected_out);
    }
    let out = script("scripts/logs.lua", &["no-such-container-here"]);
    let err = common::stderr_of(&out);
    assert_exit(&out, 1);
    assert!(
        err.starts_with("dockerlua: NotFound (404): No such container: no-such-container-here"),
        "{err}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn images_lists_the_test_images() {
    let out = assert_success(&script("scripts/images.lua", &[]));
    let id = docker(&["image", "inspect", "-f", "{{.Id}}", "alpine:latest"]);
    let line = out
        .lines()
        .find(|l| l.contains("alpine:latest"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        id.starts_with(line.split('\t').next().unwrap()),
        "{line} vs {id}"
    );
    let out = assert_success(&script("scripts/images.lua", &["busybox"]));
    assert!(
        out.contains("busybox:latest") && !out.contains("alpine:latest"),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn pull_downloads_the_image_with_progress() {
    let t = Cleanup::new("pull");
    let reference = t.pushed_image("img");
    assert!(!common::image_exists(&reference));
    let out = script("scripts/pull.lua", &[&reference]);
    let id = assert_success(&out);
    let progress = common::stderr_of(&out);
    assert!(
        progress.contains("Download complete") || progress.contains("Pull complete"),
        "{progress}"
    );
    assert_eq!(
        id.trim(),
        docker(&["image", "inspect", "-f", "{{.Id}}", &reference])
    );
    assert_eq!(docker(&["run", "--rm", &reference, "cat", "/marker"]), t.id);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn commit_makes_an_image_with_the_file() {
    let t = Cleanup::new("commit");
    let repo = t.image("hello");
    let out = assert_success(&script("scripts/commit.lua", &["alpine", &repo]));
    let id = out.trim();
    assert!(id.starts_with("sha256:"), "{out}");
    assert_eq!(
        docker(&[
            "image",
            "inspect",
            "-f",
            "{{.Id}}",
            &format!("{repo}:latest")
        ]),
        id
    );
    docker(&[
        "run",
        "--rm",
        &format!("{repo}:latest"),
        "test",
        "-f",
        "/helloworld",
    ]);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn hello_demo_names_the_engine() {
    let out = assert_success(&script("scripts/hello.lua", &[]));
    let version = docker(&["version", "-f", "{{.Server.Version}}"]);
    assert!(out.starts_with(&format!("engine {version} (API ")), "{out}");
    assert!(out.ends_with("hello world\n"), "{out}");
}
