-- helpers: include/queue.lua include/admin.lua
-- Retry the failed jobs in one bounded batch, oldest first. Jobs that failed
-- after the caller started (finishedOn above ARGV[4]) are not taken, so a
-- job that fails again is not retried twice.
-- KEYS: 1 failed, 2 wait, 3 paused, 4 meta-paused
-- ARGV: 1 base, 2 token, 3 now ms, 4 highest finishedOn to take,
--       5 offset (jobs skipped so far), 6 batch size, 7 "1" for a dry run
-- Returns {retried ids, locked ids, ids without a hash}.
local base = ARGV[1]
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[4],
                       "LIMIT", ARGV[5], ARGV[6])
local retried, locked, missing = {}, {}, {}
for _, id in ipairs(ids) do
  local jobKey = base .. id
  if redis.call("EXISTS", jobKey) == 0 then
    missing[#missing + 1] = id
  elseif redis.call("EXISTS", jobKey .. ":lock") == 1 then
    locked[#locked + 1] = id
  else
    if ARGV[7] ~= "1" then
      requeue_failed(base, id, KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2],
                     ARGV[3])
    end
    retried[#retried + 1] = id
  end
end
return {retried, locked, missing}
