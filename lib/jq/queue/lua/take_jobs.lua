-- Start jobs, many per call: lock each with the worker's token.
-- KEYS: 1 wait, 2 active, 3 priority, 4 stalled
-- ARGV: 1 base, 2 token, 3 lock duration ms, 4 now ms, 5 how many to take
--       from wait, 6.. ids a BRPOPLPUSH already moved into active
-- A given id is started only while it is still in active (a worker that
-- lost the reply of its BRPOPLPUSH puts such jobs back after a grace) and
-- not locked: not by another worker, nor by this one (a slot of its runs
-- the job, taken again meanwhile; a call of its whose reply was lost took
-- it, and such jobs are put back before the next call).
-- Returns {started, gone, fields} as start_jobs (include/queue.lua) does:
-- the ids started, in order, those whose hash is gone (they are dropped
-- from active), and the fields of the started jobs when they are few.
local base, token, lockDuration, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ids = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  if redis.call("LPOS", KEYS[2], id) then
    local holder = redis.call("GET", base .. id .. ":lock")
    if not holder then
      redis.call("SREM", KEYS[4], id)
      ids[#ids + 1] = id
    end
  end
end
for _, id in ipairs(take_waiting(KEYS[1], KEYS[2], tonumber(ARGV[5]))) do
  ids[#ids + 1] = id
end
return {start_jobs(base, KEYS[2], KEYS[3], token, lockDuration, now, ids)}
