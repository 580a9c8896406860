-- Moves a session to a new key in one step; the old key finds nothing afterwards.
-- KEYS: old locator, new locator. ARGV: 1 prefix, 2 old key hex, 3 new key hex.
-- Returns 1, -1 when the old session is gone, -2 when the new key is taken.
local tag = redis.call('GET', KEYS[1])
if not tag then return -1 end
local base = ARGV[1] .. '{' .. tag .. '}:'
local old, new = base .. 's:' .. ARGV[2], base .. 's:' .. ARGV[3]
if redis.call('EXISTS', old) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', new) == 1 then return -2 end
local created = redis.call('HGET', old, 'c')
-- RENAME keeps the TTL of the record and of the locator.
redis.call('RENAME', old, new)
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('ZREM', base .. 'idx', ARGV[2])
redis.call('ZADD', base .. 'idx', created, ARGV[3])
return 1
