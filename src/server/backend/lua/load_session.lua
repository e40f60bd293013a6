-- Loads a session and touches it in one atomic step: marks it seen, records a page view when
-- one is given, and slides its expiry by its idle timeout, never past its deadline.
-- Counting with HINCRBY here (not in the record) is what makes concurrent views all count.
-- KEYS: 1 record, 2 activity hash, 3 pages list, 4 user views hash (of the session's tag),
--       5 notices hash
-- ARGV: 1 now (ms), 2 page ('' for none), 3 pages kept, 4 archive grace (ms),
--       5 idle (ms) to assume when the hash lacks one, 6 first pages kept,
--       7 how long a copy of the user is trusted (ms)
-- Returns false, or {record, started at, last seen, page count, expires at, view preferences,
-- view profile, view epoch, pending notices}: a signed-in page needs nothing more from Redis.
local record = redis.call('GET', KEYS[1])
if not record then
  return false
end
local now = tonumber(ARGV[1])
local a = redis.call('HMGET', KEYS[2], 'start', 'last', 'count', 'idle', 'deadline', 'user')
local expires = now + (tonumber(a[4]) or tonumber(ARGV[5]))
local deadline = tonumber(a[5])
if deadline and deadline < expires then
  expires = deadline
end
if expires <= now then
  -- Past its absolute deadline: end it now rather than when the TTL fires. The activity stays
  -- for the archiving sweeper.
  redis.call('DEL', KEYS[1])
  return false
end
local start = tonumber(a[1])
if not start then
  start = now
  redis.call('HSET', KEYS[2], 'start', ARGV[1])
end
-- Instances' clocks may differ slightly; last seen never goes backwards.
local last = tonumber(a[2])
if not last or now > last then
  last = now
  redis.call('HSET', KEYS[2], 'last', ARGV[1])
end
local count = tonumber(a[3]) or 0
local keep_until = expires + tonumber(ARGV[4])
if ARGV[2] ~= '' then
  count = redis.call('HINCRBY', KEYS[2], 'count', 1)
  redis.call('RPUSH', KEYS[3], ARGV[1] .. ' ' .. ARGV[2])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
  if count <= tonumber(ARGV[6]) then
    -- The first paths, newline-separated in the hash (paths never hold control characters):
    -- one key less per session than a list of their own.
    local first = redis.call('HGET', KEYS[2], 'first')
    redis.call('HSET', KEYS[2], 'first', first and (first .. '\n' .. ARGV[2]) or ARGV[2])
  end
end
redis.call('PEXPIREAT', KEYS[1], expires)
redis.call('PEXPIREAT', KEYS[2], keep_until)
redis.call('PEXPIREAT', KEYS[3], keep_until)
-- The user's copy, shared by all their sessions (a signed-in session's id carries its user's
-- tag, so the hash is in this slot); one stored longer ago than it is trusted is not returned.
local prefs, profile, epoch = false, false, 0
local user = a[6]
if user then
  local view = redis.call('HMGET', KEYS[4], user .. ':p', user .. ':u', user .. ':t', user .. ':e')
  epoch = tonumber(view[4]) or 0
  local stored = tonumber(view[3])
  if stored and now - stored < tonumber(ARGV[7]) then
    prefs, profile = view[1], view[2]
  elseif stored then
    -- Too old to trust: gone now, not when the hash (kept alive by others on the tag) expires.
    redis.call('HDEL', KEYS[4], user .. ':p', user .. ':u', user .. ':t')
  end
end
local notices = redis.call('HVALS', KEYS[5])
return {record, start, last, count, expires, prefs, profile, epoch, notices}
