---@meta
-- dockerlua LuaLS definitions: docker.images and Image. Print them all with
-- `dockerlua --print-types`, or write the folder with `--write-types DIR`.

---@class ImageCollection
local ImageCollection = {}

---@param opts {name: string?, all: boolean?, filters: table?}?
---@return Image[]
function ImageCollection.list(opts) end

---@param reference_or_id string
---@return Image
function ImageCollection.get(reference_or_id) end

---With `all_tags`, every tag of the repository is pulled and an array of
---`Image` returned.
---@param reference string
---@param opts {tag: string?, platform: string?, auth: table?, progress: fun(event: table)?, all_tags: boolean?}?
---@return Image|Image[]
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

---@class (exact) BuildOptions
---@field path string? the context folder (its `.dockerignore` honoured as the docker CLI honours it)
---@field fileobj string? instead of `path`: a Dockerfile's text, with no other context
---@field dockerfile string? the Dockerfile's path inside `path` (default "Dockerfile"), or an absolute path (also outside `path`)
---@field tag string|string[]?
---@field buildargs table<string, string>?
---@field labels table<string, string>?
---@field target string? the stage to stop at
---@field nocache boolean?
---@field pull boolean? pull newer base images
---@field rm boolean? remove intermediate containers (default true)
---@field forcerm boolean? also after a failed step
---@field network_mode string?
---@field extra_hosts string[]|table<string, string>? {"host:ip"} or {host = "ip"}
---@field platform string?
---@field cache_from string[]?
---@field shmsize integer? bytes
---@field quiet boolean?
---@field squash boolean?
---@field auth table? credentials for FROM pulls, as for pull
---@field progress fun(event: table)? called with each build event (default: the output on stderr when it is a terminal; with BuildKit, the CLI's plain progress)
---@field buildkit boolean? build with the engine's BuildKit (default: true when the environment's DOCKER_BUILDKIT is 1/true); the context goes through a session, only the files the build reads
---@field secrets {id: string, src: string?, env: string?}[]? BuildKit only: for `RUN --mount=type=secret,id=ID`, from a file (`src`) or an environment variable (`env`); never in the image, logs, errors or dry-run output
---@field ssh table<string,string|string[]|true>? BuildKit only: for `RUN --mount=type=ssh[,id=ID]`, by id an agent socket (`true`: $SSH_AUTH_SOCK) or key files (loaded into an ssh-agent started for the build); e.g. `{default = os.getenv("SSH_AUTH_SOCK")}`
---@field build_contexts table? named contexts: refused (InvalidArgument): they need Dockerfile frontend 1.4, newer than Engine 20.10's built-in one, and the engine's /build API cannot pass them

---Builds an image; the context is tarred while it streams to the engine, or
---with `buildkit`, sent through a BuildKit session as the engine asks for it
---(the last log entry is then `{id = "dockerlua.context", aux = {bytes = N}}`:
---the file data bytes sent). A failed step raises `BuildError`.
---@param opts BuildOptions
---@return Image image
---@return table[] logs the build's events
function ImageCollection.build(opts) end

---`docker load`: from a file (streamed) or a tar archive in a string.
---@param source {path: string}|string
---@return Image[]
function ImageCollection.load(source) end

---What the registry holds for `reference`, without pulling it.
---@param reference string
---@param opts {auth: table?}?
---@return {id: string, digest: string, platforms: table[], attrs: table}
function ImageCollection.get_registry_data(reference, opts) end

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
---Writes the image's `docker save` archive to `path`, streamed, returning the bytes written
---(a dry run does not touch the file: the write is printed and its size returned); without
---`path`, a `for` iterator of the archive's chunks (strings). `named`: the tag the archive
---names the image by (`true`, the default: its first tag; `false`: none).
---@param opts {path: string?, named: (string|boolean)?, chunk_size: integer?}?
---@return integer|fun(): string?
function Image:save(opts) end
function Image:reload() end
---@param opts {force: boolean?, noprune: boolean?}?
---@return table[]
function Image:remove(opts) end

