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

---@class (exact) CleanupOptions
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
---Stops the running containers the filters match (dry_run only says).
---@param filters table<string, string|string[]>
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.stop(filters, opts) end
---Removes the containers the filters match (force stops running ones).
---@param filters table<string, string|string[]>
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.remove(filters, opts) end
---Removes exited and dead containers.
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.exited(opts) end
---Removes untagged images.
---@param opts CleanupOptions?
---@return CleanupEntry[]
function cleanup.dangling_images(opts) end
---Exited containers, then dangling images; what was removed and the bytes reclaimed.
---@param opts CleanupOptions?
---@return {containers: CleanupEntry[], images: CleanupEntry[], reclaimed: integer}
function cleanup.prune(opts) end

return cleanup
