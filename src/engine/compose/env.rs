//! `.env` and `env_file` files as compose reads them: `KEY=value` lines,
//! `export` allowed, `#` comments, single quotes literal, double quotes
//! with `\n`-style escapes, a line without `=` naming a variable taken from
//! the environment.

use std::collections::HashMap;
use std::path::Path as FsPath;

use crate::engine::{Error, Result};

/// One parsed line: the key and its value (`None`: take it from the
/// environment).
pub type Entry = (String, Option<String>);

pub fn parse(origin: &str, text: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            out.push((line.to_owned(), None));
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(Error::invalid(format!(
                "{origin}:{}: bad variable line '{}'",
                n + 1,
                crate::engine::error::excerpt(raw, 60)
            )));
        }
        out.push((key.to_owned(), Some(value_of(value.trim_start()))));
    }
    Ok(out)
}

fn value_of(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('\'') {
        if let Some(end) = inner.find('\'') {
            return inner[..end].to_owned();
        }
    }
    if let Some(inner) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        return format!("\"{out}");
    }
    // An unquoted value ends at ` #` (a comment).
    let v = v.find(" #").map_or(v, |i| &v[..i]);
    v.trim_end().to_owned()
}

/// Reads a file of variables, each `KEY` without a value looked up in `env`.
pub fn read(path: &FsPath, env: &HashMap<String, String>) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("cannot read env file {}: {e}", path.display())))?;
    let origin = path.display().to_string();
    Ok(parse(&origin, &text)?
        .into_iter()
        .filter_map(|(k, v)| match v {
            Some(v) => Some((k, v)),
            None => env.get(&k).map(|v| (k, v.clone())),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let text = "# c\nA=1\nexport B = two words # note\nC='x # y'\nD=\"a\\nb\"\nE\n\nF=\n";
        let got = parse(".env", text).unwrap();
        assert_eq!(
            got,
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two words".into())),
                ("C".into(), Some("x # y".into())),
                ("D".into(), Some("a\nb".into())),
                ("E".into(), None),
                ("F".into(), Some(String::new())),
            ]
        );
        assert!(parse(".env", "A B=1\n")
            .unwrap_err()
            .message
            .contains(".env:1"));
    }
}
