-- The fuzz of issue 20: every public function and method (found by walking
-- the tables with pairs) called with bad values. Each call must succeed or
-- raise a typed error (a kind other than LuaError) whose tostring is one
-- line under 1 KB. Prints one line per failure, then "calls N failures M".
-- Arguments: mode ("dry" or "ro": options are fuzzed only under --dry-run),
-- then a container id, a network id and a volume name (objects to call
-- methods on; nothing is changed: --dry-run or --read-only).
local mode, container_id, network_id, volume_name = ...

-- 10 MB, as the probe of issue 20 gave them: ten thousand times the longest
-- message, and longer than any request may be.
local huge = string.rep("x", 10 * 1000 * 1000)
local cyclic = {} cyclic[1] = cyclic cyclic.self = cyclic
local image = docker.images.get("alpine")
local names, values = {}, {}
local function value(name, v) names[#names + 1] = name values[#names] = v end
value("nil", nil) value("nan", 0 / 0) value("inf", math.huge) value("-inf", -math.huge)
value("1e300", 1e300) value("-1e300", -1e300) value("-1", -1) value("huge string", huge)
value("bad utf-8", "\xff\xfe") value("true", true) value("empty table", {})
value("cyclic table", cyclic) value("function", function() return true end)
value("io.stdout", io.stdout) value("an Image", image)

-- Options often taken, given bad values (under --dry-run only).
local options = {
  "timeout", "name", "filters", "labels", "limit", "all", "mem_limit", "shm_size", "tail",
  "since", "until", "replicas", "environment", "ports", "volumes", "command", "tag",
}
local option_values = { 2, 3, 5, 7, 8, 9, 11, 12, 13 }

local calls, failures = 0, 0
local function typed(e)
  local t = type(e)
  if t ~= "userdata" and t ~= "table" then return false end
  local ok, kind = pcall(function() return e.kind end)
  return ok and type(kind) == "string" and kind ~= "LuaError"
end

local function check(label, f, n, ...)
  calls = calls + 1
  io.stderr:write("FUZZ ", label, "\n")
  local started = docker.clock()
  local ok, e = pcall(f, ...)
  if docker.clock() - started > 0.5 then
    io.stderr:write(("SLOW %.1f s %s\n"):format(docker.clock() - started, label))
  end
  if ok then return end
  local shown_ok, line = pcall(tostring, e)
  local why
  if not typed(e) then
    why = "untyped"
  elseif not shown_ok then
    why = "tostring raised"
  elseif line:find("[\r\n]") then
    why = "not one line"
  elseif #line >= 1024 then
    why = "longer than 1 KB (" .. #line .. ")"
  end
  if why then
    failures = failures + 1
    io.stdout:write(("FAIL\t%s\t%s\t%s"):format(label, why, (shown_ok and line or "?"):sub(1, 300):gsub("[\r\n]", "\\n")), "\n")
    io.stdout:flush()
  end
end

-- Calls that wait as long as they are asked to (an infinite sleep, a watch
-- loop given its function) or reach a registry over the network are left
-- out of those forms.
local function skipped(name, form, v)
  -- It ends the script on purpose (a usage error: exit status 2).
  if name == "args.fail" then return true end
  if name == "docker.sleep" and type(v) == "number" and v > 1e6 then return true end
  if name == "docker.watch" and type(v) == "function" then return true end
  if (name == "docker.images.get_registry_data" or name == "docker.login") and form == "named" then
    return true
  end
  return false
end

local function fuzz_function(name, f)
  for i = 1, #names do
    local v = values[i]
    if not skipped(name, "bare", v) then check(name .. "(" .. names[i] .. ")", f, 1, v) end
    if not skipped(name, "named", v) then check(name .. "('fuzz', " .. names[i] .. ")", f, 2, "fuzz", v) end
  end
  if mode ~= "dry" then return end
  for _, opt in ipairs(options) do
    for _, i in ipairs(option_values) do
      local label = ("%s{%s = %s}"):format(name, opt, names[i])
      if not skipped(name, "bare", nil) then check(label, f, 1, { [opt] = values[i] }) end
      if not skipped(name, "named", nil) then check(label .. " after 'fuzz'", f, 2, "fuzz", { [opt] = values[i] }) end
    end
  end
end

local function walk(t, prefix, seen)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local v = t[k]
    local name = prefix .. tostring(k)
    if type(v) == "function" then
      fuzz_function(name, v)
    elseif type(v) == "table" and not seen[v] then
      seen[v] = true
      walk(v, name .. ".", seen)
    end
  end
end

walk(docker, "docker.", {})
for _, module in ipairs { "args", "cleanup", "errors", "format", "human", "retry", "wait" } do
  walk(require("docker." .. module), module .. ".", {})
end

-- Methods: right receiver with bad arguments, and a wrong receiver.
local objects = {
  docker.containers.get(container_id), image, docker.networks.get(network_id),
  docker.volumes.get(volume_name),
}
for _, object in ipairs(objects) do
  local kind = debug.getmetatable(object).__name
  for _, member in ipairs(debug.getmetatable(object).__members) do
    local method = object[member]
    -- attach too: the container has exited, so it is refused at once.
    if type(method) == "function" then
      local name = kind .. ":" .. member
      for i = 1, #names do
        local v = values[i]
        check(name .. "(" .. names[i] .. ")", method, 2, object, v)
        check(name .. "('fuzz', " .. names[i] .. ")", method, 3, object, "fuzz", v)
        check(kind .. "." .. member .. "(" .. names[i] .. ")", method, 1, v)
      end
    end
  end
end

print(("calls %d failures %d"):format(calls, failures))
