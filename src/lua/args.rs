//! Checking what scripts pass: every wrong argument becomes an
//! `InvalidArgument` naming the function and the argument, before any request.

use mlua::{Table, Value};

use super::error::invalid;

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
            Value::Integer(i) => Ok(Some(i)),
            Value::Number(n) if n.fract() == 0.0 && n.is_finite() => Ok(Some(n as i64)),
            other => Err(self.bad(name, "integer", &other)),
        }
    }

    pub fn number(&self, name: &str) -> mlua::Result<Option<f64>> {
        match self.raw(name)? {
            Value::Nil => Ok(None),
            Value::Integer(i) => Ok(Some(i as f64)),
            Value::Number(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
            other => Err(self.bad(name, "non-negative number", &other)),
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

/// `" (did you mean 'x'?)"` when one of `known` is close to `name` (a typo
/// or a different spelling), else `""`.
pub fn suggestion(name: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, k)) if d <= (name.chars().count() / 3).max(2) => {
            format!(" (did you mean '{k}'?)")
        }
        _ => String::new(),
    }
}

/// Levenshtein distance, where `_` and `-` count as the same character.
fn edit_distance(a: &str, b: &str) -> usize {
    let norm = |c: char| {
        if c == '-' {
            '_'
        } else {
            c.to_ascii_lowercase()
        }
    };
    let a: Vec<char> = a.chars().map(norm).collect();
    let b: Vec<char> = b.chars().map(norm).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod suggestion_tests {
    use super::suggestion;

    #[test]
    fn the_closest_name_is_suggested() {
        let known = ["detach", "mem_limit", "auto_remove", "environment", "to"];
        assert_eq!(suggestion("detatch", &known), " (did you mean 'detach'?)");
        assert_eq!(
            suggestion("memlimit", &known),
            " (did you mean 'mem_limit'?)"
        );
        assert_eq!(
            suggestion("auto-remove", &known),
            " (did you mean 'auto_remove'?)"
        );
        assert_eq!(suggestion("too", &known), " (did you mean 'to'?)");
        assert_eq!(suggestion("zzz", &known), "");
        assert_eq!(suggestion("x", &[]), "");
    }
}
