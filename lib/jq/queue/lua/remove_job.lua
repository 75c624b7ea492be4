-- helpers: include/queue.lua include/admin.lua
-- Remove one job from wherever it is, with its hash and logs
-- (docs/bull-layout.md 3.11, job.remove()).
-- KEYS: 1 job hash, 2 active, 3 wait, 4 paused, 5 delayed, 6 completed,
--       7 failed, 8 priority, 9 stalled, 10 limiter index
-- ARGV: 1 id, 2 base, 3 "1" for a dry run
-- Returns 1 removed (or would be), 0 locked (a worker holds it), -1 no such
-- job (no hash, and in no list or set).
local id = ARGV[1]
local jobKey = KEYS[1]
local known = redis.call("EXISTS", jobKey) == 1
if not known then
  for i = 5, 7 do
    if redis.call("ZSCORE", KEYS[i], id) then
      known = true
    end
  end
  for i = 2, 4 do
    if not known and in_list(KEYS[i], id) then
      known = true
    end
  end
end
if not known then
  return -1
end
if redis.call("EXISTS", jobKey .. ":lock") == 1 then
  return 0
end
if ARGV[3] == "1" then
  return 1
end
for i = 2, 4 do
  redis.call("LREM", KEYS[i], 0, id)
end
for i = 5, 7 do
  redis.call("ZREM", KEYS[i], id)
end
redis.call("SREM", KEYS[9], id)
delete_job(ARGV[2], id, KEYS[8], KEYS[10], true)
return 1
