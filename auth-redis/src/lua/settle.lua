-- After a successful login, as auth_core::throttle::ThrottlePolicy::forgive: the account's
-- counter forgives one attempt, a client's or device's is forgotten.
-- KEYS: the counters. ARGV: for each, 'a' (the account's) or 'o' (another).
for i, key in ipairs(KEYS) do
  if ARGV[i] == 'a' then
    local n = tonumber(redis.call('HGET', key, 'n') or '0')
    if n > 1 then redis.call('HINCRBY', key, 'n', -1) else redis.call('DEL', key) end
  else
    redis.call('DEL', key)
  end
end
return 1
