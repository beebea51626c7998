//! The `dockerlua` command line: the stock `lua` interpreter's habits
//! (`-e`, `-l`, `-i`, `-`, `arg`) plus the docker CLI's `-H`/`--context`.
//! It only wires a Lua state from [`crate::lua`] to scripts and the REPL.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};
use mlua::{Function, Lua, MultiValue, Value};

use crate::engine::config::HostChoice;
use crate::lua::{self, error};
use crate::repl;

mod flags;

/// Run Lua scripts against the Docker Engine API.
#[derive(Parser, Debug)]
#[command(
    name = "dockerlua",
    version,
    about,
    long_about = None,
    override_usage = "dockerlua [OPTIONS] [SCRIPT [ARGS]...]"
)]
struct Args {
    /// Run CODE (repeatable; in order, before SCRIPT)
    #[arg(short = 'e', value_name = "CODE", action = ArgAction::Append)]
    execute: Vec<String>,

    /// Require MODULE into the global of that name (NAME=MODULE to choose it)
    #[arg(short = 'l', value_name = "MODULE", action = ArgAction::Append)]
    require: Vec<String>,

    /// Open the interactive prompt after SCRIPT and -e
    #[arg(short = 'i')]
    interactive: bool,

    /// Show the version of dockerlua and Lua
    #[arg(short = 'v')]
    show_version: bool,

    /// Ignore environment variables (LUA_INIT, LUA_PATH, LUA_CPATH, DOCKERLUA_PATH)
    #[arg(short = 'E')]
    ignore_env: bool,

    /// Turn warnings on
    #[arg(short = 'W', action = ArgAction::Count)]
    warnings: u8,

    /// The engine to use (unix:///path, tcp://host:port, https://host:port)
    #[arg(short = 'H', long = "host", value_name = "URL")]
    host: Option<String>,

    /// The docker context to use
    #[arg(long, value_name = "NAME")]
    context: Option<String>,

    /// A folder of Lua libraries for require (repeatable; before DOCKERLUA_PATH)
    #[arg(long = "path", value_name = "DIR", action = ArgAction::Append)]
    paths: Vec<PathBuf>,

    /// Print the LuaLS definitions of the docker module and stdlib, and exit
    #[arg(long = "print-types")]
    print_types: bool,

    /// Write the LuaLS definitions (one file per module) into DIR, and exit
    #[arg(long = "write-types", value_name = "DIR")]
    write_types: Option<PathBuf>,

    /// Print a completion script for SHELL, and exit
    #[arg(long, value_name = "SHELL")]
    completions: Option<clap_complete::Shell>,

    /// Print the man page (roff), and exit
    #[arg(long)]
    man: bool,

    /// The script to run ('-' reads it from stdin), then its arguments
    #[arg(
        value_name = "SCRIPT",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    script: Vec<String>,
}

/// A `-e` or `-l`, in command-line order.
enum Step {
    Execute(String),
    Require(String),
    /// `-W`: turn warnings on here.
    Warnings,
}

pub fn main() -> i32 {
    crate::term::progress::install();
    let mut cmd = Args::command();
    cmd.build();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (options, script) = match flags::split(&cmd, &argv) {
        Ok(split) => split,
        Err(bad) => {
            flags::print_usage(&cmd, &bad);
            return 1;
        }
    };
    let matches = match cmd
        .clone()
        .try_get_matches_from(std::iter::once("dockerlua".to_owned()).chain(options))
    {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let mut args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return 1;
        }
    };
    args.script = script;
    if let Some(shell) = args.completions {
        flags::completions(&mut cmd, shell);
        return 0;
    }
    if args.man {
        return match flags::man(cmd) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("dockerlua: {e}");
                1
            }
        };
    }
    // As `lua`: -v prints the version first (-i's banner says it too).
    if args.show_version {
        println!("{}", flags::version_line());
    }
    let mut steps: Vec<(usize, Step)> = Vec::new();
    if let Some(indices) = matches.indices_of("execute") {
        steps.extend(indices.zip(args.execute.iter().cloned().map(Step::Execute)));
    }
    if let Some(indices) = matches.indices_of("require") {
        steps.extend(indices.zip(args.require.iter().cloned().map(Step::Require)));
    }
    if let Some(indices) = matches.indices_of("warnings") {
        steps.extend(indices.map(|i| (i, Step::Warnings)));
    }
    steps.sort_by_key(|(i, _)| *i);
    let steps = steps.into_iter().map(|(_, s)| s).collect();

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dockerlua: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, run(args, steps))
}

async fn run(args: Args, steps: Vec<Step>) -> i32 {
    if args.print_types {
        print!("{}", flags::all_types());
        return 0;
    }
    if let Some(dir) = &args.write_types {
        return match flags::write_types(dir) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!(
                    "dockerlua: cannot write the types into {}: {e}",
                    dir.display()
                );
                1
            }
        };
    }
    let opts = lua::Options {
        host: HostChoice {
            host: args.host.clone(),
            context: args.context.clone(),
        },
        paths: args.paths.clone(),
        ignore_env: args.ignore_env,
    };
    let lua = match lua::new_state(&opts) {
        Ok(lua) => lua,
        Err(e) => {
            eprintln!("dockerlua: {}", error::one_line(&e));
            return 1;
        }
    };
    let (script, script_args) = match args.script.split_first() {
        Some((script, rest)) => (Some(script.clone()), rest.to_vec()),
        None => (None, Vec::new()),
    };
    if let Err(e) = set_arg_table(&lua, script.as_deref(), &script_args) {
        eprintln!("dockerlua: {}", error::one_line(&e));
        return 1;
    }

    if !args.ignore_env {
        match flags::lua_init() {
            None => {}
            Some(Ok((name, code))) => {
                if let Some(status) = run_chunk(&lua, &code, &name, MultiValue::new()).await {
                    return status;
                }
            }
            Some(Err(message)) => {
                eprintln!("dockerlua: {message}");
                return 1;
            }
        }
    }

    for step in steps {
        let (name, code) = match step {
            Step::Warnings => {
                lua.warning("@on", false);
                continue;
            }
            Step::Execute(code) => ("=(command line)".to_owned(), code),
            Step::Require(spec) => {
                let (global, module) = spec.split_once('=').unwrap_or((&spec, &spec));
                (
                    format!("=(-l {spec})"),
                    format!("{global} = require({module:?})"),
                )
            }
        };
        if let Some(status) = run_chunk(&lua, code.as_bytes(), &name, MultiValue::new()).await {
            return status;
        }
    }

    let stdin_terminal = std::io::stdin().is_terminal();
    // As `lua`: -v alone is a complete command, it does not read stdin.
    let no_code = args.execute.is_empty() && args.require.is_empty() && !args.show_version;
    let script = match script {
        Some(s) => Some(s),
        // `dockerlua < script.lua` and `echo code | dockerlua`.
        None if no_code && !args.interactive && !stdin_terminal => Some("-".to_owned()),
        None => None,
    };
    if let Some(path) = script {
        let (name, source) = match read_script(&path) {
            Ok(found) => found,
            Err(message) => {
                eprintln!("dockerlua: {message}");
                return 1;
            }
        };
        let script_args = script_args
            .iter()
            .map(|a| lua.create_string(a).map(Value::String))
            .collect::<mlua::Result<MultiValue>>();
        let script_args = match script_args {
            Ok(a) => a,
            Err(e) => {
                eprintln!("dockerlua: {}", error::one_line(&e));
                return 1;
            }
        };
        if let Some(status) = run_chunk(&lua, &source, &name, script_args).await {
            return status;
        }
    }

    if args.interactive || (no_code && args.script.is_empty() && stdin_terminal) {
        let banner = format!(
            "dockerlua {} ({}) -- engine {}",
            env!("CARGO_PKG_VERSION"),
            lua_version(&lua),
            lua::describe_engine(&opts)
        );
        return repl::run(
            &lua,
            repl::ReplOptions {
                banner,
                history_path: None,
            },
        )
        .await;
    }
    finish_tasks(&lua).await
}

/// The end of a script: its spawned tasks finish first; a failure nobody
/// joined is reported and makes the exit status 1.
async fn finish_tasks(lua: &Lua) -> i32 {
    let failures = tokio::select! {
        f = lua::tasks::finish_spawned() => f,
        _ = tokio::signal::ctrl_c() => return interrupted(lua).await,
    };
    for failure in &failures {
        eprintln!("dockerlua: a task failed: {}", error::one_line(failure));
    }
    if failures.is_empty() {
        0
    } else {
        1
    }
}

fn lua_version(lua: &Lua) -> String {
    lua.globals()
        .get::<String>("_VERSION")
        .unwrap_or_else(|_| "Lua".to_owned())
}

/// `arg` as `lua` sets it: `arg[0]` the script, `arg[1..n]` its arguments,
/// `arg[-1]` the interpreter.
fn set_arg_table(lua: &Lua, script: Option<&str>, args: &[String]) -> mlua::Result<()> {
    let table = lua.create_table()?;
    table.raw_set(
        -1,
        std::env::args()
            .next()
            .unwrap_or_else(|| "dockerlua".into()),
    )?;
    if let Some(script) = script {
        table.raw_set(0, script)?;
    }
    for (i, a) in args.iter().enumerate() {
        table.raw_set(i + 1, lua.create_string(a)?)?;
    }
    lua.globals().raw_set("arg", table)
}

/// The chunk name and source of a script; a `#!` first line is skipped (its
/// newline kept so line numbers stay right).
fn read_script(path: &str) -> Result<(String, Vec<u8>), String> {
    let (name, mut source) = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        ("=stdin".to_owned(), buf)
    } else {
        let buf = std::fs::read(path).map_err(|e| format!("cannot open '{path}': {e}"))?;
        (format!("@{path}"), buf)
    };
    if source.starts_with(b"#") {
        let end = source
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(source.len());
        source.drain(..end);
    }
    Ok((name, source))
}

/// Message handler: keeps the error value and adds the traceback where the
/// error happened, before the stack unwinds.
const RUNNER: &str = r#"
local f = ...
return function(...)
  local traceback
  local function handler(e)
    traceback = debug.traceback(nil, 2)
    return e
  end
  local ok, err = xpcall(f, handler, ...)
  if ok then return true end
  return false, err, traceback
end
"#;

/// Ctrl-C: the cancelled call's future is gone; its clean-up (a run's
/// container killed or removed) runs before the exit status 130.
async fn interrupted(lua: &Lua) -> i32 {
    eprintln!("dockerlua: interrupted");
    lua.gc_collect().ok();
    lua::containers::finish_cleanups().await;
    130
}

/// Runs one chunk; `Some(status)` when the program must stop with it.
async fn run_chunk(lua: &Lua, source: &[u8], name: &str, args: MultiValue) -> Option<i32> {
    let outcome = async {
        let function = lua.load(source).set_name(name).into_function()?;
        let runner: Function = lua.load(RUNNER).set_name("=dockerlua").call(function)?;
        runner
            .call_async::<(bool, Value, Option<String>)>(args)
            .await
    };
    let result = tokio::select! {
        r = outcome => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    let Some(result) = result else {
        return Some(interrupted(lua).await);
    };
    match result {
        Ok((true, _, _)) => None,
        Ok((false, err, traceback)) => {
            eprintln!("dockerlua: {}", describe(&err));
            if let Some(tb) = traceback {
                eprintln!("{}", clean_traceback(&tb));
            }
            Some(1)
        }
        // A syntax error, or an error outside the script's own code.
        Err(e) => {
            eprintln!("dockerlua: {}", error::one_line(&e));
            Some(1)
        }
    }
}

/// One line for any error value a script raised.
pub fn describe(err: &Value) -> String {
    match err {
        Value::Error(e) => error::one_line(e),
        Value::String(s) => s.to_string_lossy(),
        Value::Nil => "nil".to_owned(),
        other => match other.to_string() {
            Ok(text) => text,
            Err(_) => format!("(error object is a {} value)", other.type_name()),
        },
    }
}

/// The traceback without the frames of our own machinery (mlua's async
/// polling and the runner's `xpcall`).
fn clean_traceback(traceback: &str) -> String {
    traceback
        .lines()
        .take_while(|line| !line.contains("in function 'xpcall'"))
        .filter(|line| !line.contains("__mlua_async_poll") && !line.contains("in local 'poll'"))
        .collect::<Vec<_>>()
        .join("\n")
}
