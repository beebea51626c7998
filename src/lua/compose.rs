//! `docker.compose` and `docker.yaml`: binds the compose model and runner of
//! [`crate::engine::compose`] to Lua. A `Project` is a table whose methods
//! are bound to the loaded project and the client it came from.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use futures_util::stream::{LocalBoxStream, StreamExt};
use mlua::{Function, Lua, MultiValue, ObjectLike, Table, Value};
use serde_json::Value as Json;

use super::args::{self, Opts};
use super::containers::{self, Container};
use super::error::{self, invalid};
use super::handle::{bound, Handle};
use super::{convert, iter, resource};
use crate::engine::compose::run::{self as runner, LogLine, UpOptions, Verb};
use crate::engine::compose::{self, yaml, LoadOptions, Project};
use crate::engine::containers::LogsOptions;
use crate::engine::error::excerpt;
use crate::engine::run::{Pull, RunGuard};

const KIND: &str = "ComposeProject";

/// Sets `compose` and `yaml` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let state = handle.clone();
    t.raw_set("load", bound(lua, &state, "compose", load)?)?;
    t.raw_set("project", bound(lua, &state, "compose", project)?)?;
    t.raw_set("get", bound(lua, &state, "compose", get)?)?;
    t.raw_set("projects", bound(lua, &state, "compose", projects)?)?;
    client.raw_set("compose", t)?;

    let y = lua.create_table()?;
    y.raw_set(
        "encode",
        lua.create_function(|_, value: Value| {
            let json = convert::from_lua(&value).map_err(|e| invalid("yaml.encode", e.0))?;
            yaml::encode(&json).map_err(|e| invalid("yaml.encode", e.message))
        })?,
    )?;
    y.raw_set(
        "decode",
        lua.create_function(|lua, text: Value| {
            let Value::String(s) = &text else {
                return Err(invalid(
                    "yaml.decode",
                    format!(
                        "bad argument 'text' (string expected, got {})",
                        args::type_name(&text)
                    ),
                ));
            };
            let text = s
                .to_str()
                .map_err(|_| invalid("yaml.decode", "the text is not UTF-8"))?;
            let value = yaml::decode("yaml.decode", &text)
                .map_err(|e| invalid("yaml.decode", e.message))?;
            convert::to_lua(lua, &value)
        })?,
    )?;
    client.raw_set("yaml", y)?;
    Ok(())
}

type State = Handle;

fn first(args: MultiValue) -> Value {
    args.into_iter().next().unwrap_or(Value::Nil)
}

fn environ() -> std::collections::HashMap<String, String> {
    std::env::vars().collect()
}

fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
}

fn paths(opts: &Opts, name: &str) -> mlua::Result<Vec<PathBuf>> {
    Ok(opts
        .strings(name)?
        .unwrap_or_default()
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

/// The load options common to `load` and `project`.
fn load_options(opts: &Opts) -> mlua::Result<LoadOptions> {
    Ok(LoadOptions {
        files: Vec::new(),
        project_name: opts.string("project_name")?,
        env_files: paths(opts, "env_file")?,
        profiles: opts.strings("profiles")?,
        working_dir: opts.string("working_dir")?.map(PathBuf::from),
        search_from: cwd(),
        environ: environ(),
    })
}

async fn load(lua: Lua, h: State, args: MultiValue) -> mlua::Result<Table> {
    const F: &str = "compose.load";
    let arg = first(args);
    let options = match &arg {
        Value::String(s) => {
            let path = PathBuf::from(s.to_string_lossy());
            let mut o = LoadOptions {
                search_from: cwd(),
                environ: environ(),
                ..LoadOptions::default()
            };
            if path.is_dir() {
                o.search_from = o.search_from.join(path);
            } else {
                o.files = vec![path];
            }
            o
        }
        _ => {
            let opts = Opts::new(
                F,
                arg,
                &[
                    "files",
                    "project_name",
                    "env_file",
                    "profiles",
                    "working_dir",
                ],
            )?;
            let mut o = load_options(&opts)?;
            o.files = paths(&opts, "files")?;
            o
        }
    };
    let project = compose::load(&options).map_err(error::engine)?;
    project_table(&lua, h, project)
}

async fn project(lua: Lua, h: State, args: MultiValue) -> mlua::Result<Table> {
    const F: &str = "compose.project";
    let mut args = args.into_iter();
    let model = args.next().unwrap_or(Value::Nil);
    if !matches!(model, Value::Table(_)) {
        return Err(invalid(
            F,
            format!(
                "bad argument 'project' (table expected, got {})",
                args::type_name(&model)
            ),
        ));
    }
    let opts = Opts::new(
        F,
        args.next().unwrap_or(Value::Nil),
        &["project_name", "env_file", "profiles", "working_dir"],
    )?;
    let json = convert::from_lua(&model).map_err(|e| invalid(F, e.0))?;
    let project = compose::load::from_value(json, &load_options(&opts)?).map_err(error::engine)?;
    project_table(&lua, h, project)
}

async fn get(lua: Lua, h: State, args: MultiValue) -> mlua::Result<Table> {
    let name = args::string("compose.get", "name", &first(args))?;
    let project = runner::from_engine(&h.engine()?, &name)
        .await
        .map_err(error::engine)?;
    project_table(&lua, h, project)
}

async fn projects(lua: Lua, h: State, _: MultiValue) -> mlua::Result<Value> {
    let list = runner::projects(&h.engine()?)
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &Json::Array(list))
}

/// What every method of a project is bound to.
#[derive(Clone)]
struct Bound {
    handle: Handle,
    project: Rc<Project>,
}

fn project_table(lua: &Lua, handle: Handle, project: Project) -> mlua::Result<Table> {
    for w in &project.warnings {
        eprintln!("WARN: {w}");
    }
    let t = lua.create_table()?;
    t.raw_set("name", project.name.as_str())?;
    let services = lua.create_sequence_from(project.ordered_services())?;
    t.raw_set("services", services)?;
    t.raw_set("working_dir", project.working_dir.display().to_string())?;
    t.raw_set(
        "config_files",
        lua.create_sequence_from(project.config_files.clone())?,
    )?;
    let mt = lua.create_table()?;
    mt.raw_set("__name", KIND)?;
    let label = format!("<ComposeProject {}>", project.name);
    mt.raw_set(
        "__tostring",
        lua.create_function(move |_, _: Value| Ok(label.clone()))?,
    )?;
    t.set_metatable(Some(mt))?;
    let b = Bound {
        handle,
        project: Rc::new(project),
    };
    t.raw_set("config", bound(lua, &b, KIND, config)?)?;
    t.raw_set("up", bound(lua, &b, KIND, up)?)?;
    t.raw_set("down", bound(lua, &b, KIND, down)?)?;
    t.raw_set("ps", bound(lua, &b, KIND, ps)?)?;
    t.raw_set("logs", bound(lua, &b, KIND, logs)?)?;
    t.raw_set("run", bound(lua, &b, KIND, run)?)?;
    t.raw_set("exec", bound(lua, &b, KIND, exec)?)?;
    t.raw_set("pull", bound(lua, &b, KIND, pull)?)?;
    t.raw_set("build", bound(lua, &b, KIND, build)?)?;
    for verb in [
        Verb::Start,
        Verb::Stop,
        Verb::Restart,
        Verb::Kill,
        Verb::Pause,
        Verb::Unpause,
    ] {
        t.raw_set(
            verb.name(),
            bound(lua, &b, KIND, move |lua, b, args| act(lua, b, args, verb))?,
        )?;
    }
    Ok(t)
}

async fn config(lua: Lua, b: Bound, _: MultiValue) -> mlua::Result<Value> {
    convert::to_lua(&lua, &b.project.config())
}

fn services_opt(opts: &Opts) -> mlua::Result<Vec<String>> {
    Ok(opts.strings("services")?.unwrap_or_default())
}

fn wait_bound(opts: &Opts, name: &str) -> mlua::Result<Option<Duration>> {
    opts.seconds(name)
}

async fn up(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "Project:up";
    let opts = Opts::new(
        F,
        first(args),
        &[
            "services",
            "detach",
            "wait",
            "wait_timeout",
            "timeout",
            "build",
            "pull",
            "force_recreate",
            "no_recreate",
            "remove_orphans",
            "abort_on_container_exit",
            "exit_code_from",
            "attach_dependencies",
        ],
    )?;
    let detach = opts.bool("detach")?.unwrap_or(true);
    // As `docker compose up --exit-code-from`: it implies the abort.
    let exit_code_from = opts.string("exit_code_from")?;
    let abort = opts.flag("abort_on_container_exit")? || exit_code_from.is_some();
    let attach_dependencies = opts.flag("attach_dependencies")?;
    for (name, given) in [
        ("exit_code_from", exit_code_from.is_some()),
        ("abort_on_container_exit", abort),
        ("attach_dependencies", attach_dependencies),
    ] {
        if given && detach {
            return Err(invalid(
                F,
                format!("bad option '{name}' (it needs detach = false)"),
            ));
        }
    }
    let pull = match opts.string("pull")?.as_deref() {
        None | Some("missing") => Pull::Missing,
        Some("always") => Pull::Always,
        Some("never") => Pull::Never,
        Some(other) => {
            return Err(invalid(
                F,
                format!(
                    "bad option 'pull' ('missing', 'always' or 'never' expected, got '{other}')"
                ),
            ))
        }
    };
    let up = UpOptions {
        services: services_opt(&opts)?,
        wait: opts.flag("wait")?,
        wait_timeout: wait_bound(&opts, "wait_timeout")?,
        force_recreate: opts.flag("force_recreate")?,
        no_recreate: opts.flag("no_recreate")?,
        remove_orphans: opts.flag("remove_orphans")?,
        pull,
        build: opts.flag("build")?,
        timeout: opts.count("timeout")?,
    };
    // The services whose logs an attached `up` follows: those asked for,
    // with what they depend on when `attach_dependencies` (as the CLI's
    // `--attach-dependencies`).
    let attached = if up.services.is_empty() || attach_dependencies {
        b.project.selected(&up.services).map_err(error::engine)?
    } else {
        up.services.clone()
    };
    if let Some(service) = &exit_code_from {
        if !attached.contains(service) {
            return Err(invalid(
                F,
                format!(
                    "bad option 'exit_code_from' (no service '{}' among those followed: {})",
                    excerpt(service, 40),
                    attached.join(", ")
                ),
            ));
        }
    }
    let engine = b.handle.engine()?;
    // Attached, a signal from here on stops the selected services'
    // containers: they are registered by name before they exist, so that
    // one cut short while `up` creates them is stopped too.
    let mut stopping = Stopping(!detach);
    let guards = if detach {
        Vec::new()
    } else {
        let cleanups = super::lifecycle::cleanups(&lua);
        let project = &b.project;
        let mut guards = Vec::new();
        for s in project.selected(&up.services).map_err(error::engine)? {
            for n in 1..=project.replicas(&s) {
                let o = project.container_options(&s, n, None);
                if let Some(name) = o.options.get("name").and_then(Json::as_str) {
                    guards.push(cleanups.register_stop(&engine, name, up.timeout));
                }
            }
        }
        guards
    };
    let report = match b.project.up(&engine, &up).await {
        Ok(r) => r,
        Err(e) => {
            // A failed `up` leaves what it made as it is, attached or not.
            stopping.0 = false;
            guards.into_iter().for_each(|g| g.disarm());
            return Err(error::engine(e));
        }
    };
    for w in &report.warnings {
        eprintln!("WARN: {w}");
    }
    let mut answer = report.to_json();
    if !detach {
        let (codes, services) = follow(
            &lua,
            &b,
            &up,
            Attach {
                services: &attached,
                abort,
            },
            &report,
            guards,
            stopping,
        )
        .await?;
        if let Some(service) = &exit_code_from {
            // The service's first container that exited (by name: `-1`
            // before `-2`), as compose takes its replica 1.
            let mut names: Vec<&String> = services
                .iter()
                .filter(|(_, s)| s == service)
                .map(|(c, _)| c)
                .filter(|c| codes.contains_key(*c))
                .collect();
            names.sort();
            if let Some(code) = names.first().and_then(|c| codes.get(*c)) {
                answer["exit_code"] = code.clone();
            }
        }
        answer["exit_codes"] = Json::Object(codes);
    }
    convert::to_lua(&lua, &answer)
}

/// Says how `up` without detaching ends when a signal cuts it short (its
/// containers are stopped by the clean-ups then).
struct Stopping(bool);

impl Drop for Stopping {
    fn drop(&mut self) {
        if self.0 {
            eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
        }
    }
}

/// What an attached `up` follows, and whether the first exit stops all.
struct Attach<'a> {
    services: &'a [String],
    abort: bool,
}

/// `up{detach = false}`: prints the logs of the services' containers as
/// `docker compose up` does (`name  | line`) until each has exited, and
/// answers their exit codes by name, with each container's service. A
/// signal meanwhile stops the project's containers (the clean-ups of a
/// cancelled program); `attach.abort` stops them all once one exits.
async fn follow(
    lua: &Lua,
    b: &Bound,
    up: &UpOptions,
    attach: Attach<'_>,
    report: &runner::Report,
    guards: Vec<RunGuard>,
    mut stopping: Stopping,
) -> mlua::Result<(serde_json::Map<String, Json>, Vec<(String, String)>)> {
    let engine = b.handle.engine()?;
    let project = &b.project;
    let selected = project.selected(&up.services).map_err(error::engine)?;
    let all = runner::containers(&engine, &project.name, true, Some(false))
        .await
        .map_err(error::engine)?;
    let followed: Vec<Json> = all
        .into_iter()
        .filter(|c| attach.services.iter().any(|s| s == runner::service_of(c)))
        .collect();
    let fresh: Vec<String> = [&report.created, &report.recreated, &report.started]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let names: Vec<String> = followed.iter().map(runner::name_of).collect();
    let services: Vec<(String, String)> = followed
        .iter()
        .map(|c| (runner::name_of(c), runner::service_of(c).to_owned()))
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0) + 1;
    let io: Table = lua.globals().get("io")?;
    let write: Function = io.get("write")?;
    let stdout: Value = io.get("stdout")?;
    let flush: Option<Function> = match &stdout {
        Value::UserData(u) => u.get("flush").ok(),
        _ => None,
    };
    let out = |text: String| -> mlua::Result<()> {
        write.call::<Value>(text)?;
        if let Some(f) = &flush {
            f.call::<Value>(stdout.clone())?;
        }
        Ok(())
    };
    out(format!("Attaching to {}\n", names.join(", ")))?;
    let mut stream = runner::attach(&engine, &followed, &fresh)
        .await
        .map_err(error::engine)?;
    let mut codes = serde_json::Map::new();
    let mut aborted = false;
    while let Some(event) = stream.next().await {
        match event {
            Ok(runner::Attached::Line(l)) => out(format!(
                "{:<width$} | {}\n",
                l.container,
                String::from_utf8_lossy(&l.line)
            ))?,
            Ok(runner::Attached::Exited { container, code }) => {
                out(format!("{container} exited with code {code}\n"))?;
                codes.insert(container, Json::from(code));
                if attach.abort && !aborted {
                    aborted = true;
                    out("Aborting on container exit...\n".to_owned())?;
                    project
                        .act(&engine, Verb::Stop, &selected, up.timeout, None)
                        .await
                        .map_err(error::engine)?;
                }
            }
            Err(e) => {
                // Following failed: the containers are left as they are.
                stopping.0 = false;
                guards.into_iter().for_each(|g| g.disarm());
                return Err(error::engine(e));
            }
        }
    }
    stopping.0 = false;
    guards.into_iter().for_each(|g| g.disarm());
    Ok((codes, services))
}

async fn down(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<Value> {
    let opts = Opts::new(
        "Project:down",
        first(args),
        &["volumes", "remove_orphans", "timeout"],
    )?;
    let report = b
        .project
        .down(
            &b.handle.engine()?,
            opts.flag("volumes")?,
            opts.flag("remove_orphans")?,
            opts.count("timeout")?,
        )
        .await
        .map_err(error::engine)?;
    for w in &report.warnings {
        eprintln!("WARN: {w}");
    }
    convert::to_lua(&lua, &report.to_json())
}

async fn ps(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<Table> {
    let opts = Opts::new("Project:ps", first(args), &["all", "services"])?;
    let services = services_opt(&opts)?;
    let list = runner::containers(
        &b.handle.engine()?,
        &b.project.name,
        opts.flag("all")?,
        Some(false),
    )
    .await
    .map_err(error::engine)?;
    let out = lua.create_table()?;
    for c in list {
        if services.is_empty() || services.iter().any(|s| s == runner::service_of(&c)) {
            out.raw_push(resource::object::<Container>(&lua, &b.handle, c)?)?;
        }
    }
    Ok(out)
}

struct Lines(LocalBoxStream<'static, crate::engine::Result<LogLine>>);

impl iter::Source for Lines {
    fn next<'a>(
        &'a mut self,
        lua: &'a Lua,
    ) -> futures_util::future::LocalBoxFuture<'a, mlua::Result<Option<MultiValue>>> {
        Box::pin(async move {
            match self.0.next().await {
                None => Ok(None),
                Some(Err(e)) => Err(error::engine(e)),
                Some(Ok(l)) => Ok(Some(MultiValue::from_iter([
                    Value::String(lua.create_string(&l.line)?),
                    Value::String(lua.create_string(l.kind.name())?),
                    Value::String(lua.create_string(&l.container)?),
                ]))),
            }
        })
    }
}

async fn logs(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<MultiValue> {
    let opts = Opts::new(
        "Project:logs",
        first(args),
        &[
            "follow",
            "services",
            "tail",
            "timestamps",
            "since",
            "until",
            "stdout",
            "stderr",
        ],
    )?;
    let tail = match opts.raw("tail")? {
        Value::Nil => None,
        Value::Integer(n) => Some(n.to_string()),
        other => Some(args::string("Project:logs", "tail", &other)?),
    };
    let log_opts = LogsOptions {
        stdout: opts.bool("stdout")?.unwrap_or(true),
        stderr: opts.bool("stderr")?.unwrap_or(true),
        follow: opts.flag("follow")?,
        timestamps: opts.flag("timestamps")?,
        tail,
        since: opts.time("since")?,
        until: opts.time("until")?,
        ..LogsOptions::default()
    };
    let stream = runner::logs(
        &b.handle.engine()?,
        &b.project.name,
        &services_opt(&opts)?,
        &log_opts,
    )
    .await
    .map_err(error::engine)?;
    iter::for_values(&lua, "ComposeLogs", Lines(stream))
}

fn service_arg(b: &Bound, function: &str, v: &Value) -> mlua::Result<String> {
    let s = args::string(function, "service", v)?;
    if !b.project.services().contains_key(&s) {
        return Err(invalid(
            function,
            format!("no service '{s}' in project {}", b.project.name),
        ));
    }
    Ok(s)
}

/// `p:run(service, command, opts)`: a one-off container of the service
/// (its dependencies brought up first unless `no_deps`), run as
/// `containers.run` runs one, with `opts` over the service's options.
async fn run(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<MultiValue> {
    const F: &str = "Project:run";
    let mut args = args.into_iter();
    let service = service_arg(&b, F, &args.next().unwrap_or(Value::Nil))?;
    let command = args.next().unwrap_or(Value::Nil);
    let user = match args.next().unwrap_or(Value::Nil) {
        Value::Nil => lua.create_table()?,
        Value::Table(t) => t,
        other => {
            return Err(invalid(
                F,
                format!(
                    "bad argument 'opts' (table expected, got {})",
                    args::type_name(&other)
                ),
            ))
        }
    };
    let no_deps: Option<bool> = user.get("no_deps")?;
    user.raw_set("no_deps", Value::Nil)?;
    let engine = b.handle.engine()?;
    let deps = b.project.services()[&service]
        .get("depends_on")
        .and_then(Json::as_object)
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    if !no_deps.unwrap_or(false) && !deps.is_empty() {
        let up = UpOptions {
            services: deps,
            ..UpOptions::default()
        };
        b.project.up(&engine, &up).await.map_err(error::engine)?;
    } else {
        b.project
            .prepare(&engine, &service)
            .await
            .map_err(error::engine)?;
    }
    let slug = format!(
        "{:012x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            & 0xffff_ffff_ffff
    );
    let o = b.project.container_options(&service, 1, Some(&slug));
    let opts = convert::to_lua(&lua, &Json::Object(o.options.clone()))?;
    let Value::Table(opts) = opts else {
        unreachable!("options are an object")
    };
    // The user's options over the service's; environments merged.
    for pair in user.pairs::<Value, Value>() {
        let (k, v) = pair?;
        if k.as_string().is_some_and(|s| s == "environment") {
            let mut env = o
                .options
                .get("environment")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            let more = convert::from_lua(&v).map_err(|e| invalid(F, e.0))?;
            match more {
                Json::Object(m) => env.extend(m.iter().map(|(k, v)| {
                    Json::String(format!(
                        "{k}={}",
                        v.as_str().map_or(v.to_string(), str::to_owned)
                    ))
                })),
                Json::Array(list) => env.extend(list),
                _ => {}
            }
            opts.raw_set("environment", convert::to_lua(&lua, &Json::Array(env))?)?;
        } else {
            opts.raw_set(k, v)?;
        }
    }
    let command = match command {
        Value::Nil => o
            .command
            .as_ref()
            .map(|c| convert::to_lua(&lua, c))
            .transpose()?
            .unwrap_or(Value::Nil),
        c => c,
    };
    let args = MultiValue::from_iter([
        Value::String(lua.create_string(&o.image)?),
        command,
        Value::Table(opts),
    ]);
    containers::run::run(lua, b.handle.clone(), args).await
}

/// `p:exec(service, command, opts)`: `Container:exec` in the service's
/// container number `opts.index` (default 1).
async fn exec(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<MultiValue> {
    const F: &str = "Project:exec";
    let mut args = args.into_iter();
    let service = service_arg(&b, F, &args.next().unwrap_or(Value::Nil))?;
    let command = args.next().unwrap_or(Value::Nil);
    let opts = args.next().unwrap_or(Value::Nil);
    let mut index = 1;
    if let Value::Table(t) = &opts {
        if let Some(i) = t.get::<Option<i64>>("index")? {
            index = i;
            t.raw_set("index", Value::Nil)?;
        }
    }
    let list = runner::containers(&b.handle.engine()?, &b.project.name, false, Some(false))
        .await
        .map_err(error::engine)?;
    let container = list
        .into_iter()
        .filter(|c| runner::service_of(c) == service)
        .nth(usize::try_from(index - 1).unwrap_or(usize::MAX))
        .ok_or_else(|| {
            error::engine(crate::engine::Error::new(
                crate::engine::ErrorKind::NotFound,
                format!("{F}: service {service} has no running container number {index}"),
            ))
        })?;
    let c = resource::object::<Container>(&lua, &b.handle, container)?;
    let Value::UserData(ud) = &c else {
        unreachable!("a container is userdata")
    };
    let method: Function = ud.get("exec")?;
    method.call_async((c.clone(), command, opts)).await
}

async fn act(lua: Lua, b: Bound, args: MultiValue, verb: Verb) -> mlua::Result<Value> {
    let function = match verb {
        Verb::Start => "Project:start",
        Verb::Stop => "Project:stop",
        Verb::Restart => "Project:restart",
        Verb::Kill => "Project:kill",
        Verb::Pause => "Project:pause",
        Verb::Unpause => "Project:unpause",
    };
    let opts = Opts::new(function, first(args), &["services", "timeout", "signal"])?;
    let names = b
        .project
        .act(
            &b.handle.engine()?,
            verb,
            &services_opt(&opts)?,
            opts.count("timeout")?,
            opts.string("signal")?.as_deref(),
        )
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &Json::from(names))
}

async fn pull(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<Value> {
    let opts = Opts::new("Project:pull", first(args), &["services"])?;
    let images = b
        .project
        .pull(&b.handle.engine()?, &services_opt(&opts)?)
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &Json::from(images))
}

async fn build(lua: Lua, b: Bound, args: MultiValue) -> mlua::Result<Value> {
    let opts = Opts::new("Project:build", first(args), &["services"])?;
    let images = b
        .project
        .build(&b.handle.engine()?, &services_opt(&opts)?)
        .await
        .map_err(error::engine)?;
    convert::to_lua(&lua, &Json::from(images))
}
