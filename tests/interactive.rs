//! Live and interactive I/O against the real engine: streamed runs, attach,
//! two-way exec and attach streams, and interactive sessions driven through
//! a real terminal (a tmux pane): typing, resizing, detaching, and the
//! terminal's mode put back afterwards.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_success, container_exists, docker, eventually, host, lua, Cleanup};

/// A container running `sleep` for the test, named and labelled by `t`.
fn sleeper(t: &Cleanup, suffix: &str, extra: &[&str]) -> String {
    let name = t.container(suffix);
    let mut args = vec!["run", "-d", "--name", &name];
    let label = t.label();
    args.extend(["--label", &label]);
    args.extend(extra);
    args.extend(["alpine", "sleep", "600"]);
    docker(&args);
    name
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_streamed_run_yields_each_line_before_the_container_exits() {
    let t = Cleanup::new("irun");
    let name = t.container("s");
    // The container cannot exit before the marker exists, and the marker is
    // made only once the first line has come: lines arrive live.
    let out = assert_success(&lua(&format!(
        r#"local s = docker.containers.run("alpine",
             {{"sh", "-c", "echo first; echo err >&2; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo last; exit 4"}},
             {{stream = true, remove = true, name = "{name}", labels = {labels}}})
           print(tostring(s))
           for line, stream in s do
             print(stream .. ":" .. line)
             if line == "first" then
               assert(docker.containers.get("{name}"):exec("touch /tmp/go").exit_code == 0)
             end
           end
           print("exit=" .. tostring(s.exit_code))"#,
        labels = t.lua_labels()
    )));
    assert!(out.starts_with("<RunStream open>\n"), "{out}");
    assert!(out.contains("stdout:first\n"), "{out}");
    assert!(out.contains("stderr:err\n"), "{out}");
    assert!(out.contains("stdout:last\nexit=4\n"), "{out}");
    assert!(!container_exists(&name), "remove = true left {name}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn closing_a_streamed_run_early_cleans_it_up() {
    let t = Cleanup::new("irunclose");
    let (removed, kept) = (t.container("rm"), t.container("keep"));
    assert_success(&lua(&format!(
        // A `break` closes the stream given directly to the `for`, and
        // `s:close()` one held in a variable.
        r#"for line in docker.containers.run("alpine", {{"sh", "-c", "echo up; exec sleep 600"}},
               {{stream = true, remove = true, name = "{removed}", labels = {labels}}}) do
             break
           end
           local s = docker.containers.run("alpine", {{"sh", "-c", "echo up; exec sleep 600"}},
             {{stream = true, name = "{kept}", labels = {labels}}})
           assert(s() == "up")
           s:close()
           assert(s.exit_code == nil)"#,
        labels = t.lua_labels()
    )));
    // remove = true: removed; otherwise killed, as a cancelled run is.
    assert!(!container_exists(&removed));
    let state = docker(&["inspect", "-f", "{{.State.Running}}", &kept]);
    assert_eq!(state, "false");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn attach_streams_the_live_output_and_the_exit_code() {
    let t = Cleanup::new("iattach");
    let name = t.container("a");
    let label = t.label();
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "alpine",
        "sh",
        "-c",
        "echo before; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo after; exit 2",
    ]);
    let out = assert_success(&lua(&format!(
        r#"local c = docker.containers.get("{name}")
           local s = c:attach{{stream = true, logs = true}}
           for line in s do
             print(line)
             if line == "before" then c:exec("touch /tmp/go") end
           end
           print("exit=" .. tostring(s.exit_code))"#
    )));
    assert_eq!(out, "before\nafter\nexit=2\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_two_way_exec_stream_is_written_read_and_closed() {
    let t = Cleanup::new("iduplex");
    let name = sleeper(&t, "d", &[]);
    let out = assert_success(&lua(&format!(
        r#"local c = docker.containers.get("{name}")
           local s = c:exec({{"sh", "-c", "cat; echo done >&2; exit 5"}}, {{stdin = true, stream = true}})
           -- Written and read in turns: each line comes back before the next is sent.
           for i = 1, 3 do
             assert(s:write("line " .. i .. "\n") == true)
             local line, stream = s()
             print(line, stream)
           end
           s:close_write()
           s:close_write()
           for line, stream in s do print(line, stream) end
           print("exit=" .. tostring(s.exit_code))
           local ok, err = pcall(s.write, s, "more")
           print(err.kind)
           local ok, err = pcall(s.write, s, 42)
           print(err.kind)"#
    )));
    assert_eq!(
        out,
        "line 1\tstdout\nline 2\tstdout\nline 3\tstdout\ndone\tstderr\nexit=5\n\
         InvalidArgument\nInvalidArgument\n"
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_two_way_attach_writes_to_the_container_stdin() {
    let t = Cleanup::new("iattachin");
    let name = t.container("c");
    let label = t.label();
    docker(&[
        "run",
        "-d",
        "-i",
        "--name",
        &name,
        "--label",
        &label,
        "alpine",
        "sh",
        "-c",
        "read a; echo got-$a; read b; echo got-$b",
    ]);
    let out = assert_success(&lua(&format!(
        r#"local s = docker.containers.get("{name}"):attach{{stdin = true}}
           print(tostring(s))
           s:write("one\n")
           print((s()))
           s:write("two\n")
           for line in s do print(line) end
           print("exit=" .. tostring(s.exit_code))"#
    )));
    assert_eq!(out, "<AttachStream open>\ngot-one\ngot-two\nexit=0\n");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn interactive_calls_without_a_terminal_are_invalid_arguments() {
    let t = Cleanup::new("inoterm");
    let name = sleeper(&t, "n", &[]);
    let out = assert_success(&lua(&format!(
        r#"local c = docker.containers.get("{name}")
           for _, f in ipairs{{
             function() return c:exec("sh", {{interactive = true}}) end,
             function() return c:attach{{interactive = true}} end,
             function() return docker.containers.run("alpine", "sh", {{interactive = true, tty = true, labels = {labels}}}) end,
             function() return docker.containers.run("alpine", "sh", {{stream = true, detach = true}}) end,
             function() return c:exec("cat", {{stdin = 5}}) end,
             function() return c:attach{{bogus = 1}} end,
           }} do
             local ok, err = pcall(f)
             print(ok, err.kind, err.message)
           end"#,
        labels = t.lua_labels()
    )));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    for line in &lines {
        assert!(line.starts_with("false\tInvalidArgument\t"), "{out}");
    }
    assert!(lines[0].contains("Container:exec: interactive = true needs a terminal"));
    assert!(lines[1].contains("Container:attach"));
    assert!(lines[2].contains("containers.run"));
    // Refused before anything was created.
    let left = docker(&["ps", "-aq", "--filter", &format!("label={}", t.label())]);
    assert_eq!(left.lines().count(), 1, "{left}");
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn streamed_runs_and_two_way_streams_under_dry_run() {
    let t = Cleanup::new("idry");
    let out = assert_success(&common::dockerlua(&[
        "--dry-run",
        "-e",
        &format!(
            r#"local s = docker.containers.run("alpine", "echo hi", {{stream = true, remove = true, labels = {labels}}})
               for line in s do print("line", line) end
               print("run", s.exit_code)
               local c = docker.containers.run("alpine", "sleep 60", {{detach = true, labels = {labels}}})
               local e = c:exec("cat", {{stdin = true}})
               e:write("x\n") e:close_write()
               for line in e do print("line", line) end
               print("exec", e.exit_code)
               local a = c:attach{{stdin = true}}
               for line in a do print("line", line) end
               print("attach", a.exit_code)"#,
            labels = t.lua_labels()
        ),
    ]));
    assert_eq!(out, "run\t0\nexec\t0\nattach\t0\n");
    let left = docker(&["ps", "-aq", "--filter", &format!("label={}", t.label())]);
    assert!(left.is_empty(), "a dry run created {left}");
}

// ---------------------------------------------------------------------------
// Through a real terminal

/// A tmux server of its own with one pane running a shell script.
struct Pane {
    socket: String,
    dir: tempfile::TempDir,
}

impl Pane {
    /// Runs `dockerlua ARGS` (with `code.lua` holding `code`) in a pane of
    /// `width` x `height`, between two `stty -g` of that terminal.
    fn start(code: &str, args: &str, width: u16, height: u16) -> Pane {
        Self::start_on(&host(), code, args, width, height)
    }

    /// [`Pane::start`] with `DOCKER_HOST=docker_host`.
    fn start_on(docker_host: &str, code: &str, args: &str, width: u16, height: u16) -> Pane {
        assert!(
            Path::new("/usr/bin/tmux").exists(),
            "tmux is needed (apt-get install tmux)"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("code.lua"), code).unwrap();
        std::fs::write(
            dir.path().join("run.sh"),
            format!(
                "cd '{dir}'\nexport DOCKER_HOST='{host}'\nexport HOME='{dir}'\n\
                 stty -g > before\n'{bin}' {args}\necho \"EXIT=$?\"\nstty -g > after\nsleep 300\n",
                dir = dir.path().display(),
                host = docker_host,
                bin = env!("CARGO_BIN_EXE_dockerlua"),
            ),
        )
        .unwrap();
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pane = Pane {
            socket: format!("dockerlua-interactive-{}-{n}", std::process::id()),
            dir,
        };
        let script = pane.path("run.sh");
        pane.tmux(&[
            "new-session",
            "-d",
            "-s",
            "p",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            script.to_str().unwrap(),
        ]);
        pane
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "p", "-S", "-200"])
    }

    /// Types `text` literally, then Enter.
    fn type_line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "p", "-l", text]);
        self.tmux(&["send-keys", "-t", "p", "Enter"]);
    }

    /// Types `line` again and again until the screen shows `text` (a
    /// resize reaches the process a moment after tmux has made it).
    #[track_caller]
    fn type_until(&self, line: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.type_line(line);
            let typed = Instant::now();
            while typed.elapsed() < Duration::from_millis(300) {
                if self.screen().contains(text) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(Instant::now() < deadline, "no '{text}':\n{}", self.screen());
        }
    }

    /// Waits until the screen shows `text`; answers the screen.
    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("'{text}' not on the screen within 60 s:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal's mode was the same before and after dockerlua.
    #[track_caller]
    fn assert_mode_restored(&self) {
        self.wait_for("EXIT=");
        let read = |name: &str| std::fs::read_to_string(self.path(name)).unwrap();
        eventually("stty -g after", Duration::from_secs(10), || {
            self.path("after").exists() && !read("after").is_empty()
        });
        assert_eq!(read("before"), read("after"), "{}", self.screen());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_interactive_exec_takes_the_terminal_follows_its_size_and_gives_it_back() {
    let t = Cleanup::new("iexec");
    let name = sleeper(&t, "x", &[]);
    let pane = Pane::start(
        &format!(
            r#"local code = docker.containers.get("{name}"):exec("sh", {{interactive = true}})
               print("CODE=" .. tostring(code))"#
        ),
        "code.lua",
        100,
        30,
    );
    pane.wait_for("/ #");
    pane.type_line("echo hi-$((6*7)); stty size");
    // The shell's echo is the container TTY's: raw mode on our side.
    let screen = pane.wait_for("30 100");
    assert!(screen.contains("hi-42\n30 100"), "{screen}");
    pane.tmux(&["resize-window", "-t", "p", "-x", "120", "-y", "40"]);
    // SIGWINCH reaches us and the container's TTY follows.
    pane.type_until("stty size", "40 120");
    pane.type_line("exit 7");
    pane.wait_for("CODE=7");
    pane.assert_mode_restored();
    assert!(pane.screen().contains("EXIT=0"));
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_interactive_exec_without_a_tty_sends_lines_and_ctrl_d_ends_its_input() {
    let t = Cleanup::new("inotty");
    let name = sleeper(&t, "n", &[]);
    let pane = Pane::start(
        &format!(
            r#"local code = docker.containers.get("{name}"):exec({{"sh", "-c", "tr a-z A-Z; exit 6"}},
                 {{interactive = true, tty = false}})
               print("CODE=" .. tostring(code))"#
        ),
        "code.lua",
        100,
        30,
    );
    // The terminal is not raw: it echoes the line, the process answers it
    // (keys typed before the session starts wait in the terminal for it).
    pane.type_line("shout this");
    pane.wait_for("SHOUT THIS");
    pane.tmux(&["send-keys", "-t", "p", "C-d"]);
    pane.wait_for("CODE=6");
    pane.assert_mode_restored();
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn ctrl_p_ctrl_q_detaches_a_run_and_an_attach_leaving_the_container_running() {
    let t = Cleanup::new("idetach");
    let name = t.container("r");
    let pane = Pane::start(
        &format!(
            r#"local code, how = docker.containers.run("alpine", "sh",
                 {{interactive = true, tty = true, name = "{name}", labels = {labels}}})
               print("RUN=" .. tostring(code) .. "," .. tostring(how))
               local c = docker.containers.get("{name}")
               print("STATUS=" .. c.status)
               local code, how = c:attach{{interactive = true}}
               print("ATTACH=" .. tostring(code) .. "," .. tostring(how))
               local code = c:attach{{interactive = true}}
               print("END=" .. tostring(code))"#,
            labels = t.lua_labels()
        ),
        "code.lua",
        100,
        30,
    );
    pane.wait_for("/ #");
    pane.type_line("echo marker-$((1+1))");
    pane.wait_for("marker-2");
    pane.tmux(&["send-keys", "-t", "p", "C-p", "C-q"]);
    pane.wait_for("RUN=nil,detached");
    pane.wait_for("STATUS=running");
    // Attached again: the same shell, still running.
    pane.type_line("echo again-$((2+2))");
    pane.wait_for("again-4");
    pane.tmux(&["send-keys", "-t", "p", "C-p", "C-q"]);
    pane.wait_for("ATTACH=nil,detached");
    let running = docker(&["inspect", "-f", "{{.State.Running}}", &name]);
    assert_eq!(running, "true");
    pane.type_line("exit 3");
    pane.wait_for("END=3");
    pane.assert_mode_restored();
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn a_signal_during_a_session_restores_the_terminal_and_cleans_up() {
    let t = Cleanup::new("isignal");
    let name = t.container("s");
    let pane = Pane::start(
        &format!(
            r#"local pid = io.open("/proc/self/stat"):read("n")
               io.open("pid", "w"):write(pid):close()
               docker.containers.run("alpine", "sh",
                 {{interactive = true, tty = true, remove = true, name = "{name}", labels = {labels}}})"#,
            labels = t.lua_labels()
        ),
        "code.lua",
        100,
        30,
    );
    pane.wait_for("/ #");
    let pid = std::fs::read_to_string(pane.path("pid")).unwrap();
    Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap();
    pane.wait_for("EXIT=143");
    pane.assert_mode_restored();
    eventually(
        "the run's container removed",
        Duration::from_secs(20),
        || !container_exists(&name),
    );
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn an_interactive_exec_from_the_prompt_and_the_prompt_after_it() {
    let t = Cleanup::new("irepl");
    let name = sleeper(&t, "p", &[]);
    let pane = Pane::start("", "-i", 100, 30);
    pane.wait_for("Ctrl-D exits.\n>");
    pane.type_line(&format!(
        r#"c = docker.containers.get("{name}") return c:exec("sh", {{interactive = true}})"#
    ));
    pane.wait_for("/ #");
    pane.type_line("echo inside-$((3*3))");
    pane.wait_for("inside-9");
    // The prompt's line editor handles SIGWINCH too: the session still sees it.
    pane.tmux(&["resize-window", "-t", "p", "-x", "90", "-y", "25"]);
    pane.type_until("stty size", "25 90");
    pane.type_line("exit 4");
    // The exit code as the line's value, then the prompt works as before.
    let screen = pane.wait_for("\n4\n");
    assert!(screen.contains("inside-9"), "{screen}");
    pane.type_line("=1 + 1");
    pane.wait_for("\n2\n");
    pane.tmux(&["send-keys", "-t", "p", "C-d"]);
    pane.assert_mode_restored();
}

#[test]
#[ignore = "needs an engine: tools/test.sh"]
fn the_engine_going_away_during_a_session_restores_the_terminal() {
    let t = Cleanup::new("igone");
    let name = sleeper(&t, "g", &[]);
    let proxy = common::capture_proxy();
    let pane = Pane::start_on(
        &proxy.url,
        &format!(r#"docker.containers.get("{name}"):exec("sh", {{interactive = true}})"#),
        "code.lua",
        100,
        30,
    );
    pane.wait_for("/ #");
    proxy.cut();
    let screen = pane.wait_for("EXIT=");
    assert!(screen.contains("ConnectionError"), "{screen}");
    assert!(screen.contains("EXIT=1"), "{screen}");
    pane.assert_mode_restored();
}
