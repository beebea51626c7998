//! `warn()` as the stock `lua` handles it: off until `warn("@on")` (or `-W`),
//! then `Lua warning: ...` lines on stderr; `@off` turns it off again.

use std::cell::Cell;
use std::io::Write;

use mlua::Lua;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Off,
    On,
    /// Inside a message given in pieces (`warn("a", "b")`).
    Continued,
}

/// Installs the warning function, off as in `lua` (`-W` sends `@on`).
pub fn install(lua: &Lua) {
    let state = Cell::new(State::Off);
    lua.set_warning_function(move |_, msg, incomplete| {
        let current = state.get();
        if current != State::Continued && !incomplete {
            match msg {
                "@on" => state.set(State::On),
                "@off" => state.set(State::Off),
                _ => {}
            }
            // Any `@...` is a control message, known or not.
            if msg.starts_with('@') {
                return Ok(());
            }
        }
        if current == State::Off {
            return Ok(());
        }
        let mut err = std::io::stderr().lock();
        if current == State::On {
            let _ = err.write_all(b"Lua warning: ");
        }
        let _ = err.write_all(msg.as_bytes());
        if incomplete {
            state.set(State::Continued);
        } else {
            let _ = err.write_all(b"\n");
            state.set(State::On);
        }
        Ok(())
    });
}
