--[[ docker.human: sizes, durations and times as people (and the docker CLI)
write them, and back.

  human.size(bytes [, opts]) -> "1.24MB"   decimal units with 3 significant
        digits, as `docker images` shows; opts.binary = true: "1.18MiB"
        (1024-based); opts.precision = digits
  human.duration(seconds) -> "5 minutes"   as the docker CLI words it:
        "Less than a second", "1 second", "About a minute", "3 hours",
        "2 days", "3 weeks", "4 months", "2 years"
  human.ago(time [, now]) -> "5 minutes ago"   time: Unix seconds or an
        RFC 3339 string (the engine's timestamps); now defaults to os.time()
  human.time(value) -> seconds or nil   Unix seconds (with fractions) of an
        RFC 3339 string such as "2024-05-01T12:00:00.5Z" or "...+02:00";
        a number is returned as is; nil for the engine's zero time
        ("0001-01-01T00:00:00Z")
  human.parse_duration(text) -> seconds   "90", "1.5", "250ms", "30s", "5m",
        "2h", "1d", "1h30m"; a number is returned as is
  human.parse_size(text) -> bytes   "512", "10k", "512m", "1.5g", "2t"
        (1024-based, a trailing "b"/"ib" allowed); a number is returned as is
]]

local errors = require("docker.errors")

local M = {}

local DECIMAL = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" }
local BINARY = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" }

function M.size(bytes, opts)
  errors.check("human.size", "bytes", bytes, "number")
  opts = errors.options("human.size", opts, { "binary", "precision" })
  local base, units = 1000.0, DECIMAL
  if opts.binary then
    base, units = 1024.0, BINARY
  end
  local precision = opts.precision or 3
  if math.type(precision) ~= "integer" or precision < 1 or precision > 17 then
    errors.invalid("human.size", ("bad option 'precision' (integer 1-17 expected, got %s)"):format(tostring(precision)))
  end
  if bytes ~= bytes then
    errors.invalid("human.size", "bad argument 'bytes' (a number expected, got nan)")
  end
  local size, i = bytes + 0.0, 1
  while size >= base and i < #units do
    size, i = size / base, i + 1
  end
  -- "%g" drops trailing zeros, as Go's %.*g does in go-units.
  return ("%." .. precision .. "g%s"):format(size, units[i])
end

function M.duration(seconds)
  errors.check("human.duration", "seconds", seconds, "number")
  if seconds ~= seconds or seconds == math.huge or seconds == -math.huge then
    errors.invalid("human.duration", ("bad argument 'seconds' (a finite number expected, got %s)"):format(tostring(seconds)))
  end
  local s = math.floor(seconds)
  if s < 1 then
    return "Less than a second"
  elseif s == 1 then
    return "1 second"
  elseif s < 60 then
    return s .. " seconds"
  end
  local minutes = s // 60
  if minutes == 1 then
    return "About a minute"
  elseif minutes < 60 then
    return minutes .. " minutes"
  end
  local hours = math.floor(seconds / 3600 + 0.5)
  if hours == 1 then
    return "About an hour"
  elseif hours < 48 then
    return hours .. " hours"
  elseif hours < 24 * 7 * 2 then
    return hours // 24 .. " days"
  elseif hours < 24 * 30 * 2 then
    return hours // 24 // 7 .. " weeks"
  elseif hours < 24 * 365 * 2 then
    return hours // 24 // 30 .. " months"
  end
  return s // 3600 // 24 // 365 .. " years"
end

-- Days since 1970-01-01 of a civil date (proleptic Gregorian), so that UTC
-- times convert without os.time, which reads them as local time.
local function days_from_civil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

function M.time(value)
  if type(value) == "number" then
    return value
  end
  errors.check("human.time", "value", value, "string")
  local y, mo, d, h, mi, s, rest =
    value:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then
    errors.invalid("human.time", ("bad argument 'value' (RFC 3339 time expected, got '%s')"):format(value))
  end
  if y == "0001" then
    return nil
  end
  local year, month, day = tonumber(y), tonumber(mo), tonumber(d)
  local month_days = { 31, (year % 4 == 0 and (year % 100 ~= 0 or year % 400 == 0)) and 29 or 28,
    31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if month < 1 or month > 12 or day < 1 or day > month_days[month]
    or tonumber(h) > 23 or tonumber(mi) > 59 or tonumber(s) > 60 then
    errors.invalid("human.time", ("bad argument 'value' (no such date or time: '%s')"):format(value))
  end
  local fraction, zone = rest:match("^(%.%d+)(.*)$")
  if not fraction then
    fraction, zone = "", rest
  end
  local offset = 0
  if zone ~= "Z" and zone ~= "z" and zone ~= "" then
    local sign, oh, om = zone:match("^([%+%-])(%d%d):?(%d%d)$")
    if not sign then
      errors.invalid("human.time", ("bad time zone in '%s'"):format(value))
    end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
  end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  local t = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s) - offset
  if fraction ~= "" then
    t = t + tonumber("0" .. fraction)
  end
  return t
end

function M.ago(time, now)
  if type(time) ~= "number" and type(time) ~= "string" then
    errors.check("human.ago", "time", time, "number")
  end
  errors.check("human.ago", "now", now, "number", true)
  local t = M.time(time)
  if not t then
    return "never"
  end
  return M.duration((now or os.time()) - t) .. " ago"
end

local DURATION_UNITS = { ms = 0.001, s = 1, m = 60, h = 3600, d = 86400 }

function M.parse_duration(text)
  if type(text) == "number" then
    return text
  end
  errors.check("human.parse_duration", "text", text, "string")
  local plain = tonumber(text)
  if plain then
    return plain
  end
  local total, rest = 0, text
  while rest ~= "" do
    local n, unit, after = rest:match("^(%d+%.?%d*)(%a+)(.*)$")
    local scale = unit and DURATION_UNITS[unit]
    if not scale then
      errors.invalid("human.parse_duration", ("bad duration '%s' (e.g. 30s, 5m, 1h30m)"):format(text))
    end
    total, rest = total + tonumber(n) * scale, after
  end
  return total
end

local SIZE_UNITS = { [""] = 1, b = 1, k = 1024, m = 1024 ^ 2, g = 1024 ^ 3, t = 1024 ^ 4 }

function M.parse_size(text)
  if type(text) == "number" then
    return text
  end
  errors.check("human.parse_size", "text", text, "string")
  local n, unit = text:lower():match("^%s*(%d+%.?%d*)%s*(%a?)i?b?%s*$")
  local scale = n and SIZE_UNITS[unit]
  if not scale then
    errors.invalid("human.parse_size", ("bad size '%s' (e.g. 512m, 1.5g)"):format(text))
  end
  return math.floor(tonumber(n) * scale)
end

return M
