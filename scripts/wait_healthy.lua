#!/usr/bin/env dockerlua
-- Wait until containers report healthy; exit 1 if one does not in time.
--   dockerlua scripts/wait_healthy.lua [-t SECONDS] CONTAINER...
local args = require("docker.args")
local wait = require("docker.wait")
local human = require("docker.human")

local usage = "wait_healthy.lua [-t|--timeout DURATION] CONTAINER..."
local opts, names = args.parse(arg, {
  usage = usage,
  values = { timeout = { "-t", "--timeout", default = "60s" } },
  min = 1,
})
local ok, timeout = pcall(human.parse_duration, opts.timeout)
if not ok then
  args.fail(usage, tostring(timeout))
end
local results = docker.parallel(names, function(name)
  local done, err = pcall(wait.healthy, name, { timeout = timeout })
  if done then
    print(name .. " healthy")
  else
    io.stderr:write(tostring(err), "\n")
  end
  return done
end)
for _, done in ipairs(results) do
  if not done then
    os.exit(1)
  end
end
