//! A small Lua tokenizer: enough to find top-level `local` statements and the
//! expression before the cursor. It never fails; Lua's own parser judges the
//! code, this only has to agree with it on where tokens start and end.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Name,
    Str,
    Num,
    Sym,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

pub(crate) struct Lexed<'a> {
    pub tokens: Vec<Token<'a>>,
    /// The source ends inside a string or a comment.
    pub unterminated: bool,
}

pub(crate) const KEYWORDS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

pub(crate) fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// True for a name Lua accepts as `t.name` (not a keyword).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
        && !is_keyword(s)
}

fn is_name_byte(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// At `[`: the level of a long bracket `[==[` starting at `i`, if it is one.
fn long_bracket_level(src: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while src.get(j) == Some(&b'=') {
        j += 1;
    }
    (src.get(j) == Some(&b'[')).then_some(j - i - 1)
}

/// The end (exclusive) of the long bracket opened at `i` with `level`, or
/// `None` when it is not closed.
fn long_bracket_end(src: &[u8], i: usize, level: usize) -> Option<usize> {
    let mut j = i + level + 2;
    while j < src.len() {
        if src[j] == b']' {
            let mut k = j + 1;
            while k < src.len() && src[k] == b'=' {
                k += 1;
            }
            if k - j - 1 == level && src.get(k) == Some(&b']') {
                return Some(k + 1);
            }
        }
        j += 1;
    }
    None
}

const SYMBOLS3: &[&str] = &["..."];
const SYMBOLS2: &[&str] = &["..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>"];

pub(crate) fn lex(source: &str) -> Lexed<'_> {
    let src = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut unterminated = false;
    while i < src.len() {
        let b = src[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let kind;
        if b == b'-' && src.get(i + 1) == Some(&b'-') {
            // A comment: long `--[[ ]]` or to the end of the line.
            if src.get(i + 2) == Some(&b'[') {
                if let Some(level) = long_bracket_level(src, i + 2) {
                    match long_bracket_end(src, i + 2, level) {
                        Some(end) => i = end,
                        None => {
                            unterminated = true;
                            i = src.len();
                        }
                    }
                    continue;
                }
            }
            match src[i..].iter().position(|&c| c == b'\n') {
                Some(n) => i += n + 1,
                None => {
                    unterminated = true;
                    i = src.len();
                }
            }
            continue;
        } else if b == b'[' && long_bracket_level(src, i).is_some() {
            let level = long_bracket_level(src, i).unwrap_or(0);
            kind = Kind::Str;
            match long_bracket_end(src, i, level) {
                Some(end) => i = end,
                None => {
                    unterminated = true;
                    i = src.len();
                }
            }
        } else if b == b'"' || b == b'\'' {
            kind = Kind::Str;
            i += 1;
            let mut closed = false;
            while i < src.len() {
                match src[i] {
                    b'\\' => i += 2,
                    b'\n' => break,
                    c if c == b => {
                        i += 1;
                        closed = true;
                        break;
                    }
                    _ => i += 1,
                }
            }
            i = i.min(src.len());
            unterminated |= !closed && i >= src.len();
        } else if b.is_ascii_digit()
            || (b == b'.' && src.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            kind = Kind::Num;
            i += 1;
            while i < src.len() {
                let c = src[i];
                let hex = source[start..i].starts_with("0x") || source[start..i].starts_with("0X");
                let exponent = if hex { [b'p', b'P'] } else { [b'e', b'E'] };
                let exponent_sign = (c == b'+' || c == b'-') && exponent.contains(&src[i - 1]);
                if is_name_byte(c) || c == b'.' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if is_name_byte(b) {
            kind = Kind::Name;
            while i < src.len() && is_name_byte(src[i]) {
                i += 1;
            }
        } else {
            kind = Kind::Sym;
            let rest = &source[i..];
            let len = if SYMBOLS3.iter().any(|s| rest.starts_with(s)) {
                3
            } else if SYMBOLS2.iter().any(|s| rest.starts_with(s)) {
                2
            } else {
                // One character, which may be several bytes outside ASCII.
                rest.chars().next().map_or(1, char::len_utf8)
            };
            i += len;
        }
        tokens.push(Token {
            kind,
            text: &source[start..i],
            start,
            end: i,
        });
    }
    Lexed {
        tokens,
        unterminated,
    }
}

/// The contents of a string literal token when it has no escapes, for
/// completing `t["key"].`; escaped strings are not worth decoding here.
pub(crate) fn simple_string_value(tok: &str) -> Option<&str> {
    let b = tok.as_bytes();
    match b.first()? {
        b'"' | b'\'' if tok.len() >= 2 && b[b.len() - 1] == b[0] => {
            let inner = &tok[1..tok.len() - 1];
            (!inner.contains('\\')).then_some(inner)
        }
        b'[' => {
            let level = long_bracket_level(b, 0)?;
            let inner = tok.get(level + 2..tok.len().checked_sub(level + 2)?)?;
            // Lua drops a newline right after the opening bracket.
            Some(inner.strip_prefix('\n').unwrap_or(inner))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        lex(src).tokens.iter().map(|t| t.text).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            texts("local x = a.b:c('s', [[l]]) -- c\n..."),
            ["local", "x", "=", "a", ".", "b", ":", "c", "(", "'s'", ",", "[[l]]", ")", "..."]
        );
        assert_eq!(
            texts("1e+5 0x1p-2 .5 a..b"),
            ["1e+5", "0x1p-2", ".5", "a", "..", "b"]
        );
        assert_eq!(texts("--[==[ x ]] ]==] y"), ["y"]);
        assert_eq!(texts("t[ [=[a]=] ]"), ["t", "[", "[=[a]=]", "]"]);
    }

    #[test]
    fn unterminated() {
        assert!(lex("x = 'abc").unterminated);
        assert!(lex("x = [[abc").unterminated);
        assert!(lex("x = 1 -- note").unterminated);
        assert!(lex("--[[ open").unterminated);
        assert!(!lex("x = 'a\\'b' -- c\n").unterminated);
    }

    #[test]
    fn identifiers_and_strings() {
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("end"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert_eq!(simple_string_value("\"a b\""), Some("a b"));
        assert_eq!(simple_string_value("'a\\n'"), None);
        assert_eq!(simple_string_value("[==[k]==]"), Some("k"));
    }
}
