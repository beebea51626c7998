//! The services' dependencies: `depends_on` and the services a service
//! shares a network stack with (`network_mode: service:x`).

use serde_json::{Map, Value};

use super::path::Path;
use crate::engine::Result;

/// The services `service` depends on.
pub fn dependencies(service: &Value) -> Vec<String> {
    let mut deps: Vec<String> = service
        .get("depends_on")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(other) = service
        .get("network_mode")
        .and_then(Value::as_str)
        .and_then(|m| m.strip_prefix("service:"))
    {
        if !deps.iter().any(|d| d == other) {
            deps.push(other.to_owned());
        }
    }
    deps
}

/// The services in an order where each comes after what it depends on
/// (names sorted among equals, so the order is stable); a cycle is an error
/// naming it.
pub fn order(services: &Map<String, Value>, p: &Path) -> Result<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        name: &str,
        services: &Map<String, Value>,
        marks: &mut std::collections::HashMap<String, Mark>,
        stack: &mut Vec<String>,
        out: &mut Vec<String>,
        p: &Path,
    ) -> Result<()> {
        match marks.get(name).copied().unwrap_or(Mark::New) {
            Mark::Done => return Ok(()),
            Mark::Active => {
                let start = stack.iter().position(|s| s == name).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(name.to_owned());
                return Err(p
                    .key("services")
                    .error(format!("dependency cycle: {}", cycle.join(" -> "))));
            }
            Mark::New => {}
        }
        marks.insert(name.to_owned(), Mark::Active);
        stack.push(name.to_owned());
        if let Some(service) = services.get(name) {
            let mut deps = dependencies(service);
            deps.sort();
            for dep in deps {
                if services.contains_key(&dep) {
                    visit(&dep, services, marks, stack, out, p)?;
                }
            }
        }
        stack.pop();
        marks.insert(name.to_owned(), Mark::Done);
        out.push(name.to_owned());
        Ok(())
    }
    let mut marks = std::collections::HashMap::new();
    let mut out = Vec::new();
    for name in services.keys() {
        visit(name, services, &mut marks, &mut Vec::new(), &mut out, p)?;
    }
    Ok(out)
}

/// `names` and everything they depend on, transitively.
pub fn with_dependencies(services: &Map<String, Value>, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut todo: Vec<String> = names.to_vec();
    while let Some(n) = todo.pop() {
        if out.contains(&n) {
            continue;
        }
        if let Some(s) = services.get(&n) {
            todo.extend(dependencies(s));
        }
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn orders_and_finds_cycles() {
        let s = json!({
            "web": {"depends_on": {"api": {}}},
            "api": {"depends_on": {"db": {}}},
            "db": {},
            "side": {"network_mode": "service:db"},
        });
        let order = order(s.as_object().unwrap(), &Path::new("c.yaml")).unwrap();
        let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
        assert!(pos("db") < pos("api") && pos("api") < pos("web") && pos("db") < pos("side"));
        let cyc = json!({"a": {"depends_on": {"b": {}}}, "b": {"depends_on": {"c": {}}}, "c": {"depends_on": {"a": {}}}});
        let e = super::order(cyc.as_object().unwrap(), &Path::new("c.yaml")).unwrap_err();
        assert_eq!(
            e.message,
            "c.yaml: services: dependency cycle: a -> b -> c -> a"
        );
    }
}
