#!/usr/bin/env dockerlua
-- Deploy a compose project: bring it up (waiting until every service is
-- running and healthy), run a one-off migration in a fresh container of a
-- service (as `docker compose run --rm`), then restart one service's
-- containers one at a time, each waited for before the next, so that the
-- service never stops whole. Exit 1 when a step fails.
--   dockerlua scripts/compose_deploy.lua [-f FILE]... [-p NAME] [-t SECONDS]
--     [--migrate SERVICE --command CMD] [--restart SERVICE]
local args = require("docker.args")

local usage = "compose_deploy.lua [-f FILE]... [-p NAME] [-t SECONDS] [--migrate SERVICE] [--command CMD] [--restart SERVICE]"
local opts = args.parse(arg, {
  usage = usage,
  values = {
    file = { "-f", "--file", multiple = true },
    project = { "-p", "--project-name" },
    timeout = { "-t", "--timeout", number = true, default = 120 },
    migrate = { "--migrate" },
    command = { "--command" },
    restart = { "--restart" },
  },
  max = 0,
})
local timeout = opts.timeout
if opts.migrate and not opts.command then
  args.fail(usage, "--migrate needs --command")
end

local p = docker.compose.load{files = opts.file, project_name = opts.project}
local report = p:up{wait = true, wait_timeout = timeout}
print(("%s: %d created, %d recreated, %d unchanged"):format(
  p.name, #report.created, #report.recreated, #report.unchanged))

if opts.migrate then
  -- A failing migration raises a ContainerError (exit status, stderr): the
  -- script stops there, before any restart.
  local out = p:run(opts.migrate, opts.command, {remove = true})
  io.write(out)
  print(("migration in %s: done"):format(opts.migrate))
end

if opts.restart then
  local containers = p:ps{services = {opts.restart}}
  for _, c in ipairs(containers) do
    c:restart{timeout = 10}
    -- Up again: running, and healthy when it has a healthcheck.
    local deadline = os.time() + timeout
    repeat
      c:reload()
      local health = c.attrs.State.Health
      local ready = c.status == "running" and (health == nil or health.Status == "healthy")
      if not ready then
        if os.time() > deadline then
          error(("%s is not back after %d s"):format(c.name, timeout), 0)
        end
        docker.sleep(0.2)
      end
    until ready
    print(("restarted %s"):format(c.name))
  end
end
