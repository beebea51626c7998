//! Where the prompt's history lives between sessions.

use std::path::{Path, PathBuf};

/// `$XDG_STATE_HOME/dockerlua/history`, or `~/.local/state/dockerlua/history`
/// when that is unset; `None` without a home either.
pub fn default_history_path() -> Option<PathBuf> {
    history_path_from(
        std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

fn history_path_from(state_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    // The XDG spec says to ignore relative paths.
    let state = match state_home.filter(|p| p.is_absolute()) {
        Some(dir) => dir,
        None => home
            .filter(|p| !p.as_os_str().is_empty())?
            .join(".local/state"),
    };
    Some(state.join("dockerlua").join("history"))
}

/// Makes the history file's folder; says why on stderr when it cannot.
pub(crate) fn prepare(path: &Path) -> bool {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => match std::fs::create_dir_all(dir) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("history not saved: cannot create {}: {e}", dir.display());
                false
            }
        },
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::history_path_from;
    use std::path::PathBuf;

    #[test]
    fn locations() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            history_path_from(p("/st"), p("/h")),
            p("/st/dockerlua/history")
        );
        assert_eq!(
            history_path_from(None, p("/h")),
            p("/h/.local/state/dockerlua/history")
        );
        assert_eq!(
            history_path_from(p("rel"), p("/h")),
            p("/h/.local/state/dockerlua/history")
        );
        assert_eq!(history_path_from(p(""), None), None);
    }
}
