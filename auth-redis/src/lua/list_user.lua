-- Lists a user's live sessions, oldest first; drops index entries of expired records.
-- KEYS: user index. ARGV: 1 the user's key base.
-- Returns a flat array {key hex, created, last renewed, ...}.
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local t = redis.call('HMGET', ARGV[1] .. 's:' .. m, 'c', 'r')
  if t[1] then
    out[#out + 1] = m
    out[#out + 1] = t[1]
    out[#out + 1] = t[2]
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
