#include "scripts.hpp"

#include <string>

namespace jq::queue::scripts {

namespace {

// Shared by every script that puts a job in line. `target` is the wait list,
// or the paused list while the queue is paused: nothing is written to wait
// then, because resuming RENAMEs paused over it.
constexpr std::string_view k_helpers = R"lua(
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

-- Lock and start job `id` (already in active): the reply is {id, fields},
-- or {id, {}} when its hash is gone (it is dropped from active then).
local function start_job(base, activeKey, id, token, lockDuration, now,
                         priorityKey)
  local jobKey = base .. id
  local fields = redis.call("HGETALL", jobKey)
  if #fields == 0 then
    redis.call("LREM", activeKey, -1, id)
    return {id, {}}
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
  redis.call("PUBLISH", base .. "active@" .. token, id)
  redis.call("HSET", jobKey, "processedOn", now)
  fields[#fields + 1] = "processedOn"
  fields[#fields + 1] = now
  return {id, fields}
end

-- Check the caller holds the job's lock, then release it. Returns 0 or a
-- negative code: -2 lock missing, -6 held by someone else.
local function release_lock(jobKey, stalledKey, id, token)
  if token == "0" then
    return 0
  end
  local holder = redis.call("GET", jobKey .. ":lock")
  if not holder then
    return -2
  end
  if holder ~= token then
    return -6
  end
  redis.call("DEL", jobKey .. ":lock")
  redis.call("SREM", stalledKey, id)
  return 0
end

local function hset_pairs(key, from)
  local fields = {}
  for i = from, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  if #fields > 0 then
    redis.call("HSET", key, unpack(fields))
  end
end
)lua";

redis::Script make(std::string_view body)
{
  return redis::Script(std::string(k_helpers) + std::string(body));
}

} // namespace

// KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id, 5 delayed, 6 priority
// ARGV: 1 base, 2 custom id or "", 3 name, 4 data, 5 opts JSON, 6 timestamp,
//       7 delay ms, 8 priority, 9 "1" for lifo, 10 token
// Returns {id, 1} for a new job, {id, 0} when a job with that id exists (it
// is left as it is and `duplicated@token` is published).
const redis::Script& add_job()
{
  static const redis::Script script = make(R"lua(
-- The counter names jobs without an id and orders delayed jobs due in the
-- same millisecond; a job with its own id and no delay needs neither.
local id = ARGV[2]
local counter = 0
if id == "" or tonumber(ARGV[7]) > 0 then
  counter = redis.call("INCR", KEYS[4])
end
if id == "" then
  id = tostring(counter)
end
local base = ARGV[1]
local jobKey = base .. id
if redis.call("EXISTS", jobKey) == 1 then
  redis.call("PUBLISH", base .. "duplicated@" .. ARGV[10], id)
  return {id, 0}
end
local timestamp = tonumber(ARGV[6])
local delay = tonumber(ARGV[7])
local priority = tonumber(ARGV[8])
redis.call("HSET", jobKey, "name", ARGV[3], "data", ARGV[4], "opts", ARGV[5],
           "timestamp", ARGV[6], "delay", ARGV[7], "priority", ARGV[8])
if delay > 0 then
  local due = timestamp + delay
  redis.call("ZADD", KEYS[5], due * 0x1000 + bit.band(counter, 0xfff), id)
  redis.call("PUBLISH", KEYS[5], due)
  return {id, 1}
end
local target = wait_target(KEYS[1], KEYS[2], KEYS[3])
push_job(KEYS[6], target, priority, ARGV[9] == "1", id)
redis.call("PUBLISH", base .. "waiting@" .. ARGV[10], id)
return {id, 1}
)lua");
  return script;
}

// KEYS: 1 wait, 2 active, 3 priority, 4 stalled, 5 drained channel
// ARGV: 1 base, 2 token, 3 lock duration ms, 4 now, 5 job id or ""
// With an id (already moved by BRPOPLPUSH) that job is started; without,
// the next one is taken from wait. Returns nil when wait is empty, {id, {}}
// for an id whose hash is gone (it is dropped from active), else
// {id, HGETALL}.
const redis::Script& move_to_active()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[5]
if id == "" then
  id = redis.call("RPOPLPUSH", KEYS[1], KEYS[2])
  if not id then
    redis.call("PUBLISH", KEYS[5], "")
    return nil
  end
else
  redis.call("SREM", KEYS[4], id)
end
return start_job(ARGV[1], KEYS[2], id, ARGV[2], ARGV[3], ARGV[4], KEYS[3])
)lua");
  return script;
}

// KEYS: 1 lock, 2 stalled   ARGV: 1 token, 2 duration ms, 3 job id
// Returns 1 if the lock was still ours and is extended, else 0.
const redis::Script& extend_lock()
{
  static const redis::Script script = redis::Script(R"lua(
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  redis.call("SREM", KEYS[2], ARGV[3])
  return 1
end
return 0
)lua");
  return script;
}

// KEYS: 1 active, 2 completed|failed (also the event channel), 3 job hash,
//       4 stalled, 5 wait, 6 priority, 7 trimmed (ids whose replies were
//       deleted, so a late waiter hears "gone", not "no such job")
// ARGV: 1 id, 2 finishedOn, 3 "returnvalue"|"failedReason", 4 value,
//       5 token ("0": ignore the lock), 6 keep count (-1 all, 0 none),
//       7 keep age in seconds (0: any age), 8 event JSON, 9 "1" to fetch
//       the next job, 10 base, 11 lock duration ms, 12.. field/value pairs
//       also written on the job
// Returns a negative code (-1 no job, -2 no lock, -3 not active, -6 lock
// held by another worker), 0, or the next job as {id, HGETALL}.
const redis::Script& move_to_finished()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[1]
local jobKey = KEYS[3]
if redis.call("EXISTS", jobKey) == 0 then
  return -1
end
local locked = release_lock(jobKey, KEYS[4], id, ARGV[5])
if locked ~= 0 then
  return locked
end
if redis.call("LREM", KEYS[1], -1, id) == 0 then
  return -3
end
local keepCount = tonumber(ARGV[6])
local keepAge = tonumber(ARGV[7])
local finishedOn = tonumber(ARGV[2])
local base = ARGV[10]
local trimmed = {}
if keepCount == 0 then
  redis.call("DEL", jobKey, jobKey .. ":logs")
  trimmed[#trimmed + 1] = id
else
  redis.call("ZADD", KEYS[2], finishedOn, id)
  redis.call("HSET", jobKey, ARGV[3], ARGV[4], "finishedOn", ARGV[2])
  hset_pairs(jobKey, 12)
  if keepAge > 0 then
    -- Bounded per call so one finish never takes long; later finishes
    -- trim the rest.
    local old = redis.call("ZRANGEBYSCORE", KEYS[2], 0,
                           finishedOn - keepAge * 1000, "LIMIT", 0, 1000)
    for _, oldId in ipairs(old) do
      redis.call("DEL", base .. oldId, base .. oldId .. ":logs")
      redis.call("ZREM", KEYS[2], oldId)
      trimmed[#trimmed + 1] = oldId
    end
  end
  if keepCount > 0 then
    local old = redis.call("ZREVRANGE", KEYS[2], keepCount, keepCount + 999)
    for _, oldId in ipairs(old) do
      redis.call("DEL", base .. oldId, base .. oldId .. ":logs")
      redis.call("ZREM", KEYS[2], oldId)
      trimmed[#trimmed + 1] = oldId
    end
  end
end
if #trimmed > 0 then
  for _, oldId in ipairs(trimmed) do
    redis.call("ZADD", KEYS[7], finishedOn, oldId)
  end
  -- Remember the newest 100000 only.
  redis.call("ZREMRANGEBYRANK", KEYS[7], 0, -100001)
end
redis.call("PUBLISH", KEYS[2], ARGV[8])
if ARGV[9] == "1" then
  local nextId = redis.call("RPOPLPUSH", KEYS[5], KEYS[1])
  if nextId then
    return start_job(base, KEYS[1], nextId, ARGV[5], ARGV[11], ARGV[2],
                     KEYS[6])
  end
end
return 0
)lua");
  return script;
}

// A failed attempt with attempts left.
// KEYS: 1 active, 2 wait, 3 job hash, 4 meta-paused, 5 paused, 6 stalled,
//       7 priority, 8 delayed
// ARGV: 1 id, 2 token, 3 delayed score (0: back in line now), 4 due ms,
//       5 "1" for lifo, 6.. field/value pairs written on the job
// Returns 0, or a negative code as move_to_finished.
const redis::Script& retry_job()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[1]
local jobKey = KEYS[3]
if redis.call("EXISTS", jobKey) == 0 then
  return -1
end
local locked = release_lock(jobKey, KEYS[6], id, ARGV[2])
if locked ~= 0 then
  return locked
end
if redis.call("LREM", KEYS[1], -1, id) == 0 then
  return -3
end
hset_pairs(jobKey, 6)
local score = tonumber(ARGV[3])
if score > 0 then
  redis.call("ZADD", KEYS[8], score, id)
  redis.call("PUBLISH", KEYS[8], ARGV[4])
  return 0
end
local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
local target = wait_target(KEYS[2], KEYS[5], KEYS[4])
push_job(KEYS[7], target, priority, ARGV[5] == "1", id)
return 0
)lua");
  return script;
}

// Bull's stalled check (docs/bull-layout.md 3.6), throttled by stalled-check.
// KEYS: 1 stalled, 2 wait, 3 active, 4 failed, 5 stalled-check,
//       6 meta-paused, 7 paused
// ARGV: 1 max stalled count, 2 base, 3 now, 4 interval ms
// Returns {failed ids, requeued ids, ms until the next check is due}: when
// another worker ran the check less than an interval ago, the time until
// its mark expires, so whoever comes next is there when it does (coming
// back a whole interval later would skip every other check).
const redis::Script& move_stalled_to_wait()
{
  static const redis::Script script = make(R"lua(
local due = redis.call("PTTL", KEYS[5])
if due > 0 then
  return {{}, {}, due}
end
redis.call("SET", KEYS[5], ARGV[3], "PX", ARGV[4])
local base = ARGV[2]
local failed, requeued = {}, {}
local stalling = redis.call("SMEMBERS", KEYS[1])
if #stalling > 0 then
  redis.call("DEL", KEYS[1])
  local target = wait_target(KEYS[2], KEYS[7], KEYS[6])
  for _, id in ipairs(stalling) do
    local jobKey = base .. id
    if redis.call("EXISTS", jobKey .. ":lock") == 0
       and redis.call("LREM", KEYS[3], 1, id) > 0
       and redis.call("EXISTS", jobKey) == 1 then
      local stalls = redis.call("HINCRBY", jobKey, "stalledCounter", 1)
      if stalls > tonumber(ARGV[1]) then
        redis.call("ZADD", KEYS[4], ARGV[3], id)
        redis.call("HSET", jobKey, "failedReason",
                   "job stalled more than allowable limit",
                   "finishedOn", ARGV[3])
        redis.call("PUBLISH", KEYS[4], cjson.encode(
          {jobId = id, val = "job stalled more than maxStalledCount"}))
        failed[#failed + 1] = id
      else
        redis.call("RPUSH", target, id)
        redis.call("PUBLISH", base .. "stalled@", id)
        requeued[#requeued + 1] = id
      end
    end
  end
end
local active = redis.call("LRANGE", KEYS[3], 0, -1)
for i = 1, #active, 1000 do
  redis.call("SADD", KEYS[1], unpack(active, i, math.min(i + 999, #active)))
end
return {failed, requeued, tonumber(ARGV[4])}
)lua");
  return script;
}

// Move due delayed jobs into line (docs/bull-layout.md 3.7).
// KEYS: 1 delayed, 2 wait, 3 priority, 4 paused, 5 meta-paused
// ARGV: 1 base, 2 now ms, 3 token
// Returns the due time (ms) of the next delayed job, or nil.
const redis::Script& promote_delayed()
{
  static const redis::Script script = make(R"lua(
local base = ARGV[1]
local now = tonumber(ARGV[2])
local due = redis.call("ZRANGEBYSCORE", KEYS[1], 0, (now + 1) * 0x1000 - 1,
                       "LIMIT", 0, 1000)
if #due > 0 then
  local target = wait_target(KEYS[2], KEYS[4], KEYS[5])
  for _, id in ipairs(due) do
    redis.call("ZREM", KEYS[1], id)
    local jobKey = base .. id
    local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
    push_job(KEYS[3], target, priority, false, id)
    redis.call("PUBLISH", base .. "waiting@" .. ARGV[3], id)
    redis.call("HSET", jobKey, "delay", 0)
  end
end
local nextJob = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if nextJob[2] then
  local nextDue = math.floor(tonumber(nextJob[2]) / 0x1000)
  if #due > 0 then
    redis.call("PUBLISH", KEYS[1], nextDue)
  end
  return nextDue
end
return nil
)lua");
  return script;
}

// Where job `id` is and, once finished, what it left: one round trip.
// KEYS: 1 job hash, 2 completed, 3 failed, 4 trimmed
// Returns {"missing"} | {"gone"} | {"pending"} | {"completed"|"failed", HMGET
// of returnvalue failedReason attemptsMade stacktrace finishedOn processedOn}.
const redis::Script& job_outcome()
{
  static const redis::Script script = redis::Script(R"lua(
local id = ARGV[1]
local state
if redis.call("ZSCORE", KEYS[2], id) then
  state = "completed"
elseif redis.call("ZSCORE", KEYS[3], id) then
  state = "failed"
elseif redis.call("EXISTS", KEYS[1]) == 1 then
  return {"pending"}
elseif redis.call("ZSCORE", KEYS[4], id) then
  return {"gone"}
else
  return {"missing"}
end
return {state, redis.call("HMGET", KEYS[1], "returnvalue", "failedReason",
                          "attemptsMade", "stacktrace", "finishedOn",
                          "processedOn")}
)lua");
  return script;
}

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
  return redis::Script(std::string(k_helpers) + std::string(k_admin_helpers)
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
