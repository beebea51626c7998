//! `help(x)` and `?x` at the prompt: the reference entry of a function,
//! method, class or module, read from the LuaLS definitions the binary
//! carries (`types/`, as `--print-types` prints them), so help and types
//! cannot disagree. A value is named by where it lives: `docker.*`, the
//! embedded stdlib modules, or a userdata's `__name` (`Container`).

use std::collections::BTreeMap;

use mlua::{Lua, Table, Value};

use crate::lua::{client, stdlib};

/// `Class` and `Class.member` to their text.
#[derive(Debug, Default)]
pub struct Reference {
    entries: BTreeMap<String, String>,
    /// Members of each class, in the order defined.
    members: BTreeMap<String, Vec<String>>,
    /// The classes each class extends (`RunOptions: CreateOptions`).
    parents: BTreeMap<String, Vec<String>>,
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
                // `(exact)`: LuaLS flags unknown fields; not part of the name.
                let rest = rest.strip_prefix("(exact) ").unwrap_or(rest);
                let name = rest.split([' ', ':']).next().unwrap_or("").to_owned();
                let mut text = format!("{name}  (class)");
                if let Some((_, parent)) = rest.split_once(':') {
                    text = format!("{name}: {}  (class)", parent.trim());
                    let parents = parent.split(',').map(|p| p.trim().to_owned());
                    self.parents.insert(name.clone(), parents.collect());
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

    /// The entry of `Class.member` (a parent's member too), or of `Class`
    /// with its members listed, those it inherits after its own.
    pub fn entry(&self, name: &str) -> Option<String> {
        let Some(text) = self.entries.get(name) else {
            let (class, member) = name.split_once('.')?;
            return self
                .ancestors(class)
                .iter()
                .find_map(|p| self.entries.get(&format!("{p}.{member}")).cloned());
        };
        let mut members: Vec<&str> = Vec::new();
        for class in std::iter::once(name.to_owned()).chain(self.ancestors(name)) {
            for m in self.members.get(&class).into_iter().flatten() {
                if !members.contains(&m.as_str()) {
                    members.push(m);
                }
            }
        }
        if members.is_empty() {
            return Some(text.clone());
        }
        let mut out = text.clone();
        out.push_str("\n  members: ");
        out.push_str(&members.join(", "));
        Some(out)
    }

    /// The classes `class` extends, nearest first (cycles cut).
    fn ancestors(&self, class: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut queue: Vec<String> = self.parents.get(class).cloned().unwrap_or_default();
        while let Some(next) = queue.first().cloned() {
            queue.remove(0);
            if next == class || out.contains(&next) {
                continue;
            }
            queue.extend(self.parents.get(&next).cloned().unwrap_or_default());
            out.push(next);
        }
        out
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
        let _ = client::make_all(&docker);
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
        match eval(lua, prefix) {
            Ok(Value::Nil) => return format!("help: {prefix} is not defined (it is nil)"),
            Ok(value) => {
                if let Some(class) = class_of(lua, &value) {
                    if let Some(entry) = reference.entry(&format!("{class}.{member}")) {
                        return entry;
                    }
                }
                if text[split..].starts_with(':') {
                    return format!("no reference entry for {text}");
                }
            }
            Err(e) => return format!("help: cannot read {prefix}: {e}"),
        }
    }
    match eval(lua, text) {
        Ok(v) if !v.is_nil() && !matches!(v, Value::String(_)) => {
            describe_value(lua, reference, &v)
        }
        Ok(Value::Nil) if is_name(text) => format!("help: {text} is not defined (it is nil)"),
        Ok(_) => format!("no reference entry for {text}"),
        Err(e) => format!("help: cannot read {text}: {e}"),
    }
}

/// The value of an expression typed after `?`, its errors without a chunk
/// name (mlua would name this file).
fn eval(lua: &Lua, expr: &str) -> mlua::Result<Value> {
    lua.load(format!("return {expr}"))
        .set_name("=?")
        .eval::<Value>()
        .map_err(|e| match e {
            mlua::Error::SyntaxError { message, .. } => mlua::Error::runtime(
                message
                    .trim_start_matches("?:1: ")
                    .trim_start_matches("[string \"?\"]:1: "),
            ),
            other => other,
        })
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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
    fn a_class_lists_what_it_inherits_and_exact_is_no_name() {
        let mut r = Reference::default();
        r.parse(
            "---@class (exact) Base\n---@field a string\n---@field b integer\n\n\
             ---@class (exact) Run: Base\n---@field detach boolean\n",
        );
        assert_eq!(
            r.entry("Run").unwrap(),
            "Run: Base  (class)\n  members: detach, a, b"
        );
        assert_eq!(r.entry("Run.b").unwrap(), "Base.b: integer");
    }

    #[test]
    fn run_options_lists_every_option() {
        let r = Reference::embedded();
        let entry = r.entry("RunOptions").unwrap();
        let members = entry.split("members: ").nth(1).unwrap();
        for option in [
            "detach",
            "remove",
            "environment",
            "healthcheck",
            "mounts",
            "ports",
        ] {
            assert!(
                members.split(", ").any(|m| m == option),
                "{option}: {entry}"
            );
        }
        assert!(members.split(", ").count() > 80, "{entry}");
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
