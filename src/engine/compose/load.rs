//! Loading a project: finding the compose files (the default names,
//! searched upwards as the CLI searches), reading `.env`, then for every
//! file and every document in it: YAML, interpolation, normalisation, and
//! the merge as an override; then `extends`, profiles, the project name,
//! and the checks that need the whole model (references, cycles).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

use serde_json::{json, Map, Value};

use super::normalise::{self, Ctx};
use super::path::Path;
use super::{env, graph, interpolate, merge, yaml, Project};
use crate::engine::{Error, Result};

/// The default file names, in the CLI's order of preference.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// What `docker.compose.load` was asked.
#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    /// Files of variables instead of `<working_dir>/.env`.
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable (`None`: `COMPOSE_PROFILES`).
    pub profiles: Option<Vec<String>>,
    pub working_dir: Option<PathBuf>,
    /// Where the search for a default file starts (the current folder).
    pub search_from: PathBuf,
    /// The process environment.
    pub environ: HashMap<String, String>,
}

/// Loads the files of `opts`.
pub fn load(opts: &LoadOptions) -> Result<Project> {
    let files = if !opts.files.is_empty() {
        opts.files
            .iter()
            .map(|f| absolute_from(&opts.search_from, f))
            .collect()
    } else if let Some(list) = opts.environ.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        list.split(':')
            .map(|f| absolute_from(&opts.search_from, FsPath::new(f)))
            .collect()
    } else {
        find_default(&opts.search_from)?
    };
    let working_dir = match &opts.working_dir {
        Some(d) => absolute_from(&opts.search_from, d),
        None => files[0]
            .parent()
            .map(FsPath::to_path_buf)
            .unwrap_or_default(),
    };
    let vars = variables(opts, &working_dir)?;
    let mut warnings = Vec::new();
    let mut model = Map::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", file.display())))?;
        for doc in read_documents(file, &text, &vars, &working_dir, &mut warnings)? {
            merge::merge(&mut model, doc);
        }
    }
    let config_files = files.iter().map(|f| f.display().to_string()).collect();
    let origin = files[0].display().to_string();
    finish(
        model,
        opts,
        vars,
        working_dir,
        config_files,
        warnings,
        &origin,
    )
}

/// A model given as a value (`docker.compose.project{...}`): normalised and
/// checked as a file is, without interpolation.
pub fn from_value(doc: Value, opts: &LoadOptions) -> Result<Project> {
    let working_dir = opts
        .working_dir
        .clone()
        .map(|d| absolute_from(&opts.search_from, &d))
        .unwrap_or_else(|| opts.search_from.clone());
    let vars = variables(opts, &working_dir)?;
    let ctx = Ctx {
        dir: &working_dir,
        env: &vars,
    };
    let model = normalise::document(&ctx, doc, &Path::new("project"))?;
    finish(
        model,
        opts,
        vars,
        working_dir,
        Vec::new(),
        Vec::new(),
        "project",
    )
}

fn read_documents(
    file: &FsPath,
    text: &str,
    vars: &HashMap<String, String>,
    dir: &FsPath,
    warnings: &mut Vec<String>,
) -> Result<Vec<Map<String, Value>>> {
    let origin = file.display().to_string();
    let ctx = Ctx { dir, env: vars };
    let mut out = Vec::new();
    for mut doc in yaml::decode_all(&origin, text)? {
        let p = Path::new(&origin);
        let mut iv = interpolate::Vars {
            env: vars,
            warnings,
        };
        interpolate::value(&mut iv, &mut doc, &p)?;
        out.push(normalise::document(&ctx, doc, &p)?);
    }
    Ok(out)
}

fn absolute_from(base: &FsPath, p: &FsPath) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The first folder from `start` upwards holding a default file; its
/// override file comes with it.
fn find_default(start: &FsPath) -> Result<Vec<PathBuf>> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if let Some(main) = DEFAULT_FILES
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            let mut files = vec![main];
            if let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|n| d.join(n))
                .find(|p| p.is_file())
            {
                files.push(o);
            }
            return Ok(files);
        }
        dir = d.parent();
    }
    Err(Error::new(
        crate::engine::ErrorKind::NotFound,
        format!(
            "no compose file in {} or its parents ({})",
            start.display(),
            DEFAULT_FILES.join(", ")
        ),
    ))
}

/// The environment over the `.env` file (or the files asked for).
fn variables(opts: &LoadOptions, working_dir: &FsPath) -> Result<HashMap<String, String>> {
    let mut vars = HashMap::new();
    let files: Vec<PathBuf> = if opts.env_files.is_empty() {
        let default = working_dir.join(".env");
        if default.is_file() {
            vec![default]
        } else {
            Vec::new()
        }
    } else {
        opts.env_files
            .iter()
            .map(|f| absolute_from(&opts.search_from, f))
            .collect()
    };
    for file in files {
        vars.extend(env::read(&file, &opts.environ)?);
    }
    vars.extend(opts.environ.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(vars)
}

/// A project name as compose accepts it: lower case letters, digits, `_`
/// and `-`, starting with a letter or digit.
pub fn project_name(raw: &str) -> String {
    raw.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect::<String>()
        .trim_start_matches(['_', '-'])
        .to_owned()
}

fn finish(
    mut model: Map<String, Value>,
    opts: &LoadOptions,
    vars: HashMap<String, String>,
    working_dir: PathBuf,
    config_files: Vec<String>,
    mut warnings: Vec<String>,
    origin: &str,
) -> Result<Project> {
    let p = Path::new(origin);
    let raw_name = opts
        .project_name
        .clone()
        .or_else(|| {
            vars.get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .cloned()
        })
        .or_else(|| model.get("name").and_then(Value::as_str).map(str::to_owned))
        .or_else(|| {
            working_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let name = project_name(&raw_name);
    if name.is_empty() {
        return Err(p.error(format!(
            "'{raw_name}' is not a project name (lower case letters, digits, '_' and '-')"
        )));
    }
    model.insert("name".into(), json!(name));
    let mut services = match model.remove("services") {
        Some(Value::Object(s)) => s,
        _ => Map::new(),
    };
    resolve_extends(&mut services, &vars, &working_dir, &p)?;
    let profiles: Vec<String> = match &opts.profiles {
        Some(list) => list.clone(),
        None => vars
            .get("COMPOSE_PROFILES")
            .map(|s| {
                s.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    services.retain(|_, s| match s.get("profiles").and_then(Value::as_array) {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => profiles
            .iter()
            .any(|p| p == "*" || list.iter().any(|l| l == p.as_str())),
    });
    model.insert("services".into(), Value::Object(services));
    check(&mut model, &p, &mut warnings)?;
    Ok(Project {
        name,
        working_dir,
        config_files,
        model,
        warnings,
    })
}

/// `extends`: the service it names (in this project or another file) is
/// the base, the service's own keys merged over it.
fn resolve_extends(
    services: &mut Map<String, Value>,
    vars: &HashMap<String, String>,
    dir: &FsPath,
    p: &Path,
) -> Result<()> {
    let names: Vec<String> = services.keys().cloned().collect();
    for name in names {
        let mut seen = vec![name.clone()];
        let resolved = extended(services, &name, vars, dir, p, &mut seen)?;
        services.insert(name, resolved);
    }
    Ok(())
}

fn extended(
    services: &Map<String, Value>,
    name: &str,
    vars: &HashMap<String, String>,
    dir: &FsPath,
    p: &Path,
    seen: &mut Vec<String>,
) -> Result<Value> {
    let sp = p.key("services").key(name);
    let mut service = services
        .get(name)
        .cloned()
        .ok_or_else(|| sp.error("no such service to extend"))?;
    let Some(ext) = service.as_object_mut().and_then(|s| s.remove("extends")) else {
        return Ok(service);
    };
    let base_name = ext["service"].as_str().unwrap_or_default().to_owned();
    let mut base = match ext.get("file").and_then(Value::as_str) {
        Some(file) => {
            let file = PathBuf::from(file);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                sp.key("extends")
                    .error(format!("cannot read {}: {e}", file.display()))
            })?;
            let fdir = file.parent().unwrap_or(dir).to_path_buf();
            let mut warnings = Vec::new();
            let mut other = Map::new();
            for doc in read_documents(&file, &text, vars, &fdir, &mut warnings)? {
                merge::merge(&mut other, doc);
            }
            let other_services = match other.remove("services") {
                Some(Value::Object(s)) => s,
                _ => Map::new(),
            };
            let fp = Path::new(&file.display().to_string());
            if !other_services.contains_key(&base_name) {
                return Err(sp
                    .key("extends")
                    .error(format!("no service '{base_name}' in {}", file.display())));
            }
            extended(
                &other_services,
                &base_name,
                vars,
                &fdir,
                &fp,
                &mut vec![base_name.clone()],
            )?
        }
        None => {
            if seen.contains(&base_name) {
                seen.push(base_name);
                return Err(sp
                    .key("extends")
                    .error(format!("extends cycle: {}", seen.join(" -> "))));
            }
            if !services.contains_key(&base_name) {
                return Err(sp
                    .key("extends")
                    .error(format!("no service '{base_name}' to extend")));
            }
            seen.push(base_name.clone());
            extended(services, &base_name, vars, dir, p, seen)?
        }
    };
    if let (Value::Object(b), Value::Object(s)) = (&mut base, service) {
        merge::merge(b, s);
    }
    Ok(base)
}

/// Checks that need the whole model, and the defaults compose adds: the
/// `default` network, declared networks, volumes, secrets and configs.
fn check(model: &mut Map<String, Value>, p: &Path, warnings: &mut Vec<String>) -> Result<()> {
    let mut uses_default = false;
    let declared = |model: &Map<String, Value>, kind: &str, name: &str| {
        model
            .get(kind)
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key(name))
    };
    let names: Vec<String> = model["services"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut services = model
        .remove("services")
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    for (name, service) in services.iter_mut() {
        let sp = p.key("services").key(name);
        let s = service
            .as_object_mut()
            .ok_or_else(|| sp.error("a service must be a mapping"))?;
        if !s.contains_key("image") && !s.contains_key("build") {
            return Err(sp.error("a service needs an 'image' or a 'build'"));
        }
        if !s.contains_key("network_mode") && !s.contains_key("networks") {
            s.insert("networks".into(), json!({"default": {}}));
        }
        if let Some(nets) = s.get("networks").and_then(Value::as_object) {
            for net in nets.keys() {
                if net == "default" {
                    uses_default = true;
                } else if !declared(model, "networks", net) {
                    return Err(sp
                        .key("networks")
                        .error(format!("undefined network '{net}'")));
                }
            }
        }
        if let Some(mode) = s.get("network_mode").and_then(Value::as_str) {
            if let Some(other) = mode.strip_prefix("service:") {
                if !names.iter().any(|n| n == other) {
                    return Err(sp
                        .key("network_mode")
                        .error(format!("no service '{other}'")));
                }
            }
        }
        for (i, v) in s
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if v["type"] == "volume" {
                if let Some(src) = v.get("source").and_then(Value::as_str) {
                    if !declared(model, "volumes", src) {
                        return Err(sp
                            .key("volumes")
                            .index(i)
                            .error(format!("undefined volume '{src}'")));
                    }
                }
            }
        }
        for kind in ["secrets", "configs"] {
            for (i, v) in s
                .get(kind)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let src = v["source"].as_str().unwrap_or_default();
                if !declared(model, kind, src) {
                    return Err(sp
                        .key(kind)
                        .index(i)
                        .error(format!("undefined {} '{src}'", &kind[..kind.len() - 1])));
                }
                if model[kind][src].get("file").is_none() {
                    return Err(sp.key(kind).index(i).error(format!(
                        "'{src}' has no 'file': only file-based {kind} can be mounted without a swarm"
                    )));
                }
            }
        }
        // An optional dependency on a service that is not there is dropped,
        // with a warning (as compose v2 does).
        if let Some(Value::Object(deps)) = s.get_mut("depends_on") {
            let mut missing = None;
            deps.retain(|dep, d| {
                let present = names.iter().any(|n| n == dep);
                if !present && d["required"] != json!(false) {
                    missing = Some(dep.clone());
                } else if !present {
                    warnings.push(format!(
                        "{name}: optional dependency '{dep}' is not in the project (undefined or disabled): skipped"
                    ));
                }
                present
            });
            if let Some(dep) = missing {
                return Err(sp.key("depends_on").error(format!(
                    "depends on undefined (or disabled) service '{dep}'"
                )));
            }
        }
    }
    if uses_default && !declared(model, "networks", "default") {
        let nets = model.entry("networks").or_insert_with(|| json!({}));
        nets["default"] = json!({});
    }
    graph::order(&services, p)?;
    model.insert("services".into(), Value::Object(services));
    for kind in ["networks", "volumes", "secrets", "configs"] {
        model.entry(kind).or_insert_with(|| json!({}));
    }
    Ok(())
}
