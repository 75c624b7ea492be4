-- helpers: include/queue.lua include/admin.lua
-- One bounded step of clean (docs/bull-layout.md 3.11, cleanJobsInSet): look
-- at up to a batch of a state's jobs, oldest first, and remove the unlocked
-- ones whose time (finishedOn, else processedOn, else timestamp; none: old)
-- is before the cutoff.
-- KEYS: 1 the state's list or zset, 2 priority, 3 limiter index
-- ARGV: 1 base, 2 cutoff ms, 3 "list" | "zset" (by rank) | "zset-by-score"
--       (the score is the job's finishedOn), 4 cursor (entries looked at
--       and kept so far, counted from the oldest end), 5 batch size,
--       6 most jobs to remove in this call, 7 "1" to drop debounce keys,
--       8 "1" for a dry run
-- Returns {removed ids, next cursor, 1 when nothing is left to look at}.
local base = ARGV[1]
local cutoff = tonumber(ARGV[2])
local kind = ARGV[3]
local cursor = tonumber(ARGV[4])
local batch = tonumber(ARGV[5])
local maxRemove = tonumber(ARGV[6])
local dry = ARGV[8] == "1"
local ids
local first = 0
local reachedEnd
if kind == "list" then
  -- The oldest jobs are at the tail: look at the window just before the
  -- entries already kept.
  local last = redis.call("LLEN", KEYS[1]) - 1 - cursor
  if last < 0 then
    return {{}, cursor, 1}
  end
  first = math.max(0, last - batch + 1)
  ids = redis.call("LRANGE", KEYS[1], first, last)
  reachedEnd = first == 0
elseif kind == "zset-by-score" then
  ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", cutoff,
                   "LIMIT", cursor, batch)
  reachedEnd = #ids < batch
else
  ids = redis.call("ZRANGE", KEYS[1], cursor, cursor + batch - 1)
  reachedEnd = #ids < batch
end
local removed = {}
local kept = 0
local lookedAtAll = true
local count = #ids
for n = 1, count do
  if #removed >= maxRemove then
    lookedAtAll = false
    break
  end
  local i = n
  if kind == "list" then
    i = count - n + 1
  end
  local id = ids[i]
  local jobKey = base .. id
  local old = false
  if redis.call("EXISTS", jobKey .. ":lock") == 0 then
    local stamps = redis.call("HMGET", jobKey, "finishedOn", "processedOn",
                              "timestamp")
    local stamp = stamps[1] or stamps[2] or stamps[3]
    if not stamp then
      old = true
    else
      local ts = tonumber(stamp)
      old = ts ~= nil and ts < cutoff
    end
  end
  if old then
    removed[#removed + 1] = id
    if not dry then
      if kind == "list" then
        -- Job ids are never empty: "" marks the entry for the LREM below.
        redis.call("LSET", KEYS[1], first + i - 1, "")
      else
        redis.call("ZREM", KEYS[1], id)
      end
      delete_job(base, id, KEYS[2], KEYS[3], ARGV[7] == "1")
    end
  else
    kept = kept + 1
  end
end
if kind == "list" and not dry and #removed > 0 then
  redis.call("LREM", KEYS[1], -#removed, "")
end
local nextCursor = cursor + kept
if dry then
  nextCursor = nextCursor + #removed
end
local done = 0
if reachedEnd and lookedAtAll then
  done = 1
end
return {removed, nextCursor, done}
