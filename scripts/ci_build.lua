#!/usr/bin/env dockerlua
-- Build an image, tag it, push it to a registry and print its digest: the
-- step a CI job runs after its tests.
--   dockerlua scripts/ci_build.lua [-f DOCKERFILE] [-t TAG]... [--build-arg K=V]...
--       [--label K=V]... [--target STAGE] [--no-cache] [--pull] REGISTRY/REPOSITORY [CONTEXT]
-- Tags default to "latest". Credentials, when the registry needs them, come
-- from REGISTRY_USER and REGISTRY_PASSWORD (else from config.json). The
-- build's output goes to stderr; stdout gets one line, REPOSITORY@DIGEST.
-- Exit status: 1 when the build or a push fails, 2 when called wrongly.
local args = require("docker.args")

local usage = "ci_build.lua [-f DOCKERFILE] [-t TAG]... [--build-arg K=V]... [--label K=V]... "
  .. "[--target STAGE] [--no-cache] [--pull] REGISTRY/REPOSITORY [CONTEXT]"
local opts, positional = args.parse(arg, {
  usage = usage,
  flags = { no_cache = { "--no-cache" }, pull = { "--pull" } },
  values = {
    file = { "-f", "--file" },
    tag = { "-t", "--tag", multiple = true },
    build_arg = { "--build-arg", multiple = true },
    label = { "--label", multiple = true },
    target = { "--target" },
  },
  min = 1,
  max = 2,
})
local repository, context = positional[1], positional[2] or "."
if not repository:find("/", 1, true) or repository:find("[:@][^/]*$") then
  args.fail(usage, "give the repository as REGISTRY/NAME, without tag (use -t)")
end

local function pairs_of(list, what)
  local t = {}
  for _, item in ipairs(list) do
    local k, v = item:match("^([^=]+)=(.*)$")
    if not k then
      args.fail(usage, ("%s '%s' is not KEY=VALUE"):format(what, item))
    end
    t[k] = v
  end
  return t
end

local tags = #opts.tag > 0 and opts.tag or { "latest" }
local references = {}
for i, tag in ipairs(tags) do
  references[i] = repository .. ":" .. tag
end

local user, password = os.getenv("REGISTRY_USER"), os.getenv("REGISTRY_PASSWORD")
if user and password then
  docker.login({ username = user, password = password, registry = repository:match("^[^/]+") })
end

local function fail(err)
  io.stderr:write("ci_build.lua: ", err.kind or "error", ": ", tostring(err.message or err), "\n")
  os.exit(1)
end

local ok, image = pcall(docker.images.build, {
  path = context,
  dockerfile = opts.file,
  tag = references,
  buildargs = pairs_of(opts.build_arg, "--build-arg"),
  labels = pairs_of(opts.label, "--label"),
  target = opts.target,
  nocache = opts.no_cache,
  pull = opts.pull,
  -- A failed step's container is removed too: CI machines are shared.
  forcerm = true,
  progress = function(event)
    if event.stream then
      io.stderr:write(event.stream)
    end
  end,
})
if not ok then
  fail(image)
end

local digest
for _, reference in ipairs(references) do
  local pushed, err = pcall(docker.images.push, reference, {
    progress = function(event)
      if event.aux and event.aux.Digest then
        digest = event.aux.Digest
      end
    end,
  })
  if not pushed then
    fail(err)
  end
  io.stderr:write("pushed ", reference, "\n")
end
print(repository .. "@" .. digest)
