#!/usr/bin/env dockerlua
-- Print the logs of a container given its id, id prefix or name.
--   dockerlua scripts/logs.lua CONTAINER
local id = arg[1]
if not id then
  io.stderr:write("usage: logs.lua CONTAINER\n")
  os.exit(2)
end
-- Line by line as the engine sends them: memory stays small for logs of any
-- size (`c:logs()` would hold them all in one string first).
local write = io.write
for line in docker.containers.get(id):logs({ stream = true }) do
  write(line, "\n")
end
