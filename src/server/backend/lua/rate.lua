-- A fixed-window counter: adds ARGV[1] (0 only reads; negative gives attempts back) to KEYS[1];
-- a window of ARGV[2] ms starts with its first hit. Returns {count, milliseconds left}.
local cost = tonumber(ARGV[1])
local count
if cost ~= 0 then
  count = redis.call('INCRBY', KEYS[1], cost)
  if count <= 0 then
    redis.call('DEL', KEYS[1])
    return {0, 0}
  end
else
  count = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local ttl = redis.call('PTTL', KEYS[1])
if count > 0 and ttl < 0 then
  -- A new window, or a counter that lost its expiry: it must never live forever.
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
