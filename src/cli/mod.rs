//! The `dockerlua` command line: the stock `lua` interpreter's habits
//! (`-e`, `-l`, `-i`, `-`, `arg`) plus the docker CLI's `-H`/`--context`,
//! and `--dry-run`/`--read-only` for every engine the script reaches.
//! It only wires a Lua state from [`crate::lua`] to scripts and the REPL.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};
use mlua::{Function, Lua, MultiValue, Value};

use crate::engine::host::HostChoice;
use crate::engine::WriteMode;
use crate::glue;
use crate::lua::glue::Glue;
use crate::lua::lifecycle::{self, End};
use crate::lua::{self, error};
use crate::repl;
use crate::repl::interrupt::{self, Signals};

mod editor;
mod flags;

/// Run Lua scripts against the Docker Engine API.
#[derive(Parser, Debug)]
#[command(
    name = "dockerlua",
    version = flags::VERSION,
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

    /// The engine to use (unix:///path, tcp://host:port, https://host:port, ssh://[user@]host[:port])
    #[arg(short = 'H', long = "host", value_name = "URL")]
    host: Option<String>,

    /// The docker context to use
    #[arg(long, value_name = "NAME", conflicts_with = "host")]
    context: Option<String>,

    /// Print every request that would change an engine instead of sending it
    #[arg(long = "dry-run", conflicts_with = "read_only")]
    dry_run: bool,

    /// Refuse every request that would change an engine (ReadOnly errors)
    #[arg(long = "read-only")]
    read_only: bool,

    /// A folder of Lua libraries for require (repeatable; before DOCKERLUA_PATH)
    #[arg(long = "path", value_name = "DIR", action = ArgAction::Append)]
    paths: Vec<PathBuf>,

    /// Print the LuaLS definitions of the docker module and stdlib, and exit
    #[arg(long = "print-types")]
    print_types: bool,

    /// Write the LuaLS definitions (one file per module) into DIR, and exit
    #[arg(long = "write-types", value_name = "DIR")]
    write_types: Option<PathBuf>,

    /// Set up editor support in DIR (default: here): the LuaLS definitions and a .luarc.json, and exit
    #[arg(long = "init-editor", value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    init_editor: Option<PathBuf>,

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
    // First: a signal from now on ends the program through its clean-ups.
    interrupt::install_handlers();
    crate::term::progress::install();
    crate::term::session::install();
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
        .try_get_matches_from_mut(std::iter::once("dockerlua".to_owned()).chain(options))
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
        .on_thread_start(interrupt::keep_off_this_thread)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dockerlua: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let mut signals = Signals::new();
        run(args, steps, &mut signals).await
    })
}

async fn run(args: Args, steps: Vec<Step>, signals: &mut Signals) -> i32 {
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
    if let Some(dir) = &args.init_editor {
        return match editor::init(dir) {
            Ok(done) => {
                for line in done {
                    println!("{line}");
                }
                0
            }
            Err(message) => {
                eprintln!("dockerlua: {message}");
                1
            }
        };
    }
    let lua = match lua::new_state(&engine_options(&args)) {
        Ok(lua) => lua,
        Err(e) => {
            eprintln!("dockerlua: {}", error::one_line(&e));
            return 1;
        }
    };
    if let Err(e) = prepare(&lua) {
        eprintln!("dockerlua: {}", error::one_line(&e));
        return 1;
    }
    let end = run_code(&lua, &args, steps, signals).await;
    finish(&lua, end, signals).await
}

/// The host's part of a Lua state: tasks run on our `LocalSet`, signals
/// interrupt Lua code, and `print` ends the program on a closed pipe.
fn prepare(lua: &Lua) -> mlua::Result<()> {
    lifecycle::set_spawner(lua, std::rc::Rc::new(tokio::task::spawn_local));
    interrupt::watch(lua)?;
    let broken_pipe = lua.create_function(|_, ()| -> mlua::Result<()> {
        interrupt::record(interrupt::SIGPIPE);
        Err(mlua::Error::runtime("broken pipe"))
    })?;
    let check = lua.create_function(|_, ()| match interrupt::pending() {
        Some(_) => Err(mlua::Error::runtime("interrupted")),
        None => Ok(()),
    })?;
    let prompt_output = lua.create_table()?;
    lua.set_named_registry_value(repl::OUTPUT_KEY, &prompt_output)?;
    // SAFETY: `lost_to_closed_pipe` is a C function of the Lua API's shape.
    let lost = unsafe { lua.create_c_function(lost_to_closed_pipe)? };
    HOST_IO
        .load(lua)
        .call::<()>((broken_pipe, check, prompt_output, lost))
}

/// `lost(file)`: whether a write to a line-buffered `file` that reported
/// success lost its line to a closed pipe. A line-buffered stream flushes
/// inside `fwrite`, which still returns the full count when that flush
/// fails (and drops the buffer, so a later `flush` succeeds): only the
/// stream's error flag, with `errno` from the failed write, tells.
unsafe extern "C-unwind" fn lost_to_closed_pipe(
    state: *mut mlua::ffi::lua_State,
) -> std::ffi::c_int {
    // SAFETY: Lua calls this with a valid state; a `FILE*` userdata is a
    // `luaL_Stream`, whose first field is the stream (null once closed).
    unsafe {
        let errno = *libc::__errno_location();
        let stream =
            mlua::ffi::luaL_testudata(state, 1, c"FILE*".as_ptr()).cast::<*mut libc::FILE>();
        let lost = !stream.is_null()
            && !(*stream).is_null()
            && libc::ferror(*stream) != 0
            && errno == libc::EPIPE;
        mlua::ffi::lua_pushboolean(state, std::ffi::c_int::from(lost));
        1
    }
}

/// `print` as Lua's own (tab-separated `tostring`s, a newline, a flush),
/// written through `io.stdout` so that a closed pipe is seen: then the
/// program ends as `lua` does when SIGPIPE kills it (status 141), where
/// Lua's `print` would ignore the error and go on forever. `io.write`,
/// `file:write`, `io.flush` and `file:flush` end it the same way, also on a
/// stream made line-buffered with `setvbuf("line")`. While the prompt waits, what goes to
/// stdout and stderr is handed to `prompt.redirect` (see [`repl::OUTPUT_KEY`]).
///
/// `io.read` and `file:read`, which a signal cuts short, raise at once
/// rather than hand the script a `nil` before the hook notices; a signal
/// that came just before does not let them block.
const HOST_IO: Glue = glue!("cli", "io");

/// Runs the `-e`/`-l` steps, the script and the prompt, as asked.
async fn run_code(lua: &Lua, args: &Args, steps: Vec<Step>, signals: &mut Signals) -> End {
    let (script, script_args) = match args.script.split_first() {
        Some((script, rest)) => (Some(script.clone()), rest.to_vec()),
        None => (None, Vec::new()),
    };
    if let Err(e) = set_arg_table(lua, script.as_deref(), &script_args) {
        eprintln!("dockerlua: {}", error::one_line(&e));
        return End::Failed(1);
    }

    if !args.ignore_env {
        match flags::lua_init() {
            None => {}
            Some(Ok((name, code))) => {
                if let Some(end) = run_chunk(lua, signals, &code, &name, MultiValue::new()).await {
                    return end;
                }
            }
            Some(Err(message)) => {
                eprintln!("dockerlua: {message}");
                return End::Failed(1);
            }
        }
    }

    for step in steps {
        let (name, code, chunk_args) = match step {
            Step::Warnings => {
                lua.warning("@on", false);
                continue;
            }
            Step::Execute(code) => ("=(command line)".to_owned(), code, MultiValue::new()),
            Step::Require(spec) => {
                let (global, module) = library_names(&spec);
                let names = [global, module]
                    .iter()
                    .map(|n| lua.create_string(n).map(Value::String))
                    .collect::<mlua::Result<MultiValue>>();
                let Ok(names) = names else {
                    return End::Failed(1);
                };
                (format!("=(-l {spec})"), REQUIRE.to_owned(), names)
            }
        };
        if let Some(end) = run_chunk(lua, signals, code.as_bytes(), &name, chunk_args).await {
            return end;
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
                return End::Failed(1);
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
                return End::Failed(1);
            }
        };
        if let Some(end) = run_chunk(lua, signals, &source, &name, script_args).await {
            return end;
        }
    }

    if args.interactive || (no_code && args.script.is_empty() && stdin_terminal) {
        let opts = engine_options(args);
        let mode = match opts.mode {
            WriteMode::Normal => "",
            WriteMode::DryRun => " (dry run: changes are printed, not made)",
            WriteMode::ReadOnly => " (read-only)",
        };
        let banner = format!(
            "dockerlua {} ({}) -- engine {}{mode}",
            env!("CARGO_PKG_VERSION"),
            lua_version(lua),
            lua::describe_engine(&opts)
        );
        return repl::run(
            lua,
            repl::ReplOptions {
                banner,
                history_path: None,
            },
            signals,
        )
        .await;
    }
    End::Done
}

/// `-l GLOBAL=MODULE`, or `-l MODULE` into the global of its whole name, as
/// `lua.c` does: `-l ops.deploy` sets `_G["ops.deploy"]` (not `ops.deploy`,
/// which would need `ops`), and `-l mod-v2` sets `mod` (the text after `-`
/// is a version mark, Lua 5.4.6 and later).
fn library_names(spec: &str) -> (&str, &str) {
    match spec.split_once('=') {
        Some((global, module)) => (global, module),
        None => (spec.split_once('-').map_or(spec, |(g, _)| g), spec),
    }
}

/// A `-l`: the global set in the globals table, as `lua_setglobal` does;
/// `require` called from C (`pcall`), so that its error names no chunk line.
const REQUIRE: &str = "local global, module = ... \
    local ok, value = pcall(require, module) \
    if not ok then error(value, 0) end \
    _ENV[global] = value";

fn engine_options(args: &Args) -> lua::Options {
    lua::Options {
        host: HostChoice {
            host: args.host.clone(),
            context: args.context.clone(),
        },
        mode: if args.dry_run {
            WriteMode::DryRun
        } else if args.read_only {
            WriteMode::ReadOnly
        } else {
            WriteMode::Normal
        },
        paths: args.paths.clone(),
        ignore_env: args.ignore_env,
        script_folder: script_folder(args.script.first()),
    }
}

/// The folder of the script (its real one when it is a symbolic link, as
/// Python does for `sys.path[0]`): a team's modules beside their scripts
/// load without `--path`.
fn script_folder(script: Option<&String>) -> Option<PathBuf> {
    let script = script.filter(|s| *s != "-")?;
    let real = std::fs::canonicalize(script).ok()?;
    real.parent().map(PathBuf::from)
}

/// The one end of every program, after scripts and after the prompt: on a
/// normal end the spawned tasks finish first (a failure nobody joined is
/// reported and makes the status 1); on an error or a signal, tasks are
/// stopped and the containers of runs under way killed (or removed with
/// `remove = true`) before the status (128 + the signal for a signal).
async fn finish(lua: &Lua, end: End, signals: &mut Signals) -> i32 {
    let end = match end {
        End::Done => match signals.run(lifecycle::wait(lua)).await {
            Ok(failures) => {
                for failure in &failures {
                    eprintln!("dockerlua: a task failed: {}", error::one_line(failure));
                }
                return i32::from(!failures.is_empty());
            }
            Err(sig) => End::Signal(sig),
        },
        other => other,
    };
    interrupt::unwatch(lua);
    match end {
        End::Done => 0,
        End::Failed(status) => {
            cancel(lua, signals).await;
            status
        }
        End::Signal(sig) => {
            match sig {
                interrupt::SIGINT => eprintln!("dockerlua: interrupted"),
                interrupt::SIGTERM => eprintln!("dockerlua: terminated"),
                interrupt::SIGHUP => eprintln!("dockerlua: hangup"),
                _ => {}
            }
            cancel(lua, signals).await;
            interrupt::exit_status(sig)
        }
    }
}

/// [`lifecycle::cancel`], which a signal (another one, after a first that
/// ended the program) cuts short: the program then ends at once, saying
/// which containers it leaves behind.
async fn cancel(lua: &Lua, signals: &mut Signals) {
    let seen = interrupt::count();
    if signals
        .run_until_another(seen, lifecycle::cancel(lua))
        .await
        .is_none()
    {
        let left = lifecycle::unfinished(lua);
        let short: Vec<&str> = left.iter().map(|id| &id[..id.len().min(12)]).collect();
        if short.is_empty() {
            eprintln!("dockerlua: clean-up abandoned");
        } else {
            eprintln!(
                "dockerlua: clean-up abandoned: left behind: container(s) {}",
                short.join(", ")
            );
        }
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
const RUNNER: Glue = glue!("cli", "runner");

/// Runs one chunk; `Some(end)` when the program must stop.
async fn run_chunk(
    lua: &Lua,
    signals: &mut Signals,
    source: &[u8],
    name: &str,
    args: MultiValue,
) -> Option<End> {
    let outcome = async {
        let function = lua.load(source).set_name(name).into_function()?;
        let runner: Function = RUNNER.load(lua).call(function)?;
        runner
            .call_async::<(bool, Value, Option<String>)>(args)
            .await
    };
    let result = match signals.run(outcome).await {
        Ok(result) => result,
        Err(sig) => return Some(End::Signal(sig)),
    };
    // The hook raised in Lua code, or a blocking read returned early.
    if let Some(sig) = interrupt::pending() {
        return Some(End::Signal(sig));
    }
    match result {
        Ok((true, _, _)) => None,
        Ok((false, err, traceback)) => {
            eprintln!("dockerlua: {}", describe(&err));
            if let Some(tb) = traceback {
                eprintln!("{}", clean_traceback(&tb));
            }
            Some(End::Failed(1))
        }
        // A syntax error, or an error outside the script's own code.
        Err(e) => {
            eprintln!("dockerlua: {}", error::one_line(&e));
            Some(End::Failed(1))
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
        .filter(|line| {
            ![
                "__mlua_async_poll",
                "in local 'poll'",
                "'get_future'",
                "dockerlua.lazy",
                "dockerlua.stdlib",
            ]
            .iter()
            .any(|internal| line.contains(internal))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
