//! dockerlua as a citizen of the Lua ecosystem: it loads Debian's C modules
//! and pure-Lua rocks from the system path, and its flags, environment and
//! paths behave as the stock `lua5.4`'s for the same inputs.
//!
//! The tests marked `ignore` need Debian's `lua5.4`, `lua-lpeg` and
//! `lua-cjson`, which tools/test.sh installs (tools/engine.sh's packages).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::{describe, run, run_with_stdin};

const NEEDS_LUA: &str = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh";

/// The binary without an engine (none of these tests calls one), with no
/// Lua environment variables unless a test sets them.
fn dl() -> Command {
    let mut cmd = common::offline();
    clean_env(&mut cmd);
    cmd
}

fn lua54() -> Command {
    assert!(
        Path::new("/usr/bin/lua5.4").exists(),
        "lua5.4 is not installed ({NEEDS_LUA})"
    );
    let mut cmd = Command::new("lua5.4");
    clean_env(&mut cmd);
    cmd
}

fn clean_env(cmd: &mut Command) {
    for var in [
        "LUA_INIT",
        "LUA_INIT_5_4",
        "LUA_PATH",
        "LUA_PATH_5_4",
        "LUA_CPATH",
        "LUA_CPATH_5_4",
        "DOCKERLUA_PATH",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn success(out: &Output) -> String {
    assert!(out.status.success(), "{}", describe(out));
    text(&out.stdout)
}

#[test]
#[ignore = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh"]
fn c_modules_and_pure_lua_rocks_load_from_the_system_path() {
    let code = r#"
        local lpeg = require("lpeg")
        local word = lpeg.C(lpeg.R("az")^1)
        print(lpeg.match(word * " " * word, "hello world"))
        local cjson = require("cjson")
        print(cjson.encode({ list = { 1, 2, 3 } }), cjson.decode('{"a":[true]}').a[1])
        -- Pure Lua from /usr/share/lua/5.4, using the C module underneath.
        print(require("re").match("key=value", "{%a+} '=' {%a+}"))
        print(package.searchpath("re", package.path))
        print(type(require("cjson.util").file_load))
    "#;
    let out = success(&run(dl().args(["-e", code])));
    assert_eq!(
        out,
        "hello\tworld\n{\"list\":[1,2,3]}\ttrue\nkey\tvalue\n/usr/share/lua/5.4/re.lua\nfunction\n"
    );
}

/// Every function of Lua's headers is in the binary's dynamic symbol table:
/// whatever a C module calls resolves.
#[test]
fn the_binary_exports_the_whole_lua_c_api() {
    let wanted: BTreeSet<String> = include_str!(env!("LUA_API_LIST"))
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(wanted.contains("lua_checkstack") && wanted.contains("luaL_setfuncs"));
    assert!(wanted.len() > 150, "{}", wanted.len());
    let out =
        run(Command::new("nm").args(["-D", "--defined-only", env!("CARGO_BIN_EXE_dockerlua")]));
    let exported: BTreeSet<String> = success(&out)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(str::to_owned)
        .collect();
    let missing: Vec<_> = wanted.difference(&exported).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}");
    // Only the Lua API, not every Rust symbol.
    assert!(
        exported.iter().all(|s| s.starts_with("lua")),
        "{:?}",
        exported
            .iter()
            .filter(|s| !s.starts_with("lua"))
            .collect::<Vec<_>>()
    );
}

/// The executable is laid out for a fast start (build.rs): linked at a
/// fixed address, so the loader has no pointers to patch, and with the
/// functions start-up runs first in its code.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn the_binary_is_laid_out_for_a_fast_start() {
    use std::io::Read;
    let bin = env!("CARGO_BIN_EXE_dockerlua");
    let mut header = [0u8; 18];
    std::fs::File::open(bin)
        .and_then(|mut f| f.read_exact(&mut header))
        .unwrap();
    assert_eq!(&header[..4], b"\x7fELF");
    // e_type: 2 an executable at a fixed address, 3 a position-independent one.
    let pie = !matches!(option_env!("DOCKERLUA_PIE"), None | Some("" | "0"));
    let e_type = u16::from_le_bytes([header[16], header[17]]);
    assert_eq!(e_type, if pie { 3 } else { 2 }, "ELF type of {bin}");

    // Where the linker took the order (lld), the lowest addresses of the
    // code hold functions the order names.
    let Some(order) = option_env!("DOCKERLUA_STARTUP_ORDER") else {
        return;
    };
    let listed: BTreeSet<String> = std::fs::read_to_string(order)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let out = run(Command::new("nm").args(["-n", "--defined-only", bin]));
    let first: Vec<String> = success(&out)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, kind, name) = (f.next()?, f.next()?, f.next()?);
            matches!(kind, "t" | "T").then(|| name.to_owned())
        })
        .take(20)
        .collect();
    assert_eq!(first.len(), 20, "{first:?}");
    let strays: Vec<_> = first.iter().filter(|n| !listed.contains(*n)).collect();
    assert!(strays.is_empty(), "not in {order}: {strays:?}");
}

const SHOW_PATHS: &str = "print(package.path) print(package.cpath)";

#[test]
#[ignore = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh"]
fn package_paths_are_lua54s_with_the_same_environment() {
    let cases: &[&[(&str, &str)]] = &[
        &[],
        &[("LUA_PATH", "/p/?.lua;;"), ("LUA_CPATH", ";;/c/?.so")],
        &[
            ("LUA_PATH", "/plain/?.lua"),
            ("LUA_PATH_5_4", "/v/?.lua;;/after/?.lua"),
        ],
        &[("LUA_CPATH_5_4", "/only/?.so"), ("LUA_CPATH", "/not/?.so")],
        &[("LUA_PATH", ";;")],
    ];
    for env in cases {
        for flags in [&["-e", SHOW_PATHS][..], &["-E", "-e", SHOW_PATHS][..]] {
            let ours = success(&run(dl().envs(env.iter().copied()).args(flags)));
            let theirs = success(&run(lua54().envs(env.iter().copied()).args(flags)));
            assert_eq!(ours, theirs, "env {env:?}, flags {flags:?}");
        }
    }
}

#[test]
fn the_stdlib_wins_over_every_path_and_users_folders_still_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docker")).unwrap();
    std::fs::write(
        dir.path().join("docker/human.lua"),
        "return { mine = true }",
    )
    .unwrap();
    std::fs::write(dir.path().join("plain.lua"), "return { plain = true }").unwrap();
    let folder = dir.path().to_str().unwrap();
    let code = "print(require('docker.human').mine, require('plain').plain)";
    let lua_path = format!("{folder}/?.lua;;");
    let out = success(&run(dl().env("LUA_PATH", &lua_path).args(["-e", code])));
    assert_eq!(out, "nil\ttrue\n");
    // A folder given on purpose is searched, yet cannot replace `docker.*`
    // (a planted `docker/human.lua` in a shared folder must never run).
    let out = success(&run(dl().args(["--path", folder, "-e", code])));
    assert_eq!(out, "nil\ttrue\n");
    // -E ignores DOCKERLUA_PATH and LUA_PATH: the module is not found.
    let out = run(dl()
        .env("DOCKERLUA_PATH", folder)
        .env("LUA_PATH", &lua_path)
        .args(["-E", "-e", code]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("module 'plain' not found"),
        "{}",
        describe(&out)
    );
}

/// A team library checked out beside its scripts loads without `--path`:
/// the script's real folder (through a symbolic link too) comes after the
/// embedded modules and before `--path`; a team module not found says how
/// to add a path.
#[test]
fn modules_beside_the_script_load_without_path() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("ops-lua/scripts");
    std::fs::create_dir_all(scripts.join("ops")).unwrap();
    std::fs::create_dir_all(scripts.join("docker")).unwrap();
    std::fs::write(scripts.join("ops/deploy.lua"), "return { from = 'beside' }").unwrap();
    std::fs::write(scripts.join("docker/human.lua"), "return { mine = true }").unwrap();
    let other = dir.path().join("other");
    std::fs::create_dir_all(other.join("ops")).unwrap();
    std::fs::write(other.join("ops/deploy.lua"), "return { from = 'path' }").unwrap();
    let script = scripts.join("rollout.lua");
    std::fs::write(
        &script,
        "print(require('ops.deploy').from, require('docker.human').mine, \
         package.path:match('^[^;]+'))",
    )
    .unwrap();
    let link = dir.path().join("rollout");
    std::os::unix::fs::symlink(&script, &link).unwrap();
    let real = std::fs::canonicalize(&scripts).unwrap();
    let expected = format!("beside\tnil\t{}/?.lua\n", real.display());
    // Run from another folder, by path, through the link, and with --path.
    let other_arg = other.to_str().unwrap();
    for args in [
        vec![script.to_str().unwrap()],
        vec![link.to_str().unwrap()],
        vec!["--path", other_arg, script.to_str().unwrap()],
    ] {
        let out = success(&run(dl().current_dir("/").args(&args)));
        assert_eq!(out, expected, "{args:?}");
    }
    // -e has no script folder: --path finds the other copy.
    let out = success(&run(dl().current_dir("/").args([
        "--path",
        other_arg,
        "-e",
        "print(require('ops.deploy').from)",
    ])));
    assert_eq!(out, "path\n");
    // Not found: the message ends with how to add a path.
    let out = run(dl().current_dir("/").args(["-e", "require('ops.missing')"]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("hint: put ops/missing.lua beside the script, or add the folder that holds ops/missing.lua with --path DIR or DOCKERLUA_PATH"),
        "{err}"
    );
    let out = run(dl().args(["-e", "require('docker.nope')"]));
    let err = text(&out.stderr);
    assert!(
        err.contains("hint: the embedded modules are docker.{"),
        "{err}"
    );
    assert!(err.contains("wait"), "{err}");
}

/// `-l mod.sub` sets the global `mod.sub` as `lua5.4` does (the module is
/// loaded, `mod` is not touched), `-l g=mod.sub` sets `g`.
#[test]
#[ignore = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh"]
fn dash_l_with_a_dotted_module_as_lua54() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ops")).unwrap();
    std::fs::write(dir.path().join("ops/sub.lua"), "return { x = 1 }").unwrap();
    let lua_path = format!("{}/?.lua;;", dir.path().display());
    let env = [("LUA_PATH", lua_path.as_str())];
    let show = "print(_G['ops.sub'] and _G['ops.sub'].x, ops, g and g.x)";
    same(&["-l", "ops.sub", "-e", show], &env, "");
    same(&["-l", "g=ops.sub", "-e", show], &env, "");
    same(&["-lg=ops.sub", "-e", show], &env, "");
    let [ours, _] = both(&["-l", "ops.sub", "-e", show], &env, "");
    assert_eq!(ours.1, "1\tnil\tnil\n");
    // A module that is missing: status 1 and lua's first line.
    let [ours, theirs] = both(&["-l", "ops.none"], &env, "");
    assert_eq!(ours.0, Some(1));
    assert_eq!(ours.0, theirs.0);
    assert_eq!(ours.2.lines().next(), theirs.2.lines().next());
}

#[test]
#[ignore = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh"]
fn a_luarocks_tree_is_one_path_entry() {
    // The layout `luarocks --lua-version 5.4 --tree T install` makes.
    let tree = tempfile::tempdir().unwrap();
    let share = tree.path().join("share/lua/5.4");
    let lib = tree.path().join("lib/lua/5.4");
    std::fs::create_dir_all(share.join("rock")).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        share.join("rock/init.lua"),
        "return { lpeg = require('lpeg').version }",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/x86_64-linux-gnu/lua/5.4/lpeg.so",
        lib.join("lpeg.so"),
    )
    .unwrap();
    let t = tree.path().to_str().unwrap();
    let code = "print(require('rock').lpeg ~= nil, package.searchpath('lpeg', package.cpath))";
    let out = success(&run(dl().args(["-E", "--path", t, "-e", code])));
    assert_eq!(out, format!("true\t{t}/lib/lua/5.4/lpeg.so\n"));
    let out = success(&run(dl().env("DOCKERLUA_PATH", t).args(["-e", code])));
    assert_eq!(out, format!("true\t{t}/lib/lua/5.4/lpeg.so\n"));
}

/// Runs both interpreters with the same arguments, environment and stdin;
/// output with the program name made the same.
fn both(args: &[&str], env: &[(&str, &str)], stdin: &str) -> [(Option<i32>, String, String); 2] {
    let norm = |out: Output| {
        let err = text(&out.stderr).replace("lua5.4", "dockerlua");
        (out.status.code(), text(&out.stdout), err)
    };
    let ours = run_with_stdin(dl().args(args).envs(env.iter().copied()), stdin.as_bytes());
    let theirs = run_with_stdin(
        lua54().args(args).envs(env.iter().copied()),
        stdin.as_bytes(),
    );
    [norm(ours), norm(theirs)]
}

#[track_caller]
fn same(args: &[&str], env: &[(&str, &str)], stdin: &str) {
    let [ours, theirs] = both(args, env, stdin);
    assert_eq!(ours, theirs, "args {args:?} env {env:?}");
}

/// The status and first stderr line agree; the usage follows on both.
#[track_caller]
fn same_usage_error(args: &[&str]) {
    let [ours, theirs] = both(args, &[], "");
    assert_eq!(ours.0, Some(1), "{args:?}: {ours:?}");
    assert_eq!(ours.0, theirs.0, "{args:?}");
    assert_eq!(ours.2.lines().next(), theirs.2.lines().next(), "{args:?}");
    assert!(
        ours.2
            .lines()
            .nth(1)
            .unwrap_or("")
            .starts_with("usage: dockerlua"),
        "{ours:?}"
    );
    assert_eq!(ours.1, "", "{args:?}");
}

/// As `lua` closes its state at the end: every finaliser runs, those of
/// objects still reachable too, and their output is not lost.
#[test]
fn finalisers_run_when_the_program_ends() {
    let code = "kept = setmetatable({}, {__gc = function() print('kept') end}) \
                setmetatable({}, {__gc = function() io.write('dropped\\n') end}) \
                collectgarbage() print('end')";
    let out = dl().args(["-e", code]).output().unwrap();
    assert_eq!(success(&out), "dropped\nend\nkept\n");
}

#[test]
#[ignore = "needs Debian's lua5.4, lua-lpeg, lua-cjson: tools/test.sh"]
fn flags_behave_as_lua54s() {
    for bad in [
        &["-x"][..],
        &["-vx"],
        &["-Ex"],
        &["--nope"],
        &["-e"],
        &["-e", "-v"],
        &["-l"],
        &["-W", "-i2"],
    ] {
        same_usage_error(bad);
    }
    // Options end at the script, at `--` and at `-`.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("-dash.lua");
    std::fs::write(&script, "print('script', ...) print(x)").unwrap();
    let named = dir.path().join("s.lua");
    std::fs::write(&named, "print(arg[0] ~= nil, #arg, ...)").unwrap();
    let s = named.to_str().unwrap();
    same(&["-e", "x=1", s, "-v", "--", "-e"], &[], "");
    same(&["-e", "x=1", "--", script.to_str().unwrap(), "a"], &[], "");
    same(&["-e", "x=2", "-", "a", "b"], &[], "print(x, ...)");
    same(&["-", "-x"], &[], "print(...)");
    same(&[], &[], "print('piped')");
    same(&["-eprint(7)", "-lstring"], &[], "");
    same(
        &[
            "-e",
            "g = setmetatable({}, {__gc = function() print('closed') end})",
        ],
        &[],
        "",
    );
    // -W turns warnings on where it stands; warn("@on") too.
    let warns = r#"warn("a") warn("@on") warn("b", "c") warn("@off") warn("d")"#;
    same(&["-e", "warn('x')", "-W", "-e", "warn('y')"], &[], "");
    same(&["-e", warns], &[], "");
    // LUA_INIT_5_4 over LUA_INIT, @file, -E ignores both; it runs before -e.
    let init = dir.path().join("init.lua");
    std::fs::write(&init, "print('from file') y = 5").unwrap();
    let at = format!("@{}", init.display());
    same(
        &["-e", "print(y)"],
        &[("LUA_INIT", "print('init') y = 4")],
        "",
    );
    same(
        &["-e", "print(y)"],
        &[("LUA_INIT", "print('no')"), ("LUA_INIT_5_4", &at)],
        "",
    );
    same(
        &["-E", "-e", "print(y)"],
        &[("LUA_INIT", "print('no')")],
        "",
    );
    // -v alone prints the version and does not read stdin; with -e it runs it.
    for args in [&["-v"][..], &["-v", "-e", "print(1)"]] {
        let [ours, theirs] = both(args, &[], "print('stdin')");
        assert_eq!((ours.0, &ours.2), (theirs.0, &theirs.2), "{args:?}");
        let (o, t): (Vec<_>, Vec<_>) = (ours.1.lines().collect(), theirs.1.lines().collect());
        assert_eq!(o.len(), t.len(), "{ours:?} {theirs:?}");
        assert!(
            o[0].starts_with("dockerlua ") && o[0].contains("Lua 5.4."),
            "{o:?}"
        );
        assert!(t[0].starts_with("Lua 5.4."), "{t:?}");
        assert!(o[0].ends_with("Lua.org, PUC-Rio"), "{o:?}");
        assert_eq!(o[1..], t[1..]);
    }
    // An error in LUA_INIT stops with status 1 before -e.
    let [ours, theirs] = both(&["-e", "print('no')"], &[("LUA_INIT", "error('boom')")], "");
    assert_eq!((ours.0, &ours.1), (theirs.0, &theirs.1));
    assert!(
        ours.2.starts_with("dockerlua: LUA_INIT:1: boom"),
        "{ours:?}"
    );
    assert!(
        theirs.2.starts_with("dockerlua: LUA_INIT:1: boom"),
        "{theirs:?}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_command_line_definition() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dockerlua"),
        ("fish", "complete -c dockerlua"),
    ] {
        let out = success(&run(dl().args(["--completions", shell])));
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(
            out.contains("print-types") && out.contains("context"),
            "{shell}"
        );
    }
    let out = run(dl().args(["--completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let man = success(&run(dl().arg("--man")));
    assert!(
        man.starts_with(".ie") || man.contains(".TH dockerlua"),
        "{man}"
    );
    for flag in ["\\-e", "\\-E", "\\-W", "\\-\\-completions", "\\-\\-host"] {
        assert!(man.contains(flag), "{flag} missing from the man page");
    }
    // --write-types lays out the repository's types/ folder.
    let dir = tempfile::tempdir().unwrap();
    success(&run(dl().arg("--write-types").arg(dir.path())));
    for file in ["docker.lua", "docker-api/containers.lua", "docker/wait.lua"] {
        let ours = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let repo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("types")
                .join(file),
        );
        assert_eq!(ours, repo.unwrap(), "{file}");
        assert!(ours.starts_with("---@meta"), "{file}");
    }
    // man itself renders it, when installed.
    if Path::new("/usr/bin/man").exists() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("dockerlua.1");
        std::fs::write(&page, &man).unwrap();
        let out = run(Command::new("man")
            .env("MANWIDTH", "80")
            .arg("-l")
            .arg(&page));
        let shown = success(&out);
        assert!(shown.contains("dockerlua"), "{shown}");
    }
}

/// `--version` names the commit built (build.rs asks git; a build from a
/// tarball says "unknown commit" or what `DOCKERLUA_COMMIT` says).
#[test]
fn version_names_the_commit_built() {
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(head.status.success(), "{}", describe(&head));
    let head = text(&head.stdout).trim().to_owned();
    let out = success(&run(dl().arg("--version")));
    let expected = format!("dockerlua {} (commit {head} ", env!("CARGO_PKG_VERSION"));
    assert!(out.starts_with(&expected), "{out:?} vs {expected:?}");
    let out = success(&run(dl().arg("-v")));
    assert!(out.contains(&format!("(commit {head} ")), "{out}");
}
