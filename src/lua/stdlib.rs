//! Lua modules shipped inside the binary (`stdlib/*.lua`), found by
//! `require` after users' own libraries. Chunk names point at
//! `stdlib/NAME.lua`, so tracebacks name the file.

use mlua::{Lua, Table, Value};

/// `(module name, source)` of every embedded module.
pub const MODULES: &[(&str, &str)] = &[];

pub fn install(lua: &Lua, package: &Table) -> mlua::Result<()> {
    let searchers: Table = package.get("searchers")?;
    let searcher = lua.create_function(|lua, name: String| {
        let Some((_, source)) = MODULES.iter().find(|(n, _)| *n == name) else {
            return Ok(Value::String(
                lua.create_string(format!("\n\tno embedded module '{name}'"))?,
            ));
        };
        let chunk = lua
            .load(*source)
            .set_name(format!("@stdlib/{}.lua", name.replace('.', "/")))
            .into_function()?;
        Ok(Value::Function(chunk))
    })?;
    // After the preload searcher and Lua's path searcher: users' libraries
    // may shadow ours.
    let position = searchers.raw_len().min(2) + 1;
    searchers.raw_insert(position as i64, searcher)?;
    Ok(())
}
