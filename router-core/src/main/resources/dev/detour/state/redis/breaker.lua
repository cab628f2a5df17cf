-- One provider's fleet-wide circuit breaker, read and changed atomically.
-- KEYS[1]: the state hash; KEYS[2]: the window (a list of "ms:flags", newest first).
-- ARGV: op (read|acquire|record|cancel|force|reset), channel, provider, count window (0: time-based),
--       time window ms, minimum calls, failure rate, slow-call rate (>1: off), open-for ms, probes,
--       then for record: the results in order, one digit each (1: failed, 2: slow, 3: both, 0: neither),
--       the longest retry-after ms, probe (0|1: then one result), failure kind, duration ms.
-- States: 0 closed, 1 open, 2 half-open, 3 forced open.
-- Returns {state, open ms left, generation, calls, failures, slow calls, reason, probe granted (0|1)}.
local h, w = KEYS[1], KEYS[2]
local op, channel, provider = ARGV[1], ARGV[2], ARGV[3]
local countWindow, timeWindow = tonumber(ARGV[4]), tonumber(ARGV[5])
local minCalls, failureRate, slowRate = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local openFor, probes = tonumber(ARGV[9]), tonumber(ARGV[10])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', h, 'st', 'until', 'permits', 'out', 'ok', 'gen', 'why', 'since')
local st, untilMs = tonumber(f[1] or 0), tonumber(f[2] or 0)
local permits, out, ok = tonumber(f[3] or 0), tonumber(f[4] or 0), tonumber(f[5] or 0)
local gen, why, since = tonumber(f[6] or 0), f[7] or '', tonumber(f[8] or 0)
local granted = 0

local function percent(rate)
  local r = math.floor(rate * 1000 + 0.5) / 10
  if r == math.floor(r) then return string.format('%d%%', r) end
  return string.format('%.1f%%', r)
end

local function transition(to, reason)
  st, why, gen = to, reason, gen + 1
  permits, out, ok, since = 0, 0, 0, now
  if to == 2 then permits = probes end
  if to == 0 then redis.call('DEL', w) end
  local left = 0
  if to == 1 then left = untilMs - now end
  redis.call('PUBLISH', channel, 'b|' .. provider .. '|' .. st .. '|' .. left .. '|' .. gen .. '|' .. why)
end

local function open(retryAfter, reason)
  untilMs = now + math.max(openFor, retryAfter)
  transition(1, reason)
end

local function totals()
  local calls, failures, slow = 0, 0, 0
  local entries = redis.call('LRANGE', w, 0, -1)
  for i, e in ipairs(entries) do
    local sep = string.find(e, ':', 1, true)
    if countWindow == 0 and tonumber(string.sub(e, 1, sep - 1)) <= now - timeWindow then
      redis.call('LTRIM', w, 0, i - 2)
      break
    end
    local flags = tonumber(string.sub(e, sep + 1))
    calls = calls + 1
    if flags % 2 == 1 then failures = failures + 1 end
    if flags >= 2 then slow = slow + 1 end
  end
  return calls, failures, slow
end

if st == 1 and now >= untilMs then transition(2, 'open time over') end

if op == 'acquire' then
  if st == 2 then
    -- permits leased a minute ago and never reported (their router gone) are granted again
    if permits == 0 and now - since >= math.max(openFor, 60000) then permits, out, since = probes, 0, now end
    if permits > 0 then permits, out, granted = permits - 1, out + 1, 1 end
  end
elseif op == 'record' then
  local results, retryAfter = ARGV[11], tonumber(ARGV[12])
  local last = tonumber(string.sub(results, -1))
  local failed, slowCall = last % 2 == 1, last >= 2
  if st == 0 then
    for i = 1, #results do
      redis.call('LPUSH', w, now .. ':' .. string.sub(results, i, i))
    end
    redis.call('LTRIM', w, 0, (countWindow > 0 and countWindow or 10000) - 1)
    if countWindow == 0 then redis.call('PEXPIRE', w, timeWindow * 2) end
    local calls, failures, slow = totals()
    if calls >= minCalls then
      if failures / calls >= failureRate then
        open(retryAfter, 'failure rate ' .. percent(failures / calls) .. ' >= ' .. percent(failureRate) .. ' over ' .. calls .. ' calls')
      elseif slowRate <= 1 and slow / calls >= slowRate then
        open(retryAfter, 'slow-call rate ' .. percent(slow / calls) .. ' >= ' .. percent(slowRate) .. ' over ' .. calls .. ' calls')
      end
    end
  elseif st == 1 then
    if retryAfter > 0 and now + retryAfter > untilMs then untilMs = now + retryAfter end
  elseif st == 2 and ARGV[13] == '1' and out > 0 then
    out = out - 1
    if failed then
      open(retryAfter, 'probe failed: ' .. ARGV[14])
    elseif slowCall then
      open(0, 'probe slow: ' .. ARGV[15] .. 'ms')
    else
      ok = ok + 1
      if ok >= probes then transition(0, ok == 1 and '1 probe succeeded' or (ok .. ' probes succeeded')) end
    end
  end
elseif op == 'cancel' then
  if st == 2 and out > 0 then out, permits = out - 1, permits + 1 end
elseif op == 'force' then
  if st ~= 3 then transition(3, 'forced open') end
elseif op == 'reset' then
  redis.call('DEL', w)
  if st ~= 0 then transition(0, 'reset') end
end

redis.call('HSET', h, 'st', st, 'until', untilMs, 'permits', permits, 'out', out, 'ok', ok, 'gen', gen, 'why', why, 'since', since)
local calls, failures, slow = totals()
local left = 0
if st == 1 then left = untilMs - now end
return {st, left, gen, calls, failures, slow, why, granted}
