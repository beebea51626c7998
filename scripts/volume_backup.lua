#!/usr/bin/env dockerlua
-- Back a named volume up into a local folder, or restore one from it, through
-- a throwaway container that mounts the volume (as `docker cp` would copy).
--   dockerlua scripts/volume_backup.lua backup VOLUME DIR    # DIR must not exist
--   dockerlua scripts/volume_backup.lua restore DIR VOLUME   # created if missing
local args = require("docker.args")

local usage = "volume_backup.lua backup VOLUME DIR | restore DIR VOLUME"
local _, words = args.parse(arg, { usage = usage, min = 3, max = 3 })
local action, from, to = words[1], words[2], words[3]

-- A container that only holds the volume: never started, so nothing in
-- it writes while the files are copied (stop the volume's users first).
local function holder(volume)
  return docker.containers.create("busybox", "true", {
    volumes = { volume .. ":/volume" },
    labels = { ["dockerlua.volume-backup"] = volume },
  })
end

if action == "backup" then
  docker.volumes.get(from) -- NotFound rather than an empty new volume
  local c = holder(from)
  local ok, err = pcall(c.copy_from, c, "/volume/.", to)
  c:remove({ force = true })
  if not ok then error(err, 0) end
  print(("backed up volume %s into %s"):format(from, to))
elseif action == "restore" then
  local c = holder(to)
  local ok, err = pcall(c.copy_to, c, from .. "/.", "/volume", { archive = true })
  c:remove({ force = true })
  if not ok then error(err, 0) end
  print(("restored %s into volume %s"):format(from, to))
else
  args.fail(usage, "unknown action '" .. tostring(action) .. "'")
end
