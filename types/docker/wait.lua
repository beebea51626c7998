---@meta docker.wait
-- dockerlua LuaLS definitions: require("docker.wait").

---@class docker.wait
local wait = {}
---Calls fn until it returns a truthy value; raises Timeout after opts.timeout seconds.
---@param fn fun(): any
---@param opts {timeout: number?, interval: number?, what: string?}?
---@return any ...
function wait.poll(fn, opts) end
---Waits until the container's health check says healthy; a WaitError at once when it says
---unhealthy (fields status, exit_status, output: the last probe's).
---@param container Container|string
---@param opts {timeout: number?, interval: number?, client: DockerClient?}?
---@return Container
function wait.healthy(container, opts) end
---Waits until a log line matches pattern; returns the line.
---@param container Container|string
---@param pattern string
---@param opts {timeout: number?, interval: number?, plain: boolean?, stream: "stdout"|"stderr"?, client: DockerClient?}?
---@return string line
function wait.log(container, pattern, opts) end
---Waits until the container's port answers TCP; returns host and port.
---@param target Container|string
---@param port integer|string
---@param opts {timeout: number?, interval: number?, probe_timeout: number?, published: boolean?}?
---@return string host
---@return integer port
function wait.port(target, port, opts) end

return wait
