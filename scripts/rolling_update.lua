#!/usr/bin/env dockerlua
-- Roll a service onto a new image, wait until every task runs it, and roll
-- back to the previous spec if it does not converge in time (exit 1). The
-- tasks must then keep running for a while (`--stable`, default 5 s, as
-- `docker service update` verifies), so that a crash loop is a failure.
--   dockerlua scripts/rolling_update.lua [-t TIMEOUT] [-s STABLE] SERVICE IMAGE
local args = require("docker.args")
local human = require("docker.human")

local usage = "rolling_update.lua [-t|--timeout DURATION] [-s|--stable DURATION] SERVICE IMAGE"
local opts, pos = args.parse(arg, {
  usage = usage,
  values = {
    timeout = { "-t", "--timeout", default = "120s" },
    stable = { "-s", "--stable", default = "5s" },
  },
  min = 2,
  max = 2,
})
local function seconds(text)
  local ok, value = pcall(human.parse_duration, text)
  if not ok then
    args.fail(usage, tostring(value))
  end
  return value
end
local timeout, stable = seconds(opts.timeout), seconds(opts.stable)
local service, image = docker.services.get(pos[1]), pos[2]
local before = service.attrs.Spec.TaskTemplate.ContainerSpec.Image

print(("%s: updating %s -> %s"):format(service.name, before, image))
service:update({ image = image })
local converged, err = pcall(service.wait, service, { timeout = timeout, stable = stable })
-- An update_config with failure_action = "rollback" makes the engine undo
-- the update itself: converged, but not on the new image.
local state = service.attrs.UpdateStatus and service.attrs.UpdateStatus.State
if converged and state ~= "rollback_completed" then
  print(("%s: every task runs %s"):format(service.name, image))
  return
end
io.stderr:write(("%s: update failed: %s\n"):format(service.name, converged and "the engine rolled it back" or tostring(err)))
if state ~= "rollback_completed" then
  print(("%s: rolling back to %s"):format(service.name, before))
  service:rollback()
  service:wait({ timeout = timeout })
end
print(("%s: back on %s"):format(service.name, before))
os.exit(1)
