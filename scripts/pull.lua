#!/usr/bin/env dockerlua
-- Pull an image, reporting progress, and print its id: `docker pull`.
--   dockerlua scripts/pull.lua [REFERENCE]
local reference = arg[1] or "alpine"
local image = docker.images.pull(reference, {
  progress = function(event)
    if event.id then
      io.stderr:write(("%s: %s %s\n"):format(event.id, event.status or "", event.progress or ""))
    elseif event.status then
      io.stderr:write(event.status, "\n")
    end
  end,
})
print(image.id)
