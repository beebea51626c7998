//! How a program ends: signals (SIGINT, SIGTERM, SIGHUP, SIGPIPE), the
//! clean-up of runs under way, spawned tasks, and streams closed from
//! another task. Signals are sent to the real binary once the engine shows
//! the container running; the engine's state is checked afterwards.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake::{fake, Answer, Fake};

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
    let mut cmd = common::offline();
    cmd.args(["-e", code]);
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
        // A clean-up that worked reports nothing left behind.
        assert!(!stderr.contains("left behind"), "signal {signal}: {stderr}");
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
        assert!(!stderr.contains("left behind"), "{end}: {stderr}");
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

// ---------------------------------------------------------------------------
// Clean-up against an engine that stops answering (a fake engine: a real one
// cannot be made to stall)

const FAKE_ID: &str = "5ca1ab1e0000000000000000000000000000000000000000000000000000c0de";

/// What the stalling engine was asked for so far.
#[derive(Default)]
struct Asked {
    /// A wait: the run's container exists (its create was answered).
    wait: AtomicBool,
    /// A kill or remove: a clean-up began.
    end: AtomicBool,
}

/// A fake engine that creates a container (`FAKE_ID`) and starts it (or
/// stalls on the start, `start_stalls`), then never answers its wait, kill
/// or remove.
fn stalling_engine(start_stalls: bool) -> (Fake, Arc<Asked>) {
    let asked = Arc::new(Asked::default());
    let seen = asked.clone();
    let engine = fake(move |method, path| {
        let container = path.strip_prefix(&format!("/containers/{FAKE_ID}")[..]);
        match (method, container) {
            ("POST", _) if path == "/containers/create" => {
                Answer::Json(201, format!(r#"{{"Id":"{FAKE_ID}","Warnings":[]}}"#))
            }
            // A wait's head comes at once (the engine's does), its body
            // never.
            ("POST", Some("/wait")) => {
                seen.wait.store(true, Ordering::SeqCst);
                Answer::Pieces(Vec::new())
            }
            ("POST", Some("/start")) if !start_stalls => Answer::Json(204, String::new()),
            ("POST", Some("/kill")) | ("DELETE", Some("")) => {
                seen.end.store(true, Ordering::SeqCst);
                Answer::Stall
            }
            _ => Answer::Stall,
        }
    });
    (engine, asked)
}

/// `dockerlua -e CODE` against `url`, its output piped, for signals.
fn spawn_at(url: &str, timeout: Option<&str>, code: &str) -> Child {
    let mut cmd = common::dockerlua_at(url);
    if let Some(timeout) = timeout {
        cmd.env("DOCKERLUA_TIMEOUT", timeout);
    }
    cmd.args(["-e", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dockerlua")
}

#[test]
fn a_run_whose_removal_times_out_says_what_it_left_behind() {
    let (engine, asked) = stalling_engine(true);
    let out = common::run(
        common::dockerlua_at(&engine.url)
            .env("DOCKERLUA_TIMEOUT", "1")
            .args([
                "-e",
                "docker.containers.run('alpine', 'true', {remove = true})",
            ]),
    );
    let err = common::stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        asked.end.load(Ordering::SeqCst),
        "no remove was sent: {err}"
    );
    assert!(err.contains("Timeout"), "{err}");
    let left = format!("container {} was left behind (remove: ", &FAKE_ID[..12]);
    assert!(err.contains(&left), "{err}");
}

#[test]
fn a_clean_up_that_fails_after_a_signal_says_what_it_left_behind() {
    let (engine, asked) = stalling_engine(false);
    let child = spawn_at(
        &engine.url,
        Some("1"),
        "docker.containers.run('alpine', 'sleep 60')",
    );
    eventually("the run's wait", Duration::from_secs(20), || {
        asked.wait.load(Ordering::SeqCst)
    });
    send(&child, SIGINT);
    let (status, stderr) = exit_of(child);
    assert_eq!(status, Some(130), "{stderr}");
    assert!(
        asked.end.load(Ordering::SeqCst),
        "no kill was sent: {stderr}"
    );
    let left = format!(
        "dockerlua: left behind: container {} (Timeout: kill: ",
        &FAKE_ID[..12]
    );
    assert!(stderr.contains(&left), "{stderr}");
}

#[test]
fn a_second_signal_ends_a_stalled_clean_up_at_once() {
    let (engine, asked) = stalling_engine(false);
    // No client timeout: the kill would wait the whole clean-up limit.
    let child = spawn_at(
        &engine.url,
        Some("0"),
        "docker.containers.run('alpine', 'sleep 60')",
    );
    eventually("the run's wait", Duration::from_secs(20), || {
        asked.wait.load(Ordering::SeqCst)
    });
    send(&child, SIGINT);
    eventually("the clean-up's kill", Duration::from_secs(20), || {
        asked.end.load(Ordering::SeqCst)
    });
    let second = Instant::now();
    send(&child, SIGTERM);
    let (status, stderr) = exit_of(child);
    // Well under the 10 s the clean-up would wait.
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "{:?}",
        second.elapsed()
    );
    assert_eq!(status, Some(130), "the first signal decides: {stderr}");
    let left = format!(
        "clean-up abandoned: left behind: container(s) {}",
        &FAKE_ID[..12]
    );
    assert!(stderr.contains(&left), "{stderr}");
}

#[test]
fn a_stream_whose_error_answer_stalls_ends_within_the_timeout() {
    let engine = fake(|_, path| match path {
        "/containers/x/json" => Answer::Json(
            200,
            r#"{"Id":"x","Name":"/x","State":{"Status":"running"},"Config":{"Tty":false}}"#.into(),
        ),
        // The head of an error and the start of its message, then nothing.
        _ => Answer::StalledError(500, r#"{"message": "the disk is"#.into()),
    });
    let started = Instant::now();
    let out = common::run(common::dockerlua_at(&engine.url).env("DOCKERLUA_TIMEOUT", "1").args([
        "-e",
        "local ok, e = pcall(function() for l in docker.containers.get('x'):logs{follow = true} do end end) \
         print(e.kind, e.message)",
    ]));
    let text = common::assert_success(&out);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(text.starts_with("APIError\t"), "{text}");
    assert!(
        text.contains("reading the engine's error message"),
        "{text}"
    );
}
