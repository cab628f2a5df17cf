-- Disables or enables a provider for the fleet and tells every router.
-- KEYS[1]: the hash of disabled providers. ARGV: provider, 1 (disable) or 0 (enable), channel.
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], '1')
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', ARGV[3], 'o|' .. ARGV[1] .. '|' .. ARGV[2])
return 1
