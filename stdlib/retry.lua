--[[ docker.retry: call a function again when it fails, waiting longer each
time (exponential backoff). Waits with docker.sleep, so other tasks run.

  retry.call(fn [, opts], ...) -> the values of fn(...)
        calls fn(...) until it returns without raising. When every attempt
        failed, or retry_on says not to retry, raises the last error as it
        was (so err.kind still tells what happened).
  retry.wrap(fn [, opts]) -> function(...)   fn with retry.call built in
  retry.delays([opts]) -> array   the waits between attempts, in seconds,
        without jitter: delay, delay*factor, ..., each at most max_delay

  opts:
    attempts = 5       calls in all (1 = no retry)
    delay = 0.5        seconds before the second attempt
    factor = 2         each wait is the previous one times factor
    max_delay = 30     no wait is longer
    jitter = 0         0..1: each wait is shortened by up to this fraction,
                       at random, so that many clients do not retry in step
    retry_on = nil     which errors to retry: an array of error kinds
                       ({"ConnectionError", "Conflict"}), or a function
                       (err, attempt) -> boolean; default: every error
    on_retry = nil     function(err, attempt, wait) called before each wait
]]

local errors = require("docker.errors")
local docker = require("docker")

local M = {}

local KNOWN = { "attempts", "delay", "factor", "max_delay", "jitter", "retry_on", "on_retry" }

local function settings(fn, opts)
  opts = errors.options(fn, opts, KNOWN)
  for _, name in ipairs({ "attempts", "delay", "factor", "max_delay", "jitter" }) do
    errors.check(fn, "opts." .. name, opts[name], "number", true)
  end
  errors.check(fn, "opts.on_retry", opts.on_retry, "function", true)
  local retry_on = opts.retry_on
  if retry_on ~= nil and type(retry_on) ~= "table" and type(retry_on) ~= "function" then
    errors.invalid(fn, ("bad option 'retry_on' (array of kinds or function expected, got %s)"):format(type(retry_on)))
  end
  local s = {
    attempts = opts.attempts or 5,
    delay = opts.delay or 0.5,
    factor = opts.factor or 2,
    max_delay = opts.max_delay or 30,
    jitter = opts.jitter or 0,
    retry_on = retry_on,
    on_retry = opts.on_retry,
  }
  if math.type(s.attempts) ~= "integer" or s.attempts < 1 then
    errors.invalid(fn, "bad option 'attempts' (integer >= 1 expected)")
  end
  -- Written so that NaN (which compares false to everything) fails too.
  if not (s.delay >= 0 and s.factor >= 1 and s.max_delay >= 0 and s.jitter >= 0 and s.jitter <= 1) then
    errors.invalid(fn, "bad option (delay, max_delay >= 0, factor >= 1, jitter in 0..1 expected)")
  end
  return s
end

local function wanted(s, err, attempt)
  local r = s.retry_on
  if r == nil then
    return true
  elseif type(r) == "function" then
    return r(err, attempt) and true or false
  end
  return errors.is(err, table.unpack(r))
end

local function delays(s)
  local out, wait = {}, s.delay
  for i = 1, s.attempts - 1 do
    out[i] = math.min(wait, s.max_delay)
    wait = wait * s.factor
  end
  return out
end

function M.delays(opts)
  return delays(settings("retry.delays", opts))
end

local function call(s, fn, ...)
  local waits = delays(s)
  for attempt = 1, s.attempts do
    local result = table.pack(pcall(fn, ...))
    if result[1] then
      return table.unpack(result, 2, result.n)
    end
    local err = result[2]
    if attempt == s.attempts or not wanted(s, err, attempt) then
      error(err, 0)
    end
    local wait = waits[attempt] * (1 - s.jitter * math.random())
    if s.on_retry then
      s.on_retry(err, attempt, wait)
    end
    docker.sleep(wait)
  end
end

function M.call(fn, opts, ...)
  errors.check("retry.call", "fn", fn, "function")
  return call(settings("retry.call", opts), fn, ...)
end

function M.wrap(fn, opts)
  errors.check("retry.wrap", "fn", fn, "function")
  local s = settings("retry.wrap", opts)
  return function(...)
    return call(s, fn, ...)
  end
end

return M
