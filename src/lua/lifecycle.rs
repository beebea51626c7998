//! One lifecycle per Lua state, kept in its app data: the tasks
//! `docker.spawn` started ([`tasks::Registry`]), the runs under way and the
//! clean-ups of cancelled ones ([`Cleanups`]), and how a program using the
//! state ends ([`wait`] for a normal end, [`cancel`] for an error or a
//! signal). The CLI and the REPL end through the same calls.

use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use mlua::Lua;
use tokio::task::JoinHandle;

use super::tasks::Registry;
use crate::engine::run::{Cleanups, Leftover};

/// Starts a task on the host's executor (e.g. `tokio::task::spawn_local`
/// inside a `LocalSet`).
pub type Spawner = Rc<dyn Fn(LocalBoxFuture<'static, ()>) -> JoinHandle<()>>;

/// How a program using a state ends, for the front end to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The code ran to its end (or the prompt was left with Ctrl-D).
    Done,
    /// It failed; the exit status.
    Failed(i32),
    /// A signal ended it (SIGINT, SIGTERM, SIGHUP, or SIGPIPE from `print`).
    Signal(i32),
}

#[derive(Clone, Default)]
struct Lifecycle {
    tasks: Rc<Registry>,
    cleanups: Cleanups,
    /// `None` until the host says how tasks run: `spawn` refuses then.
    spawner: Option<Spawner>,
}

/// Gives `lua` its lifecycle (done by [`super::new_state`]).
pub fn install(lua: &Lua) {
    lua.set_app_data(Lifecycle::default());
}

fn get(lua: &Lua) -> Lifecycle {
    lua.app_data_ref::<Lifecycle>()
        .map(|l| l.clone())
        .unwrap_or_default()
}

/// The host runs `docker.spawn`'s tasks with `spawner`.
pub fn set_spawner(lua: &Lua, spawner: Spawner) {
    if let Some(mut l) = lua.app_data_mut::<Lifecycle>() {
        l.spawner = Some(spawner);
    }
}

pub(crate) fn spawner(lua: &Lua) -> Option<Spawner> {
    get(lua).spawner
}

pub(crate) fn tasks(lua: &Lua) -> Rc<Registry> {
    get(lua).tasks
}

/// The runs of this state, for `containers.run` to register in.
pub fn cleanups(lua: &Lua) -> Cleanups {
    get(lua).cleanups
}

/// A normal end: waits for the spawned tasks (a program ends when its tasks
/// have, as work is not left half done) and the clean-ups started so far;
/// answers the task failures nobody joined.
pub async fn wait(lua: &Lua) -> Vec<mlua::Error> {
    let l = get(lua);
    let failures = l.tasks.wait_all().await;
    report(l.cleanups.finish().await);
    failures
}

/// Says on stderr which containers clean-ups left behind.
fn report(left: Vec<Leftover>) {
    for leftover in left {
        eprintln!("dockerlua: left behind: {leftover}");
    }
}

/// The containers that ending now (a second signal during the clean-up)
/// leaves behind: runs under way, clean-ups not finished.
pub fn unfinished(lua: &Lua) -> Vec<String> {
    get(lua).cleanups.unfinished()
}

/// An end by error or signal: stops the spawned tasks, kills (or removes)
/// the containers of every run still under way, and waits a bounded time
/// for those clean-ups.
pub async fn cancel(lua: &Lua) {
    let l = get(lua);
    l.tasks.abort_all().await;
    l.cleanups.cancel_all();
    report(l.cleanups.finish().await);
}

/// Waits for the clean-ups started so far (after a line interrupted at the
/// prompt, say).
pub async fn settle(lua: &Lua) {
    report(get(lua).cleanups.finish().await);
}
