//! The `dockerlua` command line.
//!
//! TEMPORARY (repl branch): a stand-in that only opens the REPL, with a
//! `docker` table holding just `docker.sleep`, so the prompt can be tried and
//! tested before the real command line and `docker` module land. Replace this
//! whole file on merge; the REPL needs only `crate::repl::run`.

use std::time::Duration;

use crate::repl::{self, ReplOptions};

pub fn main() -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dockerlua: cannot start: {e}");
            return 1;
        }
    };
    let lua = mlua::Lua::new();
    if let Err(e) = install_stand_in_docker(&lua) {
        eprintln!("dockerlua: {e}");
        return 1;
    }
    let opts = ReplOptions {
        banner: format!("dockerlua {} (stand-in cli)", env!("CARGO_PKG_VERSION")),
        history_path: None,
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, repl::run(&lua, opts))
}

fn install_stand_in_docker(lua: &mlua::Lua) -> mlua::Result<()> {
    let docker = lua.create_table()?;
    let sleep = lua.create_async_function(|_, seconds: f64| async move {
        let d = Duration::try_from_secs_f64(seconds)
            .map_err(|_| mlua::Error::runtime("sleep: bad duration"))?;
        tokio::time::sleep(d).await;
        Ok(())
    })?;
    docker.set("sleep", sleep)?;
    lua.globals().set("docker", docker)
}
