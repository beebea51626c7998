#!/usr/bin/env dockerlua
-- Stop all running containers, or only those with a label.
--   dockerlua scripts/stop_all.lua [LABEL[=VALUE]] [--timeout SECONDS]
local label, timeout
local i = 1
while i <= #arg do
  if arg[i] == "--timeout" or arg[i] == "-t" then
    i = i + 1
    timeout = math.tointeger(tonumber(arg[i]))
    if not timeout then
      io.stderr:write("usage: stop_all.lua [LABEL[=VALUE]] [--timeout SECONDS]\n")
      os.exit(2)
    end
  else
    label = arg[i]
  end
  i = i + 1
end
local containers = docker.containers.list({ filters = label and { label = label } or nil })
-- Each stop waits for the container to end; stop them all at once, up to
-- 50 at a time as `docker stop` does (the default of 16 would make 30
-- containers take two rounds of stop timeouts).
docker.parallel(containers, function(c)
  c:stop({ timeout = timeout })
  print(c.short_id, c.name, c.status)
end, { limit = 50 })
