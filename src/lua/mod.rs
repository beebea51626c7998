//! The `docker` Lua module.
