-- A route's last-known-good answers: each kept with the time it was kept, for its staleness, the newest
-- `capacity` of them. KEYS[1]: the route's index (a sorted set by time); KEYS[2]: the answer's key.
-- ARGV: op (put|get), then for put: member, staleness ms, capacity, answer.
-- put returns the number kept; get returns {age ms, answer} or nil.
local index, key = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'get' then
  local v = redis.call('GET', key)
  if not v then return nil end
  local sep = string.find(v, ':', 1, true)
  return {now - tonumber(string.sub(v, 1, sep - 1)), string.sub(v, sep + 1)}
end
local member, staleness, capacity = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', key, now .. ':' .. ARGV[5], 'PX', staleness)
redis.call('ZADD', index, now, member)
redis.call('ZREMRANGEBYSCORE', index, '-inf', now - staleness)
local over = redis.call('ZCARD', index) - capacity
if over > 0 then
  for i, old in ipairs(redis.call('ZPOPMIN', index, over)) do
    if i % 2 == 1 then redis.call('DEL', index .. ':' .. old) end
  end
end
redis.call('PEXPIRE', index, staleness)
return redis.call('ZCARD', index)
