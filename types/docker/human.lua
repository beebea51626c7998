---@meta docker.human
-- dockerlua LuaLS definitions: require("docker.human").

---@class docker.human
local human = {}
---Bytes as the docker CLI shows them: 1234567 -> "1.23MB" (binary: "1.18MiB").
---@param bytes number
---@param opts {binary: boolean?, precision: integer?}?
---@return string
function human.size(bytes, opts) end
---Seconds as the docker CLI says them: "About a minute", "3 hours".
---@param seconds number
---@return string
function human.duration(seconds) end
---"5 minutes ago" for Unix seconds or an RFC 3339 time.
---@param time number|string Unix seconds or RFC 3339
---@param now number?
---@return string
function human.ago(time, now) end
---Unix seconds of an RFC 3339 time (nil for the engine's zero time).
---@param value number|string
---@return number?
function human.time(value) end
---"1h30m" -> 5400, "250ms" -> 0.25.
---@param text string|number
---@return number seconds
function human.parse_duration(text) end
---"512m" -> 536870912 (1024-based).
---@param text string|number
---@return integer bytes
function human.parse_size(text) end

return human
