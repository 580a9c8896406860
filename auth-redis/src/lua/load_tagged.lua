-- Loads a session from its user's slot (the tag is known). KEYS: record, user epoch.
-- Returns nil, or {user, data, version, created, last renewed, idle, absolute, epoch,
-- user epoch}.
local rec = redis.call('HMGET', KEYS[1], 'u', 'd', 'v', 'c', 'r', 'i', 'a', 'e')
if not rec[1] then return false end
rec[9] = redis.call('GET', KEYS[2]) or '0'
return rec
