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

-- A function that locks and starts a job already in active, appending
-- `id, fields` to `out` ({} as the fields when its hash is gone: it is
-- dropped from active then). What every start shares is worked out once
-- here: a call starts hundreds of jobs.
local function job_starter(base, activeKey, priorityKey, token, lockDuration,
                           now)
  local activeChannel = base .. "active@" .. token
  return function(id, out)
    local jobKey = base .. id
    local fields = redis.call("HGETALL", jobKey)
    out[#out + 1] = id
    out[#out + 1] = fields
    if #fields == 0 then
      redis.call("LREM", activeKey, -1, id)
      return
    end
    redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
    -- Only a job with a priority is in the priority set (Bull writes "0"
    -- for none), so most starts skip the ZREM.
    local priority
    for i = 1, #fields, 2 do
      if fields[i] == "priority" then
        priority = fields[i + 1]
        break
      end
    end
    if priority ~= "0" then
      redis.call("ZREM", priorityKey, id)
    end
    redis.call("PUBLISH", activeChannel, id)
    redis.call("HSET", jobKey, "processedOn", now)
    fields[#fields + 1] = "processedOn"
    fields[#fields + 1] = now
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
