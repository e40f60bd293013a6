-- Stores the copy of a user's preferences and profile that all their signed-in sessions read
-- with every page, unless the session storing it has ended or the copy was invalidated after
-- the caller read the epoch: a page that read the database before a change cannot put the old
-- values back after it.
-- KEYS: 1 record (of the session storing it), 2 user views hash (of the user's tag)
-- ARGV: 1 user id, 2 epoch read, 3 preferences JSON, 4 profile JSON, 5 ttl (ms), 6 now (ms)
-- Returns 1 when stored.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local user = ARGV[1]
local epoch = tonumber(redis.call('HGET', KEYS[2], user .. ':e')) or 0
if epoch ~= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[2], user .. ':p', ARGV[3], user .. ':u', ARGV[4], user .. ':t', ARGV[6])
-- The hash outlives every copy in it by at most the ttl: each copy is checked for age on load.
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
