//! dockerlua: script the Docker Engine API in Lua.
//!
//! The crate is three layers, one folder each; each knows only the one below:
//!
//! - [`engine`]: an Engine API client (hyper over a unix socket or TCP). It
//!   speaks HTTP and JSON and knows nothing of Lua.
//! - [`lua`]: the `docker` Lua module. It turns Lua arguments into engine
//!   calls and engine answers into Lua values; it knows nothing of HTTP.
//! - [`cli`] and [`repl`]: the command line and the interactive prompt. They
//!   only wire a Lua state with the `docker` module to scripts and terminals;
//!   [`term`] holds what they draw (pull and push progress).

pub mod cli;
pub mod engine;
pub mod lua;
pub mod repl;
pub mod term;
