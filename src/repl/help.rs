//! `help(x)` and `?x` at the prompt: the reference entry of a function,
//! method, class or module, read from the LuaLS definitions the binary
//! carries (`types/`, as `--print-types` prints them), so help and types
//! cannot disagree. A value is named by where it lives: `docker.*`, the
//! embedded stdlib modules, or a userdata's `__name` (`Container`).

use std::collections::BTreeMap;

use mlua::{Lua, Table, Value};

use crate::lua::stdlib;

/// `Class` and `Class.member` to their text.
#[derive(Debug, Default)]
pub struct Reference {
    entries: BTreeMap<String, String>,
    /// Members of each class, in the order defined.
    members: BTreeMap<String, Vec<String>>,
}

impl Reference {
    /// The reference of the definitions the binary carries.
    pub fn embedded() -> Reference {
        let mut r = Reference::default();
        for (_, text) in stdlib::TYPES {
            r.parse(text);
        }
        r
    }

    /// Reads `---` doc blocks before `---@class`, `---@field` and
    /// `function Var.name(...)` lines of a LuaLS file.
    pub fn parse(&mut self, text: &str) {
        let mut doc: Vec<String> = Vec::new();
        let mut class: Option<String> = None;
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("---@class ") {
                let name = rest.split([' ', ':']).next().unwrap_or("").to_owned();
                let mut text = format!("{name}  (class)");
                if let Some((_, parent)) = rest.split_once(':') {
                    text = format!("{name}: {}  (class)", parent.trim());
                }
                let mut described = false;
                for d in doc.drain(..).filter(|d| !d.starts_with('@')) {
                    text.push_str(&format!("\n  {d}"));
                    described = true;
                }
                // A module's file may add fields to a class declared elsewhere
                // (`---@class DockerClient` then `---@field plugins ...`):
                // that bare declaration keeps the class's own text.
                if described || !self.entries.contains_key(&name) {
                    self.entries.insert(name.clone(), text);
                }
                class = Some(name);
            } else if let Some(rest) = line.strip_prefix("---@field ") {
                let Some(c) = &class else { continue };
                let mut parts = rest.splitn(3, ' ');
                let name = parts.next().unwrap_or("").to_owned();
                let ty = parts.next().unwrap_or("");
                let what = parts.next().unwrap_or("");
                let text = format!("{c}.{name}: {ty}  {what}").trim_end().to_owned();
                self.add_member(c, &name, text);
            } else if let Some(d) = line.strip_prefix("---") {
                doc.push(d.to_owned());
            } else if let Some(rest) = line.strip_prefix("local ") {
                if let (Some(c), Some((var, "{}"))) = (&class, rest.split_once(" = ")) {
                    vars.insert(var.to_owned(), c.clone());
                }
                class = None;
                doc.clear();
            } else if let Some(rest) = line.strip_prefix("function ") {
                let signature = rest.trim_end_matches(" end");
                let name = signature.split('(').next().unwrap_or("");
                if let Some((var, member)) = name.split_once(['.', ':']) {
                    if let Some(c) = vars.get(var).cloned() {
                        let shown = format!("{c}{}", &signature[var.len()..]);
                        let text = render_function(&shown, &doc);
                        self.add_member(&c, member, text);
                    }
                }
                doc.clear();
                class = None;
            } else {
                doc.clear();
                class = None;
            }
        }
    }

    fn add_member(&mut self, class: &str, member: &str, text: String) {
        self.entries.insert(format!("{class}.{member}"), text);
        let list = self.members.entry(class.to_owned()).or_default();
        if !list.iter().any(|m| m == member) {
            list.push(member.to_owned());
        }
    }

    /// The entry of `Class.member`, or of `Class` with its members listed.
    pub fn entry(&self, name: &str) -> Option<String> {
        let text = self.entries.get(name)?;
        let Some(members) = self.members.get(name) else {
            return Some(text.clone());
        };
        let mut out = text.clone();
        out.push_str("\n  members: ");
        out.push_str(&members.join(", "));
        Some(out)
    }

    pub fn has(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }
}

/// `Class.method(a, b)` and its doc: description, then parameters and results.
fn render_function(signature: &str, doc: &[String]) -> String {
    let mut out = signature.to_owned();
    for d in doc {
        let d = d.trim_start();
        if let Some(p) = d.strip_prefix("@param ") {
            out.push_str(&format!("\n  {}", p.replacen(' ', ": ", 1)));
        } else if let Some(r) = d.strip_prefix("@return ") {
            out.push_str(&format!("\n  returns {r}"));
        } else if let Some(o) = d.strip_prefix("@overload ") {
            out.push_str(&format!("\n  or {o}"));
        } else if d.starts_with('@') {
            continue;
        } else {
            out.push_str(&format!("\n  {d}"));
        }
    }
    out
}

/// The class of a value: a userdata's or table's `__name`, `docker` itself,
/// a stdlib module, or a `docker.NAME` table (`DockerJson`).
pub fn class_of(lua: &Lua, v: &Value) -> Option<String> {
    let name_of = |mt: Option<Table>| mt.and_then(|mt| mt.raw_get::<String>("__name").ok());
    match v {
        Value::UserData(ud) => ud.metatable().ok()?.get::<String>("__name").ok(),
        Value::Table(t) => {
            if let Some(name) = name_of(t.metatable()) {
                return Some(name);
            }
            roots(lua)
                .into_iter()
                .find(|(_, root)| root.to_pointer() == t.to_pointer())
                .map(|(name, _)| name)
        }
        _ => None,
    }
}

/// Named tables whose fields have entries: `DockerClient` (the `docker`
/// global), its sub-tables, and the stdlib modules already loaded.
fn roots(lua: &Lua) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    if let Ok(docker) = lua.globals().raw_get::<Table>("docker") {
        for (k, v) in docker.pairs::<String, Value>().flatten() {
            if let Value::Table(t) = v {
                let named = t
                    .metatable()
                    .and_then(|mt| mt.raw_get::<String>("__name").ok());
                let name = named.unwrap_or_else(|| {
                    let mut c = k.chars();
                    let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or_default();
                    format!("Docker{first}{}", c.as_str())
                });
                out.push((name, t));
            }
        }
        out.push(("DockerClient".to_owned(), docker));
    }
    let loaded = lua
        .globals()
        .raw_get::<Table>("package")
        .and_then(|p| p.raw_get::<Table>("loaded"));
    if let Ok(loaded) = loaded {
        for (name, _) in stdlib::MODULES {
            if let Ok(t) = loaded.raw_get::<Table>(*name) {
                out.push(((*name).to_owned(), t));
            }
        }
    }
    out
}

/// The entry name of a value: its class, or `Class.member` of a function
/// found in one of the named tables.
fn name_of(lua: &Lua, v: &Value) -> Option<String> {
    if let Some(class) = class_of(lua, v) {
        return Some(class);
    }
    if let Value::Function(f) = v {
        for (class, table) in roots(lua) {
            for (k, member) in table.pairs::<String, Value>().flatten() {
                if let Value::Function(m) = member {
                    if m.to_pointer() == f.to_pointer() {
                        return Some(format!("{class}.{k}"));
                    }
                }
            }
        }
    }
    None
}

/// The `help` global of the prompt: `help(x)` prints x's entry; `help()`
/// says how to use it.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let reference = std::rc::Rc::new(Reference::embedded());
    let help = lua.create_function(move |lua, v: Option<Value>| {
        let text = match v {
            None | Some(Value::Nil) => USAGE.to_owned(),
            Some(v) => describe_value(lua, &reference, &v),
        };
        println!("{text}");
        Ok(())
    })?;
    lua.globals().raw_set("help", help)
}

const USAGE: &str =
    "help(x) or ?x shows the reference of a docker function, method, object or module: \
help(docker.containers.run), ?c:logs, ?docker.wait, help(\"Container\")";

/// What `help(v)` prints.
pub fn describe_value(lua: &Lua, reference: &Reference, v: &Value) -> String {
    if let Value::String(s) = v {
        let text = s.to_string_lossy();
        return describe_text(lua, reference, &text);
    }
    match name_of(lua, v).and_then(|n| reference.entry(&n)) {
        Some(entry) => entry,
        None => format!(
            "no reference entry for this {} (help covers docker.*, its objects and the docker.* modules)",
            v.type_name()
        ),
    }
}

/// What `?expr` and `help("expr")` print: `Class.member` as written, or the
/// expression's value (`docker.containers.run`, `c:stop`, `docker.wait`).
pub fn describe_text(lua: &Lua, reference: &Reference, text: &str) -> String {
    let text = text.trim();
    let direct = text.replacen(':', ".", 1);
    if let Some(entry) = reference.entry(&direct) {
        return entry;
    }
    if stdlib::MODULES.iter().any(|(n, _)| *n == text) {
        if let Some(entry) = reference.entry(text) {
            return entry;
        }
    }
    // `prefix.member` / `prefix:member`: the class of prefix, then the member.
    if let Some(split) = text.rfind(['.', ':']) {
        let (prefix, member) = (&text[..split], &text[split + 1..]);
        let value = lua.load(format!("return {prefix}")).eval::<Value>();
        if let Ok(value) = value {
            if let Some(class) = class_of(lua, &value) {
                if let Some(entry) = reference.entry(&format!("{class}.{member}")) {
                    return entry;
                }
            }
        }
    }
    match lua.load(format!("return {text}")).eval::<Value>() {
        Ok(v) if !v.is_nil() && !matches!(v, Value::String(_)) => {
            describe_value(lua, reference, &v)
        }
        Ok(_) => format!("no reference entry for {text}"),
        Err(e) => format!("help: cannot read {text}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_from_definitions() {
        let mut r = Reference::default();
        r.parse(
            "---A thing.\n---@class Thing\n---@field id string the id\nlocal Thing = {}\n\n\
             ---Does it.\n---@param x integer how many\n---@return boolean\nfunction Thing:go(x) end\n",
        );
        assert_eq!(r.entry("Thing.id").unwrap(), "Thing.id: string  the id");
        assert_eq!(
            r.entry("Thing.go").unwrap(),
            "Thing:go(x)\n  Does it.\n  x: integer how many\n  returns boolean"
        );
        assert_eq!(
            r.entry("Thing").unwrap(),
            "Thing  (class)\n  A thing.\n  members: id, go"
        );
    }

    #[test]
    fn every_embedded_method_has_an_entry() {
        let r = Reference::embedded();
        for name in [
            "DockerClient.ping",
            "ContainerCollection.run",
            "Container.stop",
            "docker.wait.log",
        ] {
            assert!(r.has(name), "{name}");
        }
    }
}
