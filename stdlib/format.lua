--[[ docker.format: containers and images as the docker CLI shows them, as a
table or as JSON. Works on what you already have (Container and Image objects,
or their raw `attrs` tables, from a list or a get): it never calls the engine.

  format.containers(list [, opts]) -> string   `docker ps`'s table:
        CONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES
        ids cut to 12, commands to 20 characters, "5 minutes ago"
  format.images(list [, opts]) -> string       `docker images`'s table:
        REPOSITORY  TAG  IMAGE ID  CREATED  SIZE   (one row per tag)
        opts (both): no_trunc = true keeps ids and commands whole;
        quiet = true gives ids only, one a line; header = false drops the
        header line; now = Unix seconds to count "ago" from (os.time())
  format.rows(list [, opts]) -> array   the rows those tables show, as tables
        keyed by column (ID, Image, Command, Created, RunningFor, Status,
        State, Ports, Names, Labels for containers; ID, Repository, Tag,
        Created, CreatedSince, Size, Labels for images). Same opts.
  format.json(list [, opts]) -> string  the rows as a JSON array;
        opts.lines = true: one JSON object a line, as `--format json` prints;
        opts.raw = true: the engine's attrs instead of the rows
  format.tabulate(rows [, opts]) -> string   any table of strings in aligned
        columns, as the CLI aligns them (3 spaces apart, 10 wide at least);
        rows is an array of arrays, the first the header
  format.kind(value) -> "container" | "image" | nil
  format.stats(samples [, opts]) -> string   `docker stats --no-stream`'s
        table from stats samples (c:stats(), one sample or an array):
        CONTAINER ID  NAME  CPU %  MEM USAGE / LIMIT  MEM %  NET I/O  BLOCK I/O  PIDS
        computed as the CLI does (CPU % against the previous sample the
        engine sends along; memory without the page cache)
  format.top(top [, opts]) -> string   `docker top`'s table from c:top()
        opts (both): header = false drops the header line
]]

local errors = require("docker.errors")
local human = require("docker.human")
local json = require("docker").json

local M = {}

local function attrs_of(fn, item)
  local name = errors.object_name(item)
  if name == "Container" or name == "Image" then
    return item.attrs
  end
  if type(item) ~= "table" then
    errors.invalid(fn, ("bad list item (Container, Image or attrs table expected, got %s)"):format(name or type(item)))
  end
  return item
end

function M.kind(value)
  local name = errors.object_name(value)
  if name == "Container" then
    return "container"
  elseif name == "Image" then
    return "image"
  elseif type(value) == "table" then
    if value.Names or value.Name or type(value.State) ~= "nil" then
      return "container"
    elseif value.RepoTags or value.RepoDigests or value.Size then
      return "image"
    end
  end
  return nil
end

-- Display width: the ellipsis is one character but three bytes.
local function width(s)
  return utf8.len(s) or #s
end

-- Cut to n characters with "…" last, as the CLI's Ellipsis does.
local function ellipsis(s, n)
  if width(s) <= n then
    return s
  end
  return s:sub(1, utf8.offset(s, n) - 1) .. "…"
end

local function short_id(id, no_trunc)
  id = id or ""
  if no_trunc then
    return id
  end
  return (id:gsub("^sha256:", "")):sub(1, 12)
end

-- The IMAGE column as the CLI shows it: an id short, a reference in its
-- familiar form without its digest (engines with the containerd image store
-- list docker.io/library/ubuntu:latest); whole with no_trunc.
local function image_column(image, no_trunc)
  if image:match("^sha256:") then
    return short_id(image, no_trunc)
  end
  if no_trunc then
    return image
  end
  local name = image:gsub("@.*$", "")
  local hub = name:match("^docker%.io/(.*)$")
  if hub then
    local official = hub:match("^library/(.*)$")
    name = (official and not official:find("/", 1, true)) and official or hub
  end
  return name
end

local function quote(s)
  return '"' .. s:gsub('[\\"]', "\\%0") .. '"'
end

local function label_list(labels)
  local out = {}
  for k, v in pairs(labels or {}) do
    out[#out + 1] = k .. "=" .. tostring(v)
  end
  table.sort(out)
  return table.concat(out, ",")
end

-- The ports of a list entry ([{IP, PrivatePort, PublicPort, Type}]) or of
-- an inspect answer (NetworkSettings.Ports = {["80/tcp"] = {{HostIp,
-- HostPort}}}), as {ip, private, public, proto}.
local function port_entries(a)
  local out = {}
  if a.Ports then
    for _, p in ipairs(a.Ports) do
      out[#out + 1] = { ip = p.IP or "", private = p.PrivatePort or 0, public = p.PublicPort or 0, proto = p.Type or "tcp" }
    end
  elseif a.NetworkSettings and a.NetworkSettings.Ports then
    local seen = {}
    local function add(port, ip, public)
      local private, proto = tostring(port):match("^(%d+)/?(%a*)$")
      seen[port] = true
      if private then
        out[#out + 1] = { ip = ip, private = tonumber(private), public = public, proto = proto ~= "" and proto or "tcp" }
      end
    end
    for port, bindings in pairs(a.NetworkSettings.Ports) do
      if type(bindings) == "table" and #bindings > 0 then
        for _, b in ipairs(bindings) do
          add(port, b.HostIp or "", tonumber(b.HostPort) or 0)
        end
      else
        add(port, "", 0)
      end
    end
    -- An exposed port without a binding is `null` in the answer, so no key
    -- in Lua: a running container's exposed ports say which they are.
    local exposed = a.State and a.State.Running and a.Config and a.Config.ExposedPorts
    for port in pairs(type(exposed) == "table" and exposed or {}) do
      if not seen[port] then
        add(port, "", 0)
      end
    end
  end
  return out
end

-- The PORTS column as the docker CLI writes it: ports without a host
-- mapping first, consecutive ones as ranges, then the host mappings.
local function ports(a)
  local list = port_entries(a)
  table.sort(list, function(x, y)
    if x.private ~= y.private then
      return x.private < y.private
    elseif x.ip ~= y.ip then
      return x.ip < y.ip
    elseif x.public ~= y.public then
      return x.public < y.public
    end
    return x.proto < y.proto
  end)
  local groups, order, result, mappings = {}, {}, {}, {}
  local function form(key, first, last)
    local ip, proto = key:match("^(.*)/(.*)$")
    local range = first == last and tostring(first) or ("%d-%d"):format(first, last)
    if ip ~= "" then
      range = ("%s:%s->%s"):format(ip, range, range)
    end
    return range .. "/" .. proto
  end
  local seen = {}
  for _, p in ipairs(list) do
    local id = ("%s|%d|%d|%s"):format(p.ip, p.private, p.public, p.proto)
    if not seen[id] then
      seen[id] = true
      if p.ip ~= "" and p.public ~= p.private then
        local host = p.ip:find(":", 1, true) and "[" .. p.ip .. "]" or p.ip
        mappings[#mappings + 1] = ("%s:%d->%d/%s"):format(host, p.public, p.private, p.proto)
      else
        local key = p.ip .. "/" .. p.proto
        local g = groups[key]
        if not g then
          groups[key], order[#order + 1] = { first = p.private, last = p.private }, key
        elseif p.private == g.last + 1 then
          g.last = p.private
        else
          result[#result + 1] = form(key, g.first, g.last)
          groups[key] = { first = p.private, last = p.private }
        end
      end
    end
  end
  for _, key in ipairs(order) do
    result[#result + 1] = form(key, groups[key].first, groups[key].last)
  end
  for _, m in ipairs(mappings) do
    result[#result + 1] = m
  end
  return table.concat(result, ", ")
end

-- The STATUS column of an inspect answer, worded as the engine words it in
-- a list entry ("Up 5 minutes (healthy)", "Exited (0) 2 hours ago").
local function status_of_state(state, now)
  local started, finished = human.time(state.StartedAt or ""), human.time(state.FinishedAt or "")
  if state.Running then
    local up = "Up " .. human.duration(now - (started or now))
    if state.Paused then
      return up .. " (Paused)"
    elseif state.Restarting then
      return ("Restarting (%d) %s"):format(state.ExitCode or 0, human.ago(finished or now, now))
    elseif state.Health and state.Health.Status then
      local h = state.Health.Status
      return up .. " (" .. (h == "starting" and "health: starting" or h) .. ")"
    end
    return up
  elseif state.Dead then
    return "Dead"
  elseif not started then
    return "Created"
  elseif not finished then
    return ""
  end
  return ("Exited (%d) %s"):format(state.ExitCode or 0, human.ago(finished, now))
end

local function container_row(a, opts, now)
  local command, created, status, state, names
  if a.Names then -- a list entry
    command = a.Command or ""
    created = a.Created
    status = a.Status or ""
    state = a.State or ""
    local list = {}
    for _, n in ipairs(a.Names) do
      n = n:gsub("^/", "")
      if not n:find("/", 1, true) then -- link aliases look like /other/name
        list[#list + 1] = n
      end
    end
    names = table.concat(list, ",")
  else -- an inspect answer
    local words = { a.Path }
    for _, w in ipairs(a.Args or {}) do
      words[#words + 1] = w
    end
    command = table.concat(words, " ")
    -- Whole seconds, as a list entry has them.
    created = math.floor(human.time(a.Created or "") or 0)
    state = a.State and a.State.Status or ""
    status = a.State and status_of_state(a.State, now) or ""
    names = (a.Name or ""):gsub("^/", "")
  end
  local image = a.Image or ""
  if a.Config and a.Config.Image then
    image = a.Config.Image
  end
  image = image_column(image, opts.no_trunc)
  local labels = a.Labels or (a.Config and a.Config.Labels) or {}
  return {
    ID = short_id(a.Id, opts.no_trunc),
    Image = image,
    Command = opts.no_trunc and quote(command) or quote(ellipsis(command, 20)),
    Created = created,
    RunningFor = human.ago(created, now),
    Status = status,
    State = state,
    Ports = ports(a),
    Names = names,
    Labels = labels,
  }
end

local function image_rows(a, opts, now, into)
  local created = human.time(a.Created or 0) or 0
  local base = {
    ID = short_id(a.Id, opts.no_trunc),
    Created = created,
    CreatedSince = human.ago(created, now),
    Size = human.size(a.Size or 0),
    Labels = a.Labels or (a.Config and a.Config.Labels) or {},
  }
  local function add(repository, tag)
    local row = {}
    for k, v in pairs(base) do
      row[k] = v
    end
    row.Repository, row.Tag = repository, tag
    into[#into + 1] = row
  end
  local tags = {}
  for _, t in ipairs(a.RepoTags or {}) do
    if t ~= "<none>:<none>" then
      tags[#tags + 1] = t
    end
  end
  if #tags == 0 then
    add("<none>", "<none>")
  end
  for _, t in ipairs(tags) do
    local repository, tag = t:match("^(.*):([^:/]+)$")
    add(repository or t, tag or "<none>")
  end
end

local OPTIONS = { "no_trunc", "quiet", "header", "now", "lines", "raw" }

local function rows(fn, list, opts, want)
  errors.check(fn, "list", list, "table")
  opts = errors.options(fn, opts, OPTIONS)
  errors.check(fn, "opts.now", opts.now, "number", true)
  local now = opts.now or os.time()
  local out = {}
  for i, item in ipairs(list) do
    local a = attrs_of(fn, item)
    local kind = M.kind(item)
    if want and kind ~= want then
      errors.invalid(fn, ("bad list item #%d (%s expected, got %s)"):format(i, want, kind or "something else"))
    end
    -- An odd attrs table (a field of the wrong type) is the caller's
    -- mistake: say which item, not where in this file it broke.
    local ok, err = pcall(function()
      if kind == "image" then
        image_rows(a, opts, now, out)
      elseif kind == "container" then
        out[#out + 1] = container_row(a, opts, now)
      else
        errors.invalid(fn, ("bad list item #%d (neither a container nor an image)"):format(i))
      end
    end)
    if not ok then
      if errors.kind(err) == "InvalidArgument" and tostring(errors.message(err)):find("^" .. fn) then
        error(err, 0)
      end
      local why = tostring(errors.message(err)):gsub("^[^:]*:%d+: ", "")
      errors.invalid(fn, ("bad list item #%d (%s)"):format(i, why))
    end
  end
  return out, opts
end

function M.rows(list, opts)
  return (rows("format.rows", list, opts))
end

function M.tabulate(lines, opts)
  errors.check("format.tabulate", "rows", lines, "table")
  opts = errors.options("format.tabulate", opts, { "padding", "min_width" })
  local padding, min_width = opts.padding or 3, opts.min_width or 10
  -- Columns are for terminals: a width past 1000 is a mistake, and would
  -- build a string of that many spaces per cell.
  for name, value in pairs({ padding = padding, min_width = min_width }) do
    if math.type(value) ~= "integer" or value < 0 or value > 1000 then
      errors.invalid("format.tabulate", ("bad option '%s' (integer 0-1000 expected, got %s)"):format(name, tostring(value)))
    end
  end
  local widths = {}
  for _, line in ipairs(lines) do
    for c, cell in ipairs(line) do
      widths[c] = math.max(widths[c] or 0, width(tostring(cell)))
    end
  end
  local out = {}
  for _, line in ipairs(lines) do
    local cells = {}
    for c, cell in ipairs(line) do
      cell = tostring(cell)
      if c < #line then -- the last column is not padded, as in tabwriter
        local w = math.max(widths[c] + padding, min_width)
        cell = cell .. (" "):rep(w - width(cell))
      end
      cells[#cells + 1] = cell
    end
    out[#out + 1] = table.concat(cells) .. "\n"
  end
  return table.concat(out)
end

local function render(fn, list, opts, want, header, fields)
  local rs, o = rows(fn, list, opts, want)
  local lines = {}
  if o.quiet then
    local seen = {}
    for _, r in ipairs(rs) do
      if not seen[r.ID] then
        seen[r.ID], lines[#lines + 1] = true, r.ID .. "\n"
      end
    end
    return table.concat(lines)
  end
  if o.header ~= false then
    lines[1] = header
  end
  for _, r in ipairs(rs) do
    local line = {}
    for i, f in ipairs(fields) do
      line[i] = r[f]
    end
    lines[#lines + 1] = line
  end
  return M.tabulate(lines)
end

function M.containers(list, opts)
  return render(
    "format.containers",
    list,
    opts,
    "container",
    { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" },
    { "ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names" }
  )
end

function M.images(list, opts)
  return render(
    "format.images",
    list,
    opts,
    "image",
    { "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE" },
    { "Repository", "Tag", "ID", "CreatedSince", "Size" }
  )
end

function M.json(list, opts)
  local values, o
  if type(opts) == "table" and opts.raw then
    errors.check("format.json", "list", list, "table")
    o = errors.options("format.json", opts, OPTIONS)
    values = {}
    for i, item in ipairs(list) do
      values[i] = attrs_of("format.json", item)
    end
  else
    values, o = rows("format.json", list, opts)
  end
  if o.lines then
    local out = {}
    for i, v in ipairs(values) do
      out[i] = json.encode(v) .. "\n"
    end
    return table.concat(out)
  end
  return json.encode(json.array(values))
end

-- Sizes as the CLI prints them (go-units): memory in binary units with 4
-- significant digits, I/O in decimal units with 3.
local function units(size, base, names, digits)
  local i = 1
  while size >= base and i < #names do
    size = size / base
    i = i + 1
  end
  return ("%." .. digits .. "g%s"):format(size, names[i])
end
local BINARY = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" }
local DECIMAL = { "B", "kB", "MB", "GB", "TB", "PB", "EB" }
local function binary(n) return units(n or 0, 1024, BINARY, 4) end
local function decimal(n) return units(n or 0, 1000, DECIMAL, 3) end

local function cpu_percent(s)
  local cpu, pre = s.cpu_stats or {}, s.precpu_stats or {}
  local usage, pre_usage = cpu.cpu_usage or {}, pre.cpu_usage or {}
  local cpu_delta = (usage.total_usage or 0) - (pre_usage.total_usage or 0)
  local system_delta = (cpu.system_cpu_usage or 0) - (pre.system_cpu_usage or 0)
  local cpus = cpu.online_cpus or #(usage.percpu_usage or {})
  if cpus == 0 then cpus = 1 end
  if system_delta > 0 and cpu_delta > 0 then
    return cpu_delta / system_delta * cpus * 100
  end
  return 0
end

local function memory(s)
  local m = s.memory_stats or {}
  local usage, st = m.usage or 0, m.stats or {}
  -- The page cache is not the container's own memory (cgroup v1, then v2).
  local cache = st.total_inactive_file or st.inactive_file or 0
  if cache < usage then usage = usage - cache end
  return usage, m.limit or 0
end

local function io_totals(s)
  local rx, tx = 0, 0
  for _, n in pairs(s.networks or {}) do
    rx, tx = rx + (n.rx_bytes or 0), tx + (n.tx_bytes or 0)
  end
  local read, write = 0, 0
  for _, e in ipairs((s.blkio_stats or {}).io_service_bytes_recursive or {}) do
    local op = tostring(e.op):lower()
    if op == "read" then read = read + (e.value or 0) end
    if op == "write" then write = write + (e.value or 0) end
  end
  return rx, tx, read, write
end

function M.stats(samples, opts)
  errors.check("format.stats", "samples", samples, "table")
  opts = errors.options("format.stats", opts, { "header", "no_trunc" })
  if samples.id or samples.cpu_stats then samples = { samples } end
  local lines = {}
  if opts.header ~= false then
    lines[1] = { "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS" }
  end
  for i, s in ipairs(samples) do
    if type(s) ~= "table" then
      errors.invalid("format.stats", ("bad sample #%d (table expected, got %s)"):format(i, type(s)))
    end
    local used, limit = memory(s)
    local rx, tx, read, write = io_totals(s)
    lines[#lines + 1] = {
      short_id(s.id or "", opts.no_trunc),
      tostring(s.name or ""):gsub("^/", ""),
      ("%.2f%%"):format(cpu_percent(s)),
      binary(used) .. " / " .. binary(limit),
      ("%.2f%%"):format(limit > 0 and used / limit * 100 or 0),
      decimal(rx) .. " / " .. decimal(tx),
      decimal(read) .. " / " .. decimal(write),
      tostring((s.pids_stats or {}).current or 0),
    }
  end
  return M.tabulate(lines)
end

function M.top(top, opts)
  errors.check("format.top", "top", top, "table")
  opts = errors.options("format.top", opts, { "header" })
  local lines = {}
  if opts.header ~= false then lines[1] = top.Titles or {} end
  for _, p in ipairs(top.Processes or {}) do lines[#lines + 1] = p end
  -- `docker top` aligns in columns 20 wide at least.
  return M.tabulate(lines, { min_width = 20 })
end

return M
