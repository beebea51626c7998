//! Lua values as the prompt shows them: strings quoted, tables nested and
//! indented within limits (an `attrs` table can have hundreds of entries),
//! everything else as Lua's `tostring` says, so a userdata shows its own
//! `__tostring` line such as `<Container 1c6594faf5f8 tender_wing running>`.

use std::cmp::Ordering;
use std::ffi::c_void;
use std::fmt::Write as _;

use mlua::{Table, Value};

use super::lex::is_identifier;
use crate::lua::client;

/// Limits for [`format_value`].
#[derive(Debug, Clone)]
pub struct FormatOptions {
    /// Tables nested deeper than this show as `{...}`.
    pub max_depth: usize,
    /// Entries shown per table; the rest are counted.
    pub max_items: usize,
    /// Bytes shown of a string inside a table; a top-level string is whole.
    pub max_string: usize,
    /// A table without nested tables stays on one line if it fits this width.
    pub width: usize,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            max_depth: 6,
            max_items: 100,
            max_string: 200,
            width: 80,
        }
    }
}

/// Formats one value readably; see [`FormatOptions`] for the limits.
pub fn format_value(v: &Value, opts: &FormatOptions) -> String {
    let mut p = Printer {
        opts,
        path: Vec::new(),
    };
    let mut out = String::new();
    p.value(&mut out, v, 0, None);
    out
}

/// Formats the values a line returned: one per line when any spans lines,
/// else separated by tabs, as `lua` prints them.
/// What the prompt prints for a line's results: as [`format_values`], but a
/// lone string with newlines shows as its lines (logs read as logs).
pub fn format_results(vs: &[Value], opts: &FormatOptions) -> String {
    if let [Value::String(s)] = vs {
        let bytes = s.as_bytes();
        if bytes.contains(&b'\n') {
            let text = String::from_utf8_lossy(&bytes);
            return text.strip_suffix('\n').unwrap_or(&text).to_owned();
        }
    }
    format_values(vs, opts)
}

pub fn format_values(vs: &[Value], opts: &FormatOptions) -> String {
    let parts: Vec<String> = vs.iter().map(|v| format_value(v, opts)).collect();
    let sep = if parts.iter().any(|p| p.contains('\n')) {
        "\n"
    } else {
        "\t"
    };
    parts.join(sep)
}

struct Printer<'o> {
    opts: &'o FormatOptions,
    /// Tables being printed, outermost first, to cut cycles.
    path: Vec<*const c_void>,
}

impl Printer<'_> {
    fn value(&mut self, out: &mut String, v: &Value, indent: usize, string_limit: Option<usize>) {
        match v {
            Value::Nil => out.push_str("nil"),
            Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(i) => out.push_str(&i.to_string()),
            Value::Number(n) => out.push_str(&format_number(*n)),
            Value::String(s) => quote_into(out, &s.as_bytes(), string_limit),
            Value::Table(t) => self.table(out, t, indent),
            Value::Error(e) => out.push_str(&mlua_error_text(e)),
            other => out.push_str(&tostring(other)),
        }
    }

    fn table(&mut self, out: &mut String, t: &Table, indent: usize) {
        if let Some(s) = custom_tostring(t) {
            out.push_str(&s);
            return;
        }
        let ptr = t.to_pointer();
        if self.path.contains(&ptr) {
            out.push_str("<cycle>");
            return;
        }
        let entries = sorted_entries(t);
        if entries.is_empty() {
            out.push_str("{}");
            return;
        }
        if self.path.len() >= self.opts.max_depth {
            out.push_str("{...}");
            return;
        }
        self.path.push(ptr);
        let shown = entries.len().min(self.opts.max_items);
        let hidden = entries.len() - shown;
        let limit = Some(self.opts.max_string);

        let flat = entries[..shown].iter().all(|(_, v)| !self.is_nested(v));
        let mut inline = None;
        if flat {
            let mut line = String::from("{ ");
            for (n, (k, v)) in entries[..shown].iter().enumerate() {
                if n > 0 {
                    line.push_str(", ");
                }
                self.key(&mut line, k);
                self.value(&mut line, v, indent, limit);
            }
            if hidden > 0 {
                let _ = write!(line, ", ... ({hidden} more)");
            }
            line.push_str(" }");
            if indent + line.len() <= self.opts.width && !line.contains('\n') {
                inline = Some(line);
            }
        }
        match inline {
            Some(line) => out.push_str(&line),
            None => {
                out.push_str("{\n");
                let pad = " ".repeat(indent + 2);
                for (n, (k, v)) in entries[..shown].iter().enumerate() {
                    out.push_str(&pad);
                    self.key(out, k);
                    self.value(out, v, indent + 2, limit);
                    if n + 1 < shown || hidden > 0 {
                        out.push(',');
                    }
                    out.push('\n');
                }
                if hidden > 0 {
                    let _ = writeln!(out, "{pad}... ({hidden} more)");
                }
                out.push_str(&" ".repeat(indent));
                out.push('}');
            }
        }
        self.path.pop();
    }

    /// A value that prints on several lines: a table with entries that is
    /// neither shown by `__tostring` nor a cycle back to an outer table.
    fn is_nested(&self, v: &Value) -> bool {
        match v {
            Value::Table(t) => {
                custom_tostring(t).is_none()
                    && !t.is_empty()
                    && !self.path.contains(&t.to_pointer())
            }
            _ => false,
        }
    }

    /// Writes `key = ` (nothing for the sequence part).
    fn key(&mut self, out: &mut String, k: &Key) {
        match k {
            Key::Index => {}
            Key::Value(Value::String(s)) => match s.to_str() {
                Ok(name) if is_identifier(&name) => {
                    let _ = write!(out, "{name} = ");
                }
                _ => {
                    out.push('[');
                    quote_into(out, &s.as_bytes(), Some(self.opts.max_string));
                    out.push_str("] = ");
                }
            },
            Key::Value(v) => {
                out.push('[');
                // A table as a key prints on one line at most as `{...}`.
                match v {
                    Value::Table(_) => out.push_str(&tostring(v)),
                    _ => self.value(out, v, 0, Some(self.opts.max_string)),
                }
                out.push_str("] = ");
            }
        }
    }
}

enum Key {
    /// Part of the sequence `1..n`: printed without its key.
    Index,
    Value(Value),
}

/// The sequence `1..n` in order, then the other keys: strings, numbers,
/// booleans, then anything else.
fn sorted_entries(t: &Table) -> Vec<(Key, Value)> {
    let mut seq: Vec<Value> = Vec::new();
    let mut rest: Vec<(Value, Value)> = Vec::new();
    let _ = client::make_all(t);
    for pair in t.pairs::<Value, Value>() {
        let Ok((k, v)) = pair else { continue };
        rest.push((k, v));
    }
    // Pull out 1, 2, 3... while they are there.
    let mut ints: Vec<(i64, usize)> = rest
        .iter()
        .enumerate()
        .filter_map(|(n, (k, _))| match k {
            Value::Integer(i) => Some((*i, n)),
            _ => None,
        })
        .collect();
    ints.sort_unstable();
    let mut taken = vec![false; rest.len()];
    for (expected, (i, n)) in (1..).zip(&ints) {
        if *i != expected {
            break;
        }
        seq.push(rest[*n].1.clone());
        taken[*n] = true;
    }
    let mut keyed: Vec<(Value, Value)> = rest
        .into_iter()
        .zip(taken)
        .filter_map(|(kv, t)| (!t).then_some(kv))
        .collect();
    keyed.sort_by(|a, b| key_order(&a.0, &b.0));
    seq.into_iter()
        .map(|v| (Key::Index, v))
        .chain(keyed.into_iter().map(|(k, v)| (Key::Value(k), v)))
        .collect()
}

fn key_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::String(_) => 0,
            Value::Integer(_) | Value::Number(_) => 1,
            Value::Boolean(_) => 2,
            _ => 3,
        }
    }
    fn num(v: &Value) -> f64 {
        match v {
            Value::Integer(i) => *i as f64,
            Value::Number(n) => *n,
            _ => 0.0,
        }
    }
    rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(&y.as_bytes()),
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        _ if rank(a) == 1 => num(a).total_cmp(&num(b)),
        _ => a.to_pointer().cmp(&b.to_pointer()),
    })
}

/// The `__tostring` of a table that has one: objects made in Lua print as
/// they ask to.
fn custom_tostring(t: &Table) -> Option<String> {
    let mt = t.metatable()?;
    match mt.raw_get::<Value>("__tostring") {
        Ok(Value::Function(_)) => Some(tostring(&Value::Table(t.clone()))),
        _ => None,
    }
}

/// Lua's `tostring`, never failing: a `__tostring` that raises (or tries to
/// reach the engine, which cannot yield there) falls back to the type name.
pub(crate) fn tostring(v: &Value) -> String {
    match v.to_string() {
        Ok(s) => s,
        Err(_) => match v {
            Value::UserData(ud) => match ud.type_name() {
                Ok(name) => format!("<{}>", name.to_string_lossy()),
                Err(_) => "<userdata>".to_string(),
            },
            other => format!("<{}>", other.type_name()),
        },
    }
}

/// A float as Lua 5.4 prints it (`%.14g`, and `.0` on whole numbers).
pub(crate) fn format_number(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // `{:e}` with 13 fraction digits gives the 14 significant digits of %.14g.
    let sci = format!("{n:.13e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let s = if !(-4..14).contains(&exp) {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (13 - exp).max(0) as usize;
        trim_zeros(&format!("{n:.decimals$}")).to_string()
    };
    if s.contains(['.', 'e', 'n', 'i']) {
        s
    } else {
        s + ".0"
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Writes a double-quoted Lua string literal; text stays readable, other
/// bytes are escaped. With a limit, longer strings are cut and the cut said.
fn quote_into(out: &mut String, bytes: &[u8], limit: Option<usize>) {
    let cut = limit.filter(|&l| bytes.len() > l);
    let shown = match cut {
        Some(l) => &bytes[..l],
        None => bytes,
    };
    out.push('"');
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\{}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    if cut.is_some() {
        let _ = write!(out, "... ({} bytes)", bytes.len());
    }
}

/// The one line an error shows at the prompt: `tostring` of the error
/// value; for an error raised in Rust, its cause without mlua's traceback;
/// a plain table (no `__tostring`) readably rather than as `table: 0x...`.
pub(crate) fn error_text(v: &Value) -> String {
    match v {
        Value::Error(e) => mlua_error_text(e),
        Value::String(s) => s.to_string_lossy(),
        Value::Table(_) => format_value(v, &FormatOptions::default()),
        other => tostring(other),
    }
}

fn mlua_error_text(e: &mlua::Error) -> String {
    use mlua::Error;
    match e {
        Error::CallbackError { cause, .. } => mlua_error_text(cause),
        Error::WithContext { context, cause } => format!("{context}: {}", mlua_error_text(cause)),
        Error::BadArgument {
            to,
            pos,
            name,
            cause,
        } => {
            let what = match name {
                Some(name) => format!("bad argument '{name}'"),
                None => format!("bad argument #{pos}"),
            };
            let to = to
                .as_ref()
                .map(|f| format!(" to '{f}'"))
                .unwrap_or_default();
            format!("{what}{to}: {}", mlua_error_text(cause))
        }
        Error::RuntimeError(m) | Error::SyntaxError { message: m, .. } | Error::MemoryError(m) => {
            without_traceback(m)
        }
        other => without_traceback(&other.to_string()),
    }
}

fn without_traceback(m: &str) -> String {
    let m = m.split("\nstack traceback:").next().unwrap_or(m);
    m.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Lua;

    fn show(lua: &Lua, code: &str) -> String {
        let v: Value = lua.load(code).eval().unwrap();
        format_value(&v, &FormatOptions::default())
    }

    #[test]
    fn scalars() {
        let lua = Lua::new();
        assert_eq!(show(&lua, "42"), "42");
        assert_eq!(show(&lua, "1.5"), "1.5");
        assert_eq!(show(&lua, "2^53"), "9.007199254741e+15");
        assert_eq!(show(&lua, "10/2"), "5.0");
        assert_eq!(show(&lua, "1/0"), "inf");
        assert_eq!(show(&lua, "0.1"), "0.1");
        assert_eq!(show(&lua, "1e-5"), "1e-05");
        assert_eq!(show(&lua, "nil"), "nil");
        assert_eq!(show(&lua, "'a\"b\\n\\0'"), r#""a\"b\n\0""#);
        assert_eq!(show(&lua, "'\\xff'"), r#""\xff""#);
        assert!(show(&lua, "print").starts_with("function: "));
    }

    #[test]
    fn tables() {
        let lua = Lua::new();
        assert_eq!(show(&lua, "{}"), "{}");
        assert_eq!(show(&lua, "{1, 2, 'x'}"), r#"{ 1, 2, "x" }"#);
        assert_eq!(
            show(&lua, "{b = 1, a = true, [3] = 0, ['k-y'] = 2, 1}"),
            r#"{ 1, a = true, b = 1, ["k-y"] = 2, [3] = 0 }"#
        );
        assert_eq!(
            show(&lua, "{name = 'web', ports = {80, 443}, env = {}}"),
            "{\n  env = {},\n  name = \"web\",\n  ports = { 80, 443 }\n}"
        );
    }

    #[test]
    fn limits() {
        let lua = Lua::new();
        let deep = show(&lua, "{a = {b = {c = {d = {e = {f = {g = {}}}}}}}}");
        assert!(deep.contains("f = {...}"), "{deep}");
        let many = show(&lua, "local t = {} for i = 1, 150 do t[i] = i end return t");
        assert!(many.contains("... (50 more)"), "{many}");
        let long = show(&lua, "{string.rep('x', 300)}");
        assert!(long.contains("... (300 bytes)"), "{long}");
        let cycle = show(&lua, "local t = {} t.self = t return t");
        assert_eq!(cycle, "{ self = <cycle> }");
    }

    #[test]
    fn tostring_metamethods() {
        let lua = Lua::new();
        let obj = "setmetatable({}, {__tostring = function() return '<Thing 1>' end})";
        assert_eq!(show(&lua, obj), "<Thing 1>");
        assert_eq!(show(&lua, &format!("{{x = {obj}}}")), "{ x = <Thing 1> }");
        let bad = "setmetatable({}, {__tostring = function() error('no') end})";
        assert_eq!(show(&lua, bad), "<table>");
    }

    #[test]
    fn several_values() {
        let lua = Lua::new();
        let vs: mlua::MultiValue = lua.load("return 1, 'a', nil").eval().unwrap();
        let vs: Vec<Value> = vs.into_iter().collect();
        assert_eq!(
            format_values(&vs, &FormatOptions::default()),
            "1\t\"a\"\tnil"
        );
    }
}
