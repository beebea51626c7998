//! The figures `docker stats` shows, computed from one stats sample as the
//! docker CLI computes them (`cli/command/container/stats_helpers.go`, Linux
//! engines): CPU % against the previous reading the engine sends along,
//! memory without the inactive page cache, I/O summed over interfaces and
//! devices. The sample stays a JSON value; the figures are added beside its
//! own fields.

use serde_json::{Map, Value};

/// What `docker stats --no-stream` prints for a sample, as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    pub cpu_percent: f64,
    /// Bytes in use, the inactive page cache left out.
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub mem_percent: f64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

fn u64_at(v: &Value, path: &[&str]) -> u64 {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

impl Figures {
    pub fn of(sample: &Value) -> Figures {
        let (mem_usage, mem_limit) = memory(sample);
        let mem_percent = if mem_limit > 0 {
            mem_usage as f64 / mem_limit as f64 * 100.0
        } else {
            0.0
        };
        let (net_rx, net_tx) = network(sample);
        let (block_read, block_write) = block_io(sample);
        Figures {
            cpu_percent: cpu_percent(sample),
            mem_usage,
            mem_limit,
            mem_percent,
            net_rx,
            net_tx,
            block_read,
            block_write,
            pids: u64_at(sample, &["pids_stats", "current"]),
        }
    }

    /// The figures as fields of `sample` (an object; anything else is kept
    /// as it is). Names the engine's own fields never use.
    pub fn add_to(sample: &mut Value) {
        let figures = Figures::of(sample);
        let Value::Object(map) = sample else {
            return;
        };
        figures.insert_into(map);
    }

    fn insert_into(&self, map: &mut Map<String, Value>) {
        let float = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
        map.insert("cpu_percent".into(), float(self.cpu_percent));
        map.insert("mem_usage".into(), self.mem_usage.into());
        map.insert("mem_limit".into(), self.mem_limit.into());
        map.insert("mem_percent".into(), float(self.mem_percent));
        map.insert("net_rx".into(), self.net_rx.into());
        map.insert("net_tx".into(), self.net_tx.into());
        map.insert("block_read".into(), self.block_read.into());
        map.insert("block_write".into(), self.block_write.into());
        map.insert("pids".into(), self.pids.into());
    }
}

/// `calculateCPUPercentUnix`: the container's share of the host's CPU time
/// since the previous reading, times the CPUs online.
fn cpu_percent(s: &Value) -> f64 {
    let total = u64_at(s, &["cpu_stats", "cpu_usage", "total_usage"]);
    let pre_total = u64_at(s, &["precpu_stats", "cpu_usage", "total_usage"]);
    let system = u64_at(s, &["cpu_stats", "system_cpu_usage"]);
    let pre_system = u64_at(s, &["precpu_stats", "system_cpu_usage"]);
    let mut cpus = u64_at(s, &["cpu_stats", "online_cpus"]);
    if cpus == 0 {
        cpus = s
            .pointer("/cpu_stats/cpu_usage/percpu_usage")
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as u64);
    }
    let cpu_delta = total as f64 - pre_total as f64;
    let system_delta = system as f64 - pre_system as f64;
    if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus as f64 * 100.0
    } else {
        0.0
    }
}

/// `calculateMemUsageUnixNoCache`: usage less `total_inactive_file`
/// (cgroup v1) or `inactive_file` (cgroup v2) when smaller.
fn memory(s: &Value) -> (u64, u64) {
    let usage = u64_at(s, &["memory_stats", "usage"]);
    let limit = u64_at(s, &["memory_stats", "limit"]);
    let stats = s.pointer("/memory_stats/stats");
    let cache = |key: &str| stats.and_then(|st| st.get(key)).and_then(Value::as_u64);
    let used = match cache("total_inactive_file").or_else(|| cache("inactive_file")) {
        Some(inactive) if inactive < usage => usage - inactive,
        _ => usage,
    };
    (used, limit)
}

fn network(s: &Value) -> (u64, u64) {
    let Some(networks) = s.get("networks").and_then(Value::as_object) else {
        return (0, 0);
    };
    networks.values().fold((0, 0), |(rx, tx), n| {
        (rx + u64_at(n, &["rx_bytes"]), tx + u64_at(n, &["tx_bytes"]))
    })
}

/// `calculateBlockIO`: the "read" and "write" entries of every device.
fn block_io(s: &Value) -> (u64, u64) {
    let entries = s
        .pointer("/blkio_stats/io_service_bytes_recursive")
        .and_then(Value::as_array);
    let mut read = 0;
    let mut write = 0;
    for e in entries.into_iter().flatten() {
        let value = u64_at(e, &["value"]);
        match e.get("op").and_then(Value::as_str).map(str::to_lowercase) {
            Some(op) if op == "read" => read += value,
            Some(op) if op == "write" => write += value,
            _ => {}
        }
    }
    (read, write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn figures_as_the_cli_computes_them() {
        let sample = json!({
            "id": "abc",
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000u64}, "system_cpu_usage": 20_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000u64}, "system_cpu_usage": 10_000_000u64},
            "memory_stats": {"usage": 10_000, "limit": 40_000, "stats": {"inactive_file": 2_000}},
            "networks": {"eth0": {"rx_bytes": 5, "tx_bytes": 7}, "eth1": {"rx_bytes": 1, "tx_bytes": 1}},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"op": "Read", "value": 100}, {"op": "write", "value": 30},
                {"op": "read", "value": 1}, {"op": "Total", "value": 131}]},
            "pids_stats": {"current": 4}
        });
        let f = Figures::of(&sample);
        assert_eq!(
            f,
            Figures {
                cpu_percent: 40.0,
                mem_usage: 8_000,
                mem_limit: 40_000,
                mem_percent: 20.0,
                net_rx: 6,
                net_tx: 8,
                block_read: 101,
                block_write: 30,
                pids: 4,
            }
        );
        let mut sample = sample;
        Figures::add_to(&mut sample);
        assert_eq!(sample["cpu_percent"], json!(40.0));
        assert_eq!(sample["mem_usage"], json!(8_000));
        assert_eq!(sample["id"], json!("abc"));
    }

    #[test]
    fn cgroup_v1_cache_and_missing_fields() {
        let v1 = json!({"memory_stats": {"usage": 100, "limit": 0,
            "stats": {"total_inactive_file": 30, "inactive_file": 50}},
            "cpu_stats": {"cpu_usage": {"total_usage": 5, "percpu_usage": [1, 2, 2]}, "system_cpu_usage": 10},
            "precpu_stats": {}});
        let f = Figures::of(&v1);
        assert_eq!((f.mem_usage, f.mem_percent), (70, 0.0));
        // No previous reading: 5 / 10 of 3 CPUs.
        assert_eq!(f.cpu_percent, 150.0);
        // A stopped container's sample: zeros, never a panic.
        assert_eq!(
            Figures::of(&json!({"read": "0001-01-01T00:00:00Z"})),
            Figures::default()
        );
        // A cache larger than the usage is not taken off.
        let odd = json!({"memory_stats": {"usage": 10, "stats": {"inactive_file": 50}}});
        assert_eq!(Figures::of(&odd).mem_usage, 10);
    }
}
