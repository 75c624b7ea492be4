-- Shared by every script that puts a job in line. `target` is the wait list,
-- or the paused list while the queue is paused: nothing is written to wait
-- then, because resuming RENAMEs paused over it.
local function wait_target(waitKey, pausedKey, metaPausedKey)
  if redis.call("EXISTS", metaPausedKey) == 1 then
    return pausedKey
  end
  return waitKey
end

-- Bull's order: prioritized jobs sit at the tail (next to run) in ascending
-- priority, FIFO among equals, ahead of every job without a priority.
local function push_with_priority(priorityKey, target, priority, id)
  redis.call("ZADD", priorityKey, priority, id)
  local count = redis.call("ZCOUNT", priorityKey, 0, priority)
  local len = redis.call("LLEN", target)
  local pivot = redis.call("LINDEX", target, len - (count - 1))
  if pivot then
    redis.call("LINSERT", target, "BEFORE", pivot, id)
  else
    redis.call("RPUSH", target, id)
  end
end

local function push_job(priorityKey, target, priority, lifo, id)
  if priority > 0 then
    push_with_priority(priorityKey, target, priority, id)
  elseif lifo then
    redis.call("RPUSH", target, id)
  else
    redis.call("LPUSH", target, id)
  end
end

-- The fields a started job is returned with, in this order (the worker
-- reads them by position: Job::start_fields in job.hpp is the same list,
-- and a unit test keeps the two alike). A missing field reads as false (a
-- nil bulk in the reply).
local START_FIELDS = {"name", "data", "opts", "timestamp", "attemptsMade",
                      "priority", "retriedOn", "stacktrace"}
local START_DATA, START_PRIORITY = 2, 6

-- A function that locks and starts a job already in active, appending
-- `id, fields` to `out` ({} as the fields when its hash is gone: it is
-- dropped from active then). What every start shares is worked out once
-- here: a call starts hundreds of jobs. HMGET, not HGETALL: no field names
-- cross into Lua and back, and the priority is found without a search.
local function job_starter(base, activeKey, priorityKey, token, lockDuration,
                           now)
  local activeChannel = base .. "active@" .. token
  return function(id, out)
    local jobKey = base .. id
    local fields = redis.call("HMGET", jobKey, unpack(START_FIELDS))
    out[#out + 1] = id
    -- Every job has its data; a hash without it is looked for only then.
    if not fields[START_DATA] and redis.call("EXISTS", jobKey) == 0 then
      out[#out + 1] = {}
      redis.call("LREM", activeKey, -1, id)
      return
    end
    out[#out + 1] = fields
    redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
    -- Only a job with a priority is in the priority set (Bull writes "0"
    -- for none), so most starts skip the ZREM.
    if fields[START_PRIORITY] ~= "0" then
      redis.call("ZREM", priorityKey, id)
    end
    redis.call("PUBLISH", activeChannel, id)
    -- The worker takes processedOn from the `now` it sent.
    redis.call("HSET", jobKey, "processedOn", now)
  end
end

-- HSET the field/value pairs ARGV[from..to] (none when to < from).
local function hset_pairs(key, from, to)
  if to >= from then
    redis.call("HSET", key, unpack(ARGV, from, to))
  end
end

-- Take up to `count` jobs from the end of wait into active and start each
-- with `start` (job_starter), as that many RPOPLPUSHes would (same order in
-- both lists) but in three calls; appends {id, fields} pairs to `out`.
local function take_waiting(waitKey, activeKey, count, start, out)
  if count <= 0 then
    return
  end
  local ids = redis.call("LRANGE", waitKey, -count, -1)
  if #ids == 0 then
    return
  end
  redis.call("LTRIM", waitKey, 0, -(#ids + 1))
  local popped = {}
  for i = #ids, 1, -1 do
    popped[#popped + 1] = ids[i]
  end
  redis.call("LPUSH", activeKey, unpack(popped))
  for _, id in ipairs(popped) do
    start(id, out)
  end
end
