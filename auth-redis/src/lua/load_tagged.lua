-- Loads a session from its user's slot (the tag is known). KEYS: record, user epoch.
-- Returns nil, or {user epoch, {field, value, ...}} as load.lua does.
local rec = redis.call('HGETALL', KEYS[1])
if #rec == 0 then return false end
return {redis.call('GET', KEYS[2]) or '0', rec}
