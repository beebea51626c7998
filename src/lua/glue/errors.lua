-- `__index` and `__tostring` on the metatable mlua gives every error value.
local index, tostring_, sample = ...
local mt = debug.getmetatable(sample)
mt.__index = index
mt.__tostring = tostring_
