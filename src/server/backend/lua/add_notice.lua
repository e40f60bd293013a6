-- Adds a notice to a live session's pending notices, keeping only the newest: a user signing in
-- again and again must not grow every other session without bound.
-- KEYS: 1 notices hash, 2 session record
-- ARGV: 1 notice id (ids sort by time), 2 notice JSON, 3 most kept, 4 TTL (ms)
-- Returns 1 when added, 0 when the session has ended.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local n = redis.call('HLEN', KEYS[1])
local keep = tonumber(ARGV[3])
if n > keep then
  local ids = redis.call('HKEYS', KEYS[1])
  table.sort(ids)
  for i = 1, n - keep do
    redis.call('HDEL', KEYS[1], ids[i])
  end
end
return 1
