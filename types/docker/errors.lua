---@meta docker.errors
-- dockerlua LuaLS definitions: require("docker.errors").

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

return errors
