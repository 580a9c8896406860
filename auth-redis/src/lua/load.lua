-- Loads a session and its user's epoch in one round trip. KEYS: locator.
-- ARGV: 1 prefix ("<prefix>:"), 2 key hex.
-- Returns nil, or {user, data, version, created, last renewed, idle, absolute, epoch,
-- user epoch}.
local tag = redis.call('GET', KEYS[1])
if not tag then return false end
local base = ARGV[1] .. '{' .. tag .. '}:'
local rec = redis.call('HMGET', base .. 's:' .. ARGV[2], 'u', 'd', 'v', 'c', 'r', 'i', 'a', 'e')
if not rec[1] then return false end
rec[9] = redis.call('GET', base .. 'ep') or '0'
return rec
