-- One provider's fleet-wide first attempts and extra calls over a sliding window of buckets.
-- KEYS[1]: the hash of buckets. ARGV: calls to add, extras to add, window ms, buckets.
-- Returns {calls, extras} over the window, after adding.
local k = KEYS[1]
local addCalls, addExtras = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, n = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local width = math.max(1, math.floor(window / n))
local b = math.floor(now / width)
local i = b % n
if tonumber(redis.call('HGET', k, 't' .. i) or -1) ~= b then
  redis.call('HSET', k, 't' .. i, b, 'c' .. i, 0, 'e' .. i, 0)
end
if addCalls > 0 then redis.call('HINCRBY', k, 'c' .. i, addCalls) end
if addExtras > 0 then redis.call('HINCRBY', k, 'e' .. i, addExtras) end
redis.call('PEXPIRE', k, window * 2)
local calls, extras = 0, 0
for j = 0, n - 1 do
  local f = redis.call('HMGET', k, 't' .. j, 'c' .. j, 'e' .. j)
  if f[1] and tonumber(f[1]) > b - n then
    calls = calls + tonumber(f[2] or 0)
    extras = extras + tonumber(f[3] or 0)
  end
end
return {calls, extras}
