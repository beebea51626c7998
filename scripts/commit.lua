#!/usr/bin/env dockerlua
-- Run a container, wait for it, and commit it to a new image.
--   dockerlua scripts/commit.lua [IMAGE [REPOSITORY]]
local image = arg[1] or "alpine"
local repository = arg[2] or "helloworld"
local container = docker.containers.run(image, { "touch", "/helloworld" }, { detach = true })
local result = container:wait()
if result.status_code ~= 0 then
  error(("the container exited with %d"):format(result.status_code))
end
local committed = container:commit(repository)
container:remove()
print(committed.id)
