#!/usr/bin/env dockerlua
-- Restart running containers labelled autoheal=true that turn unhealthy, as
-- the autoheal image does; after each restart of a container the next one
-- waits twice as long, and after --max-restarts the container is left alone
-- (it is forgiven once it has stayed healthy for --forgive).
--   dockerlua scripts/autoheal.lua [--label KEY=VALUE]... [-t SECONDS]
--             [--backoff DURATION] [--max-restarts N] [--forgive DURATION]
local args = require("docker.args")
local human = require("docker.human")

local usage = "autoheal.lua [--label KEY=VALUE]... [-t|--timeout SECONDS] "
  .. "[--backoff DURATION] [--max-restarts N] [--forgive DURATION]"
local opts = args.parse(arg, {
  usage = usage,
  values = {
    label = { "-l", "--label", multiple = true },
    timeout = { "-t", "--timeout", number = true, default = 10 },
    backoff = { "--backoff", default = "10s" },
    max_restarts = { "--max-restarts", number = true, default = 5 },
    forgive = { "--forgive", default = "10m" },
  },
  max = 0,
})
local function duration(name)
  local ok, seconds = pcall(human.parse_duration, opts[name])
  if not ok then args.fail(usage, tostring(seconds)) end
  return seconds
end
local backoff, forgive = duration("backoff"), duration("forgive")
local labels = #opts.label > 0 and opts.label or { "autoheal=true" }

local function log(...) print("autoheal: " .. string.format(...)) io.stdout:flush() end

-- By container id: restarts so far, when the next may happen, since when healthy.
local state = {}
local started = false

docker.watch({ filters = { label = labels }, resync = math.max(backoff, 1) }, function(containers)
  local now = docker.clock()
  if not started then
    log("watching %d containers labelled %s", #containers, table.concat(labels, ", "))
    started = true
  end
  for _, c in ipairs(containers) do
    local s = state[c.id]
    if c.health == "unhealthy" then
      s = s or { restarts = 0, next = 0 }
      state[c.id] = s
      s.healthy_since = nil
      if s.restarts >= opts.max_restarts then
        if not s.gave_up then
          log("giving up on %s after %d restarts", c.name, s.restarts)
          s.gave_up = true
        end
      elseif now >= s.next then
        s.restarts = s.restarts + 1
        log("restarting %s (unhealthy; restart %d of %d)", c.name, s.restarts, opts.max_restarts)
        local ok, err = pcall(c.restart, c, { timeout = opts.timeout })
        if not ok then log("cannot restart %s: %s", c.name, tostring(err)) end
        s.next = docker.clock() + backoff * 2 ^ (s.restarts - 1)
      end
    elseif s and c.health == "healthy" then
      s.healthy_since = s.healthy_since or now
      if now - s.healthy_since >= forgive then state[c.id] = nil end
    end
  end
end)
