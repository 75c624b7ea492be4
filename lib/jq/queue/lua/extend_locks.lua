-- Renew the locks of every job a worker holds, in one call.
-- KEYS: 1 stalled
-- ARGV: 1 base, 2 token, 3 lock duration ms, 4.. ids
-- Returns the ids whose lock was no longer the worker's (not renewed).
local base, token, duration = ARGV[1], ARGV[2], ARGV[3]
local lost = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local lockKey = base .. id .. ":lock"
  if redis.call("GET", lockKey) == token then
    redis.call("SET", lockKey, token, "PX", duration)
    redis.call("SREM", KEYS[1], id)
  else
    lost[#lost + 1] = id
  end
end
return lost
