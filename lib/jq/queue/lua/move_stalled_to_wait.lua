-- helpers: include/queue.lua
-- Bull's stalled check (docs/bull-layout.md 3.6), throttled by stalled-check.
-- KEYS: 1 stalled, 2 wait, 3 active, 4 failed, 5 stalled-check,
--       6 meta-paused, 7 paused
-- ARGV: 1 max stalled count, 2 base, 3 now, 4 interval ms
-- Returns {failed ids, requeued ids, ms until the next check is due}: when
-- another worker ran the check less than an interval ago, the time until
-- its mark expires, so whoever comes next is there when it does (coming
-- back a whole interval later would skip every other check).
local due = redis.call("PTTL", KEYS[5])
if due > 0 then
  return {{}, {}, due}
end
redis.call("SET", KEYS[5], ARGV[3], "PX", ARGV[4])
local base = ARGV[2]
local failed, requeued = {}, {}
local stalling = redis.call("SMEMBERS", KEYS[1])
if #stalling > 0 then
  redis.call("DEL", KEYS[1])
  local target = wait_target(KEYS[2], KEYS[7], KEYS[6])
  for _, id in ipairs(stalling) do
    local jobKey = base .. id
    if redis.call("EXISTS", jobKey .. ":lock") == 0
       and redis.call("LREM", KEYS[3], 1, id) > 0
       and redis.call("EXISTS", jobKey) == 1 then
      local stalls = redis.call("HINCRBY", jobKey, "stalledCounter", 1)
      if stalls > tonumber(ARGV[1]) then
        redis.call("ZADD", KEYS[4], ARGV[3], id)
        redis.call("HSET", jobKey, "failedReason",
                   "job stalled more than allowable limit",
                   "finishedOn", ARGV[3])
        redis.call("PUBLISH", KEYS[4], cjson.encode(
          {jobId = id, val = "job stalled more than maxStalledCount"}))
        failed[#failed + 1] = id
      else
        redis.call("RPUSH", target, id)
        redis.call("PUBLISH", base .. "stalled@", id)
        requeued[#requeued + 1] = id
      end
    end
  end
end
local active = redis.call("LRANGE", KEYS[3], 0, -1)
for i = 1, #active, 1000 do
  redis.call("SADD", KEYS[1], unpack(active, i, math.min(i + 999, #active)))
end
return {failed, requeued, tonumber(ARGV[4])}
