-- Starts a refresh-token family. KEYS: family, the user's family set.
-- ARGV: 1 token key hex, 2 user, 3 expires at, 4 family hex, 5 the family's claims text.
-- Returns 1, or -1 when the family exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'x', ARGV[3], 'a', ARGV[5], 't:' .. ARGV[1], 'c')
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('TTL', KEYS[2]) == -1 then
  redis.call('EXPIREAT', KEYS[2], ARGV[3])
else
  redis.call('EXPIREAT', KEYS[2], ARGV[3], 'GT')
end
return 1
