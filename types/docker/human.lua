---@meta docker.human
-- dockerlua LuaLS definitions: require("docker.human").

---@class docker.human
local human = {}
---@param bytes number
---@param opts {binary: boolean?, precision: integer?}?
---@return string
function human.size(bytes, opts) end
---@param seconds number
---@return string
function human.duration(seconds) end
---@param time number|string Unix seconds or RFC 3339
---@param now number?
---@return string
function human.ago(time, now) end
---@param value number|string
---@return number?
function human.time(value) end
---@param text string|number
---@return number seconds
function human.parse_duration(text) end
---@param text string|number
---@return integer bytes
function human.parse_size(text) end

return human
