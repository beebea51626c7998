#!/usr/bin/env dockerlua
-- Print the logs of a container given its id, id prefix or name.
--   dockerlua scripts/logs.lua CONTAINER
local id = arg[1]
if not id then
  io.stderr:write("usage: logs.lua CONTAINER\n")
  os.exit(2)
end
io.write(docker.containers.get(id):logs())
