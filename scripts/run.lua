#!/usr/bin/env dockerlua
-- Run a container and print its output: `docker run alpine echo hello world`.
--   dockerlua scripts/run.lua [IMAGE [COMMAND...]]
local image = arg[1] or "alpine"
local command = { "echo", "hello", "world" }
if #arg > 1 then command = { table.unpack(arg, 2) } end
io.write(docker.containers.run(image, command, { remove = true }))
