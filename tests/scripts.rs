//! The ops scripts in `scripts/` (built on the stdlib) against the real
//! engine: each test checks what the engine then holds or what was printed.

mod common;

use common::{assert_exit, assert_success, docker, script, state, stdout_of, Cleanup};

#[test]
fn every_script_prints_its_usage_and_exits_2_when_called_wrongly() {
    for (path, args) in [
        ("scripts/ps.lua", &["--bogus"][..]),
        ("scripts/ps.lua", &["--format", "xml"][..]),
        ("scripts/ps.lua", &["-f", "nokeyvalue"][..]),
        ("scripts/stop_label.lua", &[][..]),
        ("scripts/stop_label.lua", &["-t", "soon", "x"][..]),
        ("scripts/cleanup.lua", &["--containers", "--images"][..]),
        ("scripts/cleanup.lua", &["extra"][..]),
        ("scripts/follow.lua", &[][..]),
        ("scripts/wait_healthy.lua", &[][..]),
        ("scripts/wait_healthy.lua", &["-t", "later", "x"][..]),
        ("scripts/autoheal.lua", &["extra"][..]),
        ("scripts/autoheal.lua", &["--backoff", "soon"][..]),
        ("scripts/restart_on_failure.lua", &["--backoff", "soon"][..]),
        ("scripts/gen.lua", &["only-a-template"][..]),
        ("scripts/gen.lua", &["/nonexistent/template", "out"][..]),
        ("scripts/ci_build.lua", &[][..]),
        (
            "scripts/ci_build.lua",
            &["--build-arg", "novalue", "r/x"][..],
        ),
    ] {
        let out = script(path, args);
        let err = assert_exit(&out, 2);
        let name = path.trim_start_matches("scripts/");
        assert!(
            err.contains(&format!("usage: {name}")),
            "{path} {args:?}: {err}"
        );
        assert_eq!(stdout_of(&out), "", "{path} {args:?}");
    }
    let out = assert_success(&script("scripts/ps.lua", &["--help"]));
    assert!(out.starts_with("usage: ps.lua"), "{out}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ps_lists_like_docker_ps_as_table_and_json() {
    let t = Cleanup::new("ps");
    let up = t.container("up");
    let down = t.container("down");
    common::sleeper(&t, &up);
    let out = common::docker_output(&[
        "run",
        "--name",
        &down,
        "--label",
        &t.label(),
        "alpine",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let filter = format!("label={}", t.label());

    let out = assert_success(&script("scripts/ps.lua", &["-f", &filter]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("CONTAINER ID   IMAGE     COMMAND"),
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[1].ends_with(&up) && lines[1].contains("\"sleep 300\""),
        "{out}"
    );

    let out = assert_success(&script("scripts/ps.lua", &["-a", "-q", "-f", &filter]));
    let mut ids: Vec<&str> = out.lines().collect();
    ids.sort();
    let mut expected: Vec<String> = docker(&["ps", "-aq", "--filter", &filter])
        .lines()
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert_eq!(ids, expected);

    let out = assert_success(&script(
        "scripts/ps.lua",
        &["-a", "--format", "json", "-f", &filter],
    ));
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exited = rows
        .iter()
        .find(|r| r["Names"] == down.as_str())
        .expect(&out);
    assert_eq!(exited["State"], "exited");
    assert!(
        exited["Status"]
            .as_str()
            .unwrap()
            .starts_with("Exited (3) "),
        "{out}"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn stop_label_stops_and_removes_only_labelled_containers() {
    let t = Cleanup::new("stoplabel");
    let a = t.container("a");
    let b = t.container("b");
    let other = t.container("other");
    for name in [&a, &b] {
        docker(&[
            "run",
            "-d",
            "--name",
            name,
            "--label",
            &t.label(),
            "alpine",
            "sleep",
            "300",
        ]);
    }
    docker(&[
        "run", "-d", "--init", "--name", &other, "alpine", "sleep", "300",
    ]);

    let out = assert_success(&script(
        "scripts/stop_label.lua",
        &["--dry-run", &t.label()],
    ));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("would stop ")).count(),
        2,
        "{out}"
    );
    assert_eq!(state(&a), "running");

    // busybox sleep ignores SIGTERM: -t 0 kills at once.
    let out = assert_success(&script("scripts/stop_label.lua", &["-t", "0", &t.label()]));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("stopped ")).count(),
        2,
        "{out}"
    );
    assert_eq!(state(&a), "exited");
    assert_eq!(state(&b), "exited");
    assert_eq!(state(&other), "running");

    let out = assert_success(&script("scripts/stop_label.lua", &["--remove", &t.label()]));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("removed ")).count(),
        2,
        "{out}"
    );
    assert!(!common::container_exists(&a));
    assert!(!common::container_exists(&b));
    assert_eq!(state(&other), "running");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn cleanup_removes_exited_containers_and_dangling_images_of_a_label() {
    let t = Cleanup::new("cleanupscript");
    let (done, up, dangling, _) = common::exited_running_and_dangling(&t);

    let out = assert_success(&script(
        "scripts/cleanup.lua",
        &["-n", "--label", &t.label()],
    ));
    assert!(
        out.contains(&format!(
            "would remove {} {done}",
            &docker(&["inspect", "-f", "{{.Id}}", &done])[..12]
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("would remove {dangling} <none>:<none>")),
        "{out}"
    );
    assert!(common::container_exists(&done) && common::image_exists(&dangling));

    let out = assert_success(&script("scripts/cleanup.lua", &["--label", &t.label()]));
    assert!(
        out.lines().last().unwrap().starts_with("reclaimed "),
        "{out}"
    );
    assert!(!common::container_exists(&done));
    assert!(!common::image_exists(&dangling));
    assert_eq!(state(&up), "running");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn follow_interleaves_the_logs_of_several_containers() {
    use std::io::BufRead;
    let t = Cleanup::new("follow");
    let a = t.container("a");
    let b = t.container("bb");
    // Each writes a line, waits for a marker, writes again. The marker is
    // made only once both first lines have come through the one follow:
    // followed one after the other, the second first line would never come.
    for (name, tag) in [(&a, "a"), (&b, "b")] {
        let cmd = format!("echo {tag}1; while [ ! -e /go ]; do sleep 0.05; done; echo {tag}2");
        docker(&[
            "run",
            "-d",
            "--name",
            name,
            "--label",
            &t.label(),
            "alpine",
            "sh",
            "-c",
            &cmd,
        ]);
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/follow.lua");
    let mut child = common::dockerlua_cmd()
        .arg(path)
        .args([&a, &b])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    for name in [&a, &b] {
        docker(&["exec", name, "touch", "/go"]);
    }
    let mut second: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    let width = b.len();
    let line = |name: &str, text: &str| format!("{name:width$} | {text}");
    first.sort();
    assert_eq!(first, [line(&a, "a1"), line(&b, "b1")]);
    second.sort();
    assert_eq!(second, [line(&a, "a2"), line(&b, "b2")]);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn wait_healthy_waits_for_health_and_fails_on_timeout() {
    let t = Cleanup::new("healthy");
    let good = t.container("good");
    let never = t.container("never");
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &good,
        "--label",
        &t.label(),
        "--health-cmd",
        "test -e /tmp/ready",
        "--health-interval",
        "200ms",
        // Failed probes before the file exists must not count: a loaded
        // machine can run three of them before `touch`.
        "--health-start-period",
        "120s",
        "alpine",
        "sh",
        "-c",
        "sleep 1; touch /tmp/ready; sleep 300",
    ]);
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &never,
        "--label",
        &t.label(),
        "--health-cmd",
        "false",
        "--health-interval",
        "200ms",
        "alpine",
        "sleep",
        "300",
    ]);
    let out = assert_success(&script("scripts/wait_healthy.lua", &["-t", "20s", &good]));
    assert_eq!(out, format!("{good} healthy\n"));
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Health.Status}}", &good]),
        "healthy"
    );

    let out = script("scripts/wait_healthy.lua", &["-t", "1s", &good, &never]);
    let err = assert_exit(&out, 1);
    // `never` is unhealthy once its retries are used up (0.6 s): said at
    // once; a loaded machine may still see it starting when time is up.
    assert!(
        err.contains(&never)
            && (err.contains("WaitError: wait.healthy: container")
                && err.contains("is unhealthy (last probe: exit status 1)")
                || err.contains("Timeout: wait.healthy: container")),
        "{err}"
    );
    assert_eq!(stdout_of(&out), format!("{good} healthy\n"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ci_build_builds_tags_pushes_and_prints_the_digest() {
    let t = Cleanup::new("cibuild");
    let repo = format!("{}/dockerlua/{}-ci", common::registry(), t.id);
    t.remove_image_later(&repo);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox\nARG VERSION\nRUN echo \"$VERSION\" > /version\n",
    )
    .unwrap();
    let ctx = dir.path().display().to_string();
    let label = t.label();
    let out = script(
        "scripts/ci_build.lua",
        &[
            "-t",
            "1.0",
            "-t",
            "stable",
            "--build-arg",
            "VERSION=1.0",
            "--label",
            &label,
            &repo,
            &ctx,
        ],
    );
    let printed = assert_success(&out);
    let printed = printed.trim();
    assert!(
        common::stderr_of(&out).contains("Successfully built"),
        "{}",
        common::describe(&out)
    );
    // What the registry holds under both tags is that digest.
    docker(&["rmi", &format!("{repo}:1.0"), &format!("{repo}:stable")]);
    docker(&["pull", "-q", &format!("{repo}:stable")]);
    let digests = docker(&[
        "inspect",
        "-f",
        "{{join .RepoDigests \" \"}}",
        &format!("{repo}:stable"),
    ]);
    assert_eq!(digests, printed, "{}", common::describe(&out));
    assert_eq!(
        docker(&["run", "--rm", &format!("{repo}:stable"), "cat", "/version"]),
        "1.0"
    );

    // A failing build: the step's error on stderr, exit 1, nothing pushed.
    std::fs::write(dir.path().join("Dockerfile"), "FROM busybox\nRUN exit 7\n").unwrap();
    let out = script("scripts/ci_build.lua", &["--label", &label, &repo, &ctx]);
    let err = common::assert_exit(&out, 1);
    assert!(
        err.contains("BuildError: The command '/bin/sh -c exit 7' returned a non-zero code: 7"),
        "{err}"
    );
    let left = docker(&["ps", "-a", "--format", "{{.Command}}"]);
    assert!(
        !left.contains("exit 7"),
        "the failed step's container is left: {left}"
    );
    let out = script("scripts/ci_build.lua", &["app:1", &ctx]);
    assert!(common::assert_exit(&out, 2).contains("REGISTRY/NAME"));
}
