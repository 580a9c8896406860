-- Deletes the user's session whose key starts with a handle. KEYS: user index.
-- ARGV: 1 the user's key base, 2 locator base, 3 handle hex.
-- Returns 1 when a session was deleted, 0 when the user has none with that handle.
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #ARGV[3]) == ARGV[3] then
    redis.call('ZREM', KEYS[1], m)
    redis.call('DEL', ARGV[2] .. m)
    return redis.call('DEL', ARGV[1] .. 's:' .. m)
  end
end
return 0
