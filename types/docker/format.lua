---@meta docker.format
-- dockerlua LuaLS definitions: require("docker.format").

---@class (exact) FormatOptions
---@field no_trunc boolean?
---@field quiet boolean?
---@field header boolean?
---@field now number?
---@field lines boolean? format.json: one object a line
---@field raw boolean? format.json: the engine's attrs

---@class docker.format
local format = {}
---`docker ps`'s table.
---@param list (Container|table)[]
---@param opts FormatOptions?
---@return string
function format.containers(list, opts) end
---`docker images`'s table, one row per tag.
---@param list (Image|table)[]
---@param opts FormatOptions?
---@return string
function format.images(list, opts) end
---The rows those tables show, as tables keyed by column.
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return table[]
function format.rows(list, opts) end
---The rows as JSON (lines = true: one object a line; raw = true: the engine's attrs).
---@param list (Container|Image|table)[]
---@param opts FormatOptions?
---@return string
function format.json(list, opts) end
---Rows of strings in the CLI's aligned columns (the first row the header).
---@param rows string[][]
---@param opts {padding: integer?, min_width: integer?}?
---@return string
function format.tabulate(rows, opts) end
---"container", "image" or nil.
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
