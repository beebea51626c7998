#!/usr/bin/env dockerlua
-- List containers, like `docker ps`: one line each, id, image, status, name.
--   dockerlua scripts/list.lua [--all] [--limit N] [--filter KEY=VALUE]...
local opts = { filters = {} }
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "--all" or a == "-a" then
    opts.all = true
  elseif a == "--limit" or a == "-n" then
    i = i + 1
    opts.limit = math.tointeger(tonumber(arg[i]))
  elseif a == "--filter" or a == "-f" then
    i = i + 1
    local key, value = (arg[i] or ""):match("^([^=]+)=(.*)$")
    if not key then
      io.stderr:write("usage: list.lua [--all] [--limit N] [--filter KEY=VALUE]...\n")
      os.exit(2)
    end
    local values = opts.filters[key] or {}
    values[#values + 1] = value
    opts.filters[key] = values
  else
    io.stderr:write("usage: list.lua [--all] [--limit N] [--filter KEY=VALUE]...\n")
    os.exit(2)
  end
  i = i + 1
end
for _, c in ipairs(docker.containers.list(opts)) do
  print(c.short_id, c.image, c.status, c.name)
end
