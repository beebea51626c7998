---@meta
-- dockerlua LuaLS definitions: docker.swarm, docker.services, docker.nodes,
-- docker.secrets and docker.configs (swarm mode).

---This engine's part in a swarm. `attrs` is the swarm inspect (managers
---only): read before any `reload`, it is fetched; `init`, `update` and
---`reload` refresh it.
---@class Swarm
---@field attrs table `ID`, `Version`, `Spec`, `JoinTokens = {Worker =, Manager =}`...
---@field id string the swarm's ID (from `attrs`)
---@field version integer the swarm's object version, `attrs.Version.Index`
local Swarm = {}

---Makes this engine the first manager of a new swarm.
---@param opts {advertise_addr: string?, listen_addr: string?, force_new_cluster: boolean?, default_addr_pool: string[]?, subnet_size: integer?, data_path_addr: string?, data_path_port: integer?, name: string?, labels: table<string, string>?, task_history_retention_limit: integer?, snapshot_interval: integer?, keep_old_snapshots: integer?, log_entries_for_slow_followers: integer?, heartbeat_tick: integer?, election_tick: integer?, dispatcher_heartbeat_period: (number|string)?, node_cert_expiry: (number|string)?, external_cas: table[]?, signing_ca_cert: string?, signing_ca_key: string?, ca_force_rotate: integer?, autolock_managers: boolean?, log_driver: {name: string, options: table?}?}?
---@return string node_id
function Swarm.init(opts) end
---@param opts {remote_addrs: string[], join_token: string, listen_addr: string?, advertise_addr: string?, data_path_addr: string?}
---@return true
function Swarm.join(opts) end
---@param opts {force: boolean?}?
---@return true
function Swarm.leave(opts) end
---Inspects the swarm again; returns the new `attrs`.
---@return table
function Swarm.reload() end
---Changes the swarm's spec (the init options from `name` on) and rotates tokens.
---@param opts {rotate_worker_token: boolean?, rotate_manager_token: boolean?, rotate_manager_unlock_key: boolean?, task_history_retention_limit: integer?, autolock_managers: boolean?, name: string?, labels: table<string, string>?}?
---@return true
function Swarm.update(opts) end
---@param key string
---@return true
function Swarm.unlock(key) end
---@return {UnlockKey: string}
function Swarm.unlock_key() end

---Options of `services.create` (and `Service:update`), named as the Python
---SDK's. Durations are seconds or Go-style text ("1m30s"); sizes bytes or
---text ("64m").
---@class (exact) ServiceOptions
---@field name string?
---@field replicas integer? replicated mode with n tasks (default 1); a replicated job's completions
---@field mode "replicated"|"global"|"replicated-job"|"global-job"|table? table: {replicated_job = {max_concurrent =, total_completions =}}, or the engine's {Global = {}}, {Replicated = {Replicas = n}}
---@field args string[]?
---@field env table<string, string>|string[]?
---@field labels table<string, string>? the service's
---@field container_labels table<string, string>? the tasks' containers'
---@field mounts (string|{type: string?, source: string?, target: string, read_only: boolean?}|table)[]? as a container's mounts (the engine's spelling too)
---@field networks (string|{target: string, aliases: string[]?, driver_opts: table?}|{Target: string, Aliases: string[]?, DriverOpts: table?})[]?
---@field constraints string[]? "node.role==worker"...
---@field preferences (string|{spread: string})[]?
---@field maxreplicas integer? per node
---@field max_replicas integer? the same as maxreplicas
---@field platforms (string|{os: string, architecture: string})[]?
---@field resources {cpu_limit: integer?, mem_limit: (integer|string)?, cpu_reservation: integer?, mem_reservation: (integer|string)?}|{Limits: table?, Reservations: table?}? CPUs in units of 1e-9
---@field restart_policy {condition: "none"|"on-failure"|"any"?, delay: (number|string)?, max_attempts: integer?, window: (number|string)?}? durations in nanoseconds or "1s"; the engine's Condition, Delay... too
---@field update_config {parallelism: integer?, delay: (number|string)?, failure_action: "pause"|"continue"|"rollback"?, monitor: (number|string)?, max_failure_ratio: number?, order: "stop-first"|"start-first"?}? durations in nanoseconds or "1s"
---@field rollback_config table? as update_config
---@field endpoint_spec {mode: "vip"|"dnsrr"?, ports: table?}|{Mode: string?, Ports: table[]?}?
---@field ports table<integer, integer|string|table>|(string|table)[]? {[published] = target}, or `docker service create -p` specs ("8080:80", "8080:80/udp", "published=8080,target=80,mode=host")
---@field secrets (string|Secret|{secret_id: string?, secret_name: string?, filename: string?, uid: string?, gid: string?, mode: integer?})[]?
---@field configs (string|Config|{config_id: string?, config_name: string?, filename: string?, uid: string?, gid: string?, mode: integer?})[]?
---@field user (string|integer)?
---@field workdir string?
---@field hostname string?
---@field healthcheck {test: string|string[], interval: (number|string)?, timeout: (number|string)?, retries: integer?, start_period: (number|string)?, start_interval: (number|string)?}? durations in nanoseconds or "1s", as a container's
---@field init boolean?
---@field tty boolean?
---@field read_only boolean?
---@field stop_grace_period (number|string)? nanoseconds or "10s"
---@field stop_signal string?
---@field log_driver string?
---@field log_driver_options table<string, string>?
---@field groups string[]?
---@field hosts table<string, string>|string[]?
---@field cap_add string[]?
---@field cap_drop string[]?
---@field sysctls table<string, string>?

---@class (exact) ServiceUpdateOptions: ServiceOptions
---@field image string?
---@field command (string|string[])?
---@field force_update (boolean|integer)? true restarts every task

---@class ServiceCollection
local ServiceCollection = {}

---@param image string
---@param command (string|string[])?
---@param opts ServiceOptions?
---@return Service
---@overload fun(image: string, opts: ServiceOptions): Service
function ServiceCollection.create(image, command, opts) end
---@param id_or_name string
---@return Service
function ServiceCollection.get(id_or_name) end
---@param opts {filters: table?, status: boolean?}?
---@return Service[]
function ServiceCollection.list(opts) end

---@class Service
---@field id string
---@field short_id string
---@field name string
---@field version integer the spec's version (`attrs.Version.Index`)
---@field labels table<string, string>
---@field attrs table
local Service = {}

---The service's tasks as the engine's tables (current and past).
---@param opts {filters: table?}?
---@return table[]
function Service:tasks(opts) end
---@param replicas integer
---@return true
function Service:scale(replicas) end
---Changes what is named, keeps the rest.
---@param opts ServiceUpdateOptions
---@return true
function Service:update(opts) end
---@return true
function Service:force_update() end
---Back to the spec before the last update (as `docker service rollback`).
---@return true
function Service:rollback() end
---Every task's output, as for a container (no `until`).
---@param opts LogsOptions?
---@return string
---@overload fun(opts: LogsFollowOptions): LogStream
---@overload fun(opts: LogsStreamOptions): LogStream
function Service:logs(opts) end
---Returns once every replica runs the current spec on a usable node and no
---update or stop is under way; `Timeout` names the tasks that are not and
---why; an update the engine paused raises `APIError` at once. `stable`:
---seconds it must then stay converged with the same tasks.
---@param opts {timeout: number?, stable: number?}?
---@return true
function Service:wait(opts) end
function Service:reload() end
function Service:remove() end

---@class NodeCollection
local NodeCollection = {}

---@param id string
---@return Node
function NodeCollection.get(id) end
---@param opts {filters: table?}?
---@return Node[]
function NodeCollection.list(opts) end

---@class Node
---@field id string
---@field short_id string
---@field version integer
---@field hostname string?
---@field role "worker"|"manager"
---@field availability "active"|"pause"|"drain"
---@field state string "ready", "down"...
---@field labels table<string, string>
---@field attrs table
local Node = {}

---@param opts {availability: "active"|"pause"|"drain"?, role: "worker"|"manager"?, labels: table<string, string>?, name: string?}|{Availability: string?, Role: string?, Labels: table<string, string>?, Name: string?} the SDK's NodeSpec spelling too
---@return true
function Node:update(opts) end
function Node:reload() end
---@param opts {force: boolean?}?
function Node:remove(opts) end

---@class SecretCollection
local SecretCollection = {}

---The data goes to the engine and is never shown again.
---@param opts {name: string, data: string, labels: table<string, string>?, driver: string?, templating: string?}
---@return Secret
function SecretCollection.create(opts) end
---@param id_or_name string
---@return Secret
function SecretCollection.get(id_or_name) end
---@param opts {filters: table?}?
---@return Secret[]
function SecretCollection.list(opts) end

---@class Secret
---@field id string
---@field short_id string
---@field name string
---@field labels table<string, string>
---@field attrs table
local Secret = {}

function Secret:reload() end
function Secret:remove() end

---@class ConfigCollection
local ConfigCollection = {}

---@param opts {name: string, data: string, labels: table<string, string>?, templating: string?}
---@return Config
function ConfigCollection.create(opts) end
---@param id_or_name string
---@return Config
function ConfigCollection.get(id_or_name) end
---@param opts {filters: table?}?
---@return Config[]
function ConfigCollection.list(opts) end

---@class Config
---@field id string
---@field short_id string
---@field name string
---@field labels table<string, string>
---@field attrs table `Spec.Data` holds the data, base64
local Config = {}

function Config:reload() end
function Config:remove() end
