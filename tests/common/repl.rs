//! The REPL driven through a real pseudo-terminal, as a user types: keys in,
//! screen text out (ANSI escapes stripped). Each session gets its own
//! `XDG_STATE_HOME`, so history never touches the real one.

use std::path::Path;
use std::process::Command;

use rexpect::process::wait::WaitStatus;
use rexpect::reader::Options;
use rexpect::session::{spawn_with_options, PtySession};

pub const TIMEOUT_MS: u64 = 5000;
/// The primary prompt as rustyline draws it once escapes are stripped; the
/// secondary one, `>> `, does not contain it.
pub const PROMPT: &str = "\r> \r";
pub const PROMPT_MORE: &str = "\r>> \r";

pub struct Repl {
    pub p: PtySession,
}

impl Repl {
    pub fn start(state: &Path) -> Repl {
        Repl::start_with(state, &[])
    }

    /// The REPL as `dockerlua ARGS...` opens it (e.g. `-e CODE -i`).
    pub fn start_with(state: &Path, args: &[&str]) -> Repl {
        Repl::spawn(Repl::command(state, args))
    }

    /// `dockerlua ARGS...` on the test engine (or none), with history kept
    /// under `state` and a plain xterm.
    pub fn command(state: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerlua"));
        cmd.args(args)
            .env("DOCKER_HOST", super::host_or_none())
            .env_remove("DOCKER_CONTEXT")
            .env("XDG_STATE_HOME", state)
            .env("TERM", "xterm");
        cmd
    }

    /// Spawns `cmd` in a pseudo-terminal and waits for the banner and the
    /// first prompt.
    pub fn spawn(cmd: Command) -> Repl {
        let opts = Options {
            timeout_ms: Some(TIMEOUT_MS),
            strip_ansi_escape_codes: true,
        };
        let mut p = spawn_with_options(cmd, opts).expect("spawn dockerlua");
        p.exp_string("Ctrl-D exits").expect("banner");
        p.exp_string(PROMPT).expect("first prompt");
        Repl { p }
    }

    pub fn send(&mut self, keys: &str) {
        self.p.send(keys).expect("send");
        self.p.flush().expect("flush");
    }

    /// Text up to `needle` (which is consumed).
    pub fn until(&mut self, needle: &str) -> String {
        match self.p.exp_string(needle) {
            Ok(before) => before,
            Err(e) => panic!("waiting for {needle:?}: {e}"),
        }
    }

    /// Types a line and returns what shows until the next primary prompt:
    /// the echoed line, then the output.
    pub fn line(&mut self, input: &str) -> String {
        self.send(&format!("{input}\r"));
        self.until(PROMPT)
    }

    /// The output of a line, without its echo.
    pub fn eval(&mut self, input: &str) -> String {
        let screen = self.line(input);
        match screen.split_once("\r\n") {
            Some((_, output)) => output.replace("\r\n", "\n"),
            None => panic!("no output line for {input:?} in {screen:?}"),
        }
    }

    pub fn exit_status(mut self) -> i32 {
        self.p.exp_eof().expect("eof");
        match self.p.process().wait().expect("wait") {
            WaitStatus::Exited(_, code) => code,
            other => panic!("not a normal exit: {other:?}"),
        }
    }
}
