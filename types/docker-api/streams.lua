---@meta
-- dockerlua LuaLS definitions: streamed answers. Print them all with
-- `dockerlua --print-types`, or write the folder with `--write-types DIR`.

---A streamed answer, called once per step as a `for ... in` iterator. Given
---directly to a `for`, the loop closes it when it ends (also on `break` or an
---error). Kept in a variable, close it with `s:close()` or declare it
---`local s <close> = ...`; a closed stream yields nothing more.
---`tostring(s)` is e.g. `<LogStream open>`.
---@class DockerStream
local DockerStream = {}

---Ends the stream and drops its connection at once (closing again is harmless).
function DockerStream:close() end

---Log lines (without their newline) and the stream each came from.
---@class LogStream: DockerStream
---@overload fun(): string?, "stdout"|"stderr"|nil

---A streamed exec's output lines and stream names; `exit_code` once the
---loop has ended.
---@class ExecStream: DockerStream
---@field exit_code integer? the command's exit code, set when the output has ended (nil before)
---@overload fun(): string?, "stdout"|"stderr"|nil

---A stream that is also written to: a process's stdin (`c:exec(cmd,
---{stdin = true})`, `c:attach{stdin = true}`). Iterate it for the output.
---@class DuplexStream: DockerStream
local DuplexStream = {}

---Sends `data` to the process's stdin (waits while the process does not
---read: write a lot from a task while a loop reads). Returns true.
---@param data string
---@return true
function DuplexStream:write(data) end

---End of file on the process's stdin; the output goes on. With a TTY the
---engine ends the session instead: send `"\x04"` (Ctrl-D) for end of file.
function DuplexStream:close_write() end

---A streamed or two-way exec (`stdin = true`: also a DuplexStream).
---@class ExecDuplexStream: ExecStream, DuplexStream

---A streamed run's output lines and stream names; `exit_code` once the
---loop has ended. Closed before the end (`break`, `s:close()`, Ctrl-C), the
---container is killed, or removed with `remove = true`.
---@class RunStream: DockerStream
---@field exit_code integer? the container's exit code, set when the output has ended
---@overload fun(): string?, "stdout"|"stderr"|nil

---An attached container's live output lines; `exit_code` once it has
---ended. With `stdin = true`, also a DuplexStream.
---@class AttachStream: DuplexStream
---@field exit_code integer? the container's exit code, set when the output has ended
---@overload fun(): string?, "stdout"|"stderr"|nil

---Stats samples (the engine's JSON with the figures, about one a second);
---never ends by itself.
---@class StatsStream: DockerStream
---@overload fun(): StatsSample?

---Engine events (the engine's JSON).
---@class EventStream: DockerStream
---@overload fun(): table?

---A raw `docker.api{stream = true}` answer: JSON values, or `line, stream`.
---@class ApiStream: DockerStream
