#!/usr/bin/env dockerlua
-- Print the logs of a container given its id, id prefix or name.
--   dockerlua scripts/logs.lua CONTAINER
local id = arg[1]
if not id then
  io.stderr:write("usage: logs.lua CONTAINER\n")
  os.exit(2)
end
-- The fastest way for logs that fit in memory: one string. For logs of any
-- size, `for line in c:logs{stream = true} do io.write(line, "\n") end`
-- keeps memory flat, at about 10% more time (the engine sends each line as a
-- chunk of its own, and each is a step of the loop).
io.write(docker.containers.get(id):logs())
