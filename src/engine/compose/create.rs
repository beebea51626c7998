//! A compose service as the options of `containers.create` (the Python
//! SDK's names, which `docker.containers.create` reads): an option means the
//! same in containers, services and compose, because the same reader turns
//! these options into the engine's create body.

use serde_json::{json, Map, Value};

use super::labels::{self, scoped_name};
use super::Project;
use crate::engine::options::container::{self, CALL_OPTIONS};
use crate::engine::{units, Result};

/// What creating one container of a service takes.
#[derive(Debug, Clone)]
pub struct ContainerOptions {
    pub image: String,
    pub command: Option<Value>,
    /// `containers.create` options.
    pub options: Map<String, Value>,
    /// Networks to connect after the create: `(engine name, EndpointConfig)`
    /// (an engine before API 1.44 takes one network at create).
    pub more_networks: Vec<(String, Value)>,
}

impl ContainerOptions {
    /// The engine's create body, read from the options by the containers'
    /// own option reader.
    pub fn create_body(&self) -> Result<Value> {
        let command = match &self.command {
            Some(Value::Array(words)) => Some(
                words
                    .iter()
                    .map(|w| w.as_str().unwrap_or_default().to_owned())
                    .collect(),
            ),
            _ => None,
        };
        let mut opts = self.options.clone();
        opts.retain(|k, _| !CALL_OPTIONS.contains(&k.as_str()));
        Ok(Value::Object(container::create_body(
            &self.image,
            command,
            &opts,
        )?))
    }
}

/// The image a service runs: its `image`, else what compose names a build.
pub fn image_of(project: &str, name: &str, service: &Value) -> String {
    match service.get("image").and_then(Value::as_str) {
        Some(i) => i.to_owned(),
        None => format!("{project}-{name}"),
    }
}

impl Project {
    /// The options of container `number` of `service` (`oneoff`: a
    /// `compose run` container, named `<project>-<service>-run-<id>`).
    pub fn container_options(
        &self,
        service_name: &str,
        number: u32,
        oneoff: Option<&str>,
    ) -> ContainerOptions {
        let s = &self.model["services"][service_name];
        let model = |key: &str| s.get(key).filter(|v| !v.is_null());
        let mut o = Map::new();
        let name = match (oneoff, model("container_name").and_then(Value::as_str)) {
            (Some(slug), _) => format!("{}-{service_name}-run-{slug}", self.name),
            (None, Some(n)) => n.to_owned(),
            (None, None) => labels::container_name(&self.name, service_name, number),
        };
        o.insert("name".into(), json!(name));

        let mut l = Map::new();
        if let Some(Value::Object(own)) = model("labels") {
            l.extend(own.clone());
        }
        l.insert(labels::PROJECT.into(), json!(self.name));
        l.insert(labels::SERVICE.into(), json!(service_name));
        l.insert(labels::NUMBER.into(), json!(number.to_string()));
        l.insert(
            labels::ONEOFF.into(),
            json!(if oneoff.is_some() { "True" } else { "False" }),
        );
        l.insert(labels::CONFIG_HASH.into(), json!(labels::config_hash(s)));
        l.insert(
            labels::WORKING_DIR.into(),
            json!(self.working_dir.display().to_string()),
        );
        l.insert(
            labels::CONFIG_FILES.into(),
            json!(self.config_files.join(",")),
        );
        l.insert(labels::VERSION.into(), json!(labels::COMPOSE_VERSION));
        l.insert(
            labels::IMAGE.into(),
            json!(image_of(&self.name, service_name, s)),
        );
        let deps: Vec<String> = s
            .get("depends_on")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(dep, d)| {
                        let cond = d["condition"].as_str().unwrap_or("service_started");
                        let restart = d.get("restart").and_then(Value::as_bool).unwrap_or(false);
                        format!("{dep}:{cond}:{restart}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        l.insert(labels::DEPENDS_ON.into(), json!(deps.join(",")));
        o.insert("labels".into(), Value::Object(l));

        if let Some(Value::Object(env)) = model("environment") {
            let list: Vec<String> = env
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            o.insert("environment".into(), json!(list));
        }
        // Same names, same meaning.
        for key in [
            "entrypoint",
            "user",
            "working_dir",
            "hostname",
            "domainname",
            "stop_signal",
            "mac_address",
            "init",
            "privileged",
            "read_only",
            "tty",
            "stdin_open",
            "cap_add",
            "cap_drop",
            "dns",
            "dns_search",
            "dns_opt",
            "security_opt",
            "group_add",
            "devices",
            "extra_hosts",
            "sysctls",
            "tmpfs",
            "shm_size",
            "mem_limit",
            "mem_reservation",
            "memswap_limit",
            "cpu_shares",
            "pids_limit",
            "oom_score_adj",
            "runtime",
            "cgroup_parent",
            "userns_mode",
            "platform",
            "links",
        ] {
            if let Some(v) = model(key) {
                o.insert(key.into(), v.clone());
            }
        }
        for (ours, theirs) in [("pid", "pid_mode"), ("ipc", "ipc_mode")] {
            if let Some(v) = model(ours) {
                o.insert(theirs.into(), v.clone());
            }
        }
        if let Some(d) = model("stop_grace_period").and_then(Value::as_str) {
            let nanos = units::parse_nanos(d).unwrap_or(0);
            o.insert(
                "stop_timeout".into(),
                json!((nanos + 999_999_999) / 1_000_000_000),
            );
        }
        if let Some(cpus) = model("cpus").and_then(Value::as_f64) {
            o.insert("nano_cpus".into(), json!((cpus * 1e9).round() as i64));
        }
        if let Some(limits) = s.pointer("/deploy/resources/limits") {
            if let Some(cpus) = limits.get("cpus").and_then(Value::as_f64) {
                o.insert("nano_cpus".into(), json!((cpus * 1e9).round() as i64));
            }
            if let Some(m) = limits.get("memory") {
                o.insert("mem_limit".into(), m.clone());
            }
            if let Some(p) = limits.get("pids") {
                o.insert("pids_limit".into(), p.clone());
            }
        }
        if let Some(m) = s.pointer("/deploy/resources/reservations/memory") {
            o.insert("mem_reservation".into(), m.clone());
        }
        if let Some(r) = model("restart").and_then(Value::as_str) {
            let (name, max) = match r.split_once(':') {
                Some((n, m)) => (n, m.parse::<i64>().ok()),
                None => (r, None),
            };
            let mut policy = json!({"name": name});
            if let Some(max) = max {
                policy["maximum_retry_count"] = json!(max);
            }
            o.insert("restart_policy".into(), policy);
        }
        if let Some(Value::Object(log)) = model("logging") {
            let mut lc = Map::new();
            if let Some(d) = log.get("driver") {
                lc.insert("type".into(), d.clone());
            }
            if let Some(opts) = log.get("options") {
                lc.insert("config".into(), opts.clone());
            }
            o.insert("log_config".into(), Value::Object(lc));
        }
        if let Some(Value::Object(u)) = model("ulimits") {
            let list: Vec<Value> = u
                .iter()
                .map(|(n, l)| json!({"name": n, "soft": l["soft"], "hard": l["hard"]}))
                .collect();
            o.insert("ulimits".into(), json!(list));
        }
        if let Some(Value::Object(hc)) = model("healthcheck") {
            o.insert("healthcheck".into(), Value::Object(hc.clone()));
        }
        let ports = self.ports(s);
        if !ports.is_empty() {
            o.insert("ports".into(), Value::Object(ports));
        }
        let (binds, mounts) = self.mounts(s);
        if !binds.is_empty() {
            o.insert("volumes".into(), json!(binds));
        }
        if !mounts.is_empty() {
            o.insert("mounts".into(), json!(mounts));
        }
        let mut more_networks = Vec::new();
        if let Some(mode) = model("network_mode").and_then(Value::as_str) {
            let mode = match mode.strip_prefix("service:") {
                Some(other) => {
                    let other_name = self.model["services"][other]
                        .get("container_name")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| labels::container_name(&self.name, other, 1));
                    format!("container:{other_name}")
                }
                None => mode.to_owned(),
            };
            o.insert("network_mode".into(), json!(mode));
        } else if let Some(Value::Object(nets)) = model("networks") {
            // Highest priority first, then by name, as compose orders them.
            let mut list: Vec<(&String, &Value)> = nets.iter().collect();
            list.sort_by_key(|(n, v)| {
                (
                    -v.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    (*n).clone(),
                )
            });
            for (i, (key, spec)) in list.into_iter().enumerate() {
                let engine_name =
                    scoped_name(&self.name, key, &self.model["networks"][key.as_str()]);
                let mut aliases = vec![json!(service_name)];
                if let Some(Value::Array(a)) = spec.get("aliases") {
                    aliases.extend(a.iter().cloned());
                }
                let mut endpoint = json!({"Aliases": aliases});
                let mut ipam = Map::new();
                if let Some(ip) = spec.get("ipv4_address") {
                    ipam.insert("IPv4Address".into(), ip.clone());
                }
                if let Some(ip) = spec.get("ipv6_address") {
                    ipam.insert("IPv6Address".into(), ip.clone());
                }
                if !ipam.is_empty() {
                    endpoint["IPAMConfig"] = Value::Object(ipam);
                }
                if i == 0 {
                    o.insert("network".into(), json!(engine_name));
                    o.insert(
                        "networking_config".into(),
                        json!({"EndpointsConfig": {engine_name.clone(): endpoint}}),
                    );
                } else {
                    more_networks.push((engine_name, endpoint));
                }
            }
        }
        ContainerOptions {
            image: image_of(&self.name, service_name, s),
            command: model("command").cloned(),
            options: o,
            more_networks,
        }
    }

    /// `ports` and `expose` as the containers' `ports` option:
    /// `{["80/tcp"] = {{ip, port}, ...}}` (an empty port: any), `false`
    /// for exposed only.
    fn ports(&self, s: &Value) -> Map<String, Value> {
        let mut out = Map::new();
        for p in s
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = format!(
                "{}/{}",
                p["target"],
                p["protocol"].as_str().unwrap_or("tcp")
            );
            let binding = json!([
                p.get("host_ip").and_then(Value::as_str).unwrap_or(""),
                p.get("published").and_then(Value::as_str).unwrap_or("")
            ]);
            match out.entry(key).or_insert_with(|| json!([])) {
                Value::Array(list) => list.push(binding),
                other => *other = json!([binding]),
            }
        }
        for e in s
            .get("expose")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let e = e.as_str().unwrap_or_default();
            let key = if e.contains('/') {
                e.to_owned()
            } else {
                format!("{e}/tcp")
            };
            out.entry(key).or_insert(json!(false));
        }
        out
    }

    /// Volumes, secrets and configs: binds as `volumes`, the rest as `mounts`.
    fn mounts(&self, s: &Value) -> (Vec<String>, Vec<Value>) {
        let mut binds = Vec::new();
        let mut mounts = Vec::new();
        for v in s
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let target = v["target"].as_str().unwrap_or_default();
            let ro = v.get("read_only").and_then(Value::as_bool).unwrap_or(false);
            match v["type"].as_str().unwrap_or("volume") {
                // Binds, which create a missing host folder as compose does.
                "bind" => {
                    let mut mode = vec![if ro { "ro" } else { "rw" }];
                    if let Some(p) = v.pointer("/bind/propagation").and_then(Value::as_str) {
                        mode.push(p);
                    }
                    if let Some(z) = v.pointer("/bind/selinux").and_then(Value::as_str) {
                        mode.push(z);
                    }
                    binds.push(format!(
                        "{}:{target}:{}",
                        v["source"].as_str().unwrap_or_default(),
                        mode.join(",")
                    ));
                }
                "tmpfs" => {
                    let mut m = json!({"type": "tmpfs", "target": target});
                    if let Some(size) = v.pointer("/tmpfs/size") {
                        m["tmpfs_size"] = size.clone();
                    }
                    if let Some(mode) = v.pointer("/tmpfs/mode") {
                        m["tmpfs_mode"] = mode.clone();
                    }
                    mounts.push(m);
                }
                _ => {
                    let mut m = json!({"type": "volume", "target": target, "read_only": ro});
                    if let Some(src) = v.get("source").and_then(Value::as_str) {
                        m["source"] =
                            json!(scoped_name(&self.name, src, &self.model["volumes"][src]));
                    }
                    if let Some(n) = v.pointer("/volume/nocopy") {
                        m["no_copy"] = n.clone();
                    }
                    mounts.push(m);
                }
            }
        }
        for kind in ["secrets", "configs"] {
            for r in s.get(kind).and_then(Value::as_array).into_iter().flatten() {
                let src = r["source"].as_str().unwrap_or_default();
                if let Some(file) = self.model[kind][src].get("file") {
                    mounts.push(json!({"type": "bind", "source": file, "target": r["target"], "read_only": true}));
                }
            }
        }
        (binds, mounts)
    }
}
