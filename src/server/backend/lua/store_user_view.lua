-- Stores a signed-in session's copy of its user's preferences and profile, unless the session
-- has ended or the copy was invalidated after the caller read the epoch: a page that read the
-- database before a change cannot put the old values back after it.
-- KEYS: 1 record, 2 user view hash
-- ARGV: 1 epoch read, 2 preferences JSON, 3 profile JSON, 4 ttl (ms)
-- Returns 1 when stored.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local epoch = tonumber(redis.call('HGET', KEYS[2], 'e')) or 0
if epoch ~= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[2], 'p', ARGV[2], 'u', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
