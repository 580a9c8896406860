-- Compare-and-set of a session's data on its version. KEYS: record.
-- ARGV: 1 expected version, 2 user, 3 data.
-- Returns the new version, -1 when the session is gone (not re-created), -2 on a conflict.
local cur = redis.call('HMGET', KEYS[1], 'v', 'u')
if not cur[1] then return -1 end
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return -2 end
redis.call('HSET', KEYS[1], 'd', ARGV[3])
return redis.call('HINCRBY', KEYS[1], 'v', 1)
