#!/usr/bin/env dockerlua
-- Follow the logs of several containers at once, each line prefixed with the
-- container's name, until all of them have stopped.
--   dockerlua scripts/follow.lua [--tail N] CONTAINER...
local args = require("docker.args")

local opts, names = args.parse(arg, {
  usage = "follow.lua [--tail N] CONTAINER...",
  values = { tail = { "--tail", default = "all" } },
  min = 1,
})
local containers = {}
local width = 0
for i, name in ipairs(names) do
  containers[i] = docker.containers.get(name)
  width = math.max(width, #containers[i].name)
end
-- One task per container; lines interleave as they arrive.
docker.parallel(containers, function(c)
  local prefix = c.name .. (" "):rep(width - #c.name) .. " | "
  for line, stream in c:logs({ follow = true, tail = opts.tail }) do
    local out = stream == "stderr" and io.stderr or io.stdout
    out:write(prefix, line, "\n")
    out:flush()
  end
end, { limit = #containers })
