-- Message handler: keeps the error value and adds the traceback where the
-- error happened, before the stack unwinds.
local f = ...
return function(...)
  local traceback
  local function handler(e)
    traceback = debug.traceback(nil, 2)
    return e
  end
  local ok, err = xpcall(f, handler, ...)
  if ok then return true end
  return false, err, traceback
end
