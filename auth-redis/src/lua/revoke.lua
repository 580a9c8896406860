-- Revokes the family of a refresh token. KEYS: token locator. ARGV: 1 prefix, 2 token key hex.
-- Returns 1 when a live family was revoked, 0 otherwise.
local loc = redis.call('GET', KEYS[1])
if not loc then return 0 end
local bar = string.find(loc, '|', 1, true)
if not bar then return 0 end
local tag, fam = string.sub(loc, 1, bar - 1), string.sub(loc, bar + 1)
local base = ARGV[1] .. '{' .. tag .. '}:'
if redis.call('HEXISTS', base .. 'f:' .. fam, 't:' .. ARGV[2]) == 0 then return 0 end
redis.call('SREM', base .. 'fams', fam)
return redis.call('DEL', base .. 'f:' .. fam)
