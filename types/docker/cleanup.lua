---@meta docker.cleanup
-- dockerlua LuaLS definitions: require("docker.cleanup").

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

return cleanup
