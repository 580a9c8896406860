-- Presents a refresh token of a family. KEYS: family, the user's family set.
-- ARGV: 1 old token key hex, 2 new token key hex, 3 family hex.
-- Returns {0} unknown, {1, user, expires at, claims} rotated, {2, user, expires at, claims}
-- reuse detected (the family is revoked). A family made before it had claims answers ''.
local f = redis.call('HMGET', KEYS[1], 't:' .. ARGV[1], 'u', 'x', 'a')
if not f[1] or not f[2] then return {0} end
local claims = f[4] or ''
if f[1] ~= 'c' then
  -- A spent token: someone holds a copy. The whole family goes.
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
  return {2, f[2], f[3], claims}
end
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], 's', 't:' .. ARGV[2], 'c')
return {1, f[2], f[3], claims}
