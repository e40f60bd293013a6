-- Replaces a session's record, keeping its expiry, only if it still holds what the caller
-- loaded: concurrent requests on one session that change different values merge instead of
-- the last writer erasing the others' change (the caller merges and tries again).
-- KEYS: 1 record
-- ARGV: 1 new record, 2 the record as the caller loaded it
-- Returns false when the session is gone, 1 when saved, else the record it holds now.
local current = redis.call('GET', KEYS[1])
if not current then
  return false
end
if current ~= ARGV[2] then
  return current
end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return 1
