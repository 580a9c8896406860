-- Deletes every session of a user (log out everywhere). KEYS: user index.
-- ARGV: 1 the user's key base. Returns the key hex of every session deleted.
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('DEL', ARGV[1] .. 's:' .. m) == 1 then out[#out + 1] = m end
end
redis.call('DEL', KEYS[1])
return out
