-- Moves a session to a new key of the same user in one step. KEYS: old record, new record,
-- user index. ARGV: 1 old key hex, 2 new key hex.
-- Returns {1, absolute deadline}, {-1} when the old session is gone, {-2} when the new key is
-- taken.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {-2} end
local created = redis.call('HGET', KEYS[1], 'c')
-- RENAME keeps the record's TTL.
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[3], created, ARGV[2])
return {1, redis.call('HGET', KEYS[2], 'a')}
