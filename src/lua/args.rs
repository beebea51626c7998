//! Checking what scripts pass: every wrong argument becomes an
//! `InvalidArgument` naming the function and the argument, before any request.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mlua::{Table, Value};

use super::error::invalid;
use crate::engine::error::excerpt;

/// Options table of a call (`opts` argument): typed getters, and unknown
/// option names are refused.
pub struct Opts {
    function: &'static str,
    table: Option<Table>,
}

/// A value's type as Lua's `type()` names it ("number" for integers too).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "number",
        Value::UserData(_) | Value::LightUserData(_) => "userdata",
        other => other.type_name(),
    }
}

impl Opts {
    /// `value` must be nil or a table whose keys are all in `known`.
    pub fn new(function: &'static str, value: Value, known: &[&str]) -> mlua::Result<Self> {
        let table = match value {
            Value::Nil => None,
            Value::Table(t) => Some(t),
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad argument 'opts' (table expected, got {})",
                        type_name(&other)
                    ),
                ))
            }
        };
        if let Some(t) = &table {
            for pair in t.pairs::<Value, Value>() {
                let (k, _) = pair?;
                let name = match &k {
                    Value::String(s) => s.to_string_lossy(),
                    other => {
                        return Err(invalid(
                            function,
                            format!("option names must be strings, got {}", type_name(other)),
                        ))
                    }
                };
                if !known.contains(&name.as_str()) {
                    return Err(invalid(
                        function,
                        format!("unknown option '{name}'{}", suggestion(&name, known)),
                    ));
                }
            }
        }
        Ok(Opts { function, table })
    }

    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The options table itself, if one was given.
    pub fn raw_table(&self) -> Option<&Table> {
        self.table.as_ref()
    }

    pub fn raw(&self, name: &str) -> mlua::Result<Value> {
        match &self.table {
            Some(t) => t.raw_get(name),
            None => Ok(Value::Nil),
        }
    }

    fn bad(&self, name: &str, expected: &str, got: &Value) -> mlua::Error {
        invalid(
            self.function,
            format!(
                "bad option '{name}' ({expected} expected, got {})",
                type_name(got)
            ),
        )
    }

    pub fn bool(&self, name: &str) -> mlua::Result<Option<bool>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::Boolean(b) => Ok(Some(b)),
            other => Err(self.bad(name, "boolean", &other)),
        }
    }

    pub fn flag(&self, name: &str) -> mlua::Result<bool> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    pub fn string(&self, name: &str) -> mlua::Result<Option<String>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::String(s) => Ok(Some(s.to_string_lossy())),
            other => Err(self.bad(name, "string", &other)),
        }
    }

    pub fn integer(&self, name: &str) -> mlua::Result<Option<i64>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            v => integer(self.function, &format!("option '{name}'"), &v).map(Some),
        }
    }

    /// A non-negative integer (a count, whole seconds).
    pub fn count(&self, name: &str) -> mlua::Result<Option<i64>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            v => count(self.function, &format!("option '{name}'"), &v).map(Some),
        }
    }

    pub fn number(&self, name: &str) -> mlua::Result<Option<f64>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::Integer(i) if i >= 0 => Ok(Some(i as f64)),
            Value::Number(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            other => Err(invalid(
                self.function,
                format!(
                    "bad option '{name}' (non-negative number expected, got {})",
                    describe(&other)
                ),
            )),
        }
    }

    /// Seconds to wait, as [`seconds`] checks them.
    pub fn seconds(&self, name: &str) -> mlua::Result<Option<Duration>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            v => seconds(self.function, &format!("option '{name}'"), &v).map(Some),
        }
    }

    /// A point in time for the engine (`since`, `until`), as [`time`] reads it.
    pub fn time(&self, name: &str) -> mlua::Result<Option<String>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            v => time(self.function, name, &v).map(Some),
        }
    }

    /// A string or a number, as text (for `since`, `tail`...).
    pub fn text(&self, name: &str) -> mlua::Result<Option<String>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::String(s) => Ok(Some(s.to_string_lossy())),
            Value::Integer(i) => Ok(Some(i.to_string())),
            Value::Number(n) => Ok(Some(n.to_string())),
            other => Err(self.bad(name, "string or number", &other)),
        }
    }

    pub fn table(&self, name: &str) -> mlua::Result<Option<Table>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::Table(t) => Ok(Some(t)),
            other => Err(self.bad(name, "table", &other)),
        }
    }

    pub fn function_value(&self, name: &str) -> mlua::Result<Option<mlua::Function>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::Function(f) => Ok(Some(f)),
            other => Err(self.bad(name, "function", &other)),
        }
    }

    /// A string or an array of strings, as a list.
    pub fn strings(&self, name: &str) -> mlua::Result<Option<Vec<String>>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::String(s) => Ok(Some(vec![s.to_string_lossy()])),
            Value::Table(t) => string_list(self.function, name, &t).map(Some),
            other => Err(self.bad(name, "string or array of strings", &other)),
        }
    }
}

/// An array of strings (numbers are taken as their text).
pub fn string_list(function: &str, name: &str, table: &Table) -> mlua::Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, item) in table.sequence_values::<Value>().enumerate() {
        match item? {
            Value::String(s) => out.push(s.to_string_lossy()),
            Value::Integer(n) => out.push(n.to_string()),
            Value::Number(n) => out.push(n.to_string()),
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad '{name}' item #{} (string expected, got {})",
                        i + 1,
                        type_name(&other)
                    ),
                ))
            }
        }
    }
    if out.len() != table.raw_len() || out.len() != table.pairs::<Value, Value>().count() {
        return Err(invalid(
            function,
            format!("bad '{name}' (array of strings expected)"),
        ));
    }
    Ok(out)
}

/// The pairs of a map of strings (`environment`, `labels`, `sysctls`,
/// `buildargs`...): string keys; values strings, or numbers and booleans
/// written as text.
pub fn string_pairs(
    function: &str,
    what: &str,
    table: &Table,
) -> mlua::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = string(function, &format!("{what} key"), &k)?;
        let text = match v {
            Value::String(s) => s.to_string_lossy(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Boolean(b) => b.to_string(),
            other => {
                return Err(invalid(
                    function,
                    format!(
                        "bad '{what}' value for '{key}' (string expected, got {})",
                        type_name(&other)
                    ),
                ))
            }
        };
        out.push((key, text));
    }
    Ok(out)
}

/// A required string argument.
pub fn string(function: &str, name: &str, value: &Value) -> mlua::Result<String> {
    match value {
        Value::String(s) => Ok(s.to_string_lossy()),
        other => Err(invalid(
            function,
            format!(
                "bad argument '{name}' (string expected, got {})",
                type_name(other)
            ),
        )),
    }
}

/// True for a table that is options rather than a command (it has a
/// non-integer key).
pub fn is_options_table(table: &Table) -> bool {
    table
        .pairs::<Value, Value>()
        .any(|pair| !matches!(pair, Ok((Value::Integer(_), _))))
}

/// At most `n` characters of `text` (ids are ASCII, but engines are not ours).
pub fn prefix(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

/// A value as an error message names it: numbers as written (NaN, -1),
/// anything else by its type.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => n.to_string(),
        other => type_name(other).to_owned(),
    }
}

/// An integer: a Lua integer, or a float with an integral value that fits.
/// `what` names it in the message ("argument 'x'", "option 'x'").
pub fn integer(function: &str, what: &str, v: &Value) -> mlua::Result<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        // 2^63 itself does not fit: the bound is exclusive.
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9_223_372_036_854_775_808.0 => {
            Ok(*n as i64)
        }
        other => Err(invalid(
            function,
            format!("bad {what} (integer expected, got {})", describe(other)),
        )),
    }
}

/// A non-negative integer.
pub fn count(function: &str, what: &str, v: &Value) -> mlua::Result<i64> {
    match integer(function, what, v) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(invalid(
            function,
            format!(
                "bad {what} (non-negative integer expected, got {})",
                describe(v)
            ),
        )),
    }
}

/// The longest wait: longer ones (`math.huge` included) are waited this long,
/// which is forever for a script, and overflows no clock.
pub const LONGEST_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Seconds to wait: a non-negative number (NaN is not one). Every timeout,
/// sleep and interval is read here, so that all agree.
pub fn seconds(function: &str, what: &str, v: &Value) -> mlua::Result<Duration> {
    let secs = match v {
        Value::Integer(i) if *i >= 0 => *i as f64,
        Value::Number(n) if *n >= 0.0 => *n,
        other => {
            return Err(invalid(
                function,
                format!(
                    "bad {what} (non-negative seconds expected, got {})",
                    describe(other)
                ),
            ))
        }
    };
    Ok(Duration::try_from_secs_f64(secs).map_or(LONGEST_WAIT, |d| d.min(LONGEST_WAIT)))
}

/// The longest name, id or reference accepted; longer ones are mistakes
/// (the engine's own limits are far below).
pub const MAX_NAME: usize = 4096;

/// What a name argument names, for the rules [`name`] applies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A container id or name: one path segment (a leading `/` allowed, as
    /// list entries write names).
    Container,
    /// An image reference: `/`-separated segments.
    Image,
}

/// A container or image name argument, checked before it becomes part of a
/// request path: not empty, not too long, no `.`/`..` or empty segment
/// (which would name another endpoint).
pub fn name(function: &str, arg: &str, v: &Value, kind: NameKind) -> mlua::Result<String> {
    let text = string(function, arg, v)?;
    let bad = |why: &str| {
        invalid(
            function,
            format!("bad argument '{arg}' ({why}: '{}')", excerpt(&text, 40)),
        )
    };
    if text.is_empty() {
        return Err(invalid(
            function,
            format!("bad argument '{arg}' (empty string)"),
        ));
    }
    if text.len() > MAX_NAME {
        return Err(bad(&format!("too long, at most {MAX_NAME} bytes")));
    }
    let body = match kind {
        NameKind::Container => text.strip_prefix('/').unwrap_or(&text),
        NameKind::Image => &text,
    };
    if kind == NameKind::Container && body.contains('/') {
        return Err(bad("a container id or name has no '/'"));
    }
    if body
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(bad("not a name"));
    }
    if body.chars().any(char::is_control) {
        return Err(bad("control characters"));
    }
    Ok(body.to_owned())
}

/// A point in time as the engine takes it (Unix seconds, as text), from a
/// number of Unix seconds, or a string: Unix seconds, an RFC 3339 time
/// ("2024-05-01T12:00:00Z", "...+02:00"), a date ("2024-05-01", UTC), or a
/// duration before now ("10m", "1h30m", "1.5h"), as `docker logs --since`.
pub fn time(function: &str, name: &str, v: &Value) -> mlua::Result<String> {
    let bad = || {
        invalid(
            function,
            format!(
                "bad option '{name}' (Unix seconds, RFC 3339 time or duration such as \
                 '10m' expected, got {})",
                match v {
                    Value::String(s) => format!("'{}'", excerpt(&s.to_string_lossy(), 40)),
                    other => describe(other),
                }
            ),
        )
    };
    let secs = match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => {
            let text = s.to_string_lossy();
            let text = text.trim();
            match text.parse::<f64>() {
                Ok(n) if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') => n,
                _ => parse_time(text).ok_or_else(bad)?,
            }
        }
        _ => return Err(bad()),
    };
    // Year 1970 to about 5000: anything else is a mistake, not a time.
    if !(0.0..1e11).contains(&secs) {
        return Err(bad());
    }
    let whole = secs.trunc();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0);
    Ok(if nanos > 0.0 {
        format!("{}.{:09}", whole as u64, nanos as u64)
    } else {
        format!("{}", whole as u64)
    })
}

/// Unix seconds of an RFC 3339 time, a date, or now minus a duration.
fn parse_time(text: &str) -> Option<f64> {
    if let Some(ago) = parse_duration(text) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        return Some(now - ago);
    }
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86400;
    if b.len() == 10 {
        return Some(secs as f64);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, m, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    secs += h * 3600 + m * 60 + s;
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(after) = rest.strip_prefix('.') {
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if end == 0 {
            return None;
        }
        fraction = format!("0.{}", &after[..end]).parse().ok()?;
        rest = &after[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let zone = rest.get(1..)?.replace(':', "");
            if zone.len() != 4 || !zone.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om): (i64, i64) = (zone[..2].parse().ok()?, zone[2..].parse().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some((secs - offset) as f64 + fraction)
}

/// Seconds of a Go-style duration: "10m", "1h30m", "1.5h", "250ms".
fn parse_duration(text: &str) -> Option<f64> {
    crate::engine::units::parse_nanos(text).map(|nanos| nanos as f64 / 1e9)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a (proleptic Gregorian) date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// "512m", "1g", "1048576" to bytes; overflow is an error, not a wrap.
pub fn size(function: &str, name: &str, text: &str) -> mlua::Result<i64> {
    let bad = || {
        invalid(
            function,
            format!(
                "bad option '{name}' (a size such as '512m' expected, got '{}')",
                excerpt(text, 40)
            ),
        )
    };
    match crate::engine::units::parse_bytes(text) {
        Ok(bytes) => Ok(bytes),
        Err(true) => Err(invalid(
            function,
            format!("bad option '{name}' (too large: '{}')", excerpt(text, 40)),
        )),
        Err(false) => Err(bad()),
    }
}

/// A `filters` option as the engine's JSON: `{name = value or {values}}` to
/// `{"name": ["value", ...]}`.
pub fn filters_json(opts: &Opts, name: &str) -> mlua::Result<Option<serde_json::Value>> {
    let Some(table) = opts.table(name)? else {
        return Ok(None);
    };
    let mut map = serde_json::Map::new();
    for pair in table.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = string(opts.function(), "filters key", &k)?;
        let values = match &v {
            Value::Table(t) => string_list(opts.function(), &format!("filters.{key}"), t)?,
            Value::Boolean(b) => vec![b.to_string()],
            Value::Integer(i) => vec![i.to_string()],
            Value::String(s) => vec![s.to_string_lossy()],
            other => {
                return Err(invalid(
                    opts.function(),
                    format!(
                        "bad filter '{key}' (string or array expected, got {})",
                        type_name(other)
                    ),
                ))
            }
        };
        map.insert(key, serde_json::Value::from(values));
    }
    Ok(Some(serde_json::Value::Object(map)))
}

/// `" (did you mean 'x'?)"`: the engine layer's one suggestion, for
/// every unknown name.
pub use crate::engine::options::suggestion;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let lua = mlua::Lua::new();
        let t = |v: Value| time("f", "since", &v);
        let s = |text: &str| Value::String(lua.create_string(text).unwrap());
        assert_eq!(t(Value::Integer(5)).unwrap(), "5");
        assert_eq!(t(Value::Number(1.5)).unwrap(), "1.500000000");
        assert_eq!(t(s("1700000000")).unwrap(), "1700000000");
        assert_eq!(t(s("2024-05-01T12:00:00Z")).unwrap(), "1714564800");
        assert_eq!(t(s("2024-05-01T14:00:00+02:00")).unwrap(), "1714564800");
        assert_eq!(t(s("2024-05-01")).unwrap(), "1714521600");
        assert!(t(s("10m")).is_ok());
        for bad in ["x", "2024-13-01", "2024-02-30", "1e300", "10parsecs", ""] {
            assert!(t(s(bad)).is_err(), "{bad}");
        }
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e300] {
            assert!(t(Value::Number(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_do_not_overflow() {
        assert_eq!(size("f", "mem_limit", "512m").unwrap(), 512 << 20);
        assert_eq!(size("f", "mem_limit", "1gb").unwrap(), 1 << 30);
        assert!(size("f", "mem_limit", "17179869185g").is_err());
        assert!(size("f", "mem_limit", "99999999999999999999").is_err());
        assert!(size("f", "mem_limit", "12q").is_err());
    }

    #[test]
    fn seconds_never_overflow() {
        assert_eq!(
            seconds("f", "x", &Value::Number(1e300)).unwrap(),
            LONGEST_WAIT
        );
        assert_eq!(
            seconds("f", "x", &Value::Number(f64::INFINITY)).unwrap(),
            LONGEST_WAIT
        );
        assert!(seconds("f", "x", &Value::Number(f64::NAN)).is_err());
        assert!(seconds("f", "x", &Value::Integer(-1)).is_err());
        assert!(count("f", "x", &Value::Integer(-1)).is_err());
        assert!(integer("f", "x", &Value::Number(1e300)).is_err());
    }
}
