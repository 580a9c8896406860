-- Revokes the family of a refresh token. KEYS: family, the user's family set.
-- ARGV: 1 token key hex, 2 family hex. Returns 1 when a live family was revoked, 0 otherwise.
if redis.call('HEXISTS', KEYS[1], 't:' .. ARGV[1]) == 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
