//! Error values scripts see. Every failure of a `docker` call is raised as an
//! error object: `err.kind`, `err.status`, `err.message` (plus
//! `exit_status`, `stderr`, `command`, `image` for a `ContainerError`,
//! `build_log` for a `BuildError` and `errors` for `docker.parallel`), and
//! `tostring(err)` is one line.
//!
//! mlua raises a Rust callback's error as its own userdata; we give that
//! userdata's metatable an `__index` and a `__tostring` of ours at start-up,
//! so the fields are readable from `pcall` whatever the call depth.

use std::fmt;

use mlua::{Lua, Value};

use crate::engine;
use crate::engine::error::{clip, excerpt};

#[derive(Debug, Clone)]
pub struct DockerError {
    pub kind: &'static str,
    pub status: Option<u16>,
    pub message: String,
    pub container: Option<ContainerFailure>,
    /// For `docker.parallel`: the failures by item index.
    pub errors: Vec<(usize, mlua::Error)>,
}

/// What a `ContainerError` adds: the command did not exit with 0.
#[derive(Debug, Clone)]
pub struct ContainerFailure {
    pub exit_status: i64,
    pub stderr: String,
    pub command: String,
    pub image: String,
}

impl DockerError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        DockerError {
            kind,
            status: None,
            message: clip(&message.into()),
            container: None,
            errors: Vec::new(),
        }
    }
}

impl fmt::Display for DockerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.container {
            // One line, whatever the size of the command or its output:
            // the fields keep them whole.
            let stderr = excerpt(c.stderr.trim_end(), 400);
            write!(
                f,
                "ContainerError: command '{}' in image '{}' returned non-zero exit status {}",
                excerpt(&c.command, 200),
                excerpt(&c.image, 200),
                c.exit_status
            )?;
            return if stderr.is_empty() {
                Ok(())
            } else {
                write!(f, ": {stderr}")
            };
        }
        let message = clip(&self.message);
        match self.status {
            Some(status) => write!(f, "{} ({}): {}", self.kind, status, message),
            None => write!(f, "{}: {}", self.kind, message),
        }
    }
}

impl std::error::Error for DockerError {}

impl From<DockerError> for mlua::Error {
    fn from(e: DockerError) -> Self {
        mlua::Error::external(e)
    }
}

/// A failed build (`BuildError`): the failing step's error and the build's
/// events up to it (that step's output included).
#[derive(Debug, Clone)]
pub struct BuildFailure {
    pub message: String,
    pub build_log: std::sync::Arc<serde_json::Value>,
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BuildError: {}",
            crate::engine::error::clip(&self.message)
        )
    }
}

impl std::error::Error for BuildFailure {}

impl From<BuildFailure> for mlua::Error {
    fn from(e: BuildFailure) -> Self {
        mlua::Error::external(e)
    }
}

/// A value other than a docker error that a task raised (a string, a table
/// of the stdlib's errors...), kept so that `err.errors[i].kind` still reads
/// the original's fields.
#[derive(Debug)]
pub struct Raised {
    /// Its `tostring`, taken when it was raised.
    pub text: String,
    pub value: std::sync::Arc<mlua::RegistryKey>,
}

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Raised {}

/// An engine failure as the error a script sees.
pub fn engine(e: engine::Error) -> mlua::Error {
    DockerError {
        kind: e.kind.name(),
        status: e.status,
        message: clip(&e.message),
        container: None,
        errors: Vec::new(),
    }
    .into()
}

/// An engine failure of `function`, its message led by the function's name;
/// not a `ReadOnly` refusal, which reads the same for every call.
pub fn engine_in(function: &str, e: engine::Error) -> mlua::Error {
    match e.kind {
        engine::ErrorKind::ReadOnly => engine(e),
        _ => engine(e.named(function)),
    }
}

/// A bad argument from a script: names the function and the argument.
pub fn invalid(function: &str, message: impl fmt::Display) -> mlua::Error {
    DockerError::new("InvalidArgument", format!("{function}: {message}")).into()
}

/// Our error inside an mlua error, through callback and context layers.
pub fn find(err: &mlua::Error) -> Option<&DockerError> {
    err.downcast_ref::<DockerError>()
}

/// mlua's own error for a method called on something that is not its object
/// (`c.stop()`, `c.restart{timeout = 1}`, `c.stop(image)`), as the
/// `InvalidArgument` it is.
fn wrong_receiver(err: &mlua::Error) -> Option<DockerError> {
    let mut cause = err;
    loop {
        match cause {
            mlua::Error::CallbackError { cause: inner, .. } => cause = inner,
            mlua::Error::WithContext { cause: inner, .. } => cause = inner,
            _ => break,
        }
    }
    let mlua::Error::BadArgument {
        to: Some(to),
        pos: 1,
        name: Some(name),
        cause,
    } = cause
    else {
        return None;
    };
    if name != "self" {
        return None;
    }
    let (kind, method) = to.split_once([':', '.'])?;
    let receiver = kind.chars().next()?.to_lowercase().to_string();
    let message = match cause.as_ref() {
        mlua::Error::UserDataTypeMismatch => {
            format!(
                "{kind}:{method} called on another kind of object; write {receiver}:{method}(...)"
            )
        }
        _ => format!("{kind}:{method} called with '.'; write {receiver}:{method}{{...}}"),
    };
    Some(DockerError::new("InvalidArgument", message))
}

/// The one readable line for any error: ours as they print, others as their
/// innermost cause without mlua's traceback.
pub fn one_line(err: &mlua::Error) -> String {
    if let Some(ours) = find(err) {
        return ours.to_string();
    }
    if let Some(receiver) = wrong_receiver(err) {
        return receiver.to_string();
    }
    let mut cause = err;
    while let Some(parent) = cause.parent() {
        cause = parent;
    }
    match cause {
        mlua::Error::BadArgument {
            to,
            pos,
            name,
            cause,
        } => {
            let to = to.as_deref().unwrap_or("?");
            let name = name
                .as_deref()
                .map(|n| format!(" '{n}'"))
                .unwrap_or_default();
            format!("bad argument #{pos}{name} to '{to}': {}", one_line(cause))
        }
        other => clip(&other.to_string()),
    }
}

/// Installs `__index` and `__tostring` on mlua's error userdata.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let index =
        lua.create_function(|lua, (err, key): (mlua::Error, String)| field(lua, &err, &key))?;
    let tostring = lua.create_function(|_, err: mlua::Error| Ok(one_line(&err)))?;
    // An error value, to reach the metatable mlua gives them all (made
    // here rather than raised: a raised one costs a traceback).
    let sample = Value::Error(Box::new(mlua::Error::runtime("sample")));
    crate::glue!("lua", "errors")
        .load(lua)
        .call::<()>((index, tostring, sample))
}

fn field(lua: &Lua, err: &mlua::Error, key: &str) -> mlua::Result<Value> {
    if let Some(raised) = err.downcast_ref::<Raised>() {
        return match lua.registry_value::<Value>(&raised.value)? {
            Value::Table(t) => t.get(key),
            _ if key == "message" => Ok(Value::String(lua.create_string(&raised.text)?)),
            _ if key == "kind" => Ok(Value::String(lua.create_string("LuaError")?)),
            _ => Ok(Value::Nil),
        };
    }
    if let Some(build) = err.downcast_ref::<BuildFailure>() {
        return Ok(match key {
            "kind" => Value::String(lua.create_string("BuildError")?),
            "message" => Value::String(lua.create_string(&build.message)?),
            "build_log" => super::convert::to_lua(lua, &build.build_log)?,
            _ => Value::Nil,
        });
    }
    let receiver = wrong_receiver(err);
    let Some(ours) = find(err).or(receiver.as_ref()) else {
        return Ok(match key {
            "kind" => Value::String(lua.create_string("LuaError")?),
            "message" => Value::String(lua.create_string(one_line(err))?),
            _ => Value::Nil,
        });
    };
    let string = |s: &str| lua.create_string(s).map(Value::String);
    let failure = ours.container.as_ref();
    Ok(match key {
        "kind" => string(if failure.is_some() {
            "ContainerError"
        } else {
            ours.kind
        })?,
        "status" => ours.status.map_or(Value::Nil, |s| Value::Integer(s.into())),
        "message" => string(&clip(&ours.message))?,
        "exit_status" => failure.map_or(Value::Nil, |c| Value::Integer(c.exit_status)),
        "stderr" => failure.map_or(Ok(Value::Nil), |c| string(&c.stderr))?,
        "command" => failure.map_or(Ok(Value::Nil), |c| string(&c.command))?,
        "image" => failure.map_or(Ok(Value::Nil), |c| string(&c.image))?,
        "errors" if !ours.errors.is_empty() => {
            let table = lua.create_table()?;
            for (index, e) in &ours.errors {
                table.raw_set(*index, Value::Error(Box::new(e.clone())))?;
            }
            Value::Table(table)
        }
        _ => Value::Nil,
    })
}
