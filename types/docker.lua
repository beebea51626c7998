---@meta
-- LuaLS definitions for dockerlua: the `docker` module and the stdlib
-- (`require("docker.cleanup")`, ...). Print them with `dockerlua --print-types`
-- and add the folder holding the file to `workspace.library` in .luarc.json.

-- ---------------------------------------------------------------------------
-- Errors

---Every failure of a docker call raises one of these (a userdata for the
---docker module's own errors, a table for the stdlib's); `tostring(err)` is
---one line such as `NotFound (404): No such container: f1064a8a4c82`.
---@class DockerError
---@field kind "NotFound"|"ImageNotFound"|"Conflict"|"APIError"|"ContainerError"|"ConnectionError"|"Timeout"|"InvalidArgument"|"ParallelError"|"TaskError"|"WaitError"|"LuaError"|string
---@field status integer? HTTP status, where the engine answered
---@field message string the engine's explanation or ours
---@field exit_status integer? ContainerError: the command's exit status
---@field stderr string? ContainerError: what the command wrote on stderr
---@field command string? ContainerError: the command
---@field image string? ContainerError: the image
---@field errors table<integer, DockerError>? ParallelError (docker.parallel): the failures by item index
---@field timeout number? stdlib Timeout errors: the seconds waited

---What `containers.run` raises when the command exits with a non-zero status
---(without `detach`). `tostring(err)` names the command, the image, the exit
---status and the command's stderr.
---@class ContainerError: DockerError
---@field kind "ContainerError"
---@field exit_status integer the command's exit status
---@field stderr string what the command wrote on stderr
---@field command string the command, as one shell-quoted line
---@field image string the image

---What `docker.parallel` raises, after all calls have finished, when any
---failed: `message` lists them (`#2: ...; #5: ...`). Each entry of `errors` is
---an error object: a docker error as raised; any other raised value reads
---as the original's fields (a table keeps its `kind`), a string as a
---`LuaError` whose `message` is the string.
---@class ParallelError: DockerError
---@field kind "ParallelError"
---@field errors table<integer, DockerError> the failures by item index (a sparse table: iterate with pairs)

-- ---------------------------------------------------------------------------
-- Clients

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
---@field containers ContainerCollection
---@field images ImageCollection
---@field networks NetworkCollection
---@field volumes VolumeCollection
---@field json DockerJson
---@field net DockerNet
local DockerClient = {}

---@return true
function DockerClient.ping() end

---@return table the engine's /version answer
function DockerClient.version() end

---@return table the engine's /info answer
function DockerClient.info() end

---@return table the engine's /system/df answer (LayersSize, Images, Containers, Volumes, BuildCache)
function DockerClient.df() end

---@class ApiOptions
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

---@class EventsOptions
---@field filters table<string, string|string[]>?
---@field since string|number?
---@field until string|number? (a Lua keyword: `["until"] = ...`)
---@field decode boolean? accepted for the Python SDK's sake: events are always tables

---Engine events, as they happen: `for event in docker.events{...} do`.
---Without `until` the stream never ends by itself: `break` or close it.
---(`until` is a Lua keyword: write `["until"] = ...`.)
---@param opts EventsOptions?
---@return EventStream
function DockerClient.events(opts) end

---PEM files for a TLS engine (paths). Without `ca`, the system's roots are
---trusted; `cert` and `key` go together (the client certificate).
---@class TlsOptions
---@field ca string? the CA that signed the engine's certificate
---@field cert string? the client certificate
---@field key string? the client certificate's key

---@class ConnectOptions
---@field version string? the API version to use ("1.43"); negotiated when nil
---@field tls TlsOptions? speak TLS to a `tcp://` engine (`https://` always does)

---A client for another engine (`unix://`, `tcp://`, `http://`, `https://`).
---Raises InvalidArgument at once for a bad address or TLS file; nothing is
---sent before the first call.
---@param url string
---@param opts ConnectOptions?
---@return DockerClient
function DockerClient.connect(url, opts) end

---A new client from the environment, resolved as the default one (-H,
---DOCKER_HOST with DOCKER_TLS_VERIFY/DOCKER_TLS/DOCKER_CERT_PATH, --context,
---DOCKER_CONTEXT, config.json's currentContext, the default socket).
---@return DockerClient
function DockerClient.from_env() end

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

-- ---------------------------------------------------------------------------
-- Streams

---A streamed answer, called once per step as a `for ... in` iterator. Given
---directly to a `for`, the loop closes it when it ends (also on `break` or an
---error). Kept in a variable, close it with `s:close()` or declare it
---`local s <close> = ...`; a closed stream yields nothing more.
---`tostring(s)` is e.g. `<LogStream open>`.
---@class DockerStream
local DockerStream = {}

---Ends the stream and drops its connection at once (closing again is harmless).
function DockerStream:close() end

---Log lines (without their newline) and the stream each came from.
---@class LogStream: DockerStream
---@overload fun(): string?, "stdout"|"stderr"|nil

---A streamed exec's output lines and stream names; `exit_code` once the
---loop has ended.
---@class ExecStream: DockerStream
---@field exit_code integer? the command's exit code, set when the output has ended (nil before)
---@overload fun(): string?, "stdout"|"stderr"|nil

---Stats samples (the engine's JSON, about one a second); never ends by itself.
---@class StatsStream: DockerStream
---@overload fun(): table?

---Engine events (the engine's JSON).
---@class ApiStream: DockerStream

---@class EventStream: DockerStream
---@overload fun(): table?

-- ---------------------------------------------------------------------------
-- Containers

---@class RunOptions
---@field detach boolean? return a Container at once
---@field remove boolean? remove the container after it exits
---@field stdout boolean? return stdout (default true)
---@field stderr boolean? return stderr too
---@field name string?
---@field environment table<string, string>|string[]?
---@field labels table<string, string>|string[]?
---@field entrypoint string|string[]?
---@field working_dir string?
---@field user string|integer?
---@field hostname string?
---@field domainname string?
---@field mac_address string?
---@field tty boolean?
---@field stdin_open boolean?
---@field init boolean?
---@field auto_remove boolean?
---@field network string?
---@field network_mode string?
---@field network_disabled boolean?
---@field networking_config table<string, {aliases: string[]?, links: table?, ipv4_address: string?, ipv6_address: string?, link_local_ips: string[]?, driver_opt: table?}>?
---@field ports table<string|integer, integer|string|table|boolean>? host port, "ip:port", {ip, port}, a list of them (each published), true (a random host port), false (exposed only)
---@field publish_all_ports boolean?
---@field volumes string[]|table<string, {bind: string, mode: string?}>? "/host:/ctr:ro" or "volume:/ctr"
---@field mounts (string|{type: "volume"|"bind"|"tmpfs"?, source: string?, target: string, read_only: boolean?, consistency: string?, propagation: string?, no_copy: boolean?, labels: table?, driver_config: {name: string, options: table?}?, tmpfs_size: integer|string?, tmpfs_mode: integer?})[]?
---@field volumes_from string[]?
---@field volume_driver string?
---@field tmpfs table<string, string>|string[]? {["/run"] = "size=64m"}
---@field read_only boolean?
---@field dns string[]?
---@field dns_search string[]?
---@field dns_opt string[]?
---@field links table<string, string>|string[]?
---@field log_config {type: string, config: table<string, string>?}?
---@field devices string[]? "/dev/host[:/dev/ctr[:rwm]]"
---@field device_requests {count: integer?, driver: string?, device_ids: string[]?, capabilities: string[][]?, options: table?}[]?
---@field device_cgroup_rules string[]?
---@field security_opt string[]?
---@field sysctls table<string, string|number>?
---@field ulimits {name: string, soft: integer, hard: integer}[]?
---@field storage_opt table<string, string>?
---@field shm_size integer|string?
---@field mem_reservation integer|string?
---@field memswap_limit integer|string?
---@field mem_swappiness integer?
---@field kernel_memory integer|string?
---@field oom_kill_disable boolean?
---@field oom_score_adj integer?
---@field pids_limit integer?
---@field cpu_shares integer?
---@field cpu_period integer?
---@field cpu_quota integer?
---@field cpu_rt_period integer?
---@field cpu_rt_runtime integer?
---@field cpu_count integer?
---@field cpu_percent integer?
---@field cpuset_cpus string?
---@field cpuset_mems string?
---@field nano_cpus integer?
---@field blkio_weight integer?
---@field blkio_weight_device {path: string, weight: integer}[]?
---@field device_read_bps {path: string, rate: integer}[]?
---@field device_write_bps {path: string, rate: integer}[]?
---@field device_read_iops {path: string, rate: integer}[]?
---@field device_write_iops {path: string, rate: integer}[]?
---@field ipc_mode string?
---@field pid_mode string?
---@field uts_mode string?
---@field userns_mode string?
---@field cgroupns string?
---@field cgroup_parent string?
---@field group_add string[]?
---@field runtime string?
---@field isolation string?
---@field init_path string? accepted, without effect
---@field lxc_conf table? accepted, without effect
---@field use_config_proxy boolean? accepted, without effect
---@field version string? accepted, without effect
---@field raw table? fields merged last into the create body (HostConfig field by field)
---@field restart_policy {name: string, maximum_retry_count: integer?}|{Name: string, MaximumRetryCount: integer?}?
---@field stop_signal string?
---@field stop_timeout integer?
---@field platform string?
---@field privileged boolean?
---@field cap_add string[]?
---@field cap_drop string[]?
---@field extra_hosts string[]?
---@field mem_limit string|integer?
---@field healthcheck {test: string|string[], interval: integer|number|string?, timeout: integer|number|string?, retries: integer?, start_period: integer|number|string?, start_interval: integer|number|string?}? durations in nanoseconds or as "1s", "500ms"; the engine's keys (Test, Interval...) too
---@field pull "missing"|"always"|"never"?

---@class ListContainersOptions
---@field all boolean? stopped ones too
---@field filters table<string, string|string[]|boolean>?
---@field limit integer?
---@field since string?
---@field before string?
---@field size boolean?
---@field sparse boolean?

---@class ContainerCollection
local ContainerCollection = {}

---`docker run`: without detach, waits and returns the output (raises a
---ContainerError on a non-zero exit); with detach, returns a Container.
---@param image string|Image
---@param command (string|string[])?
---@param opts RunOptions?
---@return string|Container
function ContainerCollection.run(image, command, opts) end

---@param image string|Image
---@param command (string|string[])?
---@param opts RunOptions? (`detach` is accepted and ignored)
---@return Container
function ContainerCollection.create(image, command, opts) end

---@param opts ListContainersOptions?
---@return Container[]
function ContainerCollection.list(opts) end

---@param id_or_name string full id, unique prefix or name
---@return Container
function ContainerCollection.get(id_or_name) end

---@param opts {filters: table?}?
---@return {ContainersDeleted: string[]?, SpaceReclaimed: integer}
function ContainerCollection.prune(opts) end

---@class LogsBaseOptions
---@field stdout boolean? default true
---@field stderr boolean? default true
---@field timestamps boolean?
---@field tail integer|"all"?
---@field since string|number?
---@field until string|number? (a Lua keyword: `["until"] = ...`)

---@class LogsOptions: LogsBaseOptions
---@field follow false?
---@field stream false?

---@class LogsFollowOptions: LogsBaseOptions
---@field follow true a LogStream that follows new output until the container stops
---@field stream boolean?

---@class LogsStreamOptions: LogsBaseOptions
---@field stream true a LogStream over the output so far
---@field follow boolean?

---@class ExecBaseOptions
---@field user string?
---@field environment table<string, string>|string[]?
---@field working_dir string?
---@field stdout boolean? default true
---@field stderr boolean? default true
---@field tty boolean?
---@field privileged boolean?
---@field stdin string? sent to the command's stdin, which is then closed

---@class ExecOptions: ExecBaseOptions
---@field stream false?

---@class ExecStreamOptions: ExecBaseOptions
---@field stream true an ExecStream of output lines, as they come

---@class ExecResult
---@field exit_code integer? the command's exit code (nil if the engine gave none)
---@field output string stdout and stderr as they came (as asked by the options)

---@class Container
---@field id string
---@field short_id string 12 characters
---@field name string without the leading /
---@field image string the image reference it was created from
---@field status string "created", "running", "exited", ...
---@field health string? "starting", "healthy" or "unhealthy"; nil without a healthcheck (as of the last inspect)
---@field labels table<string, string>
---@field attrs table the engine's answer (list entry or inspect)
local Container = {}

function Container:reload() end
function Container:start() end
---@param opts {timeout: integer?}?
function Container:stop(opts) end
---@param opts {timeout: integer?}?
function Container:restart(opts) end
---@param signal (string|integer)?
function Container:kill(signal) end
function Container:pause() end
function Container:unpause() end
---@param opts {force: boolean?, volumes: boolean?, v: boolean?}?
function Container:remove(opts) end
---@param opts {condition: "not-running"|"next-exit"|"removed"?, timeout: number?}?
---@return {status_code: integer, error: string?}
function Container:wait(opts) end
---Output so far as a string; with `follow` or `stream`, a LogStream of
---`line, "stdout"|"stderr"`.
---@param opts LogsOptions?
---@return string
---@overload fun(opts: LogsFollowOptions): LogStream
---@overload fun(opts: LogsStreamOptions): LogStream
function Container:logs(opts) end
---@param repository (string|{repository: string?, tag: string?, message: string?, author: string?, changes: string[]?, pause: boolean?})?
---@param tag string?
---@return Image
function Container:commit(repository, tag) end
---Runs a command in the running container: its exit code and output (a
---non-zero exit is not an error); with `stream = true`, an ExecStream.
---@param command string|string[]
---@param opts ExecOptions?
---@return ExecResult
---@overload fun(command: string|string[], opts: ExecStreamOptions): ExecStream
function Container:exec(command, opts) end
---@param ps_args string?
---@return {Titles: string[], Processes: string[][]}
function Container:top(ps_args) end
---One stats sample; with `stream = true`, a StatsStream of samples.
---@param opts {stream: false?, decode: boolean?}?
---@return table
---@overload fun(opts: {stream: true, decode: boolean?}): StatsStream
function Container:stats(opts) end
---@param name string
function Container:rename(name) end
---Extracts a tar into the folder `path`: tar data as a string, or
---`{from = file}` streamed from a tar file.
---@param path string
---@param tar_data string|{from: string}
---@return true
function Container:put_archive(path, tar_data) end
---A tar of `path` and its stat: as a string, or with `{to = file}` streamed
---to that file (then the file's path comes first).
---@param path string
---@param opts {to: string?}?
---@return string tar_data_or_file
---@return table stat
function Container:get_archive(path, opts) end
---What changed in the filesystem.
---@return {Path: string, Kind: integer}[] Kind: 0 changed, 1 added, 2 deleted
function Container:diff() end
---Writes the filesystem as a tar to `path` (streamed).
---@param opts {path: string}
---@return integer bytes written
function Container:export(opts) end
---Changes resources and the restart policy; then reloads.
---@param opts {mem_limit: integer|string?, mem_reservation: integer|string?, memswap_limit: integer|string?, kernel_memory: integer|string?, cpu_shares: integer?, cpu_period: integer?, cpu_quota: integer?, cpuset_cpus: string?, cpuset_mems: string?, blkio_weight: integer?, pids_limit: integer?, restart_policy: table?}
---@return {Warnings: string[]?}
function Container:update(opts) end
---Sets the size of the container's TTY.
---@param height integer
---@param width integer
function Container:resize(height, width) end
---The published ports, asked afresh: `{["80/tcp"] = {{HostIp =, HostPort =}}}`.
---@return table<string, {HostIp: string, HostPort: string}[]>
function Container:ports() end

-- ---------------------------------------------------------------------------
-- Images

---@class ImageCollection
local ImageCollection = {}

---@param opts {name: string?, all: boolean?, filters: table?}?
---@return Image[]
function ImageCollection.list(opts) end

---@param reference_or_id string
---@return Image
function ImageCollection.get(reference_or_id) end

---@param reference string
---@param opts {tag: string?, platform: string?, auth: table?, progress: fun(event: table)?}?
---@return Image
function ImageCollection.pull(reference, opts) end

---@param reference string
---@param opts {tag: string?, auth: table?, progress: fun(event: table)?}?
---@return true
function ImageCollection.push(reference, opts) end

---@param reference string
---@param opts {force: boolean?, noprune: boolean?}?
---@return table[] what was untagged and deleted
function ImageCollection.remove(reference, opts) end

---@param opts {filters: table?}?
---@return {ImagesDeleted: table[]?, SpaceReclaimed: integer}
function ImageCollection.prune(opts) end

---@class Image
---@field id string "sha256:..."
---@field short_id string "sha256:" and 10 hex digits
---@field tags string[]
---@field labels table<string, string>
---@field attrs table
local Image = {}

---@param repository string
---@param tag string?
---@return true
function Image:tag(repository, tag) end
---@return table[]
function Image:history() end
function Image:reload() end
---@param opts {force: boolean?, noprune: boolean?}?
---@return table[]
function Image:remove(opts) end

-- ---------------------------------------------------------------------------
-- Networks and volumes

---@class NetworkCreateOptions
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
---One request: `containers` is empty until a `reload`.
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
---@param opts {aliases: string[]?, links: table?, ipv4_address: string?, ipv6_address: string?, link_local_ips: string[]?, driver_opt: table?, mac_address: string?}?
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

---The default client (also `require("docker")`).
---@type DockerClient
docker = {}

-- ---------------------------------------------------------------------------
-- The stdlib: require("docker.NAME")

---@class docker.errors
local errors = {}
---@param kind string
---@param message string
---@param fields table?
---@return DockerError
function errors.new(kind, message, fields) end
---@param kind string
---@param message string
---@param fields table?
function errors.raise(kind, message, fields) end
---@param err any
---@return string kind, "LuaError" for plain errors
function errors.kind(err) end
---@param err any
---@param ... string kinds
---@return boolean
function errors.is(err, ...) end
---@param err any
---@return string
function errors.message(err) end
---Raises InvalidArgument "fn: message".
---@param fn string
---@param message string
function errors.invalid(fn, message) end
---@generic T
---@param fn string
---@param name string
---@param value T
---@param expected string a type() name, "Container" or "Image"
---@param optional boolean?
---@return T
function errors.check(fn, name, value, expected, optional) end
---@param fn string
---@param opts table?
---@param known string[]
---@return table
function errors.options(fn, opts, known) end
---@param value any
---@return string? "Container", "Image", "Task"
function errors.object_name(value) end

---@class docker.human
local human = {}
---@param bytes number
---@param opts {binary: boolean?, precision: integer?}?
---@return string
function human.size(bytes, opts) end
---@param seconds number
---@return string
function human.duration(seconds) end
---@param time number|string Unix seconds or RFC 3339
---@param now number?
---@return string
function human.ago(time, now) end
---@param value number|string
---@return number?
function human.time(value) end
---@param text string|number
---@return number seconds
function human.parse_duration(text) end
---@param text string|number
---@return integer bytes
function human.parse_size(text) end

---@class FormatOptions
---@field no_trunc boolean?
---@field quiet boolean?
---@field header boolean?
---@field now number?
---@field lines boolean? format.json: one object a line
---@field raw boolean? format.json: the engine's attrs

---@class docker.format
local format = {}
---@param list (Container|table)[]
---@param opts FormatOptions?
---@return string
function format.containers(list, opts) end
---@param list (Image|table)[]
---@param opts FormatOptions?
---@return string
function format.images(list, opts) end
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return table[]
function format.rows(list, opts) end
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return string
function format.json(list, opts) end
---@param rows string[][]
---@param opts {padding: integer?, min_width: integer?}?
---@return string
function format.tabulate(rows, opts) end
---@param value any
---@return "container"|"image"|nil
function format.kind(value) end

---@class CleanupEntry
---@field action "stop"|"remove"
---@field kind "container"|"image"
---@field id string
---@field short_id string
---@field name string
---@field done boolean
---@field error string?
---@field size integer? images

---@class CleanupOptions
---@field dry_run boolean?
---@field log fun(line: string)?
---@field client DockerClient?
---@field limit integer?
---@field timeout number? stop
---@field volumes boolean? remove, exited, prune
---@field everything boolean? stop, remove: allow empty filters
---@field filters table? exited, dangling_images, prune
---@field force boolean? dangling_images, prune

---@class docker.cleanup
local cleanup = {}
---@param filters table<string, string|string[]>
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.stop(filters, opts) end
---@param filters table<string, string|string[]>
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.remove(filters, opts) end
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.exited(opts) end
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.dangling_images(opts) end
---@param opts CleanupOptions?
---@return {containers: CleanupEntry[], images: CleanupEntry[], reclaimed: integer}
function cleanup.prune(opts) end

---@class docker.wait
local wait = {}
---@param fn fun(): any
---@param opts {timeout: number?, interval: number?, what: string?}?
---@return any ...
function wait.poll(fn, opts) end
---@param container Container|string
---@param opts {timeout: number?, interval: number?, client: DockerClient?}?
---@return Container
function wait.healthy(container, opts) end
---@param container Container|string
---@param pattern string
---@param opts {timeout: number?, interval: number?, plain: boolean?, stream: "stdout"|"stderr"?, client: DockerClient?}?
---@return string line
function wait.log(container, pattern, opts) end
---@param target Container|string
---@param port integer|string
---@param opts {timeout: number?, interval: number?, probe_timeout: number?, published: boolean?}?
---@return string host
---@return integer port
function wait.port(target, port, opts) end

---@class RetryOptions
---@field attempts integer?
---@field delay number?
---@field factor number?
---@field max_delay number?
---@field jitter number?
---@field retry_on string[]|fun(err: any, attempt: integer): boolean?
---@field on_retry fun(err: any, attempt: integer, wait: number)?

---@class docker.retry
local retry = {}
---@param fn function
---@param opts RetryOptions?
---@param ... any arguments for fn
---@return any ...
function retry.call(fn, opts, ...) end
---@generic F
---@param fn F
---@param opts RetryOptions?
---@return F
function retry.wrap(fn, opts) end
---@param opts RetryOptions?
---@return number[]
function retry.delays(opts) end

---@class ArgsSpec
---@field usage string
---@field flags table<string, string[]>?
---@field values table<string, {[integer]: string, multiple: boolean?, number: boolean?, default: any, choices: string[]?}>?
---@field min integer?
---@field max integer?

---@class docker.args
local args = {}
---@param argv string[]
---@param spec ArgsSpec
---@return table opts
---@return string[] positional
function args.parse(argv, spec) end
---@param usage string
---@param message string?
function args.fail(usage, message) end

---`require` knows the stdlib's names.
---@overload fun(modname: "docker"): DockerClient
---@overload fun(modname: "docker.errors"): docker.errors
---@overload fun(modname: "docker.human"): docker.human
---@overload fun(modname: "docker.format"): docker.format
---@overload fun(modname: "docker.cleanup"): docker.cleanup
---@overload fun(modname: "docker.wait"): docker.wait
---@overload fun(modname: "docker.retry"): docker.retry
---@overload fun(modname: "docker.args"): docker.args
---@param modname string
---@return any
function require(modname) end
