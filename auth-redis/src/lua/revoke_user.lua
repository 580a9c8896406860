-- Revokes every refresh-token family of a user. KEYS: the user's family set.
-- ARGV: 1 the user's key base. Returns how many live families were revoked.
local n = 0
for _, fam in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('DEL', ARGV[1] .. 'f:' .. fam)
end
redis.call('DEL', KEYS[1])
return n
