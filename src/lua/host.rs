//! What the stdlib needs from the host that Lua lacks: `docker.net.probe`
//! (open a TCP connection and close it at once; `docker.wait.port` polls it)
//! and `docker.clock()` (monotonic seconds: `os.time` counts whole seconds
//! and jumps with the wall clock, `os.clock` counts CPU time).

use std::time::{Duration, Instant};

use mlua::{Lua, MultiValue, Table, Value};

use super::args;
use super::error::invalid;

/// How long a probe waits when the script does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

pub fn install(lua: &Lua, client: &Table) -> mlua::Result<()> {
    let start = Instant::now();
    client.raw_set(
        "clock",
        lua.create_function(move |_, _: MultiValue| Ok(start.elapsed().as_secs_f64()))?,
    )?;
    client.raw_set("net", net(lua)?)
}

fn net(lua: &Lua) -> mlua::Result<Table> {
    let net = lua.create_table()?;
    net.raw_set(
        "probe",
        lua.create_async_function(|lua, args: MultiValue| async move {
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
