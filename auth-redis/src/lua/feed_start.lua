-- Where a full reload starts: the epoch (created if there is none) and the feed's last id.
-- KEYS: 1 the epoch, 2 the feed. ARGV: 1 candidate epoch.
-- Returns { epoch, last id or "0-0" }.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '0-0'
if #last > 0 then id = last[1][1] end
return { redis.call('GET', KEYS[1]), id }
