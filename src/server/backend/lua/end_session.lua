-- Ends a session on purpose: the record goes at once, so no request can use it again; the
-- activity stays, marked with why and when (the first mark wins), until it is archived.
-- KEYS: 1 record, 2 activity hash, 3 renewed mark
-- ARGV: 1 reason, 2 now (ms), 3 how long to keep the renewed mark (ms; 0: none)
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('HEXISTS', KEYS[2], 'ended') == 0 then
  redis.call('HSET', KEYS[2], 'ended', ARGV[1], 'ended_at', ARGV[2])
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
end
return 1
