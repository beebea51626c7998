--[[ docker.cleanup: stop and remove containers by filter, clean up exited
containers and dangling images. Best effort: one failure does not stop the
rest; every function returns a report, an array with one entry per object:

  { action = "stop"|"remove", kind = "container"|"image", id = full id,
    short_id = 12 characters, name = container name or first image tag,
    done = true when it was done (false in a dry run or on failure),
    error = message when it failed, size = bytes (images) }

  cleanup.stop(filters [, opts]) -> report
        stops the running containers that match `filters` (as for
        docker.containers.list: {label = "team=ops", name = "web"}, a value
        may be an array). opts.timeout: seconds before SIGKILL (engine
        default 10).
  cleanup.remove(filters [, opts]) -> report
        removes the containers in any state that match `filters`, running
        ones too (force). opts.volumes = true also removes their anonymous
        volumes.
  cleanup.exited([opts]) -> report
        removes exited and dead containers; opts.filters narrows them down
        (e.g. {label = "ci"}). opts.volumes as for remove.
  cleanup.dangling_images([opts]) -> report
        removes untagged images that no other image builds on; opts.filters
        narrows them down, opts.force = true removes them even when a stopped
        container uses them.
  cleanup.prune([opts]) -> { containers = report, images = report,
                              reclaimed = bytes }
        exited(), then dangling_images(); opts.filters goes to both.

  Options every function takes:
    dry_run = true   only list what would be done (entries have done = false)
    log = function(line)   called with one line per object, e.g. print:
                     "would stop 1c6594faf5f8 web", "removed 1c6594faf5f8 web",
                     "failed to stop 1c6594faf5f8 web: NotFound (404): ..."
    client = a client from docker.connect (default: the global docker)
    limit = how many at once (default 8)
  stop and remove refuse an empty filter table, which would match every
  container, unless opts.everything = true.
]]

local errors = require("docker.errors")

local M = {}

local COMMON = { "dry_run", "log", "client", "limit" }

local function known(...)
  local out = {}
  for _, name in ipairs(COMMON) do
    out[#out + 1] = name
  end
  for i = 1, select("#", ...) do
    out[#out + 1] = select(i, ...)
  end
  return out
end

local function common(fn, opts, ...)
  opts = errors.options(fn, opts, known(...))
  errors.check(fn, "opts.log", opts.log, "function", true)
  errors.check(fn, "opts.client", opts.client, "table", true)
  errors.check(fn, "opts.limit", opts.limit, "number", true)
  return opts, opts.client or require("docker")
end

local function copy_filters(fn, filters)
  local out = {}
  for k, v in pairs(filters or {}) do
    if type(k) ~= "string" then
      errors.invalid(fn, "bad argument 'filters' (a table of name = value expected)")
    end
    out[k] = v
  end
  return out
end

local PAST = { stop = "stopped", remove = "removed" }

-- Runs `act(object)` for each entry (unless dry_run), `limit` at a time,
-- filling in done/error and logging a line each.
local function apply(client, entries, objects, opts, act)
  local log = opts.log
  if opts.dry_run then
    for _, e in ipairs(entries) do
      e.done = false
      if log then
        log(("would %s %s %s"):format(e.action, e.short_id, e.name))
      end
    end
    return entries
  end
  local indices = {}
  for i = 1, #entries do
    indices[i] = i
  end
  -- pcall inside: one failure must not abort the others (parallel would
  -- raise once all had finished, losing the report).
  client.parallel(indices, function(i)
    local e = entries[i]
    local ok, err = pcall(act, objects[i])
    e.done = ok
    if not ok then
      e.error = tostring(err)
    end
    if log then
      if ok then
        log(("%s %s %s"):format(PAST[e.action], e.short_id, e.name))
      else
        log(("failed to %s %s %s: %s"):format(e.action, e.short_id, e.name, e.error))
      end
    end
    return true
  end, { limit = opts.limit or 8 })
  return entries
end

local function container_entries(action, containers)
  local entries = {}
  for i, c in ipairs(containers) do
    entries[i] = {
      action = action,
      kind = "container",
      id = c.id,
      short_id = c.short_id,
      name = c.name,
      done = false,
    }
  end
  return entries
end

local function require_filters(fn, filters, opts)
  errors.check(fn, "filters", filters, "table")
  local filters_copy = copy_filters(fn, filters)
  if next(filters_copy) == nil and not opts.everything then
    errors.invalid(fn, "empty filters would match every container (pass everything = true to mean it)")
  end
  return filters_copy
end

function M.stop(filters, opts)
  local fn = "cleanup.stop"
  local client
  opts, client = common(fn, opts, "timeout", "everything")
  errors.check(fn, "opts.timeout", opts.timeout, "number", true)
  filters = require_filters(fn, filters, opts)
  local containers = client.containers.list({ filters = filters })
  local entries = container_entries("stop", containers)
  return apply(client, entries, containers, opts, function(c)
    c:stop({ timeout = opts.timeout and math.ceil(opts.timeout) })
  end)
end

function M.remove(filters, opts)
  local fn = "cleanup.remove"
  local client
  opts, client = common(fn, opts, "volumes", "everything")
  filters = require_filters(fn, filters, opts)
  local containers = client.containers.list({ all = true, filters = filters })
  local entries = container_entries("remove", containers)
  return apply(client, entries, containers, opts, function(c)
    c:remove({ force = true, volumes = opts.volumes and true or false })
  end)
end

function M.exited(opts)
  local fn = "cleanup.exited"
  local client
  opts, client = common(fn, opts, "filters", "volumes")
  errors.check(fn, "opts.filters", opts.filters, "table", true)
  local filters = copy_filters(fn, opts.filters)
  if filters.status then
    errors.invalid(fn, "bad option 'filters' (status is chosen by cleanup.exited)")
  end
  -- The state is checked here, not by a status filter: Podman refuses
  -- status=dead ("unknown container state").
  local containers = {}
  for _, c in ipairs(client.containers.list({ all = true, filters = filters })) do
    if c.status == "exited" or c.status == "dead" then
      containers[#containers + 1] = c
    end
  end
  local entries = container_entries("remove", containers)
  return apply(client, entries, containers, opts, function(c)
    c:remove({ volumes = opts.volumes and true or false })
  end)
end

function M.dangling_images(opts)
  local fn = "cleanup.dangling_images"
  local client
  opts, client = common(fn, opts, "filters", "force")
  errors.check(fn, "opts.filters", opts.filters, "table", true)
  local filters = copy_filters(fn, opts.filters)
  filters.dangling = "true"
  local images = client.images.list({ filters = filters })
  local entries = {}
  for i, img in ipairs(images) do
    local attrs = img.attrs
    local id = img.id
    entries[i] = {
      action = "remove",
      kind = "image",
      id = id,
      short_id = (id:gsub("^sha256:", "")):sub(1, 12),
      name = img.tags[1] or "<none>:<none>",
      size = attrs.Size or 0,
      done = false,
    }
  end
  return apply(client, entries, images, opts, function(img)
    img:remove({ force = opts.force and true or false })
  end)
end

function M.prune(opts)
  local fn = "cleanup.prune"
  opts = errors.options(fn, opts, known("filters", "volumes", "force"))
  local function pick(...)
    local out = {}
    for _, k in ipairs(COMMON) do
      out[k] = opts[k]
    end
    out.filters = opts.filters
    for i = 1, select("#", ...) do
      local k = select(i, ...)
      out[k] = opts[k]
    end
    return out
  end
  local containers = M.exited(pick("volumes"))
  local images = M.dangling_images(pick("force"))
  local reclaimed = 0
  for _, e in ipairs(images) do
    if e.done then
      reclaimed = reclaimed + e.size
    end
  end
  return { containers = containers, images = images, reclaimed = reclaimed }
end

return M
