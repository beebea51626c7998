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
        let guarded = lua
            .load(GUARD)
            .set_name("=dockerlua.stdlib")
            .call::<Function>((chunk, file_name(&name), raise))?;
        Ok(Value::Function(guarded))
    })
}

/// Loads a module and wraps its functions: a Lua error raised by the
/// module's own code (a bad argument it did not check: `attempt to index a
/// nil value`) becomes an `InvalidArgument` naming the function; errors
/// raised on purpose, and those of the caller's own functions, pass as they
/// are.
const GUARD: &str = r#"
local chunk, module, raise = ...
local function guard(name, f)
  local function passed(ok, ...)
    if ok then return ... end
    local e = ...
    -- A runtime error of Lua itself has no position when a C function
    -- (an `ipairs` iterator) hit it: the module's too.
    if type(e) == "string" and (e:find("^stdlib/") or e:find("^attempt to ")) then
      raise(name, e)
    end
    error(e, 0)
  end
  return function(...)
    return passed(pcall(f, ...))
  end
end
return function(...)
  local M = chunk(...)
  if type(M) == "table" then
    for k, v in pairs(M) do
      if type(v) == "function" then
        M[k] = guard(module .. "." .. tostring(k), v)
      end
    end
  end
  return M
end
"#;

/// `docker.cleanup` lives in `stdlib/cleanup.lua`: the `docker.` namespace
/// keeps our names apart from users' modules, the folder does not repeat it.
fn file_name(module: &str) -> String {
    module
        .strip_prefix("docker.")
        .unwrap_or(module)
        .replace('.', "/")
}
