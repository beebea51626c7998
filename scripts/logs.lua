#!/usr/bin/env dockerlua
-- Print the logs of a container given its id, id prefix or name, line by
-- line: memory stays flat whatever the size of the logs.
--   dockerlua scripts/logs.lua CONTAINER
local id = arg[1]
if not id then
  io.stderr:write("usage: logs.lua CONTAINER\n")
  os.exit(2)
end
local write = io.write
for line in docker.containers.get(id):logs{stream = true} do
  write(line, "\n")
end
