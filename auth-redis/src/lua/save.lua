-- Compare-and-set of a session's data on its version. KEYS: locator.
-- ARGV: 1 prefix, 2 key hex, 3 expected version, 4 user, 5 data.
-- Returns the new version, -1 when the session is gone (not re-created), -2 on a conflict.
local tag = redis.call('GET', KEYS[1])
if not tag then return -1 end
local rec = ARGV[1] .. '{' .. tag .. '}:s:' .. ARGV[2]
local cur = redis.call('HMGET', rec, 'v', 'u')
if not cur[1] then return -1 end
if cur[1] ~= ARGV[3] or cur[2] ~= ARGV[4] then return -2 end
redis.call('HSET', rec, 'd', ARGV[5])
return redis.call('HINCRBY', rec, 'v', 1)
