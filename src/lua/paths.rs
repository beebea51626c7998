//! Where `require` looks: `package.path`/`package.cpath` as the stock
//! `lua5.4` of this system sets them (Debian's folders, `LUA_PATH_5_4`,
//! `LUA_PATH`, `LUA_CPATH_5_4`, `LUA_CPATH`, `;;` for the default), users'
//! folders (`--path`, `DOCKERLUA_PATH`) in front, and the search order:
//! preloaded, the embedded stdlib, users' folders (the running script's own
//! folder first), then Lua's own searchers, then a last one that only adds
//! a hint to the "module not found" message.
//! So no file on any path (a planted `./docker/args.lua` in a shared folder)
//! replaces a `docker.*` module; a script that means to sets
//! `package.preload` itself.

use std::path::{Path, PathBuf};

use mlua::{Function, Lua, Table, Value};

/// The Lua version folder of module trees.
const VERSION: &str = "5.4";

/// `package.path` of Debian's `lua5.4` (`lua5.4 -e 'print(package.path)'`).
pub fn default_path() -> String {
    [
        "/usr/local/share/lua/5.4/?.lua",
        "/usr/local/share/lua/5.4/?/init.lua",
        "/usr/local/lib/lua/5.4/?.lua",
        "/usr/local/lib/lua/5.4/?/init.lua",
        "/usr/share/lua/5.4/?.lua",
        "/usr/share/lua/5.4/?/init.lua",
        "./?.lua",
        "./?/init.lua",
    ]
    .join(";")
}

/// `package.cpath` of Debian's `lua5.4`, with this machine's multiarch folder.
pub fn default_cpath() -> String {
    let mut parts = vec!["/usr/local/lib/lua/5.4/?.so".to_owned()];
    if let Some(triplet) = multiarch() {
        parts.push(format!("/usr/lib/{triplet}/lua/5.4/?.so"));
    }
    parts.extend([
        "/usr/lib/lua/5.4/?.so".to_owned(),
        "/usr/local/lib/lua/5.4/loadall.so".to_owned(),
        "./?.so".to_owned(),
    ]);
    parts.join(";")
}

/// Debian's multiarch triplet for the target (`x86_64-linux-gnu`).
fn multiarch() -> Option<&'static str> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return None;
    }
    Some(match std::env::consts::ARCH {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "x86" => "i386-linux-gnu",
        "arm" => "arm-linux-gnueabihf",
        "riscv64" => "riscv64-linux-gnu",
        "powerpc64" => "powerpc64le-linux-gnu",
        "s390x" => "s390x-linux-gnu",
        _ => return None,
    })
}

/// The path from the environment as `lua` reads it: `NAME_5_4`, else `NAME`,
/// else the default; the first `;;` stands for the default.
pub fn from_env(name: &str, default: &str, get: impl Fn(&str) -> Option<String>) -> String {
    let value = get(&format!("{name}_5_4")).or_else(|| get(name));
    match value {
        None => default.to_owned(),
        Some(value) => expand_default(&value, default),
    }
}

/// `a;;b` -> `a;DEFAULT;b`, as `lua`'s `setpath` does (only the first `;;`).
pub fn expand_default(value: &str, default: &str) -> String {
    let Some(mark) = value.find(";;") else {
        return value.to_owned();
    };
    let mut out = String::new();
    if mark > 0 {
        out.push_str(&value[..mark]);
        out.push(';');
    }
    out.push_str(default);
    if mark + 2 < value.len() {
        out.push(';');
        out.push_str(&value[mark + 2..]);
    }
    out
}

/// Users' folders as search templates: `DIR/?.lua`, `DIR/?/init.lua`; an
/// entry with a `?` is a template already; a luarocks tree (a folder with
/// `share/lua/5.4` or `lib/lua/5.4`) adds its Lua and C folders.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UserFolders {
    pub lua: Vec<String>,
    pub c: Vec<String>,
}

impl UserFolders {
    pub fn add(&mut self, entry: &str) {
        if entry.contains('?') {
            if entry.ends_with(".so") {
                self.c.push(entry.to_owned());
            } else {
                self.lua.push(entry.to_owned());
            }
            return;
        }
        if entry.is_empty() {
            return;
        }
        let folder = entry.trim_end_matches('/');
        let folder = if folder.is_empty() { "/" } else { folder };
        self.lua.push(format!("{folder}/?.lua"));
        self.lua.push(format!("{folder}/?/init.lua"));
        let share = Path::new(folder).join("share/lua").join(VERSION);
        if share.is_dir() {
            self.lua.push(format!("{}/?.lua", share.display()));
            self.lua.push(format!("{}/?/init.lua", share.display()));
        }
        let lib = Path::new(folder).join("lib/lua").join(VERSION);
        if lib.is_dir() {
            self.c.push(format!("{}/?.so", lib.display()));
        }
    }
}

/// How to set up the search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// The script's folder and the `--path` folders, before `DOCKERLUA_PATH`.
    pub folders: Vec<PathBuf>,
    /// `-E`: ignore `LUA_PATH*`, `LUA_CPATH*` and `DOCKERLUA_PATH`.
    pub ignore_env: bool,
}

/// Sets `package.path`/`package.cpath` and puts the users' folder searcher
/// and `embedded` (the stdlib's searcher) in front of Lua's path searchers.
pub fn install(
    lua: &Lua,
    package: &Table,
    opts: &SearchOptions,
    embedded: Function,
) -> mlua::Result<()> {
    let env = |name: &str| {
        if opts.ignore_env {
            None
        } else {
            std::env::var(name).ok()
        }
    };
    let mut users = UserFolders::default();
    for folder in &opts.folders {
        users.add(&folder.to_string_lossy());
    }
    if let Some(list) = env("DOCKERLUA_PATH") {
        list.split(';').for_each(|e| users.add(e));
    }
    let path = from_env("LUA_PATH", &default_path(), env);
    let cpath = from_env("LUA_CPATH", &default_cpath(), env);
    package.set("path", join(&users.lua, &path))?;
    package.set("cpath", join(&users.c, &cpath))?;

    let searchers: Table = package.get("searchers")?;
    let position = searchers.raw_len().min(1) + 1;
    searchers.raw_insert(position as i64, embedded)?;
    if !users.lua.is_empty() {
        let templates = users.lua.join(";");
        let searcher = lua.create_function(move |lua, name: String| {
            let package: Table = lua.globals().get("package")?;
            let searchpath: Function = package.get("searchpath")?;
            let found: Option<String> = searchpath.call((name, templates.as_str()))?;
            // Silent on a miss: Lua's own path searcher, which also has these
            // folders, lists them in the "module not found" message.
            let Some(file) = found else {
                return Ok((Value::Nil, Value::Nil));
            };
            let chunk = lua.load(Path::new(&file)).into_function()?;
            Ok((
                Value::Function(chunk),
                Value::String(lua.create_string(&file)?),
            ))
        })?;
        searchers.raw_insert(position as i64 + 1, searcher)?;
    }
    let hint = lua.create_function(|_, name: String| Ok(not_found_hint(&name)))?;
    searchers.raw_push(hint)?;
    Ok(())
}

/// The last line of a "module not found" message: how to make a team's
/// module found, or which `docker.*` modules exist. Nothing for a C module
/// or a rock (`cjson`), which a package manager installs.
pub fn not_found_hint(name: &str) -> Option<String> {
    if name.starts_with("docker.") {
        let known: Vec<&str> = super::stdlib::MODULES
            .iter()
            .map(|(n, _)| n.trim_start_matches("docker."))
            .collect();
        return Some(format!(
            "hint: the embedded modules are docker.{{{}}}",
            known.join(",")
        ));
    }
    if !name.contains('.') {
        return None;
    }
    let file = name.replace('.', "/");
    Some(format!(
        "hint: put {file}.lua beside the script, or add the folder that holds \
         {file}.lua with --path DIR or DOCKERLUA_PATH (docs/sharing.md)"
    ))
}

fn join(first: &[String], rest: &str) -> String {
    if first.is_empty() {
        return rest.to_owned();
    }
    format!("{};{rest}", first.join(";"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_semicolon_is_the_default_as_lua_does_it() {
        assert_eq!(expand_default("a;;b", "D"), "a;D;b");
        assert_eq!(expand_default(";;b", "D"), "D;b");
        assert_eq!(expand_default("a;;", "D"), "a;D");
        assert_eq!(expand_default(";;", "D"), "D");
        assert_eq!(expand_default("a;b", "D"), "a;b");
        // Only the first ";;" is replaced.
        assert_eq!(expand_default("a;;b;;c", "D"), "a;D;b;;c");
    }

    #[test]
    fn versioned_variable_wins() {
        let get = |n: &str| match n {
            "LUA_PATH_5_4" => Some("v;;".to_owned()),
            "LUA_PATH" => Some("plain".to_owned()),
            _ => None,
        };
        assert_eq!(from_env("LUA_PATH", "D", get), "v;D");
        let get = |n: &str| (n == "LUA_PATH").then(|| "plain".to_owned());
        assert_eq!(from_env("LUA_PATH", "D", get), "plain");
        assert_eq!(from_env("LUA_PATH", "D", |_| None), "D");
    }

    #[test]
    fn folders_templates_and_luarocks_trees() {
        let tree = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tree.path().join("share/lua/5.4")).unwrap();
        std::fs::create_dir_all(tree.path().join("lib/lua/5.4")).unwrap();
        let t = tree.path().display();
        let mut f = UserFolders::default();
        f.add("/opt/lib/");
        f.add("/x/?.lua");
        f.add("/x/?.so");
        f.add("");
        f.add(&tree.path().to_string_lossy());
        assert_eq!(
            f.lua,
            vec![
                "/opt/lib/?.lua".to_owned(),
                "/opt/lib/?/init.lua".to_owned(),
                "/x/?.lua".to_owned(),
                format!("{t}/?.lua"),
                format!("{t}/?/init.lua"),
                format!("{t}/share/lua/5.4/?.lua"),
                format!("{t}/share/lua/5.4/?/init.lua"),
            ]
        );
        assert_eq!(
            f.c,
            vec!["/x/?.so".to_owned(), format!("{t}/lib/lua/5.4/?.so")]
        );
    }
}
