-- Revokes every refresh-token family of a user. KEYS: the user's family set.
-- ARGV: 1 the user's key base. Returns the families (hex) that were live.
local revoked = {}
for _, fam in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('DEL', ARGV[1] .. 'f:' .. fam) == 1 then
    revoked[#revoked + 1] = fam
  end
end
redis.call('DEL', KEYS[1])
return revoked
