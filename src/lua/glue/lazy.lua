-- The closure of every lazy function (src/lua/lazy.rs): makes the real
-- function on the first call, then hands every call straight to it.
local make = ...
local real
return function(...)
  if not real then real = make() make = nil end
  return real(...)
end
