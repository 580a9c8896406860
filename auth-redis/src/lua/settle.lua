-- After a successful login, as auth_policy::throttle::ThrottlePolicy::forgive: the account's
-- counter forgives one attempt and its wait ends (its last failure no later than now minus
-- the longest delay); a client's or device's is forgotten.
-- KEYS: the counters. ARGV: for each, 'a' (the account's) or 'o' (another); then now, then
-- the longest delay.
local now, max = tonumber(ARGV[#KEYS + 1]), tonumber(ARGV[#KEYS + 2])
local served = math.max(now - max, 0)
for i, key in ipairs(KEYS) do
  if ARGV[i] == 'a' then
    local n = tonumber(redis.call('HGET', key, 'n') or '0')
    if n > 1 then
      redis.call('HINCRBY', key, 'n', -1)
      local last = tonumber(redis.call('HGET', key, 'l') or '0')
      if last > served then redis.call('HSET', key, 'l', string.format('%d', served)) end
    else
      redis.call('DEL', key)
    end
  else
    redis.call('DEL', key)
  end
end
return 1
