--[[ docker.errors: error objects for scripts and the stdlib, shaped like the
docker module's own: err.kind, err.message, and tostring(err) is one line.

  errors.new(kind, message [, fields]) -> err   an error object (a table);
                                  kind must be a string
  errors.raise(kind, message [, fields])        error(errors.new(...), 0)
  errors.kind(err) -> string      "NotFound", "Timeout", ...; "LuaError" for
                                  a plain string or anything without a kind
  errors.kinds                    the kinds the docker module raises, in an
                                  array ("NotFound", ..., "ReadOnly")
  errors.is(err, kind, ...) -> boolean   is err's kind one of these?
  errors.message(err) -> string   err.message, or tostring(err)
  errors.invalid(fn, message)     raises InvalidArgument "fn: message"
  errors.check(fn, name, value, expected [, optional]) -> value
                                  raises InvalidArgument unless type(value)
                                  is `expected` ("Container" and "Image" also
                                  name the docker objects; nil passes when
                                  optional)
  errors.options(fn, opts, known) -> table
                                  opts (or {}) after checking that it is a
                                  table whose keys are all in the array `known`
  errors.object_name(value) -> string?  "Container", "Image", "Task" for a
                                  docker object, nil for anything else
]]

local M = {}

-- The docker module's kinds (src/engine/error.rs, plus the Lua layer's own).
M.kinds = {
  "NotFound", "ImageNotFound", "Conflict", "ImageLoadError", "APIError", "ContainerError",
  "ConnectionError", "Timeout", "InvalidArgument", "ReadOnly",
  "ParallelError", "TaskError",
}

local Error = {}
Error.__index = Error
Error.__name = "DockerError"
local escapes = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- One line of at most about 900 bytes, as the docker module's errors: control
-- characters escaped, a long message cut in the middle.
local function one_line(text)
  text = text:gsub("%s+$", ""):gsub("%c", function(c)
    return escapes[c] or ("\\x%02x"):format(c:byte())
  end)
  if #text > 900 then
    text = ("%s …(%d bytes left out)… %s"):format(text:sub(1, 600), #text - 825, text:sub(-225))
  end
  return text
end

function Error:__tostring()
  -- Fields may have been changed since: tostring must not raise.
  return one_line(tostring(rawget(self, "kind") or "LuaError") .. ": " .. tostring(rawget(self, "message")))
end

function M.new(kind, message, fields)
  if type(kind) ~= "string" then
    error(M.new("InvalidArgument", ("errors.new: bad argument 'kind' (string expected, got %s)"):format(type(kind))), 2)
  end
  if fields ~= nil and type(fields) ~= "table" then
    error(M.new("InvalidArgument", ("errors.new: bad argument 'fields' (table expected, got %s)"):format(type(fields))), 2)
  end
  local err = {}
  if fields then
    for k, v in pairs(fields) do
      err[k] = v
    end
  end
  err.kind, err.message = kind, message
  return setmetatable(err, Error)
end

function M.raise(kind, message, fields)
  error(M.new(kind, message, fields), 0)
end

function M.invalid(fn, message)
  for _, arg in ipairs { { "fn", fn }, { "message", message } } do
    if type(arg[2]) ~= "string" then
      M.raise("InvalidArgument", ("errors.invalid: bad argument '%s' (string expected, got %s)"):format(arg[1], type(arg[2])))
    end
  end
  M.raise("InvalidArgument", fn .. ": " .. message)
end

function M.kind(err)
  local t = type(err)
  if t == "table" or t == "userdata" then
    -- The docker module's errors are userdata whose __index answers `kind`.
    local ok, kind = pcall(function() return err.kind end)
    if ok and type(kind) == "string" then
      return kind
    end
  end
  return "LuaError"
end

function M.is(err, ...)
  local kind = M.kind(err)
  for i = 1, select("#", ...) do
    if kind == select(i, ...) then
      return true
    end
  end
  return false
end

function M.message(err)
  local t = type(err)
  if t == "table" or t == "userdata" then
    local ok, message = pcall(function() return err.message end)
    if ok and type(message) == "string" then
      return message
    end
  end
  return tostring(err)
end

-- The name a docker object's metatable gives it ("Container", "Image").
local function object_name(value)
  if type(value) ~= "userdata" then
    return nil
  end
  local mt = debug.getmetatable(value)
  return mt and rawget(mt, "__name")
end
M.object_name = object_name

local function type_of(value)
  return object_name(value) or type(value)
end

function M.check(fn, name, value, expected, optional)
  if value == nil and optional then
    return nil
  end
  local actual = type(value)
  if actual == expected or object_name(value) == expected then
    return value
  end
  M.invalid(fn, ("bad argument '%s' (%s expected, got %s)"):format(name, expected, type_of(value)))
end

function M.options(fn, opts, known)
  if opts == nil then
    return {}
  end
  if type(opts) ~= "table" then
    M.invalid(fn, ("bad argument 'opts' (table expected, got %s)"):format(type_of(opts)))
  end
  for key in pairs(opts) do
    local found = false
    for _, k in ipairs(known) do
      if k == key then
        found = true
        break
      end
    end
    if not found then
      M.invalid(fn, ("unknown option '%s'"):format(tostring(key)))
    end
  end
  return opts
end

return M
