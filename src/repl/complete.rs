//! Tab completion on live values. The expression before the cursor
//! (`docker.containers.li`, `c:st`, `t["a b"].x`) is walked in the Lua state
//! without running any Lua code: table fields are read raw, `__index` is only
//! followed when it is a table, and a userdata is asked only for the members
//! its metatable lists in `__members` (an array of names).

use mlua::{Lua, Table, Value};

use super::lex::{is_identifier, is_keyword, lex, simple_string_value, Kind, Token, KEYWORDS};
use crate::lua::client;

/// How far to follow chains of `__index` tables.
const MAX_INDEX_CHAIN: usize = 16;

/// Completions for `line[..pos]`: where the replaced word starts and the
/// sorted candidates for it.
pub(crate) fn complete(lua: &Lua, line: &str, pos: usize) -> (usize, Vec<String>) {
    let Some(text) = line.get(..pos) else {
        return (pos, Vec::new());
    };
    let lexed = lex(text);
    if lexed.unterminated {
        return (pos, Vec::new());
    }
    let tokens = &lexed.tokens;
    let (start, partial, before) = match tokens.last() {
        Some(t) if t.kind == Kind::Name && t.end == pos => {
            (t.start, t.text, &tokens[..tokens.len() - 1])
        }
        _ => (pos, "", &tokens[..]),
    };
    let names = match before.last().map(|t| t.text) {
        Some(sep @ ("." | ":")) => {
            let Some(value) = resolve(lua, &before[..before.len() - 1]) else {
                return (pos, Vec::new());
            };
            member_names(lua, &value, sep == ":")
        }
        _ => {
            let mut names = member_names(lua, &Value::Table(lua.globals()), false);
            names.extend(KEYWORDS.iter().map(|k| k.to_string()));
            names
        }
    };
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(partial))
        // Private-looking names only when asked for.
        .filter(|n| partial.starts_with('_') || !n.starts_with('_'))
        .collect();
    found.sort();
    found.dedup();
    (start, found)
}

/// The value of a path such as `a.b["c"].d` that ends the tokens, or `None`
/// when they end in something else (a call, a literal...).
fn resolve(lua: &Lua, tokens: &[Token<'_>]) -> Option<Value> {
    let mut keys: Vec<String> = Vec::new();
    let mut j = tokens.len();
    loop {
        let t = tokens.get(j.checked_sub(1)?)?;
        if t.kind == Kind::Name {
            if is_keyword(t.text) {
                return None;
            }
            keys.push(t.text.to_string());
            j -= 1;
            match j.checked_sub(1).map(|k| tokens[k].text) {
                Some(".") => j -= 1,
                // `a:b.` and `x..y.` are not paths.
                Some(":") | Some("..") => return None,
                _ => break,
            }
        } else if t.text == "]" && j >= 3 {
            let key = tokens[j - 2];
            if key.kind != Kind::Str || tokens[j - 3].text != "[" {
                return None;
            }
            keys.push(simple_string_value(key.text)?.to_string());
            j -= 3;
        } else {
            return None;
        }
    }
    keys.reverse();
    let mut keys = keys.into_iter();
    let root = keys.next()?;
    let mut value = field(lua, &Value::Table(lua.globals()), &root)?;
    for key in keys {
        value = field(lua, &value, &key)?;
    }
    Some(value)
}

/// `v[key]` without side effects; `None` when unknown or nil.
fn field(lua: &Lua, v: &Value, key: &str) -> Option<Value> {
    let found = match v {
        Value::Table(t) => table_field(t, key),
        Value::UserData(ud) => {
            if !userdata_members(v).iter().any(|m| m == key) {
                return None;
            }
            let index = ud.metatable().ok()?.get::<Value>("__index").ok()?;
            match index {
                Value::Table(t) => table_field(&t, key),
                // The type lists this member itself, so its getter is safe.
                _ => mlua::ObjectLike::get::<Value>(ud, key).ok(),
            }
        }
        Value::String(_) => table_field(&lua.globals().raw_get::<Table>("string").ok()?, key),
        _ => None,
    };
    found.filter(|v| !v.is_nil())
}

fn table_field(t: &Table, key: &str) -> Option<Value> {
    let mut t = t.clone();
    for _ in 0..MAX_INDEX_CHAIN {
        let _ = client::make_all(&t);
        let v = t.raw_get::<Value>(key).ok()?;
        if !v.is_nil() {
            return Some(v);
        }
        match t.metatable()?.raw_get::<Value>("__index").ok()? {
            Value::Table(next) => t = next,
            _ => return None,
        }
    }
    None
}

/// The names `v.` (or `v:` when `methods`) can be followed by.
fn member_names(lua: &Lua, v: &Value, methods: bool) -> Vec<String> {
    match v {
        Value::Table(t) => table_names(t, methods),
        Value::UserData(ud) => {
            let mut names = userdata_members(v);
            if methods {
                // After `:` only what can be called: `c:st` offers `start`,
                // `stop`, `stats`, not the `status` field.
                names.retain(|n| field(lua, v, n).is_some_and(|f| is_callable(&f)));
            }
            if let Ok(Value::Table(index)) =
                ud.metatable().and_then(|mt| mt.get::<Value>("__index"))
            {
                names.extend(table_names(&index, methods));
            }
            names
        }
        Value::String(_) => match lua.globals().raw_get::<Table>("string") {
            Ok(t) => table_names(&t, methods),
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Identifier keys of a table and of its `__index` tables.
fn table_names(t: &Table, methods: bool) -> Vec<String> {
    let mut names = Vec::new();
    let mut t = t.clone();
    for _ in 0..MAX_INDEX_CHAIN {
        // A client's areas are made on first use: completion lists them all.
        let _ = client::make_all(&t);
        for (k, v) in t.pairs::<Value, Value>().flatten() {
            let Value::String(k) = k else { continue };
            let Ok(k) = k.to_str() else { continue };
            if is_identifier(&k) && (!methods || is_callable(&v)) {
                names.push(k.to_string());
            }
        }
        match t.metatable().map(|mt| mt.raw_get::<Value>("__index")) {
            Some(Ok(Value::Table(next))) => t = next,
            _ => break,
        }
    }
    names
}

fn is_callable(v: &Value) -> bool {
    match v {
        Value::Function(_) => true,
        Value::Table(t) => t
            .metatable()
            .is_some_and(|mt| matches!(mt.raw_get::<Value>("__call"), Ok(Value::Function(_)))),
        Value::UserData(ud) => ud
            .metatable()
            .is_ok_and(|mt| matches!(mt.get::<Value>("__call"), Ok(Value::Function(_)))),
        _ => false,
    }
}

/// The `__members` list of a userdata's metatable, if it has one.
fn userdata_members(v: &Value) -> Vec<String> {
    let Value::UserData(ud) = v else {
        return Vec::new();
    };
    let Ok(Value::Table(list)) = ud.metatable().and_then(|mt| mt.get::<Value>("__members")) else {
        return Vec::new();
    };
    list.sequence_values::<String>().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::{UserData, UserDataFields, UserDataMethods};

    struct Thing;

    impl UserData for Thing {
        fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
            fields.add_field_method_get("id", |_, _| Ok("abc"));
            fields.add_field_method_get("labels", |lua, _| {
                let t = lua.create_table()?;
                t.set("team", "ops")?;
                Ok(t)
            });
            fields.add_meta_field("__members", vec!["id", "labels", "start", "stop"]);
        }
        fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
            methods.add_method("start", |_, _, ()| Ok(()));
            methods.add_method("stop", |_, _, ()| Ok(()));
        }
    }

    fn setup() -> Lua {
        let lua = Lua::new();
        lua.load(
            r#"
            docker = { containers = { list = function() end, get = function() end, run = 1 },
                       sleep = function() end }
            obj = setmetatable({ own = 1 }, { __index = { inherited = function() end } })
            strict = setmetatable({}, { __index = function() error("boom") end })
            t = { ["a b"] = { deep = 1 } }
            "#,
        )
        .exec()
        .unwrap();
        lua.globals().set("thing", Thing).unwrap();
        lua
    }

    fn names(lua: &Lua, line: &str) -> Vec<String> {
        complete(lua, line, line.len()).1
    }

    #[test]
    fn globals_and_keywords() {
        let lua = setup();
        assert_eq!(
            complete(&lua, "x = doc", 7),
            (4, vec!["docker".to_string()])
        );
        assert_eq!(names(&lua, "fun"), ["function"]);
        assert!(names(&lua, "").contains(&"print".to_string()));
        assert!(!names(&lua, "").contains(&"_G".to_string()));
        assert!(names(&lua, "_").contains(&"_G".to_string()));
    }

    #[test]
    fn fields_and_methods() {
        let lua = setup();
        assert_eq!(
            complete(&lua, "docker.sl", 9),
            (7, vec!["sleep".to_string()])
        );
        assert_eq!(names(&lua, "docker.containers."), ["get", "list", "run"]);
        assert_eq!(names(&lua, "docker.containers:"), ["get", "list"]);
        assert_eq!(names(&lua, "docker . containers . l"), ["list"]);
        assert_eq!(names(&lua, "obj."), ["inherited", "own"]);
        assert_eq!(names(&lua, "obj:"), ["inherited"]);
        assert_eq!(names(&lua, "t[\"a b\"]."), ["deep"]);
        assert!(names(&lua, "string.").contains(&"format".to_string()));
        assert!(names(&lua, "_VERSION:").contains(&"upper".to_string()));
    }

    #[test]
    fn userdata_members() {
        let lua = setup();
        assert_eq!(names(&lua, "thing:st"), ["start", "stop"]);
        assert_eq!(names(&lua, "thing."), ["id", "labels", "start", "stop"]);
        assert_eq!(names(&lua, "thing.labels."), ["team"]);
    }

    #[test]
    fn nothing_to_complete() {
        let lua = setup();
        assert!(names(&lua, "strict.").is_empty());
        assert!(names(&lua, "f().").is_empty());
        assert!(names(&lua, "x = 'docker.").is_empty());
        assert!(names(&lua, "nope.").is_empty());
        assert!(names(&lua, "a:b.").is_empty());
        assert!(names(&lua, "1 .").is_empty());
    }
}
