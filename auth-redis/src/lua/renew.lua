-- Slides a session's idle deadline (expiry-only: data and version are not touched).
-- KEYS: record. ARGV: 1 last renewed, 2 idle deadline.
-- Returns 1, or -1 when the session is gone (it is never re-created).
local old = redis.call('HMGET', KEYS[1], 'r', 'i', 'a')
if not old[1] then return -1 end
local abs = tonumber(old[3])
-- Deadlines only move forward, and never past the absolute one.
local r = math.max(tonumber(old[1]), tonumber(ARGV[1]))
local i = math.min(math.max(tonumber(old[2]), tonumber(ARGV[2])), abs)
redis.call('HSET', KEYS[1], 'r', string.format('%d', r), 'i', string.format('%d', i))
redis.call('EXPIREAT', KEYS[1], math.min(i, abs))
return 1
