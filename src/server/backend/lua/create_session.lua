-- Creates a session unless its id is taken. One atomic step, so a half-created session is
-- never visible.
-- KEYS: 1 record, 2 activity hash, 3 pages list
-- ARGV: 1 record, 2 now (ms), 3 expires at (ms), 4 idle (ms), 5 deadline (ms or ''),
--       6 archive grace (ms), 7 first page ('' for none), 8 user id ('' for a guest)
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[3], 'NX') then
  return 0
end
local keep_until = tonumber(ARGV[3]) + tonumber(ARGV[6])
local count = 0
if ARGV[7] ~= '' then
  count = 1
  redis.call('RPUSH', KEYS[3], ARGV[2] .. ' ' .. ARGV[7])
  redis.call('PEXPIREAT', KEYS[3], keep_until)
  redis.call('HSET', KEYS[2], 'first', ARGV[7])
end
redis.call('HSET', KEYS[2], 'start', ARGV[2], 'last', ARGV[2], 'count', count, 'idle', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[2], 'deadline', ARGV[5])
end
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[2], 'user', ARGV[8])
end
redis.call('PEXPIREAT', KEYS[2], keep_until)
return 1
