//! `/swarm/...`: joining and leaving a swarm, its inspect and spec. The spec
//! options are the Python SDK's `create_swarm_spec` names, as JSON.

use serde_json::{json, Map, Value};

use super::options::duration;
use super::{Engine, Error, Query, Req, Result};

/// Options of `swarm.init` besides the spec options ([`SPEC_OPTIONS`]).
pub const INIT_OPTIONS: &[&str] = &[
    "advertise_addr",
    "listen_addr",
    "force_new_cluster",
    "default_addr_pool",
    "subnet_size",
    "data_path_addr",
    "data_path_port",
];

/// Options of `swarm.update` besides the spec options.
pub const UPDATE_OPTIONS: &[&str] = &[
    "rotate_worker_token",
    "rotate_manager_token",
    "rotate_manager_unlock_key",
];

/// The swarm spec's options, for `init` and `update`.
pub const SPEC_OPTIONS: &[&str] = &[
    "name",
    "labels",
    "task_history_retention_limit",
    "snapshot_interval",
    "keep_old_snapshots",
    "log_entries_for_slow_followers",
    "heartbeat_tick",
    "election_tick",
    "dispatcher_heartbeat_period",
    "node_cert_expiry",
    "external_cas",
    "signing_ca_cert",
    "signing_ca_key",
    "ca_force_rotate",
    "autolock_managers",
    "log_driver",
];

/// Options of `swarm.join`.
pub const JOIN_OPTIONS: &[&str] = &[
    "remote_addrs",
    "join_token",
    "listen_addr",
    "advertise_addr",
    "data_path_addr",
];

fn invalid_type(name: &str, expected: &str) -> Error {
    Error::invalid(format!("bad option '{name}' ({expected} expected)"))
}

fn put(spec: &mut Value, path: &[&str], value: Value) {
    let mut slot = spec;
    for key in path {
        if !slot.is_object() {
            *slot = json!({});
        }
        slot = &mut slot[*key];
    }
    *slot = value;
}

/// Applies spec options to a swarm spec (`{}` for init, the current one for update).
pub fn apply_spec(spec: &mut Value, opts: &Map<String, Value>) -> Result<()> {
    for (name, v) in opts {
        if v.is_null() || !SPEC_OPTIONS.contains(&name.as_str()) {
            continue;
        }
        let int = || super::options::integer(name, v);
        let boolean = || v.as_bool().ok_or_else(|| invalid_type(name, "boolean"));
        let text = || {
            v.as_str()
                .map(|s| json!(s))
                .ok_or_else(|| invalid_type(name, "string"))
        };
        match name.as_str() {
            "name" => put(spec, &["Name"], text()?),
            "labels" => put(spec, &["Labels"], super::options::labels(name, v)?),
            "task_history_retention_limit" => put(
                spec,
                &["Orchestration", "TaskHistoryRetentionLimit"],
                json!(int()?),
            ),
            "snapshot_interval" => put(spec, &["Raft", "SnapshotInterval"], json!(int()?)),
            "keep_old_snapshots" => put(spec, &["Raft", "KeepOldSnapshots"], json!(int()?)),
            "log_entries_for_slow_followers" => {
                put(spec, &["Raft", "LogEntriesForSlowFollowers"], json!(int()?))
            }
            "heartbeat_tick" => put(spec, &["Raft", "HeartbeatTick"], json!(int()?)),
            "election_tick" => put(spec, &["Raft", "ElectionTick"], json!(int()?)),
            "dispatcher_heartbeat_period" => put(
                spec,
                &["Dispatcher", "HeartbeatPeriod"],
                json!(duration(name, v)?),
            ),
            "node_cert_expiry" => put(
                spec,
                &["CAConfig", "NodeCertExpiry"],
                json!(duration(name, v)?),
            ),
            "external_cas" => {
                let cas = v.as_array().ok_or_else(|| invalid_type(name, "array"))?;
                let cas = cas
                    .iter()
                    .map(|ca| {
                        let get = |k: &str| ca.get(k).cloned().unwrap_or(Value::Null);
                        json!({"Protocol": get("protocol"), "URL": get("url"),
                               "Options": get("options"), "CACert": get("ca_cert")})
                    })
                    .collect();
                put(spec, &["CAConfig", "ExternalCAs"], Value::Array(cas))
            }
            "signing_ca_cert" => put(spec, &["CAConfig", "SigningCACert"], text()?),
            "signing_ca_key" => put(spec, &["CAConfig", "SigningCAKey"], text()?),
            "ca_force_rotate" => put(spec, &["CAConfig", "ForceRotate"], json!(int()?)),
            "autolock_managers" => put(
                spec,
                &["EncryptionConfig", "AutoLockManagers"],
                json!(boolean()?),
            ),
            "log_driver" => {
                let d = v.as_object().ok_or_else(|| invalid_type(name, "table"))?;
                let get = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
                put(
                    spec,
                    &["TaskDefaults", "LogDriver"],
                    json!({"Name": get("name"), "Options": get("options")}),
                )
            }
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a name in neither list.
pub fn check_options(opts: &Map<String, Value>, lists: &[&[&str]]) -> Result<()> {
    match opts
        .keys()
        .find(|k| !lists.iter().any(|l| l.contains(&k.as_str())))
    {
        Some(k) => Err(Error::invalid(format!("unknown option '{k}'"))),
        None => Ok(()),
    }
}

/// `listen_addr`, by default all interfaces on port 2377, as the CLI has it.
fn listen_addr(opts: &Map<String, Value>) -> Result<Value> {
    match string_opt(opts, "listen_addr")? {
        Value::Null => Ok(json!("0.0.0.0:2377")),
        addr => Ok(addr),
    }
}

/// `opts[key]` as a JSON string value, checked.
fn string_opt(opts: &Map<String, Value>, key: &str) -> Result<Value> {
    match opts.get(key) {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) => Ok(json!(s)),
        Some(_) => Err(invalid_type(key, "string")),
    }
}

impl Engine {
    /// `POST /swarm/init`: makes this engine the first manager of a new
    /// swarm; answers the node id.
    pub async fn swarm_init(&self, opts: &Map<String, Value>) -> Result<String> {
        check_options(opts, &[INIT_OPTIONS, SPEC_OPTIONS])?;
        let mut spec = json!({});
        apply_spec(&mut spec, opts)?;
        let mut body = json!({
            "ListenAddr": listen_addr(opts)?,
            "AdvertiseAddr": string_opt(opts, "advertise_addr")?,
            "DataPathAddr": string_opt(opts, "data_path_addr")?,
            "ForceNewCluster": opts.get("force_new_cluster").and_then(Value::as_bool).unwrap_or(false),
            "Spec": spec,
        });
        if let Some(pool) = opts.get("default_addr_pool") {
            body["DefaultAddrPool"] = pool.clone();
        }
        for (key, field) in [
            ("subnet_size", "SubnetSize"),
            ("data_path_port", "DataPathPort"),
        ] {
            if let Some(n) = opts.get(key) {
                body[field] = json!(n.as_u64().ok_or_else(|| invalid_type(key, "integer"))?);
            }
        }
        let answer = self.json(Req::post("/swarm/init").json_body(&body)).await?;
        Ok(answer.as_str().unwrap_or_default().to_owned())
    }

    /// `POST /swarm/join`.
    pub async fn swarm_join(&self, opts: &Map<String, Value>) -> Result<()> {
        check_options(opts, &[JOIN_OPTIONS])?;
        let remote = match opts.get("remote_addrs") {
            Some(Value::String(s)) => json!([s]),
            Some(Value::Array(a)) if !a.is_empty() => json!(a),
            _ => return Err(invalid_type("remote_addrs", "array of addresses")),
        };
        let token = string_opt(opts, "join_token")?;
        if token.is_null() {
            return Err(Error::invalid("missing option 'join_token'"));
        }
        let body = json!({
            "ListenAddr": listen_addr(opts)?,
            "AdvertiseAddr": string_opt(opts, "advertise_addr")?,
            "DataPathAddr": string_opt(opts, "data_path_addr")?,
            "RemoteAddrs": remote,
            "JoinToken": token,
        });
        self.empty(Req::post("/swarm/join").json_body(&body)).await
    }

    /// `POST /swarm/leave`; a manager must `force` it.
    pub async fn swarm_leave(&self, force: bool) -> Result<()> {
        let mut q = Query::new();
        q.flag("force", force);
        self.empty(Req::post("/swarm/leave").query(q)).await
    }

    /// `GET /swarm` (managers only): the spec, version and join tokens.
    pub async fn swarm_inspect(&self) -> Result<Value> {
        self.json(Req::get("/swarm")).await
    }

    /// `POST /swarm/update`: the current spec with `opts` applied, at the
    /// current version (read first: one inspect, one update).
    pub async fn swarm_update(&self, opts: &Map<String, Value>) -> Result<()> {
        check_options(opts, &[UPDATE_OPTIONS, SPEC_OPTIONS])?;
        let current = self.swarm_inspect().await?;
        let mut spec = current.get("Spec").cloned().unwrap_or(json!({}));
        apply_spec(&mut spec, opts)?;
        let mut q = Query::new();
        q.add("version", super::services::version_of(&current).to_string());
        for (key, param) in [
            ("rotate_worker_token", "rotateWorkerToken"),
            ("rotate_manager_token", "rotateManagerToken"),
            ("rotate_manager_unlock_key", "rotateManagerUnlockKey"),
        ] {
            let on = match opts.get(key) {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(invalid_type(key, "boolean")),
            };
            q.flag(param, on);
        }
        self.empty(Req::post("/swarm/update").query(q).json_body(&spec))
            .await
    }

    /// `POST /swarm/unlock` with the key of an autolocked swarm.
    pub async fn swarm_unlock(&self, key: &str) -> Result<()> {
        let body = json!({ "UnlockKey": key });
        self.empty(Req::post("/swarm/unlock").json_body(&body))
            .await
    }

    /// `GET /swarm/unlockkey`: the key, when autolock is on.
    pub async fn swarm_unlock_key(&self) -> Result<Value> {
        self.json(Req::get("/swarm/unlockkey")).await
    }
}
