//! The REPL driven through a real pseudo-terminal, as a user types: keys in,
//! screen text out (ANSI escapes stripped). Each session gets its own
//! `XDG_STATE_HOME`, so history never touches the real one.

mod common;

use std::time::{Duration, Instant};

use common::repl::{Repl, PROMPT, PROMPT_MORE};

fn state_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn expression_results_are_printed_readably() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    assert_eq!(r.eval("1+1"), "2\n");
    assert_eq!(r.eval("'say \"hi\"'"), "\"say \\\"hi\\\"\"\n");
    // A string with newlines shows as its lines (logs read as logs).
    assert_eq!(r.eval("'a\\nb'"), "a\nb\n");
    assert_eq!(r.eval("return 1, 'two', nil"), "1\t\"two\"\tnil\n");
    assert_eq!(
        r.eval("{name = 'web', ports = {80, 443}, env = {TZ = 'UTC'}}"),
        "{\n  env = { TZ = \"UTC\" },\n  name = \"web\",\n  ports = { 80, 443 }\n}\n"
    );
    // A statement prints nothing; print's own output shows.
    assert_eq!(r.eval("x = 3; print('x is', x)"), "x is\t3\n");
    assert_eq!(r.eval("=x * 2"), "6\n");
}

#[test]
fn multi_line_function_then_call() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send("function twice(n)\r");
    r.until(PROMPT_MORE);
    r.send("  return n * 2\r");
    r.until(PROMPT_MORE);
    r.line("end");
    assert_eq!(r.eval("twice(21)"), "42\n");
    // An open table and a long string continue too.
    r.send("t = {\r");
    r.until(PROMPT_MORE);
    r.line("  a = 1 }");
    r.send("s = [[one\r");
    r.until(PROMPT_MORE);
    r.line("two]]");
    assert_eq!(r.eval("t.a, s"), "1\t\"one\\ntwo\"\n");
}

#[test]
fn tab_completes_globals_fields_and_methods() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send("docker.sl\t");
    r.until("docker.sleep");
    assert_eq!(r.eval("(0)"), "");
    // Fields of a table made in this session.
    r.line("config = {alpha = 1, beta = 2}");
    r.send("config.al\t");
    r.until("config.alpha");
    assert_eq!(r.eval(""), "1\n");
    // Methods of a string value through its metatable.
    r.line("s = 'abc'");
    r.send("s:upp\t");
    r.until("s:upper");
    assert_eq!(r.eval("()"), "\"ABC\"\n");
    r.send("tostr\t");
    r.until("tostring");
    assert_eq!(r.eval("(12)"), "\"12\"\n");
}

#[test]
fn an_error_prints_one_line_and_the_session_goes_on() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    assert_eq!(r.eval("error('boom')"), "stdin:1: boom\n");
    assert_eq!(
        r.eval("nope.x"),
        "stdin:1: attempt to index a nil value (global 'nope')\n"
    );
    // A table raised as the error shows its contents.
    assert_eq!(r.eval("error({code = 7})"), "{ code = 7 }\n");
    assert_eq!(r.eval("1 +* 2"), "stdin:1: unexpected symbol near '*'\n");
    // A Rust callback's error shows its cause, without mlua's traceback.
    let out = r.eval("docker.sleep('soon')");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("argument"), "{out}");
    assert!(!out.contains("traceback"), "{out}");
    assert_eq!(r.eval("6 * 7"), "42\n");
}

#[test]
fn locals_persist_between_lines() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    assert_eq!(r.eval("local x = 41"), "");
    assert_eq!(r.eval("x + 1"), "42\n");
    assert_eq!(r.eval("local a, b = 'p', 'q'"), "");
    assert_eq!(r.eval("a .. b"), "\"pq\"\n");
    assert_eq!(
        r.eval("local function sq(n) local k = n return k * k end"),
        ""
    );
    assert_eq!(r.eval("sq(7), k"), "49\tnil\n");
}

#[test]
fn history_is_kept_across_sessions_as_whole_chunks() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.line("'hist' .. 6 * 7");
    r.line("'hist' .. 6 * 7");
    r.send("function from_history()\r");
    r.until(PROMPT_MORE);
    r.line("return 'recalled' end");
    r.send("\x04");
    assert_eq!(r.exit_status(), 0);

    let file = dir.path().join("dockerlua/history");
    let saved = std::fs::read_to_string(&file).expect("history file");
    assert_eq!(saved.matches("'hist' .. 6 * 7").count(), 1, "{saved}");

    let mut r = Repl::start(dir.path());
    // Up recalls the whole function as one entry.
    r.send("\x1b[A");
    r.until("return 'recalled' end");
    r.line("");
    assert_eq!(r.eval("from_history()"), "\"recalled\"\n");
    // Back past the new line and both lines of the function.
    r.send("\x1b[A\x1b[A\x1b[A\x1b[A");
    r.until("'hist' .. 6 * 7");
    let screen = r.line("");
    assert!(screen.ends_with("\"hist42\"\r\n"), "{screen:?}");
}

#[test]
fn ctrl_c_cancels_a_running_call_and_the_session_goes_on() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    // The word is printed whole but typed in parts: the editor's echo of the
    // line must not count, or Ctrl-C could reach the editor still in raw
    // mode (a lost byte instead of a signal).
    r.send("print('wait' .. 'ing') docker.sleep(30) print('slept')\r");
    r.until("waiting");
    let pressed = Instant::now();
    r.send("\x03");
    r.until("interrupted");
    assert!(pressed.elapsed() < Duration::from_secs(3));
    r.until(PROMPT);
    assert_eq!(r.eval("1 + 1"), "2\n");
}

#[test]
fn ctrl_c_stops_a_lua_loop() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    // Typed in parts for the reason above.
    r.send("print('spin' .. 'ning') while true do pcall(function() end) end\r");
    r.until("spinning");
    r.send("\x03");
    r.until("interrupted");
    r.until(PROMPT);
    assert_eq!(r.eval("'still here'"), "\"still here\"\n");
}

#[test]
fn ctrl_c_at_the_prompt_clears_the_line() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send("unfinished garbage\x03");
    r.until(PROMPT);
    assert_eq!(r.eval("2 + 3"), "5\n");
    // Also on the secondary prompt: the open chunk is dropped.
    r.send("function broken(\r");
    r.until(PROMPT_MORE);
    r.send("\x03");
    r.until(PROMPT);
    assert_eq!(r.eval("broken"), "nil\n");
}

#[test]
fn ctrl_d_exits_with_status_0_and_os_exit_with_its_own() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send("\x04");
    assert_eq!(r.exit_status(), 0);

    let mut r = Repl::start(dir.path());
    r.send("os.exit(3)\r");
    assert_eq!(r.exit_status(), 3);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn completes_docker_collections_and_container_methods() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send("docker.containers.\t\t");
    let listed = r.until("run");
    assert!(
        listed.contains("create") && listed.contains("get") && listed.contains("list"),
        "{listed:?}"
    );
    r.send("\x03");
    r.until(PROMPT);
    let name = format!("repl-{}", std::process::id());
    r.line(&format!(
        "c = docker.containers.create('alpine', 'true', {{name = '{name}', labels = {{['dockerlua.test'] = '{name}'}}}})"
    ));
    // A live container prints as one line, and its methods complete after `:`.
    let shown = r.eval("c");
    assert!(
        shown.starts_with("<Container ") && shown.contains(&name) && shown.contains("created>"),
        "{shown:?}"
    );
    r.send("c:unp\t");
    r.until("c:unpause");
    r.send("\x03");
    r.until(PROMPT);
    r.send("c:rem\t");
    r.until("c:remove");
    assert_eq!(r.eval("()"), "");
    let id = r.eval("c.id").trim().trim_matches('"').to_owned();
    let gone = r.eval("pcall(docker.containers.get, c.id)");
    assert_eq!(
        gone,
        format!("false\tNotFound (404): No such container: {id}\n")
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ctrl_c_on_a_run_kills_or_removes_its_container_and_the_session_goes_on() {
    let t = common::Cleanup::new("repl-run");
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    for remove in [true, false] {
        let name = t.container(if remove { "rm" } else { "keep" });
        r.send(&format!(
            "docker.containers.run('alpine', 'sleep 300', {{name = '{name}', remove = {remove}, labels = {}}})\r",
            t.lua_labels()
        ));
        common::eventually("the container runs", Duration::from_secs(30), || {
            common::docker_output(&["inspect", "-f", "{{.State.Running}}", &name])
                .stdout
                .starts_with(b"true")
        });
        let pressed = Instant::now();
        r.send("\x03");
        r.until("interrupted");
        assert!(pressed.elapsed() < Duration::from_secs(3));
        r.until(PROMPT);
        // Cleaned up while the prompt waits: nothing is typed meanwhile.
        common::eventually("the clean-up", Duration::from_secs(30), || {
            if remove {
                !common::container_exists(&name)
            } else {
                common::docker_output(&["inspect", "-f", "{{.State.Running}}", &name])
                    .stdout
                    .starts_with(b"false")
            }
        });
    }
    assert_eq!(r.eval("docker.ping()"), "true\n");
}

#[test]
fn a_task_spawned_at_the_prompt_prints_while_the_prompt_waits() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.line(
        "docker.spawn(function() for i = 1, 3 do \
           docker.sleep(0.2) io.write('tick ', i) io.stderr:write('!') print() end end)",
    );
    // Half a line is typed: the ticks show above the prompt while it waits,
    // each a whole line, and the prompt is drawn again with what was typed.
    r.send("x = 4");
    let before = r.until("tick 3!");
    assert!(
        before.contains("tick 1!") && before.contains("tick 2!"),
        "{before:?}"
    );
    r.until("> x = 4");
    r.send("\r");
    r.until(PROMPT);
    assert_eq!(r.eval("x"), "4\n");
}

#[test]
fn dash_i_opens_the_prompt_after_the_code_on_the_same_state() {
    let dir = state_dir();
    let mut r = Repl::start_with(dir.path(), &["-e", "x = 41", "-i"]);
    assert_eq!(r.eval("x + 1"), "42\n");
    r.send("\x04");
    assert_eq!(r.exit_status(), 0);
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn sigterm_during_a_run_at_the_prompt_removes_its_container_and_exits_143() {
    let t = common::Cleanup::new("repl-term");
    let name = t.container("rm");
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    r.send(&format!(
        "docker.containers.run('alpine', 'sleep 300', {{name = '{name}', remove = true, labels = {}}})\r",
        t.lua_labels()
    ));
    common::eventually("the container runs", Duration::from_secs(30), || {
        common::docker_output(&["inspect", "-f", "{{.State.Running}}", &name])
            .stdout
            .starts_with(b"true")
    });
    let pid = r.p.process().child_pid.as_raw();
    // SAFETY: kill(2) on the pid of the session's process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(r.exit_status(), 143);
    assert!(!common::container_exists(&name), "{name} was left behind");
}

#[test]
fn sighup_at_the_waiting_prompt_ends_the_session_with_129() {
    let dir = state_dir();
    let mut r = Repl::start(dir.path());
    assert_eq!(r.eval("1 + 1"), "2\n");
    let pid = r.p.process().child_pid.as_raw();
    // SAFETY: kill(2) on the pid of the session's process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    assert_eq!(r.exit_status(), 129);
}
