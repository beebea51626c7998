//! `docker.configs` and the `Config` object: like secrets, but their data
//! is not secret (the engine shows it in `attrs.Spec.Data`, base64).

use mlua::{Lua, Table};

use super::handle::{bound, Handle};
use super::resource::{self, Model};
use super::secrets::create_with_data;
use crate::engine::resource::{Kind, CONFIGS};

/// Puts `docker.configs` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Config>(lua, handle, client)
}

/// The `Config` kind on the shared resource model.
pub struct Config;

impl Model for Config {
    const NAME: &'static str = "Config";
    const COLLECTION: &'static str = "ConfigCollection";
    const KIND: &'static Kind = &CONFIGS;
    const MEMBERS: &'static [&'static str] = &[];

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set(
            "create",
            bound(lua, handle, Self::COLLECTION, create_with_data::<Self>)?,
        )
    }
}
