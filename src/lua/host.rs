//! What the stdlib needs from the host that Lua lacks: `docker.net.probe`
//! (open a TCP connection and close it at once; `docker.wait.port` polls it)
//! and `docker.clock()` (monotonic seconds: `os.time` counts whole seconds
//! and jumps with the wall clock, `os.clock` counts CPU time), and
//! `docker.isatty(io.stdout)` (scripts deciding on colour).

use crate::engine::error::excerpt;
use std::time::{Duration, Instant};

use mlua::{Lua, MultiValue, Table, Value};

use super::args;
use super::error::invalid;
use super::handle::Handle;
use super::lazy;

/// How long a probe waits when the script does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Puts `clock`, `isatty` and `net` on a client table.
pub fn register(lua: &Lua, _: &Handle, client: &Table) -> mlua::Result<()> {
    let start = Instant::now();
    client.raw_set(
        "clock",
        lua.create_function(move |_, _: MultiValue| Ok(start.elapsed().as_secs_f64()))?,
    )?;
    client.raw_set("isatty", lua.create_function(isatty)?)?;
    client.raw_set("net", net(lua)?)
}

/// `docker.isatty(f)`: whether `io.stdin`/`io.stdout`/`io.stderr` (or fd
/// 0, 1, 2, or the names "stdin", "stdout", "stderr") is a terminal.
fn isatty(lua: &Lua, v: Value) -> mlua::Result<bool> {
    use std::io::IsTerminal;
    const F: &str = "isatty";
    let io: Option<Table> = lua.globals().raw_get("io").ok();
    let fd = match &v {
        Value::Integer(n @ 0..=2) => *n,
        Value::String(s) => match s.to_string_lossy().as_str() {
            "stdin" => 0,
            "stdout" => 1,
            "stderr" => 2,
            other => {
                return Err(invalid(
                    F,
                    format!(
                        "bad argument 'file' (io.stdin, io.stdout or io.stderr expected, got '{}')",
                        excerpt(other, 80)
                    ),
                ))
            }
        },
        Value::UserData(_) => {
            let std = ["stdin", "stdout", "stderr"].iter().position(|name| {
                io.as_ref()
                    .and_then(|io| io.raw_get::<Value>(*name).ok())
                    .is_some_and(|h| h == v)
            });
            match std {
                Some(i) => i as i64,
                // Another file (io.open) is never a terminal here.
                None => return Ok(false),
            }
        }
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad argument 'file' (io.stdin, io.stdout or io.stderr expected, got {})",
                    args::type_name(other)
                ),
            ))
        }
    };
    Ok(match fd {
        0 => std::io::stdin().is_terminal(),
        1 => std::io::stdout().is_terminal(),
        _ => std::io::stderr().is_terminal(),
    })
}

fn net(lua: &Lua) -> mlua::Result<Table> {
    let net = lua.create_table()?;
    net.raw_set(
        "probe",
        lazy::async_function(lua, |lua, args: MultiValue| async move {
            const F: &str = "net.probe";
            let mut args = args.into_iter();
            let host = args::string(F, "host", &args.next().unwrap_or(Value::Nil))?;
            let port = match args.next() {
                Some(Value::Integer(p)) if (1..=65535).contains(&p) => p as u16,
                Some(Value::Number(p)) if p.fract() == 0.0 && (1.0..=65535.0).contains(&p) => {
                    p as u16
                }
                other => {
                    return Err(invalid(
                        F,
                        format!(
                            "bad argument 'port' (integer 1-65535 expected, got {})",
                            describe(other.as_ref())
                        ),
                    ))
                }
            };
            let timeout = match args.next() {
                None | Some(Value::Nil) => DEFAULT_TIMEOUT,
                Some(v) => args::seconds(F, "argument 'timeout'", &v)?,
            };
            let connect = tokio::net::TcpStream::connect((host.as_str(), port));
            let failure = match tokio::time::timeout(timeout, connect).await {
                Ok(Ok(_stream)) => return Ok(MultiValue::from_iter([Value::Boolean(true)])),
                Ok(Err(e)) => e.to_string(),
                Err(_) => format!("no answer within {} s", timeout.as_secs_f64()),
            };
            // false and why, like io.open: a closed port is an answer, not an error.
            Ok(MultiValue::from_iter([
                Value::Boolean(false),
                Value::String(lua.create_string(failure)?),
            ]))
        })?,
    )?;
    Ok(net)
}

fn describe(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Nil) => "nil".into(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => args::type_name(other).into(),
    }
}
