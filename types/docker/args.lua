---@meta docker.args
-- dockerlua LuaLS definitions: require("docker.args").

---@class ArgsSpec
---@field usage string
---@field flags table<string, string[]>?
---@field values table<string, {[integer]: string, multiple: boolean?, number: boolean?, default: any, choices: string[]?}>?
---@field min integer?
---@field max integer?

---@class docker.args
local args = {}
---Parses a script's arguments by the spec; on a mistake prints the usage and exits 2.
---@param argv string[]
---@param spec ArgsSpec
---@return table opts
---@return string[] positional
function args.parse(argv, spec) end
---Prints the usage (and message) on stderr and exits 2.
---@param usage string
---@param message string?
function args.fail(usage, message) end

return args
