//! Running a project on an engine: `up` (networks and volumes first, then
//! services in dependency order, independent ones at once, each
//! `depends_on` condition waited for; unchanged containers left alone,
//! changed ones recreated), `down` (in reverse order, then networks and,
//! when asked, volumes), `ps`, `logs`, the lifecycle verbs, `pull` and
//! `build`; and a project rebuilt from the labels of what runs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use futures_util::stream::{self, LocalBoxStream, StreamExt};
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::create::{image_of, ContainerOptions};
use super::labels::{self, scoped_name};
use super::{graph, Project};
use crate::engine::build::{build_error, BuildOptions, Context};
use crate::engine::containers::LogsOptions;
use crate::engine::images::Auth;
use crate::engine::reference::split_reference;
use crate::engine::resource::{Kind, CONTAINERS, NETWORKS, VOLUMES};
use crate::engine::run::Pull;
use crate::engine::stream::{LineSplitter, StreamKind};
use crate::engine::{Engine, Error, ErrorKind, OutputStream, Query, Result};

/// How often a wait looks again at a container's state.
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Only these (and what they depend on); all when empty.
    pub services: Vec<String>,
    pub wait: bool,
    /// Bounds every wait (`depends_on` conditions, `wait`).
    pub wait_timeout: Option<Duration>,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub remove_orphans: bool,
    pub pull: Pull,
    pub build: bool,
    /// Seconds a container being recreated has to stop.
    pub timeout: Option<i64>,
}

/// What `up` or `down` did, by container (or network, volume) name.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub created: Vec<String>,
    pub recreated: Vec<String>,
    pub started: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
    pub warnings: Vec<String>,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "created": self.created, "recreated": self.recreated,
            "started": self.started, "unchanged": self.unchanged,
            "removed": self.removed, "networks": self.networks,
            "volumes": self.volumes, "warnings": self.warnings,
        })
    }
}

fn label_filter(project: &str, extra: &[String]) -> Query {
    let mut labels = vec![format!("{}={project}", labels::PROJECT)];
    labels.extend(extra.iter().cloned());
    let mut q = Query::new();
    q.add("filters", json!({ "label": labels }).to_string());
    q
}

/// The project's containers (list entries), one request.
pub async fn containers(
    engine: &Engine,
    project: &str,
    all: bool,
    oneoff: Option<bool>,
) -> Result<Vec<Value>> {
    let extra: Vec<String> = match oneoff {
        Some(true) => vec![format!("{}=True", labels::ONEOFF)],
        Some(false) => vec![format!("{}=False", labels::ONEOFF)],
        None => Vec::new(),
    };
    let mut q = label_filter(project, &extra);
    q.flag("all", all);
    let mut list = engine.list(&CONTAINERS, q).await?;
    list.sort_by_key(|c| (service_of(c).to_owned(), number_of(c), name_of(c)));
    Ok(list)
}

fn label<'a>(c: &'a Value, key: &str) -> Option<&'a str> {
    c.pointer("/Labels")
        .or_else(|| c.pointer("/Config/Labels"))
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

pub fn service_of(c: &Value) -> &str {
    label(c, labels::SERVICE).unwrap_or_default()
}

fn number_of(c: &Value) -> u32 {
    label(c, labels::NUMBER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A list entry's or inspect answer's name, without the `/`.
pub fn name_of(c: &Value) -> String {
    let name = c
        .pointer("/Names/0")
        .or_else(|| c.get("Name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    name.trim_start_matches('/').to_owned()
}

fn id_of(c: &Value) -> String {
    c.get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn state_of(c: &Value) -> &str {
    c.get("State")
        .and_then(|s| {
            s.as_str()
                .or_else(|| s.get("Status").and_then(Value::as_str))
        })
        .unwrap_or_default()
}

/// Runs `f` for every name once all of `before(name)` have finished, the
/// others at once. Answers each name's result; a name whose predecessor
/// failed is not run (its result says which).
async fn in_order<'a, F, Fut>(
    names: &[String],
    before: impl Fn(&str) -> Vec<String>,
    f: F,
) -> BTreeMap<String, Result<()>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<()>> + 'a,
{
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for n in names {
        let (tx, rx) = watch::channel(None::<bool>);
        senders.insert(n.clone(), tx);
        receivers.insert(n.clone(), rx);
    }
    let results = RefCell::new(BTreeMap::new());
    let tasks = names.iter().map(|name| {
        let deps: Vec<(String, watch::Receiver<Option<bool>>)> = before(name)
            .into_iter()
            .filter_map(|d| receivers.get(&d).map(|rx| (d, rx.clone())))
            .collect();
        let tx = &senders[name];
        let results = &results;
        let f = &f;
        async move {
            let mut failed = None;
            for (dep, mut rx) in deps {
                let ok = rx.wait_for(Option::is_some).await.map(|v| *v == Some(true));
                if !matches!(ok, Ok(true)) {
                    failed = Some(dep);
                    break;
                }
            }
            let result = match failed {
                Some(dep) => Err(Error::new(
                    ErrorKind::Api,
                    format!("not started: {dep} failed"),
                )),
                None => f(name.clone()).await,
            };
            let _ = tx.send(Some(result.is_ok()));
            results.borrow_mut().insert(name.clone(), result);
        }
    });
    join_all(tasks).await;
    results.into_inner()
}

/// One error for the failures of a run over services, naming each.
/// Whether a project's network or volume has to be created: not when it
/// exists; an external one that does not exist is an error.
async fn missing(engine: &Engine, kind: &Kind, name: &str, spec: &Value) -> Result<bool> {
    match engine.inspect(kind, name).await {
        Ok(_) => Ok(false),
        Err(e) if e.kind != ErrorKind::NotFound => Err(e),
        Err(_) if labels::is_external(spec) => Err(Error::new(
            ErrorKind::NotFound,
            format!("{} {name} is external but does not exist", kind.noun),
        )),
        Err(_) => Ok(true),
    }
}

/// Removes the project's networks or volumes (by its label); the names
/// removed. One already gone is not an error.
async fn remove_labelled(engine: &Engine, kind: &Kind, project: &str) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for item in engine.list(kind, label_filter(project, &[])).await? {
        let name = item.get("Name").and_then(Value::as_str).unwrap_or_default();
        match engine.remove(kind, name, Query::new()).await {
            Ok(_) => removed.push(name.to_owned()),
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

fn failures(what: &str, results: BTreeMap<String, Result<()>>) -> Result<()> {
    let failed: Vec<(String, Error)> = results
        .into_iter()
        .filter_map(|(n, r)| r.err().map(|e| (n, e)))
        .collect();
    let Some((_, first)) = failed.first() else {
        return Ok(());
    };
    let kind = failed
        .iter()
        .map(|(_, e)| e.kind)
        .find(|k| *k != ErrorKind::Api)
        .unwrap_or(first.kind);
    let list: Vec<String> = failed
        .iter()
        .map(|(n, e)| format!("{n}: {}", e.message))
        .collect();
    Err(Error::new(kind, format!("{what}: {}", list.join("; "))))
}

impl Project {
    pub fn selected(&self, asked: &[String]) -> Result<Vec<String>> {
        for s in asked {
            if !self.services().contains_key(s) {
                return Err(Error::invalid(format!(
                    "no service '{s}' in project {}",
                    self.name
                )));
            }
        }
        let names = if asked.is_empty() {
            self.services().keys().cloned().collect()
        } else {
            graph::with_dependencies(self.services(), asked)
        };
        Ok(self
            .ordered_services()
            .into_iter()
            .filter(|s| names.contains(s))
            .collect())
    }

    fn dependencies_of(&self, s: &str) -> Vec<String> {
        self.services()
            .get(s)
            .map(graph::dependencies)
            .unwrap_or_default()
    }

    fn dependents_of(&self, s: &str) -> Vec<String> {
        self.services()
            .iter()
            .filter(|(_, v)| graph::dependencies(v).iter().any(|d| d == s))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The services whose `depends_on` entry for `s` has `restart: true`.
    fn restart_dependents_of(&self, s: &str) -> Vec<String> {
        self.services()
            .iter()
            .filter(|(_, v)| v.pointer(&format!("/depends_on/{s}/restart")) == Some(&json!(true)))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Creates the project's networks and volumes that the services use
    /// and that are not there; an external one must exist.
    async fn ensure_resources(
        &self,
        engine: &Engine,
        services: &[String],
        report: &mut Report,
    ) -> Result<()> {
        let mut nets = Vec::new();
        let mut vols = Vec::new();
        for s in services {
            let svc = &self.services()[s];
            if let Some(m) = svc.get("networks").and_then(Value::as_object) {
                nets.extend(m.keys().cloned());
            }
            for v in svc
                .get("volumes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some("volume"), Some(src)) = (v["type"].as_str(), v["source"].as_str()) {
                    vols.push(src.to_owned());
                }
            }
        }
        nets.sort();
        nets.dedup();
        vols.sort();
        vols.dedup();
        for key in nets {
            let spec = &self.model["networks"][key.as_str()];
            let name = scoped_name(&self.name, &key, spec);
            if !missing(engine, &NETWORKS, &name, spec).await? {
                continue;
            }
            let mut body = json!({
                "Name": name,
                "CheckDuplicate": true,
                "Driver": spec.get("driver").and_then(Value::as_str).unwrap_or("bridge"),
                "Labels": labels::resource_labels(&self.name, labels::NETWORK, &key, spec.get("labels")),
                "Internal": spec.get("internal").and_then(Value::as_bool).unwrap_or(false),
                "Attachable": spec.get("attachable").and_then(Value::as_bool).unwrap_or(false),
                "EnableIPv6": spec.get("enable_ipv6").and_then(Value::as_bool).unwrap_or(false),
            });
            if let Some(o) = spec.get("driver_opts") {
                body["Options"] = o.clone();
            }
            if let Some(ipam) = spec.get("ipam") {
                let config: Vec<Value> = ipam
                    .get("config")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let mut e = Map::new();
                        for (ours, theirs) in [
                            ("subnet", "Subnet"),
                            ("gateway", "Gateway"),
                            ("ip_range", "IPRange"),
                            ("aux_addresses", "AuxiliaryAddresses"),
                        ] {
                            if let Some(v) = c.get(ours) {
                                e.insert(theirs.into(), v.clone());
                            }
                        }
                        Value::Object(e)
                    })
                    .collect();
                body["IPAM"] = json!({
                    "Driver": ipam.get("driver").and_then(Value::as_str).unwrap_or("default"),
                    "Config": config,
                    "Options": ipam.get("options").cloned().unwrap_or(json!({})),
                });
            }
            engine.create(&NETWORKS, Query::new(), &body).await?;
            report.networks.push(name);
        }
        for key in vols {
            let spec = &self.model["volumes"][key.as_str()];
            let name = scoped_name(&self.name, &key, spec);
            if !missing(engine, &VOLUMES, &name, spec).await? {
                continue;
            }
            let mut body = json!({
                "Name": name,
                "Labels": labels::resource_labels(&self.name, labels::VOLUME, &key, spec.get("labels")),
            });
            if let Some(d) = spec.get("driver") {
                body["Driver"] = d.clone();
            }
            if let Some(o) = spec.get("driver_opts") {
                body["DriverOpts"] = o.clone();
            }
            engine.create(&VOLUMES, Query::new(), &body).await?;
            report.volumes.push(name);
        }
        Ok(())
    }

    /// Builds or pulls the images the services need, all at once.
    async fn ensure_images(
        &self,
        engine: &Engine,
        services: &[String],
        pull: Pull,
        build: bool,
    ) -> Result<()> {
        // Each image is looked at once and pulled once, however many
        // services run it.
        let mut images: Vec<String> = services
            .iter()
            .map(|s| image_of(&self.name, s, &self.services()[s]))
            .collect();
        images.sort();
        images.dedup();
        let present: HashMap<String, bool> = join_all(
            images
                .iter()
                .map(|i| async move { (i.clone(), engine.image_inspect(i).await.is_ok()) }),
        )
        .await
        .into_iter()
        .collect();
        let mut builds = Vec::new();
        let mut pulls: Vec<(String, String)> = Vec::new();
        for s in services {
            let svc = &self.services()[s];
            let image = image_of(&self.name, s, svc);
            let policy = svc.get("pull_policy").and_then(Value::as_str);
            let here = present.get(&image).copied().unwrap_or(false);
            let always = pull == Pull::Always || policy == Some("always");
            let never = pull == Pull::Never || policy == Some("never");
            if svc.get("build").is_some() {
                // As compose v2: a service with a `build` and an `image`
                // pulls that image as its pull_policy says (a failed pull
                // is not an error), and is built when asked to, with
                // pull_policy `build`, or when the image is still missing.
                let must_build = build || policy == Some("build");
                let try_pull =
                    !must_build && svc.get("image").is_some() && (always || (!never && !here));
                if must_build || try_pull || !here {
                    builds.push((s.clone(), image, try_pull, must_build || !here));
                }
                continue;
            }
            if (always || (!never && !here)) && !pulls.iter().any(|(_, i)| *i == image) {
                pulls.push((s.clone(), image));
            }
        }
        let built = join_all(
            builds
                .iter()
                .map(|(s, image, try_pull, missing)| async move {
                    if *try_pull && pull_image(engine, image).await.is_ok() {
                        return Ok(());
                    }
                    if *missing {
                        self.build_one(engine, s).await
                    } else {
                        Ok(())
                    }
                }),
        );
        let pulled = join_all(pulls.iter().map(|(_, i)| pull_image(engine, i)));
        let (built, pulled) = futures_util::future::join(built, pulled).await;
        let results: BTreeMap<String, Result<()>> = builds
            .into_iter()
            .map(|(s, ..)| s)
            .zip(built)
            .chain(pulls.into_iter().map(|(s, _)| s).zip(pulled))
            .collect();
        failures("images", results)
    }

    async fn build_one(&self, engine: &Engine, service: &str) -> Result<()> {
        let svc = &self.services()[service];
        let b = &svc["build"];
        let string_map = |v: Option<&Value>| -> BTreeMap<String, String> {
            v.and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let options = BuildOptions {
            tags: vec![image_of(&self.name, service, svc)],
            dockerfile: b
                .get("dockerfile")
                .and_then(Value::as_str)
                .map(str::to_owned),
            buildargs: string_map(b.get("args")),
            labels: string_map(b.get("labels")),
            target: b.get("target").and_then(Value::as_str).map(str::to_owned),
            nocache: b.get("no_cache").and_then(Value::as_bool).unwrap_or(false),
            pull: b.get("pull").and_then(Value::as_bool).unwrap_or(false),
            network_mode: b.get("network").and_then(Value::as_str).map(str::to_owned),
            quiet: true,
            ..BuildOptions::default()
        };
        let context = b["context"].as_str().unwrap_or(".").into();
        let mut build = engine.image_build(Context::Dir(context), &options).await?;
        while let Some(event) = build.next().await? {
            if let Some(message) = build_error(&event) {
                return Err(Error::new(
                    ErrorKind::Api,
                    format!("build of {service} failed: {message}"),
                ));
            }
        }
        Ok(())
    }

    /// `p:build{services}`: builds the services that have a `build`.
    pub async fn build(&self, engine: &Engine, services: &[String]) -> Result<Vec<String>> {
        let names: Vec<String> = self
            .selected(services)?
            .into_iter()
            .filter(|s| self.services()[s].get("build").is_some())
            .collect();
        let results = join_all(names.iter().map(|s| self.build_one(engine, s))).await;
        failures("build", names.iter().cloned().zip(results).collect())?;
        Ok(names
            .iter()
            .map(|s| image_of(&self.name, s, &self.services()[s]))
            .collect())
    }

    /// `p:pull{services}`: pulls the images of services that have one.
    pub async fn pull(&self, engine: &Engine, services: &[String]) -> Result<Vec<String>> {
        let images: Vec<(String, String)> = self
            .selected(services)?
            .into_iter()
            .filter_map(|s| {
                self.services()[&s]
                    .get("image")
                    .and_then(Value::as_str)
                    .map(|i| (s.clone(), i.to_owned()))
            })
            .collect();
        let results = join_all(images.iter().map(|(_, i)| pull_image(engine, i))).await;
        failures(
            "pull",
            images.iter().map(|(s, _)| s.clone()).zip(results).collect(),
        )?;
        Ok(images.into_iter().map(|(_, i)| i).collect())
    }

    /// What a one-off container of `service` needs without its
    /// dependencies: its networks and volumes, its image.
    pub async fn prepare(&self, engine: &Engine, service: &str) -> Result<()> {
        let services = vec![service.to_owned()];
        self.ensure_resources(engine, &services, &mut Report::default())
            .await?;
        self.ensure_images(engine, &services, Pull::Missing, false)
            .await
    }

    /// `up`: see the module's doc.
    pub async fn up(&self, engine: &Engine, opts: &UpOptions) -> Result<Report> {
        let services = self.selected(&opts.services)?;
        let mut report = Report::default();
        self.ensure_resources(engine, &services, &mut report)
            .await?;
        self.ensure_images(engine, &services, opts.pull, opts.build)
            .await?;
        let existing = containers(engine, &self.name, true, Some(false)).await?;
        for c in existing
            .iter()
            .filter(|c| !self.services().contains_key(service_of(c)))
        {
            let name = name_of(c);
            if opts.remove_orphans {
                engine.container_remove(&id_of(c), true, false).await?;
                report.removed.push(name);
            } else {
                report.warnings.push(format!(
                    "found orphan container {name} (service {}): remove it with remove_orphans = true",
                    service_of(c)
                ));
            }
        }
        let report = RefCell::new(report);
        let recreated: RefCell<Vec<String>> = RefCell::new(Vec::new());
        let started = Instant::now();
        let results = in_order(
            &services,
            |s| {
                self.dependencies_of(s)
                    .into_iter()
                    .filter(|d| services.contains(d))
                    .collect()
            },
            |s| {
                let existing = &existing;
                let report = &report;
                let recreated = &recreated;
                async move {
                    self.wait_conditions(engine, &s, opts.wait_timeout, started, report)
                        .await?;
                    let restart_for_deps = self.services()[&s]
                        .get("depends_on")
                        .and_then(Value::as_object)
                        .is_some_and(|m| {
                            m.iter().any(|(d, spec)| {
                                spec.get("restart") == Some(&json!(true))
                                    && recreated.borrow().contains(d)
                            })
                        });
                    let changed = self
                        .converge(engine, &s, existing, opts, restart_for_deps, report)
                        .await?;
                    if changed {
                        recreated.borrow_mut().push(s.clone());
                    }
                    Ok(())
                }
            },
        )
        .await;
        failures("up", results)?;
        if opts.wait {
            self.wait_ready(engine, &services, opts.wait_timeout, started)
                .await?;
        }
        Ok(report.into_inner())
    }

    /// Waits for the `depends_on` conditions of `service`. A dependency
    /// with `required: false` that does not meet its condition is a
    /// warning, as in compose v2, and `service` starts all the same.
    async fn wait_conditions(
        &self,
        engine: &Engine,
        service: &str,
        bound: Option<Duration>,
        started: Instant,
        report: &RefCell<Report>,
    ) -> Result<()> {
        let Some(deps) = self.services()[service]
            .get("depends_on")
            .and_then(Value::as_object)
        else {
            return Ok(());
        };
        for (dep, spec) in deps {
            let condition = spec["condition"].as_str().unwrap_or("service_started");
            let optional = spec.get("required") == Some(&json!(false));
            if condition == "service_started" && !optional {
                continue;
            }
            match self
                .wait_condition(engine, dep, condition, bound, started)
                .await
            {
                Err(e) if optional => report.borrow_mut().warnings.push(format!(
                    "{service}: optional dependency {dep} skipped: {}",
                    e.message
                )),
                other => other?,
            }
        }
        Ok(())
    }

    /// Waits for one dependency's condition.
    async fn wait_condition(
        &self,
        engine: &Engine,
        dep: &str,
        condition: &str,
        bound: Option<Duration>,
        started: Instant,
    ) -> Result<()> {
        let list: Vec<Value> = containers(engine, &self.name, true, Some(false))
            .await?
            .into_iter()
            .filter(|c| service_of(c) == dep)
            .collect();
        if list.is_empty() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("dependency {dep} has no container"),
            ));
        }
        if condition == "service_started" {
            return Ok(());
        }
        for c in list {
            let id = id_of(&c);
            loop {
                let info = engine.container_inspect(&id).await?;
                let status = info
                    .pointer("/State/Status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let done = match condition {
                    "service_healthy" => {
                        match info.pointer("/State/Health/Status").and_then(Value::as_str) {
                            Some("healthy") => true,
                            Some("unhealthy") => {
                                return Err(Error::new(
                                    ErrorKind::Api,
                                    format!("dependency {dep} ({}) is unhealthy", name_of(&info)),
                                ))
                            }
                            None => {
                                return Err(Error::invalid(format!(
                                "dependency {dep} has no healthcheck (condition service_healthy)"
                            )))
                            }
                            _ => false,
                        }
                    }
                    _ => match status {
                        "exited" | "dead" => {
                            let code = info
                                .pointer("/State/ExitCode")
                                .and_then(Value::as_i64)
                                .unwrap_or(-1);
                            if code != 0 {
                                return Err(Error::new(
                                    ErrorKind::Api,
                                    format!(
                                        "dependency {dep} ({}) exited with code {code}",
                                        name_of(&info)
                                    ),
                                ));
                            }
                            true
                        }
                        _ => false,
                    },
                };
                if done {
                    break;
                }
                if bound.is_some_and(|b| started.elapsed() > b) {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "dependency {dep} not {} in time",
                            if condition == "service_healthy" {
                                "healthy"
                            } else {
                                "completed"
                            }
                        ),
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(())
    }

    /// Brings the containers of `service` to the model: answers whether
    /// any was created or recreated.
    async fn converge(
        &self,
        engine: &Engine,
        service: &str,
        existing: &[Value],
        opts: &UpOptions,
        restart: bool,
        report: &RefCell<Report>,
    ) -> Result<bool> {
        let hash = labels::config_hash(&self.services()[service]);
        let want = self.replicas(service);
        let mine: Vec<&Value> = existing
            .iter()
            .filter(|c| service_of(c) == service)
            .collect();
        let tasks = (1..=want).map(|n| {
            let current = mine.iter().find(|c| number_of(c) == n).copied();
            let hash = &hash;
            async move {
                match current {
                    Some(c)
                        if !opts.force_recreate
                            && (opts.no_recreate
                                || label(c, labels::CONFIG_HASH) == Some(hash.as_str())) =>
                    {
                        let name = name_of(c);
                        if state_of(c) != "running" {
                            engine.container_start(&id_of(c)).await?;
                            report.borrow_mut().started.push(name);
                        } else if restart {
                            engine.container_restart(&id_of(c), opts.timeout).await?;
                            report.borrow_mut().started.push(name);
                        } else {
                            report.borrow_mut().unchanged.push(name);
                        }
                        Ok(false)
                    }
                    Some(c) => {
                        engine.container_stop(&id_of(c), opts.timeout).await?;
                        engine.container_remove(&id_of(c), true, false).await?;
                        let name = self.create_and_start(engine, service, n).await?;
                        report.borrow_mut().recreated.push(name);
                        Ok(true)
                    }
                    None => {
                        let name = self.create_and_start(engine, service, n).await?;
                        report.borrow_mut().created.push(name);
                        Ok(true)
                    }
                }
            }
        });
        let mut changed = false;
        for r in join_all(tasks).await {
            changed |= r?;
        }
        for c in mine.iter().filter(|c| number_of(c) > want) {
            engine.container_stop(&id_of(c), opts.timeout).await?;
            engine.container_remove(&id_of(c), true, false).await?;
            report.borrow_mut().removed.push(name_of(c));
        }
        Ok(changed)
    }

    async fn create_and_start(
        &self,
        engine: &Engine,
        service: &str,
        number: u32,
    ) -> Result<String> {
        let opts = self.container_options(service, number, None);
        let name = opts.options["name"].as_str().unwrap_or_default().to_owned();
        let body = opts.create_body()?;
        let platform = opts.options.get("platform").and_then(Value::as_str);
        let answer = engine
            .container_create(Some(&name), platform, &body)
            .await?;
        let id = answer
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or(&name)
            .to_owned();
        connect_more(engine, &id, &opts).await?;
        engine.container_start(&id).await?;
        Ok(name)
    }

    /// `wait = true`: every container running, and healthy where it has a
    /// healthcheck; a `Timeout` names the services that are not.
    async fn wait_ready(
        &self,
        engine: &Engine,
        services: &[String],
        bound: Option<Duration>,
        started: Instant,
    ) -> Result<()> {
        loop {
            let mut not_ready = Vec::new();
            for c in containers(engine, &self.name, true, Some(false)).await? {
                let service = service_of(&c).to_owned();
                if !services.contains(&service) {
                    continue;
                }
                let info = engine.container_inspect(&id_of(&c)).await?;
                let status = info
                    .pointer("/State/Status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let health = info.pointer("/State/Health/Status").and_then(Value::as_str);
                let code = info
                    .pointer("/State/ExitCode")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                let completed_ok =
                    status == "exited" && code == 0 && self.awaited_to_complete(&service);
                match (status, health) {
                    _ if completed_ok => {}
                    ("running", None | Some("healthy")) => {}
                    ("exited" | "dead", _) => {
                        return Err(Error::new(
                            ErrorKind::Api,
                            format!("up: {service} ({}) exited with code {code}", name_of(&info)),
                        ))
                    }
                    (_, Some("unhealthy")) => {
                        return Err(Error::new(
                            ErrorKind::Api,
                            format!("up: {service} ({}) is unhealthy", name_of(&info)),
                        ))
                    }
                    (s, h) => not_ready.push(format!("{service} ({})", h.unwrap_or(s))),
                }
            }
            if not_ready.is_empty() {
                return Ok(());
            }
            if bound.is_some_and(|b| started.elapsed() > b) {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "up: not ready after {:.0?}: {}",
                        started.elapsed(),
                        not_ready.join(", ")
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn awaited_to_complete(&self, service: &str) -> bool {
        self.services().values().any(|s| {
            s.pointer(&format!("/depends_on/{service}/condition"))
                == Some(&json!("service_completed_successfully"))
        })
    }

    /// `down`: the containers in reverse dependency order, then the
    /// project's networks and, with `volumes`, its volumes.
    pub async fn down(
        &self,
        engine: &Engine,
        remove_volumes: bool,
        remove_orphans: bool,
        timeout: Option<i64>,
    ) -> Result<Report> {
        let all = containers(engine, &self.name, true, None).await?;
        let mut report = Report::default();
        let mut by_service: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for c in &all {
            let s = service_of(c).to_owned();
            if !self.services().contains_key(&s) && !remove_orphans {
                report.warnings.push(format!(
                    "found orphan container {} (service {s}): remove it with remove_orphans = true",
                    name_of(c)
                ));
                continue;
            }
            by_service.entry(s).or_default().push(c);
        }
        let names: Vec<String> = by_service.keys().cloned().collect();
        let removed = RefCell::new(Vec::new());
        let results = in_order(
            &names,
            |s| self.dependents_of(s),
            |s| {
                let list = by_service[&s].clone();
                let removed = &removed;
                async move {
                    let tasks = list.into_iter().map(|c| async move {
                        engine.container_stop(&id_of(c), timeout).await?;
                        engine
                            .container_remove(&id_of(c), true, remove_volumes)
                            .await?;
                        removed.borrow_mut().push(name_of(c));
                        Ok::<_, Error>(())
                    });
                    join_all(tasks)
                        .await
                        .into_iter()
                        .collect::<Result<Vec<()>>>()?;
                    Ok(())
                }
            },
        )
        .await;
        report.removed = removed.into_inner();
        failures("down", results)?;
        report.networks = remove_labelled(engine, &NETWORKS, &self.name).await?;
        if remove_volumes {
            report.volumes = remove_labelled(engine, &VOLUMES, &self.name).await?;
        }
        Ok(report)
    }

    /// `stop`/`start`/`restart`/`kill`/`pause`/`unpause` on the services'
    /// containers: start in dependency order, stop in reverse, the others
    /// all at once. Answers the containers' names.
    pub async fn act(
        &self,
        engine: &Engine,
        verb: Verb,
        services: &[String],
        timeout: Option<i64>,
        signal: Option<&str>,
    ) -> Result<Vec<String>> {
        let names = if services.is_empty() {
            self.services().keys().cloned().collect()
        } else {
            services.to_vec()
        };
        for s in &names {
            if !self.services().contains_key(s) {
                return Err(Error::invalid(format!(
                    "no service '{s}' in project {}",
                    self.name
                )));
            }
        }
        // As compose v2: restarting a service restarts, after it, the
        // services that depend on it with `restart: true`.
        let mut names = names;
        if matches!(verb, Verb::Restart) {
            let mut i = 0;
            while i < names.len() {
                for d in self.restart_dependents_of(&names[i]) {
                    if !names.contains(&d) {
                        names.push(d);
                    }
                }
                i += 1;
            }
        }
        let all = containers(engine, &self.name, true, Some(false)).await?;
        let done = RefCell::new(Vec::new());
        let one = |s: String| {
            let list: Vec<&Value> = all.iter().filter(|c| service_of(c) == s).collect();
            let done = &done;
            async move {
                // As compose: each verb acts on the containers in a state
                // it applies to (an exited one-shot is not paused).
                let applies = move |c: &&Value| match verb {
                    Verb::Pause | Verb::Kill => state_of(c) == "running",
                    Verb::Unpause => state_of(c) == "paused",
                    _ => true,
                };
                let tasks = list.into_iter().filter(applies).map(|c| async move {
                    let id = id_of(c);
                    match verb {
                        Verb::Start => engine.container_start(&id).await?,
                        Verb::Stop => engine.container_stop(&id, timeout).await?,
                        Verb::Restart => engine.container_restart(&id, timeout).await?,
                        Verb::Kill => engine.container_kill(&id, signal).await?,
                        Verb::Pause => engine.container_pause(&id).await?,
                        Verb::Unpause => engine.container_unpause(&id).await?,
                    }
                    done.borrow_mut().push(name_of(c));
                    Ok::<_, Error>(())
                });
                join_all(tasks)
                    .await
                    .into_iter()
                    .collect::<Result<Vec<()>>>()?;
                Ok(())
            }
        };
        let results = match verb {
            Verb::Start => in_order(&names, |s| self.dependencies_of(s), one).await,
            Verb::Stop => in_order(&names, |s| self.dependents_of(s), one).await,
            Verb::Restart => {
                let before = |s: &str| {
                    names
                        .iter()
                        .filter(|n| self.restart_dependents_of(n).iter().any(|d| d == s))
                        .cloned()
                        .collect()
                };
                in_order(&names, before, one).await
            }
            _ => in_order(&names, |_| Vec::new(), one).await,
        };
        failures(verb.name(), results)?;
        Ok(done.into_inner())
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Verb {
    Start,
    Stop,
    Restart,
    Kill,
    Pause,
    Unpause,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
            Verb::Kill => "kill",
            Verb::Pause => "pause",
            Verb::Unpause => "unpause",
        }
    }
}

async fn pull_image(engine: &Engine, image: &str) -> Result<()> {
    let (name, tag) = split_reference(image);
    let tag = tag.unwrap_or(if name.contains('@') { "" } else { "latest" });
    let mut stream = engine
        .image_pull(name, tag, None, &Auth::FromConfig)
        .await?;
    while stream.next().await?.is_some() {}
    Ok(())
}

/// Connects a new container to its networks after the first.
pub async fn connect_more(engine: &Engine, id: &str, opts: &ContainerOptions) -> Result<()> {
    for (net, endpoint) in &opts.more_networks {
        let body = json!({"Container": id, "EndpointConfig": endpoint});
        engine
            .act_with(&NETWORKS, net, "/connect", Query::new(), &body)
            .await?;
    }
    Ok(())
}

/// One line of a project's logs.
pub struct LogLine {
    pub container: String,
    pub kind: StreamKind,
    pub line: Bytes,
}

/// The logs of the project's containers (of `services`, or all), merged
/// line by line as they arrive; followed, they go on until every container
/// has stopped.
pub async fn logs(
    engine: &Engine,
    project: &str,
    services: &[String],
    opts: &LogsOptions,
) -> Result<LocalBoxStream<'static, Result<LogLine>>> {
    let list: Vec<Value> = containers(engine, project, true, Some(false))
        .await?
        .into_iter()
        .filter(|c| services.is_empty() || services.iter().any(|s| s == service_of(c)))
        .collect();
    let mut streams = Vec::new();
    for c in list {
        let output = engine.container_logs(&id_of(&c), opts, None).await?;
        streams.push(lines_of(output, name_of(&c)));
    }
    Ok(stream::select_all(streams).boxed_local())
}

/// The lines of one container's log output, named after it.
fn lines_of(output: OutputStream, name: String) -> LocalBoxStream<'static, Result<LogLine>> {
    stream::unfold(
        (output, LineSplitter::new(), false, name),
        |(mut output, mut splitter, mut ended, name)| async move {
            loop {
                let next = if ended {
                    splitter.finish()
                } else {
                    splitter.next_line()
                };
                if let Some((kind, line)) = next {
                    let item = LogLine {
                        container: name.clone(),
                        kind,
                        line,
                    };
                    return Some((Ok(item), (output, splitter, ended, name)));
                }
                if ended {
                    return None;
                }
                match output.next().await {
                    Ok(Some((kind, piece))) => splitter.push(kind, piece),
                    Ok(None) => ended = true,
                    Err(e) => return Some((Err(e), (output, splitter, true, name))),
                }
            }
        },
    )
    .boxed_local()
}

/// What `up` without detaching follows.
pub enum Attached {
    Line(LogLine),
    /// A container stopped (its log stream ended): its exit code.
    Exited {
        container: String,
        code: i64,
    },
}

/// Follows the logs of `containers` (list entries) until each has exited:
/// the whole log of those in `fresh` (created or started by this `up`, so
/// that nothing they printed before the follow began is lost), the new
/// lines of the others; then each one's exit code.
pub async fn attach(
    engine: &Engine,
    containers: &[Value],
    fresh: &[String],
) -> Result<LocalBoxStream<'static, Result<Attached>>> {
    let mut streams = Vec::new();
    for c in containers {
        let name = name_of(c);
        let opts = LogsOptions {
            stdout: true,
            stderr: true,
            follow: true,
            tail: (!fresh.contains(&name)).then(|| "0".to_owned()),
            ..LogsOptions::default()
        };
        let id = id_of(c);
        let output = engine.container_logs(&id, &opts, None).await?;
        let lines = lines_of(output, name.clone()).map(|l| l.map(Attached::Line));
        let engine = engine.clone();
        let exit = stream::once(async move {
            let answer = engine.container_wait(&id, Some("not-running")).await?;
            let code = answer
                .get("StatusCode")
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            Ok(Attached::Exited {
                container: name,
                code,
            })
        });
        streams.push(lines.chain(exit).boxed_local());
    }
    Ok(stream::select_all(streams).boxed_local())
}

/// A project rebuilt from the labels of its containers (for `ps`, `logs`,
/// `stop`, `down` of a project loaded from nowhere, even one that
/// `docker compose` or `docker-compose` 1.x made).
pub async fn from_engine(engine: &Engine, name: &str) -> Result<Project> {
    let list = containers(engine, name, true, None).await?;
    if list.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no project '{name}' (no container has the label {}={name})",
                labels::PROJECT
            ),
        ));
    }
    let mut services = Map::new();
    let mut working_dir = String::new();
    let mut files = String::new();
    for c in &list {
        let s = service_of(c).to_owned();
        if s.is_empty() {
            continue;
        }
        if let Some(d) = label(c, labels::WORKING_DIR) {
            working_dir = d.to_owned();
        }
        if let Some(f) = label(c, labels::CONFIG_FILES) {
            files = f.to_owned();
        }
        let mut deps = Map::new();
        for dep in label(c, labels::DEPENDS_ON)
            .unwrap_or_default()
            .split(',')
            .filter(|d| !d.is_empty())
        {
            let mut parts = dep.split(':');
            let dep_name = parts.next().unwrap_or_default();
            let condition = parts.next().unwrap_or("service_started");
            let restart = parts.next() == Some("true");
            deps.insert(
                dep_name.into(),
                json!({"condition": condition, "required": true, "restart": restart}),
            );
        }
        let image = label(c, labels::IMAGE)
            .or_else(|| c.get("Image").and_then(Value::as_str))
            .unwrap_or_default();
        let entry = services.entry(s).or_insert_with(|| json!({"image": image}));
        if !deps.is_empty() {
            entry["depends_on"] = Value::Object(deps);
        }
    }
    // Dependencies on services that have no container left are dropped.
    let names: Vec<String> = services.keys().cloned().collect();
    for s in services.values_mut() {
        if let Some(Value::Object(d)) = s.get_mut("depends_on") {
            d.retain(|k, _| names.contains(k));
        }
    }
    let mut model = Map::new();
    model.insert("name".into(), json!(name));
    model.insert("services".into(), Value::Object(services));
    for kind in ["networks", "volumes", "secrets", "configs"] {
        model.insert(kind.into(), json!({}));
    }
    Ok(Project {
        name: name.to_owned(),
        working_dir: working_dir.into(),
        config_files: files
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        model,
        warnings: Vec::new(),
    })
}

/// Every project on the engine, as `docker compose ls` lists them:
/// `{name, status, config_files}`.
pub async fn projects(engine: &Engine) -> Result<Vec<Value>> {
    let mut q = Query::new();
    q.add("filters", json!({"label": [labels::PROJECT]}).to_string());
    q.flag("all", true);
    let list = engine.list(&CONTAINERS, q).await?;
    let mut by: BTreeMap<String, (BTreeMap<String, usize>, String)> = BTreeMap::new();
    for c in &list {
        let Some(p) = label(c, labels::PROJECT) else {
            continue;
        };
        let entry = by.entry(p.to_owned()).or_default();
        *entry.0.entry(state_of(c).to_owned()).or_default() += 1;
        if let Some(f) = label(c, labels::CONFIG_FILES) {
            entry.1 = f.to_owned();
        }
    }
    Ok(by
        .into_iter()
        .map(|(name, (states, files))| {
            let status: Vec<String> = states.iter().map(|(s, n)| format!("{s}({n})")).collect();
            json!({"name": name, "status": status.join(", "), "config_files": files})
        })
        .collect())
}
