//! Locals at the prompt. Every line is its own chunk, so a plain `local x = 1`
//! would be gone by the next line. Like Node's REPL keeps `let`, we keep them:
//! a `local` statement at the top level of a line (not inside a function or
//! block) is rewritten into a global assignment before it runs.
//!
//! - `local a, b <const> = f()` becomes `a, b = f()`;
//! - `local x` becomes `x = nil`;
//! - `local function f() end` becomes `function f() end`;
//! - `local x <close> = v` is left alone: closing needs a real local.

use super::lex::{lex, Kind, Token};

pub(crate) fn globalize(src: &str) -> String {
    let tokens = lex(src).tokens;
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.kind == Kind::Name {
            match t.text {
                "function" | "do" | "if" | "repeat" => depth += 1,
                "end" | "until" => depth = depth.saturating_sub(1),
                "local" if depth == 0 => {
                    if let Some(mut more) = rewrite_local(&tokens, i) {
                        edits.append(&mut more);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    let mut out = src.to_string();
    for (start, end, with) in edits.into_iter().rev() {
        out.replace_range(start..end, with);
    }
    out
}

/// The edits that turn the `local` statement at `tokens[at]` into an
/// assignment, in source order; `None` to leave it as it is.
fn rewrite_local<'a>(tokens: &[Token<'a>], at: usize) -> Option<Vec<(usize, usize, &'a str)>> {
    let local = tokens[at];
    let next = tokens.get(at + 1)?;
    // Removing `local` and the blank after it keeps `function f` intact.
    let drop_local = (local.start, next.start, "");
    if next.text == "function" {
        return Some(vec![drop_local]);
    }
    let mut edits = vec![drop_local];
    let mut i = at + 1;
    loop {
        let name = tokens.get(i)?;
        if name.kind != Kind::Name {
            return None;
        }
        let mut last_end = name.end;
        i += 1;
        // An attribute: `<const>` goes away, `<close>` keeps the local.
        if tokens.get(i).is_some_and(|t| t.text == "<") {
            let attrib = tokens.get(i + 1)?;
            let close = tokens.get(i + 2)?;
            if close.text != ">" || attrib.text == "close" {
                return None;
            }
            edits.push((name.end, close.end, ""));
            last_end = close.end;
            i += 3;
        }
        match tokens.get(i) {
            Some(t) if t.text == "," => i += 1,
            Some(t) if t.text == "=" => return Some(edits),
            _ => {
                edits.push((last_end, last_end, " = nil"));
                return Some(edits);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::globalize;

    #[test]
    fn rewrites_top_level_locals() {
        assert_eq!(globalize("local x = 1"), "x = 1");
        assert_eq!(globalize("local a, b = 1, 2"), "a, b = 1, 2");
        assert_eq!(globalize("local x"), "x = nil");
        assert_eq!(globalize("local x, y; print(x)"), "x, y = nil; print(x)");
        assert_eq!(globalize("local function f() end"), "function f() end");
        assert_eq!(globalize("local k <const> = 5"), "k = 5");
        assert_eq!(globalize("local a = 1 local b = a"), "a = 1 b = a");
    }

    #[test]
    fn leaves_inner_and_special_locals() {
        let inner = "function f() local y = 1 return y end";
        assert_eq!(globalize(inner), inner);
        let block = "do local y = 1 end local z = 2";
        assert_eq!(globalize(block), "do local y = 1 end z = 2");
        let loop_ = "for i = 1, 3 do local y = i end";
        assert_eq!(globalize(loop_), loop_);
        let close = "local f <close> = x";
        assert_eq!(globalize(close), close);
        let text = "s = 'local x = 1' -- local y = 2";
        assert_eq!(globalize(text), text);
        let rep = "repeat local r = 1 until r local q = 1";
        assert_eq!(globalize(rep), "repeat local r = 1 until r q = 1");
    }
}
