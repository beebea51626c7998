//! Engines and fleets: `ssh://` engines, the docker CLI's engine order and
//! contexts, fleet scripts across two engines, and `--dry-run`/`--read-only`
//! on every call that changes an engine.
//!
//! The ssh tests reach the test engine through the test sshd that
//! `tools/test.sh` starts (`tools/sshd.sh`): `DOCKERLUA_TEST_SSH_HOST`
//! (`ssh://root@127.0.0.1:PORT`) and `DOCKERLUA_TEST_SSH_PATH` (a folder
//! whose `ssh` carries the test key and known host, put first in `PATH`).
//! The fleet tests use the second engine, `DOCKERLUA_TEST_ENGINE2_HOST`.
//! Under tools/test.sh these are required: a missing one fails the test.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_exit, assert_success, docker, stderr_of, stdout_of, Cleanup};
use sha2::{Digest, Sha256};

#[track_caller]
fn required(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!("{name} is not set: run the engine tests with tools/test.sh (tools/sshd.sh, engine2)")
        })
}

/// `dockerlua` with the test sshd's `ssh` first in `PATH`.
fn ssh_cmd() -> Command {
    let path = format!(
        "{}:{}",
        required("DOCKERLUA_TEST_SSH_PATH"),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = common::dockerlua_cmd();
    cmd.env("PATH", path);
    cmd
}

/// A docker config folder holding contexts `(name, host, description)`,
/// stored as `docker context create` stores them.
fn config_with_contexts(contexts: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, host, description) in contexts {
        let digest: String = Sha256::digest(name.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let meta = dir.path().join("contexts/meta").join(digest);
        std::fs::create_dir_all(&meta).unwrap();
        let json = serde_json::json!({
            "Name": name,
            "Metadata": {"Description": description},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
        });
        std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    }
    dir
}

fn set_current_context(config: &Path, name: &str) {
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"currentContext":"{name}"}}"#),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// ssh:// engines

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_ssh_engine_runs_follows_logs_execs_and_serves_parallel_calls() {
    let host = required("DOCKERLUA_TEST_SSH_HOST");
    let t = Cleanup::new("fleet-ssh");
    let name = t.container("follow");
    let code = format!(
        r#"
        local labels = {labels}
        print(docker.containers.run("alpine", "echo over ssh", {{remove = true, labels = labels}}))
        local c = docker.containers.run("alpine", {{"sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.1; done; sleep 30"}},
          {{detach = true, name = "{name}", labels = labels}})
        local seen = {{}}
        for line in c:logs{{follow = true}} do
          seen[#seen + 1] = line
          if #seen == 3 then break end
        end
        print(table.concat(seen, ","))
        local r = c:exec({{"sh", "-c", "cat; echo done"}}, {{stdin = "piped "}})
        print(r.exit_code, r.output)
        local outs = docker.parallel({{1, 2, 3, 4}}, function(i)
          return docker.containers.run("alpine", "echo p" .. i, {{remove = true, labels = labels}})
        end)
        print(table.concat(outs):gsub("\n", " "))
        c:remove{{force = true}}
        "#,
        labels = t.lua_labels()
    );
    let out = assert_success(&common::run(ssh_cmd().args(["-H", &host, "-e", &code])));
    assert_eq!(
        out, "over ssh\n\nline1,line2,line3\n0\tpiped done\n\np1 p2 p3 p4 \t4\n",
        "{out}"
    );
    // It was the test engine, reached through ssh; nothing is left.
    assert!(!common::container_exists(&name));
    let left = docker(&["ps", "-aq", "--filter", &format!("label={}", t.label())]);
    assert_eq!(left, "");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ssh_failures_are_fast_connection_errors_with_ssh_own_words() {
    let host = required("DOCKERLUA_TEST_SSH_HOST");
    let code = "local ok, e = pcall(docker.ping) print(e.kind) print(e.message)";
    // A closed port.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let start = Instant::now();
    let out = assert_success(&common::run(ssh_cmd().args([
        "-H",
        &format!("ssh://root@127.0.0.1:{closed}"),
        "-e",
        code,
    ])));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(out.starts_with("ConnectionError\n"), "{out}");
    assert!(out.contains("ssh failed: "), "{out}");
    assert!(out.contains("Connection refused"), "{out}");

    // A key the sshd does not know: ssh with a fresh key and no config.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other_key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let wrapper = bin.join("ssh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
             -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -i {} \"$@\"\n",
            key.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let start = Instant::now();
    let out = assert_success(&common::run(
        common::dockerlua_cmd()
            .env("PATH", path)
            .args(["-H", &host, "-e", code]),
    ));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(out.starts_with("ConnectionError\n"), "{out}");
    assert!(out.contains("ssh failed: "), "{out}");
    assert!(out.contains("Permission denied"), "{out}");

    // A password is refused and never shown.
    let with_password = host.replace("ssh://root@", "ssh://root:hunter2@");
    let out = common::run(ssh_cmd().args(["-H", &with_password, "-e", "docker.ping()"]));
    let err = assert_exit(&out, 1);
    assert!(err.contains("InvalidArgument"), "{err}");
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// A folder whose `ssh` records its arguments and fails as ssh does.
fn fake_ssh(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let ssh = bin.join("ssh");
    std::fs::write(
        &ssh,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}/args\n\
             echo 'debug noise' >&2\necho 'me@box: Permission denied (publickey).' >&2\nexit 255\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn ssh_is_run_as_the_docker_cli_runs_it_and_its_last_words_are_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = fake_ssh(dir.path());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("PATH", &path).args([
        "-H",
        "ssh://me@box:2222",
        "-e",
        "local ok, e = pcall(docker.ping) print(e.kind) print(e.message)",
    ]);
    let start = Instant::now();
    let out = assert_success(&common::run(&mut cmd));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        out,
        "ConnectionError\ncannot reach the engine at ssh://me@box:2222: \
         ssh failed: me@box: Permission denied (publickey).\n"
    );
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "-l",
            "me",
            "-p",
            "2222",
            "-o",
            "ConnectTimeout=30",
            "-T",
            "--",
            "box",
            "docker",
            "system",
            "dial-stdio"
        ]
    );
    // A socket path on the host goes to the remote docker.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("PATH", &path).args([
        "-H",
        "ssh://box/run/user/1000/docker.sock",
        "-e",
        "pcall(docker.ping)",
    ]);
    assert_success(&common::run(&mut cmd));
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            "-o",
            "ConnectTimeout=30",
            "-T",
            "--",
            "box",
            "docker",
            "--host",
            "unix:///run/user/1000/docker.sock",
            "system",
            "dial-stdio"
        ]
    );
}

/// A folder whose `ssh` records its arguments and then does what sshd does
/// with the remote command: joins the words after the host with spaces and
/// runs the line with `sh -c` (in `DIR/remote`, where a `docker` that
/// records its own arguments comes first in `PATH`).
fn evaluating_ssh(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    let remote = dir.join("remote");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&remote).unwrap();
    let d = dir.display();
    for (name, text) in [
        (
            "ssh",
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {d}/args\n\
                 while [ \"$1\" != -- ]; do shift; done\nshift 2\n\
                 cd {d}/remote && PATH={d}/bin:$PATH sh -c \"$*\"\n"
            ),
        ),
        (
            "docker",
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > {d}/docker-args\n\
                 echo 'no engine here' >&2\nexit 1\n"
            ),
        ),
    ] {
        std::fs::write(bin.join(name), text).unwrap();
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn an_ssh_socket_path_cannot_inject_remote_commands() {
    for socket in [
        "/x;id>INJECTED;echo",
        "/x$(touch INJECTED)",
        "/x`touch INJECTED`",
        "/it's here;touch INJECTED",
        "/a b|touch INJECTED&&true",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = evaluating_ssh(dir.path());
        let url = format!("ssh://root@host:22{socket}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
        cmd.env("PATH", &path).args([
            "-H",
            &url,
            "-e",
            "local ok, e = pcall(docker.ping) print(ok, e.kind)",
        ]);
        let out = assert_success(&common::run(&mut cmd));
        assert_eq!(out, "false\tConnectionError\n", "{url}");
        assert!(
            !dir.path().join("remote/INJECTED").exists(),
            "{url}: the remote shell ran an injected command"
        );
        // The remote docker got the path whole, as one argument.
        let args = std::fs::read_to_string(dir.path().join("docker-args")).unwrap();
        assert_eq!(
            args.lines().collect::<Vec<_>>(),
            [
                "--host",
                &format!("unix://{socket}"),
                "system",
                "dial-stdio"
            ],
            "{url}"
        );
    }
    // A line break cannot be quoted for every remote shell: refused.
    let out = common::run(Command::new(env!("CARGO_BIN_EXE_dockerlua")).args([
        "-H",
        "ssh://host/x\nid",
        "-e",
        "docker.ping()",
    ]));
    let err = assert_exit(&out, 1);
    assert!(
        err.contains("InvalidArgument") && err.contains("control characters"),
        "{err}"
    );
}

/// The pids of a process's children, and whether each is a zombie.
fn children(pid: u32) -> Vec<(u32, bool)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or_default();
        let ppid: u32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == pid {
            found.push((child, state == "Z"));
        }
    }
    found
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ssh_processes_are_reaped_and_gone_at_the_end() {
    let host = required("DOCKERLUA_TEST_SSH_HOST");
    let t = Cleanup::new("fleet-reap");
    // Execs end their connections (the engine closes them), so their ssh
    // processes end while the script goes on.
    let code = format!(
        r#"
        local c = docker.containers.run("alpine", "sleep 60", {{detach = true, labels = {labels}}})
        for i = 1, 3 do c:exec("true") end
        docker.parallel({{1, 2, 3}}, function() return docker.ping() end)
        c:remove{{force = true}}
        io.stdout:write("ready\n") io.stdout:flush()
        io.read()
        "#,
        labels = t.lua_labels()
    );
    let mut child = ssh_cmd()
        .args(["-H", &host, "-e", &code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    use std::io::BufRead;
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n", "the script failed before its end");
    let pid = child.id();
    // Dropped connections' processes are reaped: no zombie among them.
    common::eventually("no zombie ssh children", Duration::from_secs(10), || {
        children(pid).iter().all(|(_, zombie)| !zombie)
    });
    let alive: Vec<u32> = children(pid).into_iter().map(|(p, _)| p).collect();
    assert!(
        !alive.is_empty(),
        "pooled connections keep their ssh processes"
    );
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    // Once the program is gone its ssh processes are too (or zombies of
    // init, whose to reap): none keeps running.
    common::eventually("the ssh processes to end", Duration::from_secs(10), || {
        alive.iter().all(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .map(|stat| {
                    stat.rsplit_once(") ")
                        .is_some_and(|(_, r)| r.starts_with('Z'))
                })
                .unwrap_or(true)
        })
    });
}

// ---------------------------------------------------------------------------
// The engine order and contexts (no engine needed: only names are resolved)

/// `dockerlua` with a config folder and a clean environment; prints where
/// the default client goes.
fn resolved(config: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_TLS")
        .env("DOCKER_CONFIG", config);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).args(["-e", "print(tostring(docker))"]);
    common::run(&mut cmd)
}

#[test]
fn the_engine_order_is_the_docker_cli_s() {
    let config = config_with_contexts(&[
        ("alpha", "unix:///alpha.sock", "first"),
        ("beta", "ssh://me@beta.example:2222", ""),
    ]);
    let dir = config.path();
    let shows = |env: &[(&str, &str)], args: &[&str], host: &str| {
        let out = assert_success(&resolved(dir, env, args));
        assert_eq!(out, format!("<DockerClient {host}>\n"), "{env:?} {args:?}");
    };
    let env_host = ("DOCKER_HOST", "unix:///env.sock");
    // Nothing set: the default socket.
    shows(&[], &[], "unix:///var/run/docker.sock");
    // -H first.
    shows(
        &[env_host, ("DOCKER_CONTEXT", "beta")],
        &["-H", "unix:///flag.sock"],
        "unix:///flag.sock",
    );
    // An explicit --context beats DOCKER_HOST.
    shows(&[env_host], &["--context", "alpha"], "unix:///alpha.sock");
    // DOCKER_HOST beats DOCKER_CONTEXT and currentContext.
    set_current_context(dir, "alpha");
    shows(
        &[env_host, ("DOCKER_CONTEXT", "beta")],
        &[],
        "unix:///env.sock",
    );
    // DOCKER_CONTEXT beats currentContext.
    shows(
        &[("DOCKER_CONTEXT", "beta")],
        &[],
        "ssh://me@beta.example:2222",
    );
    // currentContext.
    shows(&[], &[], "unix:///alpha.sock");
    // The context `default` is DOCKER_HOST's engine, or the default socket.
    shows(&[env_host], &["--context", "default"], "unix:///env.sock");
    shows(
        &[],
        &["--context", "default"],
        "unix:///var/run/docker.sock",
    );

    // -H with --context is an error, as in the docker CLI; a usage error
    // exits 1, as lua's do.
    let out = resolved(dir, &[], &["-H", "unix:///x.sock", "--context", "alpha"]);
    let err = assert_exit(&out, 1);
    assert!(err.contains("--context") && err.contains("--host"), "{err}");
    // An unknown context is an error naming it, however it was chosen.
    let code = "print(pcall(docker.ping))";
    for (env, args) in [
        (vec![], vec!["--context", "nope"]),
        (vec![("DOCKER_CONTEXT", "nope")], vec![]),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
        cmd.env_remove("DOCKER_HOST").env("DOCKER_CONFIG", dir);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = assert_success(&common::run(cmd.args(&args).args(["-e", code])));
        assert!(
            out.starts_with("false\tInvalidArgument: context 'nope' not found"),
            "{env:?} {args:?}: {out}"
        );
    }
}

#[test]
fn contexts_lists_default_first_and_context_makes_clients() {
    let config = config_with_contexts(&[
        ("zulu", "unix:///zulu.sock", ""),
        ("alpha", "tcp://10.0.0.1:2375", "the first one"),
    ]);
    set_current_context(config.path(), "zulu");
    let code = r#"
        for _, c in ipairs(docker.contexts()) do
          print(c.name, c.host, c.current, c.description)
        end
        print(tostring(docker.context("alpha")), tostring(docker.context(docker.contexts()[1])))
        local ok, e = pcall(docker.context, "nope")
        print(ok, e.kind, e.message:match("context 'nope' not found") ~= nil)
        print(docker.context("zulu").containers.list ~= nil)
    "#;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", config.path())
        .args(["-e", code]);
    let out = assert_success(&common::run(&mut cmd));
    assert_eq!(
        out,
        "default\tunix:///var/run/docker.sock\tfalse\tCurrent DOCKER_HOST based configuration\n\
         alpha\ttcp://10.0.0.1:2375\tfalse\tthe first one\n\
         zulu\tunix:///zulu.sock\ttrue\t\n\
         <DockerClient tcp://10.0.0.1:2375>\t<DockerClient unix:///var/run/docker.sock>\n\
         false\tInvalidArgument\ttrue\n\
         true\n"
    );
}

#[test]
fn contexts_mask_passwords_in_hosts() {
    let config = config_with_contexts(&[("pw", "tcp://admin:hunter2@10.0.0.1:2375", "")]);
    // The default context's host too: `DOCKER_HOST` with a password.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", "tcp://me:s3cret@10.0.0.2:2375")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", config.path())
        .args([
            "-e",
            "for _, c in ipairs(docker.contexts()) do print(c.name, c.host) end",
        ]);
    let out = assert_success(&common::run(&mut cmd));
    assert_eq!(
        out,
        "default\ttcp://me:xxxxx@10.0.0.2:2375\npw\ttcp://admin:xxxxx@10.0.0.1:2375\n"
    );
}

// ---------------------------------------------------------------------------
// Fleets: two engines

/// Removes, on drop, what a test labelled on the second engine.
struct Engine2Cleanup {
    host: String,
    label: String,
}

impl Drop for Engine2Cleanup {
    fn drop(&mut self) {
        let ids = Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .args(["ps", "-aq", "--filter", &format!("label={}", self.label)])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = Command::new("docker")
                .env("DOCKER_HOST", &self.host)
                .args(["rm", "-f", id])
                .output();
        }
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn fleet_scripts_run_against_two_engines_in_parallel() {
    let one = common::host();
    let two = required("DOCKERLUA_TEST_ENGINE2_HOST");
    assert_ne!(one, two, "the second engine must be another engine");
    let t = Cleanup::new("fleet");
    let _two_cleanup = Engine2Cleanup {
        host: two.clone(),
        label: t.label(),
    };
    let config = config_with_contexts(&[
        ("one", &one, ""),
        ("two", &two, "second"),
        ("gone", "unix:///nonexistent/docker.sock", ""),
    ]);
    let cfg = config.path().to_str().unwrap();
    // A container on each engine, named after it, for fleet_ps.
    for (host, name) in [(&one, "fleet-one"), (&two, "fleet-two")] {
        let name = format!("{name}-{}", t.id);
        let out = Command::new("docker")
            .env("DOCKER_HOST", host)
            .args([
                "run",
                "-d",
                "--name",
                &name,
                "--label",
                &t.label(),
                "alpine",
                "sleep",
                "60",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let fleet = |args: &[&str]| {
        let mut cmd = common::dockerlua_cmd();
        cmd.env("DOCKER_CONFIG", cfg).args(args);
        common::run(&mut cmd)
    };
    let out = fleet(&[
        "scripts/fleet_ps.lua",
        "-c",
        "one",
        "-c",
        "two",
        "-c",
        "gone",
    ]);
    let err = assert_exit(&out, 1);
    assert!(err.contains("fleet_ps: gone: ConnectionError"), "{err}");
    let table = stdout_of(&out);
    let row = |context: &str, name: &str| {
        table.lines().any(|l| {
            l.starts_with(&format!("{context} ")) && l.ends_with(&format!("{name}-{}", t.id))
        })
    };
    assert!(table.starts_with("CONTEXT "), "{table}");
    assert!(
        row("one", "fleet-one") && row("two", "fleet-two"),
        "{table}"
    );
    assert!(
        !row("one", "fleet-two") && !row("two", "fleet-one"),
        "{table}"
    );

    // fleet_run: each context's engine runs the script, at the same time;
    // its output is prefixed; a failure is summed up.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("where.lua");
    std::fs::write(
        &script,
        format!(
            r#"
            local labels = {labels}
            local mine = docker.containers.list{{filters = {{label = "{label}"}}}}
            local me = mine[1].name:match("^fleet%-(%a+)")
            -- A barrier: each run waits for the other's mark, which only
            -- runs at the same time can both pass.
            io.open(arg[1] .. "/" .. me, "w"):close()
            local other = arg[1] .. "/" .. (me == "one" and "two" or "one")
            local deadline = docker.clock() + 30
            while not io.open(other) do
              assert(docker.clock() < deadline, "the other context never ran alongside")
              docker.sleep(0.05)
            end
            print("has", "fleet-" .. me, arg[2])
            io.write(docker.containers.run("alpine", "echo ran", {{remove = true, labels = labels}}))
            "#,
            labels = t.lua_labels(),
            label = t.label()
        ),
    )
    .unwrap();
    let out = fleet(&[
        "scripts/fleet_run.lua",
        "-c",
        "one",
        "-c",
        "two",
        "-c",
        "gone",
        script.to_str().unwrap(),
        dir.path().to_str().unwrap(),
        "hello",
    ]);
    let err = assert_exit(&out, 1);
    let text = stdout_of(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "one  | has\tfleet-one\thello",
            "one  | ran",
            "two  | has\tfleet-two\thello",
            "two  | ran"
        ],
        "{text}\n{err}"
    );
    assert!(err.contains("fleet_run: 1 of 3 contexts failed:"), "{err}");
    assert!(err.contains("  gone: ConnectionError"), "{err}");
}

// ---------------------------------------------------------------------------
// --dry-run and --read-only

/// Every call of the API that changes an engine: its name, Lua code that
/// makes it (with `c`, a running container, `img`, the alpine image, and
/// `L`, the test's labels), and the request line `--dry-run` prints. A call
/// added to the API goes here (or in READS or LOCAL below): the test fails
/// for any member it does not know.
const WRITES: &[(&str, &str, &str)] = &[
    ("containers.run", r#"local r = docker.containers.run("alpine", "echo hi", {labels = L}) assert(r == "")"#, "POST /containers/create"),
    ("containers.run detach", r#"local d = docker.containers.run("alpine", "sleep 9", {detach = true, labels = L}) assert(d.status == "running", d.status)
        for _ in d:logs{follow = true} do error("a dry container has no output") end
        assert(d:wait().status_code == 0 and d:top().Processes and d:logs() == "")"#, "POST /containers/create"),
    ("containers.create", r#"local n = docker.containers.create("alpine", "true", {name = "dry-made", labels = L}) assert(n.status == "created" and n.name == "dry-made") assert(docker.containers.get("dry-made").id == n.id)"#, "POST /containers/create?name=dry-made"),
    ("Container:start", "c:start() assert(c.status == 'running')", "POST /containers/{id}/start"),
    ("Container:stop", "c:stop{timeout = 1} assert(c:wait().status_code == 0)", "POST /containers/{id}/stop?t=1"),
    ("Container:restart", "c:restart()", "POST /containers/{id}/restart"),
    ("Container:kill", "c:kill('TERM')", "POST /containers/{id}/kill?signal=TERM"),
    ("Container:pause", "c:pause()", "POST /containers/{id}/pause"),
    ("Container:unpause", "c:unpause()", "POST /containers/{id}/unpause"),
    ("Container:rename", "c:rename('dry-renamed')", "POST /containers/{id}/rename?name=dry-renamed"),
    ("Container:remove", "c:remove{force = true}", "DELETE /containers/{id}?force=1"),
    ("Container:commit", "local i = c:commit('dry-commit', 'v1') assert(i.tags[1] == 'dry-commit:v1')", "POST /commit?container={id}&repo=dry-commit&tag=v1"),
    ("Container:exec", "local r = c:exec('touch /dry') assert(r.exit_code == 0)", "POST /containers/{id}/exec"),
    ("Container:exec stdin", "local r = c:exec({'cat'}, {stdin = 'into the void'}) assert(r.exit_code == 0 and r.output == '')", "POST /containers/{id}/exec"),
    ("Container:exec stream", "for line in c:exec({'echo', 'x'}, {stream = true}) do error(line) end", "POST /containers/{id}/exec"),
    ("Container:exec duplex", "local s = c:exec({'cat'}, {stdin = true}) s:write('x') s:close_write() for line in s do error(line) end", "POST /containers/{id}/exec"),
    ("Container:attach", "local s = c:attach{stdin = true} s:write('x') for line in s do error(line) end", "POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1"),
    ("containers.run stream", r#"local s = docker.containers.run("alpine", "echo hi", {stream = true, remove = true, labels = L}) for line in s do error(line) end assert(s.exit_code == 0)"#, "POST /containers/create"),
    ("Container:put_archive", "assert(c:put_archive('/tmp', ''))", "PUT /containers/{id}/archive?path=/tmp"),
    ("Container:copy_to", "assert(c:copy_to('Cargo.toml', '/tmp') == '/tmp/Cargo.toml')", "PUT /containers/{id}/archive?path=/tmp&noOverwriteDirNonDir=true"),
    ("images.pull", "local i = docker.images.pull('localhost:1/dry/never', {tag = 'x'}) assert(i.tags[1] == 'localhost:1/dry/never:x')", "POST /images/create?fromImage=localhost:1/dry/never&tag=x"),
    ("images.push", "docker.images.push('alpine')", "POST /images/alpine/push"),
    ("images.remove", "docker.images.remove('alpine')", "DELETE /images/alpine"),
    ("containers.prune", "docker.containers.prune()", "POST /containers/prune"),
    ("images.prune", "docker.images.prune()", "POST /images/prune"),
    ("Image:tag", "assert(img:tag('dry-tag', 'v2'))", "POST /images/{img}/tag?repo=dry-tag&tag=v2"),
    ("Image:remove", "img:remove{force = true}", "DELETE /images/{img}?force=1"),
    ("images.build", "local i = docker.images.build{fileobj = 'FROM alpine', tag = 'dry-build:1'} assert(i.id)", "POST /build"),
    ("images.load", "assert(#docker.images.load('not read: nothing is sent') == 1)", "POST /images/load"),
    ("services.create", "local s = docker.services.create('alpine', 'sleep 9', {name = 'dry-svc'}) assert(s.id)", "POST /services/create"),
    ("secrets.create", "local s = docker.secrets.create{name = 'dry-secret', data = 'x'} assert(s.id)", "POST /secrets/create"),
    ("configs.create", "local s = docker.configs.create{name = 'dry-config', data = 'x'} assert(s.id)", "POST /configs/create"),
    ("plugins.create", "local p = docker.plugins.create('dry-plugin', 'tests') assert(p.name == 'dry-plugin:latest' and not p.enabled) p:enable() assert(p.enabled) p:configure{A = '1'} p:disable() p:push() p:upgrade('localhost:1/dry/plugin') p:remove()", "POST /plugins/create?name=dry-plugin"),
    ("plugins.install", "local p = docker.plugins.install('localhost:1/dry/plugin', 'dry-local') assert(p.name == 'dry-local:latest' and not p.enabled)", "POST /plugins/pull?remote=localhost:1/dry/plugin&name=dry-local"),
    ("networks.create", "local n = docker.networks.create('dry-net', {labels = L}) assert(n.id)", "POST /networks/create"),
    ("networks.prune", "docker.networks.prune()", "POST /networks/prune"),
    ("volumes.create", "local v = docker.volumes.create('dry-vol', {labels = L}) assert(v.name)", "POST /volumes/create"),
    ("volumes.prune", "docker.volumes.prune()", "POST /volumes/prune"),
    ("Container:update", "c:update{cpu_shares = 512}", "POST /containers/{id}/update"),
    ("Container:resize", "c:resize(24, 80)", "POST /containers/{id}/resize?h=24&w=80"),
    ("api", "docker.api{method = 'POST', path = '/containers/' .. c.id .. '/pause'}", "POST /containers/{id}/pause"),
    // Loading a project reads files; `up` is its first write.
    ("compose", "local p = docker.compose.project{name = 'dry-proj', services = {web = {image = 'alpine', command = 'sleep 9', labels = L}}} p:up() assert(#p:ps() == 0) p:down()", "POST /networks/create"),
];

/// Every call that writes a local file (a GET whose answer becomes a file):
/// its name, and Lua code that writes the file named `F` from the prelude's
/// objects and checks what the call answers. A dry run writes no file but
/// answers as on success; `--read-only` writes it (a backup changes no
/// engine).
const LOCAL_WRITES: &[(&str, &str)] = &[
    ("Container:export", "local n = c:export{path = F} assert(math.type(n) == 'integer' and n > 1000, n)"),
    ("Container:get_archive", "local to, st = c:get_archive('/etc/hostname', {to = F}) assert(to == F and st.name == 'hostname' and st.size > 0, tostring(st))"),
    ("Container:copy_from", "assert(c:copy_from('/bin/busybox', F) == F)"),
    ("Image:save", "local n = img:save{path = F} assert(math.type(n) == 'integer' and n > 1000, n)"),
];

/// The same calls on what a dry run "made" (`--dry-run` only).
const LOCAL_WRITES_OF_PLACEHOLDERS: &[(&str, &str)] = &[
    ("Container:export", "local d = docker.containers.create('alpine', 'true', {labels = L}) assert(d:export{path = F} == 0)"),
    ("Container:get_archive", "local d = docker.containers.create('alpine', 'true', {labels = L}) local to, st = d:get_archive('/etc/hostname', {to = F}) assert(to == F and st.name == 'hostname' and st.size == 0, tostring(st))"),
    ("Image:save", "local i = c:commit('dry-save', 'v1') assert(i:save{path = F} == 0)"),
];

/// Members that only read.
const READS: &[&str] = &[
    "ping",
    "version",
    "info",
    "events",
    // Lists containers and follows events; the function it calls does the rest.
    "watch",
    "containers.list",
    "containers.get",
    "images.list",
    "images.get",
    "Container:reload",
    "Container:wait",
    "Container:logs",
    "Container:top",
    "Container:stats",
    "Image:history",
    "Image:reload",
    "Container:diff",
    "Container:ports",
    "networks.get",
    "networks.list",
    "plugins.get",
    "plugins.list",
    "volumes.get",
    "volumes.list",
    "df",
    // POST /auth checks credentials and changes nothing.
    "login",
    "images.get_registry_data",
    "services.get",
    "services.list",
    "nodes.get",
    "nodes.list",
    "secrets.get",
    "secrets.list",
    "configs.get",
    "configs.list",
];

/// Members that never reach an engine by themselves (or are fields).
const LOCAL: &[&str] = &[
    "connect",
    "from_env",
    "contexts",
    "context",
    "sleep",
    "spawn",
    "parallel",
    "clock",
    "isatty",
    // A string: what --dry-run/--read-only set (tests/watch.rs's gen.lua).
    "mode",
    "net",
    "json",
    "yaml",
    "containers",
    "images",
    "networks",
    "volumes",
    "services",
    "nodes",
    "secrets",
    "configs",
    "plugins",
    "isatty",
    // Its functions (init, join, leave, update...) change a swarm: tested
    // with the swarm itself in tests/swarm.rs.
    "swarm",
];

/// The script prelude: the objects the calls act on.
fn prelude(container: &str, labels: &str) -> String {
    format!(
        "L = {labels} c = docker.containers.get('{container}') img = docker.images.get('alpine')\n"
    )
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn every_write_is_printed_by_dry_run_and_refused_by_read_only() {
    let t = Cleanup::new("dry");
    let name = t.container("target");
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &t.label(),
        "alpine",
        "sleep",
        "120",
    ]);
    let img = docker(&["image", "inspect", "-f", "{{.Id}}", "alpine"]);
    // Sorted: images created in the same second list in either order.
    let images = || {
        let mut ids: Vec<String> = docker(&["images", "-q", "--no-trunc"])
            .lines()
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids
    };
    let before_images = images();
    let prelude = prelude(&name, &t.lua_labels());

    // Every member of the API is classified: a new call cannot be forgotten.
    let listing = r#"
        local names = {}
        local function add(prefix, t)
          for k, v in pairs(t) do
            if type(v) == "function" then names[#names + 1] = prefix .. k end
            if type(v) == "table" and getmetatable(v) and tostring(getmetatable(v).__name):match("Collection$") then
              names[#names + 1] = k
              for k2, v2 in pairs(v) do
                if type(v2) == "function" then names[#names + 1] = k .. "." .. k2 end
              end
            end
          end
        end
        add("", docker)
        for _, obj in ipairs({c, img}) do
          local mt = debug.getmetatable(obj)
          for _, m in ipairs(mt.__members) do
            if type(obj[m]) == "function" then names[#names + 1] = mt.__name .. ":" .. m end
          end
        end
        for k, v in pairs(docker) do
          if type(v) ~= "function" and not (type(v) == "table" and tostring(getmetatable(v) and getmetatable(v).__name):match("Collection$")) then
            names[#names + 1] = k
          end
        end
        table.sort(names)
        print(table.concat(names, "\n"))
    "#;
    let out = assert_success(&common::lua(&format!("{prelude}{listing}")));
    let known = |member: &str| {
        READS.contains(&member)
            || LOCAL.contains(&member)
            || LOCAL_WRITES.iter().any(|(n, _)| *n == member)
            || WRITES
                .iter()
                .any(|(n, _, _)| n.split(' ').next() == Some(member))
    };
    let unknown: Vec<&str> = out.lines().filter(|m| !known(m)).collect();
    assert!(
        unknown.is_empty(),
        "members of the API that this test does not classify (add them to WRITES, READS or LOCAL): {unknown:?}"
    );

    for (call, code, line) in WRITES {
        let line = line.replace("{id}", &id[..12]).replace("{img}", &img[..19]);
        let script = format!("{prelude}{code}\nprint('went on')");

        let out = common::dockerlua(&["--dry-run", "-e", &script]);
        let stdout = assert_success(&out);
        assert_eq!(stdout, "went on\n", "{call}");
        let err = stderr_of(&out);
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("dry-run: {line}"))),
            "{call}: no line 'dry-run: {line}' in:\n{err}"
        );

        let out = common::dockerlua(&["--read-only", "-e", &script]);
        let err = assert_exit(&out, 1);
        let method_path = line.split('?').next().unwrap();
        assert!(
            err.contains(&format!("ReadOnly: refused {method_path}")),
            "{call}: {err}"
        );
        assert_eq!(stdout_of(&out), "", "{call}");

        // Nothing changed: the container runs under its name, no other
        // labelled container exists, the images are the same.
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Status}} {{.Name}}", &id]),
            format!("running /{name}"),
            "{call}"
        );
        let labelled = docker(&["ps", "-aq", "--filter", &format!("label={}", t.label())]);
        assert_eq!(labelled, id[..12], "{call}");
        assert_eq!(images(), before_images, "{call}");
        assert_eq!(
            docker(&["exec", &id, "sh", "-c", "ls /dry /tmp 2>&1 | head -1"]),
            "ls: /dry: No such file or directory",
            "{call}"
        );
    }

    // Local files: a dry run creates, truncates or writes none, prints what
    // it would write, and answers as on success; --read-only writes them.
    let files = tempfile::tempdir().unwrap();
    let precious = "precious\n";
    let placeholders = LOCAL_WRITES_OF_PLACEHOLDERS
        .iter()
        .map(|(n, c)| (n, c, true));
    for (call, code, placeholder) in LOCAL_WRITES
        .iter()
        .map(|(n, c)| (n, c, false))
        .chain(placeholders)
    {
        for exists in [true, false] {
            let file = files.path().join(format!("dry-{}", exists));
            let _ = std::fs::remove_file(&file);
            if exists {
                std::fs::write(&file, precious).unwrap();
            }
            let f = file.display().to_string();
            let script = format!("{prelude}F = '{f}'\n{code}\nprint('went on')");
            let out = common::dockerlua(&["--dry-run", "-e", &script]);
            assert_eq!(
                assert_success(&out),
                "went on\n",
                "{call} (placeholder: {placeholder})"
            );
            let err = stderr_of(&out);
            assert!(
                err.lines()
                    .any(|l| l.starts_with(&format!("dry-run: would write {f} ("))),
                "{call}: no line 'dry-run: would write {f} (...)' in:\n{err}"
            );
            if exists {
                assert_eq!(std::fs::read_to_string(&file).unwrap(), precious, "{call}");
            } else {
                assert!(!file.exists(), "{call}: a dry run created {f}");
            }
        }
        if placeholder {
            continue;
        }
        let file = files.path().join("backup");
        std::fs::write(&file, precious).unwrap();
        let f = file.display().to_string();
        let script = format!("{prelude}F = '{f}'\n{code}\nprint('went on')");
        let out = common::dockerlua(&["--read-only", "-e", &script]);
        assert_eq!(assert_success(&out), "went on\n", "{call}");
        let written = std::fs::read(&file).unwrap();
        assert!(
            written.len() > 512 && written != precious.as_bytes(),
            "{call}: {} bytes",
            written.len()
        );
    }

    // Reads still reach the engine, and a ReadOnly error is catchable.
    let out = assert_success(&common::dockerlua(&[
        "--read-only",
        "-e",
        &format!(
            "{prelude} print(c.status, #docker.containers.list() > 0) \
             local ok, e = pcall(c.stop, c) print(ok, e.kind)"
        ),
    ]));
    assert_eq!(out, "running\ttrue\nfalse\tReadOnly\n");
}

#[test]
fn dry_runs_hide_secrets_however_they_are_sent() {
    // Writes need no engine under --dry-run: none is reachable here.
    let code = r#"
        docker.api{method = "POST", path = "/secrets/create", body = {Name = "s", data = "c2VjcmV0LWRhdGE="}}
        docker.api{method = "POST", path = "/secrets/create", body = '{"name": "t", "DATA": "c2VjcmV0LWRhdGE="}'}
        docker.swarm.unlock("SWMKEY-1-secret-unlock-key")
        docker.swarm.join{join_token = "SWMTKN-1-secret-join-token", remote_addrs = {"10.0.0.1:2377"}}
        docker.api{method = "POST", path = "/swarm/join", body = {jointoken = "SWMTKN-1-secret-join-token"}}
        print("went on")
    "#;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.env("DOCKER_HOST", "unix:///nonexistent/dockerlua-dry.sock")
        .env_remove("DOCKER_CONTEXT")
        .args(["--dry-run", "-e", code]);
    let out = common::run(&mut cmd);
    assert_eq!(assert_success(&out), "went on\n");
    let err = stderr_of(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    for secret in ["c2VjcmV0LWRhdGE=", "secret-unlock-key", "secret-join-token"] {
        assert!(!err.contains(secret), "{secret} printed:\n{err}");
    }
    assert!(lines.iter().all(|l| l.contains("<hidden>")), "{err}");
    assert!(
        lines[2].starts_with("dry-run: POST /swarm/unlock "),
        "{err}"
    );
    assert!(lines[3].contains("10.0.0.1:2377"), "{err}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn read_only_and_dry_run_read_stdin_flags_as_the_engine_does() {
    let t = Cleanup::new("stdinflag");
    let name = t.container("cat");
    let id = docker(&[
        "run",
        "-d",
        "-i",
        "--name",
        &name,
        "--label",
        &t.label(),
        "alpine",
        "cat",
    ]);
    for value in ["\"yes\"", "\"TRUE\"", "\"on\"", "2", "\" Y \""] {
        let code = format!(
            "docker.api{{method = 'POST', path = '/containers/{id}/attach', \
             query = {{stdin = {value}, stream = 1, stdout = 1}}}} print('attached')"
        );
        let out = common::dockerlua(&["--read-only", "-e", &code]);
        let err = assert_exit(&out, 1);
        assert!(
            err.contains(&format!(
                "ReadOnly: refused POST /containers/{}/attach",
                &id[..12]
            )),
            "stdin = {value}: {err}"
        );
        let out = common::dockerlua(&["--dry-run", "-e", &code]);
        assert_eq!(assert_success(&out), "attached\n", "stdin = {value}");
        assert!(
            stderr_of(&out).contains("dry-run: POST /containers/"),
            "stdin = {value}: {}",
            stderr_of(&out)
        );
        // cat still runs: no stdin reached it, none was closed.
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Status}}", &id]),
            "running",
            "stdin = {value}"
        );
    }
    // A read (no stdin) still goes through under --read-only.
    let code = format!(
        "local s = docker.api{{method = 'POST', path = '/containers/{id}/attach', \
         query = {{stdin = 'no', stream = 1, stdout = 1, logs = 1}}, stream = true}} print('read')"
    );
    assert_eq!(
        assert_success(&common::dockerlua(&["--read-only", "-e", &code])),
        "read\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn dry_run_and_read_only_apply_to_connect_and_context_clients() {
    let host = common::host();
    let config = config_with_contexts(&[("here", &host, "")]);
    let code = format!(
        "for _, client in ipairs({{docker.connect('{host}'), docker.context('here'), docker.from_env()}}) do \
           local ok, e = pcall(client.containers.create, 'alpine', 'true') print(ok, ok or e.kind, client.mode) \
         end print(docker.mode)"
    );
    let before = docker(&["ps", "-aq"]);
    let fleet = |mode: &str| {
        common::run(
            common::dockerlua_cmd()
                .env("DOCKER_CONFIG", config.path())
                .args([mode, "-e", &code]),
        )
    };
    let out = fleet("--dry-run");
    // docker.mode tells each of them (and the default client) what it may do.
    assert_eq!(
        assert_success(&out),
        "true\ttrue\tdry-run\n".repeat(3) + "dry-run\n"
    );
    let err = stderr_of(&out);
    let lines: Vec<&str> = err.lines().map(|l| l.split(" {").next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            format!("dry-run [{host}]: POST /containers/create"),
            "dry-run [here]: POST /containers/create".to_owned(),
            "dry-run: POST /containers/create".to_owned(),
        ],
        "{err}"
    );
    let out = fleet("--read-only");
    assert_eq!(
        assert_success(&out),
        "false\tReadOnly\tread-only\n".repeat(3) + "read-only\n"
    );
    let normal = format!("print(docker.mode, docker.connect('{host}').mode)");
    let out = common::lua(&normal);
    assert_eq!(assert_success(&out), "normal\tnormal\n");
    assert_eq!(docker(&["ps", "-aq"]), before);
}

#[test]
fn fleet_scripts_print_their_usage_when_called_wrongly() {
    for (path, args) in [
        ("scripts/fleet_ps.lua", &["--format", "xml"][..]),
        ("scripts/fleet_ps.lua", &["extra"][..]),
        ("scripts/fleet_run.lua", &[][..]),
        ("scripts/fleet_run.lua", &["-l", "many", "x.lua"][..]),
        ("scripts/fleet_run.lua", &["/nonexistent/script.lua"][..]),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("DOCKER_HOST")
            .arg(path)
            .args(args);
        let out = common::run(&mut cmd);
        let err = assert_exit(&out, 2);
        let name = path.trim_start_matches("scripts/");
        assert!(
            err.contains(&format!("usage: {name}")),
            "{path} {args:?}: {err}"
        );
        assert_eq!(stdout_of(&out), "", "{path} {args:?}");
    }
}
