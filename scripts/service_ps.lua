#!/usr/bin/env dockerlua
-- The tasks of services across the swarm, as `docker service ps` shows
-- them, with the node's id beside its hostname (nodes may share one).
--   dockerlua scripts/service_ps.lua [-q] [-f KEY=VALUE]... [SERVICE...]
local args = require("docker.args")
local format = require("docker.format")
local human = require("docker.human")

local usage = "service_ps.lua [-q] [-f KEY=VALUE]... [SERVICE...]"
local opts, names = args.parse(arg, {
  usage = usage,
  flags = { quiet = { "-q", "--quiet" } },
  values = { filter = { "-f", "--filter", multiple = true } },
})
local filters = {}
for _, f in ipairs(opts.filter) do
  local key, value = f:match("^([^=]+)=(.*)$")
  if not key then
    args.fail(usage, ("bad filter '%s' (KEY=VALUE expected)"):format(f))
  end
  filters[key] = filters[key] or {}
  table.insert(filters[key], value)
end

local services = {}
if #names == 0 then
  services = docker.services.list()
else
  services = docker.parallel(names, function(name)
    return docker.services.get(name)
  end)
end
local hostnames = {}
for _, node in ipairs(docker.nodes.list()) do
  hostnames[node.id] = node.hostname
end
-- One request per service, all at once.
local per_service = docker.parallel(services, function(s)
  return s:tasks({ filters = filters })
end)

local rows = {}
for i, s in ipairs(services) do
  for _, t in ipairs(per_service[i]) do
    rows[#rows + 1] = { service = s.name, task = t }
  end
end
table.sort(rows, function(a, b)
  if a.service ~= b.service then
    return a.service < b.service
  end
  local sa, sb = a.task.Slot or 0, b.task.Slot or 0
  if sa ~= sb then
    return sa < sb
  end
  -- Newest first within a slot, as the CLI shows a slot's history.
  return (a.task.Status.Timestamp or "") > (b.task.Status.Timestamp or "")
end)

if opts.quiet then
  for _, r in ipairs(rows) do
    print(r.task.ID)
  end
  return
end
local lines = { { "ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR" } }
for _, r in ipairs(rows) do
  local t = r.task
  local name = r.service .. (t.Slot and t.Slot > 0 and ("." .. t.Slot) or "")
  local image = t.Spec.ContainerSpec.Image:gsub("@sha256:%x+$", "")
  local node = t.NodeID and (hostnames[t.NodeID] or "?") .. " (" .. t.NodeID:sub(1, 12) .. ")" or ""
  local state = t.Status.State:sub(1, 1):upper() .. t.Status.State:sub(2)
  local current = state .. " " .. human.ago(t.Status.Timestamp)
  lines[#lines + 1] = { t.ID:sub(1, 12), name, image, node, t.DesiredState:sub(1, 1):upper() .. t.DesiredState:sub(2), current, t.Status.Err or "" }
end
io.write(format.tabulate(lines))
