#!/usr/bin/env dockerlua
-- Start again containers labelled restart-on-failure=true that exit with a
-- non-zero status (a restart policy run from outside the engine, with a
-- log line per restart): the next start of a container waits twice as long
-- as the one before, and after --max-restarts the container is left stopped.
--   dockerlua scripts/restart_on_failure.lua [--label KEY=VALUE]...
--             [--backoff DURATION] [--max-restarts N]
local args = require("docker.args")
local human = require("docker.human")

local usage = "restart_on_failure.lua [--label KEY=VALUE]... [--backoff DURATION] [--max-restarts N]"
local opts = args.parse(arg, {
  usage = usage,
  values = {
    label = { "-l", "--label", multiple = true },
    backoff = { "--backoff", default = "1s" },
    max_restarts = { "--max-restarts", number = true, default = 5 },
  },
  max = 0,
})
local ok, backoff = pcall(human.parse_duration, opts.backoff)
if not ok then args.fail(usage, tostring(backoff)) end
local labels = #opts.label > 0 and opts.label or { "restart-on-failure=true" }

local function log(...) print("restart_on_failure: " .. string.format(...)) io.stdout:flush() end

local restarts = {}   -- by container id
local events = docker.events({
  reconnect = true,
  filters = { type = "container", event = { "die", "destroy" }, label = labels },
})
log("watching containers labelled %s", table.concat(labels, ", "))
for e in events do
  local id, attrs = e.Actor and e.Actor.ID, e.Actor and e.Actor.Attributes or {}
  if e.Action == "destroy" then
    restarts[id] = nil
  elseif e.Action == "die" and attrs.exitCode ~= "0" then
    local n = (restarts[id] or 0) + 1
    restarts[id] = n
    if n > opts.max_restarts then
      if n == opts.max_restarts + 1 then
        log("giving up on %s after %d restarts (exit code %s)", attrs.name, n - 1, attrs.exitCode)
      end
    else
      local delay = backoff * 2 ^ (n - 1)
      log("%s exited with %s: starting it again in %gs (restart %d of %d)",
        attrs.name, attrs.exitCode, delay, n, opts.max_restarts)
      -- In a task, so that the other containers' events go on meanwhile.
      docker.spawn(function()
        docker.sleep(delay)
        local started, err = pcall(function() docker.containers.get(id):start() end)
        if not started then log("cannot start %s: %s", attrs.name, tostring(err)) end
      end)
    end
  end
end
