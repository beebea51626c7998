--[[ docker.wait: wait until something is so, with a timeout. Polls with
docker.sleep, so other tasks (docker.spawn, docker.parallel) run meanwhile.

  wait.poll(fn [, opts]) -> the values of fn
        calls fn() until it returns a truthy first value and returns what it
        returned. opts.timeout: seconds (default 30); opts.interval: seconds
        between calls (default 0.25); opts.what: words for the error message.
  wait.healthy(container [, opts]) -> Container
        until the container's healthcheck says "healthy". container: a
        Container, or an id or name. Default timeout 60 s, interval 0.5 s.
        A container that turns "unhealthy" (its retries used up) raises a
        WaitError at once, with the last probe's exit status and output
        (fields status = "unhealthy", output, exit_status).
  wait.log(container, pattern [, opts]) -> line
        until a line of the container's output matches `pattern` (a Lua
        pattern; opts.plain = true for a plain substring); returns that line.
        opts.stream = "stdout" or "stderr" to look at one stream only.
        Default timeout 30 s, interval 0.25 s.
  wait.port(target, port [, opts]) -> host, port
        until a TCP connection to the port succeeds. target: a host name or
        address ("127.0.0.1"), or a Container: then `port` is the container's
        own port (80 or "80/tcp"), probed on the container's address (its
        first network's; 127.0.0.1 with network "host"). The engine's port
        proxy accepts connections on a published port before the server in
        the container listens, so the host side proves nothing; where
        container addresses are not reachable (Docker Desktop), pass
        opts.published = true to probe the published host port anyway.
        Default timeout 30 s, interval 0.25 s; opts.probe_timeout: seconds
        per attempt (default 1).

  Every function takes opts.timeout and opts.interval, and opts.client (a
  client from docker.connect) where it looks a container up by name.
  Errors: kind "Timeout" when the time is up; kind "WaitError" when waiting
  can no longer succeed (the container stopped, it has no healthcheck, the
  port is not published); InvalidArgument for bad arguments.
]]

local errors = require("docker.errors")
local docker = require("docker")

local M = {}

local function timing(fn, opts, default_timeout, default_interval)
  errors.check(fn, "opts.timeout", opts.timeout, "number", true)
  errors.check(fn, "opts.interval", opts.interval, "number", true)
  local timeout = opts.timeout or default_timeout
  local interval = opts.interval or default_interval
  -- NaN compares false to everything: it would never expire.
  if not (timeout >= 0) or not (interval > 0) then
    errors.invalid(fn, "bad option (timeout must be >= 0 and interval > 0)")
  end
  return timeout, interval
end

-- Calls check() until it returns a truthy value; raises Timeout after
-- `timeout` seconds. check may raise to give up early.
local function until_true(fn, what, timeout, interval, check)
  local deadline = docker.clock() + timeout
  while true do
    local result = table.pack(check())
    if result[1] then
      return table.unpack(result, 1, result.n)
    end
    local left = deadline - docker.clock()
    if left <= 0 then
      errors.raise("Timeout", ("%s: %s: not so after %g s"):format(fn, what, timeout), { timeout = timeout })
    end
    docker.sleep(math.min(interval, left))
  end
end

function M.poll(fn, opts)
  errors.check("wait.poll", "fn", fn, "function")
  opts = errors.options("wait.poll", opts, { "timeout", "interval", "what" })
  errors.check("wait.poll", "opts.what", opts.what, "string", true)
  local timeout, interval = timing("wait.poll", opts, 30, 0.25)
  return until_true("wait.poll", opts.what or "condition", timeout, interval, fn)
end

local function container_of(fn, value, client)
  if errors.object_name(value) == "Container" then
    return value
  end
  if type(value) ~= "string" then
    errors.invalid(fn, ("bad argument 'container' (Container, id or name expected, got %s)"):format(type(value)))
  end
  return (client or docker).containers.get(value)
end

local function give_up(fn, message)
  errors.raise("WaitError", fn .. ": " .. message)
end

function M.healthy(container, opts)
  local fn = "wait.healthy"
  opts = errors.options(fn, opts, { "timeout", "interval", "client" })
  local timeout, interval = timing(fn, opts, 60, 0.5)
  local c = container_of(fn, container, opts.client)
  return until_true(fn, "container " .. c.name .. " healthy", timeout, interval, function()
    c:reload()
    local state = c.attrs.State or {}
    local health = state.Health
    if not health then
      give_up(fn, ("container %s has no healthcheck"):format(c.name))
    end
    if health.Status == "healthy" then
      return c
    end
    -- Retries are used up: waiting longer would only wait out the timeout.
    if health.Status == "unhealthy" then
      local log = health.Log or {}
      local last = log[#log] or {}
      local output = tostring(last.Output or ""):gsub("%s+$", "")
      if #output > 200 then
        output = output:sub(1, 200) .. "..."
      end
      errors.raise("WaitError", ("%s: container %s is unhealthy (last probe: exit status %s%s)"):format(
        fn, c.name, tostring(last.ExitCode), output ~= "" and (": " .. output) or ""),
        { status = "unhealthy", output = last.Output, exit_status = last.ExitCode })
    end
    if not state.Running then
      give_up(fn, ("container %s is %s (exit status %s), not healthy"):format(c.name, c.status, tostring(state.ExitCode)))
    end
    return nil
  end)
end

function M.log(container, pattern, opts)
  local fn = "wait.log"
  errors.check(fn, "pattern", pattern, "string")
  opts = errors.options(fn, opts, { "timeout", "interval", "plain", "stream", "client" })
  if opts.stream ~= nil and opts.stream ~= "stdout" and opts.stream ~= "stderr" then
    errors.invalid(fn, "bad option 'stream' (\"stdout\" or \"stderr\" expected)")
  end
  local timeout, interval = timing(fn, opts, 30, 0.25)
  local c = container_of(fn, container, opts.client)
  local plain = opts.plain and true or false
  if not plain then
    -- A malformed pattern fails here, not on the first log line.
    local ok, err = pcall(string.find, "", pattern)
    if not ok then
      errors.invalid(fn, "bad argument 'pattern' (" .. tostring(err) .. ")")
    end
  end
  local logs_opts = {
    stdout = opts.stream ~= "stderr",
    stderr = opts.stream ~= "stdout",
  }
  local checked = 0 -- lines already looked at
  return until_true(fn, ("log of %s shows '%s'"):format(c.name, pattern), timeout, interval, function()
    -- Read the state before the logs: a container that had stopped before
    -- this read has all its output in it, so no line can be missed.
    c:reload()
    local running = c.status == "running" or c.status == "restarting" or c.status == "created"
    local n = 0
    for line in (c:logs(logs_opts) .. "\n"):gmatch("(.-)\r?\n") do
      n = n + 1
      if n > checked and line:find(pattern, 1, plain) then
        return line
      end
    end
    checked = math.max(n - 1, 0) -- the last line may be incomplete
    if not running then
      give_up(fn, ("container %s is %s and its log never showed '%s'"):format(c.name, c.status, pattern))
    end
    return nil
  end)
end

local function port_key(port)
  local key = tostring(port)
  if not key:find("/", 1, true) then
    key = key .. "/tcp"
  end
  return key
end

local function published(fn, c, port)
  local key = port_key(port)
  c:reload()
  local ports = c.attrs.NetworkSettings and c.attrs.NetworkSettings.Ports or {}
  local bindings = ports[key]
  if type(bindings) ~= "table" or not bindings[1] then
    give_up(fn, ("port %s of container %s is not published"):format(key, c.name))
  end
  local b = bindings[1]
  local host = b.HostIp
  if host == nil or host == "" or host == "0.0.0.0" then
    host = "127.0.0.1"
  elseif host == "::" then
    host = "::1"
  end
  return host, math.tointeger(tonumber(b.HostPort))
end

local function own_address(fn, c, port)
  local number = math.tointeger(tonumber((port_key(port):match("^(%d+)/tcp$"))))
  if not number then
    errors.invalid(fn, ("bad argument 'port' (a TCP port expected, got '%s')"):format(tostring(port)))
  end
  c:reload()
  local settings = c.attrs.NetworkSettings or {}
  -- The top-level address (the default bridge's) is gone from API 1.52 on
  -- and empty on other networks: then the first network's, by name.
  local ip = settings.IPAddress
  if not ip or ip == "" then
    local names = {}
    for name, net in pairs(settings.Networks or {}) do
      if type(net) == "table" and net.IPAddress and net.IPAddress ~= "" then
        names[#names + 1] = name
      end
    end
    table.sort(names)
    ip = names[1] and settings.Networks[names[1]].IPAddress
  end
  if not ip or ip == "" then
    if (c.attrs.HostConfig or {}).NetworkMode ~= "host" then
      give_up(fn, ("container %s has no network address (is it running?)"):format(c.name))
    end
    ip = "127.0.0.1"
  end
  return ip, number
end

function M.port(target, port, opts)
  local fn = "wait.port"
  opts = errors.options(fn, opts, { "timeout", "interval", "probe_timeout", "published" })
  local timeout, interval = timing(fn, opts, 30, 0.25)
  errors.check(fn, "opts.probe_timeout", opts.probe_timeout, "number", true)
  if opts.probe_timeout and not (opts.probe_timeout >= 0) then
    errors.invalid(fn, "bad option 'probe_timeout' (non-negative seconds expected)")
  end
  local host
  if errors.object_name(target) == "Container" then
    if type(port) ~= "number" and type(port) ~= "string" then
      errors.invalid(fn, ("bad argument 'port' (number or string expected, got %s)"):format(type(port)))
    end
    if opts.published then
      host, port = published(fn, target, port)
    else
      host, port = own_address(fn, target, port)
    end
  else
    host = errors.check(fn, "target", target, "string")
    if math.type(port) ~= "integer" or port < 1 or port > 65535 then
      errors.invalid(fn, ("bad argument 'port' (integer 1-65535 expected, got %s)"):format(tostring(port)))
    end
  end
  local probe_timeout = opts.probe_timeout or 1
  return until_true(fn, ("%s:%d answers"):format(host, port), timeout, interval, function()
    if docker.net.probe(host, port, probe_timeout) then
      return host, port
    end
    return nil
  end)
end

return M
