//! Concurrency for scripts: `docker.sleep`, `docker.spawn` and
//! `docker.parallel`. One Lua state, many Lua threads: each task runs in its
//! own coroutine, and Rust drives their futures together, so engine calls of
//! different tasks overlap while Lua code itself runs one piece at a time.
//! `spawn` needs a host that runs tasks (see [`super::lifecycle`]); its
//! tasks are kept in the state's [`Registry`] only while they run.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use mlua::{Function, Lua, MultiValue, Table, UserData, UserDataMethods, Value};
use tokio::sync::Notify;

use super::args::{self, Opts};
use super::error::{invalid, DockerError, Raised};
use super::handle::{strip_self, Handle};
use super::{lazy, lifecycle};
use crate::engine::error::excerpt;

pub const DEFAULT_LIMIT: usize = 16;

/// Keeps Lua's own `pcall` for [`protected_thread`], taken before any
/// script could replace it.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    let pcall: Function = lua.globals().raw_get("pcall")?;
    lua.set_named_registry_value(PCALL_KEY, pcall)
}

/// Puts `sleep`, `spawn` and `parallel` on a client table.
pub fn register(lua: &Lua, _: &Handle, client: &Table) -> mlua::Result<()> {
    client.raw_set(
        "sleep",
        lazy::async_function(lua, |_, args: MultiValue| async move {
            let args = strip_self(args, "DockerClient");
            let nil = Value::Nil;
            let seconds =
                args::seconds("sleep", "argument 'seconds'", args.front().unwrap_or(&nil))?;
            tokio::time::sleep(seconds).await;
            Ok(())
        })?,
    )?;
    client.raw_set(
        "spawn",
        lua.create_function(|lua, args: MultiValue| {
            let mut args = strip_self(args, "DockerClient");
            let function = match args.pop_front() {
                Some(Value::Function(f)) => f,
                other => {
                    return Err(invalid(
                        "spawn",
                        format!(
                            "bad argument 'fn' (function expected, got {})",
                            other.as_ref().map_or("nil", args::type_name)
                        ),
                    ))
                }
            };
            let mut call = MultiValue::from_iter([Value::Function(function)]);
            call.extend(args);
            let Some(spawner) = lifecycle::spawner(lua) else {
                return Err(invalid(
                    "spawn",
                    "tasks need a host that runs them (see lifecycle::set_spawner)",
                ));
            };
            let registry = lifecycle::tasks(lua);
            let thread = protected_thread(lua, call)?;
            Ok(Task(registry.spawn(&spawner, thread)))
        })?,
    )?;
    client.raw_set(
        "parallel",
        lazy::async_function(lua, |lua, args: MultiValue| async move {
            let mut args = strip_self(args, "DockerClient").into_iter();
            let items = match args.next() {
                Some(Value::Table(t)) => t,
                other => {
                    return Err(invalid(
                        "parallel",
                        format!(
                            "bad argument 'items' (table expected, got {})",
                            other.as_ref().map_or("nil", args::type_name)
                        ),
                    ))
                }
            };
            let function = match args.next() {
                Some(Value::Function(f)) => f,
                other => {
                    return Err(invalid(
                        "parallel",
                        format!(
                            "bad argument 'fn' (function expected, got {})",
                            other.as_ref().map_or("nil", args::type_name)
                        ),
                    ))
                }
            };
            let opts = Opts::new("parallel", args.next().unwrap_or(Value::Nil), &["limit"])?;
            let limit = match opts.integer("limit")? {
                None => DEFAULT_LIMIT,
                Some(n) if n >= 1 => n as usize,
                Some(n) => {
                    return Err(invalid(
                        "parallel",
                        format!("bad option 'limit' (at least 1, got {n})"),
                    ))
                }
            };
            parallel(&lua, items, function, limit).await
        })?,
    )?;
    Ok(())
}

/// Calls `function(item)` for every item, `limit` at a time; the results in
/// item order, or after all have finished one error listing each failure.
async fn parallel(
    lua: &Lua,
    items: Table,
    function: Function,
    limit: usize,
) -> mlua::Result<Table> {
    let items: Vec<Value> = items
        .sequence_values::<Value>()
        .collect::<mlua::Result<_>>()?;
    let mut calls = Vec::with_capacity(items.len());
    for item in items {
        let call = MultiValue::from_iter([Value::Function(function.clone()), item]);
        calls.push(protected_thread(lua, call)?);
    }
    // `buffered` keeps the order and runs at most `limit` at once.
    let results: Vec<mlua::Result<MultiValue>> =
        stream::iter(calls).buffered(limit).collect().await;
    let total = results.len();
    let out = lua.create_table_with_capacity(total, 0)?;
    let mut errors = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(values) => out.raw_set(i + 1, values.into_iter().next().unwrap_or(Value::Nil))?,
            Err(e) => errors.push((i + 1, e)),
        }
    }
    if errors.is_empty() {
        return Ok(out);
    }
    // The first few failures; `err.errors` has them all.
    const SHOWN: usize = 3;
    let failed = errors.len();
    let mut summary: Vec<String> = errors
        .iter()
        .take(SHOWN)
        .map(|(i, e)| format!("#{i}: {}", excerpt(&super::error::one_line(e), 200)))
        .collect();
    if errors.len() > SHOWN {
        summary.push(format!("and {} more (in err.errors)", errors.len() - SHOWN));
    }
    Err(DockerError {
        errors,
        ..DockerError::new(
            "ParallelError",
            format!(
                "{} of {} calls failed: {}",
                failed,
                total,
                summary.join("; ")
            ),
        )
    }
    .into())
}

/// Runs `f(args...)` (the first value of `call`, then the rest) in a new Lua
/// thread under `pcall`, so that an error comes back as the value the
/// function raised: a docker error object stays itself, a string stays that
/// string (mlua would otherwise add "runtime error:" and a traceback).
pub(crate) fn protected_thread(
    lua: &Lua,
    call: MultiValue,
) -> mlua::Result<impl std::future::Future<Output = mlua::Result<MultiValue>>> {
    let pcall: Function = lua.named_registry_value(PCALL_KEY)?;
    // `call_async`, not a thread of our own: dropped unfinished, it ends the
    // Rust futures waiting inside (a run's guard cleans up then), instead of
    // leaving them to the garbage collector.
    let future = pcall.call_async::<MultiValue>(call);
    let lua = lua.clone();
    Ok(async move {
        let mut values = future.await?;
        match values.pop_front() {
            Some(Value::Boolean(true)) => Ok(values),
            _ => Err(match values.pop_front().unwrap_or(Value::Nil) {
                Value::Error(e) => *e,
                other => {
                    // `tostring` honours an error object's `__tostring`.
                    let tostring: Function = lua.globals().get("tostring")?;
                    let text: String = tostring.call(&other).unwrap_or_default();
                    let value = std::sync::Arc::new(lua.create_registry_value(other)?);
                    mlua::Error::external(Raised { text, value })
                }
            }),
        }
    })
}

/// Where the original `pcall` is kept (scripts may replace the global).
const PCALL_KEY: &str = "dockerlua.pcall";

/// What a spawned task and its `Task` handles share.
struct Shared {
    /// Its key in the registry; the task it runs as.
    key: u64,
    /// Set once the function has returned or raised.
    result: RefCell<Option<mlua::Result<MultiValue>>>,
    finished: Notify,
    /// A failure someone joined is theirs; one nobody joined is reported at exit.
    joined: Cell<bool>,
}

impl Shared {
    async fn wait(&self) -> mlua::Result<MultiValue> {
        loop {
            // Registered before the check, so a finish in between is not missed.
            let finished = self.finished.notified();
            if let Some(result) = self.result.borrow().as_ref() {
                return result.clone();
            }
            finished.await;
        }
    }
}

/// A task in the registry: what its handles share, and its tokio task.
type Running = (Rc<Shared>, tokio::task::JoinHandle<()>);

tokio::task_local! {
    /// The key of the spawned task being polled, so `join` sees a self-join.
    static CURRENT: u64;
}

/// The spawned tasks of one Lua state. A task leaves it when it finishes:
/// its result then lives only as long as its `Task` handles, so many short
/// tasks keep no memory. A failure stays until someone joins it or the
/// program ends and reports it.
#[derive(Default)]
pub struct Registry {
    next: Cell<u64>,
    running: RefCell<HashMap<u64, Running>>,
    failed: RefCell<Vec<Rc<Shared>>>,
}

impl Registry {
    fn spawn(
        self: Rc<Self>,
        spawner: &lifecycle::Spawner,
        thread: impl std::future::Future<Output = mlua::Result<MultiValue>> + 'static,
    ) -> Rc<Shared> {
        let key = self.next.get();
        self.next.set(key + 1);
        let shared = Rc::new(Shared {
            key,
            result: RefCell::new(None),
            finished: Notify::new(),
            joined: Cell::new(false),
        });
        let done = shared.clone();
        let registry = self.clone();
        let run = async move {
            let result = CURRENT.scope(key, thread).await;
            let failed = result.is_err();
            *done.result.borrow_mut() = Some(result);
            done.finished.notify_waiters();
            registry.running.borrow_mut().remove(&key);
            if failed {
                let mut list = registry.failed.borrow_mut();
                // Joined failures are dropped now and then, not one by one.
                if list.len() >= 64 && list.len().is_power_of_two() {
                    list.retain(|t| !t.joined.get());
                }
                list.push(done);
            }
        };
        let handle = spawner(Box::pin(run));
        self.running
            .borrow_mut()
            .insert(key, (shared.clone(), handle));
        shared
    }

    /// How many tasks are running.
    pub fn running(&self) -> usize {
        self.running.borrow().len()
    }

    /// Waits for every task, also those spawned meanwhile, and answers the
    /// failures nobody joined.
    pub async fn wait_all(&self) -> Vec<mlua::Error> {
        loop {
            let tasks: Vec<Rc<Shared>> = self
                .running
                .borrow()
                .values()
                .map(|(t, _)| t.clone())
                .collect();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                let _ = task.wait().await;
            }
        }
        let failed = std::mem::take(&mut *self.failed.borrow_mut());
        failed
            .into_iter()
            .filter(|t| !t.joined.get())
            .filter_map(|t| t.result.borrow().clone().and_then(Result::err))
            .collect()
    }

    /// Stops every running task: its future is dropped, so a run it was in
    /// is cancelled (and cleaned up) like a line interrupted at the prompt.
    pub async fn abort_all(&self) {
        let handles: Vec<_> = self
            .running
            .borrow_mut()
            .drain()
            .map(|(_, (_, handle))| handle)
            .collect();
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            let _ = handle.await;
        }
    }
}

/// A spawned function; `task:join()` waits for its results (any number of
/// times, from any number of tasks).
struct Task(Rc<Shared>);

impl UserData for Task {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__tostring", |_, this, ()| {
            Ok(match this.0.result.borrow().as_ref() {
                None => "<Task running>",
                Some(Ok(_)) => "<Task finished>",
                Some(Err(_)) => "<Task failed>",
            })
        });
        methods.add_async_method("join", |_, this, ()| async move {
            if CURRENT.try_with(|k| *k == this.0.key).unwrap_or(false) {
                return Err(invalid(
                    "Task:join",
                    "a task cannot join itself (it would wait forever)",
                ));
            }
            this.0.joined.set(true);
            this.0.wait().await
        });
    }
}
