-- Starts a refresh-token family. KEYS: token locator, family, the user's family set.
-- ARGV: 1 locator value ("<tag>|<family hex>"), 2 token key hex, 3 user, 4 expires at,
-- 5 family hex. Returns 1, or -1 when the token or the family exists.
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('HSET', KEYS[2], 'u', ARGV[3], 'x', ARGV[4], 't:' .. ARGV[2], 'c')
redis.call('EXPIREAT', KEYS[2], ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
if redis.call('TTL', KEYS[3]) == -1 then
  redis.call('EXPIREAT', KEYS[3], ARGV[4])
else
  redis.call('EXPIREAT', KEYS[3], ARGV[4], 'GT')
end
return 1
