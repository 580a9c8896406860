-- Files a new session in its user's slot. KEYS: record, user index, user epoch.
-- ARGV: 1 key hex, 2 user, 3 version, 4 created, 5 last renewed, 6 idle deadline,
-- 7 absolute deadline, 8 epoch, 9 expires at, 10 limit kind (0 none, 1 refuse, 2 evict
-- oldest), 11 limit, 12 the user's key base ("<prefix>:{<tag>}:"), then pairs of data slot
-- field ('=' .. slot) and value ('<version>:<json>').
-- Returns {1, evicted key hex...} when filed, {-1} when the key is taken, {-2} when the
-- user's limit is reached.
local rec, idx, ep, base = KEYS[1], KEYS[2], KEYS[3], ARGV[12]
if redis.call('EXISTS', rec) == 1 then return {-1} end
-- The user's live sessions, oldest first; index entries of expired records are dropped.
local live = {}
for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  if redis.call('EXISTS', base .. 's:' .. m) == 1 then
    live[#live + 1] = m
  else
    redis.call('ZREM', idx, m)
  end
end
local kind, max = tonumber(ARGV[10]), tonumber(ARGV[11])
if kind == 1 and #live >= max then return {-2} end
local out = {1}
if kind == 2 then
  for n = 1, #live - (max - 1) do
    redis.call('DEL', base .. 's:' .. live[n])
    redis.call('ZREM', idx, live[n])
    out[#out + 1] = live[n]
  end
end
-- The user's current credential epoch, so that a login after a password change is valid.
local epoch = math.max(tonumber(ARGV[8]), tonumber(redis.call('GET', ep) or '0'))
redis.call('HSET', rec, 'u', ARGV[2], 'v', ARGV[3], 'c', ARGV[4], 'r', ARGV[5],
  'i', ARGV[6], 'a', ARGV[7], 'e', string.format('%d', epoch))
for n = 13, #ARGV - 1, 2 do
  redis.call('HSET', rec, ARGV[n], ARGV[n + 1])
end
redis.call('EXPIREAT', rec, ARGV[9])
redis.call('ZADD', idx, ARGV[4], ARGV[1])
-- The index lives as long as the user's longest session can.
if redis.call('TTL', idx) == -1 then
  redis.call('EXPIREAT', idx, ARGV[7])
else
  redis.call('EXPIREAT', idx, ARGV[7], 'GT')
end
return out
