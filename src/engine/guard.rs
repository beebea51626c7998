//! `--dry-run` and `--read-only`: what happens to a request that would
//! change the engine. Every request passes [`Guard::intercept`] in
//! [`super::Engine::request`], so no endpoint can slip past it.
//!
//! - Reads (`GET`, `HEAD`, and the few `POST`s that change nothing, such as
//!   `wait` and `auth`) go to the engine.
//! - Read-only: a write raises a `ReadOnly` error; nothing is sent.
//! - Dry run: a write is printed as one line on stderr (method, path, the
//!   essential body) and answered here with a plausible placeholder, so the
//!   script goes on. What a dry write "made" (a container, an image, an
//!   exec, a network...) is remembered, so that reading it back (inspect,
//!   logs, wait) answers as the engine would have.
//!
//! Placeholders are real HTTP answers (written into an in-memory pipe and
//! read by hyper), so every caller reads them as it reads the engine's.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Engine, Error, ErrorKind, Req, Result};

/// What a script may do to its engines (the `--dry-run`/`--read-only` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    #[default]
    Normal,
    /// Writes are printed and answered with placeholders, not sent.
    DryRun,
    /// Writes raise `ReadOnly` errors.
    ReadOnly,
}

/// One engine's write policy and what its dry writes made.
pub(crate) struct Guard {
    mode: WriteMode,
    /// Names the engine in printed lines (a context's name), when given.
    label: Option<String>,
    dry: Mutex<DryState>,
}

/// Kinds whose `POST /{kind}/create` makes an object inspected at
/// `GET /{kind}/{id}` (plus `/json` for containers and images): a kind
/// added to the API later is one line here.
const KINDS: &[Kind] = &[
    Kind::new("containers", "Id"),
    Kind::new("images", "Id"),
    Kind::new("exec", "ID"),
    Kind::new("networks", "Id"),
    Kind::new("volumes", "Name"),
    Kind::new("services", "ID"),
    Kind::new("secrets", "ID"),
    Kind::new("configs", "ID"),
    Kind::new("plugins", "Id"),
];

struct Kind {
    name: &'static str,
    /// The field of the create answer and inspect that holds the id.
    id_field: &'static str,
}

impl Kind {
    const fn new(name: &'static str, id_field: &'static str) -> Self {
        Kind { name, id_field }
    }
}

/// Collection-level verbs: `/images/create` is not an image named "create".
const VERBS: &[&str] = &[
    "create",
    "prune",
    "json",
    "load",
    "search",
    "get",
    "init",
    "join",
    "leave",
    "update",
    "unlock",
    "unlockkey",
    "pull",
    "privileges",
];

#[derive(Default)]
struct DryState {
    counter: u64,
    objects: Vec<DryObject>,
    /// Real containers a dry stop, kill or remove "ended", with the exit
    /// code a wait on them answers at once (else a wait would block).
    ended: Vec<(String, i64)>,
}

struct DryObject {
    kind: &'static str,
    id: String,
    names: Vec<String>,
    attrs: Value,
}

/// A placeholder answer.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Bytes,
    /// `101 Switching Protocols` for a hijacked exec.
    upgrade: bool,
}

impl Answer {
    fn json(status: u16, value: &Value) -> Self {
        Answer {
            status,
            content_type: "application/json",
            body: Bytes::from(value.to_string()),
            upgrade: false,
        }
    }

    fn empty() -> Self {
        Answer {
            status: 204,
            content_type: "text/plain",
            body: Bytes::new(),
            upgrade: false,
        }
    }

    /// An empty stream of JSON lines (pull, push, load progress).
    fn lines(lines: &[Value]) -> Self {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        Answer {
            status: 200,
            content_type: "application/json",
            body: Bytes::from(text),
            upgrade: false,
        }
    }

    /// A container's output with nothing in it.
    fn output() -> Self {
        Answer {
            status: 200,
            content_type: "application/vnd.docker.multiplexed-stream",
            body: Bytes::new(),
            upgrade: false,
        }
    }
}

/// A request's path split as the API names things.
struct Route {
    kind: String,
    /// The object (id or name), decoded; `None` for collection verbs.
    key: Option<String>,
    /// The verb after the object, or the collection verb.
    action: String,
}

impl Route {
    fn parse(path: &str) -> Route {
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let kind = segments.first().cloned().unwrap_or_default();
        let rest = &segments[1.min(segments.len())..];
        if rest.is_empty() {
            return Route {
                kind,
                key: None,
                action: String::new(),
            };
        }
        if rest.len() == 1 && VERBS.contains(&rest[0].as_str()) {
            return Route {
                kind,
                key: None,
                action: rest[0].clone(),
            };
        }
        // Image names hold slashes: the verb, if any, is the last segment.
        if kind == "images" {
            const IMAGE_VERBS: &[&str] = &["json", "history", "tag", "push", "get"];
            let last = rest.last().map(String::as_str).unwrap_or_default();
            if rest.len() > 1 && IMAGE_VERBS.contains(&last) {
                return Route {
                    kind,
                    key: Some(rest[..rest.len() - 1].join("/")),
                    action: last.to_owned(),
                };
            }
            return Route {
                kind,
                key: Some(rest.join("/")),
                action: String::new(),
            };
        }
        Route {
            kind,
            key: Some(rest[0].clone()),
            action: rest[1..].join("/"),
        }
    }
}

/// Whether a request would change the engine.
pub fn is_write(method: &Method, path: &str, query: &str) -> bool {
    if method == Method::GET || method == Method::HEAD {
        return false;
    }
    let route = Route::parse(path);
    match (route.kind.as_str(), route.action.as_str()) {
        // Waiting and checking credentials change nothing.
        ("containers", "wait") | ("auth", _) | ("_ping", _) => false,
        // Attaching only reads, unless it sends stdin.
        ("containers", "attach") => query_flag(query, "stdin"),
        _ => true,
    }
}

impl Guard {
    pub fn new(mode: WriteMode, label: Option<String>) -> Self {
        Guard {
            mode,
            label,
            dry: Mutex::new(DryState::default()),
        }
    }

    pub fn mode(&self) -> WriteMode {
        self.mode
    }

    /// `Some(answer)` when the request must not reach the engine: a dry
    /// write's placeholder, or a read of something a dry write made.
    pub async fn intercept(
        &self,
        engine: &Engine,
        req: &Req<'_>,
    ) -> Result<Option<Response<Incoming>>> {
        if self.mode == WriteMode::Normal {
            return Ok(None);
        }
        let query = req.query.as_str();
        let write = is_write(&req.method, &req.path, query);
        let route = Route::parse(&req.path);
        if self.mode == WriteMode::ReadOnly {
            if !write {
                return Ok(None);
            }
            return Err(Error::new(
                ErrorKind::ReadOnly,
                format!(
                    "refused {} {} (--read-only)",
                    req.method,
                    display_path(&req.path, query)
                ),
            ));
        }
        let answer = if write {
            let (answer, made) = self.dry_write(engine, req, &route).await?;
            self.report(req, made.as_deref());
            Some(answer)
        } else {
            self.dry_read(&req.method, &route, query)
        };
        match answer {
            Some(answer) => respond(answer, req).await.map(Some),
            None => Ok(None),
        }
    }

    /// Prints a dry write as one line on stderr.
    fn report(&self, req: &Req<'_>, made: Option<&str>) {
        let mut line = match &self.label {
            Some(label) => format!("dry-run [{label}]: "),
            None => "dry-run: ".to_owned(),
        };
        line.push_str(&format!(
            "{} {}",
            req.method,
            display_path(&req.path, req.query.as_str())
        ));
        if let Some(body) = &req.body {
            line.push(' ');
            line.push_str(&essential_body(&req.path, req.content_type, body));
        }
        if let Some(made) = made {
            line.push_str(" -> ");
            line.push_str(made);
        }
        // A closed stderr must not end the script.
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    /// The placeholder for a write, and the id of what it made, if anything.
    async fn dry_write(
        &self,
        engine: &Engine,
        req: &Req<'_>,
        route: &Route,
    ) -> Result<(Answer, Option<String>)> {
        let body: Value = req
            .body
            .as_ref()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        let query = req.query.as_str();
        let key = route.key.as_deref();
        let method = &req.method;
        match (route.kind.as_str(), key, route.action.as_str()) {
            ("containers", None, "create") => {
                let image = body
                    .get("Image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                // As the engine would: a missing image is an error (which
                // makes `run` pull it), checked by a read.
                let image_attrs = self.image_attrs(engine, &image).await?;
                let mut dry = self.lock();
                let id = dry.new_id();
                let name = query_value(query, "name")
                    .unwrap_or_else(|| format!("dry_run_{}", dry.counter));
                let attrs = container_attrs(&id, &name, &body, &image_attrs);
                dry.objects.push(DryObject {
                    kind: "containers",
                    id: id.clone(),
                    names: vec![name],
                    attrs,
                });
                let answer = json!({"Id": id, "Warnings": []});
                Ok((Answer::json(201, &answer), Some(short(&id))))
            }
            ("images", None, "create") => {
                let image = query_value(query, "fromImage").unwrap_or_default();
                let tag = query_value(query, "tag").filter(|t| !t.is_empty());
                let reference = match tag {
                    Some(tag) if tag.starts_with("sha256:") => format!("{image}@{tag}"),
                    Some(tag) => format!("{image}:{tag}"),
                    None => image,
                };
                let id = self.lock().new_image(&[reference], &Value::Null);
                Ok((Answer::lines(&[]), Some(short(&id))))
            }
            ("commit", _, _) => {
                let tags = match query_value(query, "repo") {
                    Some(repo) => {
                        let tag = query_value(query, "tag").unwrap_or_else(|| "latest".into());
                        vec![format!("{repo}:{tag}")]
                    }
                    None => Vec::new(),
                };
                let id = self.lock().new_image(&tags, &body);
                Ok((Answer::json(201, &json!({"Id": id})), Some(short(&id))))
            }
            ("build", None, "") => {
                let tags = query_values(query, "t");
                let id = self.lock().new_image(&tags, &Value::Null);
                let built = format!("Successfully built {}\n", &short(&id));
                let lines = [json!({"aux": {"ID": id}}), json!({"stream": built})];
                Ok((Answer::lines(&lines), Some(short(&id))))
            }
            (kind, None, "prune") => {
                let deleted = match kind {
                    "build" => "CachesDeleted".to_owned(),
                    other => format!("{}Deleted", capitalize(other)),
                };
                let answer = json!({ deleted: [], "SpaceReclaimed": 0 });
                Ok((Answer::json(200, &answer), None))
            }
            ("swarm", None, "init") => {
                let id = self.lock().new_id();
                Ok((Answer::json(200, &json!(short(&id))), None))
            }
            (kind, None, "create") => {
                let Some(spec) = KINDS.iter().find(|k| k.name == kind) else {
                    return Ok((Answer::json(201, &json!({})), None));
                };
                let mut dry = self.lock();
                let id = if spec.id_field == "Name" {
                    body.get("Name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned)
                        .unwrap_or_else(|| dry.new_id())
                } else {
                    dry.new_id()
                };
                let attrs = object_attrs(spec, &id, &body);
                let name = object_name(&body);
                dry.objects.push(DryObject {
                    kind: spec.name,
                    id: id.clone(),
                    names: name.into_iter().collect(),
                    attrs: attrs.clone(),
                });
                let answer = if spec.name == "volumes" {
                    attrs
                } else {
                    json!({ spec.id_field: id })
                };
                Ok((Answer::json(201, &answer), Some(short(&id))))
            }
            ("containers", Some(container), "exec") => {
                let mut dry = self.lock();
                let id = dry.new_id();
                let attrs = json!({
                    "ID": id, "ContainerID": container, "Running": false, "ExitCode": 0,
                    "Pid": 0, "OpenStdin": body.get("AttachStdin").cloned().unwrap_or(json!(false)),
                    "ProcessConfig": {
                        "entrypoint": body.pointer("/Cmd/0").cloned().unwrap_or(Value::Null),
                        "arguments": body.get("Cmd").and_then(Value::as_array)
                            .map(|a| a[1.min(a.len())..].to_vec()).unwrap_or_default(),
                        "tty": body.get("Tty").cloned().unwrap_or(json!(false)),
                    },
                });
                dry.objects.push(DryObject {
                    kind: "exec",
                    id: id.clone(),
                    names: Vec::new(),
                    attrs,
                });
                Ok((Answer::json(201, &json!({"Id": id})), Some(short(&id))))
            }
            ("exec", Some(_), "start") => {
                let mut answer = Answer::output();
                if req
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("upgrade"))
                {
                    answer.status = 101;
                    answer.upgrade = true;
                }
                Ok((answer, None))
            }
            ("containers", Some(container), action) => {
                let mut dry = self.lock();
                let exit = match action {
                    "kill" => Some(137),
                    "stop" => Some(0),
                    "" if method == Method::DELETE => Some(0),
                    _ => None,
                };
                if let Some(object) = dry.find_mut("containers", container) {
                    let state = match action {
                        "start" | "restart" | "unpause" => Some("running"),
                        "stop" | "kill" => Some("exited"),
                        "pause" => Some("paused"),
                        _ => None,
                    };
                    if let Some(state) = state {
                        set_state(&mut object.attrs, state, exit.unwrap_or(0));
                    }
                    if action == "rename" {
                        if let Some(name) = query_value(query, "name") {
                            object.attrs["Name"] = json!(format!("/{name}"));
                            object.names = vec![name];
                        }
                    }
                    if method == Method::DELETE {
                        dry.remove("containers", container);
                    }
                } else if let Some(code) = exit {
                    dry.ended.push((container.to_owned(), code));
                }
                let answer = match action {
                    "update" => Answer::json(200, &json!({"Warnings": []})),
                    "archive" | "resize" | "attach" => Answer {
                        status: 200,
                        ..Answer::empty()
                    },
                    _ => Answer::empty(),
                };
                Ok((answer, None))
            }
            ("images", Some(image), "tag") => {
                let mut dry = self.lock();
                if let Some(repo) = query_value(query, "repo") {
                    let tag = query_value(query, "tag").unwrap_or_else(|| "latest".into());
                    let reference = format!("{repo}:{tag}");
                    if let Some(object) = dry.find_mut("images", image) {
                        object.names.push(reference.clone());
                        if let Some(tags) = object.attrs["RepoTags"].as_array_mut() {
                            tags.push(json!(reference));
                        }
                    }
                }
                Ok((
                    Answer {
                        status: 201,
                        ..Answer::empty()
                    },
                    None,
                ))
            }
            ("images", Some(_), "push") => Ok((Answer::lines(&[]), None)),
            ("images", Some(image), "") if method == Method::DELETE => {
                self.lock().remove("images", image);
                Ok((Answer::json(200, &json!([{ "Untagged": image }])), None))
            }
            ("images", None, "load") => Ok((Answer::lines(&[]), None)),
            (kind, Some(object), "") if method == Method::DELETE => {
                self.lock().remove(kind, object);
                Ok((Answer::empty(), None))
            }
            (_, _, "update") => Ok((Answer::json(200, &json!({"Warnings": []})), None)),
            _ => Ok((Answer::empty(), None)),
        }
    }

    /// The answer to a read of something a dry write made or ended.
    fn dry_read(&self, method: &Method, route: &Route, query: &str) -> Option<Answer> {
        let mut dry = self.lock();
        let key = route.key.as_deref()?;
        if method == Method::POST && route.kind == "containers" && route.action == "wait" {
            if let Some(object) = dry.find_mut("containers", key) {
                let code = object
                    .attrs
                    .pointer("/State/ExitCode")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                set_state(&mut object.attrs, "exited", code);
                return Some(Answer::json(
                    200,
                    &json!({"StatusCode": code, "Error": null}),
                ));
            }
            let code = dry
                .ended
                .iter()
                .find(|(id, _)| id == key)
                .map(|(_, c)| *c)?;
            return Some(Answer::json(
                200,
                &json!({"StatusCode": code, "Error": null}),
            ));
        }
        let kind = KINDS.iter().find(|k| k.name == route.kind)?.name;
        let object = dry.find_mut(kind, key)?;
        Some(match route.action.as_str() {
            "" | "json" => Answer::json(200, &object.attrs),
            "logs" | "attach" => Answer::output(),
            "top" => Answer::json(
                200,
                &json!({"Titles": ["PID", "USER", "TIME", "COMMAND"], "Processes": []}),
            ),
            "stats" if query_value(query, "stream").as_deref() == Some("0") => {
                Answer::json(200, &json!({}))
            }
            "stats" => Answer::lines(&[]),
            "changes" => Answer::json(200, &json!([])),
            "history" => Answer::json(
                200,
                &json!([{
                    "Id": object.id, "Created": unix_now(), "CreatedBy": "",
                    "Tags": object.attrs["RepoTags"], "Size": 0, "Comment": "dry run"
                }]),
            ),
            _ => Answer {
                status: 200,
                ..Answer::empty()
            },
        })
    }

    /// The attributes of the image a dry container is created from: a dry
    /// image's, or the engine's (its error, `ImageNotFound`, if missing).
    async fn image_attrs(&self, engine: &Engine, image: &str) -> Result<Value> {
        if let Some(object) = self.lock().find_mut("images", image) {
            return Ok(object.attrs.clone());
        }
        // Past the guard: `Engine::request` is what called us.
        let req = Req::get(format!("/images/{}/json", super::segment(image))).about_image();
        let bytes = super::read_body(engine.send_checked(req).await?).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::Api,
                format!("the engine answered invalid json: {e}"),
            )
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DryState> {
        // A panic while locked leaves plain data behind: keep using it.
        self.dry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl DryState {
    /// A fresh 64-hex id, as the engine's look.
    fn new_id(&mut self) -> String {
        self.counter += 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let seed = format!("dry-run {} {} {nanos}", std::process::id(), self.counter);
        Sha256::digest(seed.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn new_image(&mut self, tags: &[String], config: &Value) -> String {
        let id = format!("sha256:{}", self.new_id());
        let attrs = json!({
            "Id": id, "RepoTags": tags, "RepoDigests": [], "Created": rfc3339_now(),
            "Size": 0, "Architecture": "amd64", "Os": "linux",
            "Config": if config.is_object() { config.clone() } else { json!({"Labels": {}}) },
            "Comment": "dry run",
        });
        self.objects.push(DryObject {
            kind: "images",
            id: id.clone(),
            names: tags.to_vec(),
            attrs,
        });
        id
    }

    fn matches(object: &DryObject, kind: &str, key: &str) -> bool {
        if object.kind != kind {
            return false;
        }
        let key = key.trim_start_matches('/');
        let bare = object.id.trim_start_matches("sha256:");
        object.id == key
            || (key.len() >= 12 && bare.starts_with(key.trim_start_matches("sha256:")))
            || object
                .names
                .iter()
                .any(|n| n == key || (kind == "images" && *n == format!("{key}:latest")))
    }

    fn find_mut(&mut self, kind: &str, key: &str) -> Option<&mut DryObject> {
        self.objects
            .iter_mut()
            .find(|o| DryState::matches(o, kind, key))
    }

    fn remove(&mut self, kind: &str, key: &str) {
        self.objects.retain(|o| !DryState::matches(o, kind, key));
    }
}

/// A container's inspect, as the engine would give it after a create.
fn container_attrs(id: &str, name: &str, body: &Value, image: &Value) -> Value {
    let mut config = body.as_object().cloned().unwrap_or_default();
    let host_config = config.remove("HostConfig").unwrap_or_else(|| json!({}));
    config.remove("NetworkingConfig");
    let image_config = image.get("Config").cloned().unwrap_or(Value::Null);
    for field in ["Entrypoint", "Cmd", "Env", "WorkingDir", "User"] {
        let missing = config.get(field).map_or(true, Value::is_null);
        if missing {
            if let Some(v) = image_config.get(field).filter(|v| !v.is_null()) {
                config.insert(field.into(), v.clone());
            }
        }
    }
    config.entry("Hostname").or_insert_with(|| json!(&id[..12]));
    if !config.get("Labels").is_some_and(Value::is_object) {
        config.insert("Labels".into(), json!({}));
    }
    let mut argv: Vec<Value> = Vec::new();
    for field in ["Entrypoint", "Cmd"] {
        if let Some(list) = config.get(field).and_then(Value::as_array) {
            argv.extend(list.iter().cloned());
        }
    }
    let path = argv.first().cloned().unwrap_or(json!(""));
    let args = argv.get(1..).map(<[Value]>::to_vec).unwrap_or_default();
    let mut attrs = json!({
        "Id": id, "Created": rfc3339_now(), "Path": path, "Args": args,
        "State": {},
        "Image": image.get("Id").cloned().unwrap_or(json!("")),
        "Name": format!("/{name}"), "RestartCount": 0, "Platform": "linux",
        "Config": Value::Object(config), "HostConfig": host_config,
        "Mounts": [], "NetworkSettings": {"Networks": {}},
    });
    set_state(&mut attrs, "created", 0);
    attrs
}

fn set_state(attrs: &mut Value, status: &str, exit: i64) {
    let never = "0001-01-01T00:00:00Z";
    let old = attrs.get("State").cloned().unwrap_or(Value::Null);
    let started = match status {
        "running" => json!(rfc3339_now()),
        _ => old.get("StartedAt").cloned().unwrap_or(json!(never)),
    };
    let finished = match status {
        "exited" => json!(rfc3339_now()),
        _ => old.get("FinishedAt").cloned().unwrap_or(json!(never)),
    };
    attrs["State"] = json!({
        "Status": status, "Running": status == "running" || status == "paused",
        "Paused": status == "paused", "Restarting": false, "OOMKilled": false,
        "Dead": false, "Pid": 0, "ExitCode": if status == "exited" { exit } else { 0 },
        "Error": "", "StartedAt": started, "FinishedAt": finished,
    });
}

/// The inspect of a dry network, volume, service, secret... from its body.
fn object_attrs(kind: &Kind, id: &str, body: &Value) -> Value {
    match kind.name {
        // Swarm objects: the body is the spec; secret data is not kept.
        "services" | "secrets" | "configs" => {
            let mut spec = body.clone();
            if let Some(map) = spec.as_object_mut() {
                map.remove("Data");
            }
            json!({
                "ID": id, "Version": {"Index": 1}, "CreatedAt": rfc3339_now(),
                "UpdatedAt": rfc3339_now(), "Spec": spec,
            })
        }
        _ => {
            let mut attrs = body.as_object().cloned().unwrap_or_default();
            attrs.insert(kind.id_field.into(), json!(id));
            attrs.entry("Labels").or_insert_with(|| json!({}));
            attrs.entry("Scope").or_insert_with(|| json!("local"));
            attrs
                .entry("CreatedAt")
                .or_insert_with(|| json!(rfc3339_now()));
            if kind.name == "networks" {
                attrs.entry("Containers").or_insert_with(|| json!({}));
                attrs.entry("Driver").or_insert_with(|| json!("bridge"));
            }
            if kind.name == "volumes" {
                attrs.entry("Driver").or_insert_with(|| json!("local"));
                attrs
                    .entry("Mountpoint")
                    .or_insert_with(|| json!(format!("/var/lib/docker/volumes/{id}/_data")));
            }
            Value::Object(attrs)
        }
    }
}

fn object_name(body: &Value) -> Option<String> {
    body.get("Name")
        .or_else(|| body.pointer("/Spec/Name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// Writes `answer` into an in-memory connection and reads it back with
/// hyper, which makes it a response like the engine's.
async fn respond(answer: Answer, req: &Req<'_>) -> Result<Response<Incoming>> {
    let (client_io, mut server_io) = tokio::io::duplex(64 * 1024);
    let reason = match answer.status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    if answer.upgrade {
        head.push_str("connection: Upgrade\r\nupgrade: tcp\r\n");
    } else {
        head.push_str("connection: close\r\n");
    }
    head.push_str(&format!("content-type: {}\r\n", answer.content_type));
    if !answer.upgrade && answer.status != 204 {
        head.push_str(&format!("content-length: {}\r\n", answer.body.len()));
    }
    head.push_str("\r\n");
    let body = answer.body;
    let upgrade = answer.upgrade;
    tokio::spawn(async move {
        // The request's head first (hyper must have sent it), then the answer.
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match server_io.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        if server_io.write_all(head.as_bytes()).await.is_err()
            || server_io.write_all(&body).await.is_err()
        {
            return;
        }
        if upgrade {
            // The hijacked stream ends at once; what is written is dropped.
            let _ = server_io.shutdown().await;
        }
        while let Ok(n) = server_io.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    });
    let broken = |e: hyper::Error| Error::new(ErrorKind::Connection, format!("dry run: {e}"));
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(client_io))
            .await
            .map_err(broken)?;
    tokio::spawn(connection.with_upgrades());
    let mut builder = Request::builder()
        .method(req.method.clone())
        .uri(format!("{}{}", req.path, req.query.as_str()))
        .header("host", "dry-run");
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("upgrade") {
            builder = builder.header(*name, value);
        }
    }
    let request = builder
        .body(Full::new(Bytes::new()))
        .map_err(|e| Error::invalid(format!("bad request: {e}")))?;
    sender.send_request(request).await.map_err(broken)
}

/// The body as one short line: JSON without its empty fields, secrets
/// hidden, cut at a length; other bodies by size and type.
fn essential_body(path: &str, content_type: &str, body: &Bytes) -> String {
    const MAX: usize = 300;
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return format!("<{} bytes of {content_type}>", body.len());
    };
    if path.starts_with("/secrets") || path.starts_with("/configs") {
        if let Some(map) = value.as_object_mut() {
            if map.contains_key("Data") {
                map.insert("Data".into(), json!("<hidden>"));
            }
        }
    }
    let text = prune(value)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "{}".into());
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// `value` without nulls, `false`, empty strings, arrays and objects.
fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other),
    }
}

/// The path and query as a person reads them: percent-decoded, full ids
/// cut to their 12-character short form.
fn display_path(path: &str, query: &str) -> String {
    let text = percent_decode(&format!("{path}{query}"));
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('/')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        let long = run.len() == 64;
        out.push_str(if long { &run[..12] } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
}

fn query_value(query: &str, key: &str) -> Option<String> {
    query_pairs(query).find(|(k, _)| k == key).map(|(_, v)| v)
}

fn query_values(query: &str, key: &str) -> Vec<String> {
    query_pairs(query)
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

fn query_flag(query: &str, key: &str) -> bool {
    query_value(query, key).is_some_and(|v| v == "1" || v == "true")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Now as RFC 3339 in UTC, as the engine writes times.
fn rfc3339_now() -> String {
    let secs = unix_now();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_told_from_reads() {
        let post = Method::POST;
        assert!(!is_write(&Method::GET, "/containers/json", ""));
        assert!(!is_write(&post, "/containers/abc/wait", ""));
        assert!(!is_write(&post, "/auth", ""));
        assert!(!is_write(&post, "/containers/abc/attach", "?stdout=1"));
        assert!(is_write(&post, "/containers/abc/attach", "?stdin=1"));
        assert!(is_write(&post, "/containers/create", ""));
        assert!(is_write(&Method::DELETE, "/images/a/b", ""));
        assert!(is_write(
            &Method::PUT,
            "/containers/abc/archive",
            "?path=%2F"
        ));
        assert!(is_write(&post, "/networks/create", ""));
    }

    #[test]
    fn routes_name_objects() {
        let r = Route::parse("/images/localhost%3A5000/app/tag");
        assert_eq!(
            (r.kind.as_str(), r.key.as_deref(), r.action.as_str()),
            ("images", Some("localhost:5000/app"), "tag")
        );
        let r = Route::parse("/images/create");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (None, "create"));
        let r = Route::parse("/images/a/b");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("a/b"), ""));
        let r = Route::parse("/containers/web/json");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("web"), "json"));
        let r = Route::parse("/networks/n1");
        assert_eq!((r.key.as_deref(), r.action.as_str()), (Some("n1"), ""));
    }

    #[test]
    fn lines_are_short_and_hide_secrets() {
        let body = Bytes::from(r#"{"Name":"s","Data":"c2VjcmV0","Labels":{},"X":null,"On":false}"#);
        assert_eq!(
            essential_body("/secrets/create", "application/json", &body),
            r#"{"Data":"<hidden>","Name":"s"}"#
        );
        let tar = Bytes::from_static(b"\0\0\0");
        assert_eq!(
            essential_body("/x", "application/x-tar", &tar),
            "<3 bytes of application/x-tar>"
        );
        assert_eq!(
            display_path("/containers/create", "?name=a%20b"),
            "/containers/create?name=a b"
        );
        let id = "886abbd02f50d1cf3d1a9420aad4aaa3d01f1f67d178ff448e3ec3083d21bd07";
        assert_eq!(
            display_path(&format!("/containers/{id}/start"), ""),
            "/containers/886abbd02f50/start"
        );
        assert_eq!(
            display_path("/commit", &format!("?container={id}")),
            "/commit?container=886abbd02f50"
        );
    }

    #[test]
    fn times_are_rfc3339() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
