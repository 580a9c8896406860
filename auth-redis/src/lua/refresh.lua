-- Presents a refresh token of a family. KEYS: family, the user's family set, the token's kept
-- answer. ARGV: 1 old token key hex, 2 new token key hex, 3 family hex, 4 the sealed answer,
-- 5 the reuse interval in milliseconds (0: keep no answer).
-- Returns {0} unknown, {1, user, expires at, claims} rotated, {2, user, expires at, claims}
-- reuse detected (the family is revoked), {3, user, expires at, claims, sealed answer} a repeat
-- within the interval (nothing changes). A family made before it had claims answers ''.
local f = redis.call('HMGET', KEYS[1], 't:' .. ARGV[1], 'u', 'x', 'a')
if not f[1] or not f[2] then return {0} end
local claims = f[4] or ''
if f[1] ~= 'c' then
  -- A spent token: a repeat within the interval gets the first answer (kept with a TTL of the
  -- interval); later, someone holds a copy and the whole family goes.
  local kept = redis.call('GET', KEYS[3])
  if kept then return {3, f[2], f[3], claims, kept} end
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
  return {2, f[2], f[3], claims}
end
redis.call('HSET', KEYS[1], 't:' .. ARGV[1], 's', 't:' .. ARGV[2], 'c')
if tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
end
return {1, f[2], f[3], claims}
