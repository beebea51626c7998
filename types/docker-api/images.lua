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

