---@meta docker
-- dockerlua LuaLS definitions: the `docker` module (the global, and
-- `require("docker")`); its objects are in docker-api/, the stdlib modules
-- in docker/. Add this folder to `workspace.library` in .luarc.json.

---@class DockerJson
local DockerJson = {}

---Encodes a Lua value as JSON text (an empty table is `{}`; see `array`).
---@param value any
---@return string
function DockerJson.encode(value) end

---Decodes JSON text; `null` becomes nil, arrays become sequences.
---@param text string
---@return any
function DockerJson.decode(text) end

---Marks a table as a JSON array, so that it encodes as `[]` when empty.
---@param t table?
---@return table
function DockerJson.array(t) end

---@class DockerNet
local DockerNet = {}

---Opens a TCP connection to host:port and closes it at once.
---@param host string
---@param port integer
---@param timeout number? seconds (default 2)
---@return boolean ok
---@return string? why when not ok
function DockerNet.probe(host, port, timeout) end

---@class DockerClient
---@field mode "normal"|"dry-run"|"read-only" what the command line (--dry-run, --read-only) lets this client do: a dry run should write no local file either
---@field containers ContainerCollection
---@field images ImageCollection
---@field networks NetworkCollection
---@field volumes VolumeCollection
---@field swarm Swarm
---@field services ServiceCollection
---@field nodes NodeCollection
---@field secrets SecretCollection
---@field configs ConfigCollection
---@field json DockerJson
---@field compose DockerCompose
---@field yaml DockerYaml
---@field net DockerNet
local DockerClient = {}

---@return true
function DockerClient.ping() end

---@return table the engine's /version answer
function DockerClient.version() end

---@return table the engine's /info answer
function DockerClient.info() end

---Disk usage, as `docker system df` sees it.
---@return {LayersSize: integer, Images: table[], Containers: table[], Volumes: table[], BuildCache: table[]?} the engine's /system/df answer
function DockerClient.df() end

---@class (exact) ApiOptions
---@field method string? "GET" (default), "POST", "PUT", "DELETE", "HEAD"
---@field path string the endpoint without the version: "/containers/json"
---@field query table<string, string|number|boolean|table>? booleans as 1/0, tables (filters) as JSON
---@field body (table|string)? a table is sent as JSON; a string as it is
---@field content_type string? of a string body (default application/json)
---@field stream boolean? a stream of JSON values, or of `line, stream` for container output and text
---@field tty boolean? with stream: the output is a TTY's (raw), not framed

---A raw request on this client's connection and API version: the decoded
---JSON answer (a string for other answers, nil for none); with `stream`, an
---ApiStream. Error statuses raise as any call does.
---@param opts ApiOptions
---@return any
---@overload fun(opts: ApiOptions): ApiStream
function DockerClient.api(opts) end

---Checks the credentials with the engine (which asks the registry) and keeps
---them for this client's later pulls, pushes and builds of that registry.
---@param opts {username: string, password: string, registry: string?} registry: default Docker Hub
---@return table the engine's answer (`Status`, maybe `IdentityToken`)
function DockerClient.login(opts) end

---@class (exact) EventsOptions
---@field filters table<string, string|string[]>?
---@field since string|number? Unix seconds, RFC 3339 time, date or duration before now ("10m")
---@field until string|number? the same (a Lua keyword: `["until"] = ...`)
---@field decode boolean? accepted for the Python SDK's sake: events are always tables
---@field reconnect boolean? come back after a drop (engine restart, cut or stalled connection) where it left off, instead of raising ConnectionError
---@field stall number? seconds without an event after which `/_ping` checks the engine; no answer counts as a drop (default 30)
---@field buffer integer? events read ahead of a slow loop; past it they are dropped and told by an `overflow` event (default 4096)

---Engine events, as they happen: `for event in docker.events{...} do`.
---Without `until` the stream never ends by itself: `break` or close it.
---(`until` is a Lua keyword: write `["until"] = ...`.) Our own notices have
---`Type = "dockerlua"`: `Action = "reconnect"` with `gap` (seconds away),
---`Action = "overflow"` with `dropped` (events lost to a slow loop).
---@param opts EventsOptions?
---@return EventStream
function DockerClient.events(opts) end

---@class WatchOptions
---@field filters table<string, string|string[]>? of the list (`label` also narrows the events)
---@field all boolean? stopped containers too
---@field debounce number? seconds of quiet after an event before `fn` is called (default 0.5)
---@field resync number? call `fn` at least this often (seconds)
---@field stop_on_error boolean? an error in `fn` ends the watch (raised) instead of being reported
---@field reconnect boolean? default true
---@field stall number? as for `events`
---@field buffer integer? as for `events`

---@class WatchReason
---@field reason "start"|"events"|"reconnect"|"resync"|"overflow"
---@field count integer? with "events": how many since the last call
---@field gap number? with "reconnect": seconds away
---@field dropped integer? with "overflow"

---List, then watch: `fn(containers, why)` at start, after container events
---(debounced), after a reconnect and every `resync` seconds, until it
---returns `false`. Errors in `fn` are reported on stderr and the loop goes on.
---@param opts WatchOptions?
---@param fn fun(containers: Container[], why: WatchReason): boolean?
function DockerClient.watch(opts, fn) end

---PEM files for a TLS engine (paths). Without `ca`, the system's roots are
---trusted; `cert` and `key` go together (the client certificate).
---@class (exact) TlsOptions
---@field ca string? the CA that signed the engine's certificate
---@field cert string? the client certificate
---@field key string? the client certificate's key

---@class (exact) ConnectOptions
---@field version string? the API version to use ("1.43"); negotiated when nil
---@field tls TlsOptions? speak TLS to a `tcp://` engine (`https://` always does)
---@field timeout number? client timeout in seconds for ordinary calls (0: none); default DOCKERLUA_TIMEOUT or 60

---A client for another engine (`unix://`, `tcp://`, `http://`, `https://`,
---`ssh://[user@]host[:port]` through the system's ssh).
---Raises InvalidArgument at once for a bad address or TLS file; nothing is
---sent before the first call. `--dry-run`/`--read-only` apply to it too.
---@param url string
---@param opts ConnectOptions?
---@return DockerClient
function DockerClient.connect(url, opts) end

---A new client from the environment, resolved as the docker CLI does:
---DOCKER_HOST (with DOCKER_TLS_VERIFY/DOCKER_TLS/DOCKER_CERT_PATH), then
---DOCKER_CONTEXT, config.json's currentContext, the default socket.
---@return DockerClient
function DockerClient.from_env() end

---A context, as `docker context ls` shows it.
---@class DockerContext
---@field name string
---@field host string the docker endpoint (`default`: -H, DOCKER_HOST or the default socket), a password in it masked
---@field current boolean whether the default client uses it
---@field description string

---Every context: `default` first, then the others by name.
---@return DockerContext[]
function DockerClient.contexts() end

---A client for the context `name` (or an entry of `contexts()`). An unknown
---name raises InvalidArgument naming it.
---@param name string|DockerContext
---@return DockerClient
function DockerClient.context(name) end

---Waits without blocking other tasks.
---@param seconds number
function DockerClient.sleep(seconds) end

---Starts fn concurrently; `task:join()` waits for its results.
---@param fn function
---@param ... any arguments for fn
---@return Task
function DockerClient.spawn(fn, ...) end

---Calls fn(item) for every item, at most `limit` (16) at a time; results in
---item order (fn's first result; nil leaves a hole). Raises a ParallelError
---after all finished if any failed (err.errors by index).
---@generic T, R
---@param items T[]
---@param fn fun(item: T): R
---@param opts {limit: integer?}?
---@return R[]
function DockerClient.parallel(items, fn, opts) end

---Monotonic seconds since the client was made (for timeouts).
---@return number
function DockerClient.clock() end

---Whether a standard stream is a terminal (e.g. to decide on colour).
---@param file file*|"stdin"|"stdout"|"stderr"|0|1|2 io.stdin, io.stdout or io.stderr
---@return boolean
function DockerClient.isatty(file) end

---A function started by `docker.spawn`; `tostring(task)` is `<Task running>`,
---`<Task finished>` or `<Task failed>`. A script ends when its tasks have;
---a failed task nobody joined is reported and makes the exit status 1.
---@class Task
local Task = {}

---Waits for the task; returns its results or raises its error (a docker
---error as raised; any other value as an error object reading the
---original's fields, a string as a LuaError whose message is the string).
---Joining again, or from several tasks at once, returns the same.
---@return any ...
function Task:join() end

---The default client (also `require("docker")`).
---@type DockerClient
docker = {}

return docker
