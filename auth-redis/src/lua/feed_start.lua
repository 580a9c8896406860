-- Where a full reload starts: the epoch (created if there is none) and the feed's last id.
-- Forgets up to 10,000 entries that are over first, so that entries left by a burst of
-- revocations do not outlive their tokens for long when revocations stop.
-- KEYS: 1 the epoch, 2 the feed, 3 live entries, 4 their ends.
-- ARGV: 1 candidate epoch, 2 now (s).
-- Returns { epoch, last id or "0-0" }.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local over = redis.call('ZRANGE', KEYS[4], '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, 10000)
for _, field in ipairs(over) do
  redis.call('HDEL', KEYS[3], field)
  redis.call('ZREM', KEYS[4], field)
end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return { redis.call('GET', KEYS[1]), id }
