//! What a dry run "made": the objects its writes created (containers,
//! images, execs, networks, volumes...), their synthesized inspect answers,
//! and the placeholder answer of every kind of write.

use std::time::{SystemTime, UNIX_EPOCH};

use hyper::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::answer::Answer;
use super::text::{
    capitalize, engine_bool, query_value, query_values, rfc3339_now, short, unix_now,
};
use super::{Guard, Route};
use crate::engine::{Engine, Error, ErrorKind, Req, Result};

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

#[derive(Default)]
pub(super) struct DryState {
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

impl Guard {
    /// The placeholder for a write, and the id of what it made, if anything.
    pub(super) async fn dry_write(
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
            ("plugins", None, "create" | "pull") => {
                // A plugin comes disabled, named by `name` (or its remote).
                let name = query_value(query, "name")
                    .or_else(|| query_value(query, "remote"))
                    .unwrap_or_default();
                let name = if name.rsplit('/').next().is_some_and(|n| n.contains(':')) {
                    name
                } else {
                    format!("{name}:latest")
                };
                let mut dry = self.lock();
                let id = dry.new_id();
                let attrs = json!({
                    "Id": id, "Name": name, "Enabled": false,
                    "PluginReference": query_value(query, "remote").unwrap_or_default(),
                    "Settings": {"Env": [], "Args": [], "Mounts": [], "Devices": []},
                    "Config": {},
                });
                dry.objects.push(DryObject {
                    kind: "plugins",
                    id: id.clone(),
                    names: vec![name],
                    attrs,
                });
                let answer = if route.action == "pull" {
                    Answer::lines(&[])
                } else {
                    Answer::empty()
                };
                Ok((answer, Some(short(&id))))
            }
            ("plugins", Some(plugin), "enable" | "disable") => {
                let enabled = route.action == "enable";
                if let Some(object) = self.lock().find_mut("plugins", plugin) {
                    object.attrs["Enabled"] = json!(enabled);
                }
                Ok((Answer::empty(), None))
            }
            ("plugins", Some(_), "push" | "upgrade") => Ok((Answer::lines(&[]), None)),
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
                    "attach" => Answer::output(),
                    "archive" | "resize" => Answer {
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
            ("images", None, "load") => {
                // One placeholder image, as `docker load` names what it loaded.
                let id = self.lock().new_image(&[], &Value::Null);
                let loaded = json!({"stream": format!("Loaded image ID: {id}\n")});
                Ok((Answer::lines(&[loaded]), Some(short(&id))))
            }
            (kind, Some(object), "") if method == Method::DELETE => {
                self.lock().remove(kind, object);
                Ok((Answer::empty(), None))
            }
            (_, _, "update") => Ok((Answer::json(200, &json!({"Warnings": []})), None)),
            _ => Ok((Answer::empty(), None)),
        }
    }

    /// The answer to a read of something a dry write made or ended.
    pub(super) fn dry_read(&self, method: &Method, route: &Route, query: &str) -> Option<Answer> {
        // What a plugin asks to be granted is read only to install or
        // upgrade it, which a dry run does not: a remote that exists only
        // in the dry run's intent still "installs".
        if route.kind == "plugins" && route.action == "privileges" {
            return Some(Answer::json(200, &json!([])));
        }
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
            "stats" if query_value(query, "stream").is_some_and(|v| !engine_bool(&v)) => {
                Answer::json(200, &json!({}))
            }
            "stats" => Answer::lines(&[]),
            "changes" => Answer::json(200, &json!([])),
            // An empty archive, and the stat a script reads of it.
            "archive" => Answer {
                status: 200,
                content_type: "application/x-tar",
                headers: vec![(
                    "x-docker-container-path-stat",
                    archive_stat(&query_value(query, "path").unwrap_or_default()),
                )],
                ..Answer::empty()
            },
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
        let req = Req::get(format!("/images/{}/json", crate::engine::segment(image))).about_image();
        let bytes = crate::engine::read_body(engine.send_checked(req).await?).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::Api,
                format!("the engine answered invalid json: {e}"),
            )
        })
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
            || object.names.iter().any(|n| {
                n == key || (matches!(kind, "images" | "plugins") && *n == format!("{key}:latest"))
            })
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
        let present = config.get(field).is_some_and(|v| !v.is_null());
        if !present {
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

/// The `X-Docker-Container-Path-Stat` header of a dry container's archive:
/// base64 of `{name, size, mode, mtime, linkTarget}`, a folder when the
/// path ends with `/`, else a file.
fn archive_stat(path: &str) -> String {
    use base64::Engine as _;
    let dir = path.ends_with('/') || path.is_empty();
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let name = if name.is_empty() { "/" } else { name };
    // Go's os.FileMode: the folder bit is 1 << 31.
    let mode: u64 = if dir { (1 << 31) | 0o755 } else { 0o644 };
    let stat = json!({
        "name": name, "size": 0, "mode": mode, "mtime": rfc3339_now(), "linkTarget": "",
    });
    base64::engine::general_purpose::STANDARD.encode(stat.to_string())
}
