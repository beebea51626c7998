-- Loads an embedded module and wraps its functions: a Lua error raised by
-- the module's own code (a bad argument it did not check: `attempt to index
-- a nil value`) becomes an `InvalidArgument` naming the function; errors
-- raised on purpose, and those of the caller's own functions, pass as they
-- are.
local chunk, module, raise = ...
local function guard(name, f)
  local function passed(ok, ...)
    if ok then return ... end
    local e = ...
    -- A runtime error of Lua itself has no position when a C function
    -- (an `ipairs` iterator) hit it: the module's too.
    if type(e) == "string" and (e:find("^stdlib/") or e:find("^attempt to ")) then
      raise(name, e)
    end
    error(e, 0)
  end
  return function(...)
    return passed(pcall(f, ...))
  end
end
return function(...)
  local M = chunk(...)
  if type(M) == "table" then
    for k, v in pairs(M) do
      if type(v) == "function" then
        M[k] = guard(module .. "." .. tostring(k), v)
      end
    end
  end
  return M
end
