//! The command line read as the stock `lua` reads it: options up to the
//! first argument that is not one (the script), `--` ends them, `-` is the
//! script on stdin, and an unknown option (or one missing its value) prints
//! the usage and exits 1. Which options exist and which take a value comes
//! from the clap definition, so `--help`, the man page and completions agree.
//! Also what needs no Lua state: `-v`, `--completions`, `--man`.

use std::io::Write;

use clap::{Arg, Command};
use clap_complete::Shell;

/// Our version and the commit built (`0.1.0 (commit 8e84186abcde 2026-12-03)`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("DOCKERLUA_COMMIT"),
    ")"
);

/// `lua -v`'s line, with ours in front.
pub fn version_line() -> String {
    format!("dockerlua {VERSION}  {}", env!("LUA_COPYRIGHT"))
}

/// What is wrong with the options, as `lua` says it.
#[derive(Debug, PartialEq)]
pub enum BadOption {
    Unknown(String),
    NeedsArgument(String),
}

/// Splits `argv` (without the program name) into the options and the script
/// with its arguments. `--` is dropped; `-eCODE` becomes `-e CODE` (clap
/// loses the order of attached values).
pub fn split(cmd: &Command, argv: &[String]) -> Result<(Vec<String>, Vec<String>), BadOption> {
    let mut options = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if a == "--" {
            return Ok((options, argv[i + 1..].to_vec()));
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let takes_value = if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            let arg = cmd
                .get_arguments()
                .find(|arg| arg.get_long() == Some(name))
                .ok_or_else(|| BadOption::Unknown(a.clone()))?;
            if !takes_value(arg) && inline {
                return Err(BadOption::Unknown(a.clone()));
            }
            takes_value(arg) && !inline
        } else {
            let short = a[1..].chars().next().unwrap_or('-');
            let arg = cmd
                .get_arguments()
                .find(|arg| arg.get_short() == Some(short))
                .ok_or_else(|| BadOption::Unknown(a.clone()))?;
            let attached = a.len() > 1 + short.len_utf8();
            if !takes_value(arg) && attached {
                // `-vx`: lua takes no bundled flags.
                return Err(BadOption::Unknown(a.clone()));
            }
            if attached {
                let split = 1 + short.len_utf8();
                options.push(a[..split].to_owned());
                options.push(a[split..].to_owned());
                i += 1;
                continue;
            }
            takes_value(arg)
        };
        options.push(a.clone());
        if takes_value && optional_value(cmd, a) {
            // `--init-editor [DIR]`: the next word when it is no option.
            if let Some(v) = argv.get(i + 1).filter(|v| !v.starts_with('-')) {
                options.push(v.clone());
                i += 1;
            }
        } else if takes_value {
            i += 1;
            // As `lua`: `-e` followed by another option lacks its argument.
            match argv.get(i) {
                Some(v) if !v.starts_with('-') => options.push(v.clone()),
                _ => return Err(BadOption::NeedsArgument(a.clone())),
            }
        }
        i += 1;
    }
    Ok((options, argv[i..].to_vec()))
}

/// A long option whose value may be left out (`num_args = 0..=1`).
fn optional_value(cmd: &Command, option: &str) -> bool {
    let Some(long) = option.strip_prefix("--") else {
        return false;
    };
    cmd.get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_num_args())
        .is_some_and(|n| n.min_values() == 0)
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// The usage and the options on stderr, after what was wrong; `lua`'s layout.
pub fn print_usage(cmd: &Command, bad: &BadOption) {
    let mut text = match bad {
        BadOption::Unknown(o) => format!("dockerlua: unrecognized option '{o}'\n"),
        BadOption::NeedsArgument(o) => format!("dockerlua: '{o}' needs argument\n"),
    };
    text.push_str("usage: dockerlua [options] [script [args]]\nAvailable options are:\n");
    for arg in cmd.get_arguments().filter(|a| !a.is_positional()) {
        let mut spec = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("-{s}, --{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        if takes_value(arg) {
            let name = arg
                .get_value_names()
                .and_then(|n| n.first())
                .map(|n| n.to_string())
                .unwrap_or_else(|| "VALUE".into());
            spec = format!("{spec} {name}");
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        text.push_str(&format!("  {spec:<22} {help}\n"));
    }
    text.push_str("  --                     stop handling options\n");
    text.push_str("  -                      stop handling options and execute stdin\n");
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// `--completions SHELL`: the completion script on stdout.
pub fn completions(cmd: &mut Command, shell: Shell) {
    clap_complete::generate(shell, cmd, "dockerlua", &mut std::io::stdout());
}

/// `--man`: the man page (roff) on stdout.
pub fn man(cmd: Command) -> std::io::Result<()> {
    clap_mangen::Man::new(cmd).render(&mut std::io::stdout())
}

/// `--print-types`: every definition file, each under a `-- types/NAME` line.
pub fn all_types() -> String {
    let mut out = String::new();
    for (name, text) in crate::lua::stdlib::TYPES {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("-- types/{name}\n{text}"));
    }
    out
}

/// `--write-types DIR`: the definition files, laid out as in `types/`.
pub fn write_types(dir: &std::path::Path) -> std::io::Result<()> {
    for (name, text) in crate::lua::stdlib::TYPES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// `LUA_INIT_5_4`, else `LUA_INIT`: its chunk name and the code, read from
/// the file when the value starts with `@`.
pub fn lua_init() -> Option<Result<(String, Vec<u8>), String>> {
    let (name, value) = ["LUA_INIT_5_4", "LUA_INIT"]
        .iter()
        .find_map(|n| std::env::var(n).ok().map(|v| (*n, v)))?;
    Some(match value.strip_prefix('@') {
        Some(path) => std::fs::read(path)
            .map(|code| (format!("@{path}"), code))
            .map_err(|e| format!("cannot open {path}: {e}")),
        None => Ok((format!("={name}"), value.into_bytes())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{ArgAction, Command};

    fn cmd() -> Command {
        Command::new("t")
            .arg(Arg::new("e").short('e').action(ArgAction::Append))
            .arg(Arg::new("v").short('v').action(ArgAction::SetTrue))
            .arg(Arg::new("host").short('H').long("host"))
            .arg(Arg::new("man").long("man").action(ArgAction::SetTrue))
            .arg(Arg::new("script").num_args(0..).trailing_var_arg(true))
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn split_ok(v: &[&str]) -> (Vec<String>, Vec<String>) {
        split(&cmd(), &s(v)).unwrap()
    }

    #[test]
    fn options_end_at_the_script_at_dash_and_at_double_dash() {
        assert_eq!(
            split_ok(&["-v", "x.lua", "-e", "a"]),
            (s(&["-v"]), s(&["x.lua", "-e", "a"]))
        );
        assert_eq!(
            split_ok(&["-e", "a", "-", "b"]),
            (s(&["-e", "a"]), s(&["-", "b"]))
        );
        assert_eq!(split_ok(&["-v", "--", "-x"]), (s(&["-v"]), s(&["-x"])));
        assert_eq!(
            split_ok(&["-eprint(1)", "--host=u", "--man"]),
            (s(&["-e", "print(1)", "--host=u", "--man"]), s(&[]))
        );
        assert_eq!(split_ok(&["-H", "unix:///s", "f"]).1, s(&["f"]));
    }

    #[test]
    fn unknown_options_and_missing_values_as_lua_says_them() {
        let bad = |v: &[&str]| split(&cmd(), &s(v)).unwrap_err();
        assert_eq!(bad(&["-x"]), BadOption::Unknown("-x".into()));
        assert_eq!(bad(&["-vv"]), BadOption::Unknown("-vv".into()));
        assert_eq!(bad(&["--nope"]), BadOption::Unknown("--nope".into()));
        assert_eq!(bad(&["--man=1"]), BadOption::Unknown("--man=1".into()));
        assert_eq!(bad(&["-e"]), BadOption::NeedsArgument("-e".into()));
        assert_eq!(bad(&["-e", "-v"]), BadOption::NeedsArgument("-e".into()));
    }
}
