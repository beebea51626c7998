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
//! - Ctrl-C cancels the running line (an engine call or a Lua loop), Ctrl-C
//!   at the prompt clears it, Ctrl-D exits.

mod complete;
pub mod help;
mod history;
mod interrupt;
mod lex;
mod locals;
mod printer;

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::PathBuf;

use mlua::{Function, Lua, MultiValue, Value};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor};

pub use history::default_history_path;
pub use printer::{format_value, format_values, FormatOptions};

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

/// Runs the prompt on `lua` until Ctrl-D and returns the exit status: 0, or
/// 1 if the terminal fails. `os.exit(n)` in a line ends the process at once.
///
/// Call it inside a tokio runtime with signals enabled (`enable_all`); on a
/// current-thread runtime, wrap it in a `LocalSet` if the Lua state spawns
/// local tasks. Reading a line blocks the thread, so other tasks only run
/// while a line is being evaluated.
pub async fn run(lua: &Lua, opts: ReplOptions) -> i32 {
    let mut editor = match new_editor(lua) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot open the prompt: {e}");
            return 1;
        }
    };
    // Lines piped in (`-i` without a terminal) are not worth remembering.
    let history = opts
        .history_path
        .or_else(default_history_path)
        .filter(|_| std::io::stdin().is_terminal())
        .filter(|p| history::prepare(p));
    if let Some(path) = history.as_deref().filter(|p| p.exists()) {
        if let Err(e) = editor.load_history(path) {
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
            return 1;
        }
    };
    if !opts.banner.is_empty() {
        println!("{}", opts.banner);
    }
    println!("{HINT}");

    let status = loop {
        let chunk = match read_chunk(&mut editor, lua) {
            Ok(Some(chunk)) => chunk,
            // Ctrl-C at the prompt: drop what was typed.
            Ok(None) => continue,
            Err(ReadlineError::Eof) => break 0,
            Err(e) => {
                eprintln!("cannot read the terminal: {e}");
                break 1;
            }
        };
        if chunk.trim().is_empty() {
            continue;
        }
        // Saved before running: `os.exit` in the line must not lose it.
        if editor.add_history_entry(chunk.as_str()).unwrap_or(false) {
            if let Some(path) = &history {
                if let Err(e) = editor.append_history(path) {
                    eprintln!("history not saved to {}: {e}", path.display());
                }
            }
        }
        evaluator.eval(&chunk).await;
    };
    interrupt::uninstall(lua);
    status
}

fn new_editor(lua: &Lua) -> rustyline::Result<Editor<LuaHelper, FileHistory>> {
    let config = Config::builder()
        .max_history_size(1000)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(LuaHelper { lua: lua.clone() }));
    Ok(editor)
}

/// Reads one chunk, asking for more lines (on the secondary prompt) while
/// Lua says the input ends too early. `Ok(None)` on Ctrl-C.
///
/// rustyline 19 cannot draw a prompt on the continuation lines of one edit
/// buffer, so each line is read on its own and the chunk put together here.
fn read_chunk(
    editor: &mut Editor<LuaHelper, FileHistory>,
    lua: &Lua,
) -> rustyline::Result<Option<String>> {
    let mut chunk = String::new();
    loop {
        let prompt = if chunk.is_empty() {
            PROMPT
        } else {
            PROMPT_MORE
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !chunk.is_empty() {
            chunk.push('\n');
        }
        chunk.push_str(&line);
        if chunk.trim().is_empty() || !is_incomplete(lua, &chunk) {
            return Ok(Some(chunk));
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
    interrupt: interrupt::Interrupt,
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
            interrupt: interrupt::Interrupt::install(lua)?,
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

    async fn eval(&mut self, src: &str) {
        if let Some(what) = src.trim_start().strip_prefix('?') {
            println!(
                "{}",
                help::describe_text(&self.lua, &help::Reference::embedded(), what)
            );
            return;
        }
        let function = match self.compile(src) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}", printer::error_text(&Value::Error(Box::new(e))));
                return;
            }
        };
        let (outcome, pressed) = self
            .interrupt
            .run(self.pcall.call_async::<MultiValue>(function))
            .await;
        let _ = self.flush.call::<()>(());
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
    }
}

/// Gives rustyline what it asks of the Lua state: completions.
struct LuaHelper {
    lua: Lua,
}

impl Completer for LuaHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete::complete(&self.lua, line, pos))
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
