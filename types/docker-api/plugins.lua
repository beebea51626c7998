---@meta
-- dockerlua LuaLS definitions: docker.plugins and Plugin (managed plugins).

---@class DockerClient
---@field plugins PluginCollection

---@class PluginCollection
local PluginCollection = {}
---Pulls `remote_name` from its registry and installs it (as `local_name`),
---granting every privilege it asks for; it comes disabled.
---@param remote_name string
---@param local_name string?
---@param opts {progress: fun(event: table)?}?
---@return Plugin
function PluginCollection.install(remote_name, local_name, opts) end
---Creates a plugin from a folder holding `config.json` and `rootfs/`; it comes disabled.
---`create{name =, plugin_data_dir =}` too.
---@param name string
---@param plugin_data_dir string
---@param opts {gzip: boolean?}?
---@return Plugin
function PluginCollection.create(name, plugin_data_dir, opts) end
---@param name string a name or an id
---@return Plugin
function PluginCollection.get(name) end
---@param opts {filters: table?}?
---@return Plugin[]
function PluginCollection.list(opts) end

---@class Plugin
---@field id string
---@field short_id string
---@field name string `localhost:5000/sshfs:latest`
---@field labels table always empty: plugins have none
---@field attrs table the engine's answer (`Config`, `PluginReference`...), the same for a listed and a fetched plugin
---@field enabled boolean
---@field settings {Env: string[], Args: string[], Mounts: table[], Devices: table[]}
local Plugin = {}
---`enable(30)` or `enable{timeout = 30}`: seconds the plugin has to come up. Reloads.
---@param opts (integer|{timeout: integer?})?
function Plugin:enable(opts) end
---`disable(true)` or `disable{force = true}` (force: even while in use). Reloads.
---@param opts (boolean|{force: boolean?})?
function Plugin:disable(opts) end
---Sets settings of a disabled plugin: `{DEBUG = "1"}` or `{"DEBUG=1", "mymount.source=/x"}`. Reloads.
---@param options table
function Plugin:configure(options) end
---Replaces a disabled plugin's files by `remote`'s (default: where it came from), its settings kept. Reloads.
---@param remote string?
---@param opts {progress: fun(event: table)?}?
function Plugin:upgrade(remote, opts) end
---Pushes the plugin to the registry its name names.
---@param opts {progress: fun(event: table)?}?
---@return true
function Plugin:push(opts) end
function Plugin:reload() end
---@param opts {force: boolean?}?
function Plugin:remove(opts) end
