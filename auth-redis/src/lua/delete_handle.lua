-- Deletes the user's session whose key starts with a handle. KEYS: user index.
-- ARGV: 1 the user's key base, 2 handle hex.
-- Returns the deleted session's key hex, or nil when the user has none with that handle.
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #ARGV[2]) == ARGV[2] then
    redis.call('ZREM', KEYS[1], m)
    if redis.call('DEL', ARGV[1] .. 's:' .. m) == 1 then return m end
    return false
  end
end
return false
