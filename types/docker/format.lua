---@meta docker.format
-- dockerlua LuaLS definitions: require("docker.format").

---@class FormatOptions
---@field no_trunc boolean?
---@field quiet boolean?
---@field header boolean?
---@field now number?
---@field lines boolean? format.json: one object a line
---@field raw boolean? format.json: the engine's attrs

---@class docker.format
local format = {}
---@param list (Container|table)[]
---@param opts FormatOptions?
---@return string
function format.containers(list, opts) end
---@param list (Image|table)[]
---@param opts FormatOptions?
---@return string
function format.images(list, opts) end
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return table[]
function format.rows(list, opts) end
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return string
function format.json(list, opts) end
---@param rows string[][]
---@param opts {padding: integer?, min_width: integer?}?
---@return string
function format.tabulate(rows, opts) end
---@param value any
---@return "container"|"image"|nil
function format.kind(value) end
---`docker stats --no-stream`'s table from stats samples (`c:stats()`).
---@param samples table|table[] one sample or an array of them
---@param opts {header: boolean?, no_trunc: boolean?}?
---@return string
function format.stats(samples, opts) end
---`docker top`'s table from `c:top()`.
---@param top {Titles: string[], Processes: string[][]}
---@param opts {header: boolean?}?
---@return string
function format.top(top, opts) end

return format
