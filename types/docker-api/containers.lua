---@meta
-- dockerlua LuaLS definitions: docker.containers and Container. Print them all with
-- `dockerlua --print-types`, or write the folder with `--write-types DIR`.

---What the container is made of: `create`'s options, and `run`'s besides
---its own (`detach`, `remove`, `stdout`, `stderr`).
---@class (exact) CreateOptions
---@field name string?
---@field command string|string[]? the command, as the Python SDK's keyword (instead of the argument)
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
---@field networking_config table<string, {aliases: string[]?, links: table?, ipv4_address: string?, ipv6_address: string?, link_local_ips: string[]?, driver_opt: table?, mac_address: string?}|table>? or the engine's EndpointSettings spelling (Aliases, DriverOpts, IPAMConfig...)
---@field ports (string|integer)[]|table<string|integer, integer|string|table|boolean>? a list of `docker run -p` specs ("8080:80", "127.0.0.1::53/udp", "8000-8001:80-81"), or a map by container port: "8080:80" (a spec for that port), host port, "ip:port", {ip, port}, a list of them (each published), true (a random host port), false (exposed only)
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
---@field log_config {type: string, config: table<string, string>?}|{Type: string, Config: table<string, string>?}?
---@field devices string[]? "/dev/host[:/dev/ctr[:rwm]]"
---@field device_requests {count: integer?, driver: string?, device_ids: string[]?, capabilities: string[][]?, options: table?}[]?
---@field device_cgroup_rules string[]?
---@field security_opt string[]?
---@field sysctls table<string, string|number>?
---@field ulimits {name: string, soft: integer, hard: integer}[]? or Name, Soft, Hard; -1 is unlimited
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
---@field blkio_weight integer? 0, or 10 to 1000
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
---@field use_config_proxy boolean? false: leave out the proxies of the docker config.json (default true)
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

---`run` without detach: waits for the exit and returns the output.
---@class (exact) RunOptions: CreateOptions
---@field detach false?
---@field remove boolean? remove the container after it exits
---@field stdout boolean? return stdout (default true)
---@field stderr boolean? return stderr too

---`run` with detach: returns the Container at once.
---@class (exact) RunDetachOptions: CreateOptions
---@field detach true

---`run` with stream: a RunStream of the output lines as they come.
---@class (exact) RunStreamOptions: CreateOptions
---@field stream true
---@field remove boolean? remove the container after it exits (or is closed early)

---`run` with interactive (`docker run -it`): the terminal is the container's
---until it exits (its exit code) or Ctrl-P Ctrl-Q detaches (`nil, "detached"`).
---@class (exact) RunInteractiveOptions: CreateOptions
---@field interactive true
---@field tty boolean? true for a shell (raw mode, window size followed)
---@field remove boolean? remove the container after it exits

---@class (exact) ListContainersOptions
---@field all boolean? stopped ones too
---@field filters table<string, string|string[]|boolean>?
---@field limit integer?
---@field since string?
---@field before string?
---@field size boolean?
---@field sparse boolean? accepted, changes nothing: lists are always one request

---@class ContainerCollection
local ContainerCollection = {}

---`docker run`: without detach, waits and returns the output (raises a
---ContainerError on a non-zero exit); with detach, returns a Container.
---@param image string|Image
---@param command (string|string[])?
---@param opts RunOptions?
---@return string? output nil when the log driver cannot be read (`log_config = {type = "none"}`)
---@overload fun(image: string|Image, command: (string|string[])?, opts: RunDetachOptions): Container
---@overload fun(image: string|Image, opts: RunDetachOptions): Container
---@overload fun(image: string|Image, command: (string|string[])?, opts: RunStreamOptions): RunStream
---@overload fun(image: string|Image, command: (string|string[])?, opts: RunInteractiveOptions): integer?, "detached"?
function ContainerCollection.run(image, command, opts) end

---`docker create`: a Container, not started (`detach` is accepted and ignored).
---@param image string|Image
---@param command (string|string[])?
---@param opts CreateOptions?
---@return Container
function ContainerCollection.create(image, command, opts) end

---@param opts ListContainersOptions?
---@return Container[]
function ContainerCollection.list(opts) end

---@param id_or_name string full id, unique prefix or name
---@return Container
function ContainerCollection.get(id_or_name) end

---Removes stopped containers.
---@param opts {filters: table?}?
---@return {ContainersDeleted: string[]?, SpaceReclaimed: integer}
function ContainerCollection.prune(opts) end

---@class (exact) LogsBaseOptions
---@field stdout boolean? default true
---@field stderr boolean? default true
---@field timestamps boolean?
---@field tail integer|"all"?
---@field since string|number? Unix seconds, RFC 3339 time, date or duration before now ("10m")
---@field until string|number? the same (a Lua keyword: `["until"] = ...`)

---@class (exact) LogsOptions: LogsBaseOptions
---@field follow false?
---@field stream false?

---@class (exact) LogsFollowOptions: LogsBaseOptions
---@field follow true a LogStream that follows new output until the container stops
---@field stream boolean?
---@field reconnect boolean? go on across a drop and across restarts of the container (resuming without repeats) until it is removed

---@class (exact) LogsStreamOptions: LogsBaseOptions
---@field stream true a LogStream over the output so far
---@field follow boolean?

---@class (exact) ExecBaseOptions
---@field user string?
---@field environment table<string, string>|string[]?
---@field working_dir string?
---@field stdout boolean? default true
---@field stderr boolean? default true
---@field tty boolean?
---@field privileged boolean?
---@field stdin (string|boolean)? a string: sent to the command's stdin, which is then closed; true: a two-way ExecStream

---@class (exact) ExecOptions: ExecBaseOptions
---@field stream false?

---@class (exact) ExecStreamOptions: ExecBaseOptions
---@field stream true an ExecStream of output lines, as they come

---`stdin = true`: a two-way stream (`s:write`, `s:close_write`).
---@class (exact) ExecDuplexOptions: ExecBaseOptions
---@field stdin true
---@field stream boolean? implied

---`docker exec -it`: the terminal is the command's until it exits.
---@class (exact) ExecInteractiveOptions: ExecBaseOptions
---@field interactive true
---@field tty boolean? default true

---@class (exact) AttachOptions
---@field stdout boolean? default true
---@field stderr boolean? default true
---@field logs boolean? the output logged so far first
---@field stream boolean? an AttachStream instead of the output until the container ends
---@field stdin boolean? a two-way AttachStream (`s:write`, `s:close_write`)
---@field interactive boolean? `docker attach`: the terminal is the container's until it exits or Ctrl-P Ctrl-Q detaches

---A stats sample: the engine's fields (`cpu_stats`, `memory_stats`,
---`networks`...) and the figures `docker stats` shows, computed as the CLI
---computes them.
---@class StatsSample
---@field cpu_percent number CPU % against the previous reading (100 per CPU)
---@field mem_usage integer bytes in use, the inactive page cache left out
---@field mem_limit integer bytes
---@field mem_percent number
---@field net_rx integer bytes received, all interfaces
---@field net_tx integer bytes sent, all interfaces
---@field block_read integer bytes read, all devices
---@field block_write integer bytes written, all devices
---@field pids integer
---@field [string] any

---@class ExecResult
---@field exit_code integer? the command's exit code (nil if the engine gave none)
---@field output string stdout and stderr as they came (as asked by the options)

---@class Container
---@field id string
---@field short_id string 12 characters
---@field name string without the leading /
---@field image string the image reference it was created from
---@field status string "created", "running", "exited", ...
---@field health string? "starting", "healthy" or "unhealthy"; nil without a healthcheck (as of the last answer, a list entry too)
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
---@param repository (string|{repository: string?, tag: string?, message: string?, author: string?, changes: string[]?, pause: boolean?, conf: table?})?
---@param tag string?
---@return Image
function Container:commit(repository, tag) end
---Runs a command in the running container: its exit code and output (a
---non-zero exit is not an error); with `stream = true`, an ExecStream.
---@param command string|string[]
---@param opts ExecOptions?
---@return ExecResult
---@overload fun(command: string|string[], opts: ExecStreamOptions): ExecStream
---@overload fun(command: string|string[], opts: ExecDuplexOptions): ExecDuplexStream
---@overload fun(command: string|string[], opts: ExecInteractiveOptions): integer?, "detached"?
function Container:exec(command, opts) end
---The container's live output: a string of the output until it ends; with
---`stream = true` an AttachStream; with `stdin = true` a two-way one; with
---`interactive = true` the terminal is handed over and the exit code
---returned (`nil, "detached"` after Ctrl-P Ctrl-Q).
---@param opts AttachOptions?
---@return string output
---@overload fun(opts: {stream: true, stdout: boolean?, stderr: boolean?, logs: boolean?}): AttachStream
---@overload fun(opts: {stdin: true, stdout: boolean?, stderr: boolean?, logs: boolean?}): AttachStream
---@overload fun(opts: {interactive: true, stdout: boolean?, stderr: boolean?, logs: boolean?}): integer?, "detached"?
function Container:attach(opts) end
---@param ps_args string?
---@return {Titles: string[], Processes: string[][]}
function Container:top(ps_args) end
---One stats sample (the engine's JSON, with the figures `docker stats` shows
---beside its fields); with `stream = true`, a StatsStream of samples.
---@param opts {stream: false?, decode: boolean?}?
---@return StatsSample
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
---to that file (then the file's path comes first; under --dry-run the file
---is not touched: the write is printed and the stat returned).
---@param path string
---@param opts {to: string?}?
---@return string tar_data_or_file
---@return table stat
function Container:get_archive(path, opts) end
---`docker cp CONTAINER:path local_path`, with its rules: a folder into an
---existing folder under its own name, as `local_path` when that does not
---exist, its contents only for `path/.`; links copied as links (or followed
---with `follow_link`); modes and times kept, files owned by the user.
---Entries that would land outside `local_path` are refused.
---@param path string in the container
---@param local_path string
---@param opts {follow_link: boolean?}?
---@return string landed where the copy landed locally
function Container:copy_from(path, local_path, opts) end
---`docker cp local_path CONTAINER:path`, with the same rules; `archive` is
---`docker cp -a`.
---@param local_path string
---@param path string in the container
---@param opts {follow_link: boolean?, archive: boolean?}?
---@return string written the path written in the container
function Container:copy_to(local_path, path, opts) end
---What changed in the filesystem.
---@return {Path: string, Kind: integer}[] Kind: 0 changed, 1 added, 2 deleted
function Container:diff() end
---Writes the filesystem as a tar to `path` (streamed; under --dry-run the
---file is not touched: the write is printed and its size returned).
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
