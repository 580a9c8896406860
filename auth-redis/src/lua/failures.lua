-- The failures of each counter. KEYS: the counters. Returns {count, last, ...} (0 for absent).
local out = {}
for _, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'n', 'l')
  out[#out + 1] = tonumber(f[1] or '0')
  out[#out + 1] = tonumber(f[2] or '0')
end
return out
