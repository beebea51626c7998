//! The interactive prompt.

use std::path::PathBuf;

pub struct ReplOptions {
    pub banner: String,
    pub history_path: Option<PathBuf>,
}

/// Runs the prompt until end of input; answers the exit status.
pub async fn run(_lua: &mlua::Lua, opts: ReplOptions) -> i32 {
    eprintln!("{}", opts.banner);
    eprintln!("dockerlua: the interactive prompt is coming; run a script or use -e");
    1
}
