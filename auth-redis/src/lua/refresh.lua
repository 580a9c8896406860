-- Presents a refresh token. KEYS: old token locator, new token locator.
-- ARGV: 1 prefix, 2 old token key hex, 3 new token key hex.
-- Returns {0} unknown, {-1} new key taken, {1, family hex, user, expires at} rotated,
-- {2, family hex, user, expires at} reuse detected (the family is revoked).
local loc = redis.call('GET', KEYS[1])
if not loc then return {0} end
local bar = string.find(loc, '|', 1, true)
if not bar then return {0} end
local tag, fam = string.sub(loc, 1, bar - 1), string.sub(loc, bar + 1)
local base = ARGV[1] .. '{' .. tag .. '}:'
local fkey = base .. 'f:' .. fam
local f = redis.call('HMGET', fkey, 't:' .. ARGV[2], 'u', 'x')
if not f[1] or not f[2] then return {0} end
if f[1] ~= 'c' then
  -- A spent token: someone holds a copy. The whole family goes.
  redis.call('DEL', fkey)
  redis.call('SREM', base .. 'fams', fam)
  return {2, fam, f[2], f[3]}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1} end
redis.call('HSET', fkey, 't:' .. ARGV[2], 's', 't:' .. ARGV[3], 'c')
redis.call('SET', KEYS[2], loc, 'EXAT', f[3])
return {1, fam, f[2], f[3]}
