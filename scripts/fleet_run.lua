#!/usr/bin/env dockerlua
-- Runs a script against each of a list of contexts, in parallel, in this
-- one process: in the script, `docker` is that context's client, and what
-- it prints (print, io.write) comes out line by line prefixed with the
-- context's name. Then a summary: which contexts failed, and why; the exit
-- status is 1 when any did. With --dry-run/--read-only on the command line
-- nothing is changed on any of them.
--   dockerlua [--dry-run] scripts/fleet_run.lua [-c CONTEXT]... [-l LIMIT] SCRIPT [ARGS...]
-- Without -c: every context. The script sees its own arguments in `arg`
-- and `...`; `require("docker")` in it still gives the default client.
local args = require("docker.args")

local usage = "fleet_run.lua [-c CONTEXT]... [-l LIMIT] SCRIPT [ARGS...]"
local opts, positional = args.parse(arg, {
  usage = usage,
  values = {
    context = { "-c", "--context", multiple = true },
    limit = { "-l", "--limit", number = true },
  },
  min = 1,
})
local path = table.remove(positional, 1)
local chunk_source
do
  local f, err = io.open(path, "rb")
  if not f then
    args.fail(usage, err)
  end
  chunk_source = f:read("a"):gsub("^#[^\n]*", "")
  f:close()
end

local names = opts.context
if #names == 0 then
  for _, c in ipairs(docker.contexts()) do
    names[#names + 1] = c.name
  end
end
local width = 0
for _, name in ipairs(names) do
  width = math.max(width, #name)
end

-- Output of one context: whole lines, prefixed; a partial line waits for
-- its end (or the end of the script).
local function printer(name)
  local prefix = ("%-" .. width .. "s | "):format(name)
  local pending = ""
  local out = {}
  function out.write(...)
    local text = pending
    for i = 1, select("#", ...) do
      text = text .. tostring((select(i, ...)))
    end
    pending = ""
    for line, nl in text:gmatch("([^\n]*)(\n?)") do
      if nl == "" then
        pending = line
        break
      end
      io.stdout:write(prefix, line, "\n")
    end
  end
  function out.flush()
    if pending ~= "" then
      io.stdout:write(prefix, pending, "\n")
      pending = ""
    end
  end
  return out
end

local function run_on(name)
  local out = printer(name)
  local env = setmetatable({}, { __index = _G })
  env.docker = docker.context(name)
  env.arg = { [0] = path, table.unpack(positional) }
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do
      parts[i] = tostring((select(i, ...)))
    end
    out.write(table.concat(parts, "\t"), "\n")
  end
  env.io = setmetatable({ write = function(...) out.write(...) return env.io end }, { __index = io })
  local chunk, err = load(chunk_source, "@" .. path, "t", env)
  if not chunk then
    error(err, 0)
  end
  local ok, failure = pcall(chunk, table.unpack(positional))
  out.flush()
  if not ok then
    error(failure, 0)
  end
end

local ok, err = pcall(docker.parallel, names, run_on, { limit = opts.limit })
if ok then
  io.stderr:write(("fleet_run: %d of %d contexts succeeded\n"):format(#names, #names))
  return
end
local failed = {}
for i in pairs(err.errors or {}) do
  failed[#failed + 1] = i
end
if #failed == 0 then
  error(err, 0)
end
table.sort(failed)
io.stderr:write(("fleet_run: %d of %d contexts failed:\n"):format(#failed, #names))
for _, i in ipairs(failed) do
  io.stderr:write(("  %s: %s\n"):format(names[i], tostring(err.errors[i])))
end
os.exit(1)
