#!/usr/bin/env dockerlua
-- Stop (and with --remove, remove) every container with a label.
--   dockerlua scripts/stop_label.lua [-n] [-t SECONDS] [--remove] LABEL[=VALUE]...
local args = require("docker.args")
local cleanup = require("docker.cleanup")

local opts, labels = args.parse(arg, {
  usage = "stop_label.lua [-n|--dry-run] [-t|--timeout SECONDS] [--remove] LABEL[=VALUE]...",
  flags = { dry_run = { "-n", "--dry-run" }, remove = { "--remove" } },
  values = { timeout = { "-t", "--timeout", number = true } },
  min = 1,
})
local report = cleanup.stop({ label = labels }, { timeout = opts.timeout, dry_run = opts.dry_run, log = print })
if opts.remove then
  for _, e in ipairs(cleanup.remove({ label = labels }, { dry_run = opts.dry_run, log = print })) do
    report[#report + 1] = e
  end
end
for _, e in ipairs(report) do
  if e.error then
    os.exit(1)
  end
end
