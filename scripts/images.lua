#!/usr/bin/env dockerlua
-- List images, like `docker images`: id and tags.
--   dockerlua scripts/images.lua [REFERENCE-FILTER]
for _, image in ipairs(docker.images.list({ name = arg[1] })) do
  print(image.short_id, table.concat(image.tags, ", "))
end
