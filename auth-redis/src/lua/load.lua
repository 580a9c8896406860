-- Loads a session and its user's epoch in one round trip. KEYS: locator.
-- ARGV: 1 prefix ("<prefix>:"), 2 key hex.
-- Returns nil, or {user epoch, {field, value, ...}} (the record's hash: u user, v version,
-- c created, r last renewed, i idle, a absolute, e epoch, '=' .. slot data slots).
local tag = redis.call('GET', KEYS[1])
if not tag then return false end
local base = ARGV[1] .. '{' .. tag .. '}:'
local rec = redis.call('HGETALL', base .. 's:' .. ARGV[2])
if #rec == 0 then return false end
return {redis.call('GET', base .. 'ep') or '0', rec}
