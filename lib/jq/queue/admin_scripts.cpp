// The scripts of jq-inspect's reads and actions, apart from the worker's
// transitions in scripts.cpp; they share its Lua helpers.

#include "scripts.hpp"

#include <string>

namespace jq::queue::scripts {

// ---------------------------------------------------------------------------
// jq-inspect: reading one job, and the operator's actions. Every action takes
// a dry-run flag: the script makes the same decisions and writes nothing.

namespace {

constexpr std::string_view k_admin_helpers = R"lua(
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
)lua";

redis::Script make_admin(std::string_view body)
{
  return redis::Script(std::string(lua_helpers()) + std::string(k_admin_helpers)
                       + std::string(body));
}

} // namespace

// One job as Bull's getState() sees it, with everything `show` prints, in
// one consistent read.
// KEYS: 1 job hash, 2 completed, 3 failed, 4 delayed, 5 active, 6 wait,
//       7 paused, 8 lock, 9 logs
// ARGV: 1 id, 2 how many of the newest log lines to return
// Returns {state, HGETALL, delayed score or nil, lock holder or nil,
// lock PTTL, log line count, log lines}. The state is decided in Bull's
// order: completed, failed, delayed, active, waiting, paused, else stuck.
const redis::Script& job_state()
{
  static const redis::Script script = make_admin(R"lua(
local id = ARGV[1]
local state = "stuck"
local delayedScore = false
if redis.call("ZSCORE", KEYS[2], id) then
  state = "completed"
elseif redis.call("ZSCORE", KEYS[3], id) then
  state = "failed"
else
  delayedScore = redis.call("ZSCORE", KEYS[4], id)
  if delayedScore then
    state = "delayed"
  elseif in_list(KEYS[5], id) then
    state = "active"
  elseif in_list(KEYS[6], id) then
    state = "waiting"
  elseif in_list(KEYS[7], id) then
    state = "paused"
  end
end
local maxLogs = tonumber(ARGV[2])
local logs = {}
if maxLogs > 0 then
  logs = redis.call("LRANGE", KEYS[9], -maxLogs, -1)
end
return {state, redis.call("HGETALL", KEYS[1]), delayedScore,
        redis.call("GET", KEYS[8]), redis.call("PTTL", KEYS[8]),
        redis.call("LLEN", KEYS[9]), logs}
)lua");
  return script;
}

// Retry one failed job (docs/bull-layout.md 3.9).
// KEYS: 1 job hash, 2 lock, 3 failed, 4 wait, 5 paused, 6 meta-paused
// ARGV: 1 id, 2 base, 3 token, 4 now ms, 5 "1" for a dry run
// Returns 1 retried (or would be), 0 no such job, -1 locked, -2 not failed.
// Unlike Bull, a refused job is left untouched.
const redis::Script& reprocess_job()
{
  static const redis::Script script = make_admin(R"lua(
local id = ARGV[1]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  return -1
end
if not redis.call("ZSCORE", KEYS[3], id) then
  return -2
end
if ARGV[5] ~= "1" then
  requeue_failed(ARGV[2], id, KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[3],
                 ARGV[4])
end
return 1
)lua");
  return script;
}

// Retry the failed jobs in one bounded batch, oldest first. Jobs that failed
// after the caller started (finishedOn above ARGV[4]) are not taken, so a
// job that fails again is not retried twice.
// KEYS: 1 failed, 2 wait, 3 paused, 4 meta-paused
// ARGV: 1 base, 2 token, 3 now ms, 4 highest finishedOn to take,
//       5 offset (jobs skipped so far), 6 batch size, 7 "1" for a dry run
// Returns {retried ids, locked ids, ids without a hash}.
const redis::Script& reprocess_failed_jobs()
{
  static const redis::Script script = make_admin(R"lua(
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
)lua");
  return script;
}

// Remove one job from wherever it is, with its hash and logs
// (docs/bull-layout.md 3.11, job.remove()).
// KEYS: 1 job hash, 2 active, 3 wait, 4 paused, 5 delayed, 6 completed,
//       7 failed, 8 priority, 9 stalled, 10 limiter index
// ARGV: 1 id, 2 base, 3 "1" for a dry run
// Returns 1 removed (or would be), 0 locked (a worker holds it), -1 no such
// job (no hash, and in no list or set).
const redis::Script& remove_job()
{
  static const redis::Script script = make_admin(R"lua(
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
)lua");
  return script;
}

// One bounded step of clean (docs/bull-layout.md 3.11, cleanJobsInSet): look
// at up to a batch of a state's jobs, oldest first, and remove the unlocked
// ones whose time (finishedOn, else processedOn, else timestamp; none: old)
// is before the cutoff.
// KEYS: 1 the state's list or zset, 2 priority, 3 limiter index
// ARGV: 1 base, 2 cutoff ms, 3 "list" | "zset" (by rank) | "zset-by-score"
//       (the score is the job's finishedOn), 4 cursor (entries looked at
//       and kept so far, counted from the oldest end), 5 batch size,
//       6 most jobs to remove in this call, 7 "1" to drop debounce keys,
//       8 "1" for a dry run
// Returns {removed ids, next cursor, 1 when nothing is left to look at}.
const redis::Script& clean_jobs()
{
  static const redis::Script script = make_admin(R"lua(
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
)lua");
  return script;
}

// Pause or resume the queue for every worker (docs/bull-layout.md 3.8).
// Unlike Bull's RENAME alone, jobs are never overwritten: if both lists
// exist (a foreign writer pushed to wait while paused), the ones being
// moved are merged in order, behind the ones already in line.
// KEYS: 1 wait, 2 paused, 3 meta-paused, 4 meta, 5 event channel (the
//       paused or resumed channel)
// ARGV: 1 "paused" to pause, "resumed" to resume, 2 "1" for a dry run
// Returns {1 if the queue changes state (0: it already was so), jobs moved}.
const redis::Script& pause_queue()
{
  static const redis::Script script = make_admin(R"lua(
local pausing = ARGV[1] == "paused"
local isPaused = redis.call("EXISTS", KEYS[3]) == 1
                 or redis.call("HEXISTS", KEYS[4], "paused") == 1
local src, dst = KEYS[1], KEYS[2]
if not pausing then
  src, dst = KEYS[2], KEYS[1]
end
local moving = redis.call("LLEN", src)
local changes = 0
if pausing ~= isPaused then
  changes = 1
end
if ARGV[2] == "1" then
  return {changes, moving}
end
if moving > 0 then
  if redis.call("EXISTS", dst) == 0 then
    redis.call("RENAME", src, dst)
  elseif pausing then
    for _ = 1, moving do
      redis.call("RPOPLPUSH", src, dst)
    end
  else
    for _ = 1, moving do
      redis.call("RPUSH", dst, redis.call("LPOP", src))
    end
  end
end
if pausing then
  redis.call("SET", KEYS[3], 1)
  redis.call("HSET", KEYS[4], "paused", 1)
else
  redis.call("DEL", KEYS[3])
  redis.call("HDEL", KEYS[4], "paused")
end
if changes == 1 then
  redis.call("PUBLISH", KEYS[5], ARGV[1])
end
return {changes, moving}
)lua");
  return script;
}

// Move one delayed job into line now (Bull's job.promote()).
// KEYS: 1 delayed, 2 wait, 3 paused, 4 meta-paused, 5 priority, 6 job hash
// ARGV: 1 base, 2 id, 3 token, 4 "1" for a dry run
// Returns 0 promoted (or would be), -1 not delayed, -3 no such job.
const redis::Script& promote_job()
{
  static const redis::Script script = make_admin(R"lua(
local id = ARGV[2]
if not redis.call("ZSCORE", KEYS[1], id) then
  if redis.call("EXISTS", KEYS[6]) == 0 then
    return -3
  end
  return -1
end
if ARGV[4] == "1" then
  return 0
end
redis.call("ZREM", KEYS[1], id)
local priority = tonumber(redis.call("HGET", KEYS[6], "priority")) or 0
push_job(KEYS[5], wait_target(KEYS[2], KEYS[3], KEYS[4]), priority, false,
         id)
redis.call("PUBLISH", ARGV[1] .. "waiting@" .. ARGV[3], id)
if redis.call("EXISTS", KEYS[6]) == 1 then
  redis.call("HSET", KEYS[6], "delay", 0)
end
return 0
)lua");
  return script;
}

} // namespace jq::queue::scripts
