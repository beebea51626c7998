-- `print`, `io.write`, `io.read` and their file methods, as the host needs
-- them: see `HOST_IO` in src/cli/mod.rs.
local broken_pipe, check, prompt, lost = ...
local stdout, stderr, tostring, select, concat = io.stdout, io.stderr, tostring, select, table.concat
local EPIPE = 32
local methods = getmetatable(io.stdin).__index
local file_write, default_write, output = methods.write, io.write, io.output
local file_flush, default_flush, file_setvbuf = methods.flush, io.flush, methods.setvbuf
-- Files made line-buffered: their writes are checked with `lost`.
local line_buffered, any_line_buffered = setmetatable({}, {__mode = "k"}), false
local function written(file, ok, err, code)
  if not ok then
    if code == EPIPE then broken_pipe() end
  elseif any_line_buffered and line_buffered[file] and lost(file) then
    broken_pipe()
  end
  return ok, err, code
end
function print(...)
  local n = select("#", ...)
  local parts = {...}
  for i = 1, n do parts[i] = tostring(parts[i]) end
  local redirect = prompt.redirect
  if redirect then return redirect(concat(parts, "\t", 1, n) .. "\n") end
  if written(stdout, file_write(stdout, concat(parts, "\t", 1, n), "\n")) then
    written(stdout, file_flush(stdout))
  end
end
function methods.setvbuf(file, mode, ...)
  if mode == "line" then any_line_buffered = true end
  line_buffered[file] = mode == "line" or nil
  return file_setvbuf(file, mode, ...)
end
function methods.flush(file)
  return written(file, file_flush(file))
end
function io.flush()
  return written(output(), default_flush())
end
local pack, unpack = table.pack, table.unpack
local function checked(read)
  return function(...)
    check()
    local r = pack(read(...))
    check()
    return unpack(r, 1, r.n)
  end
end
io.read = checked(io.read)
methods.read = checked(methods.read)
function methods.write(file, ...)
  local redirect = prompt.redirect
  if redirect and (file == stdout or file == stderr) then
    redirect(concat({...}))
    return file
  end
  return written(file, file_write(file, ...))
end
function io.write(...)
  local redirect = prompt.redirect
  if redirect and output() == stdout then
    redirect(concat({...}))
    return stdout
  end
  return written(any_line_buffered and output(), default_write(...))
end
