//! How a program ends: signals (SIGINT, SIGTERM, SIGHUP, SIGPIPE), the
//! clean-up of runs under way, spawned tasks, and streams closed from
//! another task. Signals are sent to the real binary once the engine shows
//! the container running; the engine's state is checked afterwards.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_success, docker, docker_output, dockerlua_cmd, eventually, Cleanup};

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

fn send(child: &Child, signal: i32) {
    // SAFETY: kill(2) on the pid of a child we have not waited for yet.
    let sent = unsafe { libc::kill(child.id() as i32, signal) };
    assert_eq!(sent, 0, "kill -{signal} {}", child.id());
}

/// `dockerlua -e CODE` with its output piped, for signals to be sent to it.
fn spawn(code: &str) -> Child {
    dockerlua_cmd()
        .args(["-e", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockerlua")
}

/// The binary without an engine, for what needs none.
fn offline(code: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
    cmd.args(["-e", code])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    cmd
}

/// Waits for the first line of the child's stdout (the script says it is ready).
fn ready(child: &mut Child) {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
}

/// Waits (bounded) for the child's exit; answers its status code and stderr.
fn exit_of(mut child: Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let mut stderr = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("dockerlua did not exit within 30 s: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    (status.code(), stderr)
}

fn running(name: &str) -> bool {
    let out = docker_output(&["inspect", "-f", "{{.State.Running}}", name]);
    out.status.success() && common::stdout_of(&out).trim() == "true"
}

fn wait_running(name: &str) {
    eventually(&format!("{name} running"), Duration::from_secs(30), || {
        running(name)
    });
}

/// A removed run's container is gone; another is there but not running.
fn assert_cleaned(name: &str, remove: bool) {
    if remove {
        assert!(!common::container_exists(name), "{name} was left behind");
    } else {
        assert_eq!(
            docker(&["inspect", "-f", "{{.State.Running}}", name]),
            "false",
            "{name} still runs"
        );
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ctrl_c_interrupts_a_pure_lua_loop_and_a_blocking_read() {
    for code in [
        "docker.ping() print('ready') while true do end",
        "docker.ping() print('ready') io.read('l') print('read returned')",
    ] {
        let mut child = spawn(code);
        ready(&mut child);
        let sent = Instant::now();
        send(&child, SIGINT);
        let (status, stderr) = exit_of(child);
        assert_eq!(status, Some(130), "{code}: {stderr}");
        assert!(sent.elapsed() < Duration::from_secs(5));
        assert!(stderr.contains("interrupted"), "{stderr}");
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn sigterm_and_sighup_end_a_run_as_ctrl_c_does() {
    let t = Cleanup::new("signals");
    for (signal, status, remove) in [
        (SIGTERM, 143, true),
        (SIGTERM, 143, false),
        (SIGHUP, 129, true),
        (SIGINT, 130, true),
    ] {
        let name = t.container(&format!("s{signal}-{remove}"));
        let child = spawn(&format!(
            "docker.containers.run('alpine', 'sleep 300', {{name = '{name}', remove = {remove}, labels = {}}})",
            t.lua_labels()
        ));
        wait_running(&name);
        send(&child, signal);
        let (code, stderr) = exit_of(child);
        assert_eq!(code, Some(status), "signal {signal}: {stderr}");
        assert_cleaned(&name, remove);
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn runs_in_spawned_tasks_are_cleaned_up_on_an_error_or_a_signal() {
    let t = Cleanup::new("spawned");
    for (end, status) in [("error", 1), ("signal", 130)] {
        let removed = t.container(&format!("{end}-rm"));
        let kept = t.container(&format!("{end}-keep"));
        let mut code = String::new();
        for (name, remove) in [(&removed, true), (&kept, false)] {
            code.push_str(&format!(
                "docker.spawn(function() docker.containers.run('alpine', 'sleep 300', \
                 {{name = '{name}', remove = {remove}, labels = {}}}) end) ",
                t.lua_labels()
            ));
        }
        // The main chunk waits until both run, then fails or waits forever.
        code.push_str(&format!(
            "while #docker.containers.list{{filters = {{name = {{'{removed}', '{kept}'}}}}}} < 2 do \
             docker.sleep(0.05) end "
        ));
        code.push_str(if end == "error" {
            "error('main chunk failed')"
        } else {
            "print('ready') docker.sleep(300)"
        });
        let mut child = spawn(&code);
        if end == "signal" {
            ready(&mut child);
            wait_running(&removed);
            wait_running(&kept);
            send(&child, SIGINT);
        }
        let (code, stderr) = exit_of(child);
        assert_eq!(code, Some(status), "{end}: {stderr}");
        assert_cleaned(&removed, true);
        assert_cleaned(&kept, false);
    }
}

#[test]
fn print_to_a_closed_pipe_ends_with_141_and_no_panic() {
    for code in [
        "while true do print('y') end",
        "while true do io.write('y\\n') end",
        "while true do io.stdout:write('y\\n') end",
    ] {
        closed_pipe_ends_with_141(code);
    }
}

#[test]
fn flushed_and_line_buffered_writes_to_a_closed_pipe_end_with_141() {
    for code in [
        "while true do io.write('y\\n') io.flush() end",
        "while true do io.stdout:write('y\\n') io.stdout:flush() end",
        "io.stdout:setvbuf('line') while true do io.write('y\\n') end",
        "io.stdout:setvbuf('line') while true do io.stdout:write('y\\n') end",
        "io.stdout:setvbuf('line') while true do print('y') end",
    ] {
        closed_pipe_ends_with_141(code);
    }
}

/// The hook that stops Lua code is set when the signal comes, on the thread
/// that runs: a coroutine's, a spawned task's, or one resumed afterwards.
#[test]
fn ctrl_c_interrupts_loops_in_coroutines_and_spawned_tasks() {
    for code in [
        "print('ready') while true do end",
        "coroutine.wrap(function() print('ready') while true do end end)()",
        // The coroutine dies of the interruption; its resumer stops too.
        "local co = coroutine.create(function() print('ready') while true do end end) \
         coroutine.resume(co) while true do pcall(function() end) end",
        "coroutine.wrap(function() print('ready') \
         while true do pcall(function() while true do end end) end end)()",
        "local t = docker.spawn(function() print('ready') while true do end end) t:join()",
        "docker.spawn(function() print('ready') while true do end end) docker.sleep(300)",
        "docker.spawn(function() coroutine.wrap(function() print('ready') \
         while true do end end)() end) docker.sleep(300)",
    ] {
        let mut child = offline(code)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        ready(&mut child);
        let sent = Instant::now();
        send(&child, SIGINT);
        let (status, stderr) = exit_of(child);
        assert_eq!(status, Some(130), "{code}: {stderr}");
        assert!(sent.elapsed() < Duration::from_secs(5), "{code}");
        assert!(stderr.contains("interrupted"), "{code}: {stderr}");
    }
}

fn closed_pipe_ends_with_141(script: &str) {
    let mut child = offline(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "y\n");
    drop(stdout);
    let (code, stderr) = exit_of(child);
    assert_eq!(code, Some(141), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_task_joining_itself_raises() {
    let out = common::run(&mut offline(
        "local t; t = docker.spawn(function() docker.sleep(0.01) return t:join() end) \
         local ok, err = pcall(t.join, t) print(ok, err.kind, err.message)",
    ));
    assert_eq!(
        assert_success(&out),
        "false\tInvalidArgument\tTask:join: a task cannot join itself (it would wait forever)\n"
    );
}

#[test]
fn twenty_thousand_joined_tasks_keep_little_lua_heap() {
    let out = common::run(&mut offline(
        "local blob = string.rep('x', 10240) \
         for i = 1, 20000 do docker.spawn(function() return blob .. i end):join() end \
         collectgarbage() collectgarbage() print(collectgarbage('count') / 1024)",
    ));
    let mb: f64 = assert_success(&out).trim().parse().unwrap();
    assert!(mb < 10.0, "{mb} MB of Lua heap");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_error_in_a_progress_callback_keeps_its_value() {
    let t = Cleanup::new("progress");
    let image = t.pushed_image("cb");
    let out = common::lua(&format!(
        "local ok, err = pcall(docker.images.pull, '{image}', \
           {{progress = function() error({{code = 7, text = 'stop'}}) end}}) \
         print(ok, err.code, err.text)"
    ));
    assert_eq!(assert_success(&out), "false\t7\tstop\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn closing_a_stream_from_another_task_ends_its_loop_at_once() {
    let t = Cleanup::new("close");
    let name = t.container("quiet");
    common::sleeper(&t, &name);
    for (what, open) in [
        ("events", "docker.events{}".to_owned()),
        (
            "followed logs",
            format!("docker.containers.get('{name}'):logs{{follow = true}}"),
        ),
        (
            "stats",
            format!("docker.containers.get('{name}'):stats{{stream = true}}"),
        ),
        (
            "exec stream",
            format!("docker.containers.get('{name}'):exec('sleep 300', {{stream = true}})"),
        ),
    ] {
        // Nothing arrives on these streams: without the close, the loop
        // would read until the test's timeout.
        let started = Instant::now();
        let out = common::lua(&format!(
            "local s = {open} \
             docker.spawn(function() docker.sleep(1) s:close() end) \
             for _ in s do end print('ended')"
        ));
        assert_eq!(assert_success(&out), "ended\n", "{what}");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "{what}: {took:?}");
    }
}
