-- Revokes an access token until its own exp (a time in the past stores nothing), never
-- shortening an earlier revocation. KEYS: the jti's key. ARGV: 1 exp.
redis.call('SET', KEYS[1], '1', 'NX', 'EXAT', ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[1], 'GT')
return 1
