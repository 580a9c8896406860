-- Links a session to a provider session or user. KEYS: the tag's set. ARGV: 1 the session's
-- storage key (hex), 2 until (ms). The set lives as long as its longest-lived session can.
redis.call('SADD', KEYS[1], ARGV[1])
local deadline = tonumber(ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < deadline then
  redis.call('PEXPIREAT', KEYS[1], deadline)
end
return 1
