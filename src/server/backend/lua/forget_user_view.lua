-- Invalidates a user's copy of their preferences and profile (they changed): the copy goes and
-- the epoch moves, in one atomic step, so no load sees the old copy with the new epoch and no
-- store that read the old epoch can put the copy back.
-- KEYS: 1 user views hash (of the user's tag)
-- ARGV: 1 user id, 2 ttl (ms)
-- The epoch never repeats, even after the hash expired and came back: it becomes Redis's clock
-- in ms, or one more than it was if that is later.
local user = ARGV[1]
local epoch = tonumber(redis.call('HGET', KEYS[1], user .. ':e')) or 0
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if now <= epoch then
  now = epoch + 1
end
redis.call('HDEL', KEYS[1], user .. ':p', user .. ':u', user .. ':t')
redis.call('HSET', KEYS[1], user .. ':e', now)
-- The epoch outlives any store that may have read the one before it (and every copy in the
-- hash, each stored within the ttl before now).
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
