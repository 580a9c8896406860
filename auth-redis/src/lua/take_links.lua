-- Reads and deletes the sessions linked to a tag. KEYS: the tag's set.
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
