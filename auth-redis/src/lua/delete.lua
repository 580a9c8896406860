-- Deletes one session (logout). KEYS: locator. ARGV: 1 prefix, 2 key hex.
-- Returns 1 when a session was deleted, 0 when there was none.
local tag = redis.call('GET', KEYS[1])
if not tag then return 0 end
redis.call('DEL', KEYS[1])
local base = ARGV[1] .. '{' .. tag .. '}:'
redis.call('ZREM', base .. 'idx', ARGV[2])
return redis.call('DEL', base .. 's:' .. ARGV[2])
