//! The `docker` Lua module. It turns Lua arguments into engine calls and
//! engine answers into Lua values; it knows nothing of HTTP.
//!
//! - [`client`]: client tables (`docker`, `docker.connect`, `docker.from_env`),
//!   made of the [`AREAS`] below, each registering itself; [`handle`]: a
//!   client's engine handle and what areas bind their functions with;
//! - [`containers`], [`images`], [`networks`], [`volumes`]: the collections
//!   and their live objects, on the shared [`resource`] model;
//!   [`build`]: image builds, save, load and registry data;
//!   [`swarm`], [`services`], [`nodes`], [`secrets`], [`configs`]: swarm mode;
//!   [`plugins`]: managed plugins;
//! - [`system`]: `ping`, `version`, `info`, `df`, `login`;
//! - [`watch`]: `events` (reconnecting when asked), `watch` and resuming logs;
//!   [`api`]: `docker.api` (raw requests); [`json`]: `docker.json`;
//! - [`fields`]: option tables to the engine's objects;
//! - [`tasks`]: `parallel`, `spawn`, `sleep`; [`lifecycle`]: a state's tasks,
//!   runs and clean-ups, and how a program using it ends;
//! - [`iter`]: streamed answers as `for` iterators; [`host`]: `net.probe`, `clock`;
//! - [`convert`]: JSON to Lua and back; [`args`]: checking arguments;
//! - [`error`]: the error objects scripts see; [`stdlib`]: embedded modules;
//! - [`paths`]: where `require` looks; [`warn`]: `warn()` as `lua` has it;
//! - [`progress`]: pull/push events handed to the front end's display;
//!   [`terminal`]: interactive sessions handed to the front end's terminal.

pub mod api;
pub mod args;
pub mod build;
pub mod client;
pub mod compose;
pub mod configs;
pub mod containers;
pub mod convert;
pub mod error;
pub mod fields;
pub mod glue;
pub mod handle;
pub mod host;
pub mod images;
pub mod iter;
pub mod json;
pub mod lazy;
pub mod lifecycle;
pub mod networks;
pub mod nodes;
pub mod paths;
pub mod plugins;
pub mod progress;
pub mod resource;
pub mod secrets;
pub mod services;
pub mod stdlib;
pub mod swarm;
pub mod system;
pub mod tasks;
pub mod terminal;
pub mod volumes;
pub mod warn;
pub mod watch;

use std::path::PathBuf;

use mlua::{Lua, LuaOptions, StdLib, Table, Value};

use crate::engine::host::HostChoice;
use crate::engine::WriteMode;

/// Every area of the `docker` module, each registering its members on a
/// client table (`docker`, and those of `connect`, `from_env`, `context`).
/// A new kind is its own module with a `register` (for a kind on the
/// resource model, `resource::register::<Kind>`), listed here with the keys
/// it registers (a test checks them).
pub const AREAS: &[handle::Area] = &[
    handle::Area {
        keys: &["containers"],
        register: containers::register,
    },
    handle::Area {
        keys: &["images"],
        register: images::register,
    },
    handle::Area {
        keys: &["swarm"],
        register: swarm::register,
    },
    handle::Area {
        keys: &["services"],
        register: services::register,
    },
    handle::Area {
        keys: &["nodes"],
        register: nodes::register,
    },
    handle::Area {
        keys: &["secrets"],
        register: secrets::register,
    },
    handle::Area {
        keys: &["configs"],
        register: configs::register,
    },
    handle::Area {
        keys: &["networks"],
        register: networks::register,
    },
    handle::Area {
        keys: &["volumes"],
        register: volumes::register,
    },
    handle::Area {
        keys: &["plugins"],
        register: plugins::register,
    },
    handle::Area {
        keys: &["ping", "version", "info", "login", "df"],
        register: system::register,
    },
    handle::Area {
        keys: &["events", "watch"],
        register: watch::register,
    },
    handle::Area {
        keys: &["api"],
        register: api::register,
    },
    handle::Area {
        keys: &["parallel", "spawn", "sleep"],
        register: tasks::register,
    },
    handle::Area {
        keys: &["clock", "isatty", "net"],
        register: host::register,
    },
    handle::Area {
        keys: &["json"],
        register: json::register,
    },
    handle::Area {
        keys: &["compose", "yaml"],
        register: compose::register,
    },
];

/// How to set up a Lua state.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-H`/`--context` from the command line.
    pub host: HostChoice,
    /// `--dry-run`/`--read-only`: for every client of the state.
    pub mode: WriteMode,
    /// Folders of users' Lua libraries (`--path`), searched before
    /// `DOCKERLUA_PATH` and Lua's own `package.path`.
    pub paths: Vec<PathBuf>,
    /// `-E`: ignore `LUA_PATH`, `LUA_CPATH` and `DOCKERLUA_PATH`.
    pub ignore_env: bool,
    /// The folder of the script being run, searched first among users'
    /// folders; `None` for `-e`, stdin and the prompt.
    pub script_folder: Option<PathBuf>,
}

/// A Lua 5.4 state with the standard libraries, the `docker` global (also
/// `require("docker")`), the embedded standard library and users' paths.
pub fn new_state(opts: &Options) -> mlua::Result<Lua> {
    // SAFETY: the `debug` library can break mlua's invariants only through
    // misuse of its low-level functions; scripts expect it as `lua` gives it
    // (`debug.traceback`), and we need `debug.getmetatable` for errors.
    let lua = unsafe { Lua::unsafe_new_with(StdLib::NONE, LuaOptions::default()) };
    // As `lua.c`: no collection while the state is built, where nothing is
    // garbage yet (the collector's steps were a tenth of an empty script).
    lua.gc_stop();
    lua.load_std_libs(StdLib::ALL_SAFE | StdLib::DEBUG)?;
    error::install(&lua)?;
    lifecycle::install(&lua);
    tasks::install(&lua)?;
    lua.set_app_data(handle::Settings {
        choice: opts.host.clone(),
        mode: opts.mode,
    });
    client::set_areas(&lua, AREAS)?;
    let handle = handle::Handle::from_env(opts.host.clone(), opts.mode);
    let docker = client::client_table(&lua, handle)?;
    lua.globals().raw_set("docker", &docker)?;
    let package: Table = lua.globals().get("package")?;
    let loaded: Table = package.get("loaded")?;
    loaded.raw_set("docker", &docker)?;
    let search = paths::SearchOptions {
        folders: opts
            .script_folder
            .iter()
            .chain(&opts.paths)
            .cloned()
            .collect(),
        ignore_env: opts.ignore_env,
    };
    paths::install(&lua, &package, &search, stdlib::searcher(&lua)?)?;
    warn::install(&lua);
    PRELUDE
        .load(&lua)
        .call::<()>(Value::LightUserData(Lua::poll_pending()))?;
    lua.gc_restart();
    Ok(lua)
}

/// The engine address the default client will use, without connecting.
pub fn describe_engine(opts: &Options) -> String {
    handle::Handle::from_env(opts.host.clone(), opts.mode).describe()
}

/// Lua-side set-up: docker calls work inside users' own coroutines.
const PRELUDE: glue::Glue = crate::glue!("lua", "prelude");
