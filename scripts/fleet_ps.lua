#!/usr/bin/env dockerlua
-- `docker ps` across a fleet: every context (or those named with -c), asked
-- in parallel, in one table with a CONTEXT column. A context that cannot be
-- reached is reported on stderr and makes the exit status 1; the others
-- are still listed.
--   dockerlua scripts/fleet_ps.lua [-a] [-c CONTEXT]... [--format table|json]
local args = require("docker.args")
local format = require("docker.format")
local json = docker.json

local usage = "fleet_ps.lua [-a] [-c CONTEXT]... [--format table|json]"
local opts = args.parse(arg, {
  usage = usage,
  flags = { all = { "-a", "--all" } },
  values = {
    context = { "-c", "--context", multiple = true },
    format = { "--format", default = "table", choices = { "table", "json" } },
  },
  max = 0,
})

local names = opts.context
if #names == 0 then
  for _, c in ipairs(docker.contexts()) do
    names[#names + 1] = c.name
  end
end

-- Each context's rows, or its error; pcall inside, so one unreachable
-- engine does not hide the others.
local answers = docker.parallel(names, function(name)
  local ok, result = pcall(function()
    local client = docker.context(name)
    return format.rows(client.containers.list({ all = opts.all }))
  end)
  return ok and { rows = result } or { error = result }
end)

local lines, objects, failed = {}, {}, 0
lines[1] = { "CONTEXT", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" }
for i, name in ipairs(names) do
  local answer = answers[i]
  if answer.error then
    failed = failed + 1
    io.stderr:write(("fleet_ps: %s: %s\n"):format(name, tostring(answer.error)))
  else
    for _, r in ipairs(answer.rows) do
      lines[#lines + 1] = { name, r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names }
      objects[#objects + 1] = {
        Context = name, ID = r.ID, Image = r.Image, Command = r.Command,
        RunningFor = r.RunningFor, Status = r.Status, State = r.State, Ports = r.Ports, Names = r.Names,
      }
    end
  end
end
if opts.format == "json" then
  for _, o in ipairs(objects) do
    io.write(json.encode(o), "\n")
  end
else
  io.write(format.tabulate(lines))
end
if failed > 0 then
  os.exit(1)
end
