//! Swarm services: create and update from a spec (see [`super::service_spec`]),
//! their tasks and logs, and waiting until a service has converged.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::containers::LogsOptions;
use super::resource::{check_id, filters_query, CONFIGS, NODES, SECRETS, SERVICES, TASKS};
use super::{Engine, Error, ErrorKind, OutputStream, Query, Req, Result};

/// A service's `Version.Index`, which an update must quote.
pub fn version_of(attrs: &Value) -> u64 {
    attrs
        .pointer("/Version/Index")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

impl Engine {
    /// Creates a service from a spec (secret and config names resolved
    /// first); answers its id.
    pub async fn service_create(&self, mut spec: Value) -> Result<String> {
        self.resolve_references(&mut spec).await?;
        let req = Req::post("/services/create");
        let req = self.with_registry_auth(req, &spec).await?.json_body(&spec);
        let answer: Value = self.json(req).await?;
        answer
            .get("ID")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::new(ErrorKind::Api, "the engine answered no service id"))
    }

    /// Replaces the spec of service `id`, which must be at `version`;
    /// `rollback` asks the engine to go back to the previous spec instead.
    pub async fn service_update(
        &self,
        id: &str,
        version: u64,
        mut spec: Value,
        rollback: bool,
    ) -> Result<Value> {
        self.resolve_references(&mut spec).await?;
        check_id(&SERVICES, id)?;
        let mut q = Query::new();
        q.add("version", version.to_string());
        if rollback {
            q.add("rollback", "previous");
        }
        let req = Req::post(SERVICES.path(id, "/update")).query(q);
        let req = self.with_registry_auth(req, &spec).await?.json_body(&spec);
        self.json(req).await
    }

    /// Adds `X-Registry-Auth` when this client has credentials for the
    /// registry of the spec's image, so that every node can pull it (the
    /// Python SDK sends it the same way; the docker CLI with
    /// `--with-registry-auth`).
    async fn with_registry_auth(&self, req: Req<'static>, spec: &Value) -> Result<Req<'static>> {
        let image = spec
            .pointer("/TaskTemplate/ContainerSpec/Image")
            .and_then(Value::as_str);
        let header = match image {
            Some(image) => self.registry_auth(image).await?,
            None => None,
        };
        Ok(match header {
            Some(header) => req.header("x-registry-auth", header),
            None => req,
        })
    }

    /// Secrets and configs named by name (or id) only, completed with the
    /// other half the engine insists on: one list request per kind, and
    /// only when a reference needs it.
    pub async fn resolve_references(&self, spec: &mut Value) -> Result<()> {
        for (kind, field, noun) in [
            (&SECRETS, "Secrets", "Secret"),
            (&CONFIGS, "Configs", "Config"),
        ] {
            let Some(refs) = spec
                .pointer_mut(&format!("/TaskTemplate/ContainerSpec/{field}"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            let (id_key, name_key) = (format!("{noun}ID"), format!("{noun}Name"));
            let complete = |r: &Value| r.get(&id_key).is_some() && r.get(&name_key).is_some();
            if refs.iter().all(complete) {
                continue;
            }
            let known = self.list(kind, Query::new()).await?;
            for r in refs.iter_mut().filter(|r| !complete(r)) {
                let wanted = r
                    .get(&id_key)
                    .or_else(|| r.get(&name_key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let found = find_by_id_or_name(&known, &wanted).ok_or_else(|| {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("no such {}: {wanted}", kind.noun),
                    )
                })?;
                let id = found.get("ID").cloned().unwrap_or(Value::Null);
                let name = found.pointer("/Spec/Name").cloned().unwrap_or(Value::Null);
                if r.pointer("/File/Name").is_none_or(Value::is_null) {
                    r["File"]["Name"] = name.clone();
                }
                r[&id_key] = id;
                r[&name_key] = name;
            }
        }
        Ok(())
    }

    /// The tasks of service `id`, with more `filters` (`desired-state`, `node`...).
    pub async fn service_tasks(&self, id: &str, filters: Option<&Value>) -> Result<Vec<Value>> {
        let mut filters = match filters {
            Some(Value::Object(map)) => Value::Object(map.clone()),
            _ => json!({}),
        };
        filters["service"] = json!([id]);
        let mut q = Query::new();
        filters_query(&mut q, Some(&filters));
        self.list(&TASKS, q).await
    }

    /// The output of every task of a service, multiplexed as a container's
    /// (raw with a TTY, which only the service's spec tells).
    pub async fn service_logs(
        &self,
        id: &str,
        opts: &LogsOptions,
        tty: bool,
    ) -> Result<OutputStream> {
        let response = self
            .request(opts.request(SERVICES.path(id, "/logs")))
            .await?;
        Ok(OutputStream::new(response, tty))
    }

    /// Polls service `id`, its tasks and the nodes until the service has
    /// converged ([`progress`]) and, with `stable`, has stayed so with the
    /// same tasks for that long (a task that starts and then crashes is
    /// running for a moment); answers its last inspect. After `timeout`
    /// fails with `Timeout`, naming the tasks that are not running and why;
    /// an update the engine paused fails at once.
    pub async fn service_wait(
        &self,
        id: &str,
        timeout: Option<Duration>,
        stable: Option<Duration>,
    ) -> Result<Value> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(50);
        // Since when the service has been converged, and with which tasks.
        let mut steady: Option<(Instant, Vec<String>)> = None;
        loop {
            let (service, tasks, nodes) = futures_util::future::try_join3(
                self.inspect(&SERVICES, id),
                self.service_tasks(id, None),
                self.list(&NODES, Query::new()),
            )
            .await?;
            let mut progress = progress(&service, &tasks, &nodes);
            if let Some(failure) = progress.failure {
                return Err(Error::new(
                    ErrorKind::Api,
                    format!("service {}: {failure}", name_of(&service)),
                ));
            }
            if progress.converged {
                let ids = std::mem::take(&mut progress.running_ids);
                match (&steady, stable) {
                    (_, None) => return Ok(service),
                    (Some((since, same)), Some(stable)) if *same == ids => {
                        if since.elapsed() >= stable {
                            return Ok(service);
                        }
                    }
                    _ => steady = Some((Instant::now(), ids)),
                }
            } else {
                steady = None;
            }
            if let Some(limit) = timeout {
                if start.elapsed() >= limit {
                    let mut why = progress.describe();
                    if let (Some((since, _)), Some(stable)) = (&steady, stable) {
                        why.push_str(&format!(
                            ", for {:.1} s of the {} s asked",
                            since.elapsed().as_secs_f64(),
                            stable.as_secs_f64()
                        ));
                    }
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "service {} not converged after {} s: {why}",
                            name_of(&service),
                            limit.as_secs_f64(),
                        ),
                    ));
                }
                pause = pause.min(limit.saturating_sub(start.elapsed()));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }
}

fn find_by_id_or_name<'a>(items: &'a [Value], wanted: &str) -> Option<&'a Value> {
    let id = |v: &Value| {
        v.get("ID")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    items
        .iter()
        .find(|v| id(v) == wanted)
        .or_else(|| {
            items
                .iter()
                .find(|v| v.pointer("/Spec/Name").and_then(Value::as_str) == Some(wanted))
        })
        .or_else(|| {
            let mut prefixed = items
                .iter()
                .filter(|v| !wanted.is_empty() && id(v).starts_with(wanted));
            match (prefixed.next(), prefixed.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        })
}

fn name_of(service: &Value) -> &str {
    service
        .pointer("/Spec/Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// How far a service is from its spec.
#[derive(Debug, Default)]
pub struct Progress {
    pub converged: bool,
    /// Up-to-date tasks running on usable nodes.
    pub running: usize,
    /// Their ids, sorted.
    pub running_ids: Vec<String>,
    /// Replicas wanted (`None` for a global service).
    pub desired: Option<usize>,
    /// Each task meant to run that is not running as it should, and why.
    pub lagging: Vec<String>,
    /// An update the engine gave up on (paused), which waiting cannot fix.
    pub failure: Option<String>,
    /// The update still under way, if any.
    pub updating: bool,
    /// A job: `running` counts completed tasks, `desired` the completions.
    pub job: bool,
}

impl Progress {
    /// `"1/2 tasks running; web.2 (k3j4...) pending: no suitable node (...)"`.
    pub fn describe(&self) -> String {
        let state = if self.job { "complete" } else { "running" };
        let mut text = match self.desired {
            Some(d) => format!("{}/{d} tasks {state}", self.running),
            None => format!("{} tasks {state}", self.running),
        };
        if self.updating {
            text.push_str(", update in progress");
        }
        for line in &self.lagging {
            text.push_str("; ");
            text.push_str(line);
        }
        text
    }
}

/// Whether `service` has converged, judged from its tasks and the nodes:
/// every replica (for a global service, every task meant to run) running on
/// a ready, active node with the service's current task spec, and no update
/// under way. The task spec comparison catches the moment right after an
/// update, before the engine has marked anything as updating.
pub fn progress(service: &Value, tasks: &[Value], nodes: &[Value]) -> Progress {
    if let Some(mode) = service.pointer("/Spec/Mode") {
        if mode.get("ReplicatedJob").is_some() || mode.get("GlobalJob").is_some() {
            return job_progress(service, tasks);
        }
    }
    let mut p = Progress::default();
    let name = name_of(service);
    match service
        .pointer("/UpdateStatus/State")
        .and_then(Value::as_str)
    {
        Some("updating" | "rollback_started") => p.updating = true,
        Some(state @ ("paused" | "rollback_paused")) => {
            let message = service
                .pointer("/UpdateStatus/Message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            p.failure = Some(format!("update {state}: {message}"));
        }
        _ => {}
    }
    let usable = |node_id: &str| {
        nodes.iter().any(|n| {
            n.get("ID").and_then(Value::as_str) == Some(node_id)
                && n.pointer("/Status/State").and_then(Value::as_str) == Some("ready")
                && n.pointer("/Spec/Availability").and_then(Value::as_str) != Some("drain")
        })
    };
    let template = service.pointer("/Spec/TaskTemplate");
    let current = |task: &Value| match (template, task.get("Spec")) {
        (Some(Value::Object(t)), Some(Value::Object(s))) => t
            .iter()
            // The service's template carries `Runtime`; its tasks do not.
            .filter(|(k, _)| *k != "Runtime")
            .all(|(k, v)| s.get(k).unwrap_or(&Value::Null) == v),
        _ => true,
    };
    let wanted = desired_in_order(tasks, "running");
    for task in &wanted {
        let state = state_of(task);
        let node = task.get("NodeID").and_then(Value::as_str).unwrap_or("");
        let why = if state != "running" {
            let err = task
                .pointer("/Status/Err")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty())
                .or_else(|| last_error(tasks, task));
            Some(match err {
                Some(err) => format!("{state}: {err}"),
                None => state.to_owned(),
            })
        } else if !node.is_empty() && !usable(node) {
            Some("running on a node that is drained or down".to_owned())
        } else if !current(task) {
            Some("running an outdated spec".to_owned())
        } else {
            p.running += 1;
            let id = task.get("ID").and_then(Value::as_str).unwrap_or_default();
            p.running_ids.push(id.to_owned());
            None
        };
        if let Some(why) = why {
            p.lagging.push(format!("{} {why}", task_label(name, task)));
        }
    }
    // Tasks told to stop (scaled down, replaced) that have not yet: the
    // service is not where its spec says until they have. A node that is
    // down reports nothing more about its tasks, so those are not waited for.
    let reachable = |node_id: &str| {
        nodes.iter().any(|n| {
            n.get("ID").and_then(Value::as_str) == Some(node_id)
                && n.pointer("/Status/State").and_then(Value::as_str) == Some("ready")
        })
    };
    for task in tasks {
        let desired = task
            .get("DesiredState")
            .and_then(Value::as_str)
            .unwrap_or("");
        let state = state_of(task);
        let node = task.get("NodeID").and_then(Value::as_str).unwrap_or("");
        let active = matches!(
            state,
            "assigned" | "accepted" | "preparing" | "ready" | "starting" | "running"
        );
        if desired != "running" && active && reachable(node) {
            p.lagging.push(format!(
                "{} still {state} (desired {desired})",
                task_label(name, task)
            ));
        }
    }
    p.running_ids.sort();
    p.desired = service
        .pointer("/Spec/Mode/Replicated/Replicas")
        .and_then(Value::as_u64)
        .map(|n| n as usize);
    let enough = match p.desired {
        Some(d) => p.running == d && wanted.len() == d,
        None => !wanted.is_empty() || nodes.is_empty(),
    };
    p.converged = enough && p.lagging.is_empty() && !p.updating && p.failure.is_none();
    p
}

/// A job is done when its tasks of the current run (`JobIteration`) have
/// completed: `TotalCompletions` of them for a replicated job, every one
/// the engine made (one a node) for a global job. Failed tasks are retried
/// by the engine as its restart policy says; they are named while it does.
fn job_progress(service: &Value, tasks: &[Value]) -> Progress {
    let name = name_of(service);
    let iteration = |v: &Value, path: &str| v.pointer(path).and_then(Value::as_u64);
    let current_run = iteration(service, "/JobStatus/JobIteration/Index");
    let mut p = Progress {
        job: true,
        desired: service
            .pointer("/Spec/Mode/ReplicatedJob/TotalCompletions")
            .and_then(Value::as_u64)
            .map(|n| n as usize),
        ..Progress::default()
    };
    let mut wanted = desired_in_order(tasks, "complete");
    wanted.retain(|t| current_run.is_none() || iteration(t, "/JobIteration/Index") == current_run);
    for task in &wanted {
        let state = state_of(task);
        if state == "complete" {
            p.running += 1;
            let id = task.get("ID").and_then(Value::as_str).unwrap_or_default();
            p.running_ids.push(id.to_owned());
            continue;
        }
        let why = match task
            .pointer("/Status/Err")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
        {
            Some(err) => format!("{state}: {err}"),
            None => state.to_owned(),
        };
        p.lagging.push(format!("{} {why}", task_label(name, task)));
    }
    p.running_ids.sort();
    p.converged = match p.desired {
        Some(total) => p.running >= total,
        None => !wanted.is_empty() && p.lagging.is_empty(),
    };
    if p.converged {
        // Failed attempts the engine replaced do not matter once it is done.
        p.lagging.clear();
    }
    p
}

/// The tasks the engine wants in state `desired`, in slot (then node) order.
fn desired_in_order<'a>(tasks: &'a [Value], desired: &str) -> Vec<&'a Value> {
    let mut wanted: Vec<&Value> = tasks
        .iter()
        .filter(|t| t.get("DesiredState").and_then(Value::as_str) == Some(desired))
        .collect();
    wanted.sort_by_key(|t| {
        (
            t.get("Slot").and_then(Value::as_u64),
            t.get("NodeID").and_then(Value::as_str),
        )
    });
    wanted
}

fn state_of(task: &Value) -> &str {
    task.pointer("/Status/State")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `web.2 (k3j4h5g6f7d8)` (global tasks have no slot: `web (...)`).
fn task_label(service: &str, task: &Value) -> String {
    let id = task.get("ID").and_then(Value::as_str).unwrap_or_default();
    let short = &id[..id.len().min(12)];
    match task.get("Slot").and_then(Value::as_u64).filter(|s| *s > 0) {
        Some(slot) => format!("{service}.{slot} ({short})"),
        None => format!("{service} ({short})"),
    }
}

/// The error of the latest failed task of the same slot (or node), which
/// explains why its successor is not running yet.
fn last_error<'a>(tasks: &'a [Value], task: &Value) -> Option<&'a str> {
    let same_place = |t: &&Value| match task.get("Slot").and_then(Value::as_u64).filter(|s| *s > 0)
    {
        Some(slot) => t.get("Slot").and_then(Value::as_u64) == Some(slot),
        None => t.get("NodeID") == task.get("NodeID"),
    };
    tasks
        .iter()
        .filter(same_place)
        .filter(|t| t.get("ID") != task.get("ID"))
        .filter_map(|t| {
            let err = t.pointer("/Status/Err").and_then(Value::as_str)?;
            let when = t
                .pointer("/Status/Timestamp")
                .and_then(Value::as_str)
                .unwrap_or("");
            (!err.is_empty()).then_some((when, err))
        })
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(_, err)| err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, availability: &str) -> Value {
        json!({"ID": id, "Status": {"State": "ready"}, "Spec": {"Availability": availability}})
    }

    fn task(id: &str, slot: u64, node: &str, state: &str, err: Option<&str>) -> Value {
        json!({
            "ID": id, "Slot": slot, "NodeID": node, "DesiredState": "running",
            "Status": {"State": state, "Err": err, "Timestamp": "2026-01-01T00:00:00Z"},
            "Spec": {"ContainerSpec": {"Image": "a"}},
        })
    }

    fn service(replicas: u64) -> Value {
        json!({
            "Spec": {"Name": "web", "Mode": {"Replicated": {"Replicas": replicas}},
                     "TaskTemplate": {"ContainerSpec": {"Image": "a"}, "Runtime": "container"}},
        })
    }

    #[test]
    fn converged_when_every_replica_runs_the_current_spec() {
        let nodes = [node("n1", "active"), node("n2", "active")];
        let tasks = [
            task("t1", 1, "n1", "running", None),
            task("t2", 2, "n2", "running", None),
        ];
        assert!(progress(&service(2), &tasks, &nodes).converged);
        // One short: scaling up.
        let p = progress(&service(3), &tasks, &nodes);
        assert!(!p.converged);
        assert_eq!(p.describe(), "2/3 tasks running");
        // An outdated spec: just updated.
        let mut newer = service(2);
        newer["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = json!("b");
        let p = progress(&newer, &tasks, &nodes);
        assert!(!p.converged);
        assert!(p.describe().contains("web.1 (t1) running an outdated spec"));
        // A task told to stop that still runs (scaled down).
        let mut stopping = task("t3", 3, "n1", "running", None);
        stopping["DesiredState"] = json!("shutdown");
        let p = progress(
            &service(2),
            &[tasks[0].clone(), tasks[1].clone(), stopping],
            &nodes,
        );
        assert!(!p.converged);
        assert!(p
            .describe()
            .ends_with("web.3 (t3) still running (desired shutdown)"));
        // A drained node: its task must move.
        let drained = [node("n1", "active"), node("n2", "drain")];
        assert!(!progress(&service(2), &tasks, &drained).converged);
    }

    #[test]
    fn a_job_is_done_when_its_current_run_has_completed() {
        let job = json!({
            "Spec": {"Name": "batch", "Mode": {"ReplicatedJob": {"TotalCompletions": 2}}},
            "JobStatus": {"JobIteration": {"Index": 7}},
        });
        let task = |id: &str, slot: u64, state: &str, run: u64| {
            json!({
                "ID": id, "Slot": slot, "DesiredState": "complete", "JobIteration": {"Index": run},
                "Status": {"State": state, "Err": (state == "failed").then_some("exit 1")},
            })
        };
        // A run before this one does not count.
        let tasks = [
            task("old1", 1, "complete", 5),
            task("t1", 1, "complete", 7),
            task("t2", 2, "failed", 7),
        ];
        let p = progress(&job, &tasks, &[]);
        assert!(!p.converged);
        assert_eq!(
            p.describe(),
            "1/2 tasks complete; batch.2 (t2) failed: exit 1"
        );
        let tasks = [
            tasks[1].clone(),
            tasks[2].clone(),
            task("t3", 2, "complete", 7),
        ];
        let p = progress(&job, &tasks, &[]);
        assert!(p.converged, "{}", p.describe());
        assert_eq!(p.running_ids, ["t1", "t3"]);

        let global = json!({"Spec": {"Name": "g", "Mode": {"GlobalJob": {}}}});
        assert!(!progress(&global, &[], &[]).converged);
        let tasks = [task("a", 0, "complete", 0), task("b", 0, "running", 0)];
        assert!(!progress(&global, &tasks, &[]).converged);
        let tasks = [task("a", 0, "complete", 0), task("b", 0, "complete", 0)];
        assert!(progress(&global, &tasks, &[]).converged);
    }

    #[test]
    fn pending_tasks_say_why() {
        let nodes = [node("n1", "active")];
        let tasks = [task(
            "t1",
            1,
            "",
            "pending",
            Some("no suitable node (scheduling constraints not satisfied on 1 node)"),
        )];
        let p = progress(&service(1), &tasks, &nodes);
        assert!(!p.converged);
        assert_eq!(
            p.describe(),
            "0/1 tasks running; web.1 (t1) pending: no suitable node (scheduling constraints not satisfied on 1 node)"
        );
        let mut paused = service(1);
        paused["UpdateStatus"] =
            json!({"State": "paused", "Message": "update paused due to failure"});
        assert!(progress(&paused, &tasks, &nodes).failure.is_some());
    }
}
