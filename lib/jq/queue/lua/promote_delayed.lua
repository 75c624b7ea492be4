-- helpers: include/queue.lua
-- Move due delayed jobs into line (docs/bull-layout.md 3.7).
-- KEYS: 1 delayed, 2 wait, 3 priority, 4 paused, 5 meta-paused
-- ARGV: 1 base, 2 now ms, 3 token
-- Returns the due time (ms) of the next delayed job, or nil.
local base = ARGV[1]
local now = tonumber(ARGV[2])
local due = redis.call("ZRANGEBYSCORE", KEYS[1], 0, (now + 1) * 0x1000 - 1,
                       "LIMIT", 0, 1000)
if #due > 0 then
  local target = wait_target(KEYS[2], KEYS[4], KEYS[5])
  for _, id in ipairs(due) do
    redis.call("ZREM", KEYS[1], id)
    local jobKey = base .. id
    local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
    push_job(KEYS[3], target, priority, false, id)
    redis.call("PUBLISH", base .. "waiting@" .. ARGV[3], id)
    redis.call("HSET", jobKey, "delay", 0)
  end
end
local nextJob = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if nextJob[2] then
  local nextDue = math.floor(tonumber(nextJob[2]) / 0x1000)
  if #due > 0 then
    redis.call("PUBLISH", KEYS[1], nextDue)
  end
  return nextDue
end
return nil
