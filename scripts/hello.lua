#!/usr/bin/env dockerlua
-- The quick-start demo: who the engine is, then a container's output.
--   dockerlua scripts/hello.lua [IMAGE]
local image = arg[1] or "alpine"
local v = docker.version()
print(("engine %s (API %s) on %s/%s"):format(v.Version, v.ApiVersion, v.Os, v.Arch))
io.write(docker.containers.run(image, { "echo", "hello world" }, { remove = true }))
