#!/usr/bin/env dockerlua
-- docker-gen's job: render OUTPUT from a Lua template and the running
-- containers (those with the --label filters), again whenever they change;
-- when the file's content changed, signal the --notify container (a proxy
-- that reloads its configuration on SIGHUP).
--   dockerlua scripts/gen.lua [--label KEY[=VALUE]]... [--notify CONTAINER]
--             [--signal SIG] [--once] [-n] TEMPLATE OUTPUT
-- With -n (--dry-run), or under `dockerlua --dry-run`, the text is printed
-- instead of written, and nobody is signalled.
--
-- The template is text with Lua in it: a line starting with `%` is Lua code,
-- `{{ expression }}` anywhere else is replaced by the expression's value.
-- `containers` is the list, sorted by name; each has `name`, `id`, `image`,
-- `status`, `labels`, `ip` (its first network address), `networks` (name ->
-- address) and `attrs` (all the engine said). Example:
--
--   % for _, c in ipairs(containers) do
--   server {{ c.name }} {{ c.ip }}:{{ c.labels["http.port"] or 80 }}
--   % end
local args = require("docker.args")

local usage = "gen.lua [--label KEY[=VALUE]]... [--notify CONTAINER] [--signal SIG] [--once] [-n] TEMPLATE OUTPUT"
local opts, paths = args.parse(arg, {
  usage = usage,
  flags = { once = { "--once" }, dry_run = { "-n", "--dry-run" } },
  values = {
    label = { "-l", "--label", multiple = true },
    notify = { "--notify" },
    signal = { "-s", "--signal", default = "SIGHUP" },
  },
  min = 2,
  max = 2,
})
local template_path, output = paths[1], paths[2]
-- dockerlua's own --dry-run must leave local files alone too.
local dry_run = opts.dry_run or docker.mode == "dry-run"

local function log(...) print("gen: " .. string.format(...)) io.stdout:flush() end

--- The template as a Lua function of `containers` returning the text.
local function compile(path)
  local f, err = io.open(path)
  if not f then args.fail(usage, err) end
  local source = f:read("a")
  f:close()
  local code = { "local containers = ...", "local out = {}" }
  for line in (source:sub(-1) == "\n" and source or source .. "\n"):gmatch("(.-)\n") do
    local lua = line:match("^%s*%%(.*)$")
    if lua then
      code[#code + 1] = lua
    else
      local pos = 1
      while true do
        local open, close, expr = line:find("{{(.-)}}", pos)
        if not open then break end
        code[#code + 1] = ("out[#out + 1] = %q"):format(line:sub(pos, open - 1))
        code[#code + 1] = ("out[#out + 1] = tostring(%s)"):format(expr)
        pos = close + 1
      end
      code[#code + 1] = ("out[#out + 1] = %q"):format(line:sub(pos) .. "\n")
    end
  end
  code[#code + 1] = "return table.concat(out)"
  local env = setmetatable({}, { __index = _G })
  local fn, cerr = load(table.concat(code, "\n"), "@" .. path, "t", env)
  if not fn then args.fail(usage, "bad template: " .. cerr) end
  return fn
end

local render = compile(template_path)

local function describe(c)
  local attrs = c.attrs
  local networks, ip = {}, nil
  local names = {}
  for name, net in pairs(attrs.NetworkSettings and attrs.NetworkSettings.Networks or {}) do
    networks[name] = net.IPAddress
    names[#names + 1] = name
  end
  table.sort(names)
  for _, name in ipairs(names) do
    if networks[name] and networks[name] ~= "" then ip = networks[name] break end
  end
  return { name = c.name, id = c.id, image = c.image, status = c.status,
           labels = attrs.Labels or {}, networks = networks, ip = ip, attrs = attrs }
end

local function current()
  local f = io.open(output)
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function generate(containers)
  local list = {}
  for _, c in ipairs(containers) do list[#list + 1] = describe(c) end
  table.sort(list, function(a, b) return a.name < b.name end)
  local ok, text = pcall(render, list)
  if not ok then
    io.stderr:write("gen: the template failed: ", tostring(text), "\n")
    return
  end
  if text == current() then return end
  if dry_run then
    log("would write %s (%d containers):", output, #list)
    io.write(text)
    io.stdout:flush()
    return
  end
  -- Written aside, then renamed: a reader never sees half a file.
  local tmp = output .. ".tmp"
  local f = assert(io.open(tmp, "w"))
  assert(f:write(text))
  assert(f:close())
  assert(os.rename(tmp, output))
  log("wrote %s (%d containers)", output, #list)
  if opts.notify then
    local ok2, err = pcall(function() docker.containers.get(opts.notify):kill(opts.signal) end)
    if ok2 then
      log("sent %s to %s", opts.signal, opts.notify)
    else
      io.stderr:write("gen: cannot signal ", opts.notify, ": ", tostring(err), "\n")
    end
  end
end

local filters = #opts.label > 0 and { label = opts.label } or nil
if opts.once then
  generate(docker.containers.list({ filters = filters }))
  return
end
docker.watch({ filters = filters }, function(containers) generate(containers) end)
