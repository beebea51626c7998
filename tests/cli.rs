//! The command line behaves like `lua` plus the docker CLI's engine choice.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{
    assert_exit, assert_success, dockerlua, dockerlua_cmd, dockerlua_with_stdin, stderr_of,
};

#[test]
fn e_and_l_run_in_order_before_the_script_with_arg() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("greet.lua"), "return { word = 'hi' }").unwrap();
    let script = dir.path().join("s.lua");
    std::fs::write(
        &script,
        "#!/usr/bin/env dockerlua\nprint(arg[0]:match('s.lua$'), arg[1], arg[2], #arg, ...)\nprint(x, greet.word)\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let out = dockerlua(&[
        "--path",
        path,
        "-e",
        "x = 1",
        "-l",
        "greet",
        "-e",
        "x = x + greet.word:len()",
        script.to_str().unwrap(),
        "a",
        "-b",
    ]);
    assert_eq!(assert_success(&out), "s.lua\ta\t-b\t2\ta\t-b\n3\thi\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_script_from_stdin_with_dash_or_a_pipe() {
    let out = dockerlua_with_stdin(&["-", "x"], "print('dash', arg[1], docker.ping())");
    assert_eq!(assert_success(&out), "dash\tx\ttrue\n");
    let out = dockerlua_with_stdin(&[], "print('piped')");
    assert_eq!(assert_success(&out), "piped\n");
}

#[test]
fn exit_statuses() {
    assert_exit(&dockerlua(&["-e", "os.exit(7)"]), 7);
    let out = dockerlua(&["-e", "error('boom')"]);
    assert_exit(&out, 1);
    assert!(stderr_of(&out).starts_with("dockerlua: (command line):1: boom\nstack traceback:"));
    let out = dockerlua(&["-e", "x = = 1"]);
    assert_exit(&out, 1);
    assert!(
        stderr_of(&out).contains("syntax error"),
        "{}",
        stderr_of(&out)
    );
    let out = dockerlua(&["/no/such/script.lua"]);
    assert_exit(&out, 1);
    assert!(stderr_of(&out).starts_with("dockerlua: cannot open '/no/such/script.lua'"));
}

#[test]
fn ctrl_c_ends_a_running_call_with_130() {
    let mut child = dockerlua_cmd()
        .args([
            "-e",
            "io.write('ready\\n') io.stdout:flush() docker.sleep(30)",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 6];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let started = Instant::now();
    unsafe_kill(child.id(), 2);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn unsafe_kill(pid: u32, signal: i32) {
    std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn listing_30_containers_is_one_request_after_negotiation() {
    let t = common::Cleanup::new("onereq");
    for n in 0..30 {
        let name = t.container(&format!("c{n}"));
        common::docker(&[
            "create",
            "--name",
            &name,
            "--label",
            &t.label(),
            "alpine",
            "true",
        ]);
    }
    let proxy = common::tcp_proxy();
    let url = proxy.url.clone();
    let code = format!(
        "local n = 0 for _, c in ipairs(docker.containers.list{{all = true, filters = {{label = '{}'}}}}) do \
         n = n + 1 assert(c.name and c.status and c.image == 'alpine') end print(n)",
        t.label()
    );
    let out = common::run(dockerlua_cmd().args(["-H", &url, "-e", &code]));
    assert_eq!(assert_success(&out), "30\n");
    // `/_ping` for the version, then `/containers/json`: no inspect per container.
    assert_eq!(proxy.requests(), 2);

    let before = proxy.requests();
    let out = common::run(
        dockerlua_cmd()
            .env("DOCKER_API_VERSION", "1.41")
            .args(["-H", &url, "-e", &code]),
    );
    assert_eq!(assert_success(&out), "30\n");
    assert_eq!(
        proxy.requests() - before,
        1,
        "a pinned version needs no ping"
    );

    // A create asks whether the engine is Podman before it sends anything
    // versioned: the same single `/_ping` answers both (then create,
    // inspect, delete).
    let before = proxy.requests();
    let code = format!(
        "docker.containers.create('alpine', 'true', {{labels = {}}}):remove()",
        t.lua_labels()
    );
    assert_success(&common::run(
        dockerlua_cmd().args(["-H", &url, "-e", &code]),
    ));
    assert_eq!(proxy.requests() - before, 4);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_engine_comes_from_host_flag_env_or_context() {
    let host = common::host();
    let config = tempfile::tempdir().unwrap();
    // A context named "test" pointing at the test engine, as `docker context create` stores it.
    let digest = {
        let out = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(b"test")?;
                c.wait_with_output()
            })
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let meta = config.path().join("contexts/meta").join(&digest);
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        format!(r#"{{"Name":"test","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#),
    )
    .unwrap();
    let cfg = config.path().to_str().unwrap();
    let ping = "print(docker.ping())";
    let run = |cmd: &mut std::process::Command| {
        common::run(cmd.env_remove("DOCKER_HOST").env("DOCKER_CONFIG", cfg))
    };

    assert_eq!(
        assert_success(&run(dockerlua_cmd().args(["-H", &host, "-e", ping]))),
        "true\n"
    );
    assert_eq!(
        assert_success(&run(dockerlua_cmd().args([
            "--context",
            "test",
            "-e",
            ping
        ]))),
        "true\n"
    );
    assert_eq!(
        assert_success(&run(dockerlua_cmd()
            .env("DOCKER_CONTEXT", "test")
            .args(["-e", ping]))),
        "true\n"
    );
    std::fs::write(
        config.path().join("config.json"),
        r#"{"currentContext":"test"}"#,
    )
    .unwrap();
    assert_eq!(
        assert_success(&run(dockerlua_cmd().args(["-e", ping]))),
        "true\n"
    );
    // The host flag wins over the context.
    let out = run(dockerlua_cmd().args(["-H", "unix:///nonexistent.sock", "-e", ping]));
    assert!(stderr_of(&out).contains("unix:///nonexistent.sock"));
    let out = run(dockerlua_cmd().args(["--context", "nope", "-e", ping]));
    assert_exit(&out, 1);
    assert!(
        stderr_of(&out).starts_with("dockerlua: InvalidArgument: context 'nope' not found"),
        "{}",
        stderr_of(&out)
    );
    // from_env and connect give clients with the same members.
    let code = format!(
        "local c = docker.connect('{host}') print(c:ping(), c.containers.get ~= nil, docker.from_env():ping())"
    );
    assert_eq!(
        assert_success(&run(dockerlua_cmd().args(["-H", &host, "-e", &code]))),
        "true\ttrue\ttrue\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn require_docker_is_the_global() {
    let out = dockerlua(&[
        "-e",
        "print(require('docker') == docker, docker:ping(), docker.version().ApiVersion ~= nil)",
    ]);
    assert_eq!(assert_success(&out), "true\ttrue\ttrue\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ctrl_c_during_run_leaves_no_running_container() {
    let t = common::Cleanup::new("cancel");
    for remove in [true, false] {
        let name = t.container(if remove { "rm" } else { "keep" });
        let code = format!(
            "io.write('ready\\n') io.stdout:flush() \
             docker.containers.run('alpine', 'sleep 60', {{name = '{name}', remove = {remove}, labels = {}}})",
            t.lua_labels()
        );
        let mut child = dockerlua_cmd()
            .args(["-e", &code])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 6];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        common::eventually("the container runs", Duration::from_secs(30), || {
            common::docker_output(&["inspect", "-f", "{{.State.Running}}", &name]).stdout
                == b"true\n"
        });
        unsafe_kill(child.id(), 2);
        assert_eq!(child.wait().unwrap().code(), Some(130));
        // The engine may still be finishing the kill or removal it was sent.
        if remove {
            common::eventually(
                &format!("{name} to be removed"),
                Duration::from_secs(30),
                || !common::container_exists(&name),
            );
        } else {
            common::eventually(&format!("{name} to stop"), Duration::from_secs(30), || {
                common::docker(&["inspect", "-f", "{{.State.Running}}", &name]) == "false"
            });
        }
    }
}
