-- The store's answer about one token: its epoch (created if there is none: a store without
-- one cannot vouch for earlier tokens) and the live entries that could refuse the token.
-- KEYS: 1 live entries, 2 the epoch. ARGV: 1 candidate epoch, then the fields to look up.
-- Returns { epoch, field1, value1 or false, ... }.
redis.call('SET', KEYS[2], ARGV[1], 'NX')
local out = { redis.call('GET', KEYS[2]) }
for i = 2, #ARGV do
  out[#out + 1] = ARGV[i]
  out[#out + 1] = redis.call('HGET', KEYS[1], ARGV[i])
end
return out
