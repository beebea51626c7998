//! `${VAR}` interpolation as compose does it: `$VAR`, `${VAR}`,
//! `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
//! `${VAR:?error}` / `${VAR?error}`, `${VAR:+other}` / `${VAR+other}`,
//! `$$` for a `$`; defaults may hold interpolations of their own. Values are
//! interpolated, keys are not.

use std::collections::HashMap;

use serde_json::Value;

use super::Path;
use crate::engine::error::excerpt;
use crate::engine::Result;

/// The variables and what interpolation noticed (unset variables).
pub struct Vars<'a> {
    pub env: &'a HashMap<String, String>,
    pub warnings: &'a mut Vec<String>,
}

/// Interpolates every string of `value` in place; `path` names the value in
/// errors.
pub fn value(vars: &mut Vars<'_>, v: &mut Value, path: &Path) -> Result<()> {
    match v {
        Value::String(s) if s.contains('$') => {
            *s = text(vars, s, path)?;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                value(vars, item, &path.index(i))?;
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                value(vars, item, &path.key(k))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// One string.
pub fn text(vars: &mut Vars<'_>, s: &str, path: &Path) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing_brace(inner)
                .ok_or_else(|| path.error(format!("unclosed '${{' in {}", quoted(s))))?;
            out.push_str(&braced(vars, &inner[..end], s, path)?);
            rest = &inner[end + 1..];
        } else {
            let len = after
                .char_indices()
                .find(|&(i, c)| {
                    !(c == '_' || c.is_ascii_alphanumeric()) || (i == 0 && c.is_ascii_digit())
                })
                .map_or(after.len(), |(i, _)| i);
            if len == 0 {
                // A lone `$` (before a space, the end...) stays as it is.
                out.push('$');
                rest = after;
            } else {
                out.push_str(&lookup(vars, &after[..len]));
                rest = &after[len..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` that closes a `${` whose inside starts `inner`.
fn closing_brace(inner: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(vars: &mut Vars<'_>, inner: &str, whole: &str, path: &Path) -> Result<String> {
    let name_len = inner
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(name_len);
    let valid_name = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid_name {
        return Err(path.error(format!("bad variable name in {}", quoted(whole))));
    }
    let current = vars.env.get(name).cloned();
    let set = current.is_some();
    let non_empty = current.as_deref().is_some_and(|v| !v.is_empty());
    let (test, arg) = if op.is_empty() {
        return Ok(lookup(vars, name));
    } else if let Some(arg) = op.strip_prefix(":-") {
        ("default", (!non_empty).then_some(arg))
    } else if let Some(arg) = op.strip_prefix('-') {
        ("default", (!set).then_some(arg))
    } else if let Some(arg) = op.strip_prefix(":?") {
        ("required", (!non_empty).then_some(arg))
    } else if let Some(arg) = op.strip_prefix('?') {
        ("required", (!set).then_some(arg))
    } else if let Some(arg) = op.strip_prefix(":+") {
        ("alternate", Some(if non_empty { arg } else { "" }))
    } else if let Some(arg) = op.strip_prefix('+') {
        ("alternate", Some(if set { arg } else { "" }))
    } else {
        return Err(path.error(format!("bad interpolation format in {}", quoted(whole))));
    };
    match (test, arg) {
        ("required", Some(message)) => {
            let message = text(vars, message, path)?;
            Err(path.error(format!(
                "required variable {name} is missing a value: {}",
                if message.is_empty() {
                    "(no message)"
                } else {
                    &message
                }
            )))
        }
        (_, Some(arg)) => text(vars, arg, path),
        (_, None) => Ok(current.unwrap_or_default()),
    }
}

fn lookup(vars: &mut Vars<'_>, name: &str) -> String {
    match vars.env.get(name) {
        Some(v) => v.clone(),
        None => {
            let warning =
                format!("the \"{name}\" variable is not set: defaulting to a blank string");
            if !vars.warnings.contains(&warning) {
                vars.warnings.push(warning);
            }
            String::new()
        }
    }
}

fn quoted(s: &str) -> String {
    format!("'{}'", excerpt(s, 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> (Result<String>, Vec<String>) {
        let env: HashMap<String, String> = [("A", "a"), ("EMPTY", ""), ("N", "5")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut warnings = Vec::new();
        let mut vars = Vars {
            env: &env,
            warnings: &mut warnings,
        };
        let r = text(
            &mut vars,
            s,
            &Path::new("c.yaml").key("services").key("web").key("image"),
        );
        (r, warnings)
    }

    fn ok(s: &str) -> String {
        run(s).0.unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(ok("x${A}y $A-$$A $ $"), "xay a-$A $ $");
        assert_eq!(
            ok("${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${UNSET:-d}"),
            "d  d d"
        );
        assert_eq!(ok("${A:+alt}${EMPTY:+alt}${EMPTY+set}"), "altset");
        assert_eq!(ok("${UNSET:-${A}-${N}}"), "a-5");
        assert_eq!(ok("${A:?boom}"), "a");
        let (r, w) = run("img:${TAG}");
        assert_eq!(r.unwrap(), "img:");
        assert!(w[0].contains("\"TAG\""), "{w:?}");
    }

    #[test]
    fn errors_name_the_place() {
        let e = run("${EMPTY:?set it}").0.unwrap_err();
        assert_eq!(
            e.message,
            "c.yaml: services.web.image: required variable EMPTY is missing a value: set it"
        );
        assert!(run("${EMPTY?x}").0.is_ok());
        assert!(run("${UNSET?x}").0.is_err());
        assert!(run("${A").0.unwrap_err().message.contains("unclosed"));
        assert!(run("${A:x}")
            .0
            .unwrap_err()
            .message
            .contains("bad interpolation"));
        assert!(run("${1A}").0.unwrap_err().message.contains("bad variable"));
    }
}
