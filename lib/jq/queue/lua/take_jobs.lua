-- helpers: include/queue.lua
-- Start jobs, many per call: lock each with the worker's token and return
-- its fields.
-- KEYS: 1 wait, 2 active, 3 priority, 4 stalled
-- ARGV: 1 base, 2 token, 3 lock duration ms, 4 now ms, 5 how many to take
--       from wait, 6.. ids a BRPOPLPUSH already moved into active
-- A given id is started only while it is still in active (a worker that
-- lost the reply of its BRPOPLPUSH puts such jobs back after a grace) and
-- not locked: not by another worker, nor by this one (a slot of its runs
-- the job, taken again meanwhile; a call of its whose reply was lost took
-- it, and such jobs are put back before the next call).
-- Returns {id, fields, ...}: fields are the values of START_FIELDS
-- (include/queue.lua) in order, or {} for an id whose hash is gone (it is
-- dropped from active).
local base, token, lockDuration, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local start = job_starter(base, KEYS[2], KEYS[3], token, lockDuration, now)
local started = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  if redis.call("LPOS", KEYS[2], id) then
    local holder = redis.call("GET", base .. id .. ":lock")
    if not holder then
      redis.call("SREM", KEYS[4], id)
      start(id, started)
    end
  end
end
take_waiting(KEYS[1], KEYS[2], tonumber(ARGV[5]), start, started)
return started
