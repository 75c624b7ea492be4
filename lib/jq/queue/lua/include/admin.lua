-- Is `id` in list `key`? LPOS where Redis has it (6.0.6+), else a scan.
local function in_list(key, id)
  local ok, pos = pcall(redis.call, "LPOS", key, id)
  if ok then
    return pos ~= false and pos ~= nil
  end
  for _, member in ipairs(redis.call("LRANGE", key, 0, -1)) do
    if member == id then
      return true
    end
  end
  return false
end

local function is_lifo(jobKey)
  local opts = redis.call("HGET", jobKey, "opts")
  if not opts then
    return false
  end
  local ok, decoded = pcall(cjson.decode, opts)
  return ok and type(decoded) == "table" and decoded["lifo"] == true
end

-- Bull's job.retry() (reprocessJob): the failed job goes back in line at
-- the back (the front for lifo jobs), priority ignored; attemptsMade,
-- stacktrace and stalledCounter stay.
local function requeue_failed(base, id, failedKey, waitKey, pausedKey,
                              metaPausedKey, token, now)
  local jobKey = base .. id
  redis.call("HDEL", jobKey, "finishedOn", "processedOn", "failedReason")
  redis.call("HSET", jobKey, "retriedOn", now)
  redis.call("ZREM", failedKey, id)
  local target = wait_target(waitKey, pausedKey, metaPausedKey)
  if is_lifo(jobKey) then
    redis.call("RPUSH", target, id)
  else
    redis.call("LPUSH", target, id)
  end
  redis.call("PUBLISH", base .. "waiting@" .. token, id)
end

-- Delete job `id`'s hash and logs and what refers to it outside the
-- state lists and sets: its priority entry, its debounce key (only while
-- that key still names this job) and its rate-limiter entries.
local function delete_job(base, id, priorityKey, limiterIndexKey,
                          dropDebounce)
  local jobKey = base .. id
  redis.call("ZREM", priorityKey, id)
  if dropDebounce then
    local debounceId = redis.call("HGET", jobKey, "deid")
    if debounceId then
      local debounceKey = base .. "de:" .. debounceId
      if redis.call("GET", debounceKey) == id then
        redis.call("DEL", debounceKey)
      end
    end
  end
  redis.call("DEL", jobKey, jobKey .. ":logs")
  local limited = redis.call("HGET", limiterIndexKey, id)
  if limited then
    redis.call("SREM", limited, id)
    redis.call("HDEL", limiterIndexKey, id)
  end
end
