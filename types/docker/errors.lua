---@meta docker.errors
-- dockerlua LuaLS definitions: require("docker.errors").

---@class docker.errors
---@field kinds string[] the kinds the docker module raises ("NotFound", ..., "ReadOnly")
local errors = {}
---An error object of that kind (a table with kind, message, fields; tostring gives one line).
---@param kind string
---@param message string
---@param fields table?
---@return DockerError
function errors.new(kind, message, fields) end
---Raises errors.new(kind, message, fields).
---@param kind string
---@param message string
---@param fields table?
function errors.raise(kind, message, fields) end
---The kind of any error value.
---@param err any
---@return string kind, "LuaError" for plain errors
function errors.kind(err) end
---Whether err is of one of the kinds.
---@param err any
---@param ... string kinds
---@return boolean
function errors.is(err, ...) end
---The message of any error value.
---@param err any
---@return string
function errors.message(err) end
---Raises InvalidArgument "fn: message".
---@param fn string
---@param message string
function errors.invalid(fn, message) end
---Checks an argument's type; raises InvalidArgument naming fn and name.
---@generic T
---@param fn string
---@param name string
---@param value T
---@param expected string a type() name, "Container" or "Image"
---@param optional boolean?
---@return T
function errors.check(fn, name, value, expected, optional) end
---Checks an options table against the known names; returns it (or {}).
---@param fn string
---@param opts table?
---@param known string[]
---@return table
function errors.options(fn, opts, known) end
---The name of a docker object, or nil.
---@param value any
---@return string? "Container", "Image", "Task"
function errors.object_name(value) end

return errors
