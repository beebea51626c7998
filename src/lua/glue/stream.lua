-- A stream's `__call`: the next step of its batch, or a new batch.
local fill, batches = ...
return function(self)
  local batch = batches[self]
  if batch then
    local i = batch.i
    if i < batch.n then
      batch.i = i + 2
      return batch[i + 1], batch[i + 2]
    end
  end
  return fill(self)
end
