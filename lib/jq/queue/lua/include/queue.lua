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

-- The fields of a started job the worker reads, in this order (by
-- position: Job::start_fields in job.hpp is the same list, and a unit test
-- keeps the two alike). A missing field reads as false (a nil bulk).
local START_FIELDS = {"name", "data", "opts", "timestamp", "attemptsMade",
                      "priority", "retriedOn", "stacktrace"}
-- Up to this many jobs started by one call, their fields come back with it
-- (one round trip, for a lone caller's job); the fields of more are read
-- by the worker with HMGET right after: a reply pipelined by the worker
-- costs Redis a third of what the same values cost read in Lua and
-- returned from the script.
local START_FIELDS_INLINE = 2

-- The number of `keys` that exist, asked in calls of at most 1000 keys.
local function count_existing(keys)
  local count = 0
  for k = 1, #keys, 1000 do
    count = count + redis.call("EXISTS", unpack(keys, k, math.min(k + 999,
                                                                  #keys)))
  end
  return count
end

-- Lock and start the jobs `ids`, already in active, as Bull's moveToActive
-- does; returns the ids started, those whose hash is gone (dropped from
-- active) and, for a few started (START_FIELDS_INLINE), their fields (flat:
-- the START_FIELDS values of each in turn), else {}. Work that fits many
-- jobs at once is done once for all of them: a call starts hundreds.
local function start_jobs(base, activeKey, priorityKey, token, lockDuration,
                          now, ids)
  local started, gone, fields = {}, {}, {}
  local jobKeys = {}
  for k, id in ipairs(ids) do
    jobKeys[k] = base .. id
  end
  -- A hash is missing only for a job removed meanwhile: each is looked for
  -- on its own only when the count says one is.
  local allThere = count_existing(jobKeys) == #ids
  local activeChannel = base .. "active@" .. token
  for k, id in ipairs(ids) do
    local jobKey = jobKeys[k]
    if allThere or redis.call("EXISTS", jobKey) == 1 then
      started[#started + 1] = id
      redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
      redis.call("PUBLISH", activeChannel, id)
      -- The worker takes processedOn from the `now` it sent.
      redis.call("HSET", jobKey, "processedOn", now)
    else
      gone[#gone + 1] = id
      redis.call("LREM", activeKey, -1, id)
    end
  end
  -- A job with a priority leaves the priority set as it starts.
  if #started > 0 and redis.call("ZCARD", priorityKey) > 0 then
    for k = 1, #started, 1000 do
      redis.call("ZREM", priorityKey, unpack(started, k, math.min(k + 999,
                                                                  #started)))
    end
  end
  if #started <= START_FIELDS_INLINE then
    for _, id in ipairs(started) do
      local values = redis.call("HMGET", base .. id, unpack(START_FIELDS))
      for f = 1, #START_FIELDS do
        fields[#fields + 1] = values[f]
      end
    end
  end
  return started, gone, fields
end

-- HSET the field/value pairs ARGV[from..to] (none when to < from).
local function hset_pairs(key, from, to)
  if to >= from then
    redis.call("HSET", key, unpack(ARGV, from, to))
  end
end

-- Take up to `count` jobs from the end of wait into active, as that many
-- RPOPLPUSHes would (same order in both lists) but in three calls; returns
-- their ids, in the order taken.
local function take_waiting(waitKey, activeKey, count)
  local popped = {}
  if count <= 0 then
    return popped
  end
  local ids = redis.call("LRANGE", waitKey, -count, -1)
  if #ids == 0 then
    return popped
  end
  redis.call("LTRIM", waitKey, 0, -(#ids + 1))
  for i = #ids, 1, -1 do
    popped[#popped + 1] = ids[i]
  end
  redis.call("LPUSH", activeKey, unpack(popped))
  return popped
end
