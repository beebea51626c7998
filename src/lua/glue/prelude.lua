-- `coroutine.resume`/`wrap` pass a docker call's pending state through to
-- our scheduler, so docker calls work inside users' own coroutines instead
-- of leaking mlua's internal "pending" value.
local PENDING = ...
local co_resume, co_yield, co_status = coroutine.resume, coroutine.yield, coroutine.status
local pack, unpack = table.pack, table.unpack

local function settle(co, r)
  while r[1] and r.n == 2 and r[2] == PENDING and co_status(co) == "suspended" do
    co_yield(PENDING)
    r = pack(co_resume(co))
  end
  return r
end

function coroutine.resume(co, ...)
  local r = settle(co, pack(co_resume(co, ...)))
  return unpack(r, 1, r.n)
end

function coroutine.wrap(f)
  local co = coroutine.create(f)
  return function(...)
    local r = settle(co, pack(co_resume(co, ...)))
    if not r[1] then error(r[2], 0) end
    return unpack(r, 2, r.n)
  end
end
