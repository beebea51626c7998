//! Lua modules shipped inside the binary (`stdlib/*.lua`), found by
//! `require` before anything on `package.path`: a `docker/args.lua` in the
//! current folder must not replace them. Chunk names point at
//! `stdlib/NAME.lua`, so tracebacks name the file.

use mlua::{Function, Lua, Value};

use super::error::invalid;

/// `(module name, source)` of every embedded module.
pub const MODULES: &[(&str, &str)] = &[
    ("docker.args", include_str!("../../stdlib/args.lua")),
    ("docker.cleanup", include_str!("../../stdlib/cleanup.lua")),
    ("docker.errors", include_str!("../../stdlib/errors.lua")),
    ("docker.format", include_str!("../../stdlib/format.lua")),
    ("docker.human", include_str!("../../stdlib/human.lua")),
    ("docker.retry", include_str!("../../stdlib/retry.lua")),
    ("docker.wait", include_str!("../../stdlib/wait.lua")),
];

/// The LuaLS definitions (`types/`), one `---@meta` file per module, by
/// path under `types/` (every file there, listed by `build.rs`): for
/// `dockerlua --print-types`/`--write-types` and the REPL's `help`.
pub const TYPES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/types.rs"));

/// The `require` searcher of the embedded modules; [`super::paths`] puts it
/// right after the preload searcher (which only the script itself fills), so
/// that files lying around, in the current folder or a folder on any path,
/// never replace `docker.*`.
pub fn searcher(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, name: String| {
        let Some((_, source)) = MODULES.iter().find(|(n, _)| *n == name) else {
            return Ok(Value::String(
                lua.create_string(format!("no embedded module '{name}'"))?,
            ));
        };
        let chunk = lua
            .load(*source)
            .set_name(format!("@stdlib/{}.lua", file_name(&name)))
            .into_function()?;
        let raise = lua.create_function(|_, (function, message): (String, String)| {
            Err::<(), _>(invalid(&function, format!("bad arguments ({message})")))
        })?;
        let guarded = GUARD
            .load(lua)
            .call::<Function>((chunk, file_name(&name), raise))?;
        Ok(Value::Function(guarded))
    })
}

/// Loads a module and wraps its functions, so that an error of the
/// module's own code names the function called.
const GUARD: super::glue::Glue = crate::glue!("lua", "stdlib");

/// `docker.cleanup` lives in `stdlib/cleanup.lua`: the `docker.` namespace
/// keeps our names apart from users' modules, the folder does not repeat it.
fn file_name(module: &str) -> String {
    module
        .strip_prefix("docker.")
        .unwrap_or(module)
        .replace('.', "/")
}
