-- helpers: include/queue.lua
-- Record the ends of jobs in hand, many per call, then take more: the one
-- call a busy worker makes per round (docs/bull-layout.md 3.4, 3.5).
-- KEYS: 1 active, 2 completed, 3 failed, 4 stalled, 5 wait, 6 priority,
--       7 trimmed (ids whose replies were deleted, so a late waiter hears
--       "gone", not "no such job"), 8 paused, 9 meta-paused, 10 delayed
-- ARGV: 1 base, 2 token ("0": ignore the locks), 3 lock duration ms,
--       4 now ms, 5 how many jobs to take afterwards, then runs of ends
--       that share a kind, a number of fields and a retention policy (what
--       ends share is sent once: Redis pays for every value a call carries).
--       A run's 5 values: kind ("completed" | "failed" | "retry"), how many
--       ends, n, keep count (-1 all, 0 none), keep age in seconds (0: any
--       age; a retry run's keep values are unused); then per end 4 values
--       and n field/value pairs also written on the job:
--       completed | failed: id, value (returnvalue | failedReason), event
--         JSON (published on completed | failed), finishedOn;
--       retry: id, due ms, delayed score (0 for back in line now), "1" to
--         put it at the head of the line.
-- Returns {codes, taken}: one code per end (0 recorded, -1 no job, -2 no
-- lock, -3 not active, -6 locked by another worker) and the jobs taken as
-- take_jobs returns them.
local base, token, lockDuration, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local finishedOn = tonumber(now)
local codes = {}
-- Writes that take many keys or members are made once, at the end.
local locks, recorded, added = {}, {}, {}
-- Retention is applied once per (set, policy) after all ends are in.
local policies = {}
local trimmed = {}

local function trim(setKey, keepCount, keepAge)
  local function drop(ids)
    for _, oldId in ipairs(ids) do
      redis.call("DEL", base .. oldId, base .. oldId .. ":logs")
      redis.call("ZREM", setKey, oldId)
      trimmed[#trimmed + 1] = oldId
    end
  end
  -- Bounded per call so one finish never takes long; later finishes trim
  -- the rest.
  if keepAge > 0 then
    drop(redis.call("ZRANGEBYSCORE", setKey, 0, finishedOn - keepAge * 1000,
                    "LIMIT", 0, 1000))
  end
  if keepCount > 0 then
    drop(redis.call("ZREVRANGE", setKey, keepCount, keepCount + 999))
  end
end

-- The ends in ARGV order, as parallel arrays (a table per end would cost
-- more than the end's own work): id, ARGV index of its id, last ARGV index
-- of its pairs, job key, lock key, run; and per run its kind and its
-- retention policy as numbers.
local ids, firsts, lasts, jobKeys, lockKeys, runs = {}, {}, {}, {}, {}, {}
local kinds, keepCounts, keepAges = {}, {}, {}
do
  local run = 6
  while run <= #ARGV do
    local r = #kinds + 1
    local count = tonumber(ARGV[run + 1])
    local width = 4 + 2 * tonumber(ARGV[run + 2])
    kinds[r], keepCounts[r], keepAges[r] = ARGV[run], tonumber(ARGV[run + 3]),
                                           tonumber(ARGV[run + 4])
    local first = run + 5
    for i = first, first + width * (count - 1), width do
      local n = #ids + 1
      local id = ARGV[i]
      ids[n], firsts[n], lasts[n], runs[n] = id, i, i + width - 1, r
      jobKeys[n] = base .. id
      lockKeys[n] = jobKeys[n] .. ":lock"
    end
    run = first + width * count
  end
end

-- The runs whose retention policy is registered.
local registered = {}

local function finish(n)
  local id, jobKey, i, r = ids[n], jobKeys[n], firsts[n], runs[n]
  local kind = kinds[r]
  local setKey = kind == "completed" and KEYS[2] or KEYS[3]
  local keepCount, keepAge = keepCounts[r], keepAges[r]
  if keepCount == 0 then
    redis.call("DEL", jobKey, jobKey .. ":logs")
    trimmed[#trimmed + 1] = id
  else
    added[setKey] = added[setKey] or {}
    local members = added[setKey]
    members[#members + 1] = ARGV[i + 3]
    members[#members + 1] = id
    redis.call("HSET", jobKey,
               kind == "completed" and "returnvalue" or "failedReason",
               ARGV[i + 1], "finishedOn", ARGV[i + 3],
               unpack(ARGV, i + 4, lasts[n]))
    if (keepAge > 0 or keepCount > 0) and not registered[r] then
      registered[r] = true
      -- Keyed by the numbers: "2" and "2.0" are one policy.
      local policy = setKey .. "\0" .. keepCount .. "\0" .. keepAge
      policies[policy] = policies[policy] or {setKey, keepCount, keepAge}
    end
  end
  redis.call("PUBLISH", setKey, ARGV[i + 2])
end

local function retry(n)
  local id, jobKey, i = ids[n], jobKeys[n], firsts[n]
  hset_pairs(jobKey, i + 4, lasts[n])
  local score = tonumber(ARGV[i + 2])
  if score > 0 then
    redis.call("ZADD", KEYS[10], score, id)
    redis.call("PUBLISH", KEYS[10], ARGV[i + 1])
    return
  end
  local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
  push_job(KEYS[6], wait_target(KEYS[5], KEYS[8], KEYS[9]), priority,
           ARGV[i + 3] == "1", id)
end

-- The lock holder of each end, read in one call (token "0": none needed).
local holders = {}
if token ~= "0" and #ids > 0 then
  holders = redis.call("MGET", unpack(lockKeys))
end

-- 0 when the end may be recorded, else a negative code. A job locked by a
-- worker cannot be removed, so its hash is looked for only otherwise.
local function check(n)
  if holders[n] == token then
    return 0
  end
  if redis.call("EXISTS", jobKeys[n]) == 0 then
    return -1
  end
  if token == "0" then
    return 0
  end
  return holders[n] and -6 or -2
end

-- Take the ids out of active: one LREM each for a few, else one rewrite of
-- the list (dropping the occurrence nearest the tail, as LREM -1 does).
local leaving = {}
for n = 1, #ids do
  local code = check(n)
  codes[n] = code
  if code == 0 then
    leaving[#leaving + 1] = n
  end
end
if #leaving < 3 then
  for _, n in ipairs(leaving) do
    if redis.call("LREM", KEYS[1], -1, ids[n]) == 0 then
      codes[n] = -3
    end
  end
else
  local wanted = {}
  for _, n in ipairs(leaving) do
    wanted[ids[n]] = n
  end
  local active = redis.call("LRANGE", KEYS[1], 0, -1)
  local kept = {}
  local found = {}
  for k = #active, 1, -1 do
    local n = wanted[active[k]]
    if n and not found[n] then
      found[n] = true
    else
      kept[#kept + 1] = active[k]
    end
  end
  redis.call("DEL", KEYS[1])
  -- `kept` runs tail to head: LPUSH puts it back in the same order.
  for k = 1, #kept, 5000 do
    redis.call("LPUSH", KEYS[1], unpack(kept, k, math.min(k + 4999, #kept)))
  end
  for _, n in ipairs(leaving) do
    if not found[n] then
      codes[n] = -3
    end
  end
end

for n = 1, #ids do
  if codes[n] == 0 then
    locks[#locks + 1] = lockKeys[n]
    recorded[#recorded + 1] = ids[n]
    if kinds[runs[n]] == "retry" then
      retry(n)
    else
      finish(n)
    end
  end
end
if #recorded > 0 then
  if token ~= "0" then
    redis.call("DEL", unpack(locks))
  end
  -- Ids are in stalled only between a stall check and their next renewal.
  if redis.call("SCARD", KEYS[4]) > 0 then
    redis.call("SREM", KEYS[4], unpack(recorded))
  end
end
for setKey, members in pairs(added) do
  redis.call("ZADD", setKey, unpack(members))
end
for _, policy in pairs(policies) do
  trim(policy[1], policy[2], policy[3])
end
if #trimmed > 0 then
  for _, oldId in ipairs(trimmed) do
    redis.call("ZADD", KEYS[7], finishedOn, oldId)
  end
  -- Remember the newest 100000 only.
  redis.call("ZREMRANGEBYRANK", KEYS[7], 0, -100001)
end
local taken = {}
take_waiting(KEYS[5], KEYS[1], tonumber(ARGV[5]),
             job_starter(base, KEYS[1], KEYS[6], token, lockDuration, now),
             taken)
return {codes, taken}
