#!/usr/bin/env dockerlua
-- Remove exited containers and dangling images, and say how much was freed.
--   dockerlua scripts/cleanup.lua [-n|--dry-run] [--label KEY[=VALUE]]... [--containers|--images]
local args = require("docker.args")
local cleanup = require("docker.cleanup")
local human = require("docker.human")

local usage = "cleanup.lua [-n|--dry-run] [--label KEY[=VALUE]]... [--containers|--images]"
local opts = args.parse(arg, {
  usage = usage,
  flags = { dry_run = { "-n", "--dry-run" }, containers = { "--containers" }, images = { "--images" } },
  values = { label = { "-l", "--label", multiple = true } },
  max = 0,
})
if opts.containers and opts.images then
  args.fail(usage, "--containers and --images exclude each other")
end
local common = { dry_run = opts.dry_run, log = print }
if #opts.label > 0 then
  common.filters = { label = opts.label }
end
local failed, reclaimed = false, 0
local function count(report)
  for _, e in ipairs(report) do
    failed = failed or e.error ~= nil
    if e.done and e.size then
      reclaimed = reclaimed + e.size
    end
  end
end
if not opts.images then
  count(cleanup.exited(common))
end
if not opts.containers then
  count(cleanup.dangling_images(common))
end
if not opts.dry_run then
  print("reclaimed " .. human.size(reclaimed))
end
os.exit(failed and 1 or 0)
