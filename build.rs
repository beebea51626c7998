//! Exports the Lua C API from the `dockerlua` binary, so that C modules built
//! for Lua 5.4 (Debian's `lua-lpeg`, `lua-cjson`, ...), which do not link
//! liblua themselves, resolve `lua_*`/`luaL_*` against the binary.
//!
//! The names come from the vendored Lua's own headers (mlua-sys passes their
//! folder as `DEP_LUA_INCLUDE`). Each is passed to the linker twice:
//! `--undefined` pulls the object defining it out of the static Lua library
//! even when mlua never calls it, and the dynamic list exports it (and keeps
//! it through `--gc-sections`, also in release builds with LTO). Only the Lua
//! API is exported, not the Rust symbols. `LUA_API_LIST` names the list for
//! the test that checks the built binary.
//!
//! It also lists the LuaLS files under `types/` for the binary to embed
//! (`src/lua/stdlib.rs`), so that a new module's types file needs no entry,
//! and compiles our own chunks (`src/*/glue/*.lua`) to bytecode with the
//! vendored Lua itself (`src/lua/glue.rs`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The unwinder from gcc's static `libgcc_eh.a` instead of `libgcc_s.so`, as
/// `gcc -static-libgcc` does: loading `libgcc_s` runs its CPU probe (a
/// dozen `cpuid`s, each a trap on a virtual machine) at every start, about
/// a fifth of an empty script's user time (bench/lua.sh). Whole, so that no
/// `_Unwind_*` symbol is left for `libgcc_s` to bring back.
fn link_unwinder_statically() {
    if linux_gnu() {
        println!("cargo:rustc-link-lib=static:+whole-archive,-bundle=gcc_eh");
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Whether the target is Linux with glibc, whose linking the functions
/// below tune.
fn linux_gnu() -> bool {
    env("CARGO_CFG_TARGET_OS") == "linux" && env("CARGO_CFG_TARGET_ENV") == "gnu"
}

/// The `dockerlua` executable at a fixed address (`-no-pie`) on linux-gnu:
/// a position-independent one has 12,000 pointers in `.data.rel.ro` (vtables,
/// tables of strings) that the loader patches at every start, copying the
/// 52 pages they lie on: a quarter of an empty script's page faults and 0.17
/// ms of its 1.8 ms (bench/lua.sh). The code stays position-independent, and
/// the heap, stack, shared libraries and C modules are still placed at random
/// (and RELRO stays full). `DOCKERLUA_PIE=1` at build time keeps the default,
/// for a distribution whose policy wants every executable randomised.
fn link_at_fixed_address() {
    println!("cargo:rerun-if-env-changed=DOCKERLUA_PIE");
    let pie = !matches!(env("DOCKERLUA_PIE").as_str(), "" | "0");
    if !pie && linux_gnu() {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

/// The functions start-up runs first and together in the code
/// (`link/startup.order`, written by `tools/startup-order.sh`): an empty
/// script then faults in a few pages of the 9 MB of code instead of some
/// forty scattered ones (167 -> 127 page faults, 0.16 ms; bench/lua.sh).
/// The option is lld's, the linker of Rust 1.90 and later on linux-gnu;
/// names a build lacks are skipped silently.
fn link_startup_first() {
    let order = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("link/startup.order");
    println!("cargo:rerun-if-changed={}", order.display());
    if !linux_gnu() || !order.is_file() || !links_with_lld() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    // For the test that checks the layout.
    println!(
        "cargo:rustc-env=DOCKERLUA_STARTUP_ORDER={}",
        order.display()
    );
}

/// Whether rustc links x86_64 linux-gnu binaries with its own lld (the
/// default from 1.90), unless the flags choose another linker.
fn links_with_lld() -> bool {
    if env("CARGO_CFG_TARGET_ARCH") != "x86_64" || env("CARGO_ENCODED_RUSTFLAGS").contains("linker")
    {
        return false;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}

const HEADERS: &[&str] = &["lua.h", "lauxlib.h", "lualib.h"];
const MACROS: &[&str] = &["LUA_API", "LUALIB_API", "LUAMOD_API"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Every resume of a Lua thread goes through ours first, which keeps the
    // running thread where the signal handler can set its hook
    // (src/repl/interrupt.rs). Every target links the library that needs it.
    println!("cargo:rustc-link-arg=-Wl,--wrap=lua_resume");
    println!("cargo:rustc-env=DOCKERLUA_COMMIT={}", commit());
    link_unwinder_statically();
    link_at_fixed_address();
    link_startup_first();
    list_types();
    compile_glue();
    let Some(include) = std::env::var_os("DEP_LUA_INCLUDE") else {
        println!("cargo:warning=no DEP_LUA_INCLUDE: the Lua C API is not exported");
        return;
    };
    let include = PathBuf::from(include);
    let mut names = Vec::new();
    for header in HEADERS {
        let path = include.join(header);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        names.extend(api_names(&text));
    }
    names.sort();
    names.dedup();
    assert!(
        names.len() > 150,
        "only {} Lua API names found in {}",
        names.len(),
        include.display()
    );

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut list = String::from("{\n");
    for name in &names {
        let _ = writeln!(list, "  {name};");
    }
    list.push_str("};\n");
    let list_path = out.join("lua-api.list");
    std::fs::write(&list_path, list).expect("write the dynamic list");
    let names_path = out.join("lua-api.txt");
    std::fs::write(&names_path, names.join("\n")).expect("write the name list");

    let target_os = env("CARGO_CFG_TARGET_OS");
    if target_os == "linux" || target_os.ends_with("bsd") {
        for name in &names {
            println!("cargo:rustc-link-arg-bins=-Wl,--undefined={name}");
        }
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--dynamic-list={}",
            list_path.display()
        );
    }
    println!("cargo:rustc-env=LUA_API_LIST={}", names_path.display());
    let lua_h = std::fs::read_to_string(include.join("lua.h")).unwrap_or_default();
    println!("cargo:rustc-env=LUA_COPYRIGHT={}", copyright(&lua_h));
}

/// The commit the binary is built from: `DOCKERLUA_COMMIT` when the release
/// script (or a packager building from a tarball) sets it, else `git`'s
/// answer for this checkout, else "unknown commit" (a source tarball).
fn commit() -> String {
    println!("cargo:rerun-if-env-changed=DOCKERLUA_COMMIT");
    if let Some(commit) = std::env::var("DOCKERLUA_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
    {
        return format!("commit {}", commit.trim());
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let Some(hash) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown commit".to_owned();
    };
    // Build again when HEAD moves: a commit, a checkout, a fetch of packed refs.
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let date = git(&["show", "-s", "--format=%cs", "HEAD"]).unwrap_or_default();
    format!("commit {hash} {date}").trim_end().to_owned()
}

/// Writes `types.rs` to `OUT_DIR`: `&[(path under types/, include_str!)]`,
/// `docker.lua` first (the module itself), the rest sorted by path.
fn list_types() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("types");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a types/ entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|x| x == "lua") {
                let name = path.strip_prefix(&root).expect("under types/");
                files.push((name.to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    files.sort_by_key(|(name, _)| (name != "docker.lua", name.clone()));
    let mut list = String::from("&[\n");
    for (name, path) in &files {
        let _ = writeln!(list, "    ({name:?}, include_str!({:?})),", path.display());
    }
    list.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("types.rs"), list).expect("write the types list");
}

/// `LUA_COPYRIGHT` as `lua -v` prints it: `Lua 5.4.9  Copyright (C) ...`.
fn copyright(lua_h: &str) -> String {
    let define = |name: &str| {
        lua_h.lines().find_map(|line| {
            let rest = line.strip_prefix("#define ")?.trim_start();
            let rest = rest.strip_prefix(name)?;
            let start = rest.rfind('"')?;
            let open = rest[..start].rfind('"')?;
            Some(rest[open + 1..start].to_owned())
        })
    };
    match (
        define("LUA_VERSION_MAJOR"),
        define("LUA_VERSION_MINOR"),
        define("LUA_VERSION_RELEASE"),
        define("LUA_COPYRIGHT"),
    ) {
        (Some(major), Some(minor), Some(release), Some(tail)) => {
            format!("Lua {major}.{minor}.{release}{tail}")
        }
        _ => "Lua 5.4".to_owned(),
    }
}

/// Function names declared with `LUA_API int (lua_gettop) (lua_State *L);`.
fn api_names(header: &str) -> Vec<String> {
    header
        .lines()
        .filter(|line| MACROS.iter().any(|m| line.trim_start().starts_with(m)))
        .filter_map(|line| {
            let start = line.find("(lua")? + 1;
            let len = line[start..].find(')')?;
            let name = &line[start..start + len];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| name.to_owned())
        })
        .collect()
}

/// A compiler of Lua chunks to bytecode, built on the vendored Lua library:
/// `luac-glue IN OUT NAME...`, debug information kept (tracebacks name the
/// chunk and line).
const COMPILER: &str = r#"
#include <stdio.h>
#include "lua.h"
#include "lauxlib.h"

static int write_out(lua_State *L, const void *p, size_t n, void *out) {
    (void)L;
    return fwrite(p, 1, n, (FILE *)out) != n;
}

int main(int argc, char **argv) {
    lua_State *L = luaL_newstate();
    for (int i = 1; i + 2 < argc; i += 3) {
        FILE *in = fopen(argv[i], "rb");
        static char text[1 << 20];
        size_t n = in ? fread(text, 1, sizeof text, in) : 0;
        if (!in || n == sizeof text) { fprintf(stderr, "cannot read %s\n", argv[i]); return 1; }
        fclose(in);
        if (luaL_loadbufferx(L, text, n, argv[i + 2], "t") != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            return 1;
        }
        FILE *out = fopen(argv[i + 1], "wb");
        if (!out || lua_dump(L, write_out, out, 0) != 0 || fclose(out) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[i + 1]);
            return 1;
        }
        lua_pop(L, 1);
    }
    lua_close(L);
    return 0;
}
"#;

/// Compiles `src/<layer>/glue/<stem>.lua` to `OUT_DIR/glue/<layer>/<stem>.luac`
/// (chunk name `=dockerlua.<stem>`). Where no compiler can run (a
/// cross-compile, no vendored Lua), each gets an empty file and the binary
/// parses the source instead; a test of ours fails on that.
fn compile_glue() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let mut jobs = Vec::new();
    for layer in ["lua", "cli"] {
        let folder = root.join("src").join(layer).join("glue");
        println!("cargo:rerun-if-changed={}", folder.display());
        let target = out.join("glue").join(layer);
        std::fs::create_dir_all(&target).expect("create OUT_DIR/glue");
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a glue/ entry").path();
            if path.extension().is_some_and(|x| x == "lua") {
                let stem = path.file_stem().expect("a file name").to_string_lossy();
                let luac = target.join(format!("{stem}.luac"));
                std::fs::write(&luac, b"").expect("write a glue file");
                jobs.push((path.clone(), luac, format!("=dockerlua.{stem}")));
            }
        }
    }
    if let Err(why) = run_compiler(&out, &jobs) {
        println!("cargo:warning=our Lua chunks are parsed at run time: {why}");
        for (_, luac, _) in &jobs {
            std::fs::write(luac, b"").expect("write a glue file");
        }
    }
}

fn run_compiler(out: &std::path::Path, jobs: &[(PathBuf, PathBuf, String)]) -> Result<(), String> {
    if std::env::var("HOST") != std::env::var("TARGET") {
        return Err("cross-compiling".into());
    }
    let include = std::env::var_os("DEP_LUA_INCLUDE").ok_or("no DEP_LUA_INCLUDE")?;
    let lib = std::env::var_os("DEP_LUA_LIB").ok_or("no DEP_LUA_LIB")?;
    let source = out.join("luac-glue.c");
    let exe = out.join("luac-glue");
    std::fs::write(&source, COMPILER).map_err(|e| e.to_string())?;
    let mut cc = cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .get_compiler()
        .to_command();
    cc.arg("-O0")
        .arg("-I")
        .arg(&include)
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib)
        .args(["-llua5.4", "-lm", "-ldl"]);
    let status = cc
        .status()
        .map_err(|e| format!("cannot run the C compiler: {e}"))?;
    if !status.success() {
        return Err(format!("the C compiler failed ({status})"));
    }
    let mut run = std::process::Command::new(&exe);
    for (lua, luac, name) in jobs {
        run.arg(lua).arg(luac).arg(name);
    }
    let done = run
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !done.status.success() {
        // A syntax error in a glue file: fail the build, naming it.
        panic!("{}", String::from_utf8_lossy(&done.stderr));
    }
    Ok(())
}
