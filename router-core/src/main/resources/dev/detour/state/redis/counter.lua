-- Adds to a fixed-window counter. KEYS[1]: the window's counter. ARGV: amount, time to keep ms.
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
