---@meta
-- dockerlua LuaLS definitions: docker.networks and Network, docker.volumes and
-- Volume.

---@class (exact) NetworkCreateOptions
---@field driver string?
---@field options table<string, string>?
---@field ipam {driver: string?, options: table?, config: {subnet: string?, gateway: string?, iprange: string?, aux_addresses: table?}[]?}?
---@field internal boolean?
---@field attachable boolean?
---@field ingress boolean?
---@field enable_ipv6 boolean?
---@field labels table<string, string>?
---@field scope string?
---@field check_duplicate boolean? default true

---@class NetworkCollection
local NetworkCollection = {}
---@param name string
---@param opts NetworkCreateOptions?
---@return Network
function NetworkCollection.create(name, opts) end
---@param id_or_name string
---@return Network
function NetworkCollection.get(id_or_name) end
---One request: `containers` is empty until a `reload`; `greedy = true` inspects each network (fills `containers`).
---@param opts {names: string[]?, ids: string[]?, filters: table?, greedy: boolean?}?
---@return Network[]
function NetworkCollection.list(opts) end
---@param opts {filters: table?}?
---@return {NetworksDeleted: string[]?}
function NetworkCollection.prune(opts) end

---@class Network
---@field id string
---@field short_id string
---@field name string
---@field labels table<string, string>
---@field attrs table
---@field containers Container[] attached, as of the last inspect (each with id and name; reload one for the rest)
local Network = {}
---@param container string|Container
---@param opts {aliases: string[]?, links: table?, ipv4_address: string?, ipv6_address: string?, link_local_ips: string[]?, driver_opt: table?, mac_address: string?}|table? or the engine's EndpointSettings spelling (Aliases, IPAMConfig, DriverOpts...)
function Network:connect(container, opts) end
---@param container string|Container
---@param opts {force: boolean?}?
function Network:disconnect(container, opts) end
function Network:reload() end
function Network:remove() end

---@class VolumeCollection
local VolumeCollection = {}
---`create(name?, opts?)` or `create{name =, ...}`; without a name the engine picks one.
---@param name (string|{name: string?, driver: string?, driver_opts: table?, labels: table?})?
---@param opts {driver: string?, driver_opts: table<string, string>?, labels: table<string, string>?}?
---@return Volume
function VolumeCollection.create(name, opts) end
---@param name string
---@return Volume
function VolumeCollection.get(name) end
---@param opts {filters: table?}?
---@return Volume[]
function VolumeCollection.list(opts) end
---@param opts {filters: table?}?
---@return {VolumesDeleted: string[]?, SpaceReclaimed: integer}
function VolumeCollection.prune(opts) end

---@class Volume
---@field id string the name
---@field short_id string the name's first 12 characters
---@field name string
---@field labels table<string, string>
---@field attrs table
local Volume = {}
function Volume:reload() end
---@param opts {force: boolean?}?
function Volume:remove(opts) end
