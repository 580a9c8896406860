-- Revokes one family of a user. KEYS: the family, the user's family set. ARGV: 1 family hex.
-- Returns 1 when a live family was revoked, 0 otherwise.
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
