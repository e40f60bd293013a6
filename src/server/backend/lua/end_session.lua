-- Ends a session on purpose: the record goes at once, so no request can use it again; the
-- activity stays, marked with why and when (the first mark wins), until it is archived.
-- KEYS: 1 record, 2 activity hash, 3 user view hash
-- ARGV: 1 reason, 2 now (ms)
redis.call('DEL', KEYS[1], KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('HEXISTS', KEYS[2], 'ended') == 0 then
  redis.call('HSET', KEYS[2], 'ended', ARGV[1], 'ended_at', ARGV[2])
end
return 1
