-- helpers: include/queue.lua include/admin.lua
-- Move one delayed job into line now (Bull's job.promote()).
-- KEYS: 1 delayed, 2 wait, 3 paused, 4 meta-paused, 5 priority, 6 job hash
-- ARGV: 1 base, 2 id, 3 token, 4 "1" for a dry run
-- Returns 0 promoted (or would be), -1 not delayed, -3 no such job.
local id = ARGV[2]
if not redis.call("ZSCORE", KEYS[1], id) then
  if redis.call("EXISTS", KEYS[6]) == 0 then
    return -3
  end
  return -1
end
if ARGV[4] == "1" then
  return 0
end
redis.call("ZREM", KEYS[1], id)
local priority = tonumber(redis.call("HGET", KEYS[6], "priority")) or 0
push_job(KEYS[5], wait_target(KEYS[2], KEYS[3], KEYS[4]), priority, false,
         id)
redis.call("PUBLISH", ARGV[1] .. "waiting@" .. ARGV[3], id)
if redis.call("EXISTS", KEYS[6]) == 1 then
  redis.call("HSET", KEYS[6], "delay", 0)
end
return 0
