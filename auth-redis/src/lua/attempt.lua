-- One login attempt, exactly as auth_policy::throttle::ThrottlePolicy::attempt: if a counter
-- imposes a wait, that wait and nothing counted; otherwise one failure counted on every
-- counter (until a success forgives it). KEYS: the counters (hashes n = count, l = last).
-- ARGV: 1 now, 2 window, 3 threshold, 4 first delay, 5 longest delay.
-- Returns the wait in seconds, 0 when the attempt proceeds.
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local threshold, base, max = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local longest = 0
for _, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'n', 'l')
  local count, last = tonumber(f[1] or '0'), tonumber(f[2] or '0')
  if count >= threshold then
    -- base * 2^(count - threshold), capped (the loop stops at the cap).
    local delay = base
    for _ = 1, count - threshold do
      if delay >= max then break end
      delay = delay * 2
    end
    if delay > max then delay = max end
    local wait = math.min(math.max(last + delay - now, 0), delay)
    if wait > longest then longest = wait end
  end
end
if longest > 0 then return longest end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  local last = tonumber(redis.call('HGET', key, 'l') or '0')
  if now > last then redis.call('HSET', key, 'l', string.format('%d', now)) end
  redis.call('EXPIRE', key, window)
end
return 0
