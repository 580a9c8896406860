-- Deletes every session of a user (log out everywhere). KEYS: user index.
-- ARGV: 1 the user's key base, 2 locator base. Returns how many sessions were deleted.
local n = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  n = n + redis.call('DEL', ARGV[1] .. 's:' .. m)
  redis.call('DEL', ARGV[2] .. m)
end
redis.call('DEL', KEYS[1])
return n
