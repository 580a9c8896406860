-- Deletes one session (logout). KEYS: record, user index. ARGV: 1 key hex.
-- Returns 1 when a session was deleted, 0 when there was none.
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
