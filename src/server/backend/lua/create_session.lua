-- Creates a session unless its id is taken. One atomic step, so a half-created session is
-- never visible. The activity it starts with (a first page, or a visit carried over from a
-- renewed session) is worked out by the caller (`NewSession::initial_activity`).
-- KEYS: 1 record, 2 activity hash, 3 pages list
-- ARGV: 1 record, 2 now (ms), 3 expires at (ms), 4 idle (ms), 5 deadline (ms or ''),
--       6 archive grace (ms), 7 user id ('' for a guest), 8 started at (ms), 9 page count,
--       10 first paths (newline-separated, '' for none), 11… visits ('<ms> <path>', oldest first)
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3], 'NX') then
  return 0
end
local keep_until = tonumber(ARGV[3]) + tonumber(ARGV[6])
if #ARGV >= 11 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 11))
  redis.call('PEXPIREAT', KEYS[3], keep_until)
end
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[2], 'first', ARGV[10])
end
redis.call('HSET', KEYS[2], 'start', ARGV[8], 'last', ARGV[2], 'count', ARGV[9], 'idle', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[2], 'deadline', ARGV[5])
end
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[2], 'user', ARGV[7])
end
redis.call('PEXPIREAT', KEYS[2], keep_until)
return 1
