-- Slides a session's idle deadline (expiry-only: data and version are not touched).
-- KEYS: locator. ARGV: 1 prefix, 2 key hex, 3 last renewed, 4 idle deadline.
-- Returns 1, or -1 when the session is gone (it is never re-created).
local tag = redis.call('GET', KEYS[1])
if not tag then return -1 end
local base = ARGV[1] .. '{' .. tag .. '}:'
local rec = base .. 's:' .. ARGV[2]
local old = redis.call('HMGET', rec, 'r', 'i', 'a')
if not old[1] then return -1 end
local abs = tonumber(old[3])
-- Deadlines only move forward, and never past the absolute one.
local r = math.max(tonumber(old[1]), tonumber(ARGV[3]))
local i = math.min(math.max(tonumber(old[2]), tonumber(ARGV[4])), abs)
local exp = math.min(i, abs)
redis.call('HSET', rec, 'r', string.format('%d', r), 'i', string.format('%d', i))
redis.call('EXPIREAT', rec, exp)
redis.call('EXPIREAT', KEYS[1], exp)
redis.call('EXPIREAT', base .. 'idx', exp, 'GT')
return 1
