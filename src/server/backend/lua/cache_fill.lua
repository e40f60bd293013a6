-- Fills a cache key only if it still holds what the read that missed saw: nothing ('') or the
-- same invalidation mark. A value read before an invalidation is never stored after it.
-- KEYS: 1 cached value
-- ARGV: 1 expected ('' for an absent key), 2 value, 3 ttl (ms)
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
