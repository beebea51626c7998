---@meta docker.retry
-- dockerlua LuaLS definitions: require("docker.retry").

---@class (exact) RetryOptions
---@field attempts integer?
---@field delay number?
---@field factor number?
---@field max_delay number?
---@field jitter number?
---@field retry_on string[]|fun(err: any, attempt: integer): boolean?
---@field on_retry fun(err: any, attempt: integer, wait: number)?

---@class docker.retry
local retry = {}
---Calls fn until it succeeds, with exponential backoff, retrying the kinds asked for.
---@param fn function
---@param opts RetryOptions?
---@param ... any arguments for fn
---@return any ...
function retry.call(fn, opts, ...) end
---fn wrapped in retry.call.
---@generic F
---@param fn F
---@param opts RetryOptions?
---@return F
function retry.wrap(fn, opts) end
---The delays retry.call would wait, for the options.
---@param opts RetryOptions?
---@return number[]
function retry.delays(opts) end

return retry
