-- The family of a refresh token, current or spent, while the family lives. KEYS: family.
-- ARGV: 1 token key hex. Returns {0} unknown, {1, user, expires at, claims}.
local f = redis.call('HMGET', KEYS[1], 't:' .. ARGV[1], 'u', 'x', 'a')
if not f[1] or not f[2] then return {0} end
return {1, f[2], f[3], f[4] or ''}
