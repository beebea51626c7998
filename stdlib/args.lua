--[[ docker.args: command-line options for scripts, with the usual manners:
a usage line and exit status 2 when called wrongly, -h/--help prints it.

  args.parse(argv, spec) -> opts, positional
        argv: the script's `arg` table. spec:
          usage = "ps.lua [-a] [-f KEY=VALUE]... CONTAINER..."  (required)
          flags = { all = {"-a", "--all"}, ... }       no value; opts.all = true
          values = { filter = {"-f", "--filter", multiple = true},
                     timeout = {"-t", "--timeout", number = true},
                     format = {"--format", default = "table",
                               choices = {"table", "json"}} }
          min = 0, max = nil   how many positional arguments (max nil: any)
        Values come as "--name VALUE", "--name=VALUE" or "-n VALUE"; a
        `multiple` value gathers into an array; "--" ends the options.
        On a mistake: "NAME: message" and "usage: USAGE" on stderr, exit 2.
  args.fail(usage, message)   the same exit, for checks of the script's own
]]

local errors = require("docker.errors")

local M = {}

local function script_name(usage)
  return usage:match("^(%S+)") or "script"
end

function M.fail(usage, message)
  errors.check("args.fail", "usage", usage, "string")
  if message then
    io.stderr:write(script_name(usage), ": ", tostring(message), "\n")
  end
  io.stderr:write("usage: ", usage, "\n")
  os.exit(2)
end

function M.parse(argv, spec)
  errors.check("args.parse", "argv", argv, "table")
  errors.check("args.parse", "spec", spec, "table")
  errors.options("args.parse", spec, { "usage", "flags", "values", "min", "max" })
  local usage = errors.check("args.parse", "spec.usage", spec.usage, "string")
  local by_switch = {}
  for kind, defs in pairs({ flag = spec.flags or {}, value = spec.values or {} }) do
    for name, def in pairs(defs) do
      for _, switch in ipairs(def) do
        by_switch[switch] = { name = name, kind = kind, def = def }
      end
    end
  end

  local opts, positional = {}, {}
  for name, def in pairs(spec.values or {}) do
    if def.multiple then
      opts[name] = {}
    elseif def.default ~= nil then
      opts[name] = def.default
    end
  end
  local i, only_positional = 1, false
  while i <= #argv do
    local a = argv[i]
    if only_positional or a == "-" or a:sub(1, 1) ~= "-" then
      positional[#positional + 1] = a
    elseif a == "--" then
      only_positional = true
    elseif a == "-h" or a == "--help" then
      io.stdout:write("usage: ", usage, "\n")
      os.exit(0)
    else
      local switch, inline = a:match("^(%-%-[^=]+)=(.*)$")
      switch = switch or a
      local found = by_switch[switch]
      if not found then
        M.fail(usage, ("unknown option '%s'"):format(switch))
      end
      if found.kind == "flag" then
        if inline then
          M.fail(usage, ("option '%s' takes no value"):format(switch))
        end
        opts[found.name] = true
      else
        local value = inline
        if not value then
          i = i + 1
          value = argv[i]
          if value == nil then
            M.fail(usage, ("option '%s' needs a value"):format(switch))
          end
        end
        local def = found.def
        if def.number then
          value = tonumber(value) or M.fail(usage, ("option '%s' needs a number, got '%s'"):format(switch, value))
        end
        if def.choices then
          local ok = false
          for _, c in ipairs(def.choices) do
            ok = ok or c == value
          end
          if not ok then
            M.fail(usage, ("option '%s' must be one of %s, got '%s'"):format(switch, table.concat(def.choices, ", "), value))
          end
        end
        if def.multiple then
          table.insert(opts[found.name], value)
        else
          opts[found.name] = value
        end
      end
    end
    i = i + 1
  end
  if #positional < (spec.min or 0) then
    M.fail(usage, "missing arguments")
  end
  if spec.max and #positional > spec.max then
    M.fail(usage, ("too many arguments ('%s')"):format(positional[spec.max + 1]))
  end
  return opts, positional
end

return M
