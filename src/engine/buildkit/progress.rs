//! BuildKit's progress: the `moby.buildkit.trace` events' base64
//! `StatusResponse` decoded into JSON (vertexes, statuses, logs), the
//! state of each step (for the failed step's log), and the CLI's plain
//! progress drawn from it.

use std::collections::HashMap;

use base64::Engine as _;
use bollard_buildkit_proto::google::protobuf::Timestamp;
use bollard_buildkit_proto::moby::buildkit::v1::StatusResponse;
use prost::Message;
use serde_json::{json, Value};

/// The event id of BuildKit's progress, whose `aux` is a `StatusResponse`.
pub const TRACE_ID: &str = "moby.buildkit.trace";

/// `aux` (base64 of a protobuf `StatusResponse`) as JSON; `None` when it
/// does not decode.
pub fn decode_trace(aux: &str) -> Option<Value> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(aux.trim())
        .ok()?;
    let status = StatusResponse::decode(&bytes[..]).ok()?;
    Some(status_json(&status))
}

fn seconds(t: &Option<Timestamp>) -> Value {
    match t {
        Some(t) => json!(t.seconds as f64 + f64::from(t.nanos) / 1e9),
        None => Value::Null,
    }
}

fn status_json(s: &StatusResponse) -> Value {
    let vertexes: Vec<Value> = s
        .vertexes
        .iter()
        .map(|v| {
            json!({
                "digest": v.digest,
                "name": v.name,
                "inputs": v.inputs,
                "cached": v.cached,
                "started": seconds(&v.started),
                "completed": seconds(&v.completed),
                "error": (!v.error.is_empty()).then_some(&v.error),
            })
        })
        .collect();
    let statuses: Vec<Value> = s
        .statuses
        .iter()
        .map(|st| {
            json!({
                "id": st.id,
                "vertex": st.vertex,
                "name": st.name,
                "current": st.current,
                "total": st.total,
                "started": seconds(&st.started),
                "completed": seconds(&st.completed),
            })
        })
        .collect();
    let logs: Vec<Value> = s
        .logs
        .iter()
        .map(|l| {
            json!({
                "vertex": l.vertex,
                "stream": l.stream,
                "data": String::from_utf8_lossy(&l.msg),
                "timestamp": seconds(&l.timestamp),
            })
        })
        .collect();
    json!({"vertexes": vertexes, "statuses": statuses, "logs": logs})
}

/// What is known of one step.
#[derive(Default)]
struct Step {
    /// Its number in the plain progress (`#3`), from 1 in order of start.
    number: usize,
    name: String,
    started: Option<f64>,
    done: bool,
    error: Option<String>,
    log: String,
}

/// The steps of a build, fed with decoded traces.
#[derive(Default)]
pub struct Steps {
    steps: HashMap<String, Step>,
    next_number: usize,
}

impl Steps {
    /// Takes one decoded trace in; answers the plain progress lines it adds
    /// (`#2 [1/3] FROM ...`, `#2 DONE 0.1s`, `#5 CACHED`, log lines).
    pub fn feed(&mut self, trace: &Value) -> Vec<String> {
        let mut lines = Vec::new();
        let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        for v in trace["vertexes"].as_array().into_iter().flatten() {
            let digest = str_of(v, "digest");
            let started = v["started"].as_f64();
            let completed = v["completed"].as_f64();
            let cached = v["cached"].as_bool().unwrap_or(false);
            let next = &mut self.next_number;
            let step = self.steps.entry(digest).or_default();
            step.name = str_of(v, "name");
            if step.number == 0 && (started.is_some() || cached) {
                *next += 1;
                step.number = *next;
                lines.push(format!("#{} {}", step.number, step.name));
            }
            if started.is_some() {
                step.started = started;
            }
            if let Some(error) = v["error"].as_str() {
                step.error = Some(error.to_owned());
            }
            if step.number > 0 && !step.done && (completed.is_some() || cached) {
                step.done = true;
                lines.push(match (&step.error, cached) {
                    (Some(error), _) => format!("#{} ERROR: {error}", step.number),
                    (None, true) => format!("#{} CACHED", step.number),
                    (None, false) => format!(
                        "#{} DONE {:.1}s",
                        step.number,
                        (completed.unwrap_or(0.0) - step.started.unwrap_or(0.0)).max(0.0)
                    ),
                });
            }
        }
        for st in trace["statuses"].as_array().into_iter().flatten() {
            let Some(step) = self.steps.get(&str_of(st, "vertex")) else {
                continue;
            };
            if step.number > 0 && st["completed"].is_number() {
                let current = st["current"].as_i64().unwrap_or(0);
                let size = if st["total"].as_i64().unwrap_or(0) == 0 && current > 0 {
                    format!(" {}", human_bytes(current))
                } else {
                    String::new()
                };
                lines.push(format!("#{} {}{size} done", step.number, str_of(st, "id")));
            }
        }
        for log in trace["logs"].as_array().into_iter().flatten() {
            let Some(step) = self.steps.get_mut(&str_of(log, "vertex")) else {
                continue;
            };
            let data = str_of(log, "data");
            step.log.push_str(&data);
            if step.number > 0 {
                for line in data.lines().filter(|l| !l.is_empty()) {
                    lines.push(format!("#{} {line}", step.number));
                }
            }
        }
        lines
    }

    /// The failed step: its name, error and log.
    pub fn failed(&self) -> Option<(&str, &str, &str)> {
        self.steps
            .values()
            .filter(|s| s.error.as_deref().is_some_and(|e| !e.is_empty()))
            .max_by_key(|s| s.number)
            .map(|s| {
                (
                    s.name.as_str(),
                    s.error.as_deref().unwrap_or(""),
                    s.log.as_str(),
                )
            })
    }
}

fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n < 1000.0 {
        format!("{n}B")
    } else if n < 1e6 {
        format!("{:.2}kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.2}MB", n / 1e6)
    } else {
        format!("{:.2}GB", n / 1e9)
    }
}

/// A failed build's message: the engine's error, the failed step's log,
/// and, where the engine's Dockerfile frontend lacks what the Dockerfile
/// uses, a word naming it.
pub fn failure_message(error: &str, steps: &Steps) -> String {
    let mut message = error.trim_end().to_owned();
    let lower = error.to_lowercase();
    if lower.contains("docker/dockerfile")
        || lower.contains("frontend") && lower.contains("resolve")
    {
        message.push_str(
            "\n(the Dockerfile's `# syntax=` line names a frontend image the engine could not \
             pull; remove it to use the engine's built-in Dockerfile frontend)",
        );
    } else if lower.contains("unknown instruction")
        || lower.contains("unknown flag")
        || lower.contains("unknown mount")
        || lower.contains("<<")
    {
        message.push_str(
            "\n(the engine's built-in Dockerfile frontend, dockerfile.v0 of its BuildKit, \
             does not know this: it has RUN --mount but not heredocs or COPY --link, which \
             need a newer frontend)",
        );
    } else if lower.contains("no ssh key") && lower.contains("forwarded from the client") {
        // Engine 20.10 names the default id "": say which option gives it.
        message.push_str(
            "\n(a RUN --mount=type=ssh,required=true step needs images.build's 'ssh' option \
             for its id, \"default\" when it names none: e.g. ssh = {default = \
             os.getenv(\"SSH_AUTH_SOCK\")})",
        );
    }
    if let Some((name, _, log)) = steps.failed() {
        if !log.trim().is_empty() {
            message.push_str(&format!("\n{name}:\n{}", log.trim_end()));
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard_buildkit_proto::moby::buildkit::v1::{Vertex, VertexLog};

    fn encoded(status: &StatusResponse) -> String {
        base64::engine::general_purpose::STANDARD.encode(status.encode_to_vec())
    }

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn a_missing_ssh_agent_names_the_option() {
        let message = failure_message(
            "no SSH key \"\" forwarded from the client",
            &Steps::default(),
        );
        assert!(message.contains("images.build's 'ssh' option"), "{message}");
        assert!(!failure_message("exit code: 1", &Steps::default()).contains("'ssh'"));
    }

    #[test]
    fn traces_decode_to_steps_logs_and_a_failure() {
        let mut steps = Steps::default();
        let run = Vertex {
            digest: "sha256:run".into(),
            name: "[2/2] RUN false".into(),
            started: at(10),
            ..Vertex::default()
        };
        let cached = Vertex {
            digest: "sha256:from".into(),
            name: "[1/2] FROM busybox".into(),
            cached: true,
            ..Vertex::default()
        };
        let first = StatusResponse {
            vertexes: vec![cached, run.clone()],
            logs: vec![VertexLog {
                vertex: "sha256:run".into(),
                msg: b"hello\nwor".to_vec(),
                ..VertexLog::default()
            }],
            ..StatusResponse::default()
        };
        let trace = decode_trace(&encoded(&first)).unwrap();
        assert_eq!(trace["vertexes"][1]["name"], "[2/2] RUN false");
        assert_eq!(trace["logs"][0]["data"], "hello\nwor");
        assert_eq!(
            steps.feed(&trace),
            [
                "#1 [1/2] FROM busybox",
                "#1 CACHED",
                "#2 [2/2] RUN false",
                "#2 hello",
                "#2 wor"
            ]
        );
        let failed = StatusResponse {
            vertexes: vec![Vertex {
                completed: at(12),
                error: "exit code: 1".into(),
                ..run
            }],
            logs: vec![VertexLog {
                vertex: "sha256:run".into(),
                msg: b"ld\n".to_vec(),
                ..VertexLog::default()
            }],
            ..StatusResponse::default()
        };
        let lines = steps.feed(&decode_trace(&encoded(&failed)).unwrap());
        assert_eq!(lines, ["#2 ERROR: exit code: 1", "#2 ld"]);
        let message = failure_message("executor failed", &steps);
        assert!(
            message.contains("[2/2] RUN false:\nhello\nworld"),
            "{message}"
        );
        assert!(decode_trace("not base64!").is_none());
    }
}
