#!/usr/bin/env dockerlua
-- List containers as `docker ps` does, as a table or as JSON.
--   dockerlua scripts/ps.lua [-a] [-q] [--no-trunc] [--format table|json] [-f KEY=VALUE]...
local args = require("docker.args")
local format = require("docker.format")

local usage = "ps.lua [-a] [-q] [--no-trunc] [--format table|json] [-f KEY=VALUE]..."
local opts = args.parse(arg, {
  usage = usage,
  flags = { all = { "-a", "--all" }, quiet = { "-q", "--quiet" }, no_trunc = { "--no-trunc" } },
  values = {
    filter = { "-f", "--filter", multiple = true },
    format = { "--format", default = "table", choices = { "table", "json" } },
  },
  max = 0,
})
local filters = {}
for _, f in ipairs(opts.filter) do
  local key, value = f:match("^([^=]+)=(.*)$")
  if not key then
    args.fail(usage, ("bad filter '%s' (KEY=VALUE expected)"):format(f))
  end
  filters[key] = filters[key] or {}
  table.insert(filters[key], value)
end
local list = docker.containers.list({ all = opts.all, filters = filters })
local shown = { no_trunc = opts.no_trunc, quiet = opts.quiet }
if opts.format == "json" and not opts.quiet then
  shown.lines = true
  io.write(format.json(list, shown))
else
  io.write(format.containers(list, shown))
end
