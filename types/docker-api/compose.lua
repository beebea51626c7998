---@meta
-- dockerlua LuaLS definitions: docker.compose and ComposeProject, docker.yaml.

---@class ComposeLoadOptions
---@field files string[]? compose files, merged in order as overrides (default: compose.yaml, compose.yml, docker-compose.yml or docker-compose.yaml, searched upwards from the current folder, plus its override file)
---@field project_name string? default: COMPOSE_PROJECT_NAME, the top-level `name`, the folder's name
---@field env_file string[]? files of variables instead of `.env` in the working folder
---@field profiles string[]? profiles to enable (default COMPOSE_PROFILES)
---@field working_dir string? the project folder (default: the first file's folder)

---@class DockerCompose
local DockerCompose = {}
---A project from compose files: a path (a file, or a folder to search from), or options.
---@param path_or_opts (string|ComposeLoadOptions)?
---@return ComposeProject
function DockerCompose.load(path_or_opts) end
---A project from a Lua table shaped like a compose file (`{name =, services = {...}, networks =, volumes =, secrets =, configs =}`).
---@param model table
---@param opts {project_name: string?, env_file: string[]?, profiles: string[]?, working_dir: string?}?
---@return ComposeProject
function DockerCompose.project(model, opts) end
---A project rebuilt from the labels of its containers (also one that `docker compose` or docker-compose 1.x made): enough for ps, logs, the lifecycle verbs and down.
---@param name string
---@return ComposeProject
function DockerCompose.get(name) end
---Every project on the engine, as `docker compose ls` lists them.
---@return {name: string, status: string, config_files: string}[]
function DockerCompose.projects() end

---@class ComposeReport
---@field created string[] container names
---@field recreated string[]
---@field started string[]
---@field unchanged string[]
---@field removed string[]
---@field networks string[] created (up) or removed (down)
---@field volumes string[]
---@field warnings string[] also printed on stderr
---@field exit_codes table<string, integer>? `up{detach = false}`: each followed container's exit code, by name
---@field exit_code integer? `up{detach = false, exit_code_from =}`: that service's exit code

---@class ComposeUpOptions
---@field services string[]? only these, and what they depend on
---@field detach boolean? true (default); false: print the containers' logs (`name  | line`) until every one exits, as `docker compose up` without -d (Ctrl-C stops them)
---@field abort_on_container_exit boolean? with detach = false: stop every container once one exits
---@field attach_dependencies boolean? with detach = false and services: follow the logs of what they depend on too
---@field exit_code_from string? with detach = false: abort on the first exit, and report this service's exit code as `exit_code`
---@field wait boolean? return once every container runs (and is healthy where it has a healthcheck)
---@field wait_timeout number? seconds: bounds `wait` and the depends_on waits (raises Timeout naming the services not ready)
---@field timeout integer? seconds a container being recreated has to stop
---@field build boolean? build images of services with a `build` even when present
---@field pull ("missing"|"always"|"never")?
---@field force_recreate boolean?
---@field no_recreate boolean?
---@field remove_orphans boolean?

---@class ComposeProject
---@field name string
---@field services string[] in dependency order
---@field working_dir string
---@field config_files string[]
local ComposeProject = {}
---The normalised, interpolated model (a compose file without `name`: write it with docker.yaml.encode).
---@return table
function ComposeProject:config() end
---@param opts ComposeUpOptions?
---@return ComposeReport
function ComposeProject:up(opts) end
---@param opts {volumes: boolean?, remove_orphans: boolean?, timeout: integer?}?
---@return ComposeReport
function ComposeProject:down(opts) end
---@param opts {all: boolean?, services: string[]?}?
---@return Container[]
function ComposeProject:ps(opts) end
---A stream of `line, stream, container_name`.
---@param opts {follow: boolean?, services: string[]?, tail: (integer|string)?, timestamps: boolean?, since: (string|number)?, until: (string|number)?, stdout: boolean?, stderr: boolean?}?
---@return DockerStream
function ComposeProject:logs(opts) end
---A one-off container of the service (`compose run`): its dependencies up first unless `no_deps`; `opts` as containers.run's, over the service's.
---@param service string
---@param command (string|string[])?
---@param opts table?
---@return any
function ComposeProject:run(service, command, opts) end
---Container:exec in the service's container number `opts.index` (default 1).
---@param service string
---@param command string|string[]
---@param opts table?
---@return {exit_code: integer, output: string}
function ComposeProject:exec(service, command, opts) end
---@param opts {services: string[]?}?
---@return string[] container names
function ComposeProject:start(opts) end
---@param opts {services: string[]?, timeout: integer?}?
---@return string[]
function ComposeProject:stop(opts) end
---Also restarts, after them, the services that depend on a restarted one with `restart: true`.
---@param opts {services: string[]?, timeout: integer?}?
---@return string[]
function ComposeProject:restart(opts) end
---@param opts {services: string[]?, signal: string?}?
---@return string[]
function ComposeProject:kill(opts) end
---@param opts {services: string[]?}?
---@return string[]
function ComposeProject:pause(opts) end
---@param opts {services: string[]?}?
---@return string[]
function ComposeProject:unpause(opts) end
---@param opts {services: string[]?}?
---@return string[] images pulled
function ComposeProject:pull(opts) end
---@param opts {services: string[]?}?
---@return string[] images built
function ComposeProject:build(opts) end

---@class DockerYaml
local DockerYaml = {}
---@param value any
---@return string
function DockerYaml.encode(value) end
---One YAML document (anchors, aliases and merge keys applied) as Lua values.
---@param text string
---@return any
function DockerYaml.decode(text) end
