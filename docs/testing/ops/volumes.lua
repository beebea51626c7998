-- A team's helpers for named volumes: the library that spec/volumes_spec.lua
-- tests (docs/testing.md). It calls the engine only from its functions.
local errors = require("docker.errors")

local M = {}

--- The volume `name`, and whether it was created: made (with `labels`)
--- when it does not exist, left alone when it does.
function M.ensure(name, labels)
  local ok, volume = pcall(docker.volumes.get, name)
  if ok then
    return volume, false
  end
  if not errors.is(volume, "NotFound") then
    error(volume, 0)
  end
  return docker.volumes.create(name, { labels = labels }), true
end

--- The files in the volume, sorted, as paths inside it (`a/b.txt`).
function M.files(name, labels)
  local out = docker.containers.run("busybox", { "find", "/v", "-type", "f" }, {
    volumes = { name .. ":/v:ro" },
    labels = labels,
    remove = true,
  })
  local files = {}
  for path in out:gmatch("/v/([^\n]+)") do
    files[#files + 1] = path
  end
  table.sort(files)
  return files
end

return M
