//! `run` and `create` as Lua calls: the options to a [`RunSpec`], the
//! sequence itself in [`crate::engine::run`], its result to Lua values.

use mlua::{Lua, MultiValue, Value};

use crate::engine::run::{self as engine_run, PullEvent, RunSpec};
use crate::engine::Engine;
use crate::lua::error::{self, ContainerFailure, DockerError};
use crate::lua::handle::Handle;
use crate::lua::images::RunPullReport;
use crate::lua::{lifecycle, resource};

use super::container::Container;
use super::spec::Spec;

pub(super) fn run_spec(spec: &Spec) -> RunSpec<'_> {
    RunSpec {
        image: &spec.image,
        name: spec.name.as_deref(),
        platform: spec.platform.as_deref(),
        config: &spec.config,
        pull: spec.pull,
        remove: spec.remove,
        proxies: spec.proxies,
    }
}

/// Creates the container, pulling its image as the spec says. Answers the
/// new id.
pub(super) async fn create(engine: &Engine, spec: &Spec) -> mlua::Result<String> {
    let mut report = RunPullReport::new();
    engine_run::create(engine, &run_spec(spec), &mut |e| report.event(e))
        .await
        .map_err(error::engine)
}

pub(crate) async fn run(lua: Lua, handle: Handle, args: MultiValue) -> mlua::Result<MultiValue> {
    let spec = Spec::parse("containers.run", args, true)?;
    if spec.interactive || spec.stream {
        return super::attach::run_live(lua, handle, spec).await;
    }
    let engine = handle.engine()?;
    let mut report = RunPullReport::new();
    let mut progress = |e: PullEvent<'_>| report.event(e);
    if spec.detach {
        let id = engine_run::run_detached(&engine, &run_spec(&spec), &mut progress)
            .await
            .map_err(error::engine)?;
        let attrs = engine
            .container_inspect_started(&id, spec.name.as_deref())
            .await
            .map_err(error::engine)?;
        return Ok(MultiValue::from_iter([resource::object::<Container>(
            &lua, &handle, attrs,
        )?]));
    }
    let cleanups = lifecycle::cleanups(&lua);
    let out = engine_run::run(&engine, &run_spec(&spec), &cleanups, &mut progress)
        .await
        .map_err(error::engine)?;
    if out.exit_code != 0 {
        return Err(DockerError {
            kind: "ContainerError",
            status: None,
            message: format!("exit status {}", out.exit_code),
            container: Some(ContainerFailure {
                exit_status: out.exit_code,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                command: spec
                    .command
                    .map(|c| {
                        shlex::try_join(c.iter().map(String::as_str))
                            .unwrap_or_else(|_| c.join(" "))
                    })
                    .unwrap_or_default(),
                image: spec.image,
            }),
            errors: Vec::new(),
        }
        .into());
    }
    // A log driver that cannot be read: nothing to return, as the Python
    // SDK returns None.
    if !out.logs_readable {
        return Ok(MultiValue::from_iter([Value::Nil]));
    }
    let mut output = if spec.stdout { out.stdout } else { Vec::new() };
    if spec.stderr {
        output.extend_from_slice(&out.stderr);
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&output)?,
    )]))
}
