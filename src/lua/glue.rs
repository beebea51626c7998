//! Our own Lua chunks, each a `glue/*.lua` file beside the Rust module that
//! runs it, compiled to bytecode when the binary is built (build.rs):
//! loading bytecode costs a fifth of parsing the source, and every start
//! loads several of them.

use mlua::chunk::{Chunk, ChunkMode};
use mlua::Lua;

/// One chunk: its name in tracebacks, its source, and its bytecode (empty
/// when the build could not run a Lua compiler, as when cross-compiling).
pub struct Glue {
    pub name: &'static str,
    pub source: &'static str,
    pub bytecode: &'static [u8],
}

/// The [`Glue`] of `src/<layer>/glue/<stem>.lua`, named `dockerlua.<stem>`.
#[macro_export]
macro_rules! glue {
    ($layer:literal, $stem:literal) => {
        $crate::lua::glue::Glue {
            name: concat!("=dockerlua.", $stem),
            source: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/",
                $layer,
                "/glue/",
                $stem,
                ".lua"
            )),
            bytecode: include_bytes!(concat!(
                env!("OUT_DIR"),
                "/glue/",
                $layer,
                "/",
                $stem,
                ".luac"
            )),
        }
    };
}

impl Glue {
    /// The chunk, from its bytecode when there is some.
    pub fn load<'a>(&self, lua: &'a Lua) -> Chunk<'a> {
        if self.bytecode.is_empty() {
            lua.load(self.source).set_name(self.name)
        } else {
            lua.load(self.bytecode)
                .set_mode(ChunkMode::Binary)
                .set_name(self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Every `src/*/glue/*.lua` was compiled by this build (none fell back to
    /// parsing at run time), and its bytecode loads under its chunk name.
    #[test]
    fn every_glue_file_is_compiled() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let out = Path::new(env!("OUT_DIR")).join("glue");
        let mut seen = 0;
        for layer in ["lua", "cli"] {
            for entry in std::fs::read_dir(root.join(layer).join("glue")).unwrap() {
                let path = entry.unwrap().path();
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let bytecode = std::fs::read(out.join(layer).join(format!("{stem}.luac"))).unwrap();
                assert!(bytecode.starts_with(b"\x1bLua"), "{stem} was not compiled");
                // SAFETY: as `new_state`: `debug` is part of what scripts get.
                let lua = unsafe {
                    Lua::unsafe_new_with(
                        mlua::StdLib::ALL_SAFE | mlua::StdLib::DEBUG,
                        mlua::LuaOptions::default(),
                    )
                };
                let glue = Glue {
                    name: "unused",
                    source: "",
                    bytecode: bytecode.leak(),
                };
                let function = glue.load(&lua).into_function().unwrap();
                let source = function.info().source;
                assert_eq!(
                    source.as_deref(),
                    Some(format!("=dockerlua.{stem}").as_str())
                );
                seen += 1;
            }
        }
        assert!(seen >= 7, "only {seen} glue files");
    }
}
