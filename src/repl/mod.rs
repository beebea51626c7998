//! The interactive prompt: reads Lua on a terminal with line editing,
//! history and completion, runs it on the caller's Lua state and prints the
//! results.
//!
//! Conventions a user sees:
//! - a line is tried as an expression first (`return <line>`), then as a
//!   statement; `=expr` is short for `return expr`;
//! - an unfinished chunk continues on the `>>` prompt and is kept as one
//!   history entry;
//! - `local` statements at the top level of a line become global
//!   assignments, so `local x = 1` stays defined for the next lines (see
//!   `locals.rs`);
//! - `help(x)` or `?x` shows the reference entry of x (see `help.rs`);
//! - Ctrl-C cancels the running line (an engine call or a Lua loop; a
//!   `containers.run` in it has its container killed, or removed), Ctrl-C
//!   at the prompt clears it, Ctrl-D exits; SIGTERM and SIGHUP end the
//!   session as they end a script.
//!
//! The line editor blocks, so it runs on a thread of its own while the
//! runtime goes on: tasks spawned by earlier lines keep running (and
//! printing) while the prompt waits. What they write to stdout or stderr
//! then goes through the editor, which prints it above the prompt and draws
//! the prompt again with what was typed so far. Completion, which needs the
//! Lua state, is asked back from that thread.

mod complete;
pub mod help;
mod history;
pub mod interrupt;
mod lex;
mod locals;
mod printer;

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Mutex};

use mlua::{Function, Lua, MultiValue, Table, Value};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, ExternalPrinter};
use tokio::sync::{mpsc as async_mpsc, oneshot};

use crate::lua::lifecycle::End;
use interrupt::Signals;

pub use history::default_history_path;
pub use printer::{format_value, format_values, FormatOptions};

/// The named registry value of the table whose `redirect` field, while the
/// prompt waits, takes what Lua writes to stdout and stderr (the host's
/// `print`, `io.write` and `file:write` look there first).
pub const OUTPUT_KEY: &str = "dockerlua.prompt_output";

const PROMPT: &str = "> ";
const PROMPT_MORE: &str = ">> ";
const CHUNK_NAME: &str = "=stdin";

/// How [`run`] starts.
pub struct ReplOptions {
    /// Printed once before the first prompt (nothing when empty).
    pub banner: String,
    /// The history file; `None` for [`default_history_path`].
    pub history_path: Option<PathBuf>,
}

/// Printed under the banner: the keys, and what becomes of `local`.
const HINT: &str =
    "Tab completes; `local` names stay defined; Ctrl-C cancels a call; Ctrl-D exits.";

/// Runs the prompt on `lua` until Ctrl-D ([`End::Done`]), a terminal
/// failure ([`End::Failed`]) or SIGTERM/SIGHUP ([`End::Signal`]); the caller
/// finishes the program with that. `os.exit(n)` in a line ends the process
/// at once.
///
/// Call it inside a tokio runtime with signals enabled (`enable_all`); on a
/// current-thread runtime, inside a `LocalSet` if the Lua state spawns
/// local tasks.
pub async fn run(lua: &Lua, opts: ReplOptions, signals: &mut Signals) -> End {
    let mut editor = match LineEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot open the prompt: {e}");
            return End::Failed(1);
        }
    };
    // Lines piped in (`-i` without a terminal) are not worth remembering.
    let history = opts
        .history_path
        .or_else(default_history_path)
        .filter(|_| std::io::stdin().is_terminal())
        .filter(|p| history::prepare(p));
    if let Some(path) = history.as_deref().filter(|p| p.exists()) {
        if let Err(e) = editor.lock().load_history(path) {
            eprintln!("history not loaded from {}: {e}", path.display());
        }
    }
    let mut evaluator = match Evaluator::new(lua) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!(
                "cannot start the prompt: {}",
                printer::error_text(&Value::Error(Box::new(e)))
            );
            return End::Failed(1);
        }
    };
    if !opts.banner.is_empty() {
        println!("{}", opts.banner);
    }
    println!("{HINT}");

    let terminal = TerminalMode::save();
    let end = loop {
        let chunk = match read_chunk(&mut editor, lua, signals).await {
            Ok(Ok(Some(chunk))) => chunk,
            // Ctrl-C at the prompt: drop what was typed.
            Ok(Ok(None)) => continue,
            Ok(Err(ReadlineError::Eof)) => break End::Done,
            Ok(Err(e)) => {
                eprintln!("cannot read the terminal: {e}");
                break End::Failed(1);
            }
            Err(sig) => {
                // The editor's thread still holds the terminal in raw mode.
                terminal.restore();
                break End::Signal(sig);
            }
        };
        if chunk.trim().is_empty() {
            continue;
        }
        // Saved before running: `os.exit` in the line must not lose it.
        {
            let mut locked = editor.lock();
            if locked.add_history_entry(chunk.as_str()).unwrap_or(false) {
                if let Some(path) = &history {
                    if let Err(e) = locked.append_history(path) {
                        eprintln!("history not saved to {}: {e}", path.display());
                    }
                }
            }
        }
        if let Some(sig) = evaluator.eval(&chunk, signals).await {
            break End::Signal(sig);
        }
    };
    end
}

/// The terminal's mode between lines, put back when a signal ends the
/// session while the editor (in raw mode) waits for a key.
struct TerminalMode(Option<libc::termios>);

impl TerminalMode {
    fn save() -> Self {
        // SAFETY: tcgetattr fills the zeroed struct we own.
        unsafe {
            let mut mode: libc::termios = std::mem::zeroed();
            let saved = libc::tcgetattr(libc::STDIN_FILENO, &mut mode) == 0;
            TerminalMode(saved.then_some(mode))
        }
    }

    fn restore(&self) {
        if let Some(mode) = &self.0 {
            // SAFETY: sets the terminal back to a mode it had.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, mode);
            }
        }
    }
}

/// The rustyline editor, used from a thread of its own; its helper asks the
/// Lua state for completions through `completions`.
struct LineEditor {
    editor: Arc<Mutex<Editor<LuaHelper, FileHistory>>>,
    completions: async_mpsc::UnboundedReceiver<Completion>,
    /// Prints above the prompt; `None` where the editor has no terminal.
    output: Option<Rc<RefCell<PromptOutput>>>,
}

/// Text written while the prompt waits, handed to the editor a whole line at
/// a time (it ends what it prints with a newline).
struct PromptOutput {
    printer: Box<dyn ExternalPrinter>,
    partial: String,
}

impl PromptOutput {
    fn write(&mut self, text: &str) {
        self.partial.push_str(text);
        if let Some(end) = self.partial.rfind('\n') {
            let lines: String = self.partial.drain(..=end).collect();
            if self.printer.print(lines.clone()).is_err() {
                print_now(&lines);
            }
        }
    }

    /// What is left of a line, once the prompt is gone.
    fn flush(&mut self) {
        if !self.partial.is_empty() {
            print_now(&std::mem::take(&mut self.partial));
        }
    }
}

fn print_now(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Sends Lua's output to the editor while it lives (the prompt waits).
struct Redirected {
    table: Option<Table>,
    output: Option<Rc<RefCell<PromptOutput>>>,
}

impl Drop for Redirected {
    fn drop(&mut self) {
        if let Some(table) = &self.table {
            let _ = table.raw_set("redirect", Value::Nil);
        }
        if let Some(output) = &self.output {
            output.borrow_mut().flush();
        }
    }
}

/// A completion asked by the editor's thread, answered on the runtime's.
struct Completion {
    line: String,
    pos: usize,
    answer: mpsc::Sender<(usize, Vec<String>)>,
}

impl LineEditor {
    fn new() -> rustyline::Result<Self> {
        let config = Config::builder()
            .max_history_size(1000)?
            .history_ignore_dups(true)?
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .build();
        let mut editor = Editor::with_config(config)?;
        let (ask, completions) = async_mpsc::unbounded_channel();
        editor.set_helper(Some(LuaHelper { ask }));
        let output = std::io::stdout()
            .is_terminal()
            .then(|| editor.create_external_printer().ok())
            .flatten()
            .map(|printer| {
                Rc::new(RefCell::new(PromptOutput {
                    printer: Box::new(printer),
                    partial: String::new(),
                }))
            });
        Ok(LineEditor {
            editor: Arc::new(Mutex::new(editor)),
            completions,
            output,
        })
    }

    /// Points the host's output at the editor until the guard is dropped.
    fn redirect(&self, lua: &Lua) -> Redirected {
        let none = Redirected {
            table: None,
            output: None,
        };
        let Some(output) = &self.output else {
            return none;
        };
        let Ok(table) = lua.named_registry_value::<Table>(OUTPUT_KEY) else {
            return none;
        };
        let target = output.clone();
        let redirect = lua.create_function(move |_, text: mlua::LuaString| {
            target.borrow_mut().write(&text.to_string_lossy());
            Ok(())
        });
        match redirect.and_then(|f| table.raw_set("redirect", f)) {
            Ok(()) => Redirected {
                table: Some(table),
                output: Some(output.clone()),
            },
            Err(_) => none,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Editor<LuaHelper, FileHistory>> {
        self.editor.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads a line on the editor's thread while this one goes on running
    /// tasks and answering completions; `Err(sig)` on SIGTERM or SIGHUP
    /// (the read is abandoned with the program).
    async fn readline(
        &mut self,
        lua: &Lua,
        prompt: &'static str,
        signals: &mut Signals,
    ) -> Result<rustyline::Result<String>, i32> {
        let (done, line) = oneshot::channel();
        let _redirected = self.redirect(lua);
        let editor = self.editor.clone();
        let spawned = std::thread::Builder::new()
            .name("readline".into())
            .spawn(move || {
                interrupt::keep_off_this_thread();
                let mut editor = editor.lock().unwrap_or_else(|e| e.into_inner());
                let _ = done.send(editor.readline(prompt));
            });
        if let Err(e) = spawned {
            return Ok(Err(ReadlineError::Io(e)));
        }
        tokio::pin!(line);
        loop {
            tokio::select! {
                read = &mut line => {
                    return Ok(read.unwrap_or(Err(ReadlineError::Eof)));
                }
                Some(ask) = self.completions.recv() => {
                    let _ = ask.answer.send(complete::complete(lua, &ask.line, ask.pos));
                }
                sig = signals.next() => {
                    if sig != interrupt::SIGINT {
                        return Err(sig);
                    }
                    // `kill -INT` at the prompt: nothing runs to cancel.
                    interrupt::clear_interrupt();
                }
            }
        }
    }
}

/// Reads one chunk, asking for more lines (on the secondary prompt) while
/// Lua says the input ends too early. `Ok(Ok(None))` on Ctrl-C.
///
/// rustyline 19 cannot draw a prompt on the continuation lines of one edit
/// buffer, so each line is read on its own and the chunk put together here.
async fn read_chunk(
    editor: &mut LineEditor,
    lua: &Lua,
    signals: &mut Signals,
) -> Result<rustyline::Result<Option<String>>, i32> {
    let mut chunk = String::new();
    loop {
        let prompt = if chunk.is_empty() {
            PROMPT
        } else {
            PROMPT_MORE
        };
        let line = match editor.readline(lua, prompt, signals).await? {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => return Ok(Ok(None)),
            Err(e) => return Ok(Err(e)),
        };
        if !chunk.is_empty() {
            chunk.push('\n');
        }
        chunk.push_str(&line);
        if chunk.trim().is_empty() || !is_incomplete(lua, &chunk) {
            return Ok(Ok(Some(chunk)));
        }
    }
}

/// `=expr` is the old `lua` shorthand for `return expr`.
fn expand_shorthand(src: &str) -> Cow<'_, str> {
    match src.strip_prefix('=') {
        Some(rest) => Cow::Owned(format!("return {rest}")),
        None => Cow::Borrowed(src),
    }
}

/// True when `src` is neither an expression nor a statement yet, but could
/// become one with more lines (an open `function`, `(`, long string...).
fn is_incomplete(lua: &Lua, src: &str) -> bool {
    let src = expand_shorthand(src);
    let incomplete = |r: mlua::Result<Function>| match r {
        Ok(_) => None,
        Err(mlua::Error::SyntaxError {
            incomplete_input, ..
        }) => Some(incomplete_input),
        Err(_) => Some(false),
    };
    // Either form may be the unfinished one: `{` only as an expression,
    // `for i = 1, 3 do` only as a statement.
    let expression = incomplete(lua.load(format!("return {src}")).into_function());
    let statement = incomplete(lua.load(src.as_ref()).into_function());
    match (expression, statement) {
        (None, _) | (_, None) => false,
        (Some(a), Some(b)) => a || b,
    }
}

/// Compiles and runs lines, and prints what they return or raise.
struct Evaluator {
    lua: Lua,
    /// `pcall` as it was at start, so the error value itself comes back
    /// (with no traceback), even if a line redefines the global.
    pcall: Function,
    /// Flushes Lua's `io.stdout`, so `io.write` output shows before ours.
    flush: Function,
    format: FormatOptions,
}

impl Evaluator {
    fn new(lua: &Lua) -> mlua::Result<Self> {
        let pcall = lua
            .load("local pcall = pcall return function(f) return pcall(f) end")
            .set_name("=repl")
            .eval()?;
        let flush = lua
            .load(
                "local out = io and io.stdout \
                 return function() if out then pcall(out.flush, out) end end",
            )
            .set_name("=repl")
            .eval()?;
        help::install(lua)?;
        Ok(Evaluator {
            lua: lua.clone(),
            pcall,
            flush,
            format: FormatOptions::default(),
        })
    }

    fn compile(&self, src: &str) -> mlua::Result<Function> {
        let src = expand_shorthand(src);
        let expression = self.lua.load(format!("return {src}")).set_name(CHUNK_NAME);
        let expression_err = match expression.into_function() {
            Ok(f) => return Ok(f),
            Err(e) => e,
        };
        let statement = self.lua.load(locals::globalize(&src)).set_name(CHUNK_NAME);
        statement.into_function().map_err(|e| {
            // When the very first token cannot start a statement the line
            // was meant as an expression: `1 +* 2` should blame the `*`.
            let first = lex::lex(&src).tokens.first().map(|t| t.text.to_string());
            match (&e, first) {
                (mlua::Error::SyntaxError { message, .. }, Some(first))
                    if message.ends_with(&format!("near '{first}'")) =>
                {
                    expression_err
                }
                _ => e,
            }
        })
    }

    /// Runs a line and prints its outcome; `Some(sig)` when a signal other
    /// than SIGINT came meanwhile and the session must end.
    async fn eval(&mut self, src: &str, signals: &mut Signals) -> Option<i32> {
        if let Some(what) = src.trim_start().strip_prefix('?') {
            println!(
                "{}",
                help::describe_text(&self.lua, &help::Reference::embedded(), what)
            );
            return None;
        }
        let function = match self.compile(src) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}", printer::error_text(&Value::Error(Box::new(e))));
                return None;
            }
        };
        interrupt::clear_interrupt();
        // A cancelled line's future is dropped here: a `containers.run` in it
        // cleans up in the background while the prompt is back.
        let outcome = signals
            .run(self.pcall.call_async::<MultiValue>(function))
            .await
            .ok();
        let _ = self.flush.call::<()>(());
        let pressed = match interrupt::pending() {
            None => false,
            Some(interrupt::SIGINT) => {
                interrupt::clear_interrupt();
                true
            }
            Some(sig) => return Some(sig),
        };
        // The terminal echoed `^C` where the cursor was: start a new line.
        let after_ctrl_c = if pressed { "\n" } else { "" };
        match outcome {
            None => eprintln!("{after_ctrl_c}interrupted"),
            Some(Err(e)) => eprintln!(
                "{after_ctrl_c}{}",
                printer::error_text(&Value::Error(Box::new(e)))
            ),
            Some(Ok(values)) => {
                let mut values = values.into_iter();
                let ok = matches!(values.next(), Some(Value::Boolean(true)));
                let rest: Vec<Value> = values.collect();
                if ok {
                    if !rest.is_empty() {
                        println!("{}", printer::format_results(&rest, &self.format));
                    }
                } else {
                    let err = rest.into_iter().next().unwrap_or(Value::Nil);
                    eprintln!("{after_ctrl_c}{}", printer::error_text(&err));
                }
            }
        }
        None
    }
}

/// Gives rustyline what it asks of the Lua state: completions, asked of
/// the runtime's thread (the Lua state cannot leave it).
struct LuaHelper {
    ask: async_mpsc::UnboundedSender<Completion>,
}

impl Completer for LuaHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let (answer, answered) = mpsc::channel();
        let asked = self.ask.send(Completion {
            line: line.to_owned(),
            pos,
            answer,
        });
        Ok(match asked {
            Ok(()) => answered.recv().unwrap_or((pos, Vec::new())),
            Err(_) => (pos, Vec::new()),
        })
    }
}

impl Hinter for LuaHelper {
    type Hint = String;
}

impl Highlighter for LuaHelper {}

impl Validator for LuaHelper {}

impl rustyline::Helper for LuaHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_chunks() {
        let lua = Lua::new();
        for src in [
            "function f()",
            "1 +",
            "do",
            "if x then",
            "f(",
            "t = {",
            "{",
            "for i = 1, 2 do",
            "s = [[",
            "x =",
            "--[[ c",
        ] {
            assert!(is_incomplete(&lua, src), "{src}");
        }
        for src in ["f)", "x = 'a\nb'", "1", "function f() end", "=1", "local x"] {
            assert!(!is_incomplete(&lua, src), "{src}");
        }
    }
}
