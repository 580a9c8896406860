-- Records access-token revocations and publishes them on the feed, in one step.
-- KEYS: 1 live entries (hash field -> value), 2 their ends (sorted set), 3 the feed (stream),
--       4 the epoch, 5 the newest feed id trimmed away.
-- ARGV: 1 now (s), 2 candidate epoch ("<id hex>:<start>"), 3 feed keep (ms), 4 now (ms),
--       then triples: field, value, until (s).
-- Entries are merged with one of the same name, never weakened: `until` (and a cutoff's
-- `before`) only grow. The values are the policy layer's: "<until>" or "<before>:<until>".
-- Returns the number of entries kept.
local now = tonumber(ARGV[1])
redis.call('SET', KEYS[4], ARGV[2], 'NX')
local kept = 0
for i = 5, #ARGV, 3 do
  local field, value, untl = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if untl > now then
    local old = redis.call('HGET', KEYS[1], field)
    if old then
      local ob, ou = string.match(old, '^(%d+):(%d+)$')
      local nb, nu = string.match(value, '^(%d+):(%d+)$')
      if ob and nb then
        local b = math.max(tonumber(ob), tonumber(nb))
        untl = math.max(tonumber(ou), tonumber(nu))
        value = string.format('%d:%d', b, untl)
      else
        untl = math.max(tonumber(old), untl)
        value = string.format('%d', untl)
      end
    end
    redis.call('HSET', KEYS[1], field, value)
    redis.call('ZADD', KEYS[2], untl, field)
    redis.call('XADD', KEYS[3], '*', 'f', field, 'v', value)
    kept = kept + 1
  end
end
-- Forget up to 1,000 entries that are over (a reload forgets more: feed_start.lua).
local over = redis.call('ZRANGE', KEYS[2], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1000)
for _, field in ipairs(over) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
-- Trim the feed to its keep window, remembering the newest id trimmed.
local minid = tonumber(ARGV[4]) - tonumber(ARGV[3])
if minid > 0 then
  local last = redis.call('XREVRANGE', KEYS[3], '(' .. minid, '-', 'COUNT', 1)
  if #last > 0 then
    redis.call('SET', KEYS[5], last[1][1])
    redis.call('XTRIM', KEYS[3], 'MINID', minid)
  end
end
return kept
