#!/usr/bin/env dockerlua
-- Run a container in the background and print its id: `docker run -d`.
--   dockerlua scripts/run_detached.lua [IMAGE [COMMAND...]]
local image = arg[1] or "alpine"
local command = { "sh", "-c", "for i in 1 2 3 4 5; do echo Reticulating spline $i...; sleep 1; done" }
if #arg > 1 then command = { table.unpack(arg, 2) } end
local container = docker.containers.run(image, command, { detach = true, init = true })
print(container.id)
